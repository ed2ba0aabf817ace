/*
 * binfmt_misc handlers for foreign platforms: finding one that works in the
 * sandbox, and registering Debian's qemu-user-static ones with the F flag.
 */
#include "builder/sandbox/binfmt.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "formats/core/buf.h"
#include "formats/core/fsutil.h"
#include "formats/core/mem.h"

#include "formats/core/banned.h"

/*
 * What a handler must match for each architecture: the ELF class (1: 32-bit,
 * 2: 64-bit), byte order (1: little, 2: big endian) and e_machine (ELF gABI
 * machine numbers), and the name QEMU and Debian give the emulator.
 */
struct binfmt_arch {
    const char *arch; /* GOARCH */
    const char *qemu; /* qemu-<qemu>-static, binfmt.d/qemu-<qemu>.conf */
    unsigned char elf_class, elf_data;
    unsigned short machine;
};

static const struct binfmt_arch binfmt_arches[] = {
    {"amd64", "x86_64", 2, 1, 62},         {"386", "i386", 1, 1, 3},
    {"arm64", "aarch64", 2, 1, 183},       {"arm", "arm", 1, 1, 40},
    {"riscv64", "riscv64", 2, 1, 243},     {"ppc64le", "ppc64le", 2, 1, 21},
    {"s390x", "s390x", 2, 2, 22},          {"mips64le", "mips64el", 2, 1, 8},
    {"loong64", "loongarch64", 2, 1, 258},
};

#define BINFMT_NARCHES (sizeof(binfmt_arches) / sizeof(binfmt_arches[0]))

/* Where the checks look (unit tests point it at a tree of their own). */
static const char *binfmt_dir = BINFMT_DIR;

void
binfmt_set_dir(const char *dir)
{
    binfmt_dir = dir ? dir : BINFMT_DIR;
}
#define BINFMT_MAGIC_MAX 128

static const struct binfmt_arch *
binfmt_arch_of(const struct platform *p)
{
    size_t i;

    for (i = 0; i < BINFMT_NARCHES; i++)
        if (!strcmp(binfmt_arches[i].arch, p->arch))
            return &binfmt_arches[i];
    return NULL;
}

/* One entry of BINFMT_DIR as the kernel shows it. */
struct binfmt_entry {
    char name[256];
    int enabled;
    char interpreter[512];
    char flags[32];
    long offset;
    unsigned char magic[BINFMT_MAGIC_MAX], mask[BINFMT_MAGIC_MAX];
    size_t magic_len, mask_len;
};

static size_t
binfmt_hex(const char *s, unsigned char *out, size_t max)
{
    size_t n = 0;

    while (n < max && s[0] && s[1] && s[0] != '\n') {
        char two[3] = {s[0], s[1], '\0'};
        char *end;
        unsigned long v = strtoul(two, &end, 16);
        if (*end)
            break;
        out[n++] = (unsigned char)v;
        s += 2;
    }
    return n;
}

/* Parses the text of an entry file ("enabled\ninterpreter ...\nflags: F\n..."). */
static void
binfmt_entry_parse(const char *text, struct binfmt_entry *e)
{
    const char *line = text;

    while (line && *line) {
        const char *nl = strchr(line, '\n');
        int len = nl ? (int)(nl - line) : (int)strlen(line);
        if (!strncmp(line, "enabled", 7))
            e->enabled = 1;
        else if (!strncmp(line, "interpreter ", 12))
            snprintf(e->interpreter, sizeof(e->interpreter), "%.*s", len - 12, line + 12);
        else if (!strncmp(line, "flags: ", 7))
            snprintf(e->flags, sizeof(e->flags), "%.*s", len - 7, line + 7);
        else if (!strncmp(line, "offset ", 7))
            e->offset = strtol(line + 7, NULL, 10);
        else if (!strncmp(line, "magic ", 6))
            e->magic_len = binfmt_hex(line + 6, e->magic, sizeof(e->magic));
        else if (!strncmp(line, "mask ", 5))
            e->mask_len = binfmt_hex(line + 5, e->mask, sizeof(e->mask));
        line = nl ? nl + 1 : NULL;
    }
}

/*
 * Whether e's magic, under its mask, takes ELF files of a's kind: the ELF
 * signature, class, byte order and machine all agree where the mask looks,
 * and it does look at the class and the machine's low byte (a handler that
 * ignores them is not one for this platform; some ignore e_machine's high
 * byte, which no machine number we know uses).
 */
