/* strata push IMAGE REF: upload an image to an OCI registry. */
#include "builder/cli.h"

int
cmd_push(struct cli *cli, int argc, char **argv, struct error *err)
{
    (void)cli;
    (void)argc;
    (void)argv;
    return error_input(err, "push: not implemented yet");
}
