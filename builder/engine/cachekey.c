#include "builder/engine/cachekey.h"

#include <stdint.h>
#include <string.h>

#include "formats/core/banned.h"

void
cachekey_add_bytes(struct cachekey *k, const char *label, const void *data, size_t n)
{
    uint64_t ll = strlen(label), ln = n;

    digest_update(&k->d, &ll, sizeof(ll));
    digest_update(&k->d, label, (size_t)ll);
    digest_update(&k->d, &ln, sizeof(ln));
    digest_update(&k->d, data, n);
}

void
cachekey_add(struct cachekey *k, const char *label, const char *value)
{
    cachekey_add_bytes(k, label, value ? value : "", value ? strlen(value) : 0);
}

void
cachekey_init(struct cachekey *k, const char *parent)
{
    digest_init(&k->d);
    cachekey_add(k, "version", CACHEKEY_VERSION);
    cachekey_add(k, "parent", parent);
}

void
cachekey_add_vec(struct cachekey *k, const char *label, const struct strvec *v)
{
    size_t i;
    uint64_t n = v->n;

    cachekey_add_bytes(k, label, &n, sizeof(n));
    for (i = 0; i < v->n; i++)
        cachekey_add(k, label, v->v[i]);
}

void
cachekey_final(struct cachekey *k, char out[DIGEST_STR_LEN + 1])
{
    digest_final(&k->d, out);
}
