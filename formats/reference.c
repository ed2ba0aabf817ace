#include "formats/reference.h"

#include <ctype.h>
#include <string.h>

#include "formats/core/buf.h"
#include "formats/core/mem.h"

#include "formats/core/banned.h"

void
reference_release(struct reference *r)
{
    if (!r)
        return;
    free(r->domain);
    free(r->path);
    free(r->tag);
    memset(r, 0, sizeof(*r));
}

void
reference_copy(struct reference *dst, const struct reference *src)
{
    memset(dst, 0, sizeof(*dst));
    dst->domain = src->domain ? xstrdup(src->domain) : NULL;
    dst->path = xstrdup(src->path);
    dst->tag = src->tag ? xstrdup(src->tag) : NULL;
    memcpy(dst->digest, src->digest, sizeof(dst->digest));
}

static int
reference_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/*
 * reference.go: path-component := alpha-numeric [separator alpha-numeric]*,
 * alpha-numeric := /[a-z0-9]+/, separator := /[_.]|__|[-]+/.
 */
static int
reference_component_ok(const char *c, size_t n)
{
    size_t i = 0;

    while (i < n) {
        size_t run = 0, sep;
        while (i < n && reference_lower_alnum(c[i])) {
            i++;
            run++;
        }
        if (!run)
            return 0;
        if (i == n)
            return 1;
        sep = i;
        while (i < n && (c[i] == '.' || c[i] == '_' || c[i] == '-'))
            i++;
        if (i == n || i == sep)
            return 0;
        if (!(i - sep == 1 || (i - sep == 2 && c[sep] == '_' && c[sep + 1] == '_') ||
              strspn(c + sep, "-") >= i - sep))
            return 0;
    }
    return 0;
}

/* reference.go: domain-component := /([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])/ */
static int
reference_host_ok(const char *h, size_t n)
{
    size_t i, start = 0;

    if (n >= 2 && h[0] == '[') {
        /* ipv6address := \[ [a-fA-F0-9:]+ \] */
        if (h[n - 1] != ']' || n == 2)
            return 0;
        for (i = 1; i + 1 < n; i++)
            if (!isxdigit((unsigned char)h[i]) && h[i] != ':')
                return 0;
        return 1;
    }
    for (i = 0; i <= n; i++) {
        if (i < n && h[i] != '.') {
            if (!isalnum((unsigned char)h[i]) && h[i] != '-')
                return 0;
            continue;
        }
        if (i == start || h[start] == '-' || h[i - 1] == '-')
            return 0;
        start = i + 1;
    }
    return 1;
}

int
reference_tag_ok(const char *t)
{
    size_t n = strlen(t), i;

    /* tag := /[\w][\w.-]{0,127}/ */
    if (n == 0 || n > REFERENCE_TAG_MAX || !(isalnum((unsigned char)t[0]) || t[0] == '_'))
        return 0;
    for (i = 1; i < n; i++)
        if (!isalnum((unsigned char)t[i]) && !strchr("_.-", t[i]))
            return 0;
    return 1;
}

/* normalize.go, splitDockerDomain: which first components are a registry. */
static int
reference_is_domain(const char *c, size_t n)
{
    size_t i;

    if (memchr(c, '.', n) || memchr(c, ':', n) || (n == 9 && !strncmp(c, "localhost", 9)))
        return 1;
    for (i = 0; i < n; i++)
        if (isupper((unsigned char)c[i]))
            return 1;
    return 0;
}

static int
reference_domain_check(const char *s, const char *d, size_t n, struct error *err)
{
    const char *colon = NULL;
    size_t hn = n, i;

    if (d[0] == '[') {
        const char *close = memchr(d, ']', n);
        if (close && (size_t)(close - d) + 1 < n)
            colon = close + 1;
    } else {
        colon = memchr(d, ':', n);
    }
    if (colon) {
        size_t pn = n - (size_t)(colon - d) - 1;
        hn = (size_t)(colon - d);
        if (*colon != ':' || pn == 0)
            return error_input(err, "invalid image reference \"%s\": bad registry \"%.*s\"", s,
                               (int)n, d);
        for (i = 0; i < pn; i++)
            if (!isdigit((unsigned char)colon[1 + i]))
                return error_input(err,
                                   "invalid image reference \"%s\": \"%.*s\" is not a port "
                                   "number (and a tag cannot hold a '/')",
                                   s, (int)pn, colon + 1);
    }
    if (!reference_host_ok(d, hn))
        return error_input(err, "invalid image reference \"%s\": bad registry host \"%.*s\"", s,
                           (int)hn, d);
    return 0;
}

