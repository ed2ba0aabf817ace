#ifndef STRATA_FORMATS_REGISTRIES_CONF_H
#define STRATA_FORMATS_REGISTRIES_CONF_H

/*
 * The registry configuration podman, buildah and skopeo users already have:
 * containers-registries.conf(5) (version 2 format) and
 * containers-registries.conf.d(5).
 *
 * Files: $CONTAINERS_REGISTRIES_CONF alone when set; otherwise
 * ~/.config/containers/registries.conf when it exists, else
 * /etc/containers/registries.conf, then the *.conf files of
 * /etc/containers/registries.conf.d/ and ~/.config/containers/registries.conf.d/
 * in that order, each directory sorted by name. A later file replaces
 * unqualified-search-registries, short-name-mode and credential-helpers, adds
 * to [aliases], and replaces a [[registry]] with the same prefix.
 *
 * Understood: unqualified-search-registries, short-name-mode,
 * credential-helpers, [aliases], and [[registry]] prefix / location /
 * insecure / blocked / mirror-by-digest-only with [[registry.mirror]]
 * location / insecure / pull-from-mirror. A syntax strata does not read is
 * an error naming file:line (formats/toml.h); an unknown key is a warning, as
 * in containers/image.
 */

#include <stddef.h>

#include "formats/core/error.h"
#include "formats/core/strvec.h"
#include "formats/reference.h"

#define REGISTRIES_CONF_MAX (1u << 20)

enum registries_pull_from {
    REGISTRIES_PULL_FROM_ALL = 0,
    REGISTRIES_PULL_FROM_DIGEST_ONLY,
    REGISTRIES_PULL_FROM_TAG_ONLY,
};

struct registries_mirror {
    char *location; /* "host[:port][/path]" */
    int insecure;
    enum registries_pull_from pull_from;
};

struct registries_entry {
    char *prefix;   /* what it applies to: "example.com/ns" or "*.example.com" */
    char *location; /* where that lives: replaces the prefix; NULL for a wildcard */
    int insecure, blocked, mirror_by_digest_only;
    struct registries_mirror *mirrors; /* tried in order, then location itself */
    size_t nmirrors;
    char where[320]; /* "file:line" of its [[registry]] table */
};

struct registries_conf {
    struct strvec search; /* unqualified-search-registries */
    int search_set;       /* the key was given (possibly empty) */
    struct registries_entry *regs;
    size_t nregs;
    struct strvec aliases;      /* name, value, name, value, ... */
    struct strvec cred_helpers; /* credential-helpers; empty: the default */
    char short_name_mode[16];   /* "" (not given), enforcing, permissive, disabled */
    struct strvec files;        /* the files read, in order */
};

void registries_conf_init(struct registries_conf *c);
void registries_conf_release(struct registries_conf *c);

/*
 * Reads text (named file in messages) and merges it into c. Bad syntax, a
 * value of the wrong type, an invalid prefix, location or alias is an input
 * error naming file:line.
 */
int registries_conf_parse(struct registries_conf *c, const char *text, size_t len, const char *file,
                          struct error *err);

/* registries_conf_parse of the file at path (at most REGISTRIES_CONF_MAX bytes). */
int registries_conf_load_file(struct registries_conf *c, const char *path, struct error *err);

/* Initialises c and reads the files listed above. A missing file is not an error. */
int registries_conf_load(struct registries_conf *c, struct error *err);

/*
 * The [[registry]] whose prefix matches name ("host/path", no tag) the
 * longest, or NULL. A prefix matches the same name or a name that continues
 * it with '/'; "*.example.com" matches hosts ending in ".example.com".
 */
const struct registries_entry *registries_conf_match(const struct registries_conf *c,
                                                     const char *name);

/* The alias of a short name ("debian" -> "docker.io/library/debian"), or NULL. */
const char *registries_conf_alias(const struct registries_conf *c, const char *name);

/* Where a short name is looked for: unqualified-search-registries, else docker.io. */
void registries_conf_search(const struct registries_conf *c, struct strvec *out);

/* One place to pull an image from. */
struct registries_source {
    char *host; /* host[:port] to contact */
    char *repo; /* the repository there */
    int insecure;
    int mirror;
};

/*
 * The places to pull the qualified reference r from, in order: the mirrors
 * of its [[registry]] (those that serve this kind of reference: by tag or by
 * digest), then the registry itself at its location. A blocked registry is
 * an error naming the file:line that blocks it. Free with
 * registries_sources_free.
 */
int registries_conf_sources(const struct registries_conf *c, const struct reference *r,
                            struct registries_source **out, size_t *n, struct error *err);
void registries_sources_free(struct registries_source *s, size_t n);

/* Whether host (host[:port]) is marked insecure by its [[registry]]. */
int registries_conf_insecure(const struct registries_conf *c, const char *host);

#endif
