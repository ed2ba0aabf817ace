#include "builder/sandbox/caps.h"

#include <errno.h>
#include <string.h>
#include <strings.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "formats/core/banned.h"

/* capability(7), by number */
static const char *const caps_names[] = {
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_ADMIN",
    "NET_RAW",
    "IPC_LOCK",
    "IPC_OWNER",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_CHROOT",
    "SYS_PTRACE",
    "SYS_PACCT",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_NICE",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "MKNOD",
    "LEASE",
    "AUDIT_WRITE",
    "AUDIT_CONTROL",
    "SETFCAP",
    "MAC_OVERRIDE",
    "MAC_ADMIN",
    "SYSLOG",
    "WAKE_ALARM",
    "BLOCK_SUSPEND",
    "AUDIT_READ",
    "PERFMON",
    "BPF",
    "CHECKPOINT_RESTORE",
};

int
caps_parse(const char *name, uint64_t *mask, struct error *err)
{
    const char *n = strncasecmp(name, "CAP_", 4) ? name : name + 4;
    size_t i;

    if (!strcasecmp(n, "ALL")) {
        *mask = ~0ULL;
        return 0;
    }
    for (i = 0; i < sizeof(caps_names) / sizeof(caps_names[0]); i++) {
        if (!strcasecmp(n, caps_names[i])) {
            *mask = 1ULL << i;
            return 0;
        }
    }
    return error_input(err, "unknown capability \"%s\" (see capabilities(7))", name);
}

int
caps_limit_bounding(uint64_t keep, struct error *err)
{
    int cap;

    /* PR_CAPBSET_READ fails with EINVAL past the kernel's last capability */
    for (cap = 0; cap < 64; cap++) {
        int r = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
        if (r < 0)
            break;
        if (r == 1 && !(keep & (1ULL << cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
            return error_set(err, errno, "drop capability %d from the bounding set", cap);
    }
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
        return error_set(err, errno, "clear ambient capabilities");
    return 0;
}

int
caps_set(uint64_t keep, struct error *err)
{
    struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2];
    uint64_t perm;

    if (syscall(SYS_capget, &hdr, data) < 0)
        return error_set(err, errno, "capget");
    perm = ((uint64_t)data[1].permitted << 32 | data[0].permitted) & keep;
    data[0].permitted = data[0].effective = (uint32_t)perm;
    data[1].permitted = data[1].effective = (uint32_t)(perm >> 32);
    data[0].inheritable = data[1].inheritable = 0;
    if (syscall(SYS_capset, &hdr, data) < 0)
        return error_set(err, errno, "capset");
    return 0;
}

int
caps_effective(int cap)
{
    struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2];

    if (cap < 0 || cap > 63 || syscall(SYS_capget, &hdr, data) < 0)
        return 0;
    return (int)((((uint64_t)data[1].effective << 32 | data[0].effective) >> cap) & 1);
}