static int
reference_path_check(const char *s, const char *p, struct error *err)
{
    const char *c = p;

    for (;;) {
        const char *e = strchr(c, '/');
        size_t n = e ? (size_t)(e - c) : strlen(c), i;
        if (!reference_component_ok(c, n)) {
            for (i = 0; i < n; i++)
                if (isupper((unsigned char)c[i]))
                    return error_input(err,
                                       "invalid image reference \"%s\": repository name \"%s\" "
                                       "must be lower case",
                                       s, p);
            return error_input(err,
                               "invalid image reference \"%s\": bad repository name component "
                               "\"%.*s\" (lower-case letters and digits, joined by '.', '_', "
                               "'__' or '-')",
                               s, (int)n, c);
        }
        if (!e)
            return 0;
        c = e + 1;
    }
}

/* Splits off and checks "@digest"; returns the end of the name part. */
static const char *
reference_digest(const char *s, struct reference *out, struct error *err)
{
    const char *at = strchr(s, '@');
    struct error e;

    if (!at)
        return s + strlen(s);
    error_init(&e);
    if (strncmp(at + 1, "sha256:", 7) != 0 && strchr(at + 1, ':'))
        return error_input(err,
                           "invalid image reference \"%s\": digest algorithm \"%.*s\" is not "
                           "supported (sha256 only)",
                           s, (int)strcspn(at + 1, ":"), at + 1),
               NULL;
    if (strlen(at + 1) > DIGEST_STR_LEN || digest_validate(at + 1, &e) < 0)
        return error_input(err,
                           "invalid image reference \"%s\": bad digest \"%s\" (expected "
                           "sha256:<64 lower-case hex digits>)",
                           s, at + 1),
               NULL;
    memcpy(out->digest, at + 1, DIGEST_STR_LEN + 1);
    return at;
}

static int
reference_split(const char *s, const char *name, size_t n, struct reference *out, struct error *err)
{
    const char *slash = memchr(name, '/', n);
    size_t i;

    if (n == 0)
        return error_input(err, "invalid image reference \"%s\": no repository name", s);
    if (n > REFERENCE_NAME_MAX)
        return error_input(err, "invalid image reference \"%s\": name longer than %d characters", s,
                           REFERENCE_NAME_MAX);
    if (slash && reference_is_domain(name, (size_t)(slash - name))) {
        if (reference_domain_check(s, name, (size_t)(slash - name), err) < 0)
            return -1;
        out->domain = xstrndup(name, (size_t)(slash - name));
        out->path = xstrndup(slash + 1, n - (size_t)(slash - name) - 1);
    } else {
        out->path = xstrndup(name, n);
    }
    if (reference_path_check(s, out->path, err) < 0)
        return -1;
    /* normalize.go: a 64-hex name would read as an image id */
    if (!out->domain && n == 64) {
        for (i = 0; i < n && isxdigit((unsigned char)name[i]); i++)
            ;
        if (i == n)
            return error_input(err,
                               "invalid image reference \"%s\": a repository name cannot be 64 "
                               "hex digits",
                               s);
    }
    if (out->domain && !strcmp(out->domain, "index.docker.io")) {
        free(out->domain);
        out->domain = xstrdup(REFERENCE_DOCKER_HUB);
    }
    if (out->domain && !strcmp(out->domain, REFERENCE_DOCKER_HUB) && !strchr(out->path, '/')) {
        char *p = xasprintf("library/%s", out->path);
        free(out->path);
        out->path = p;
    }
    return 0;
}

