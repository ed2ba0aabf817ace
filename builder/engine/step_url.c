/*
 * ADD <url> (Dockerfile reference, "ADD"): each URL's file name and content
 * digest, which go into the step's key, and its download.
 *
 * As BuildKit's HTTP source does, a URL fetched before is not fetched again
 * to compute the key: its ETag and Last-Modified were kept (in a record of
 * the step cache, under a key derived from the URL), and a HEAD request that
 * answers the same ones lets the kept content digest stand in. With
 * --checksum the digest is known without any request. The content is then
 * downloaded only when the step itself is not cached.
 *
 * Requests go out from the step's network position, as a RUN's would: by
 * default through sockets made in a private network namespace with a
 * user-mode network (netbroker.h, started at the first request), so a URL
 * naming a service that listens only on the host's loopback reaches
 * nothing; with --network host from the host's network; with --network
 * none not at all.
 */
#include "builder/engine/step_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "builder/sandbox/netbroker.h"
#include "formats/core/buf.h"
#include "formats/core/log.h"
#include "formats/core/mem.h"
#include "formats/http.h"
#include "formats/json.h"
#include "store/cache.h"

#include "formats/core/banned.h"

#define STEP_URL_RECORD "strata-url-v1"

/* Decodes %XX escapes of s[0..n) into out (Go's url.Parse gives the decoded path). */
static void
step_url_unescape(const char *s, size_t n, struct buf *out)
{
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned v;
        if (s[i] == '%' && i + 2 < n && sscanf(s + i + 1, "%2x", &v) == 1) {
            buf_addch(out, (char)v);
            i += 2;
        } else {
            buf_addch(out, s[i]);
        }
    }
}

/*
 * The file name ADD gives a URL's content: the last element of the URL's
 * path, or "__unnamed__" when there is none (BuildKit's dispatchCopy: a
 * base of "." or "/" names nothing).
 */
static void
step_url_name(const char *url, char out[256])
{
    const char *p = strstr(url, "://");
    const char *end, *base;
    cleanup_buf struct buf name = BUF_INIT;

    p = p ? p + 3 : url;
    p += strcspn(p, "/?#");
    end = p + strcspn(p, "?#");
    while (end > p && end[-1] == '/')
        end--;
    for (base = end; base > p && base[-1] != '/'; base--)
        ;
    step_url_unescape(base, (size_t)(end - base), &name);
    if (!name.len || !strcmp(buf_cstr(&name), ".") || !strcmp(buf_cstr(&name), "..") ||
        strchr(buf_cstr(&name), '/') || name.len >= 256)
        snprintf(out, 256, "__unnamed__");
    else
        memcpy(out, buf_cstr(&name), name.len + 1);
}

/* The sockets requests use: the step's private network (started now), or NULL for the host's. */
static const struct http_sockets *
step_urls_via(struct build *b, struct step_urls *us, struct error *err)
{
    if (b->o->network != SANDBOX_NET_PRIVATE)
        return NULL;
    if (!us->nb_started) {
        if (netbroker_start(&us->nb, err) < 0)
            return NULL;
        us->nb_started = 1;
        us->via.open = netbroker_socket;
        us->via.arg = &us->nb;
    }
    return &us->via;
}

/* Where the URL's ETag, Last-Modified and digest are kept between builds. */
static void
step_url_record_key(const char *url, char key[DIGEST_STR_LEN + 1])
{
    cleanup_free char *what = xasprintf("%s\n%s", STEP_URL_RECORD, url);

    digest_bytes(what, strlen(what), key);
}

static void
step_url_remember(struct build *b, const char *url, const struct http_result *res)
{
    cleanup_cjson cJSON *rec = cJSON_CreateObject();
    cleanup_free char *text = NULL;
    char key[DIGEST_STR_LEN + 1];
    struct error e;

    if (!res->etag[0] && res->last_modified < 0)
        return; /* nothing to check a rebuild against */
    cJSON_AddStringToObject(rec, "url", url);
    cJSON_AddStringToObject(rec, "etag", res->etag);
    if (res->last_modified >= 0) /* absent: the server sent none */
        cJSON_AddNumberToObject(rec, "last_modified", (double)res->last_modified);
    cJSON_AddStringToObject(rec, "digest", res->digest);
    text = json_print(rec);
    step_url_record_key(url, key);
    error_init(&e);
    if (cache_put(b->store, key, text, &e) < 0)
        log_warn("ADD %s: %s", url, e.msg);
}

/*
 * Whether the URL still has the content of the last download: 1 (and u's
 * digest and time set) when a HEAD request answers the kept ETag (or, for
 * a server without ETags, the kept Last-Modified).
 */
static int
step_url_unchanged(struct build *b, struct step_urls *us, struct step_url *u)
{
    const struct http_sockets *via;
    cleanup_buf struct buf text = BUF_INIT;
    cleanup_cjson cJSON *rec = NULL;
    char key[DIGEST_STR_LEN + 1];
    struct http_result head;
    const char *etag, *dg;
    long long lm = -1;
    struct error e;

    step_url_record_key(u->url, key);
    error_init(&e);
    if (cache_get(b->store, key, &text, &e) != 0 ||
        !(rec = json_parse(buf_cstr(&text), text.len, "url record", &e)))
        return 0;
    etag = json_string(rec, "etag", 0, "", &e);
    dg = json_string(rec, "digest", 0, "", &e);
    if (!etag || !dg || digest_validate(dg, &e) < 0 ||
        json_int(rec, "last_modified", 0, &lm, "", &e) < 0 || (!*etag && lm < 0))
        return 0;
    via = step_urls_via(b, us, &e);
    if ((!via && b->o->network == SANDBOX_NET_PRIVATE) ||
        http_head_via(u->url, via, &head, &e) < 0) {
        log_debug("ADD %s: HEAD failed (%s), downloading", u->url, e.msg);
        return 0;
    }
    if (*etag ? strcmp(head.etag, etag) != 0 : (head.etag[0] || head.last_modified != lm))
        return 0;
    memcpy(u->digest, dg, sizeof(u->digest));
    u->last_modified = lm;
    return 1;
}

