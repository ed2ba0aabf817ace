#include "builder/engine/cachekey.h"
#include "tests/unit/harness.h"

#include "formats/core/banned.h"

static void
key_of(const char *parent, const char *a, const char *b, char out[DIGEST_STR_LEN + 1])
{
    struct cachekey k;

    cachekey_init(&k, parent);
    cachekey_add(&k, "x", a);
    cachekey_add(&k, "x", b);
    cachekey_final(&k, out);
}

TEST(cachekey_is_stable_and_chained)
{
    char k1[DIGEST_STR_LEN + 1], k2[DIGEST_STR_LEN + 1], k3[DIGEST_STR_LEN + 1];

    key_of("scratch", "a", "b", k1);
    key_of("scratch", "a", "b", k2);
    CHECK_STR(k1, k2);
    key_of(k1, "a", "b", k3);
    CHECK(strcmp(k1, k3) != 0); /* a different parent gives a different key */
}

TEST(cachekey_fields_are_length_prefixed)
{
    char k1[DIGEST_STR_LEN + 1], k2[DIGEST_STR_LEN + 1];

    key_of("p", "ab", "c", k1);
    key_of("p", "a", "bc", k2);
    CHECK(strcmp(k1, k2) != 0);
}

TEST(cachekey_vec_order_matters)
{
    struct strvec a = STRVEC_INIT, b = STRVEC_INIT;
    struct cachekey k;
    char k1[DIGEST_STR_LEN + 1], k2[DIGEST_STR_LEN + 1];

    strvec_push(&a, "A=1");
    strvec_push(&a, "B=2");
    strvec_push(&b, "B=2");
    strvec_push(&b, "A=1");
    cachekey_init(&k, "p");
    cachekey_add_vec(&k, "env", &a);
    cachekey_final(&k, k1);
    cachekey_init(&k, "p");
    cachekey_add_vec(&k, "env", &b);
    cachekey_final(&k, k2);
    CHECK(strcmp(k1, k2) != 0);
    strvec_release(&a);
    strvec_release(&b);
}
