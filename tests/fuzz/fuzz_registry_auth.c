/*
 * Fuzz target: registry text parsing: the WWW-Authenticate header, docker
 * config.json credentials, image references, base64 and upload Range
 * headers. The input is split at the first NUL: header \0 rest.
 * Invariants: no crash, no leak; failures are input errors (exit code 2);
 * an accepted reference formats to a string that parses to the same parts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/core/mem.h"
#include "formats/registry.h"
#include "formats/registry_auth.h"

#include "formats/core/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_ref(const char *s)
{
    struct registry_ref r, back;
    struct error err;
    char *f;

    error_init(&err);
    if (registry_ref_parse(s, &r, &err) < 0) {
        if (err.exit_code != 2)
            abort();
        return;
    }
    f = registry_ref_format(&r);
    if (registry_ref_parse(f, &back, &err) < 0 || strcmp(back.host, r.host) ||
        strcmp(back.repo, r.repo) || strcmp(back.digest, r.digest))
        abort();
    (void)registry_ref_is_remote(s);
    free(f);
    registry_ref_release(&back);
    registry_ref_release(&r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *a = xstrndup((const char *)data, size);
    const char *rest = memchr(data, '\0', size) ? (const char *)memchr(data, '\0', size) + 1 : "";
    size_t rest_len = size - (size_t)(rest - (const char *)data);
    struct registry_challenge c;
    struct error err;
    char *u = NULL, *p = NULL, *d = NULL;
    size_t n;
    long long end;

    if (!memchr(data, '\0', size))
        rest_len = 0;
    error_init(&err);
    if (registry_auth_parse(a, &c, &err) == 0)
        registry_challenge_release(&c);
    else if (err.exit_code != 2)
        abort();
    if (registry_auth_lookup(rest, rest_len, "localhost:5000", "team/app", &u, &p, &err) == 0) {
        free(u);
        free(p);
    }
    if (registry_auth_unb64(a, &d, &n) == 0)
        free(d);
    (void)registry_range_end(a, &end);
    fuzz_ref(a);
    free(a);
    return 0;
}
