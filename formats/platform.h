#ifndef STRATA_FORMATS_PLATFORM_H
#define STRATA_FORMATS_PLATFORM_H

/*
 * Platforms (image-spec image-index.md "platform", config.md architecture /
 * os / variant) as users write them and as images carry them.
 *
 * A specifier is "OS", "ARCH", "OS/ARCH" or "OS/ARCH/VARIANT", each part
 * [A-Za-z0-9_-]+, read the way containerd's platforms package reads it: a
 * lone word is an OS when it is a known one (the architecture is then this
 * machine's), else a known architecture (the OS is linux). Every platform is
 * kept normalised, as containerd normalises them: aarch64 is arm64, x86_64
 * and x86-64 are amd64, i386 is 386, armhf is arm/v7 and armel arm/v6;
 * arm64's v8 variant is dropped (arm64 means arm64/v8), arm without a
 * variant is arm/v7, a bare digit variant gets its "v" ("7" -> "v7").
 *
 * Matching (platform_match) follows containerd's platforms.Only: a platform
 * also accepts the older ones its machines run, best first: amd64 then 386;
 * arm/vN then arm/v(N-1) down to arm/v5; arm64/v8.N then the earlier v8.x
 * (arm64/v9.N also v9.x and v8.(N+5)), then arm/v8 down to arm/v5.
 */

#include <stddef.h>

#include "formats/core/error.h"

#define PLATFORM_PART_MAX 32
/* "os/arch/variant" with each part at most PLATFORM_PART_MAX - 1 bytes. */
#define PLATFORM_STR_MAX (3 * PLATFORM_PART_MAX)

struct platform {
    char os[PLATFORM_PART_MAX];      /* "linux" */
    char arch[PLATFORM_PART_MAX];    /* GOARCH: "amd64", "arm64", "arm", ... */
    char variant[PLATFORM_PART_MAX]; /* "" or "v7", "v8.2", ... */
};

/*
 * Parses a specifier into out (normalised). A malformed one is an input
 * error naming it: `platform "linux/": empty part`.
 */
int platform_parse(const char *spec, struct platform *out, struct error *err);

/*
 * Parses a comma-separated list ("linux/amd64,linux/arm64") into *out
 * (malloc'ed, *n entries). An empty list, an empty item or a platform given
 * twice (after normalisation) is an input error.
 */
int platform_parse_list(const char *list, struct platform **out, size_t *n, struct error *err);

/*
 * Fills p from the members an image config or an index entry has (os,
 * architecture, variant; variant may be NULL), normalised. Returns -1
 * (nothing set) when os or arch is missing, empty or too long.
 */
int platform_set(struct platform *p, const char *os, const char *arch, const char *variant);

/* Normalises p in place (see above). */
void platform_normalize(struct platform *p);

/* The GOARCH name of the architecture strata was built for ("amd64", "arm64", ...). */
const char *platform_host_arch(void);

/* This machine's platform: linux and the architecture strata was built for. */
void platform_host(struct platform *out);

/* "linux/arm64", "linux/arm/v7" into out (PLATFORM_STR_MAX bytes). */
void platform_format(const struct platform *p, char out[PLATFORM_STR_MAX]);

/* Whether a and b are the same platform (both normalised). */
int platform_equal(const struct platform *a, const struct platform *b);

/*
 * How well have serves want: 0 when it is want itself, k > 0 when it is the
 * k-th fallback of containerd's order above, -1 when it does not serve it.
 */
int platform_match(const struct platform *want, const struct platform *have);

/*
 * Whether this machine runs p's programs without emulation: its own
 * architecture, and 386 on amd64 (the kernel runs i386 programs).
 */
int platform_native(const struct platform *p);

#endif
