#include "formats/registries_conf.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/core/buf.h"
#include "formats/core/fsutil.h"
#include "formats/core/log.h"
#include "formats/core/mem.h"
#include "formats/json.h"
#include "formats/toml.h"

#include "formats/core/banned.h"

#define REGISTRIES_SYSTEM "/etc/containers/registries.conf"
#define REGISTRIES_SYSTEM_D "/etc/containers/registries.conf.d"

void
registries_conf_init(struct registries_conf *c)
{
    memset(c, 0, sizeof(*c));
}

static void
registries_entry_release(struct registries_entry *e)
{
    size_t i;

    free(e->prefix);
    free(e->location);
    for (i = 0; i < e->nmirrors; i++)
        free(e->mirrors[i].location);
    free(e->mirrors);
    memset(e, 0, sizeof(*e));
}

void
registries_conf_release(struct registries_conf *c)
{
    size_t i;

    if (!c)
        return;
    strvec_release(&c->search);
    for (i = 0; i < c->nregs; i++)
        registries_entry_release(&c->regs[i]);
    free(c->regs);
    strvec_release(&c->aliases);
    strvec_release(&c->cred_helpers);
    strvec_release(&c->files);
    memset(c, 0, sizeof(*c));
}

/* ---- typed reads from the TOML tree, errors at file:line ---- */

struct registries_ctx {
    const char *file;
    struct error *err;
};

static int
registries_bad(const struct registries_ctx *x, const cJSON *item, const char *key, const char *want)
{
    return error_input(x->err, "%s:%d: \"%s\" must be %s", x->file, toml_line(item), key, want);
}

static int
registries_bool(const struct registries_ctx *x, const cJSON *t, const char *key, int *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(t, key);

    if (!v)
        return 0;
    if (!cJSON_IsBool(v))
        return registries_bad(x, v, key, "true or false");
    *out = cJSON_IsTrue(v);
    return 0;
}

/* A string value (NULL when absent); *out is borrowed from the tree. */
static int
registries_str(const struct registries_ctx *x, const cJSON *t, const char *key, const char **out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(t, key);

    *out = NULL;
    if (!v)
        return 0;
    if (!cJSON_IsString(v))
        return registries_bad(x, v, key, "a string");
    *out = v->valuestring;
    return 0;
}

static int
registries_strs(const struct registries_ctx *x, const cJSON *t, const char *key, struct strvec *out,
                int *set)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(t, key), *e;

    if (!v)
        return 0;
    if (!cJSON_IsArray(v))
        return registries_bad(x, v, key, "an array of strings");
    cJSON_ArrayForEach(e, v)
    {
        if (!cJSON_IsString(e))
            return registries_bad(x, e, key, "an array of strings");
    }
    strvec_release(out);
    cJSON_ArrayForEach(e, v) strvec_push(out, e->valuestring);
    if (set)
        *set = 1;
    return 0;
}

/* containers/image warns about keys it does not decode; so does strata. */
static void
registries_unknown(const struct registries_ctx *x, const cJSON *t, const char *const *known,
                   const char *where)
{
    const cJSON *v;

    cJSON_ArrayForEach(v, t)
    {
        size_t i;
        for (i = 0; known[i] && strcmp(known[i], v->string); i++)
            ;
        if (!known[i])
            log_warn("%s:%d: unknown key \"%s\"%s ignored", x->file, toml_line(v), v->string,
                     where);
    }
}

/*
 * A location or a prefix: host[:port][/path] as in an image name, without a
 * scheme, tag or digest (containers-registries.conf(5), "location").
 * Returns 1 when s is one (a host alone when host_only).
 */
static int
registries_is_location(const char *s, int host_only)
{
    cleanup_free char *probe = NULL;
    struct reference r;
    struct error e;
    int ok;

    if (strstr(s, "://") || (host_only && strchr(s, '/')))
        return 0;
    probe = strchr(s, '/') ? xstrdup(s) : xasprintf("%s/x", s);
    error_init(&e);
    if (reference_parse(probe, &r, &e) < 0)
        return 0;
    ok = r.domain && !r.tag && !r.digest[0];
    reference_release(&r);
    return ok;
}

