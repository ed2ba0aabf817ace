#include "formats/registry.h"

#define OCI_MEDIA_INDEX_ACCEPT "application/vnd.oci.image.index.v1+json"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "formats/core/fsutil.h"
#include "formats/core/log.h"
#include "formats/core/units.h"
#include "formats/core/mem.h"
#include "formats/curl_lib.h"
#include "formats/json.h"
#include "formats/credentials.h"
#include "formats/reference.h"
#include "formats/registry_auth.h"
#include "formats/registry_tls.h"

#include "formats/core/banned.h"

/* ---- references ---- */

void
registry_ref_release(struct registry_ref *r)
{
    if (!r)
        return;
    free(r->host);
    free(r->repo);
    free(r->tag);
    memset(r, 0, sizeof(*r));
}

int
registry_ref_is_remote(const char *name)
{
    const char *slash = strchr(name, '/');
    struct reference r;
    struct error e;
    int remote;

    if (!slash)
        return 0;
    error_init(&e);
    if (reference_parse(name, &r, &e) < 0)
        return 0;
    remote = r.domain != NULL;
    reference_release(&r);
    return remote;
}

int
registry_ref_parse(const char *s, struct registry_ref *r, struct error *err)
{
    struct reference ref;

    if (reference_parse(s, &ref, err) < 0)
        return -1;
    reference_qualify(&ref, REGISTRY_DEFAULT_HOST);
    if (reference_check_length(s, &ref, err) < 0) {
        reference_release(&ref);
        return -1;
    }
    reference_default_tag(&ref);
    memset(r, 0, sizeof(*r));
    r->host = steal_ptr(&ref.domain);
    r->repo = steal_ptr(&ref.path);
    r->tag = steal_ptr(&ref.tag);
    memcpy(r->digest, ref.digest, sizeof(r->digest));
    reference_release(&ref);
    return 0;
}

char *
registry_ref_format(const struct registry_ref *r)
{
    struct buf b = BUF_INIT;

    buf_addf(&b, "%s/%s", r->host, r->repo);
    if (r->tag)
        buf_addf(&b, ":%s", r->tag);
    if (r->digest[0])
        buf_addf(&b, "@%s", r->digest);
    return buf_detach(&b);
}

void
registry_opts_init(struct registry_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->tls_verify = 1;
}

/* ---- URLs ---- */

char *
registry_url_resolve(const char *base, const char *location)
{
    const char *scheme_end = strstr(base, "://");
    const char *path, *slash;

    if (strstr(location, "://"))
        return xstrdup(location);
    path = scheme_end ? strchr(scheme_end + 3, '/') : NULL;
    if (location[0] == '/') {
        size_t n = path ? (size_t)(path - base) : strlen(base);
        if (location[1] == '/' && scheme_end) /* scheme-relative */
            return xasprintf("%.*s:%s", (int)(scheme_end - base), base, location);
        return xasprintf("%.*s%s", (int)n, base, location);
    }
    /* relative path: against the directory of base's path */
    if (!path)
        return xasprintf("%s/%s", base, location);
    slash = strrchr(path, '/');
    {
        const char *q = strchr(path, '?');
        if (q)
            for (slash = q; slash > path && *slash != '/'; slash--)
                ;
    }
    return xasprintf("%.*s/%s", (int)(slash - base), base, location);
}

/* Everything but RFC 3986's unreserved characters (section 2.3) is percent-encoded. */
char *
registry_url_add_query(const char *url, const char *key, const char *value)
{
    static const char hex[] = "0123456789ABCDEF";
    struct buf b = BUF_INIT;
    const unsigned char *v;

    buf_addf(&b, "%s%c%s=", url, strchr(url, '?') ? '&' : '?', key);
    for (v = (const unsigned char *)value; *v; v++) {
        if (isalnum(*v) || *v == '-' || *v == '.' || *v == '_' || *v == '~') {
            buf_addch(&b, (char)*v);
        } else {
            buf_addch(&b, '%');
            buf_addch(&b, hex[*v >> 4]);
            buf_addch(&b, hex[*v & 15]);
        }
    }
    return buf_detach(&b);
}

int
registry_range_end(const char *range, long long *end)
{
    const char *p = range;
    char *e;
    long long a, b;

    if (!strncmp(p, "bytes=", 6))
        p += 6;
    if (!isdigit((unsigned char)*p))
        return -1;
    errno = 0;
    a = strtoll(p, &e, 10);
    if (errno || *e != '-' || !isdigit((unsigned char)e[1]))
        return -1;
    b = strtoll(e + 1, &e, 10);
    if (errno || *e || b < a || a != 0)
        return -1;
    *end = b;
    return 0;
}

/* ---- HTTP ---- */

struct registry_client {
    const struct curl_lib *lc; /* curl_lib.h */
    CURL *curl;
    char *host;     /* the registry's name: "docker.io", "127.0.0.1:5000" */
    char *endpoint; /* what is contacted: "registry-1.docker.io" for docker.io */
    char *repo, *base;
    int insecure, push, max_tries;
    long delay_ms;
    long timeout_s;        /* STRATA_REGISTRY_TIMEOUT: every request; -1: by request */
    long low_speed_time_s; /* below REGISTRY_LOW_SPEED bytes/s this long aborts */
    long connect_timeout;  /* seconds */
    size_t chunk;
    char *user, *pass;
    char cred_source[320]; /* where user and pass came from */
    char *auth;            /* "Authorization: ..." header line, or NULL */
    char *extra_scope;     /* asked for with the next token */
    char *pending;         /* upload URL left by a mount the registry did not do */
    struct registry_tls tls;
    CURLcode last_rc; /* of the last transfer */
    void (*xfer)(void *opaque, const char *digest, long long done, long long total);
    void *xfer_opaque;
    char errbuf[CURL_ERROR_SIZE];
};

