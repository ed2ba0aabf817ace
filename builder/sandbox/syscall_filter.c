/*
 * Docker seccomp profiles compiled with libseccomp. How a profile is read
 * follows moby's profiles/seccomp/seccomp_linux.go (setupSeccomp) and runc's
 * libcontainer/seccomp (the rules, the ENOSYS answer for newer syscalls);
 * the format's fields are documented in moby profiles/seccomp/seccomp.go.
 */
#include "builder/sandbox/syscall_filter.h"

#include <ctype.h>
#include <errno.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "builder/sandbox/docker_profile.h"
#include "formats/core/buf.h"
#include "formats/core/fsutil.h"
#include "formats/core/mem.h"
#include "formats/digest.h"
#include "formats/json.h"

#include "formats/core/banned.h"

/* How far past the profile's newest syscall ENOSYS is answered (a few years of new calls) */
#define SF_ENOSYS_SPAN 64
/* The largest integer a JSON number (a double in cJSON) holds exactly */
#define SF_MAX_EXACT 9007199254740992.0

struct syscall_filter {
    struct sock_filter *insns;
    unsigned short len;
};

struct sf {
    scmp_filter_ctx ctx;
    const char *what; /* "seccomp profile NAME" */
    uint64_t caps;
    const char *goarch; /* the native architecture as Go (and so Docker's profiles) names it */
    int kmajor, kminor;
    uint32_t default_action;
    int max_nr; /* the highest native syscall number the profile names */
};

#define SF_CAP(n)                                                                                  \
    {                                                                                              \
#n, n                                                                                      \
    }
static const struct {
    const char *name;
    int bit;
} sf_caps[] = {
    SF_CAP(CAP_CHOWN),
    SF_CAP(CAP_DAC_OVERRIDE),
    SF_CAP(CAP_DAC_READ_SEARCH),
    SF_CAP(CAP_FOWNER),
    SF_CAP(CAP_FSETID),
    SF_CAP(CAP_KILL),
    SF_CAP(CAP_SETGID),
    SF_CAP(CAP_SETUID),
    SF_CAP(CAP_SETPCAP),
    SF_CAP(CAP_LINUX_IMMUTABLE),
    SF_CAP(CAP_NET_BIND_SERVICE),
    SF_CAP(CAP_NET_BROADCAST),
    SF_CAP(CAP_NET_ADMIN),
    SF_CAP(CAP_NET_RAW),
    SF_CAP(CAP_IPC_LOCK),
    SF_CAP(CAP_IPC_OWNER),
    SF_CAP(CAP_SYS_MODULE),
    SF_CAP(CAP_SYS_RAWIO),
    SF_CAP(CAP_SYS_CHROOT),
    SF_CAP(CAP_SYS_PTRACE),
    SF_CAP(CAP_SYS_PACCT),
    SF_CAP(CAP_SYS_ADMIN),
    SF_CAP(CAP_SYS_BOOT),
    SF_CAP(CAP_SYS_NICE),
    SF_CAP(CAP_SYS_RESOURCE),
    SF_CAP(CAP_SYS_TIME),
    SF_CAP(CAP_SYS_TTY_CONFIG),
    SF_CAP(CAP_MKNOD),
    SF_CAP(CAP_LEASE),
    SF_CAP(CAP_AUDIT_WRITE),
    SF_CAP(CAP_AUDIT_CONTROL),
    SF_CAP(CAP_SETFCAP),
    SF_CAP(CAP_MAC_OVERRIDE),
    SF_CAP(CAP_MAC_ADMIN),
    SF_CAP(CAP_SYSLOG),
    SF_CAP(CAP_WAKE_ALARM),
    SF_CAP(CAP_BLOCK_SUSPEND),
    SF_CAP(CAP_AUDIT_READ),
    SF_CAP(CAP_PERFMON),
    SF_CAP(CAP_BPF),
    SF_CAP(CAP_CHECKPOINT_RESTORE),
};

/* libseccomp's architecture token -> Go's GOARCH, which the profiles' "arches" use */
static const struct {
    uint32_t token;
    const char *goarch;
} sf_goarch[] = {
    {SCMP_ARCH_X86_64, "amd64"},  {SCMP_ARCH_X86, "386"},           {SCMP_ARCH_AARCH64, "arm64"},
    {SCMP_ARCH_ARM, "arm"},       {SCMP_ARCH_PPC64LE, "ppc64le"},   {SCMP_ARCH_PPC64, "ppc64"},
    {SCMP_ARCH_S390X, "s390x"},   {SCMP_ARCH_S390, "s390"},         {SCMP_ARCH_RISCV64, "riscv64"},
    {SCMP_ARCH_MIPS64, "mips64"}, {SCMP_ARCH_MIPSEL64, "mips64le"}, {SCMP_ARCH_MIPS, "mips"},
    {SCMP_ARCH_MIPSEL, "mipsle"},
};