/* The string at key of table t must be a location. */
static int
registries_location_ok(const struct registries_ctx *x, const cJSON *t, const char *key,
                       const char *s)
{
    if (registries_is_location(s, 0))
        return 0;
    return error_input(x->err,
                       "%s:%d: %s \"%s\" is not host[:port][/path] (no scheme, tag or digest)",
                       x->file, toml_line(cJSON_GetObjectItemCaseSensitive(t, key)), key, s);
}

static int
registries_mirror(const struct registries_ctx *x, const cJSON *m, struct registries_mirror *out)
{
    static const char *const known[] = {"location", "insecure", "pull-from-mirror", NULL};
    const char *loc, *from;

    if (!cJSON_IsObject(m))
        return registries_bad(x, m, "registry.mirror", "a table ([[registry.mirror]])");
    registries_unknown(x, m, known, " in [[registry.mirror]]");
    if (registries_str(x, m, "location", &loc) < 0 ||
        registries_str(x, m, "pull-from-mirror", &from) < 0 ||
        registries_bool(x, m, "insecure", &out->insecure) < 0)
        return -1;
    if (!loc || !*loc)
        return error_input(x->err, "%s:%d: [[registry.mirror]] without a location", x->file,
                           toml_line(m));
    if (registries_location_ok(x, m, "location", loc) < 0)
        return -1;
    if (!from || !*from || !strcmp(from, "all"))
        out->pull_from = REGISTRIES_PULL_FROM_ALL;
    else if (!strcmp(from, "digest-only"))
        out->pull_from = REGISTRIES_PULL_FROM_DIGEST_ONLY;
    else if (!strcmp(from, "tag-only"))
        out->pull_from = REGISTRIES_PULL_FROM_TAG_ONLY;
    else
        return registries_bad(x, cJSON_GetObjectItemCaseSensitive(m, "pull-from-mirror"),
                              "pull-from-mirror", "\"all\", \"digest-only\" or \"tag-only\"");
    out->location = xstrdup(loc);
    return 0;
}

static int
registries_entry_read(const struct registries_ctx *x, const cJSON *t, struct registries_entry *e)
{
    static const char *const known[] = {
        "prefix", "location", "insecure", "blocked", "mirror", "mirror-by-digest-only", NULL};
    const cJSON *mirrors = cJSON_GetObjectItemCaseSensitive(t, "mirror"), *m;
    const char *prefix, *loc;

    memset(e, 0, sizeof(*e));
    snprintf(e->where, sizeof(e->where), "%s:%d", x->file, toml_line(t));
    if (!cJSON_IsObject(t))
        return registries_bad(x, t, "registry", "a table ([[registry]])");
    registries_unknown(x, t, known, " in [[registry]]");
    if (registries_str(x, t, "prefix", &prefix) < 0 || registries_str(x, t, "location", &loc) < 0 ||
        registries_bool(x, t, "insecure", &e->insecure) < 0 ||
        registries_bool(x, t, "blocked", &e->blocked) < 0 ||
        registries_bool(x, t, "mirror-by-digest-only", &e->mirror_by_digest_only) < 0)
        return -1;
    if (prefix && !*prefix)
        prefix = NULL;
    if (loc && !*loc)
        loc = NULL;
    if (!prefix && !loc)
        return error_input(x->err, "%s: [[registry]] needs a location or a prefix", e->where);
    /* containers-registries.conf(5): "*.example.com" prefixes cannot be rewritten */
    if (prefix && !strncmp(prefix, "*.", 2)) {
        if (loc)
            return error_input(x->err, "%s: a wildcard prefix \"%s\" cannot have a location",
                               e->where, prefix);
        if (strchr(prefix, '/'))
            return error_input(x->err, "%s: wildcard prefix \"%s\" may name only a host", e->where,
                               prefix);
    } else if ((prefix && registries_location_ok(x, t, "prefix", prefix) < 0) ||
               (loc && registries_location_ok(x, t, "location", loc) < 0)) {
        return -1;
    }
    e->prefix = xstrdup(prefix ? prefix : loc);
    e->location =
        loc ? xstrdup(loc) : (prefix && strncmp(prefix, "*.", 2) ? xstrdup(prefix) : NULL);
    if (mirrors && !cJSON_IsArray(mirrors))
        return registries_bad(x, mirrors, "mirror", "an array of tables ([[registry.mirror]])");
    cJSON_ArrayForEach(m, mirrors)
    {
        e->mirrors = xrealloc(e->mirrors, (e->nmirrors + 1) * sizeof(*e->mirrors));
        memset(&e->mirrors[e->nmirrors], 0, sizeof(e->mirrors[0]));
        if (registries_mirror(x, m, &e->mirrors[e->nmirrors++]) < 0)
            return -1;
    }
    return 0;
}