struct registry_req {
    const char *method;
    const char *url;
    const char *content_type;
    const char *accept;
    const char *content_range;
    const char *auth_override; /* header used instead of c->auth (token fetch) */
    const void *body;          /* memory body, or */
    int body_fd;               /* fd body read with pread (-1: none) */
    long long body_off, body_len;
    int has_body;
    /* response */
    long status;
    struct buf *out;
    size_t out_max;
    int out_fd;
    long long out_limit; /* bytes allowed to out_fd; < 0 no limit */
    long long out_n;
    struct digest_ctx *hash;
    int too_big;
    long timeout_s;    /* the whole request; set by registry_req_init, raised for blobs */
    long resp_status;  /* of the answer being received (from its status line) */
    long long dropped; /* bytes of error bodies thrown away */
    int error_flood;   /* an error body went past REGISTRY_ERROR_BODY_MAX */
    struct buf location, digest_hdr, ctype, www_auth, range;
    struct buf retry_after, rl_limit, rl_remaining;
    long long pos;           /* read position of an fd/memory body */
    const char *xfer_digest; /* report download progress of this blob */
    struct registry_client *xfer_c;
    long long xfer_total;
    double xfer_last_ms;
};

static void
registry_req_init(struct registry_req *q, const char *method, const char *url)
{
    memset(q, 0, sizeof(*q));
    q->method = method;
    q->url = url;
    q->body_fd = -1;
    q->out_fd = -1;
    q->out_limit = -1;
    q->timeout_s = REGISTRY_TIMEOUT;
}

/* A blob's request may take the base timeout plus its size at REGISTRY_SLOWEST_RATE. */
static void
registry_req_size_timeout(struct registry_req *q, long long size)
{
    if (size > 0)
        q->timeout_s = REGISTRY_TIMEOUT + (long)(size / REGISTRY_SLOWEST_RATE);
}

static void
registry_req_release(struct registry_req *q)
{
    buf_release(&q->location);
    buf_release(&q->digest_hdr);
    buf_release(&q->ctype);
    buf_release(&q->www_auth);
    buf_release(&q->range);
    buf_release(&q->retry_after);
    buf_release(&q->rl_limit);
    buf_release(&q->rl_remaining);
}

static void
registry_header_value(struct buf *dst, const char *v, size_t n)
{
    while (n && (*v == ' ' || *v == '\t')) {
        v++;
        n--;
    }
    while (n && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' '))
        n--;
    buf_reset(dst);
    buf_add(dst, v, n);
}

static size_t
registry_on_header(char *data, size_t size, size_t nmemb, void *opaque)
{
    struct registry_req *q = opaque;
    size_t n = size * nmemb;
    const char *colon = memchr(data, ':', n);
    static const struct {
        const char *name;
        size_t off;
    } keep[] = {
        {"location", offsetof(struct registry_req, location)},
        {"docker-content-digest", offsetof(struct registry_req, digest_hdr)},
        {"content-type", offsetof(struct registry_req, ctype)},
        {"www-authenticate", offsetof(struct registry_req, www_auth)},
        {"range", offsetof(struct registry_req, range)},
        {"retry-after", offsetof(struct registry_req, retry_after)},
        /* Docker Hub's rate-limit headers ("100;w=21600") */
        {"ratelimit-limit", offsetof(struct registry_req, rl_limit)},
        {"ratelimit-remaining", offsetof(struct registry_req, rl_remaining)},
    };
    size_t i;

    if (n >= 5 && !strncmp(data, "HTTP/", 5)) {
        /* a new response (after a redirect or 100): forget the previous headers */
        const char *sp = memchr(data, ' ', n);
        for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
            buf_reset((struct buf *)((char *)q + keep[i].off));
        q->resp_status = sp && (size_t)(sp - data) + 4 <= n ? strtol(sp + 1, NULL, 10) : 0;
        return n;
    }
    for (i = 0; colon && i < sizeof(keep) / sizeof(keep[0]); i++) {
        size_t kl = strlen(keep[i].name);
        if ((size_t)(colon - data) == kl && !strncasecmp(data, keep[i].name, kl))
            registry_header_value((struct buf *)((char *)q + keep[i].off), colon + 1, n - kl - 1);
    }
    return n;
}

static size_t
registry_on_body(char *data, size_t size, size_t nmemb, void *opaque)
{
    struct registry_req *q = opaque;
    size_t n = size * nmemb;
    struct error err;

    if (q->resp_status >= 300) {
        /* error and redirect bodies are dropped, and a registry may not send them forever */
        q->dropped += (long long)n;
        if (q->dropped > REGISTRY_ERROR_BODY_MAX) {
            q->error_flood = 1;
            return 0;
        }
        return n;
    }
    if (q->out_fd >= 0) {
        if (q->out_limit >= 0 && q->out_n + (long long)n > q->out_limit) {
            q->too_big = 1;
            return 0;
        }
        error_init(&err);
        if (fs_write_all(q->out_fd, data, n, &err) < 0)
            return 0;
        if (q->hash)
            digest_update(q->hash, data, n);
        q->out_n += (long long)n;
        return n;
    }
    if (q->out) {
        if (q->out->len + n > q->out_max) {
            q->too_big = 1;
            return 0;
        }
        buf_add(q->out, data, n);
    }
    return n; /* error bodies are dropped */
}

static size_t
registry_on_read(char *dst, size_t size, size_t nmemb, void *opaque)
{
    struct registry_req *q = opaque;
    size_t cap = size * nmemb;
    long long left = q->body_len - q->pos;
    size_t n = left < (long long)cap ? (size_t)left : cap;

    if (n == 0)
        return 0;
    if (q->body) {
        memcpy(dst, (const char *)q->body + q->pos, n);
    } else {
        ssize_t r = pread(q->body_fd, dst, n, (off_t)(q->body_off + q->pos));
        if (r <= 0)
            return CURL_READFUNC_ABORT;
        n = (size_t)r;
    }
    q->pos += (long long)n;
    return n;
}

