#include "formats/http.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "formats/core/fsutil.h"
#include "formats/curl_lib.h"
#include "formats/core/mem.h"

#include "formats/core/banned.h"

struct http_sink {
    int fd;
    struct digest_ctx d;
    uint64_t size;
    struct error *err;
    int failed;
};

static size_t
http_write(char *data, size_t size, size_t n, void *opaque)
{
    struct http_sink *s = opaque;
    size_t len = size * n;

    if (s->size + len > HTTP_MAX_BODY) {
        error_input(s->err, "larger than %llu bytes", (unsigned long long)HTTP_MAX_BODY);
        s->failed = 1;
        return 0;
    }
    if (fs_write_all(s->fd, data, len, s->err) < 0) {
        s->failed = 1;
        return 0;
    }
    digest_update(&s->d, data, len);
    s->size += len;
    return len;
}

/*
 * CURLOPT_HEADERFUNCTION: keeps the ETag of the last response (a redirect's
 * own headers come first and are forgotten at the next status line).
 */
static size_t
http_header(char *data, size_t size, size_t n, void *opaque)
{
    char *etag = opaque;
    size_t len = size * n, v;

    if (len >= 5 && !strncmp(data, "HTTP/", 5))
        etag[0] = '\0';
    if (len > 5 && !strncasecmp(data, "etag:", 5)) {
        for (v = 5; v < len && (data[v] == ' ' || data[v] == '\t'); v++)
            ;
        while (len > v && isspace((unsigned char)data[len - 1]))
            len--;
        if (len - v < 256) {
            memcpy(etag, data + v, len - v);
            etag[len - v] = '\0';
        }
    }
    return size * n;
}

/* The last path component of the effective URL, without query or fragment. */
static void
http_name(const struct curl_lib *lc, CURL *c, char *out, size_t n)
{
    char *eff = NULL;
    const char *p, *slash;
    size_t len;

    out[0] = '\0';
    if (lc->easy_getinfo(c, CURLINFO_EFFECTIVE_URL, &eff) != CURLE_OK || !eff)
        return;
    p = strstr(eff, "://");
    p = p ? strchr(p + 3, '/') : NULL;
    if (!p)
        return;
    len = strcspn(p, "?#");
    for (slash = p + len; slash > p && slash[-1] != '/'; slash--)
        ;
    len = (size_t)(p + len - slash);
    if (len && len < n && !(len <= 2 && slash[0] == '.')) {
        memcpy(out, slash, len);
        out[len] = '\0';
    }
}

/* CURLOPT_OPENSOCKETFUNCTION: the socket comes from the caller's http_sockets */
static curl_socket_t
http_open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *addr)
{
    const struct http_sockets *via = clientp;
    int fd;

    (void)purpose;
    fd = via->open(via->arg, addr->family, addr->socktype, addr->protocol);
    return fd < 0 ? CURL_SOCKET_BAD : (curl_socket_t)fd;
}

/* One request: GET into s (s->fd) or HEAD (s NULL); sockets from via unless NULL. */
static int
http_request(const char *url, struct http_sink *s, const struct http_sockets *via,
             struct http_result *res, struct error *err)
{
    char curl_err[CURL_ERROR_SIZE] = "";
    char etag[256] = "";
    const struct curl_lib *lc = curl_lib(err);
    CURL *c;
    CURLcode rc;
    long status = 0, filetime = -1;

    if (!lc)
        return error_wrap(err, "%s", url);
    c = lc->easy_init();
    if (!c)
        return error_set(err, 0, "%s: cannot start a download", url);
    lc->easy_setopt(c, CURLOPT_URL, url);
    lc->easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    lc->easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
    lc->easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    lc->easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    lc->easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
    /* a server that trickles must not hang the build: < 1 KiB/s for 30 s aborts */
    lc->easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    lc->easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 30L);
    lc->easy_setopt(c, CURLOPT_FILETIME, 1L);
    lc->easy_setopt(c, CURLOPT_USERAGENT, "strata");
    lc->easy_setopt(c, CURLOPT_ERRORBUFFER, curl_err);
    lc->easy_setopt(c, CURLOPT_HEADERFUNCTION, http_header);
    lc->easy_setopt(c, CURLOPT_HEADERDATA, etag);
    if (s) {
        lc->easy_setopt(c, CURLOPT_WRITEFUNCTION, http_write);
        lc->easy_setopt(c, CURLOPT_WRITEDATA, s);
    } else {
        lc->easy_setopt(c, CURLOPT_NOBODY, 1L);
    }
    if (via) {
        lc->easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, http_open_socket);
        lc->easy_setopt(c, CURLOPT_OPENSOCKETDATA, (void *)via);
    }
    rc = lc->easy_perform(c);
    lc->easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    lc->easy_getinfo(c, CURLINFO_FILETIME, &filetime);
    memset(res, 0, sizeof(*res));
    http_name(lc, c, res->name, sizeof(res->name));
    lc->easy_cleanup(c);
    if (s && s->failed)
        return error_wrap(err, "download %s", url);
    if (rc != CURLE_OK)
        return error_set(err, 0, "download %s: %s", url,
                         curl_err[0] ? curl_err : lc->easy_strerror(rc));
    if (status >= 400)
        return error_set(err, 0, "download %s: HTTP status %ld", url, status);
    res->last_modified = filetime;
    memcpy(res->etag, etag, sizeof(res->etag));
    return 0;
}

int
http_download(const char *url, int out_fd, struct http_result *res, struct error *err)
{
    return http_download_via(url, out_fd, NULL, res, err);
}

int
http_download_via(const char *url, int out_fd, const struct http_sockets *via,
                  struct http_result *res, struct error *err)
{
    struct http_sink s = {out_fd, {NULL}, 0, err, 0};

    digest_init(&s.d);
    if (http_request(url, &s, via, res, err) < 0) {
        digest_release(&s.d);
        return -1;
    }
    digest_final(&s.d, res->digest);
    res->size = s.size;
    return 0;
}

int
http_head(const char *url, struct http_result *res, struct error *err)
{
    return http_head_via(url, NULL, res, err);
}

int
http_head_via(const char *url, const struct http_sockets *via, struct http_result *res,
              struct error *err)
{
    return http_request(url, NULL, via, res, err);
}
