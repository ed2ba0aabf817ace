#include "builder/cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builder/cli/help_text.h"
#include "builder/cli/signals.h"
#include "builder/sandbox/rootless.h"
#include "formats/core/buf.h"
#include "formats/core/fsutil.h"
#include "formats/core/mem.h"
#include "formats/core/log.h"
#include "formats/core/termsafe.h"
#include "store/export.h"

#include "formats/core/banned.h"

#define STRATA_VERSION "0.2.0"

struct cli_verb {
    const char *name;
    int (*fn)(struct cli *, int, char **, struct error *);
};

/* In the order strata(1) lists them; each has a man page, the source of its --help. */
static const struct cli_verb verbs[] = {
    {"build", cmd_build},
    {"parse", cmd_parse},
    {"import", cmd_import},
    {"export", cmd_export},
    {"push", cmd_push},
    {"pull", cmd_pull},
    {"run", cmd_run},
    {"login", cmd_login},
    {"logout", cmd_logout},
    {"images", cmd_images},
    {"history", cmd_history},
    {"inspect", cmd_inspect},
    {"provenance", cmd_provenance},
    {"sbom", cmd_sbom},
    {"blame", cmd_blame},
    {"verify", cmd_verify},
    {"tag", cmd_tag},
    {"rm", cmd_rm},
    {"df", cmd_df},
    {"diff", cmd_diff},
    {"prune", cmd_prune},
    {"gc", cmd_gc},
    {"fsck", cmd_fsck},
    {"manifest", cmd_manifest},
    {"binfmt", cmd_binfmt},
    {NULL, NULL},
};

static const struct help_text *
cli_help_find(const char *verb)
{
    size_t i;

    for (i = 0; help_texts[i].verb; i++)
        if (!strcmp(help_texts[i].verb, verb))
            return &help_texts[i];
    return NULL;
}

int
cli_help(const char *verb, FILE *out)
{
    const struct help_text *h = cli_help_find(verb ? verb : "");

    if (!h)
        return -1;
    fputs(h->text, out);
    return 0;
}

/*
 * strata help [COMMAND]; for the shell completions also
 * `strata help --commands` (one verb a line) and `strata help --options
 * COMMAND` (its options, "=" after those taking a value).
 */
static int
cli_help_cmd(int argc, char **argv, struct error *err)
{
    const struct help_text *h;
    size_t i;

    if (argc >= 2 && !strcmp(argv[1], "--commands")) {
        for (i = 0; verbs[i].name; i++)
            puts(verbs[i].name);
        return 0;
    }
    if (argc >= 3 && !strcmp(argv[1], "--options")) {
        if (!(h = cli_help_find(argv[2])))
            return error_input(err, "help: unknown command \"%s\"", argv[2]);
        puts(h->options);
        return 0;
    }
    if (argc > 2)
        return error_input(err, "usage: strata help [COMMAND]");
    if (cli_help(argc == 2 ? argv[1] : NULL, stdout) < 0)
        return error_input(err, "help: unknown command \"%s\" (see strata --help)", argv[1]);
    return 0;
}

/*
 * Where strata's own arguments end: argc, or for run the image, after which
 * everything is the container's command (its own -h or --root included).
 * argv[0] is the verb (or an option before it).
 */
static int
cli_own_args_end(int argc, char **argv)
{
    int i = 0;

    /* the verb: the first word that is not --root or its value */
    while (i < argc && !strncmp(argv[i], "--root", 6))
        i += argv[i][6] == '=' ? 1 : 2;
    if (i >= argc || strcmp(argv[i], "run"))
        return argc;
    return i + cmd_run_args_end(argc - i, argv + i);
}

