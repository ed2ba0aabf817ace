/* strata pull REF [NAME]: download an image from an OCI registry. */
#include "builder/cli.h"

int
cmd_pull(struct cli *cli, int argc, char **argv, struct error *err)
{
    (void)cli;
    (void)argc;
    (void)argv;
    return error_input(err, "pull: not implemented yet");
}
