/*
 * Fuzz target: the .dockerignore reader and matcher. The input is the
 * ignore file, then a NUL byte, then NUL-separated paths to match.
 * Invariants: no crash, no leak, failures are input errors naming
 * ".dockerignore:LINE:1", match results are 0 or 1, the root is never
 * excluded.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "builder/recipe/dockerignore.h"

#include "formats/core/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_match_paths(const struct dockerignore *d, const char *p, size_t n)
{
    char path[4096];
    const char *end = p + n, *z;
    size_t len;
    int m;

    while (p < end) {
        z = memchr(p, '\0', (size_t)(end - p));
        len = z ? (size_t)(z - p) : (size_t)(end - p);
        if (len < sizeof(path)) {
            memcpy(path, p, len);
            path[len] = '\0';
            m = dockerignore_match(d, path);
            if (m != 0 && m != 1)
                abort();
            if (dockerignore_skip_dir(d, path) && !m)
                abort();
        }
        p += len + 1;
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data, *nul = memchr(text, '\0', size);
    size_t tlen = nul ? (size_t)(nul - text) : size;
    struct dockerignore d;
    struct error err;

    dockerignore_init(&d);
    error_init(&err);
    if (dockerignore_load(&d, text, tlen, ".dockerignore", &err) < 0) {
        if (err.exit_code != 2 || strncmp(err.msg, ".dockerignore:", 14))
            abort();
    }
    if (dockerignore_match(&d, "") || dockerignore_match(&d, "."))
        abort();
    if (nul)
        fuzz_match_paths(&d, nul + 1, size - tlen - 1);
    dockerignore_release(&d);
    return 0;
}