/* --help or -h anywhere among a command's arguments (before "--") asks for its help. */
static int
cli_wants_help(int argc, char **argv)
{
    int i;

    argc = cli_own_args_end(argc, argv);
    for (i = 1; i < argc && strcmp(argv[i], "--"); i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            return 1;
    return 0;
}

int
cli_opt_value(int argc, char **argv, int *i, const char *name, const char **value,
              struct error *err)
{
    const char *a = argv[*i];
    size_t n = strlen(name);

    if (strncmp(a, name, n) != 0)
        return 0;
    if (a[n] == '=') {
        *value = a + n + 1;
        return 1;
    }
    if (a[n] != '\0')
        return 0;
    if (*i + 1 >= argc)
        return error_input(err, "option %s needs a value", name);
    *value = argv[++*i];
    return 1;
}

int
cli_opt_platform(const char *verb, int argc, char **argv, int *i, const char **value,
                 struct platform *plat, struct error *err)
{
    int r = cli_opt_value(argc, argv, i, "--platform", value, err);

    if (r == 1 && platform_parse(*value, plat, err) < 0)
        return error_wrap(err, "%s --platform", verb);
    return r;
}

int
cli_load_image(const struct cli *cli, const char *verb, const char *ref,
               const struct platform *plat, struct store *s, struct image *img, struct error *err)
{
    int rc;

    if (store_open(s, cli->root, STORE_LOCK_SHARED, err) < 0)
        return -1;
    rc = image_load_platform(s, ref, plat, img, err);
    if (rc == 1)
        rc = error_input(err, "%s: no such image \"%s\"", verb, ref);
    if (rc < 0)
        store_release(s);
    return rc;
}

int
cli_write_small(const char *path, const char *text, const char *opt, struct error *err)
{
    if (!strcmp(path, "-")) {
        fputs(text, stdout);
        return fflush(stdout) == 0 ? 0 : error_set(err, errno, "%s: standard output", opt);
    }
    if (export_dest_check(path, 0, err) < 0 ||
        fs_write_atomic(AT_FDCWD, path, text, strlen(text), 0644, err) < 0)
        return error_wrap(err, "%s", opt);
    return 0;
}

void
cli_print_safe(const struct buf *text, int json)
{
    cleanup_buf struct buf safe = BUF_INIT;

    if (json)
        termsafe_add_json(&safe, text->data ? text->data : "", text->len);
    else
        termsafe_add(&safe, text->data ? text->data : "", text->len);
    fwrite(buf_cstr(&safe), 1, safe.len, stdout);
}

int
cli_no_options(const char *verb, int argc, char **argv, struct error *err)
{
    int i;

    for (i = 1; i < argc && strcmp(argv[i], "--"); i++)
        if (argv[i][0] == '-' && argv[i][1])
            return error_input(err, "%s: unknown option %s (see strata %s --help)", verb, argv[i],
                               verb);
    return 0;
}

/* Removes every --root option (before or after the verb) from argv. */
static int
cli_take_root(struct cli *cli, int *argc, char **argv, struct error *err)
{
    int i, out = 0, end = cli_own_args_end(*argc, argv);

    for (i = 0; i < end; i++) {
        const char *v;
        int r = cli_opt_value(*argc, argv, &i, "--root", &v, err);
        if (r < 0)
            return -1;
        if (r == 1) {
            cli->root = v;
            continue;
        }
        if (!strcmp(argv[i], "--"))
            break;
        argv[out++] = argv[i];
    }
    for (; i < *argc; i++)
        argv[out++] = argv[i];
    *argc = out;
    argv[out] = NULL;
    return 0;
}

int
cli_main(int argc, char **argv)
{
    struct cli cli = {NULL, "strata"};
    struct error err;
    const char *dbg = getenv("STRATA_DEBUG");
    size_t i;
    int rc;

    error_init(&err);
    /* a plain user's strata works as root of its own user namespace (rootless.h);
     * unshare(2) wants a single thread, so before the signal thread */
    if (argc > 1 && strcmp(argv[1], "--help") && strcmp(argv[1], "-h") && strcmp(argv[1], "help") &&
        strcmp(argv[1], "--version") && strcmp(argv[1], "version"))
        rootless_enter(1);
    if (signals_start() < 0)
        log_warn("cannot start the signal thread: Ctrl-C will not clean up tmp/");
    if (dbg && *dbg && strcmp(dbg, "0"))
        log_level = 2;
    cli.root = getenv("STRATA_ROOT");
    if (cli.root && !*cli.root)
        cli.root = NULL;
    argc--;
    argv++;
    if (cli_take_root(&cli, &argc, argv, &err) < 0)
        goto fail;
    if (argc < 1) {
        cli_help(NULL, stderr);
        return 2;
    }
    if (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h")) {
        cli_help(NULL, stdout);
        return 0;
    }
    if (!strcmp(argv[0], "--version") || !strcmp(argv[0], "version")) {
        puts("strata " STRATA_VERSION);
        return 0;
    }
    if (!strcmp(argv[0], "help")) {
        if (cli_help_cmd(argc, argv, &err) < 0)
            goto fail;
        return 0;
    }
    for (i = 0; verbs[i].name; i++) {
        if (strcmp(argv[0], verbs[i].name) != 0)
            continue;
        if (cli_wants_help(argc, argv))
            return cli_help(verbs[i].name, stdout) < 0 ? 1 : 0;
        rc = verbs[i].fn(&cli, argc, argv, &err);
        signals_hold(); /* after Ctrl-C, the signal thread ends the process, not this error */
        if (rc >= 0)
            return rc;
        goto fail;
    }
    error_input(&err, "unknown command \"%s\" (see strata --help)", argv[0]);
fail : {
    char msg[ERROR_MSG_LEN + 256];
    struct buf safe = BUF_INIT;
    fflush(stdout);
    error_format(&err, msg, sizeof(msg));
    /* messages quote recipes, archives and registry answers: show controls, never obey them */
    termsafe_add(&safe, msg, strlen(msg));
    fprintf(stderr, "strata: %s\n", buf_cstr(&safe));
    buf_release(&safe);
    return err.exit_code ? err.exit_code : 1;
}
}