static int
sf_has_cap(const struct sf *s, const char *name)
{
    for (size_t i = 0; i < sizeof(sf_caps) / sizeof(sf_caps[0]); i++)
        if (!strcmp(sf_caps[i].name, name))
            return (s->caps >> sf_caps[i].bit) & 1;
    return 0; /* a capability this build does not know is not held */
}

/* An optional array of strings; a non-string member is an input error. */
static int
sf_strings(const struct sf *s, const cJSON *obj, const char *key, const char *where,
           const cJSON **out, struct error *err)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(obj, key), *e;

    *out = NULL;
    if (!a || cJSON_IsNull(a))
        return 0;
    if (!cJSON_IsArray(a))
        return error_input(err, "%s: \"%s.%s\": expected an array of strings", s->what, where, key);
    cJSON_ArrayForEach(e, a)
    {
        if (!cJSON_IsString(e))
            return error_input(err, "%s: \"%s.%s\": expected an array of strings", s->what, where,
                               key);
    }
    *out = a;
    return 0;
}

static int
sf_in(const cJSON *strings, const char *v)
{
    const cJSON *e;

    cJSON_ArrayForEach(e, strings)
    {
        if (!strcmp(e->valuestring, v))
            return 1;
    }
    return 0;
}

/* "4.8" <= the running kernel? */
static int
sf_kernel_at_least(const struct sf *s, const char *v, const char *where, int *ok, struct error *err)
{
    int ma, mi;

    if (sscanf(v, "%d.%d", &ma, &mi) != 2)
        return error_input(err, "%s: \"%s.minKernel\": expected MAJOR.MINOR, not \"%s\"", s->what,
                           where, v);
    *ok = s->kmajor > ma || (s->kmajor == ma && s->kminor >= mi);
    return 0;
}

/*
 * moby's includes/excludes: 1 when the rule applies to this architecture,
 * kernel and capability set, 0 when it does not, -1 on bad input.
 */
static int
sf_applies(const struct sf *s, const cJSON *rule, const char *where, struct error *err)
{
    for (int inc = 0; inc < 2; inc++) {
        const cJSON *o = cJSON_GetObjectItemCaseSensitive(rule, inc ? "includes" : "excludes");
        const cJSON *arches, *caps, *e;
        const char *mk;
        char sub[64];
        int ok = 0;
        if (!o || cJSON_IsNull(o))
            continue;
        snprintf(sub, sizeof(sub), "%s.%s", where, inc ? "includes" : "excludes");
        if (!cJSON_IsObject(o))
            return error_input(err, "%s: \"%s\": expected an object", s->what, sub);
        if (sf_strings(s, o, "arches", sub, &arches, err) < 0 ||
            sf_strings(s, o, "caps", sub, &caps, err) < 0)
            return -1;
        if (arches && cJSON_GetArraySize(arches) && sf_in(arches, s->goarch) != inc)
            return 0;
        cJSON_ArrayForEach(e, caps)
        {
            if (sf_has_cap(s, e->valuestring) != inc)
                return 0;
        }
        mk = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "minKernel"));
        if (mk && *mk) {
            if (sf_kernel_at_least(s, mk, sub, &ok, err) < 0)
                return -1;
            if (ok != inc)
                return 0;
        }
    }
    return 1;
}

