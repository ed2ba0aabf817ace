/*
 * Fuzz target: OCI documents as they come from archives and registries:
 * the same bytes are parsed as an image manifest, an image config, an image
 * index / manifest list (with ref-name and platform selection) and an
 * oci-layout file. Invariants: no crash, no leak; parse failures are input
 * errors; an accepted manifest writes out and parses again with the same
 * layers; an accepted index writes out and parses again with the same count.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/oci.h"
#include "formats/oci_archive.h"

#include "formats/core/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_manifest(const char *s, size_t n)
{
    struct oci_manifest m, back;
    struct error err;
    char *out;

    error_init(&err);
    if (oci_manifest_parse(s, n, "fuzz", &m, &err) < 0) {
        if (err.exit_code != 2)
            abort();
        return;
    }
    out = oci_manifest_write(&m);
    if (oci_manifest_parse(out, strlen(out), "fuzz", &back, &err) < 0 || back.nlayers != m.nlayers)
        abort();
    free(out);
    oci_manifest_release(&back);
    oci_manifest_release(&m);
}

static void
fuzz_index(const char *s, size_t n)
{
    struct oci_archive_index idx, back;
    struct error err;
    char *out;

    error_init(&err);
    if (oci_archive_index_parse(s, n, "fuzz", &idx, &err) < 0) {
        if (err.exit_code != 2)
            abort();
        return;
    }
    (void)oci_archive_index_select(&idx, "latest", &err);
    {
        struct platform want;
        char have[256];
        platform_host(&want);
        (void)oci_archive_index_match(&idx, &want, "fuzz", &err);
        oci_archive_index_platforms(&idx, have, sizeof(have));
    }
    out = oci_archive_index_write(&idx);
    if (oci_archive_index_parse(out, strlen(out), "fuzz", &back, &err) < 0 || back.n != idx.n)
        abort();
    free(out);
    oci_archive_index_release(&back);
    oci_archive_index_release(&idx);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    struct strvec ids = STRVEC_INIT;
    struct error err;
    cJSON *cfg;

    fuzz_manifest(s, size);
    fuzz_index(s, size);
    error_init(&err);
    cfg = oci_config_parse(s, size, "fuzz", -1, &err);
    if (cfg) {
        oci_config_diff_ids(cfg, &ids);
        cJSON_Delete(cfg);
        strvec_release(&ids);
    }
    (void)oci_archive_layout_check(s, size, &err);
    return 0;
}
