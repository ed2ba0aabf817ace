#include "formats/platform.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/core/mem.h"

#include "formats/core/banned.h"

/* Go's list of operating systems (go/build syslist.go), as containerd knows them. */
static const char *const platform_oses[] = {
    "aix",   "android", "darwin", "dragonfly", "freebsd", "hurd",    "illumos", "ios", "js",
    "linux", "nacl",    "netbsd", "openbsd",   "plan9",   "solaris", "windows", "zos", NULL,
};

/* Go's list of architectures (GOARCH values). */
static const char *const platform_arches[] = {
    "386",       "amd64",       "amd64p32", "arm",   "armbe",   "arm64",  "arm64be",
    "ppc64",     "ppc64le",     "loong64",  "mips",  "mipsle",  "mips64", "mips64le",
    "mips64p32", "mips64p32le", "ppc",      "riscv", "riscv64", "s390",   "s390x",
    "sparc",     "sparc64",     "wasm",     NULL,
};

static int
platform_in(const char *const *list, const char *s)
{
    for (; *list; list++)
        if (!strcmp(*list, s))
            return 1;
    return 0;
}

static void
platform_lower(char *s)
{
    for (; *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

static void
platform_copy(char dst[PLATFORM_PART_MAX], const char *src)
{
    snprintf(dst, PLATFORM_PART_MAX, "%s", src);
}

void
platform_normalize(struct platform *p)
{
    char *a = p->arch, *v = p->variant;

    platform_lower(p->os);
    platform_lower(a);
    platform_lower(v);
    if (!strcmp(p->os, "macos"))
        platform_copy(p->os, "darwin");
    if (!strcmp(a, "i386")) {
        platform_copy(a, "386");
        v[0] = '\0';
    } else if (!strcmp(a, "x86_64") || !strcmp(a, "x86-64") || !strcmp(a, "amd64")) {
        platform_copy(a, "amd64");
        if (!strcmp(v, "v1"))
            v[0] = '\0';
    } else if (!strcmp(a, "aarch64") || !strcmp(a, "arm64")) {
        platform_copy(a, "arm64");
        if (!strcmp(v, "8") || !strcmp(v, "v8") || !strcmp(v, "v8.0"))
            v[0] = '\0';
        else if (!strcmp(v, "9") || !strcmp(v, "9.0") || !strcmp(v, "v9.0"))
            platform_copy(v, "v9");
    } else if (!strcmp(a, "armhf")) {
        platform_copy(a, "arm");
        platform_copy(v, "v7");
    } else if (!strcmp(a, "armel")) {
        platform_copy(a, "arm");
        platform_copy(v, "v6");
    } else if (!strcmp(a, "arm")) {
        if (!*v || !strcmp(v, "7"))
            platform_copy(v, "v7");
        else if (!strcmp(v, "5") || !strcmp(v, "6") || !strcmp(v, "8"))
            snprintf(v, PLATFORM_PART_MAX, "v%c", v[0]);
    }
}

int
platform_set(struct platform *p, const char *os, const char *arch, const char *variant)
{
    if (!os || !arch || !*os || !*arch || strlen(os) >= PLATFORM_PART_MAX ||
        strlen(arch) >= PLATFORM_PART_MAX || (variant && strlen(variant) >= PLATFORM_PART_MAX))
        return -1;
    platform_copy(p->os, os);
    platform_copy(p->arch, arch);
    platform_copy(p->variant, variant ? variant : "");
    platform_normalize(p);
    return 0;
}

const char *
platform_host_arch(void)
{
#if defined(__x86_64__)
    return "amd64";
#elif defined(__aarch64__)
    return "arm64";
#elif defined(__i386__)
    return "386";
#elif defined(__arm__)
    return "arm";
#elif defined(__s390x__)
    return "s390x";
#elif defined(__powerpc64__)
    return "ppc64le";
#elif defined(__riscv)
    return "riscv64";
#else
    return "unknown";
#endif
}

void
platform_host(struct platform *out)
{
    platform_set(out, "linux", platform_host_arch(), NULL);
}

void
platform_format(const struct platform *p, char out[PLATFORM_STR_MAX])
{
    snprintf(out, PLATFORM_STR_MAX, "%s/%s%s%s", p->os, p->arch, p->variant[0] ? "/" : "",
             p->variant);
}

int
platform_equal(const struct platform *a, const struct platform *b)
{
    return !strcmp(a->os, b->os) && !strcmp(a->arch, b->arch) && !strcmp(a->variant, b->variant);
}

/* containerd's specifier parts: [A-Za-z0-9_-]+ for the OS, [A-Za-z0-9_.-]+ after it */
static int
platform_part_ok(const char *s, size_t n, int dot)
{
    size_t i;

    if (!n || n >= PLATFORM_PART_MAX)
        return 0;
    for (i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-' && (!dot || s[i] != '.'))
            return 0;
    return 1;
}

int
platform_parse(const char *spec, struct platform *out, struct error *err)
{
    char parts[3][PLATFORM_PART_MAX];
    const char *s = spec;
    size_t n = 0;
    struct platform p;

    memset(&p, 0, sizeof(p));
    for (;;) {
        size_t len = strcspn(s, "/");
        if (n == 3)
            return error_input(err, "platform \"%s\": more than os/arch/variant", spec);
        if (!platform_part_ok(s, len, n > 0))
            return error_input(
                err,
                len ? "platform \"%s\": a part must be letters, digits, _, - (or . after the os)"
                    : "platform \"%s\": empty part",
                spec);
        snprintf(parts[n++], PLATFORM_PART_MAX, "%.*s", (int)len, s);
        if (!s[len])
            break;
        s += len + 1;
    }
    if (n == 1) {
        platform_lower(parts[0]);
        if (platform_in(platform_oses, parts[0]) || !strcmp(parts[0], "macos")) {
            platform_set(&p, parts[0], platform_host_arch(), NULL);
        } else {
            platform_set(&p, "linux", parts[0], NULL);
            if (!platform_in(platform_arches, p.arch))
                return error_input(err, "platform \"%s\": unknown operating system or architecture",
                                   spec);
        }
    } else {
        platform_set(&p, parts[0], parts[1], n == 3 ? parts[2] : NULL);
    }
    *out = p;
    return 0;
}

int
platform_parse_list(const char *list, struct platform **out, size_t *n, struct error *err)
{
    cleanup_free char *copy = xstrdup(list);
    cleanup_free struct platform *v = NULL;
    char *item = copy;
    size_t k = 0, i;

    for (;;) {
        char *comma = strchr(item, ',');
        char a[PLATFORM_STR_MAX];
        if (comma)
            *comma = '\0';
        v = xrealloc(v, (k + 1) * sizeof(*v));
        if (!*item)
            return error_input(err, "--platform \"%s\": empty platform in the list", list);
        if (platform_parse(item, &v[k], err) < 0)
            return error_wrap(err, "--platform");
        for (i = 0; i < k; i++) {
            if (platform_equal(&v[i], &v[k])) {
                platform_format(&v[k], a);
                return error_input(err, "--platform \"%s\": %s is given twice", list, a);
            }
        }
        k++;
        if (!comma)
            break;
        item = comma + 1;
    }
    *out = steal_ptr(&v);
    *n = k;
    return 0;
}

/* "v8.2" -> 8, 2; "v9" -> 9, 0. Returns -1 for anything else. */
static int
platform_arm64_version(const char *v, int *major, int *minor)
{
    char *end;
    long ma, mi = 0;

    if (v[0] != 'v' || !isdigit((unsigned char)v[1]))
        return -1;
    ma = strtol(v + 1, &end, 10);
    if (*end == '.') {
        if (!isdigit((unsigned char)end[1]) || end[2] != '\0')
            return -1; /* containerd reads a one-digit minor only */
        mi = end[1] - '0';
    } else if (*end) {
        return -1;
    }
    *major = (int)ma;
    *minor = (int)mi;
    return 0;
}

#define PLATFORM_VECTOR_MAX 32

struct platform_vector {
    struct platform v[PLATFORM_VECTOR_MAX];
    size_t n;
};

static void
platform_vector_add(struct platform_vector *vec, const struct platform *base, const char *arch,
                    const char *variant)
{
    struct platform *p;

    if (vec->n == PLATFORM_VECTOR_MAX)
        return;
    p = &vec->v[vec->n++];
    *p = *base;
    platform_copy(p->arch, arch);
    platform_copy(p->variant, variant);
    platform_normalize(p);
}

/* arm/vN: then arm/v(N-1) down to arm/v5. */
static void
platform_vector_arm(struct platform_vector *vec, const struct platform *want, const char *variant)
{
    char v[PLATFORM_PART_MAX];
    int k;

    platform_vector_add(vec, want, "arm", variant);
    if (variant[0] != 'v' || !isdigit((unsigned char)variant[1]) || variant[2])
        return;
    for (k = variant[1] - '0' - 1; k >= 5; k--) {
        snprintf(v, sizeof(v), "v%d", k);
        platform_vector_add(vec, want, "arm", v);
    }
}

static void
platform_vector_arm64(struct platform_vector *vec, const struct platform *want)
{
    const char *variant = want->variant[0] ? want->variant : "v8";
    char v[PLATFORM_PART_MAX];
    int major, minor, k;

    if (platform_arm64_version(variant, &major, &minor) == 0 && major >= 8) {
        if (major == 9) {
            for (k = minor - 1; k >= 0; k--) {
                snprintf(v, sizeof(v), k ? "v9.%d" : "v9", k);
                platform_vector_add(vec, want, "arm64", v);
            }
            /* v9.N descends from v8.(N+5), up to v8.9 */
            minor = minor + 5 > 9 ? 9 : minor + 5;
            major = 8;
            snprintf(v, sizeof(v), "v8.%d", minor);
            platform_vector_add(vec, want, "arm64", v);
        }
        for (k = minor - 1; k >= 0; k--) {
            snprintf(v, sizeof(v), k ? "v8.%d" : "v8", k);
            platform_vector_add(vec, want, "arm64", v);
        }
    }
    /* every arm64 runs 32-bit arm programs up to arm/v8 */
    if (!strncmp(variant, "v8.", 3) || !strncmp(variant, "v9.", 3))
        variant = "v8";
    platform_vector_arm(vec, want, variant);
}

/* want first, then what its machines also run, best first (containerd's platformVector). */
static void
platform_vector(const struct platform *want, struct platform_vector *vec)
{
    char v[PLATFORM_PART_MAX];
    int k;

    vec->n = 0;
    vec->v[vec->n++] = *want;
    if (!strcmp(want->arch, "amd64")) {
        if (want->variant[0] == 'v' && isdigit((unsigned char)want->variant[1]) &&
            !want->variant[2]) {
            for (k = want->variant[1] - '0' - 1; k >= 1; k--) {
                snprintf(v, sizeof(v), "v%d", k);
                platform_vector_add(vec, want, "amd64", v);
            }
        }
        platform_vector_add(vec, want, "386", "");
    } else if (!strcmp(want->arch, "arm")) {
        vec->n = 0;
        platform_vector_arm(vec, want, want->variant);
    } else if (!strcmp(want->arch, "arm64")) {
        platform_vector_arm64(vec, want);
    }
}

int
platform_match(const struct platform *want, const struct platform *have)
{
    struct platform_vector vec;
    size_t i;

    platform_vector(want, &vec);
    for (i = 0; i < vec.n; i++)
        if (platform_equal(&vec.v[i], have))
            return (int)i;
    return -1;
}

int
platform_native(const struct platform *p)
{
    struct platform host;

    platform_host(&host);
    if (strcmp(p->os, "linux"))
        return 0;
    if (!strcmp(p->arch, host.arch))
        return 1;
    return !strcmp(host.arch, "amd64") && !strcmp(p->arch, "386");
}