/* The action named a (member: its JSON path), with the errno of errno_ret or def_errno. */
static int
sf_action(const struct sf *s, const char *a, const cJSON *errno_ret, unsigned def_errno,
          const char *member, uint32_t *out, struct error *err)
{
    unsigned e = def_errno;

    if (errno_ret && !cJSON_IsNull(errno_ret)) {
        if (!cJSON_IsNumber(errno_ret) || errno_ret->valuedouble < 0 ||
            errno_ret->valuedouble > 4095 || errno_ret->valuedouble != (int)errno_ret->valuedouble)
            return error_input(err, "%s: \"%s\": its errno must be a number from 0 to 4095",
                               s->what, member);
        e = (unsigned)errno_ret->valueint;
    }
    if (!a)
        return error_input(err, "%s: \"%s\": missing", s->what, member);
    if (!strcmp(a, "SCMP_ACT_KILL") || !strcmp(a, "SCMP_ACT_KILL_THREAD"))
        *out = SCMP_ACT_KILL_THREAD;
    else if (!strcmp(a, "SCMP_ACT_KILL_PROCESS"))
        *out = SCMP_ACT_KILL_PROCESS;
    else if (!strcmp(a, "SCMP_ACT_TRAP"))
        *out = SCMP_ACT_TRAP;
    else if (!strcmp(a, "SCMP_ACT_ERRNO"))
        *out = SCMP_ACT_ERRNO(e);
    else if (!strcmp(a, "SCMP_ACT_TRACE"))
        *out = SCMP_ACT_TRACE(e);
    else if (!strcmp(a, "SCMP_ACT_ALLOW"))
        *out = SCMP_ACT_ALLOW;
    else if (!strcmp(a, "SCMP_ACT_LOG"))
        *out = SCMP_ACT_LOG;
    else
        return error_input(err, "%s: \"%s\": unknown action \"%s\"%s", s->what, member, a,
                           !strcmp(a, "SCMP_ACT_NOTIFY") ? " (no notification listener here)" : "");
    return 0;
}

static int
sf_number(const struct sf *s, const cJSON *v, const char *where, const char *key, uint64_t *out,
          struct error *err)
{
    if (!v || cJSON_IsNull(v)) {
        *out = 0;
        return 0;
    }
    if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > SF_MAX_EXACT ||
        v->valuedouble != (double)(uint64_t)v->valuedouble)
        return error_input(err, "%s: \"%s.%s\": expected a whole number from 0 to 2^53", s->what,
                           where, key);
    *out = (uint64_t)v->valuedouble;
    return 0;
}

/* The "args" of a rule as libseccomp comparisons; returns their count, or -1. */
static int
sf_args(const struct sf *s, const cJSON *rule, const char *where, struct scmp_arg_cmp *cmp,
        struct error *err)
{
    static const struct {
        const char *name;
        enum scmp_compare op;
    } ops[] = {{"SCMP_CMP_NE", SCMP_CMP_NE},
               {"SCMP_CMP_LT", SCMP_CMP_LT},
               {"SCMP_CMP_LE", SCMP_CMP_LE},
               {"SCMP_CMP_EQ", SCMP_CMP_EQ},
               {"SCMP_CMP_GE", SCMP_CMP_GE},
               {"SCMP_CMP_GT", SCMP_CMP_GT},
               {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ}};
    const cJSON *args = cJSON_GetObjectItemCaseSensitive(rule, "args"), *a;
    int n = 0;

    if (!args || cJSON_IsNull(args))
        return 0;
    if (!cJSON_IsArray(args) || cJSON_GetArraySize(args) > 6)
        return error_input(err, "%s: \"%s.args\": expected an array of at most 6 comparisons",
                           s->what, where);
    cJSON_ArrayForEach(a, args)
    {
        const char *op = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "op"));
        uint64_t index, value, value2;
        char sub[96];
        size_t k;
        snprintf(sub, sizeof(sub), "%s.args[%d]", where, n);
        if (!cJSON_IsObject(a))
            return error_input(err, "%s: \"%s\": expected an object", s->what, sub);
        if (sf_number(s, cJSON_GetObjectItemCaseSensitive(a, "index"), sub, "index", &index, err) <
                0 ||
            sf_number(s, cJSON_GetObjectItemCaseSensitive(a, "value"), sub, "value", &value, err) <
                0 ||
            sf_number(s, cJSON_GetObjectItemCaseSensitive(a, "valueTwo"), sub, "valueTwo", &value2,
                      err) < 0)
            return -1;
        for (k = 0; op && k < sizeof(ops) / sizeof(ops[0]) && strcmp(ops[k].name, op); k++)
            ;
        if (!op || k == sizeof(ops) / sizeof(ops[0]))
            return error_input(err, "%s: \"%s.op\": unknown operator \"%s\"", s->what, sub,
                               op ? op : "");
        if (index > 5)
            return error_input(err, "%s: \"%s.index\": a syscall has 6 arguments (0-5)", s->what,
                               sub);
        /* runc: MASKED_EQ compares (arg & value) with valueTwo */
        cmp[n].arg = (unsigned)index;
        cmp[n].op = ops[k].op;
        cmp[n].datum_a = value;
        cmp[n].datum_b = value2;
        n++;
    }
    return n;
}

