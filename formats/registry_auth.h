#ifndef STRATA_FORMATS_REGISTRY_AUTH_H
#define STRATA_FORMATS_REGISTRY_AUTH_H

/*
 * Registry authentication pieces that are plain text processing:
 * WWW-Authenticate challenges (RFC 7235 section 4.1; the Bearer parameters
 * of the distribution token spec: realm, service, scope), credentials from a
 * docker config.json ("auths": {"host": {"auth": base64("user:pass")}}) and
 * base64.
 */

#include <stddef.h>

#include "formats/core/error.h"

struct registry_challenge {
    char scheme[16]; /* "basic" or "bearer" (lower-cased), else what was sent */
    char *realm;     /* each NULL when absent */
    char *service;
    char *scope;
    char *error; /* Bearer error="insufficient_scope" etc. */
};

/*
 * Parses the first challenge of a WWW-Authenticate header value. Unknown
 * parameters are skipped. A header without a scheme or with a malformed
 * parameter list is an input error. Fills c (release with
 * registry_challenge_release) only on success.
 */
int registry_auth_parse(const char *header, struct registry_challenge *c, struct error *err);
void registry_challenge_release(struct registry_challenge *c);

/*
 * Finds credentials for host and repository repo (NULL: any) in a
 * containers-auth.json(5) or docker config.json document: the "auths"
 * entry keyed "host/repo", then its shorter namespaces, then "host",
 * "https://host", "http://host" (for docker.io also the legacy
 * "https://index.docker.io/v1/"), whose "auth" is base64("user:pass") or
 * which has "username"/"password". Returns 0 and sets *user and *pass
 * (malloc'ed), 1 when there is no entry or it holds neither, -1 for a
 * malformed document or entry (input error naming the key; the password
 * is never put in the message).
 */
int registry_auth_lookup(const char *config_json, size_t len, const char *host, const char *repo,
                         char **user, char **pass, struct error *err);

/* Base64 (RFC 4648, with padding) of n bytes; malloc'ed. */
char *registry_auth_b64(const void *data, size_t n);
/* Decodes base64 (padding optional, no whitespace); returns -1 when malformed. */
int registry_auth_unb64(const char *s, char **out, size_t *out_len);

#endif
