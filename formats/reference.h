#ifndef STRATA_FORMATS_REFERENCE_H
#define STRATA_FORMATS_REFERENCE_H

/*
 * Image references: the grammar of the distribution project's reference
 * package (reference.go, "Grammar") with docker's normalisation
 * (normalize.go, ParseNormalizedNamed / splitDockerDomain):
 *
 *   reference := name [ ":" tag ] [ "@" digest ]
 *   name      := [ domain "/" ] path-component ( "/" path-component )*
 *   domain    := host [ ":" port ]   host: DNS name, IPv4, or "[" IPv6 "]"
 *   path-component := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
 *   tag       := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
 *   digest    := algorithm ":" hex   (strata stores sha256 only)
 *
 * The first component is a domain when it holds a '.' or a ':', is
 * "localhost", or has an upper-case letter; otherwise the name is short
 * (domain NULL) and the caller decides where it lives: docker.io for a pull
 * (with "library/" before a one-component path), localhost for a local name.
 * "index.docker.io" is read as "docker.io". The whole name is at most 255
 * characters.
 */

#include "formats/core/error.h"
#include "formats/digest.h"

#define REFERENCE_NAME_MAX 255
#define REFERENCE_TAG_MAX 128
#define REFERENCE_DOCKER_HUB "docker.io"
#define REFERENCE_LOCAL "localhost"

struct reference {
    char *domain; /* "docker.io", "localhost:5000", "[::1]:5000"; NULL for a short name */
    char *path;   /* "library/debian"; for docker.io always with a '/' */
    char *tag;    /* NULL when none was given */
    char digest[DIGEST_STR_LEN + 1]; /* "" when none */
};

/*
 * Parses s into r (release with reference_release) by the grammar above.
 * A malformed reference is an input error that names s and says which part
 * is wrong (upper case in the repository, an empty or invalid tag, a bad
 * port, a digest that is not sha256:<64 hex>). Fills r only on success.
 */
int reference_parse(const char *s, struct reference *r, struct error *err);
void reference_release(struct reference *r);

/* Deep copy of src into dst. */
void reference_copy(struct reference *dst, const struct reference *src);

/*
 * Gives a short reference the domain domain (docker.io puts "library/"
 * before a one-component path); a qualified one is left alone.
 */
void reference_qualify(struct reference *r, const char *domain);

/*
 * Refuses (input error naming s) a qualified r whose name is longer than
 * REFERENCE_NAME_MAX, as a short name can become once qualified.
 */
int reference_check_length(const char *s, const struct reference *r, struct error *err);

/* Adds the tag "latest" when r has neither a tag nor a digest. */
void reference_default_tag(struct reference *r);

/* "domain/path[:tag][@digest]" (no domain for a short name); malloc'ed. */
char *reference_format(const struct reference *r);
/* "domain/path" (or "path"), without tag or digest; malloc'ed. */
char *reference_name(const struct reference *r);

/*
 * reference_parse, reference_qualify(domain) (domain NULL: a short name stays
 * short), reference_default_tag, reference_format. NULL with err set when s
 * is malformed.
 */
char *reference_normalize(const char *s, const char *domain, struct error *err);

/* 1 when tag matches the tag grammar. */
int reference_tag_ok(const char *tag);

/*
 * 1 when domain (host[:port]) is a loopback address or name: localhost,
 * 127.0.0.0/8, [::1].
 */
int reference_domain_is_loopback(const char *domain);

#endif