/* Adds the rule for one syscall: one rule with every comparison, or, when two compare the
 * same argument (which libseccomp cannot AND), one rule per comparison, as runc does. */
static int
sf_add(struct sf *s, const char *name, uint32_t act, const struct scmp_arg_cmp *cmp, int n,
       const char *where, struct error *err)
{
    int nr = seccomp_syscall_resolve_name(name), same = 0, rc = 0;

    if (nr == __NR_SCMP_ERROR)
        return 0; /* unknown to libseccomp: left out, as Docker does */
    if (nr > s->max_nr)
        s->max_nr = nr;
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            same |= cmp[i].arg == cmp[j].arg;
    if (!same)
        rc = seccomp_rule_add_array(s->ctx, act, nr, (unsigned)n, cmp);
    for (int i = 0; same && rc == 0 && i < n; i++)
        rc = seccomp_rule_add_array(s->ctx, act, nr, 1, &cmp[i]);
    if (rc < 0)
        return error_set(err, -rc, "%s: \"%s\": rule for %s", s->what, where, name);
    return 0;
}

static int
sf_rule(struct sf *s, const cJSON *rule, size_t idx, struct error *err)
{
    const cJSON *names = NULL, *one = cJSON_GetObjectItemCaseSensitive(rule, "name"), *e;
    struct scmp_arg_cmp cmp[6];
    char where[32], member[48];
    uint32_t act;
    int n, applies;

    snprintf(where, sizeof(where), "syscalls[%zu]", idx);
    if (!cJSON_IsObject(rule))
        return error_input(err, "%s: \"%s\": expected an object", s->what, where);
    if (sf_strings(s, rule, "names", where, &names, err) < 0)
        return -1;
    if (one && !cJSON_IsString(one))
        return error_input(err, "%s: \"%s.name\": expected a string", s->what, where);
    if (!names && !one)
        return error_input(err, "%s: \"%s\": needs names", s->what, where);
    if ((applies = sf_applies(s, rule, where, err)) <= 0)
        return applies;
    snprintf(member, sizeof(member), "%s.action", where);
    if (sf_action(s, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rule, "action")),
                  cJSON_GetObjectItemCaseSensitive(rule, "errnoRet"), EPERM, member, &act,
                  err) < 0 ||
        (n = sf_args(s, rule, where, cmp, err)) < 0)
        return -1;
    if (act == s->default_action)
        return 0; /* libseccomp refuses a rule that changes nothing */
    if (one && sf_add(s, one->valuestring, act, cmp, n, where, err) < 0)
        return -1;
    cJSON_ArrayForEach(e, names)
    {
        if (sf_add(s, e->valuestring, act, cmp, n, where, err) < 0)
            return -1;
    }
    return 0;
}

static int
sf_arch_token(const struct sf *s, const char *name, const char *where, uint32_t *out,
              struct error *err)
{
    char lower[32];
    size_t i;

    if (strncmp(name, "SCMP_ARCH_", 10) || strlen(name + 10) >= sizeof(lower))
        return error_input(err, "%s: \"%s\": unknown architecture \"%s\"", s->what, where, name);
    for (i = 0; name[10 + i]; i++)
        lower[i] = (char)tolower((unsigned char)name[10 + i]);
    lower[i] = '\0';
    *out = seccomp_arch_resolve_name(lower);
    if (!*out)
        return error_input(err, "%s: \"%s\": unknown architecture \"%s\"", s->what, where, name);
    return 0;
}

static int
sf_arch_add(struct sf *s, const char *name, const char *where, struct error *err)
{
    uint32_t tok;
    int rc;

    if (sf_arch_token(s, name, where, &tok, err) < 0)
        return -1;
    rc = seccomp_arch_add(s->ctx, tok);
    if (rc < 0 && rc != -EEXIST)
        return error_set(err, -rc, "%s: \"%s\": add architecture %s", s->what, where, name);
    return 0;
}