static int
registries_regs(struct registries_conf *c, const struct registries_ctx *x, const cJSON *regs)
{
    const cJSON *t;

    if (!regs)
        return 0;
    if (!cJSON_IsArray(regs))
        return registries_bad(x, regs, "registry", "an array of tables ([[registry]])");
    cJSON_ArrayForEach(t, regs)
    {
        struct registries_entry e;
        size_t i;
        if (registries_entry_read(x, t, &e) < 0) {
            registries_entry_release(&e);
            return -1;
        }
        /* containers-registries.conf.d(5): a later table with the same prefix wins */
        for (i = 0; i < c->nregs && strcmp(c->regs[i].prefix, e.prefix); i++)
            ;
        if (i == c->nregs)
            c->regs = xrealloc(c->regs, ++c->nregs * sizeof(*c->regs));
        else
            registries_entry_release(&c->regs[i]);
        c->regs[i] = e;
    }
    return 0;
}

/* [aliases]: "short" = "host/path" (containers-registries.conf(5), "SHORT-NAME ALIASING"). */
static int
registries_aliases(struct registries_conf *c, const struct registries_ctx *x, const cJSON *t)
{
    const cJSON *v;

    if (!t)
        return 0;
    if (!cJSON_IsObject(t))
        return registries_bad(x, t, "aliases", "a table ([aliases])");
    cJSON_ArrayForEach(v, t)
    {
        struct reference k, r;
        struct error e;
        size_t i;
        int ok;
        if (!cJSON_IsString(v))
            return registries_bad(x, v, v->string, "a string");
        error_init(&e);
        ok = reference_parse(v->string, &k, &e) == 0;
        if (ok) {
            ok = !k.domain && !k.tag && !k.digest[0];
            reference_release(&k);
        }
        if (!ok)
            return error_input(x->err, "%s:%d: alias \"%s\": the name must be short, without tag",
                               x->file, toml_line(v), v->string);
        ok = !*v->valuestring || reference_parse(v->valuestring, &r, &e) == 0;
        if (ok && *v->valuestring) {
            ok = r.domain && !r.tag && !r.digest[0];
            reference_release(&r);
        }
        if (!ok)
            return error_input(x->err,
                               "%s:%d: alias \"%s\" = \"%s\": the value must be a registry and "
                               "repository without tag",
                               x->file, toml_line(v), v->string, v->valuestring);
        for (i = 0; i < c->aliases.n && strcmp(c->aliases.v[i], v->string); i += 2)
            ;
        if (i < c->aliases.n) {
            free(c->aliases.v[i + 1]);
            c->aliases.v[i + 1] = xstrdup(v->valuestring);
        } else {
            strvec_push(&c->aliases, v->string);
            strvec_push(&c->aliases, v->valuestring);
        }
    }
    return 0;
}

