#include "formats/core/hashmap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/core/mem.h"
#include "tests/unit/harness.h"

#include "formats/core/banned.h"

TEST(hashmap_put_get_replace_and_grow)
{
    struct hashmap m = HASHMAP_INIT;
    char key[32];
    int added = -1, i;

    CHECK(hashmap_get(&m, "a", 1) == NULL);
    *hashmap_put(&m, "a", 1, &added) = xstrdup("one");
    CHECK_INT(added, 1);
    CHECK_STR(*hashmap_get(&m, "a", 1), "one");
    free(*hashmap_put(&m, "a", 1, &added));
    CHECK_INT(added, 0);
    *hashmap_get(&m, "a", 1) = xstrdup("uno");
    CHECK_STR(*hashmap_get(&m, "a", 1), "uno");
    /* keys are byte strings: "a" and "a\0" differ */
    CHECK(hashmap_get(&m, "a\0", 2) == NULL);
    /* many keys: the map grows and keeps every one */
    for (i = 0; i < 5000; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        *hashmap_put(&m, key, strlen(key), NULL) = xstrdup(key);
    }
    CHECK_INT(m.n, 5001);
    for (i = 0; i < 5000; i += 499) {
        snprintf(key, sizeof(key), "k%d", i);
        CHECK_STR(*hashmap_get(&m, key, strlen(key)), key);
    }
    CHECK(hashmap_get(&m, "k5000", 5) == NULL);
    hashmap_release(&m, free);
    CHECK_INT(m.n, 0);
    CHECK(hashmap_get(&m, "a", 1) == NULL);
}

TEST(hashmap_binary_keys_and_iteration)
{
    struct hashmap m = HASHMAP_INIT;
    unsigned long long k[2];
    const void *key;
    size_t klen, pos = 0, seen = 0;
    void *v;
    unsigned long long sum = 0;
    int i;

    for (i = 1; i <= 100; i++) {
        k[0] = 7;
        k[1] = (unsigned long long)i;
        *hashmap_put(&m, k, sizeof(k), NULL) = (void *)(uintptr_t)i;
    }
    k[1] = 42;
    CHECK_INT((int)(uintptr_t)*hashmap_get(&m, k, sizeof(k)), 42);
    while (hashmap_next(&m, &pos, &key, &klen, &v)) {
        CHECK_INT(klen, sizeof(k));
        sum += (uintptr_t)v;
        seen++;
    }
    CHECK_INT(seen, 100);
    CHECK_INT(sum, 5050);
    hashmap_release(&m, NULL);
}
