/*
 * Fuzz target: docker-archive manifest.json parsing, then writing back and
 * re-parsing (round trip) and image selection. Invariants: no crash, no
 * leak; every failure is an input error; every accepted path passes
 * docker_archive_path_ok; what we write parses again to the same entries.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/docker_archive.h"

#include "formats/core/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct docker_archive_manifest m, back;
    struct error err;
    char *out;
    size_t i, k;

    error_init(&err);
    if (docker_archive_manifest_parse((const char *)data, size, &m, &err) < 0) {
        if (err.exit_code != 2)
            abort();
        return 0;
    }
    for (i = 0; i < m.n; i++) {
        if (!docker_archive_path_ok(m.images[i].config))
            abort();
        for (k = 0; k < m.images[i].layers.n; k++)
            if (!docker_archive_path_ok(m.images[i].layers.v[k]))
                abort();
    }
    out = docker_archive_manifest_write(&m);
    if (docker_archive_manifest_parse(out, strlen(out), &back, &err) < 0 || back.n != m.n)
        abort();
    for (i = 0; i < m.n; i++)
        if (strcmp(m.images[i].config, back.images[i].config) != 0 ||
            m.images[i].layers.n != back.images[i].layers.n)
            abort();
    if (m.n && m.images[0].repo_tags.n)
        (void)docker_archive_select(&m, m.images[0].repo_tags.v[0], &err);
    free(out);
    docker_archive_manifest_release(&back);
    docker_archive_manifest_release(&m);
    return 0;
}