static int
binfmt_entry_matches(const struct binfmt_entry *e, const struct binfmt_arch *a)
{
    unsigned char want[20] = {0x7f, 'E', 'L', 'F'};
    static const size_t at[] = {0, 1, 2, 3, 4, 5, 18, 19};
    size_t i, low = a->elf_data == 1 ? 18 : 19;

    if (e->offset != 0 || e->magic_len < 20)
        return 0;
    want[4] = a->elf_class;
    want[5] = a->elf_data;
    want[18] = (unsigned char)(a->elf_data == 1 ? a->machine & 0xff : a->machine >> 8);
    want[19] = (unsigned char)(a->elf_data == 1 ? a->machine >> 8 : a->machine & 0xff);
    for (i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
        unsigned char m = at[i] < e->mask_len ? e->mask[at[i]] : 0xff;
        if ((e->magic[at[i]] & m) != (want[at[i]] & m))
            return 0;
        if ((at[i] == 4 || at[i] == low) && m != 0xff)
            return 0;
    }
    return 1;
}

/*
 * Finds the entry for a: 1 and *out when there is one (enabled ones first),
 * 0 when none, -1 when binfmt_misc is not mounted.
 */
static int
binfmt_find(const struct binfmt_arch *a, struct binfmt_entry *out)
{
    DIR *d = opendir(binfmt_dir);
    struct dirent *de;
    int found = 0;

    if (!d)
        return -1;
    if (!fs_exists(dirfd(d), "register")) {
        closedir(d);
        return -1;
    }
    while ((de = readdir(d)) != NULL && found != 2) {
        cleanup_buf struct buf b = BUF_INIT;
        struct binfmt_entry e;
        struct error ignored;
        if (de->d_name[0] == '.' || !strcmp(de->d_name, "register") ||
            !strcmp(de->d_name, "status"))
            continue;
        error_init(&ignored);
        if (fs_read_file_max(dirfd(d), de->d_name, 4096, &b, &ignored) < 0)
            continue;
        memset(&e, 0, sizeof(e));
        snprintf(e.name, sizeof(e.name), "%s", de->d_name);
        binfmt_entry_parse(buf_cstr(&b), &e);
        if (!binfmt_entry_matches(&e, a))
            continue;
        if (!found || e.enabled) {
            *out = e;
            found = e.enabled ? 2 : 1;
        }
    }
    closedir(d);
    return found ? 1 : 0;
}

static int
binfmt_globally_enabled(void)
{
    cleanup_buf struct buf b = BUF_INIT;
    cleanup_free char *status = xasprintf("%s/status", binfmt_dir);
    struct error ignored;

    error_init(&ignored);
    if (fs_read_file_max(AT_FDCWD, status, 64, &b, &ignored) < 0)
        return 1;
    return strncmp(buf_cstr(&b), "disabled", 8) != 0;
}

/* Why p cannot run, or 0 when it can; *e is filled when a handler was found. */
static int
binfmt_diagnose(const struct platform *p, struct binfmt_entry *e, struct error *err)
{
    const struct binfmt_arch *a = binfmt_arch_of(p);
    char ps[PLATFORM_STR_MAX];
    int rc;

    platform_format(p, ps);
    memset(e, 0, sizeof(*e));
    if (platform_native(p))
        return 0;
    if (strcmp(p->os, "linux") || !a)
        return error_input(err,
                           "%s: strata runs only linux programs of an architecture QEMU "
                           "user mode emulates",
                           ps);
    rc = binfmt_find(a, e);
    if (rc < 0)
        return error_set(err, 0,
                         "%s: binfmt_misc is not mounted on %s, so %s programs cannot run here: "
                         "run `strata binfmt --install` as root (it mounts it and registers "
                         "qemu-%s from Debian's " BINFMT_PACKAGE ")",
                         ps, binfmt_dir, a->arch, a->qemu);
    if (rc == 0)
        return error_set(err, 0,
                         "%s: no binfmt_misc handler runs %s programs: install Debian's "
                         "" BINFMT_PACKAGE " and run `strata binfmt --install` as root (it "
                         "registers qemu-%s with the F flag)",
                         ps, a->arch, a->qemu);
    if (!e->enabled || !binfmt_globally_enabled())
        return error_set(err, 0,
                         "%s: the binfmt_misc handler %s is disabled: `strata binfmt --install` "
                         "(as root) enables it",
                         ps, e->name);
    if (!strchr(e->flags, 'F'))
        return error_set(err, 0,
                         "%s: the binfmt_misc handler %s lacks the F (fix-binary) flag, so %s "
                         "cannot be found inside the sandbox: `strata binfmt --install` (as "
                         "root) registers it again with F",
                         ps, e->name, e->interpreter);
    return 0;
}

