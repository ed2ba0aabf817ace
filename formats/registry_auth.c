#include "formats/registry_auth.h"

#include <ctype.h>
#include <string.h>

#include "formats/core/buf.h"
#include "formats/core/mem.h"
#include "formats/json.h"

#include "formats/core/banned.h"

void
registry_challenge_release(struct registry_challenge *c)
{
    if (!c)
        return;
    free(c->realm);
    free(c->service);
    free(c->scope);
    free(c->error);
    memset(c, 0, sizeof(*c));
}

static const char *
registry_auth_skip(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* RFC 7230 token characters. */
static int
registry_auth_tchar(int ch)
{
    return isalnum(ch) || (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

/* Reads a token or a quoted-string at *p into out; advances *p. */
static int
registry_auth_value(const char **p, struct buf *out)
{
    const char *s = *p;

    buf_reset(out);
    if (*s != '"') {
        /* token68 / token: tolerate '/' ':' '=' which real servers send unquoted */
        while (*s && *s != ',' && *s != ' ' && *s != '\t' && *s != '"')
            buf_addch(out, *s++);
        *p = s;
        return out->len ? 0 : -1;
    }
    for (s++; *s && *s != '"'; s++) {
        if (*s == '\\' && s[1])
            s++;
        buf_addch(out, *s);
    }
    if (*s != '"')
        return -1;
    *p = s + 1;
    return 0;
}

static void
registry_auth_set(struct registry_challenge *c, const char *key, size_t klen, const char *v)
{
    char **slot = NULL;

    if (klen == 5 && !strncasecmp(key, "realm", 5))
        slot = &c->realm;
    else if (klen == 7 && !strncasecmp(key, "service", 7))
        slot = &c->service;
    else if (klen == 5 && !strncasecmp(key, "scope", 5))
        slot = &c->scope;
    else if (klen == 5 && !strncasecmp(key, "error", 5))
        slot = &c->error;
    if (slot && !*slot)
        *slot = xstrdup(v);
}

int
registry_auth_parse(const char *header, struct registry_challenge *c, struct error *err)
{
    cleanup_buf struct buf v = BUF_INIT;
    struct registry_challenge r;
    const char *p = registry_auth_skip(header ? header : "");
    size_t n = 0, i;

    memset(&r, 0, sizeof(r));
    while (registry_auth_tchar((unsigned char)p[n]))
        n++;
    if (n == 0 || n >= sizeof(r.scheme))
        return error_input(err, "WWW-Authenticate: no auth scheme in \"%.80s\"",
                           header ? header : "");
    for (i = 0; i < n; i++)
        r.scheme[i] = (char)tolower((unsigned char)p[i]);
    p = registry_auth_skip(p + n);
    while (*p) {
        const char *key = p;
        size_t klen = 0;
        while (registry_auth_tchar((unsigned char)key[klen]))
            klen++;
        p = registry_auth_skip(key + klen);
        if (klen == 0 || *p != '=') {
            if (klen && (*p == ',' || !*p)) /* a second challenge or token68: stop here */
                break;
            registry_challenge_release(&r);
            return error_input(err, "WWW-Authenticate: malformed parameters in \"%.80s\"", header);
        }
        p = registry_auth_skip(p + 1);
        if (registry_auth_value(&p, &v) < 0) {
            registry_challenge_release(&r);
            return error_input(err, "WWW-Authenticate: malformed value in \"%.80s\"", header);
        }
        registry_auth_set(&r, key, klen, buf_cstr(&v));
        p = registry_auth_skip(p);
        if (*p == ',')
            p = registry_auth_skip(p + 1);
    }
    *c = r;
    return 0;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *
registry_auth_b64(const void *data, size_t n)
{
    const unsigned char *s = data;
    struct buf out = BUF_INIT;
    size_t i;

    for (i = 0; i + 2 < n; i += 3) {
        unsigned v = (unsigned)s[i] << 16 | (unsigned)s[i + 1] << 8 | s[i + 2];
        char q[4] = {b64[v >> 18], b64[(v >> 12) & 63], b64[(v >> 6) & 63], b64[v & 63]};
        buf_add(&out, q, 4);
    }
    if (n - i == 1) {
        unsigned v = (unsigned)s[i] << 16;
        char q[4] = {b64[v >> 18], b64[(v >> 12) & 63], '=', '='};
        buf_add(&out, q, 4);
    } else if (n - i == 2) {
        unsigned v = (unsigned)s[i] << 16 | (unsigned)s[i + 1] << 8;
        char q[4] = {b64[v >> 18], b64[(v >> 12) & 63], b64[(v >> 6) & 63], '='};
        buf_add(&out, q, 4);
    }
    if (!out.data)
        return xstrdup("");
    return buf_detach(&out);
}

int
registry_auth_unb64(const char *s, char **out, size_t *out_len)
{
    struct buf o = BUF_INIT;
    unsigned v = 0;
    int bits = 0;
    size_t n = strlen(s);

    while (n && s[n - 1] == '=')
        n--;
    for (size_t i = 0; i < n; i++) {
        const char *c = s[i] ? strchr(b64, s[i]) : NULL;
        if (!c) {
            buf_release(&o);
            return -1;
        }
        v = (v << 6) | (unsigned)(c - b64);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf_addch(&o, (char)((v >> bits) & 0xff));
        }
    }
    *out_len = o.len;
    *out = o.data ? buf_detach(&o) : xstrdup("");
    return 0;
}

static const cJSON *
registry_auth_entry(const cJSON *auths, const char *host)
{
    static const char *const pre[] = {"", "https://", "http://", "https://", "https://"};
    static const char *const post[] = {"", "", "", "/v1/", "/v2/"};
    size_t i;

    for (i = 0; i < sizeof(pre) / sizeof(pre[0]); i++) {
        char key[512];
        const cJSON *e;
        snprintf(key, sizeof(key), "%s%s%s", pre[i], host, post[i]);
        e = cJSON_GetObjectItemCaseSensitive(auths, key);
        if (cJSON_IsObject(e))
            return e;
    }
    if (!strcmp(host, "docker.io"))
        return registry_auth_entry(auths, "index.docker.io");
    return NULL;
}

/*
 * containers-auth.json(5): keys may name a namespace or a repository
 * ("host/ns/repo"); the most specific one that matches wins, then the host.
 */
static const cJSON *
registry_auth_scoped(const cJSON *auths, const char *host, const char *repo, char *key, size_t n)
{
    size_t len;

    snprintf(key, n, "%s/%s", host, repo ? repo : "");
    for (len = strlen(key); repo && *repo && len > strlen(host); len--) {
        const cJSON *e;
        if (key[len] != '\0' && key[len] != '/')
            continue;
        key[len] = '\0';
        e = cJSON_GetObjectItemCaseSensitive(auths, key);
        if (cJSON_IsObject(e))
            return e;
    }
    snprintf(key, n, "%s", host);
    return registry_auth_entry(auths, host);
}

int
registry_auth_lookup(const char *config_json, size_t len, const char *host, const char *repo,
                     char **user, char **pass, struct error *err)
{
    char key[600];
    cleanup_cjson cJSON *j = json_parse(config_json, len, "docker config.json", err);
    const cJSON *e, *a, *u, *pw;
    cleanup_free char *dec = NULL;
    size_t n;
    char *colon;

    if (!j)
        return -1;
    e = registry_auth_scoped(cJSON_GetObjectItemCaseSensitive(j, "auths"), host, repo, key,
                             sizeof(key));
    if (!e)
        return 1;
    a = cJSON_GetObjectItemCaseSensitive(e, "auth");
    u = cJSON_GetObjectItemCaseSensitive(e, "username");
    pw = cJSON_GetObjectItemCaseSensitive(e, "password");
    if (cJSON_IsString(u) && cJSON_IsString(pw)) {
        *user = xstrdup(u->valuestring);
        *pass = xstrdup(pw->valuestring);
        return 0;
    }
    if (!cJSON_IsString(a) || !*a->valuestring)
        return 1;
    if (registry_auth_unb64(a->valuestring, &dec, &n) < 0 || strlen(dec) != n ||
        !(colon = strchr(dec, ':')))
        return error_input(err, "auths[\"%s\"].auth is not base64 of user:password", key);
    *user = xstrndup(dec, (size_t)(colon - dec));
    *pass = xstrdup(colon + 1);
    return 0;
}