int
reference_parse(const char *s, struct reference *r, struct error *err)
{
    struct reference out;
    const char *end, *last_slash, *colon = NULL, *p;

    memset(&out, 0, sizeof(out));
    if (!*s)
        return error_input(err, "invalid image reference \"\": empty");
    for (p = s; *p; p++)
        if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
            return error_input(err,
                               "invalid image reference \"%.200s\": it holds a space or a "
                               "character outside printable ASCII",
                               s);
    if (strlen(s) > 1024)
        return error_input(err, "invalid image reference \"%.64s...\": too long", s);
    if (!(end = reference_digest(s, &out, err)))
        return -1;
    last_slash = memrchr(s, '/', (size_t)(end - s));
    p = last_slash ? last_slash + 1 : s;
    colon = memchr(p, ':', (size_t)(end - p));
    if (colon) {
        cleanup_free char *tag = xstrndup(colon + 1, (size_t)(end - colon - 1));
        if (!*tag)
            return error_input(err, "invalid image reference \"%s\": empty tag after ':'", s);
        if (!reference_tag_ok(tag))
            return error_input(err,
                               "invalid image reference \"%s\": bad tag \"%s\" (letters, digits, "
                               "'_', '.' and '-', not starting with '.' or '-', at most %d)",
                               s, tag, REFERENCE_TAG_MAX);
        out.tag = steal_ptr(&tag);
        end = colon;
    }
    if (reference_split(s, s, (size_t)(end - s), &out, err) < 0) {
        reference_release(&out);
        return -1;
    }
    *r = out;
    return 0;
}

void
reference_qualify(struct reference *r, const char *domain)
{
    if (r->domain || !domain)
        return;
    r->domain = xstrdup(domain);
    if (!strcmp(domain, REFERENCE_DOCKER_HUB) && !strchr(r->path, '/')) {
        char *p = xasprintf("library/%s", r->path);
        free(r->path);
        r->path = p;
    }
}

void
reference_default_tag(struct reference *r)
{
    if (!r->tag && !r->digest[0])
        r->tag = xstrdup("latest");
}

char *
reference_name(const struct reference *r)
{
    if (r->domain)
        return xasprintf("%s/%s", r->domain, r->path);
    return xstrdup(r->path);
}

char *
reference_format(const struct reference *r)
{
    struct buf b = BUF_INIT;

    if (r->domain)
        buf_addf(&b, "%s/", r->domain);
    buf_adds(&b, r->path);
    if (r->tag)
        buf_addf(&b, ":%s", r->tag);
    if (r->digest[0])
        buf_addf(&b, "@%s", r->digest);
    return buf_detach(&b);
}

int
reference_check_length(const char *s, const struct reference *r, struct error *err)
{
    cleanup_free char *name = reference_name(r);

    /* reference.go: NameTotalLengthMax applies to the name with its domain */
    if (strlen(name) > REFERENCE_NAME_MAX)
        return error_input(err,
                           "invalid image reference \"%.64s...\": the name is longer than %d "
                           "characters as %.20s/...",
                           s, REFERENCE_NAME_MAX, r->domain ? r->domain : "");
    return 0;
}

char *
reference_normalize(const char *s, const char *domain, struct error *err)
{
    struct reference r;
    char *out;

    if (reference_parse(s, &r, err) < 0)
        return NULL;
    reference_qualify(&r, domain);
    if (reference_check_length(s, &r, err) < 0) {
        reference_release(&r);
        return NULL;
    }
    reference_default_tag(&r);
    out = reference_format(&r);
    reference_release(&r);
    return out;
}

int
reference_domain_is_loopback(const char *d)
{
    size_t n = d[0] == '[' ? strcspn(d, "]") + 1 : strcspn(d, ":");

    if (n == 9 && !strncmp(d, "localhost", 9))
        return 1;
    if (n == 5 && !strncmp(d, "[::1]", 5))
        return 1;
    return n > 4 && !strncmp(d, "127.", 4) && strspn(d, "0123456789.") >= n;
}
