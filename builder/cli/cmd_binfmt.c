/*
 * strata binfmt [--install] [PLATFORM...]: which foreign platforms RUN steps
 * can emulate here, and registering Debian's qemu-user-static handlers.
 */
#include <stdio.h>
#include <string.h>

#include "builder/cli/cli.h"
#include "builder/sandbox/binfmt.h"
#include "formats/core/mem.h"
#include "formats/platform.h"

#include "formats/core/banned.h"

static const char binfmt_usage[] =
    "usage: strata binfmt [--install] [PLATFORM...]\n"
    "\n"
    "RUN steps of another platform (strata build --platform linux/arm64) run through\n"
    "QEMU user-mode emulation: Debian's " BINFMT_PACKAGE " and a binfmt_misc handler\n"
    "with the F (fix-binary) flag, which keeps working inside the sandbox.\n"
    "\n"
    "Without --install, says for each PLATFORM (default: every platform QEMU emulates)\n"
    "whether its programs run here, and if not, why; exits 1 when a named one cannot.\n"
    "--install (root) mounts binfmt_misc on " BINFMT_DIR " when it is not, and\n"
    "registers " BINFMT_PACKAGE "'s handlers (from its binfmt.d files) for each PLATFORM\n"
    "(default: all it ships) with the F flag, replacing one that lacks it.\n";

static void
binfmt_report(void *opaque, const char *line)
{
    (void)opaque;
    printf("%s\n", line);
}

int
cmd_binfmt(struct cli *cli, int argc, char **argv, struct error *err)
{
    cleanup_free struct platform *want = xcalloc((size_t)argc + 1, sizeof(*want));
    struct platform all[16];
    const struct platform *list = want;
    size_t n = 0, i;
    int install = 0, bad = 0, named;

    (void)cli;
    for (i = 1; i < (size_t)argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(binfmt_usage, stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--install"))
            install = 1;
        else if (argv[i][0] == '-')
            return error_input(err, "binfmt: unknown option %s (see strata binfmt --help)",
                               argv[i]);
        else if (platform_parse(argv[i], &want[n++], err) < 0)
            return error_wrap(err, "binfmt");
    }
    if (install)
        return binfmt_install(want, n, binfmt_report, NULL, err);
    named = n > 0;
    if (!named) {
        n = binfmt_platforms(all, 16);
        list = all;
    }
    for (i = 0; i < n; i++) {
        char line[1200];
        if (binfmt_status(&list[i], line, sizeof(line)) < 0 && named)
            bad = 1;
        printf("%s\n", line);
    }
    return bad;
}