int
binfmt_check(const struct platform *p, struct error *err)
{
    struct binfmt_entry e;

    return binfmt_diagnose(p, &e, err);
}

int
binfmt_status(const struct platform *p, char *out, size_t n)
{
    struct binfmt_entry e;
    struct error err;
    char ps[PLATFORM_STR_MAX];
    int rc;

    error_init(&err);
    platform_format(p, ps);
    rc = binfmt_diagnose(p, &e, &err);
    if (rc < 0)
        snprintf(out, n, "%s", err.msg);
    else if (!e.name[0])
        snprintf(out, n, "%s: native", ps);
    else
        snprintf(out, n, "%s: %s (%s, flags %s): ok", ps, e.name, e.interpreter, e.flags);
    return rc;
}

size_t
binfmt_platforms(struct platform *out, size_t max)
{
    size_t i, k = 0;

    for (i = 0; i < BINFMT_NARCHES && k < max; i++)
        platform_set(&out[k++], "linux", binfmt_arches[i].arch, NULL);
    return k;
}

/* ---- registering ---- */

/* The first registration line of Debian's binfmt.d file for a (malloc'ed), or NULL. */
static char *
binfmt_conf_line(const struct binfmt_arch *a, char **path_out)
{
    cleanup_free char *dirs = xstrdup(BINFMT_CONF_DIRS);
    char *dir, *save = NULL;

    for (dir = strtok_r(dirs, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
        cleanup_free char *path = xasprintf("%s/qemu-%s.conf", dir, a->qemu);
        cleanup_buf struct buf b = BUF_INIT;
        struct error ignored;
        const char *line;
        error_init(&ignored);
        if (fs_read_file_max(AT_FDCWD, path, 4096, &b, &ignored) < 0)
            continue;
        for (line = buf_cstr(&b); line && *line;) {
            const char *nl = strchr(line, '\n');
            size_t len = nl ? (size_t)(nl - line) : strlen(line);
            if (line[0] == ':') {
                *path_out = steal_ptr(&path);
                return xstrndup(line, len);
            }
            line = nl ? nl + 1 : NULL;
        }
    }
    return NULL;
}

/*
 * Splits ":name:type:offset:magic:mask:interpreter:flags" (binfmt-misc.rst;
 * the first character is the separator) into its 7 fields, in place.
 */
static int
binfmt_fields(char *line, char *f[7])
{
    char sep = line[0], *p = line + 1;
    int i;

    for (i = 0; i < 7; i++) {
        char *end = strchr(p, sep);
        f[i] = p;
        if (!end) {
            return i == 6 ? 0 : -1;
        }
        *end = '\0';
        p = end + 1;
    }
    return 0;
}

static int
binfmt_write(const char *path, const char *text, struct error *err)
{
    cleanup_close int fd = open(path, O_WRONLY | O_CLOEXEC);

    if (fd < 0)
        return error_set(err, errno, "open %s", path);
    if (write(fd, text, strlen(text)) != (ssize_t)strlen(text))
        return error_set(err, errno, "write %s (\"%s\")", path, text);
    return 0;
}

static int
binfmt_mount(struct error *err)
{
    if (fs_exists(AT_FDCWD, BINFMT_DIR "/register"))
        return 0;
    if (mount("binfmt_misc", BINFMT_DIR, "binfmt_misc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
        return error_set(err, errno, "mount binfmt_misc on %s", BINFMT_DIR);
    return 0;
}

static int
binfmt_register(const struct platform *p, const struct binfmt_arch *a,
                const struct binfmt_entry *old, char *report, size_t n, struct error *err)
{
    cleanup_free char *path = NULL;
    cleanup_free char *line = binfmt_conf_line(a, &path);
    cleanup_free char *text = NULL;
    char ps[PLATFORM_STR_MAX], *f[7];

    platform_format(p, ps);
    if (!line)
        return error_set(err, 0,
                         "%s: no registration qemu-%s.conf in %s: install Debian's " BINFMT_PACKAGE,
                         ps, a->qemu, BINFMT_CONF_DIRS);
    if (binfmt_fields(line, f) < 0)
        return error_input(err, "%s: not a binfmt_misc registration line", path);
    if (access(f[5], X_OK) < 0)
        return error_set(err, errno, "%s: %s names %s: install Debian's " BINFMT_PACKAGE, ps, path,
                         f[5]);
    text = xasprintf(":%s:%s:%s:%s:%s:%s:%s%s", f[0], f[1], f[2], f[3], f[4], f[5], f[6],
                     strchr(f[6], 'F') ? "" : "F");
    if (old->name[0]) {
        /* a handler without F (or disabled): "-1" removes it (binfmt-misc.rst) */
        cleanup_free char *entry = xasprintf("%s/%s", BINFMT_DIR, old->name);
        if (binfmt_write(entry, "-1", err) < 0)
            return error_wrap(err, "%s: remove the old handler", ps);
    } else if (fs_exists(AT_FDCWD, BINFMT_DIR) && f[0][0]) {
        /* an entry of that name matching something else would refuse the registration */
        cleanup_free char *entry = xasprintf("%s/%s", BINFMT_DIR, f[0]);
        if (fs_exists(AT_FDCWD, entry) && binfmt_write(entry, "-1", err) < 0)
            return error_wrap(err, "%s: remove the old handler", ps);
    }
    if (binfmt_write(BINFMT_DIR "/register", text, err) < 0)
        return error_wrap(err, "%s: register %s", ps, f[0]);
    snprintf(report, n, "%s: registered %s (%s, flags %s%s) from %s", ps, f[0], f[5], f[6],
             strchr(f[6], 'F') ? "" : "F", path);
    return 0;
}

static int
binfmt_install_one(const struct platform *p, char *report, size_t n, struct error *err)
{
    const struct binfmt_arch *a = binfmt_arch_of(p);
    struct binfmt_entry e;
    struct error why;
    char ps[PLATFORM_STR_MAX];

    platform_format(p, ps);
    error_init(&why);
    if (binfmt_diagnose(p, &e, &why) == 0) {
        if (e.name[0])
            snprintf(report, n, "%s: %s (%s, flags %s) already works", ps, e.name, e.interpreter,
                     e.flags);
        else
            snprintf(report, n, "%s: native, nothing to register", ps);
        return 0;
    }
    if (why.exit_code == 2 || !a) {
        *err = why;
        return -1;
    }
    if (binfmt_register(p, a, &e, report, n, err) < 0)
        return -1;
    if (!binfmt_globally_enabled() && binfmt_write(BINFMT_DIR "/status", "1", err) < 0)
        return error_wrap(err, "%s: enable binfmt_misc", ps);
    return binfmt_check(p, err);
}

int
binfmt_install(const struct platform *v, size_t n, void (*report)(void *opaque, const char *line),
               void *opaque, struct error *err)
{
    struct platform all[16];
    char line[1024];
    size_t i, k = 0;

    if (geteuid() != 0)
        return error_set(err, EPERM, "binfmt --install: registering handlers needs root");
    if (binfmt_mount(err) < 0)
        return -1;
    if (!n) {
        size_t total = binfmt_platforms(all, 16);
        for (i = 0; i < total; i++) {
            cleanup_free char *path = NULL;
            cleanup_free char *conf = NULL;
            const struct binfmt_arch *a = binfmt_arch_of(&all[i]);
            if (platform_native(&all[i]) || !(conf = binfmt_conf_line(a, &path)))
                continue;
            all[k++] = all[i];
        }
        if (!k)
            return error_set(err, 0,
                             "binfmt --install: no QEMU registrations in %s: install Debian's "
                             "" BINFMT_PACKAGE,
                             BINFMT_CONF_DIRS);
        v = all;
        n = k;
    }
    for (i = 0; i < n; i++) {
        if (binfmt_install_one(&v[i], line, sizeof(line), err) < 0)
            return -1;
        if (report)
            report(opaque, line);
    }
    return 0;
}
