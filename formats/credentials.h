#ifndef STRATA_FORMATS_CREDENTIALS_H
#define STRATA_FORMATS_CREDENTIALS_H

/*
 * Registry credentials where podman, buildah, skopeo and docker keep them
 * (containers-auth.json(5), docker's config.json):
 *
 * Read, first hit wins: the --authfile or $REGISTRY_AUTH_FILE file, then
 * ${XDG_RUNTIME_DIR}/containers/auth.json (/run/containers/UID/auth.json
 * without XDG_RUNTIME_DIR), ~/.config/containers/auth.json, then
 * $DOCKER_CONFIG/config.json or ~/.docker/config.json. In each file, a
 * "credHelpers" entry for the host wins; then the "auths" entry (keys
 * "host/ns/repo", "host/ns", "host", and the legacy "https://host/v1/"
 * forms; the most specific first); then "credsStore". A helper is run as
 * docker-credential-NAME get (found on $PATH, started with execve, no
 * shell) with the server on its standard input, as the
 * docker-credential-helpers protocol says.
 *
 * Written (login, logout): where podman 4 writes, the --authfile or
 * $REGISTRY_AUTH_FILE file, else $DOCKER_CONFIG/config.json when
 * DOCKER_CONFIG is set, else ${XDG_RUNTIME_DIR}/containers/auth.json (else
 * /run/containers/UID/auth.json), mode 0600, other keys kept.
 */

#include <stddef.h>

#include "formats/core/error.h"
#include "formats/core/strvec.h"

#define CREDENTIALS_FILE_MAX (1u << 20)
#define CREDENTIALS_HELPER_TIMEOUT_MS 30000

struct credentials {
    char *user;
    char *pass;
    char source[320]; /* "FILE" or "docker-credential-NAME" */
};

void credentials_release(struct credentials *c);

/* The files read, in order (authfile NULL: none given). */
void credentials_read_paths(const char *authfile, struct strvec *out);

/* The file login writes; malloc'ed. */
char *credentials_write_path(const char *authfile);

/*
 * Looks up credentials for registry host (host[:port]) and repository repo
 * (NULL: any). helpers is registries.conf's credential-helpers (NULL or
 * empty: the files above; "containers-auth.json" names them, any other
 * entry a docker-credential-NAME helper). Returns 0 and fills out, 1 when
 * there are none, -1 for an unreadable file, a bad entry or a failing
 * helper (the message names the file or the helper, never the secret).
 */
int credentials_find(const char *authfile, const struct strvec *helpers, const char *host,
                     const char *repo, struct credentials *out, struct error *err);

/*
 * The lookup of credentials_find in the one file at path: credHelpers[host],
 * then auths, then credsStore. Returns 0, 1 (none, or no such file), -1.
 */
int credentials_from_file(const char *path, const char *host, const char *repo,
                          struct credentials *out, struct error *err);

/*
 * Runs docker-credential-<name> get for server. Returns 0, 1 when the
 * helper has none ("credentials not found"), -1 when it is missing, fails,
 * hangs past CREDENTIALS_HELPER_TIMEOUT_MS or answers something else.
 */
int credentials_helper_get(const char *name, const char *server, struct credentials *out,
                           struct error *err);

/*
 * Sets auths[key] = {"auth": base64(user:pass)} in the JSON file at path,
 * keeping everything else; creates the file (0600) and its directory (0700).
 */
int credentials_save(const char *path, const char *key, const char *user, const char *pass,
                     struct error *err);

/* Removes auths[key] from the file at path. Returns 0, 1 when it was not there. */
int credentials_remove(const char *path, const char *key, struct error *err);

#endif
