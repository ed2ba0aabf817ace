#ifndef STRATA_BUILDER_SANDBOX_BINFMT_H
#define STRATA_BUILDER_SANDBOX_BINFMT_H

/*
 * Running another platform's programs in the RUN sandbox: the kernel's
 * binfmt_misc hands a foreign ELF program to a QEMU user-mode emulator
 * (Debian's qemu-user-static). The handler must carry the F (fix-binary)
 * flag: the kernel then opens the emulator when the handler is registered,
 * so it works inside the sandbox's mount namespace, where the host's
 * /usr/bin/qemu-*-static is not visible (Linux
 * Documentation/admin-guide/binfmt-misc.rst).
 *
 * A handler is recognised by what it matches, not by its name: an enabled
 * entry of /proc/sys/fs/binfmt_misc whose magic at offset 0 selects ELF
 * files of the platform's class, byte order and machine (ELF gABI e_ident
 * and e_machine), whoever registered it.
 */

#include <stddef.h>

#include "formats/core/error.h"
#include "formats/platform.h"

#define BINFMT_DIR "/proc/sys/fs/binfmt_misc"
/* Where Debian's qemu-user-static keeps its registrations (binfmt.d(5)). */
#define BINFMT_CONF_DIRS "/etc/binfmt.d:/run/binfmt.d:/usr/lib/binfmt.d"
#define BINFMT_PACKAGE "qemu-user-static"

/*
 * Returns 0 when programs of p run here: natively (platform_native), or
 * through an enabled binfmt_misc handler with the F flag. Otherwise -1 with
 * a runtime error saying why and what to do: which Debian package and which
 * registration (qemu-aarch64 for linux/arm64) is missing, that binfmt_misc
 * is not mounted, or that the handler lacks the F flag; each names
 * `strata binfmt --install`. A platform QEMU cannot emulate is an input
 * error.
 */
int binfmt_check(const struct platform *p, struct error *err);

/*
 * Registers the handlers for the platforms v[0..n) (n == 0: every foreign
 * platform that QEMU emulates and Debian ships a registration for) from
 * qemu-user-static's binfmt.d files, with the F flag added when missing;
 * mounts binfmt_misc on BINFMT_DIR first when it is not mounted. A handler
 * that already works is left alone; one without F is replaced. Calls
 * report with one line per platform ("linux/arm64: registered qemu-aarch64
 * (/usr/libexec/qemu-binfmt/aarch64-binfmt-P, flags OCF)"). Needs root; the
 * first failure stops it, naming the platform.
 */
int binfmt_install(const struct platform *v, size_t n,
                   void (*report)(void *opaque, const char *line), void *opaque, struct error *err);

/*
 * One line about p for `strata binfmt` ("linux/arm64: qemu-aarch64 ...: ok"
 * or the reason it cannot run) into out (n bytes). Returns 0 when it runs.
 */
int binfmt_status(const struct platform *p, char *out, size_t n);

/* Makes the checks read dir instead of BINFMT_DIR (NULL: back to it); for unit tests. */
void binfmt_set_dir(const char *dir);

/*
 * The platforms QEMU user mode can stand for (one per architecture), for
 * the default of binfmt_install and `strata binfmt`: fills out (at most max)
 * and returns how many.
 */
size_t binfmt_platforms(struct platform *out, size_t max);

#endif
