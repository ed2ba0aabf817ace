/* strata: command dispatch only. Each verb lives in cmd_<verb>.c. */
#include "builder/cli/cli.h"

#include "formats/core/banned.h"

int
main(int argc, char **argv)
{
    return cli_main(argc, argv);
}
