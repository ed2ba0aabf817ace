#include "formats/registry_tls.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "formats/core/buf.h"
#include "formats/core/fsutil.h"
#include "formats/core/mem.h"
#include "formats/core/strvec.h"

#include "formats/core/banned.h"

#define REGISTRY_TLS_FILE_MAX (1u << 20)

void
registry_tls_release(struct registry_tls *t)
{
    if (!t)
        return;
    free(t->ca_pem);
    free(t->cert);
    free(t->key);
    free(t->hint);
    memset(t, 0, sizeof(*t));
}

static int
registry_tls_ends(const char *name, const char *ext)
{
    size_t n = strlen(name), e = strlen(ext);

    return n > e && !strcmp(name + n - e, ext);
}

static int
registry_tls_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The pair of a "x.cert" is "x.key" in the same directory, and the reverse. */
static int
registry_tls_pair(const char *dir, const char *name, const char *have, const char *want, char **out,
                  struct error *err)
{
    size_t stem = strlen(name) - strlen(have);
    cleanup_free char *other = xasprintf("%s/%.*s%s", dir, (int)stem, name, want);

    if (!fs_exists(AT_FDCWD, other))
        return error_input(err, "%s/%s: client %s without its %s (%s)", dir, name,
                           !strcmp(have, ".cert") ? "certificate" : "key",
                           !strcmp(have, ".cert") ? "key" : "certificate", other);
    if (out && !*out)
        *out = steal_ptr(&other);
    return 0;
}

static int
registry_tls_dir(struct registry_tls *t, const char *dir, struct buf *ca, struct error *err)
{
    cleanup_strvec struct strvec names = STRVEC_INIT;
    cleanup_closedir DIR *d = opendir(dir);
    struct dirent *de;
    size_t i;

    if (!d)
        return 0;
    while ((de = readdir(d)))
        if (de->d_name[0] != '.')
            strvec_push(&names, de->d_name);
    if (names.n)
        qsort(names.v, names.n, sizeof(char *), registry_tls_cmp);
    for (i = 0; i < names.n; i++) {
        const char *n = names.v[i];
        cleanup_free char *path = xasprintf("%s/%s", dir, n);
        if (registry_tls_ends(n, ".crt")) {
            if (fs_read_file_max(AT_FDCWD, path, REGISTRY_TLS_FILE_MAX, ca, err) < 0)
                return error_wrap(err, "CA certificate");
            buf_addch(ca, '\n');
        } else if (registry_tls_ends(n, ".cert")) {
            if (registry_tls_pair(dir, n, ".cert", ".key", &t->key, err) < 0)
                return -1;
            if (!t->cert)
                t->cert = steal_ptr(&path);
        } else if (registry_tls_ends(n, ".key")) {
            if (registry_tls_pair(dir, n, ".key", ".cert", NULL, err) < 0)
                return -1;
        }
    }
    return 0;
}

int
registry_tls_load(struct registry_tls *t, const char *host, const char *cert_dir,
                  const char *system_ca, struct error *err)
{
    const char *env = getenv("STRATA_CERTS_D");
    const char *roots = cert_dir ? cert_dir : env && *env ? env : REGISTRY_TLS_CERTS_DIRS;
    cleanup_buf struct buf ca = BUF_INIT;
    cleanup_buf struct buf sys = BUF_INIT;
    const char *p = roots;
    struct error e;

    memset(t, 0, sizeof(*t));
    t->hint = xasprintf("%.*s/%s/ca.crt", (int)strcspn(roots, ":"), roots, host);
    while (*p) {
        size_t n = strcspn(p, ":");
        cleanup_free char *dir = xasprintf("%.*s/%s", (int)n, p, host);
        if (n && registry_tls_dir(t, dir, &ca, err) < 0) {
            registry_tls_release(t);
            return -1;
        }
        p += n;
        if (*p == ':')
            p++;
    }
    if (!ca.len)
        return 0;
    /* certs.d CAs are trusted in addition to the system's (containers-certs.d(5)) */
    error_init(&e);
    if (system_ca && fs_read_file_max(AT_FDCWD, system_ca, 16u << 20, &sys, &e) == 0) {
        buf_add(&sys, "\n", 1);
        buf_add(&sys, ca.data, ca.len);
        t->ca_len = sys.len;
        t->ca_pem = buf_detach(&sys);
    } else {
        t->ca_len = ca.len;
        t->ca_pem = buf_detach(&ca);
    }
    return 0;
}
