#ifndef STRATA_FORMATS_REGISTRY_H
#define STRATA_FORMATS_REGISTRY_H

/*
 * A client of the OCI Distribution API (distribution-spec spec.md) over
 * libcurl: image references, blob existence checks, cross-repository
 * mounts, monolithic and chunked uploads, blob downloads verified against
 * their digest, manifest GET (with content negotiation) and PUT. Basic auth
 * and the bearer-token flow (distribution token spec, token.md: realm,
 * service and scope from WWW-Authenticate; anonymous when there are no
 * credentials) are handled inside; transient failures (5xx, 429, dropped or
 * refused connections) are retried with exponential back-off or after the
 * server's Retry-After (RFC 9110 section 10.2.3), a bounded number of times.
 *
 * Every answer is checked: unexpected status, oversized or mis-hashed
 * documents and blobs are errors naming the URL. Errors caused by the
 * remote side or the network have exit code 1 and say what to do: a 401
 * names `strata login HOST`, a 429 gives the rate-limit headers, a DNS or
 * TLS failure the host and the reason. A malformed reference is an input
 * error (2).
 *
 * Docker Hub: "docker.io" is reached at registry-1.docker.io (credentials
 * stay keyed "docker.io").
 *
 * TLS: https with the system CAs plus, per registry, the *.crt CAs and the
 * *.cert + *.key client pair of CERTS_D/HOST[:PORT]/ (containers-certs.d(5);
 * CERTS_D: the cert_dir option, else the ':'-separated $STRATA_CERTS_D, else
 * /etc/containers/certs.d and /etc/docker/certs.d). A loopback registry
 * (localhost, 127.0.0.0/8, [::1]) that does not speak TLS is reached over
 * plain http; with tls_verify off or an insecure registry, https without
 * certificate checks, falling back to http when https cannot connect.
 */

#include <stddef.h>

#include "formats/core/buf.h"
#include "formats/core/error.h"
#include "formats/digest.h"

#define REGISTRY_MANIFEST_MAX (4u << 20)
#define REGISTRY_CHUNK_SIZE (8u << 20)
#define REGISTRY_MAX_TRIES 4
/*
 * Time limits (libcurl): a request that receives or sends less than
 * REGISTRY_LOW_SPEED bytes a second for REGISTRY_LOW_SPEED_TIME seconds
 * ($STRATA_REGISTRY_LOW_SPEED_TIME, a duration: "30s") is aborted, and so is one that takes
 * longer than REGISTRY_TIMEOUT seconds, plus one second per
 * REGISTRY_SLOWEST_RATE bytes of a blob ($STRATA_REGISTRY_TIMEOUT sets one
 * limit for every request; 0: none). Error bodies are read up to
 * REGISTRY_ERROR_BODY_MAX bytes.
 */
#define REGISTRY_LOW_SPEED 1024
#define REGISTRY_LOW_SPEED_TIME 30
#define REGISTRY_TIMEOUT 300
#define REGISTRY_SLOWEST_RATE (64 * 1024)
#define REGISTRY_ERROR_BODY_MAX (64u * 1024)
#define REGISTRY_DEFAULT_HOST "docker.io"
#define REGISTRY_HUB_ENDPOINT "registry-1.docker.io"
#define REGISTRY_RETRY_AFTER_MAX 60 /* seconds; a longer Retry-After ends the tries */
/* What a manifest GET accepts (image-spec media-types.md, Docker schema 2). */
#define REGISTRY_ACCEPT                                                                            \
    "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, "        \
    "application/vnd.docker.distribution.manifest.v2+json, "                                       \
    "application/vnd.docker.distribution.manifest.list.v2+json"

/* host[:port]/repo/path[:tag][@sha256:hex], parsed and with defaults applied. */
struct registry_ref {
    char *host; /* "localhost:5000"; REGISTRY_DEFAULT_HOST when none was given */
    char *repo; /* "team/app"; "library/x" for a one-component docker.io name */
    char *tag;  /* "latest" when neither tag nor digest was given; NULL with a digest only */
    char digest[DIGEST_STR_LEN + 1]; /* "" when none */
};

/*
 * Parses s. The first component is a host when it has a '.' or a ':' or is
 * "localhost" (docker's rule). Repository components are lower-case
 * [a-z0-9] separated by '.', '_', '__' or '-' runs; a tag is
 * [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}. Anything else is an input error
 * naming s. Fills r only on success.
 */
int registry_ref_parse(const char *s, struct registry_ref *r, struct error *err);
void registry_ref_release(struct registry_ref *r);
/* "host/repo:tag", "host/repo@digest" or "host/repo:tag@digest"; malloc'ed. */
char *registry_ref_format(const struct registry_ref *r);
/*
 * Returns 1 when name is a valid reference whose first component is a
 * registry host (has a '.' or a ':', is "localhost" or has upper case).
 */
