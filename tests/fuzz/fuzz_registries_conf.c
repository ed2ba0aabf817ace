/*
 * Fuzz target: the TOML-subset reader and containers-registries.conf(5)
 * (formats/toml.c, formats/registries_conf.c), then the sources of a fixed
 * reference. Invariants: no crash, no leak, no hang; a refused file is an
 * input error (exit code 2) naming "fuzz.conf:LINE" or the file.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/registries_conf.h"
#include "formats/toml.h"

#include "formats/core/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct registries_conf c;
    struct registries_source *src = NULL;
    struct reference r;
    struct error err;
    size_t n = 0;

    registries_conf_init(&c);
    error_init(&err);
    if (registries_conf_parse(&c, (const char *)data, size, "fuzz.conf", &err) < 0) {
        if (err.exit_code != 2 || !strstr(err.msg, "fuzz.conf"))
            abort();
        registries_conf_release(&c);
        return 0;
    }
    if (reference_parse("docker.io/library/debian:12", &r, &err) < 0)
        abort();
    if (registries_conf_sources(&c, &r, &src, &n, &err) == 0)
        registries_sources_free(src, n);
    reference_release(&r);
    registries_conf_release(&c);
    return 0;
}
