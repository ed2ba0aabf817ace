/* strata push IMAGE REF: upload an image to an OCI registry (and the options pull shares). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builder/cli/cli.h"
#include "formats/registry.h"
#include "store/remote.h"
#include "store/store.h"

#include "formats/core/banned.h"

static void
push_progress(void *opaque, const char *line)
{
    (void)opaque;
    printf("%s\n", line);
    fflush(stdout);
}

static int
push_bool(const char *v, int *out, const char *opt, struct error *err)
{
    if (!strcmp(v, "true") || !strcmp(v, "1"))
        *out = 1;
    else if (!strcmp(v, "false") || !strcmp(v, "0"))
        *out = 0;
    else
        return error_input(err, "%s: expected true or false, not \"%s\"", opt, v);
    return 0;
}

int
cli_registry_args(const char *verb, int argc, char **argv, struct registry_opts *o,
                  const char **pos, int *npos, struct error *err)
{
    int i;

    registry_opts_init(o);
    o->progress = push_progress;
    for (i = 1; i < argc; i++) {
        const char *v;
        int r;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
            return 1;
        if ((r = cli_opt_value(argc, argv, &i, "--tls-verify", &v, err)) != 0) {
            if (r < 0 || push_bool(v, &o->tls_verify, "--tls-verify", err) < 0)
                return -1;
        } else if ((r = cli_opt_value(argc, argv, &i, "--creds", &o->creds, err)) != 0 ||
                   (r = cli_opt_value(argc, argv, &i, "--authfile", &o->auth_file, err)) != 0 ||
                   (r = cli_opt_value(argc, argv, &i, "--cert-dir", &o->cert_dir, err)) != 0) {
            if (r < 0)
                return -1;
        } else if ((r = cli_opt_value(argc, argv, &i, "--chunk-size", &v, err)) != 0) {
            char *end;
            unsigned long long n = r > 0 ? strtoull(v, &end, 10) : 0;
            if (r < 0 || !*v || *end || n < 1024)
                return r < 0 ? -1 : error_input(err, "--chunk-size: need a number >= 1024");
            o->chunk_size = (size_t)n;
        } else if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet")) {
            o->progress = NULL;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return error_input(err, "%s: unknown option %s", verb, argv[i]);
        } else if (*npos == 2) {
            return error_input(err, "%s: too many arguments (\"%s\")", verb, argv[i]);
        } else {
            pos[(*npos)++] = argv[i];
        }
    }
    return 0;
}

/* push's own options (--digestfile), taken out of argv before the shared ones are read */
static int
push_own_args(int *argc, char **argv, const char **digestfile, struct error *err)
{
    int i, out = 1;

    for (i = 1; i < *argc; i++) {
        const char *v;
        int r = cli_opt_value(*argc, argv, &i, "--digestfile", &v, err);
        if (r < 0)
            return -1;
        if (r > 0)
            *digestfile = v;
        else
            argv[out++] = argv[i];
    }
    *argc = out;
    return 0;
}

int
cmd_push(struct cli *cli, int argc, char **argv, struct error *err)
{
    struct registry_opts o;
    const char *pos[2] = {NULL, NULL};
    const char *digestfile = NULL;
    char digest[DIGEST_STR_LEN + 1];
    struct store s;
    int npos = 0, rc;

    if (push_own_args(&argc, argv, &digestfile, err) < 0)
        return -1;
    rc = cli_registry_args("push", argc, argv, &o, pos, &npos, err);

    if (rc != 0) {
        if (rc > 0)
            cli_help(argv[0], stdout);
        return rc > 0 ? 0 : -1;
    }
    if (npos != 2)
        return error_input(err, "push: need IMAGE and REF (see strata push --help)");
    if (store_open(&s, cli->root, STORE_LOCK_SHARED, err) < 0)
        return -1;
    rc = remote_push(&s, pos[0], pos[1], &o, digest, err);
    store_release(&s);
    if (rc == 0)
        printf("pushed %s@%s\n", pos[1], digest);
    if (rc == 0 && digestfile && cli_write_small(digestfile, digest, "--digestfile", err) < 0)
        return -1;
    return rc;
}
