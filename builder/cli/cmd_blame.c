/* placeholder */
#include "builder/cli/cli.h"
int
cmd_blame(struct cli *cli, int argc, char **argv, struct error *err)
{
    (void)cli; (void)argc; (void)argv;
    return error_input(err, "blame: not yet");
}