/* "architectures" (older profiles) or the "archMap" entry of the native architecture */
static int
sf_arches(struct sf *s, const cJSON *root, struct error *err)
{
    const cJSON *list, *map = cJSON_GetObjectItemCaseSensitive(root, "archMap"), *e, *sub;

    if (sf_strings(s, root, "architectures", "architectures", &list, err) < 0)
        return -1;
    cJSON_ArrayForEach(e, list)
    {
        if (sf_arch_add(s, e->valuestring, "architectures", err) < 0)
            return -1;
    }
    if (map && !cJSON_IsNull(map) && !cJSON_IsArray(map))
        return error_input(err, "%s: \"archMap\": expected an array", s->what);
    cJSON_ArrayForEach(e, map)
    {
        const char *a = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "architecture"));
        const cJSON *subs;
        uint32_t tok;
        if (!a)
            return error_input(err, "%s: \"archMap\": entries need an architecture", s->what);
        if (sf_arch_token(s, a, "archMap", &tok, err) < 0)
            return -1;
        if (tok != seccomp_arch_native())
            continue;
        if (sf_strings(s, e, "subArchitectures", "archMap", &subs, err) < 0)
            return -1;
        cJSON_ArrayForEach(sub, subs)
        {
            if (sf_arch_add(s, sub->valuestring, "archMap", err) < 0)
                return -1;
        }
    }
    return 0;
}

/*
 * Syscalls newer than the profile answer ENOSYS, so a libc falls back (runc
 * does the same, in libcontainer/seccomp/patchbpf). Like runc, a few
 * instructions in front of libseccomp's program do it: the native
 * architecture's numbers just above the profile's highest. One libseccomp
 * rule per number cost 45 of the 60 ms a compile took, once per build.
 */
static void
sf_enosys_prefix(const struct sf *s, struct buf *prog)
{
    const uint32_t hi = (uint32_t)s->max_nr, top = hi + SF_ENOSYS_SPAN;
    const struct sock_filter pre[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, seccomp_arch_native(), 0, 4),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, hi, 0, 2),
        BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, top, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)),
        /* libseccomp's program follows; it loads what it needs itself */
    };

    if (s->default_action == SCMP_ACT_ALLOW || s->max_nr < 0)
        return;
    buf_add(prog, pre, sizeof(pre));
}

static int
sf_export(struct sf *s, struct syscall_filter **out, struct error *err)
{
    cleanup_close int fd = memfd_create("strata-seccomp", MFD_CLOEXEC);
    cleanup_buf struct buf b = BUF_INIT;
    struct syscall_filter *f;
    int rc;

    if (fd < 0)
        return error_set(err, errno, "%s: memfd", s->what);
    if ((rc = seccomp_export_bpf(s->ctx, fd)) < 0)
        return error_set(err, -rc, "%s: export the filter", s->what);
    sf_enosys_prefix(s, &b);
    if (lseek(fd, 0, SEEK_SET) < 0 || fs_read_fd_max(fd, "seccomp filter", 0, &b, err) < 0)
        return error_wrap(err, "%s", s->what);
    if (!b.len || b.len % sizeof(struct sock_filter) ||
        b.len / sizeof(struct sock_filter) > BPF_MAXINSNS)
        return error_input(err, "%s: the filter has %zu instructions, the kernel takes at most %d",
                           s->what, b.len / sizeof(struct sock_filter), BPF_MAXINSNS);
    f = xcalloc(1, sizeof(*f));
    f->len = (unsigned short)(b.len / sizeof(struct sock_filter));
    f->insns = (struct sock_filter *)buf_detach(&b);
    *out = f;
    return 0;
}

static int
sf_setup(struct sf *s, const cJSON *root, struct error *err)
{
    const char *da = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(root, "defaultAction"));
    const cJSON *rules = cJSON_GetObjectItemCaseSensitive(root, "syscalls"), *r;
    struct utsname u;
    size_t i = 0;

    if (!cJSON_IsObject(root))
        return error_input(err, "%s: expected a JSON object", s->what);
    if (sf_action(s, da, cJSON_GetObjectItemCaseSensitive(root, "defaultErrnoRet"), EPERM,
                  "defaultAction", &s->default_action, err) < 0)
        return -1;
    s->ctx = seccomp_init(s->default_action);
    if (!s->ctx)
        return error_set(err, 0, "%s: cannot start a seccomp filter", s->what);
    if (uname(&u) == 0)
        sscanf(u.release, "%d.%d", &s->kmajor, &s->kminor);
    for (size_t k = 0; k < sizeof(sf_goarch) / sizeof(sf_goarch[0]); k++)
        if (sf_goarch[k].token == seccomp_arch_native())
            s->goarch = sf_goarch[k].goarch;
    seccomp_attr_set(s->ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2); /* a binary tree, where supported */
    if (sf_arches(s, root, err) < 0)
        return -1;
    if (rules && !cJSON_IsNull(rules) && !cJSON_IsArray(rules))
        return error_input(err, "%s: \"syscalls\": expected an array", s->what);
    cJSON_ArrayForEach(r, rules)
    {
        if (sf_rule(s, r, i++, err) < 0)
            return -1;
    }
    return 0;
}

