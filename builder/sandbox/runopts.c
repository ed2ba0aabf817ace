/*
 * What docker build's run options add to the sandbox: extra /etc/hosts
 * lines (--add-host) and resource limits (--ulimit).
 */
#include "builder/sandbox/sandbox_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "formats/core/buf.h"
#include "formats/core/fsutil.h"
#include "formats/core/mem.h"

#include "formats/core/banned.h"

/* docker's --ulimit names (moby's ulimit table), as setrlimit(2) resources */
static const struct {
    const char *name;
    int resource;
} runopts_rlimits[] = {
    {"core", RLIMIT_CORE},         {"cpu", RLIMIT_CPU},
    {"data", RLIMIT_DATA},         {"fsize", RLIMIT_FSIZE},
    {"locks", RLIMIT_LOCKS},       {"memlock", RLIMIT_MEMLOCK},
    {"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE},
    {"nofile", RLIMIT_NOFILE},     {"nproc", RLIMIT_NPROC},
    {"rss", RLIMIT_RSS},           {"rtprio", RLIMIT_RTPRIO},
    {"rttime", RLIMIT_RTTIME},     {"sigpending", RLIMIT_SIGPENDING},
    {"stack", RLIMIT_STACK},
};

static int
runopts_limit_value(const char *s, size_t n, unsigned long long *out)
{
    char buf[32];
    char *end;
    long long v;

    if (!n || n >= sizeof(buf))
        return -1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    errno = 0;
    v = strtoll(buf, &end, 10);
    if (errno || *end || v < -1)
        return -1;
    *out = v == -1 ? (unsigned long long)RLIM_INFINITY : (unsigned long long)v;
    return 0;
}

int
sandbox_rlimit_parse(const char *text, struct sandbox_rlimit *out, struct error *err)
{
    const char *eq = strchr(text, '='), *colon;
    size_t i;

    if (!eq)
        return error_input(err, "--ulimit %s: expected TYPE=SOFT[:HARD]", text);
    for (i = 0; i < sizeof(runopts_rlimits) / sizeof(runopts_rlimits[0]); i++)
        if (strlen(runopts_rlimits[i].name) == (size_t)(eq - text) &&
            !strncmp(runopts_rlimits[i].name, text, (size_t)(eq - text)))
            break;
    if (i == sizeof(runopts_rlimits) / sizeof(runopts_rlimits[0]))
        return error_input(err, "--ulimit %s: unknown type \"%.*s\"", text, (int)(eq - text), text);
    out->resource = runopts_rlimits[i].resource;
    colon = strchr(eq + 1, ':');
    if (runopts_limit_value(eq + 1, colon ? (size_t)(colon - eq - 1) : strlen(eq + 1), &out->soft) <
            0 ||
        (colon && runopts_limit_value(colon + 1, strlen(colon + 1), &out->hard) < 0))
        return error_input(err, "--ulimit %s: a limit is a number or -1 (unlimited)", text);
    if (!colon)
        out->hard = out->soft;
    if (out->soft > out->hard)
        return error_input(err, "--ulimit %s: the soft limit is above the hard one", text);
    return 0;
}

char *
sandbox_host_line(const char *text, struct error *err)
{
    const char *sep = strchr(text, ':');
    const char *eq = strchr(text, '=');
    unsigned char addr[16];
    cleanup_free char *name = NULL;
    const char *ip;
    size_t i;

    /* NAME:IP (an IPv6 address holds ':' itself, so the name ends at the first) or NAME=IP */
    if (eq && (!sep || eq < sep))
        sep = eq;
    if (!sep || sep == text || !sep[1])
        return error_input(err, "--add-host %s: expected NAME:IP", text), NULL;
    name = xstrndup(text, (size_t)(sep - text));
    ip = sep + 1;
    for (i = 0; name[i]; i++)
        if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= 'A' && name[i] <= 'Z') ||
              (name[i] >= '0' && name[i] <= '9') || name[i] == '-' || name[i] == '.' ||
              name[i] == '_'))
            return error_input(err, "--add-host %s: \"%s\" is not a host name", text, name), NULL;
    if (inet_pton(AF_INET, ip, addr) != 1 && inet_pton(AF_INET6, ip, addr) != 1)
        return error_input(err, "--add-host %s: \"%s\" is not an IP address", text, ip), NULL;
    return xasprintf("%s\t%s", ip, name);
}

int
sandbox_hosts_append(const struct sandbox_plan *plan, struct error *err)
{
    char *const *h = plan->spec->extra_hosts;
    cleanup_buf struct buf b = BUF_INIT;
    cleanup_close int fd = -1;

    if (!h || !*h || !plan->hosts[0])
        return 0;
    for (; *h; h++)
        buf_addf(&b, "%s\n", *h);
    fd = open(plan->hosts, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return error_set(err, errno, "open %s", plan->hosts);
    if (fs_write_all(fd, buf_cstr(&b), b.len, err) < 0)
        return error_wrap(err, "%s", plan->hosts);
    return 0;
}

int
sandbox_apply_rlimits(const struct sandbox_spec *spec, struct error *err)
{
    size_t i;

    for (i = 0; i < spec->nrlimits; i++) {
        struct rlimit rl = {(rlim_t)spec->rlimits[i].soft, (rlim_t)spec->rlimits[i].hard};
        if (setrlimit(spec->rlimits[i].resource, &rl) < 0)
            return error_set(err, errno,
                             "--ulimit: setrlimit(%d, %llu:%llu) (raising a hard limit needs "
                             "CAP_SYS_RESOURCE)",
                             spec->rlimits[i].resource, spec->rlimits[i].soft,
                             spec->rlimits[i].hard);
    }
    return 0;
}