/* Seeking back lets curl resend a body (e.g. after a 401 or a redirect). */
static int
registry_on_seek(void *opaque, curl_off_t offset, int origin)
{
    struct registry_req *q = opaque;

    if (origin != SEEK_SET || offset < 0 || offset > q->body_len)
        return CURL_SEEKFUNC_FAIL;
    q->pos = offset;
    return CURL_SEEKFUNC_OK;
}

static struct curl_slist *
registry_headers(struct registry_client *c, const struct registry_req *q)
{
    struct curl_slist *h = NULL;
    char line[512];

    h = c->lc->slist_append(h, "Expect:"); /* no 100-continue round trip */
    if (q->auth_override)
        h = c->lc->slist_append(h, q->auth_override);
    else if (c->auth)
        h = c->lc->slist_append(h, c->auth);
    if (q->content_type) {
        snprintf(line, sizeof(line), "Content-Type: %s", q->content_type);
        h = c->lc->slist_append(h, line);
    }
    if (q->accept) {
        snprintf(line, sizeof(line), "Accept: %s", q->accept);
        h = c->lc->slist_append(h, line);
    }
    if (q->content_range) {
        snprintf(line, sizeof(line), "Content-Range: %s", q->content_range);
        h = c->lc->slist_append(h, line);
    }
    return h;
}

/* At most ten progress reports a second, and the last one. */
static int
registry_on_xfer(void *opaque, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                 curl_off_t ulnow)
{
    struct registry_req *q = opaque;
    double now = log_now_ms();

    (void)dltotal;
    (void)ultotal;
    (void)ulnow;
    if (now - q->xfer_last_ms >= 100 && dlnow > 0) {
        q->xfer_last_ms = now;
        q->xfer_c->xfer(q->xfer_c->xfer_opaque, q->xfer_digest, (long long)dlnow, q->xfer_total);
    }
    return 0;
}