static int
registries_top(struct registries_conf *c, const struct registries_ctx *x, const cJSON *root)
{
    static const char *const known[] = {"unqualified-search-registries",
                                        "registry",
                                        "aliases",
                                        "credential-helpers",
                                        "short-name-mode",
                                        NULL};
    const char *mode;
    size_t i;

    if (cJSON_GetObjectItemCaseSensitive(root, "registries"))
        return error_input(x->err,
                           "%s:%d: the version 1 format ([registries.search] and the like) is "
                           "not supported; use unqualified-search-registries and [[registry]]",
                           x->file,
                           toml_line(cJSON_GetObjectItemCaseSensitive(root, "registries")));
    registries_unknown(x, root, known, "");
    if (registries_strs(x, root, "unqualified-search-registries", &c->search, &c->search_set) < 0 ||
        registries_strs(x, root, "credential-helpers", &c->cred_helpers, NULL) < 0 ||
        registries_str(x, root, "short-name-mode", &mode) < 0)
        return -1;
    for (i = 0; i < c->search.n; i++)
        if (!registries_is_location(c->search.v[i], 1))
            return error_input(x->err, "%s: unqualified-search-registries: \"%s\" is not a host",
                               x->file, c->search.v[i]);
    if (mode) {
        if (strcmp(mode, "enforcing") && strcmp(mode, "permissive") && strcmp(mode, "disabled"))
            return registries_bad(x, cJSON_GetObjectItemCaseSensitive(root, "short-name-mode"),
                                  "short-name-mode",
                                  "\"enforcing\", \"permissive\" or \"disabled\"");
        snprintf(c->short_name_mode, sizeof(c->short_name_mode), "%s", mode);
    }
    if (registries_aliases(c, x, cJSON_GetObjectItemCaseSensitive(root, "aliases")) < 0)
        return -1;
    return registries_regs(c, x, cJSON_GetObjectItemCaseSensitive(root, "registry"));
}

int
registries_conf_parse(struct registries_conf *c, const char *text, size_t len, const char *file,
                      struct error *err)
{
    cleanup_cjson cJSON *root = toml_parse(text, len, file, err);
    struct registries_ctx x = {file, err};

    if (!root)
        return -1;
    strvec_push(&c->files, file);
    return registries_top(c, &x, root);
}

int
registries_conf_load_file(struct registries_conf *c, const char *path, struct error *err)
{
    cleanup_buf struct buf b = BUF_INIT;

    if (fs_read_file_max(AT_FDCWD, path, REGISTRIES_CONF_MAX, &b, err) < 0)
        return -1;
    return registries_conf_parse(c, buf_cstr(&b), b.len, path, err);
}

static int
registries_name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* containers-registries.conf.d(5): the *.conf files of dir, by name. */
static int
registries_load_dir(struct registries_conf *c, const char *dir, struct error *err)
{
    cleanup_strvec struct strvec names = STRVEC_INIT;
    cleanup_closedir DIR *d = opendir(dir);
    struct dirent *de;
    size_t i;

    if (!d)
        return 0;
    while ((de = readdir(d))) {
        size_t n = strlen(de->d_name);
        if (de->d_name[0] != '.' && n > 5 && !strcmp(de->d_name + n - 5, ".conf"))
            strvec_push(&names, de->d_name);
    }
    if (names.n)
        qsort(names.v, names.n, sizeof(char *), registries_name_cmp);
    for (i = 0; i < names.n; i++) {
        cleanup_free char *p = xasprintf("%s/%s", dir, names.v[i]);
        if (registries_conf_load_file(c, p, err) < 0)
            return -1;
    }
    return 0;
}

int
registries_conf_load(struct registries_conf *c, struct error *err)
{
    const char *env = getenv("CONTAINERS_REGISTRIES_CONF");
    const char *home = getenv("HOME");
    cleanup_free char *user = NULL, *user_d = NULL;

    registries_conf_init(c);
    if (env && *env)
        return registries_conf_load_file(c, env, err);
    if (home && *home) {
        user = xasprintf("%s/.config/containers/registries.conf", home);
        user_d = xasprintf("%s/.config/containers/registries.conf.d", home);
    }
    if (user && fs_exists(AT_FDCWD, user)) {
        if (registries_conf_load_file(c, user, err) < 0)
            return -1;
    } else if (fs_exists(AT_FDCWD, REGISTRIES_SYSTEM) &&
               registries_conf_load_file(c, REGISTRIES_SYSTEM, err) < 0) {
        return -1;
    }
    if (registries_load_dir(c, REGISTRIES_SYSTEM_D, err) < 0)
        return -1;
    return user_d ? registries_load_dir(c, user_d, err) : 0;
}

/* ---- using it ---- */

