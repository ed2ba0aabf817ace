#include "builder/cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "builder/cli/signals.h"
#include "formats/core/buf.h"
#include "formats/core/log.h"
#include "formats/core/termsafe.h"

struct cli_verb {
    const char *name;
    int (*fn)(struct cli *, int, char **, struct error *);
    const char *help;
};

static const struct cli_verb verbs[] = {
    {"build", cmd_build, "build an image from a recipe"},
    {"parse", cmd_parse, "print the parsed recipe (BuildKit dump format)"},
    {"import", cmd_import, "make an image from a rootfs tarball, OCI layout or archive"},
    {"export", cmd_export, "write an image as OCI layout, oci-archive or docker-archive"},
    {"push", cmd_push, "upload an image to an OCI registry"},
    {"pull", cmd_pull, "download an image from an OCI registry"},
    {"login", cmd_login, "check and store credentials for a registry"},
    {"logout", cmd_logout, "remove the stored credentials of a registry"},
    {"images", cmd_images, "list named images"},
    {"history", cmd_history, "show the steps and layers of an image"},
    {"inspect", cmd_inspect, "print an image's config (or --manifest) JSON"},
    {"provenance", cmd_provenance, "print an image's SLSA provenance"},
    {"sbom", cmd_sbom, "print an image's SPDX SBOM"},
    {"blame", cmd_blame, "say which step made each file of an image (or the --largest)"},
    {"verify", cmd_verify, "rebuild an image from its provenance and say if it is reproducible"},
    {"tag", cmd_tag, "give an image another name"},
    {"rm", cmd_rm, "remove image names (their data goes with gc)"},
    {"df", cmd_df, "show logical and stored bytes"},
    {"diff", cmd_diff, "show which files and config fields differ between two images"},
    {"prune", cmd_prune, "drop least recently used cache records and the data only they use"},
    {"gc", cmd_gc, "remove data no image name or cache record uses"},
    {"fsck", cmd_fsck, "re-hash every blob and check every reference"},
    {"manifest", cmd_manifest, "create and change image indexes (multi-platform images)"},
    {"binfmt", cmd_binfmt, "check or register QEMU emulation of other platforms"},
    {NULL, NULL, NULL},
};

static void
cli_usage(FILE *out)
{
    size_t i;

    fputs("usage: strata [--root DIR] COMMAND [ARGS]\n\ncommands:\n", out);
    for (i = 0; verbs[i].name; i++)
        fprintf(out, "  %-9s %s\n", verbs[i].name, verbs[i].help);
    fputs("\nRun 'strata COMMAND --help' for a command's options.\n"
          "The store is --root DIR, else $STRATA_ROOT, else /var/lib/strata (root) or\n"
          "$XDG_DATA_HOME/strata.\n",
          out);
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

/* Removes every --root option (before or after the verb) from argv. */
static int
cli_take_root(struct cli *cli, int *argc, char **argv, struct error *err)
{
    int i, out = 0;

    for (i = 0; i < *argc; i++) {
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
    curl_global_init(CURL_GLOBAL_DEFAULT); /* before any thread: libcurl's rule */
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
    if (argc < 1 || !strcmp(argv[0], "--help") || !strcmp(argv[0], "-h") ||
        !strcmp(argv[0], "help")) {
        cli_usage(argc < 1 ? stderr : stdout);
        return argc < 1 ? 2 : 0;
    }
    if (!strcmp(argv[0], "--version") || !strcmp(argv[0], "version")) {
        puts("strata 0.1.0");
        return 0;
    }
    for (i = 0; verbs[i].name; i++) {
        if (strcmp(argv[0], verbs[i].name) != 0)
            continue;
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