static void
registry_tls_setopt(struct registry_client *c, CURL *k)
{
    if (c->insecure) {
        c->lc->easy_setopt(k, CURLOPT_SSL_VERIFYPEER, 0L);
        c->lc->easy_setopt(k, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (c->tls.ca_pem) {
        struct curl_blob blob = {c->tls.ca_pem, c->tls.ca_len, CURL_BLOB_COPY};
        c->lc->easy_setopt(k, CURLOPT_CAINFO_BLOB, &blob);
    }
    if (c->tls.cert) {
        c->lc->easy_setopt(k, CURLOPT_SSLCERT, c->tls.cert);
        c->lc->easy_setopt(k, CURLOPT_SSLKEY, c->tls.key);
    }
}

static CURLcode
registry_perform(struct registry_client *c, struct registry_req *q)
{
    CURL *k = c->curl;
    struct curl_slist *h = registry_headers(c, q);
    CURLcode rc;

    c->lc->easy_reset(k);
    c->lc->easy_setopt(k, CURLOPT_URL, q->url);
    c->lc->easy_setopt(k, CURLOPT_PROTOCOLS_STR, "http,https");
    c->lc->easy_setopt(k, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    c->lc->easy_setopt(k, CURLOPT_NOSIGNAL, 1L);
    c->lc->easy_setopt(k, CURLOPT_ERRORBUFFER, c->errbuf);
    c->lc->easy_setopt(k, CURLOPT_CONNECTTIMEOUT, c->connect_timeout);
    /* a trickle or an endless answer must not hang a pull */
    c->lc->easy_setopt(k, CURLOPT_LOW_SPEED_LIMIT, (long)REGISTRY_LOW_SPEED);
    c->lc->easy_setopt(k, CURLOPT_LOW_SPEED_TIME, c->low_speed_time_s);
    c->lc->easy_setopt(k, CURLOPT_TIMEOUT, c->timeout_s >= 0 ? c->timeout_s : q->timeout_s);
    c->lc->easy_setopt(k, CURLOPT_USERAGENT, "strata/0.1");
    c->lc->easy_setopt(k, CURLOPT_HTTPHEADER, h);
    c->lc->easy_setopt(k, CURLOPT_HEADERFUNCTION, registry_on_header);
    c->lc->easy_setopt(k, CURLOPT_HEADERDATA, q);
    c->lc->easy_setopt(k, CURLOPT_WRITEFUNCTION, registry_on_body);
    c->lc->easy_setopt(k, CURLOPT_WRITEDATA, q);
    registry_tls_setopt(c, k);
    if (q->xfer_digest && c->xfer) {
        c->lc->easy_setopt(k, CURLOPT_NOPROGRESS, 0L);
        c->lc->easy_setopt(k, CURLOPT_XFERINFOFUNCTION, registry_on_xfer);
        c->lc->easy_setopt(k, CURLOPT_XFERINFODATA, q);
        q->xfer_c = c;
    }
    if (!strcmp(q->method, "HEAD")) {
        c->lc->easy_setopt(k, CURLOPT_NOBODY, 1L);
    } else if (!strcmp(q->method, "GET")) {
        /* blobs may redirect to storage; curl does not resend our Authorization elsewhere */
        c->lc->easy_setopt(k, CURLOPT_FOLLOWLOCATION, 1L);
        c->lc->easy_setopt(k, CURLOPT_MAXREDIRS, 5L);
    } else if (q->has_body) {
        q->pos = 0;
        c->lc->easy_setopt(k, CURLOPT_UPLOAD, 1L);
        c->lc->easy_setopt(k, CURLOPT_CUSTOMREQUEST, q->method);
        c->lc->easy_setopt(k, CURLOPT_INFILESIZE_LARGE, (curl_off_t)q->body_len);
        c->lc->easy_setopt(k, CURLOPT_READFUNCTION, registry_on_read);
        c->lc->easy_setopt(k, CURLOPT_READDATA, q);
        c->lc->easy_setopt(k, CURLOPT_SEEKFUNCTION, registry_on_seek);
        c->lc->easy_setopt(k, CURLOPT_SEEKDATA, q);
    } else {
        c->lc->easy_setopt(k, CURLOPT_POST, 1L);
        c->lc->easy_setopt(k, CURLOPT_POSTFIELDS, "");
        c->lc->easy_setopt(k, CURLOPT_POSTFIELDSIZE, 0L);
        c->lc->easy_setopt(k, CURLOPT_CUSTOMREQUEST, q->method);
    }
    c->errbuf[0] = '\0';
    rc = c->lc->easy_perform(k);
    c->lc->easy_getinfo(k, CURLINFO_RESPONSE_CODE, &q->status);
    c->lc->slist_free_all(h);
    c->last_rc = rc;
    return rc;
}

static int
registry_transient(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
        return 1;
    default:
        return 0;
    }
}

/* Throws away what a failed try wrote, so the retry starts clean. */
static int
registry_req_rewind(struct registry_req *q, struct error *err)
{
    if (q->out)
        buf_reset(q->out);
    if (q->out_fd >= 0 && q->out_n > 0) {
        off_t at = lseek(q->out_fd, 0, SEEK_CUR) - (off_t)q->out_n;
        if (at < 0 || ftruncate(q->out_fd, at) < 0 || lseek(q->out_fd, at, SEEK_SET) < 0)
            return error_set(err, errno, "%s: rewind download", q->url);
        q->out_n = 0;
        if (q->hash) {
            digest_release(q->hash);
            digest_init(q->hash);
        }
    }
    q->too_big = 0;
    q->error_flood = 0;
    q->dropped = 0;
    q->resp_status = 0;
    return 0;
}

static int registry_authenticate(struct registry_client *c, const char *url, const char *header,
                                 struct error *err);

static void
registry_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

/* The host[:port] of a URL, for messages. */
static void
registry_url_host(const char *url, char *out, size_t n)
{
    const char *p = strstr(url, "://");

    p = p ? p + 3 : url;
    snprintf(out, n, "%.*s", (int)strcspn(p, "/?#"), p);
}

/* A transfer that failed: which host, why, and for TLS what to do. */
static int
registry_curl_error(struct registry_client *c, const struct registry_req *q, CURLcode rc,
                    struct error *err)
{
    const char *why = c->errbuf[0] ? c->errbuf : c->lc->easy_strerror(rc);
    char host[256];

    registry_url_host(q->url, host, sizeof(host));
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
        return error_set(err, 0, "cannot resolve registry host %s: %s", host, why);
    case CURLE_COULDNT_CONNECT:
        return error_set(err, 0, "cannot connect to registry %s: %s", host, why);
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
        return error_set(err, 0,
                         "TLS: the certificate of %s is not trusted: %s (put its CA in %s, or "
                         "use --tls-verify=false)",
                         host, why, c->tls.hint);
    case CURLE_SSL_CERTPROBLEM:
        return error_set(err, 0, "TLS client certificate %s for %s: %s",
                         c->tls.cert ? c->tls.cert : "", host, why);
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_FAILED_INIT:
        /* a TLS server that wants a client certificate drops the connection this way */
        if (!strncmp(q->url, "https://", 8) && !c->tls.cert)
            return error_set(err, 0,
                             "TLS connection to %s failed: %s (if the registry wants a client "
                             "certificate, put NAME.cert and NAME.key beside %s)",
                             host, why, c->tls.hint);
        return error_set(err, 0, "%s %s: %s", q->method, q->url, why);
    default:
        return error_set(err, 0, "%s %s: %s", q->method, q->url, why);
    }
}

/* Retry-After (RFC 9110 section 10.2.3): delay-seconds or an HTTP-date; -1 when absent. */
static long
registry_retry_after(const struct registry_client *c, const struct registry_req *q)
{
    const char *v = buf_cstr(&q->retry_after);
    char *end;
    long n;
    time_t t;

    if (!q->retry_after.len)
        return -1;
    if (isdigit((unsigned char)*v)) {
        errno = 0;
        n = strtol(v, &end, 10);
        return errno || *end ? -1 : n;
    }
    t = c->lc->getdate(v, NULL);
    if (t < 0)
        return -1;
    n = (long)(t - time(NULL));
    return n < 0 ? 0 : n;
}

/*
 * Sends q, retrying transient failures with back-off (or after the
 * server's Retry-After, when it is at most REGISTRY_RETRY_AFTER_MAX) and
 * answering one 401 by authenticating. On return q->status is the final
 * answer.
 */
static int
registry_do(struct registry_client *c, struct registry_req *q, struct error *err)
{
    long delay = c->delay_ms, wait, ra;
    int tries = 0, authed = 0;

    for (;;) {
        CURLcode rc;
        if (registry_req_rewind(q, err) < 0)
            return -1;
        rc = registry_perform(c, q);
        tries++;
        if (q->too_big && rc == CURLE_WRITE_ERROR)
            return error_set(err, 0, "%s %s: answer larger than expected", q->method, q->url);
        if (q->error_flood && rc == CURLE_WRITE_ERROR)
            return error_set(err, 0, "%s %s: error answer (HTTP %ld) longer than %u bytes",
                             q->method, q->url, q->resp_status, REGISTRY_ERROR_BODY_MAX);
        if (rc != CURLE_OK && !(registry_transient(rc) && tries < c->max_tries))
            return registry_curl_error(c, q, rc, err);
        if (rc == CURLE_OK && q->status == 401 && !authed && !q->auth_override && q->www_auth.len) {
            authed = 1;
            if (registry_authenticate(c, q->url, buf_cstr(&q->www_auth), err) < 0)
                return -1;
            continue;
        }
        if (rc == CURLE_OK && !(q->status >= 500 || q->status == 429))
            return 0;
        if (tries >= c->max_tries)
            return 0; /* the caller reports the final status */
        wait = delay;
        if (rc == CURLE_OK && (ra = registry_retry_after(c, q)) >= 0) {
            if (ra > REGISTRY_RETRY_AFTER_MAX)
                return 0; /* too long to wait here: reported with the status */
            wait = ra * 1000;
        }
        log_debug("%s %s: %s, retrying in %ld ms", q->method, q->url,
                  rc != CURLE_OK ? c->lc->easy_strerror(rc) : "server error", wait);
        registry_sleep_ms(wait);
        delay *= 2;
    }
}

/* Docker Hub's "100;w=21600" as "100 per 21600 s". */
static void
registry_rate(const struct buf *b, char *out, size_t n)
{
    const char *v = buf_cstr(b), *w = strstr(v, "w=");

    if (w)
        snprintf(out, n, "%.*s per %.12s s", (int)strcspn(v, ";"), v, w + 2);
    else
        snprintf(out, n, "%.40s", v);
}

static int
registry_status_error(const struct registry_client *c, const struct registry_req *q,
                      const char *what, struct error *err)
{
    if (q->status == 401 && c->user) {
        error_set(err, 0,
                  "%s %s: %s: unauthorized (HTTP 401): the registry refused user \"%s\" "
                  "(credentials from %s); run strata login %s",
                  q->method, q->url, what, c->user, c->cred_source, c->host);
        return error_kind(err, ERROR_UNAUTHORIZED);
    }
    if (q->status == 401) {
        error_set(err, 0,
                  "%s %s: %s: unauthorized (HTTP 401): the repository does not exist or needs a "
                  "login; run strata login %s",
                  q->method, q->url, what, c->host);
        return error_kind(err, ERROR_UNAUTHORIZED);
    }
    if (q->status == 403) {
        error_set(err, 0, "%s %s: %s: access denied (HTTP 403)%s%s", q->method, q->url, what,
                  c->user ? " for user " : "", c->user ? c->user : "");
        return error_kind(err, ERROR_UNAUTHORIZED);
    }
    if (q->status == 429) {
        char lim[64] = "", left[64] = "";
        long ra = registry_retry_after(c, q);
        registry_rate(&q->rl_limit, lim, sizeof(lim));
        registry_rate(&q->rl_remaining, left, sizeof(left));
        return error_set(err, 0,
                         "%s %s: %s: too many requests (HTTP 429)%s%s%s%s%s; retry after %ld s",
                         q->method, q->url, what, q->rl_limit.len ? "; rate limit " : "",
                         q->rl_limit.len ? lim : "", q->rl_remaining.len ? ", remaining " : "",
                         q->rl_remaining.len ? left : "",
                         q->rl_limit.len ? " (Docker Hub counts pulls per address or user; "
                                           "strata login raises the limit)"
                                         : "",
                         ra >= 0 ? ra : 0);
    }
    return error_set(err, 0, "%s %s: %s: unexpected HTTP status %ld", q->method, q->url, what,
                     q->status);
}

/* ---- authentication ---- */

static int
registry_token(struct registry_client *c, const struct registry_challenge *ch, struct error *err)
{
    cleanup_buf struct buf body = BUF_INIT;
    cleanup_cjson cJSON *j = NULL;
    cleanup_free char *basic = NULL;
    /* distribution-spec token.md: scope "repository:NAME:ACTIONS"; none for a login */
    cleanup_free char *scope =
        c->repo ? xasprintf("repository:%s:%s", c->repo, c->push ? "pull,push" : "pull") : NULL;
    char *url = xstrdup(ch->realm), *next;
    struct registry_req q;
    const char *tok;
    int rc;

    if (ch->service) {
        next = registry_url_add_query(url, "service", ch->service);
        free(url);
        url = next;
    }
    if (scope) {
        next = registry_url_add_query(url, "scope", scope);
        free(url);
        url = next;
    }
    /* a challenge may ask for several scopes, space-separated: one parameter each */
    for (const char *p = ch->scope; p && *p;) {
        size_t n = strcspn(p, " ");
        cleanup_free char *one = xstrndup(p, n);
        if (n && (!scope || strcmp(one, scope) != 0)) {
            next = registry_url_add_query(url, "scope", one);
            free(url);
            url = next;
        }
        p += n;
        p += strspn(p, " ");
    }
    if (c->extra_scope) {
        next = registry_url_add_query(url, "scope", c->extra_scope);
        free(url);
        url = next;
    }
    registry_req_init(&q, "GET", url);
    q.out = &body;
    q.out_max = 1u << 20;
    if (c->user) {
        cleanup_free char *up = xasprintf("%s:%s", c->user, c->pass);
        cleanup_free char *b = registry_auth_b64(up, strlen(up));
        basic = xasprintf("Authorization: Basic %s", b);
    }
    q.auth_override = basic ? basic : "X-No-Auth: 1";
    rc = registry_do(c, &q, err);
    if (rc == 0 && q.status != 200)
        rc = registry_status_error(c, &q, "token server", err);
    if (rc == 0 && !(j = json_parse(buf_cstr(&body), body.len, "token answer", err)))
        rc = -1;
    if (rc == 0) {
        tok = json_string(j, "token", 0, "token answer", err);
        if (!tok)
            tok = json_string(j, "access_token", 0, "token answer", err);
        if (!tok || !*tok)
            rc = error_set(err, 0, "GET %s: the answer has no token", url);
        else {
            free(c->auth);
            c->auth = xasprintf("Authorization: Bearer %s", tok);
        }
    }
    registry_req_release(&q);
    free(url);
    return rc;
}

static int
registry_authenticate(struct registry_client *c, const char *url, const char *header,
                      struct error *err)
{
    struct registry_challenge ch;
    int rc = 0;

    if (registry_auth_parse(header, &ch, err) < 0)
        return error_wrap(err, "%s", url);
    if (!strcmp(ch.scheme, "basic")) {
        if (!c->user)
            rc = error_set(err, 0,
                           "%s: the registry wants a user name and password; run strata login "
                           "%s (or use --creds USER:PASS)",
                           url, c->host);
        else {
            cleanup_free char *up = xasprintf("%s:%s", c->user, c->pass);
            cleanup_free char *b = registry_auth_b64(up, strlen(up));
            free(c->auth);
            c->auth = xasprintf("Authorization: Basic %s", b);
        }
    } else if (!strcmp(ch.scheme, "bearer")) {
        if (!ch.realm)
            rc = error_set(err, 0, "%s: Bearer challenge without a realm", url);
        else if (strncmp(ch.realm, "https://", 8) && strncmp(ch.realm, "http://", 7))
            rc = error_set(err, 0, "%s: token realm \"%.100s\" is not an http(s) URL", url,
                           ch.realm);
        else
            rc = registry_token(c, &ch, err);
    } else {
        rc = error_set(err, 0, "%s: unsupported auth scheme \"%s\"", url, ch.scheme);
    }
    registry_challenge_release(&ch);
    return rc;
}

static int
registry_load_creds(struct registry_client *c, const struct registry_opts *o, struct error *err)
{
    struct credentials cr;
    int rc;

    if (o->creds) {
        const char *colon = strchr(o->creds, ':');
        if (!colon || colon == o->creds)
            return error_input(err, "--creds: expected USER:PASSWORD");
        c->user = xstrndup(o->creds, (size_t)(colon - o->creds));
        c->pass = xstrdup(colon + 1);
        snprintf(c->cred_source, sizeof(c->cred_source), "--creds");
        return 0;
    }
    rc = credentials_find(o->auth_file, o->cred_helpers, c->host, c->repo, &cr, err);
    if (rc < 0)
        return -1;
    if (rc == 0) {
        c->user = steal_ptr(&cr.user);
        c->pass = steal_ptr(&cr.pass);
        memcpy(c->cred_source, cr.source, sizeof(c->cred_source));
        credentials_release(&cr);
    }
    return 0;
}

/* ---- client ---- */

void
registry_client_free(struct registry_client *c)
{
    if (!c)
        return;
    if (c->curl)
        c->lc->easy_cleanup(c->curl);
    free(c->host);
    free(c->endpoint);
    free(c->repo);
    free(c->base);
    free(c->user);
    free(c->pass);
    free(c->auth);
    free(c->extra_scope);
    free(c->pending);
    registry_tls_release(&c->tls);
    free(c);
}

const char *
registry_client_base(const struct registry_client *c)
{
    return c->base;
}

/* GET /v2/ (distribution-spec, "Determining support"), authenticating on a 401. */
static int
registry_ping(struct registry_client *c, struct error *err)
{
    cleanup_free char *url = xasprintf("%s/v2/", c->base);
    struct registry_req q;
    int rc;

    registry_req_init(&q, "GET", url);
    rc = registry_do(c, &q, err);
    if (rc == 0 && q.status == 401)
        rc = registry_status_error(c, &q, "login", err);
    else if (rc == 0 && q.status != 200) {
        error_set(err, 0, "GET %s: not an OCI registry (HTTP %ld)", url, q.status);
        rc = error_kind(err, ERROR_PROTOCOL);
    }
    registry_req_release(&q);
    return rc;
}

/* Reads a duration ("30s", "5m") from the environment variable name (def when unset). */
static int
registry_env_seconds(const char *name, long def, long *out, struct error *err)
{
    const char *v = getenv(name);
    long long n;

    if (!v || !*v) {
        *out = def;
        return 0;
    }
    if (units_parse_duration(v, &n, err) < 0)
        return error_wrap(err, "%s", name);
    *out = n > 100000000LL ? 100000000L : (long)n;
    return 0;
}

/* The CA bundle curl uses by default (the system's), or NULL. */
static const char *
registry_system_ca(const struct registry_client *c)
{
    char *path = NULL;

#if LIBCURL_VERSION_NUM >= 0x075400
    if (c->lc->easy_getinfo(c->curl, CURLINFO_CAINFO, &path) != CURLE_OK)
        path = NULL;
#else
    (void)c;
#endif
    return path ? path : "/etc/ssl/certs/ca-certificates.crt";
}

static struct registry_client *
registry_client_alloc(const char *host, const char *repo, const struct registry_opts *o, int push,
                      struct error *err)
{
    const struct curl_lib *lc = curl_lib(err);
    struct registry_client *c;

    if (!lc)
        return NULL;
    c = xcalloc(1, sizeof(*c));
    c->lc = lc;
    c->curl = lc->easy_init();
    if (!c->curl)
        BUG("curl_easy_init");
    c->host = xstrdup(host);
    /* Docker Hub's API lives at registry-1.docker.io, not at docker.io */
    c->endpoint = xstrdup(!strcmp(host, REGISTRY_DEFAULT_HOST) ? REGISTRY_HUB_ENDPOINT : host);
    c->repo = repo ? xstrdup(repo) : NULL;
    c->insecure = !o->tls_verify || o->insecure;
    c->push = push;
    c->max_tries = o->max_tries > 0 ? o->max_tries : REGISTRY_MAX_TRIES;
    c->delay_ms = o->retry_delay_ms > 0 ? o->retry_delay_ms : 200;
    c->chunk = o->chunk_size ? o->chunk_size : REGISTRY_CHUNK_SIZE;
    c->connect_timeout = 15;
    c->xfer = o->xfer;
    c->xfer_opaque = o->progress_opaque;
    return c;
}

struct registry_client *
registry_client_new(const char *host, const char *repo, const struct registry_opts *o, int push,
                    struct error *err)
{
    struct registry_client *c = registry_client_alloc(host, repo, o, push, err);
    int loopback, fallback;
    struct error e1;

    if (!c)
        return NULL;
    loopback = reference_domain_is_loopback(c->endpoint);
    if (registry_env_seconds("STRATA_REGISTRY_TIMEOUT", -1, &c->timeout_s, err) < 0 ||
        registry_env_seconds("STRATA_REGISTRY_LOW_SPEED_TIME", REGISTRY_LOW_SPEED_TIME,
                             &c->low_speed_time_s, err) < 0 ||
        registry_tls_load(&c->tls, c->endpoint, o->cert_dir, registry_system_ca(c), err) < 0 ||
        registry_load_creds(c, o, err) < 0) {
        registry_client_free(c);
        return NULL;
    }
    c->base = xasprintf("https://%s", c->endpoint);
    if (loopback)
        c->connect_timeout = 3; /* a probe: a plain-http server may not answer a TLS hello */
    error_init(&e1);
    if (registry_ping(c, &e1) == 0) {
        c->connect_timeout = 15;
        return c;
    }
    c->connect_timeout = 15;
    /*
     * Plain http only for a loopback registry that does not speak TLS
     * (docker's localhost rule, without giving up checks on one that does),
     * or for one the user marked insecure.
     */
    fallback = (loopback && c->last_rc == CURLE_SSL_CONNECT_ERROR) ||
               (c->insecure && c->last_rc != CURLE_OK);
    if (!fallback) {
        *err = e1;
        registry_client_free(c);
        return NULL;
    }
    free(c->base);
    c->base = xasprintf("http://%s", c->endpoint);
    free(steal_ptr(&c->auth));
    if (registry_ping(c, err) == 0)
        return c;
    if (c->last_rc == CURLE_OK && err->kind == ERROR_PROTOCOL)
        *err = e1; /* a TLS server refusing plain http: its TLS error says more */
    registry_client_free(c);
    return NULL;
}

static char *
registry_blob_url(const struct registry_client *c, const char *digest)
{
    return xasprintf("%s/v2/%s/blobs/%s", c->base, c->repo, digest);
}

int
registry_blob_exists(struct registry_client *c, const char *digest, struct error *err)
{
    cleanup_free char *url = registry_blob_url(c, digest);
    struct registry_req q;
    int rc;

    registry_req_init(&q, "HEAD", url);
    rc = registry_do(c, &q, err);
    if (rc == 0)
        rc = q.status == 200 ? 1 : q.status == 404 ? 0 : registry_status_error(c, &q, digest, err);
    registry_req_release(&q);
    return rc;
}

int
registry_blob_mount(struct registry_client *c, const char *digest, const char *from_repo,
                    struct error *err)
{
    cleanup_free char *base = xasprintf("%s/v2/%s/blobs/uploads/", c->base, c->repo);
    cleanup_free char *u1 = registry_url_add_query(base, "mount", digest);
    cleanup_free char *url = registry_url_add_query(u1, "from", from_repo);
    struct registry_req q;
    int rc;

    free(c->extra_scope);
    c->extra_scope = xasprintf("repository:%s:pull", from_repo);
    registry_req_init(&q, "POST", url);
    rc = registry_do(c, &q, err);
    free(steal_ptr(&c->extra_scope));
    if (rc == 0 && q.status == 201) {
        rc = 1;
    } else if (rc == 0 && q.status == 202 && q.location.len) {
        free(c->pending);
        c->pending = registry_url_resolve(c->base, buf_cstr(&q.location));
        rc = 0;
    } else if (rc == 0) {
        rc = registry_status_error(c, &q, "mount", err);
    }
    registry_req_release(&q);
    return rc;
}

/* POST /v2/<repo>/blobs/uploads/ -> the upload URL (distribution-spec, Pushing blobs). */
static char *
registry_upload_start(struct registry_client *c, struct error *err)
{
    cleanup_free char *url = xasprintf("%s/v2/%s/blobs/uploads/", c->base, c->repo);
    struct registry_req q;
    char *loc = NULL;

    if (c->pending)
        return steal_ptr(&c->pending);
    registry_req_init(&q, "POST", url);
    if (registry_do(c, &q, err) == 0) {
        if (q.status != 202 || !q.location.len)
            registry_status_error(c, &q, "start upload", err);
        else
            loc = registry_url_resolve(c->base, buf_cstr(&q.location));
    }
    registry_req_release(&q);
    return loc;
}

/* One PATCH of [off, off+n); moves *loc to the next upload URL. */
static int
registry_upload_chunk(struct registry_client *c, char **loc, int fd, long long off, long long n,
                      struct error *err)
{
    char range[64];
    struct registry_req q;
    long long end;
    int rc;

    snprintf(range, sizeof(range), "%lld-%lld", off, off + n - 1);
    registry_req_init(&q, "PATCH", *loc);
    q.content_type = "application/octet-stream";
    q.content_range = range;
    q.body_fd = fd;
    q.body_off = off;
    q.body_len = n;
    q.has_body = 1;
    registry_req_size_timeout(&q, n);
    rc = registry_do(c, &q, err);
    if (rc == 0 && q.status != 202)
        rc = registry_status_error(c, &q, "upload chunk", err);
    if (rc == 0 && q.range.len &&
        (registry_range_end(buf_cstr(&q.range), &end) < 0 || end != off + n - 1))
        rc = error_set(err, 0, "PATCH %s: registry has bytes up to \"%s\", sent up to %lld", *loc,
                       buf_cstr(&q.range), off + n - 1);
    if (rc == 0 && q.location.len) {
        char *next = registry_url_resolve(*loc, buf_cstr(&q.location));
        free(*loc);
        *loc = next;
    }
    registry_req_release(&q);
    return rc;
}

int
registry_blob_push(struct registry_client *c, const char *digest, int fd, long long size,
                   struct error *err)
{
    char *loc = registry_upload_start(c, err);
    cleanup_free char *url = NULL;
    struct registry_req q;
    long long off = 0;
    int rc = 0;

    if (!loc)
        return -1;
    while (rc == 0 && size > (long long)c->chunk && off < size) {
        long long n = size - off < (long long)c->chunk ? size - off : (long long)c->chunk;
        rc = registry_upload_chunk(c, &loc, fd, off, n, err);
        off += n;
    }
    if (rc < 0) {
        free(loc);
        return -1;
    }
    url = registry_url_add_query(loc, "digest", digest);
    free(loc);
    registry_req_init(&q, "PUT", url);
    q.content_type = "application/octet-stream";
    q.has_body = 1;
    q.body_fd = fd;
    q.body_len = size - off; /* the whole blob (monolithic) or nothing after chunks */
    q.body_off = off;
    registry_req_size_timeout(&q, q.body_len);
    rc = registry_do(c, &q, err);
    if (rc == 0 && q.status != 201)
        rc = registry_status_error(c, &q, digest, err);
    if (rc == 0 && q.digest_hdr.len && strcmp(buf_cstr(&q.digest_hdr), digest) != 0)
        rc = error_set(err, 0, "PUT %s: registry stored %s", url, buf_cstr(&q.digest_hdr));
    registry_req_release(&q);
    return rc;
}

int
registry_blob_fetch(struct registry_client *c, const char *digest, long long size, int out_fd,
                    struct error *err)
{
    cleanup_free char *url = registry_blob_url(c, digest);
    struct registry_req q;
    struct digest_ctx d;
    char got[DIGEST_STR_LEN + 1];
    int rc;

    digest_init(&d);
    registry_req_init(&q, "GET", url);
    q.out_fd = out_fd;
    q.out_limit = size;
    q.hash = &d;
    registry_req_size_timeout(&q, size);
    q.xfer_digest = digest;
    q.xfer_total = size;
    rc = registry_do(c, &q, err);
    if (rc == 0 && q.status != 200)
        rc = registry_status_error(c, &q, digest, err);
    if (rc < 0) {
        digest_release(&d);
        registry_req_release(&q);
        return -1;
    }
    digest_final(&d, got);
    if (strcmp(got, digest) != 0)
        rc = error_set(err, 0, "GET %s: content hashes to %s", url, got);
    else if (size >= 0 && q.out_n != size)
        rc = error_set(err, 0, "GET %s: %lld bytes, descriptor says %lld", url, q.out_n, size);
    registry_req_release(&q);
    return rc;
}

int
registry_manifest_fetch(struct registry_client *c, const char *ref, struct buf *out,
                        char **media_type, char digest[DIGEST_STR_LEN + 1], struct error *err)
{
    cleanup_free char *url = xasprintf("%s/v2/%s/manifests/%s", c->base, c->repo, ref);
    struct registry_req q;
    char got[DIGEST_STR_LEN + 1];
    int rc;

    registry_req_init(&q, "GET", url);
    q.accept = REGISTRY_ACCEPT;
    q.out = out;
    q.out_max = REGISTRY_MANIFEST_MAX;
    rc = registry_do(c, &q, err);
    if (rc == 0 && q.status == 404) {
        error_set(err, 0, "GET %s: no such manifest", url);
        rc = error_kind(err, ERROR_NOT_FOUND);
    } else if (rc == 0 && q.status != 200)
        rc = registry_status_error(c, &q, "manifest", err);
    if (rc == 0) {
        digest_bytes(buf_cstr(out), out->len, got);
        if (!strncmp(ref, "sha256:", 7) && strcmp(ref, got) != 0)
            rc = error_set(err, 0, "GET %s: manifest hashes to %s", url, got);
        else if (q.digest_hdr.len && strcmp(buf_cstr(&q.digest_hdr), got) != 0)
            rc = error_set(err, 0, "GET %s: manifest hashes to %s, registry says %s", url, got,
                           buf_cstr(&q.digest_hdr));
    }
    if (rc == 0) {
        const char *ct = buf_cstr(&q.ctype);
        size_t n = strcspn(ct, "; ");
        *media_type = xstrndup(ct, n);
        memcpy(digest, got, sizeof(got));
    }
    registry_req_release(&q);
    return rc;
}

int
registry_manifest_push(struct registry_client *c, const char *ref, const char *media_type,
                       const void *data, size_t n, struct error *err)
{
    cleanup_free char *url = xasprintf("%s/v2/%s/manifests/%s", c->base, c->repo, ref);
    struct registry_req q;
    char d[DIGEST_STR_LEN + 1];
    int rc;

    digest_bytes(data, n, d);
    registry_req_init(&q, "PUT", url);
    q.content_type = media_type;
    q.body = data;
    q.body_len = (long long)n;
    q.has_body = 1;
    rc = registry_do(c, &q, err);
    if (rc == 0 && q.status != 201)
        rc = registry_status_error(c, &q, "manifest", err);
    if (rc == 0 && q.digest_hdr.len && strcmp(buf_cstr(&q.digest_hdr), d) != 0)
        rc = error_set(err, 0, "PUT %s: registry says the manifest is %s, it is %s", url,
                       buf_cstr(&q.digest_hdr), d);
    registry_req_release(&q);
    return rc;
}

int
registry_referrers_fetch(struct registry_client *c, const char *digest, struct buf *out,
                         struct error *err)
{
    cleanup_free char *url = xasprintf("%s/v2/%s/referrers/%s", c->base, c->repo, digest);
    struct registry_req q;
    int rc;

    /* distribution-spec 1.1 "Listing Referrers": 404 means the API is not there */
    registry_req_init(&q, "GET", url);
    q.accept = OCI_MEDIA_INDEX_ACCEPT;
    q.out = out;
    q.out_max = REGISTRY_MANIFEST_MAX;
    rc = registry_do(c, &q, err);
    if (rc == 0 && q.status == 404)
        rc = 1;
    else if (rc == 0 && q.status != 200)
        rc = registry_status_error(c, &q, "referrers", err);
    registry_req_release(&q);
    return rc;
}