static size_t
registries_prefix_len(const char *prefix, const char *name)
{
    size_t n = strlen(prefix);

    if (!strncmp(prefix, "*.", 2)) {
        /* the host part of name (without port) ends with ".example.com" */
        size_t hn = strcspn(name, "/:"), sn = n - 1;
        return hn > sn && !strncmp(name + hn - sn, prefix + 1, sn) ? n : 0;
    }
    if (strncmp(name, prefix, n) != 0 || (name[n] && name[n] != '/'))
        return 0;
    return n;
}

const struct registries_entry *
registries_conf_match(const struct registries_conf *c, const char *name)
{
    const struct registries_entry *best = NULL;
    size_t i, best_n = 0;

    for (i = 0; i < c->nregs; i++) {
        size_t n = registries_prefix_len(c->regs[i].prefix, name);
        if (n > best_n) {
            best = &c->regs[i];
            best_n = n;
        }
    }
    return best;
}

const char *
registries_conf_alias(const struct registries_conf *c, const char *name)
{
    size_t i;

    for (i = 0; i + 1 < c->aliases.n; i += 2)
        if (!strcmp(c->aliases.v[i], name))
            return *c->aliases.v[i + 1] ? c->aliases.v[i + 1] : NULL;
    return NULL;
}

void
registries_conf_search(const struct registries_conf *c, struct strvec *out)
{
    if (c->search.n)
        strvec_copy(out, &c->search);
    else if (!c->search_set)
        strvec_push(out, REFERENCE_DOCKER_HUB);
}

/* "location" + what of name follows the prefix, split into host and repository. */
static void
registries_add_source(struct registries_source **out, size_t *n, const char *location,
                      const char *rest, int insecure, int mirror)
{
    cleanup_free char *full = xasprintf("%s%s", location, rest);
    const char *slash = strchr(full, '/');
    struct registries_source *s;

    *out = xrealloc(*out, (*n + 1) * sizeof(**out));
    s = &(*out)[(*n)++];
    s->host = slash ? xstrndup(full, (size_t)(slash - full)) : xstrdup(full);
    s->repo = xstrdup(slash ? slash + 1 : "");
    s->insecure = insecure;
    s->mirror = mirror;
}

int
registries_conf_sources(const struct registries_conf *c, const struct reference *r,
                        struct registries_source **out, size_t *n, struct error *err)
{
    cleanup_free char *name = reference_name(r);
    const struct registries_entry *e = registries_conf_match(c, name);
    const char *rest = name;
    size_t i;
    int by_digest = r->digest[0] != 0;

    *out = NULL;
    *n = 0;
    if (!e) {
        registries_add_source(out, n, "", name, 0, 0);
        return 0;
    }
    if (e->blocked)
        return error_set(err, 0, "registry of %s is blocked (%s)", name, e->where);
    if (e->location)
        rest = name + strlen(e->prefix);
    for (i = 0; e->location && i < e->nmirrors; i++) {
        const struct registries_mirror *m = &e->mirrors[i];
        if ((e->mirror_by_digest_only || m->pull_from == REGISTRIES_PULL_FROM_DIGEST_ONLY) &&
            !by_digest)
            continue;
        if (m->pull_from == REGISTRIES_PULL_FROM_TAG_ONLY && by_digest)
            continue;
        registries_add_source(out, n, m->location, rest, m->insecure, 1);
    }
    registries_add_source(out, n, e->location ? e->location : "", rest, e->insecure, 0);
    return 0;
}

void
registries_sources_free(struct registries_source *s, size_t n)
{
    size_t i;

    for (i = 0; s && i < n; i++) {
        free(s[i].host);
        free(s[i].repo);
    }
    free(s);
}

int
registries_conf_insecure(const struct registries_conf *c, const char *host)
{
    const struct registries_entry *e = registries_conf_match(c, host);
    size_t i;

    if (e && e->insecure)
        return 1;
    /* a mirror's own insecure flag applies to its host */
    for (i = 0; i < c->nregs; i++) {
        size_t j;
        for (j = 0; j < c->regs[i].nmirrors; j++) {
            const char *loc = c->regs[i].mirrors[j].location;
            size_t hn = strcspn(loc, "/");
            if (c->regs[i].mirrors[j].insecure && strlen(host) == hn && !strncmp(loc, host, hn))
                return 1;
        }
    }
    return 0;
}