int registry_ref_is_remote(const char *name);

struct strvec;

struct registry_opts {
    int tls_verify;                    /* 1 (default): verify certificates */
    int insecure;                      /* registries.conf insecure = true: as tls_verify off */
    const char *creds;                 /* "user:password" or NULL: formats/credentials.h */
    const char *auth_file;             /* --authfile; NULL: formats/credentials.h's list */
    const struct strvec *cred_helpers; /* registries.conf credential-helpers, or NULL */
    const char *cert_dir;              /* certs.d root to use instead of the defaults, or NULL */
    size_t chunk_size;   /* blobs above this go in PATCH chunks of this size; 0: default */
    int max_tries;       /* 0: REGISTRY_MAX_TRIES */
    long retry_delay_ms; /* first back-off; 0: 200 ms, doubled each try */
    /* One line per blob ("pushing sha256:ab12… 12.3MB"); NULL: silent. */
    void (*progress)(void *opaque, const char *line);
    /* Bytes of a blob download so far (total < 0: unknown); NULL: none. */
    void (*xfer)(void *opaque, const char *digest, long long done, long long total);
    void *progress_opaque;
};

void registry_opts_init(struct registry_opts *o);

/*
 * Makes location (a Location header: absolute URL, absolute path or
 * relative path) absolute against base ("http://host:5000" or a full URL).
 * Returns a malloc'ed URL.
 */
char *registry_url_resolve(const char *base, const char *location);

/* Appends key=value to url's query ('?' or '&'), escaping value. malloc'ed. */
char *registry_url_add_query(const char *url, const char *key, const char *value);

/*
 * Parses a Range header of an upload ("0-1234", "bytes=0-1234") into the
 * last byte offset. Returns 0, or -1 when malformed (no error set).
 */
int registry_range_end(const char *range, long long *end);

struct registry_client;

/*
 * Connects to host for repo (NULL: no repository, as for a login): picks
 * the scheme, checks GET /v2/ and, when it answers 401, authenticates (for
 * pull, or pull+push when push is set) and checks GET /v2/ again, so wrong
 * credentials fail here. Returns NULL with err set on failure.
 */
struct registry_client *registry_client_new(const char *host, const char *repo,
                                            const struct registry_opts *o, int push,
                                            struct error *err);
void registry_client_free(struct registry_client *c);

/* "http://host:port" or "https://host" as chosen. */
const char *registry_client_base(const struct registry_client *c);

/* HEAD /v2/<repo>/blobs/<digest>: returns 1 when present, 0 when not (404). */
int registry_blob_exists(struct registry_client *c, const char *digest, struct error *err);

/*
 * POST /v2/<repo>/blobs/uploads/?mount=<digest>&from=<from_repo>: returns 1
 * when the registry mounted it (201), 0 when it did not (its upload session
 * is then used by the next registry_blob_push).
 */
int registry_blob_mount(struct registry_client *c, const char *digest, const char *from_repo,
                        struct error *err);

/*
 * Uploads size bytes of fd (read with pread from offset 0) as blob digest:
 * one PUT when size <= chunk size, else PATCH chunks with Content-Range and
 * a closing PUT ?digest=. Checks the registry's Range and Docker-Content-Digest.
 */
int registry_blob_push(struct registry_client *c, const char *digest, int fd, long long size,
                       struct error *err);

/*
 * GET /v2/<repo>/blobs/<digest> into out_fd (from its current offset;
 * truncated back on a retry), following redirects. Fails when the bytes do
 * not hash to digest or are more than size (size < 0: no limit) or fewer.
 */
int registry_blob_fetch(struct registry_client *c, const char *digest, long long size, int out_fd,
                        struct error *err);

/*
 * GET /v2/<repo>/manifests/<ref> (a tag or a digest) with REGISTRY_ACCEPT.
 * Appends the body (at most REGISTRY_MANIFEST_MAX) to out, sets *media_type
 * (malloc'ed, from Content-Type, parameters removed) and digest (sha256 of
 * the body). A digest ref must match the body, and so must a
 * Docker-Content-Digest header.
 */
int registry_manifest_fetch(struct registry_client *c, const char *ref, struct buf *out,
                            char **media_type, char digest[DIGEST_STR_LEN + 1], struct error *err);

/*
 * GET /v2/<repo>/referrers/<digest> (distribution-spec 1.1): appends the
 * image index of the manifests whose subject is digest to out. Returns 0,
 * 1 when the registry has no referrers API (404), -1 on error.
 */
int registry_referrers_fetch(struct registry_client *c, const char *digest, struct buf *out,
                             struct error *err);

/* PUT /v2/<repo>/manifests/<ref> with Content-Type media_type; expects 201. */
int registry_manifest_push(struct registry_client *c, const char *ref, const char *media_type,
                           const void *data, size_t n, struct error *err);

#endif
