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

#include "formats/core/buf.h"
#include "formats/core/error.h"
#include "formats/digest.h"

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

/*
 * A name for what compiling profile json for caps gives on this machine, so
 * that the program can be kept and loaded again instead of compiled: a
 * "sha256:" digest over the profile, caps, the running kernel's release, the
 * libseccomp version, the native architecture and the format of this code.
 */
void syscall_filter_key(const char *json, size_t len, uint64_t caps, char out[DIGEST_STR_LEN + 1]);

/* The most bytes syscall_filter_encode writes (BPF_MAXINSNS instructions) */
#define SYSCALL_FILTER_MAX_BYTES (DIGEST_STR_LEN + 1 + 4096 * 8)

/* syscall_filter_key of Docker's default profile. */
void syscall_filter_default_key(uint64_t caps, char out[DIGEST_STR_LEN + 1]);

/* Appends f to out as a file holds it: the program's digest, a newline, the program. */
void syscall_filter_encode(const struct syscall_filter *f, struct buf *out);

/*
 * The filter that syscall_filter_encode wrote into data (n bytes), or NULL
 * when data is not one whole (torn, changed, or too long for the kernel).
 * The result is the caller's, for syscall_filter_free().
 */
struct syscall_filter *syscall_filter_decode(const void *data, size_t n);

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
