/* placeholder */
#include "builder/cli/cli.h"
int
cmd_verify(struct cli *cli, int argc, char **argv, struct error *err)
{
    (void)cli; (void)argc; (void)argv;
    return error_input(err, "verify: not yet");
}