/* Downloads u into the downloads dir under its name (mode 0600, mtime Last-Modified). */
static int
step_url_get(struct build *b, struct step_urls *us, struct step_url *u, size_t i, const char *where,
             struct error *err)
{
    cleanup_free char *tmpname = xasprintf("download-%zu", i);
    cleanup_close int fd = openat(us->dfd, tmpname, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    const struct http_sockets *via;
    struct http_result res;

    if (fd < 0)
        return error_set(err, errno, "%s/%s", us->dir, tmpname);
    via = step_urls_via(b, us, err);
    if (!via && b->o->network == SANDBOX_NET_PRIVATE)
        return error_wrap(err, "%s: ADD", where);
    if (http_download_via(u->url, fd, via, &res, err) < 0)
        return error_wrap(err, "%s", where);
    if (us->checksum && strcmp(us->checksum, res.digest))
        return error_input(err, "%s: ADD %s: content is %s, --checksum says %s", where, u->url,
                           res.digest, us->checksum);
    if (u->digest[0] && strcmp(u->digest, res.digest))
        return error_set(err, 0, "%s: ADD %s: the content changed during the build (%s, then %s)",
                         where, u->url, u->digest, res.digest);
    if (renameat(us->dfd, tmpname, us->dfd, u->name) < 0)
        return error_set(err, errno, "%s/%s", us->dir, u->name);
    if (res.last_modified >= 0) {
        struct timespec ts[2] = {{(time_t)res.last_modified, 0}, {(time_t)res.last_modified, 0}};
        utimensat(us->dfd, u->name, ts, 0);
    }
    memcpy(u->digest, res.digest, sizeof(u->digest));
    u->fetched = 1;
    if (!us->checksum)
        step_url_remember(b, u->url, &res);
    return 0;
}

int
step_urls_resolve(struct build *b, const struct parse_instr *in, const struct strvec *words,
                  const char *checksum, struct step_urls *us, struct strvec *names,
                  struct cachekey *k, char srcd[DIGEST_STR_LEN + 1], const char *where,
                  struct error *err)
{
    struct cachekey sk;
    size_t i;

    if (in->kind != INSTR_ADD)
        return error_input(err, "%s: COPY does not download URLs (use ADD)", where);
    if (checksum && (digest_validate(checksum, err) < 0 || words->n != 2))
        return error_input(err, "%s: ADD --checksum=%s: needs one URL and a sha256:<hex> digest",
                           where, checksum);
    if (b->o->network == SANDBOX_NET_NONE)
        return error_input(err, "%s: ADD %s: the build has no network (--network none)", where,
                           words->v[0]);
    us->checksum = checksum;
    us->dfd = -1;
    netbroker_init(&us->nb);
    if (mkdir(us->dir, 0700) < 0 ||
        (us->dfd = open(us->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
        return error_set(err, errno, "mkdir %s", us->dir);
    us->v = xcalloc(words->n, sizeof(*us->v));
    cachekey_init(&sk, "urls");
    for (i = 0; i + 1 < words->n; i++) {
        struct step_url *u = &us->v[us->n++];
        u->url = xstrdup(words->v[i]);
        u->last_modified = -1;
        step_url_name(u->url, u->name);
        if (strncmp(u->url, "http://", 7) && strncmp(u->url, "https://", 8)) {
            digest_release(&sk.d);
            return error_input(err, "%s: ADD mixes URLs and local files", where);
        }
        if (checksum)
            memcpy(u->digest, checksum, sizeof(u->digest)); /* --checksum is the content */
        else if (!step_url_unchanged(b, us, u) && step_url_get(b, us, u, i, where, err) < 0) {
            digest_release(&sk.d);
            return -1;
        }
        strvec_push(names, u->name);
        cachekey_add(&sk, u->name, u->digest);
    }
    cachekey_final(&sk, srcd);
    cachekey_add(k, "sources", srcd);
    return 0;
}

int
step_urls_fetch(struct build *b, struct step_urls *us, const char *where, struct error *err)
{
    size_t i;

    for (i = 0; i < us->n; i++)
        if (!us->v[i].fetched && step_url_get(b, us, &us->v[i], i, where, err) < 0)
            return -1;
    return 0;
}

void
step_urls_record(const struct step_urls *us, cJSON *urls)
{
    size_t i;

    for (i = 0; i < us->n; i++) {
        cJSON *u = cJSON_CreateObject();
        cJSON_AddStringToObject(u, "url", us->v[i].url);
        cJSON_AddStringToObject(u, "digest", us->v[i].digest);
        cJSON_AddStringToObject(u, "file", us->v[i].name);
        cJSON_AddItemToArray(urls, u);
    }
}

void
step_urls_release(struct step_urls *us)
{
    size_t i;

    if (us->nb_started)
        netbroker_stop(&us->nb);
    us->nb_started = 0;

    for (i = 0; i < us->n; i++)
        free(us->v[i].url);
    free(us->v);
    if (us->dfd >= 0)
        close(us->dfd);
    us->v = NULL;
    us->n = 0;
    us->dfd = -1;
}