int
syscall_filter_compile(const char *json, size_t len, const char *name, uint64_t caps,
                       struct syscall_filter **out, struct error *err)
{
    cleanup_free char *what = xasprintf("seccomp profile %s", name);
    cleanup_cjson cJSON *root = json_parse(json, len, what, err);
    struct sf s;
    int rc;

    if (!root)
        return -1;
    memset(&s, 0, sizeof(s));
    s.what = what;
    s.caps = caps;
    s.goarch = "";
    s.max_nr = -1;
    rc = sf_setup(&s, root, err);
    if (rc == 0)
        rc = sf_export(&s, out, err);
    if (s.ctx)
        seccomp_release(s.ctx);
    return rc;
}

int
syscall_filter_default(uint64_t caps, struct syscall_filter **out, struct error *err)
{
    return syscall_filter_compile(docker_profile_json, strlen(docker_profile_json),
                                  "(Docker's default)", caps, out, err);
}

/*
 * What the compiled program depends on besides the profile and caps: the
 * kernel release (minKernel rules), libseccomp's version (its syscall tables
 * and code generation), the native architecture, and how this file reads a
 * profile (SF_FORMAT: change it with any change to the sf_* rules).
 */
#define SF_FORMAT "strata seccomp filter 1"

void
syscall_filter_key(const char *json, size_t len, uint64_t caps, char out[DIGEST_STR_LEN + 1])
{
    const struct scmp_version *v = seccomp_version();
    struct digest_ctx d;
    struct utsname u;
    char head[512];
    int n;

    if (uname(&u) < 0)
        memset(&u, 0, sizeof(u));
    n = snprintf(head, sizeof(head), "%s\n%llx\n%s\n%u.%u.%u\n%x\n%zu\n", SF_FORMAT,
                 (unsigned long long)caps, u.release, v ? v->major : 0, v ? v->minor : 0,
                 v ? v->micro : 0, (unsigned)seccomp_arch_native(), len);
    digest_init(&d);
    digest_update(&d, head, n > 0 && (size_t)n < sizeof(head) ? (size_t)n : 0);
    digest_update(&d, json, len);
    digest_final(&d, out);
}

void
syscall_filter_default_key(uint64_t caps, char out[DIGEST_STR_LEN + 1])
{
    syscall_filter_key(docker_profile_json, strlen(docker_profile_json), caps, out);
}

void
syscall_filter_encode(const struct syscall_filter *f, struct buf *out)
{
    char sum[DIGEST_STR_LEN + 1];
    const size_t n = (size_t)f->len * sizeof(struct sock_filter);

    digest_bytes(f->insns, n, sum);
    buf_add(out, sum, DIGEST_STR_LEN);
    buf_add(out, "\n", 1);
    buf_add(out, f->insns, n);
}

struct syscall_filter *
syscall_filter_decode(const void *data, size_t n)
{
    const char *p = data;
    const size_t head = DIGEST_STR_LEN + 1;
    char sum[DIGEST_STR_LEN + 1];
    struct syscall_filter *f;
    size_t body;

    if (n <= head || p[DIGEST_STR_LEN] != '\n')
        return NULL;
    body = n - head;
    if (body % sizeof(struct sock_filter) || body / sizeof(struct sock_filter) > BPF_MAXINSNS)
        return NULL;
    digest_bytes(p + head, body, sum);
    if (memcmp(sum, p, DIGEST_STR_LEN) != 0)
        return NULL;
    f = xcalloc(1, sizeof(*f));
    f->len = (unsigned short)(body / sizeof(struct sock_filter));
    f->insns = xmalloc(body);
    memcpy(f->insns, p + head, body);
    return f;
}

size_t
syscall_filter_size(const struct syscall_filter *f)
{
    return f ? f->len : 0;
}

void
syscall_filter_free(struct syscall_filter *f)
{
    if (!f)
        return;
    free(f->insns);
    free(f);
}

int
syscall_filter_load(const struct syscall_filter *f, struct error *err)
{
    struct sock_fprog prog;

    prog.len = f->len;
    prog.filter = f->insns;
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
        return error_set(err, errno, "install the seccomp filter");
    return 0;
}
