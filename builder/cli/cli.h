#ifndef STRATA_BUILDER_CLI_CLI_H
#define STRATA_BUILDER_CLI_CLI_H

/*
 * Command-line dispatch. Each verb is `int cmd_<verb>(struct cli *, argc, argv,
 * struct error *)` in builder/cli/cmd_<verb>.c: argv[0] is the verb, global options
 * (--root) are already removed. It returns 0 on success, -1 with err filled
 * (err->exit_code picks the exit status), or a positive exit status it has
 * already reported itself.
 */

#include <stdio.h>

#include "formats/core/error.h"
#include "formats/platform.h"
#include "store/image.h"
#include "store/store.h"

struct cli {
    const char *root; /* --root, STRATA_ROOT, or the default store */
    const char *prog; /* "strata" */
};

/* Runs strata with the process arguments; returns the exit status. */
int cli_main(int argc, char **argv);

/*
 * Prints the --help text of verb (NULL: strata's own) to out; -1 when there
 * is no such verb. The texts come from the man pages (help_text.h).
 */
int cli_help(const char *verb, FILE *out);

/*
 * Parses the long option at argv[*i] named `name` (e.g. "--file") taking a
 * value, in the forms "--file X" and "--file=X". Returns 1 and sets *value
 * (advancing *i past a separate value) when it matches, 0 when argv[*i] is
 * another option, -1 with an input error when the value is missing.
 */
int cli_opt_value(int argc, char **argv, int *i, const char *name, const char **value,
                  struct error *err);

/*
 * Writes text to path for an option such as --iidfile (opt names it in
 * errors): "-" is standard output; an existing path is replaced (atomically)
 * only when it is a regular file, never a symlink or a device.
 */
/*
 * --platform of verb at argv[*i], as cli_opt_value, its value also parsed
 * into *plat: 1 when it matched, 0 for another option, -1 with err set.
 */
int cli_opt_platform(const char *verb, int argc, char **argv, int *i, const char **value,
                     struct platform *plat, struct error *err);

/*
 * Opens the store (shared) and loads image ref, for plat when not NULL: 0
 * with *s and *img the caller's (image_release, store_release), or -1 with
 * err set, "VERB: no such image "REF"" when there is none, and nothing open.
 */
int cli_load_image(const struct cli *cli, const char *verb, const char *ref,
                   const struct platform *plat, struct store *s, struct image *img,
                   struct error *err);

int cli_write_small(const char *path, const char *text, const char *opt, struct error *err);

/*
 * Prints text to stdout with the controls of untrusted content (image
 * configs, names, recipe text) shown, not obeyed: formats/core/termsafe.h,
 * the JSON variant when json is set.
 */
struct buf;
void cli_print_safe(const struct buf *text, int json);

/*
 * For commands without options: an argument starting with '-' (other than
 * "-" itself) is an unknown option, named in the error.
 */
int cli_no_options(const char *verb, int argc, char **argv, struct error *err);

int cmd_build(struct cli *cli, int argc, char **argv, struct error *err);
int cmd_parse(struct cli *cli, int argc, char **argv, struct error *err);
int cmd_import(struct cli *cli, int argc, char **argv, struct error *err);
int cmd_images(struct cli *cli, int argc, char **argv, struct error *err);
int cmd_history(struct cli *cli, int argc, char **argv, struct error *err);
int cmd_inspect(struct cli *cli, int argc, char **argv, struct error *err);
int cmd_tag(struct cli *cli, int argc, char **argv, struct error *err);
int cmd_rm(struct cli *cli, int argc, char **argv, struct error *err);
int cmd_df(struct cli *cli, int argc, char **argv, struct error *err);
int cmd_gc(struct cli *cli, int argc, char **argv, struct error *err);
int cmd_prune(struct cli *cli, int argc, char **argv, struct error *err);
int cmd_diff(struct cli *cli, int argc, char **argv, struct error *err);
int cmd_fsck(struct cli *cli, int argc, char **argv, struct error *err);
int cmd_binfmt(struct cli *cli, int argc, char **argv, struct error *err);
int cmd_manifest(struct cli *cli, int argc, char **argv, struct error *err);
int cmd_export(struct cli *cli, int argc, char **argv, struct error *err);
int cmd_push(struct cli *cli, int argc, char **argv, struct error *err);
int cmd_provenance(struct cli *cli, int argc, char **argv, struct error *err);
int cmd_sbom(struct cli *cli, int argc, char **argv, struct error *err);
int cmd_blame(struct cli *cli, int argc, char **argv, struct error *err);
int cmd_verify(struct cli *cli, int argc, char **argv, struct error *err);

/*
 * Options push and pull share (cmd_push.c): --tls-verify, --creds, --chunk-size,
 * -q. Fills o (registry_opts_init first) and up to two positional arguments
 * into pos. Returns 0, 1 for --help (print cli_help), -1 on bad usage.
 */
struct registry_opts;
int cli_registry_args(const char *verb, int argc, char **argv, struct registry_opts *o,
                      const char **pos, int *npos, struct error *err);
int cmd_pull(struct cli *cli, int argc, char **argv, struct error *err);
int cmd_run(struct cli *cli, int argc, char **argv, struct error *err);

/*
 * For strata run's argv (argv[0] "run"): the index of IMAGE, the first word
 * that is neither an option nor an option's value (argc when there is none).
 * What follows is the container's command, which strata must not read.
 */
int cmd_run_args_end(int argc, char **argv);

/*
 * The cgroup limit options build and run share besides --memory and
 * --pids-limit (cmd_run.c): --memory-swap, --cpus, --cpu-shares and
 * --cpuset-cpus, into the matching fields of l. Returns 1 when argv[*i] was
 * one of them (advancing *i past a separate value), 0 when it is another
 * option, -1 with an input error for a bad value.
 */
struct cgroup_limits;
int cli_limit_opt(int argc, char **argv, int *i, struct cgroup_limits *l, struct error *err);
int cmd_login(struct cli *cli, int argc, char **argv, struct error *err);
int cmd_logout(struct cli *cli, int argc, char **argv, struct error *err);

#endif
