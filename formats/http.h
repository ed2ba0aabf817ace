#ifndef STRATA_FORMATS_HTTP_H
#define STRATA_FORMATS_HTTP_H

/*
 * Plain HTTP(S) downloads for ADD <url> (libcurl): redirects followed,
 * bounded time and size, the body streamed into a file while hashed.
 */

#include <stdint.h>

#include "formats/core/error.h"
#include "formats/digest.h"

#define HTTP_MAX_BODY (8ULL << 30) /* a download larger than this is refused */

struct http_result {
    char digest[DIGEST_STR_LEN + 1]; /* sha256 of the body */
    uint64_t size;
    long long last_modified; /* Last-Modified as Unix time, or -1 */
    char name[256];          /* file name from the final URL's path, or "" */
    char etag[256];          /* the final response's ETag header (quotes kept), or "" */
};

/*
 * GETs url into out_fd. Fails with a one-line error naming the URL: could
 * not connect, HTTP status >= 400, too large, or I/O.
 */
int http_download(const char *url, int out_fd, struct http_result *res, struct error *err);

/*
 * Where a download's sockets come from: open() returns a new socket (or -1
 * with errno set), for instance one made in another network namespace.
 */
struct http_sockets {
    int (*open)(void *arg, int domain, int type, int protocol);
    void *arg;
};

/* http_download() with every socket from via (NULL: socket(2) as usual). */
int http_download_via(const char *url, int out_fd, const struct http_sockets *via,
                      struct http_result *res, struct error *err);

/*
 * HEADs url (RFC 9110 9.3.2): fills res's last_modified, etag and name, but
 * no digest or size. Fails like http_download.
 */
int http_head(const char *url, struct http_result *res, struct error *err);

/* http_head() with every socket from via (NULL: socket(2) as usual). */
int http_head_via(const char *url, const struct http_sockets *via, struct http_result *res,
                  struct error *err);

#endif
