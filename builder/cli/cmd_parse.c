/*
 * strata parse: prints a recipe the way BuildKit's parser test dumps it,
 * accepting what BuildKit's parser accepts; --check adds what a build checks.
 */
#include "builder/cli/cli.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "builder/recipe/parse.h"
#include "formats/core/buf.h"
#include "formats/core/fsutil.h"
#include "formats/core/log.h"

#include "formats/core/banned.h"

/* Recipes are small; a bigger file is a mistake, not a recipe. */
#define CMD_PARSE_MAX (16u << 20)

static int
cmd_parse_read(const char *path, struct buf *text, struct error *err)
{
    if (strcmp(path, "-"))
        return fs_read_file_max(AT_FDCWD, path, CMD_PARSE_MAX, text, err);
    return fs_read_file_max(AT_FDCWD, "/dev/stdin", CMD_PARSE_MAX, text, err);
}

int
cmd_parse(struct cli *cli, int argc, char **argv, struct error *err)
{
    cleanup_buf struct buf text = BUF_INIT, out = BUF_INIT;
    struct parse_recipe r;
    const char *path = NULL;
    int i, check = 0;
    size_t k;

    (void)cli;
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--check")) {
            check = 1;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            return error_input(err, "parse: unknown option %s (see strata parse --help)", argv[i]);
        } else if (path) {
            return error_input(err, "parse: only one FILE, got \"%s\" too", argv[i]);
        } else {
            path = argv[i];
        }
    }
    if (!path)
        return error_input(err, "parse: missing FILE (see strata parse --help)");
    if (cmd_parse_read(path, &text, err) < 0)
        return -1;
    if (parse_recipe(path, buf_cstr(&text), text.len, &r, err) < 0)
        return -1;
    if (check && parse_validate(&r, err) < 0) {
        parse_recipe_release(&r);
        return -1;
    }
    for (k = 0; k < r.warnings.n; k++)
        log_warn("%s", r.warnings.v[k]);
    parse_dump(&r, &out);
    parse_recipe_release(&r);
    fwrite(buf_cstr(&out), 1, out.len, stdout);
    return 0;
}
