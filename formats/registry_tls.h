#ifndef STRATA_FORMATS_REGISTRY_TLS_H
#define STRATA_FORMATS_REGISTRY_TLS_H

/*
 * Per-registry TLS material from certs.d directories, as containers-certs.d(5)
 * and docker's "Verify repository client with certificates" describe them:
 * ROOT/HOST[:PORT]/ holds *.crt files (CAs, trusted on top of the system's)
 * and *.cert + *.key pairs (a client certificate and its key; each needs the
 * other). Roots: cert_dir when given, else the ':'-separated $STRATA_CERTS_D,
 * else REGISTRY_TLS_CERTS_DIRS (/etc/containers/certs.d, /etc/docker/certs.d).
 */

#include <stddef.h>

#include "formats/core/error.h"

#define REGISTRY_TLS_CERTS_DIRS "/etc/containers/certs.d:/etc/docker/certs.d"

struct registry_tls {
    char *ca_pem; /* the system bundle followed by every *.crt; NULL when there is no *.crt */
    size_t ca_len;
    char *cert, *key; /* client pair paths, or NULL */
    char *hint;       /* "ROOT/HOST/ca.crt": where a CA for this host goes (for messages) */
};

/*
 * Reads the certs.d directories of host. system_ca is the system CA bundle
 * to start ca_pem with (NULL: none). A *.cert without its *.key (or the
 * reverse), or an unreadable file, is an error naming the file.
 */
int registry_tls_load(struct registry_tls *t, const char *host, const char *cert_dir,
                      const char *system_ca, struct error *err);
void registry_tls_release(struct registry_tls *t);

#endif
