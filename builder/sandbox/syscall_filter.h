#ifndef STRATA_BUILDER_SANDBOX_SYSCALL_FILTER_H
#define STRATA_BUILDER_SANDBOX_SYSCALL_FILTER_H

/*
 * The RUN sandbox's seccomp filter, from a profile in Docker's JSON format
 * (moby profiles/seccomp): defaultAction and defaultErrnoRet, architectures
 * or archMap, and syscalls entries with names (or name), action, errnoRet,
 * args [{index, value, valueTwo, op}] and includes/excludes {caps, arches,
 * minKernel}, which are evaluated as Docker evaluates them: for the native
 * architecture (Go's name for it: amd64, arm64, ...), the running kernel,
 * and a given capability set. libseccomp compiles it in the parent to a
 * BPF program that the sandbox child installs without allocating.
 */

#include <stddef.h>
#include <stdint.h>

#include "formats/core/error.h"

struct syscall_filter;

/*
 * Compiles profile json (len bytes; name names it in errors) for a process
 * whose capability set is caps (bit n = capability n). Syscalls that
 * libseccomp does not know are left out, as Docker leaves them out. Syscall
 * numbers above the highest one the profile names (on the native
 * architecture) answer ENOSYS, as runc's filters do, so that a libc falls
 * back from a call newer than the profile instead of failing with EPERM.
 * Bad input is an input error naming the member, e.g.
 * `seccomp profile p.json: "syscalls[3].action": unknown action "X"`.
 * *out is the caller's, for syscall_filter_free().
 */
int syscall_filter_compile(const char *json, size_t len, const char *name, uint64_t caps,
                           struct syscall_filter **out, struct error *err);

/* Docker's default profile (docker_profile.h) compiled for caps. */
int syscall_filter_default(uint64_t caps, struct syscall_filter **out, struct error *err);

/* Number of BPF instructions of f. */
size_t syscall_filter_size(const struct syscall_filter *f);

/* Frees f. Accepts NULL. */
void syscall_filter_free(struct syscall_filter *f);

/*
 * Installs f on the calling thread, for it and everything it executes.
 * Needs no_new_privs set (or CAP_SYS_ADMIN). Makes no allocation.
 */
int syscall_filter_load(const struct syscall_filter *f, struct error *err);

#endif
