/* strata run: a container from a stored image in the RUN sandbox (and the limit options). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builder/cli/cli.h"
#include "builder/sandbox/cgroup.h"
#include "formats/core/units.h"

const char cli_limits_usage[] =
    "      --memory-swap SIZE     memory + swap (-1: unlimited swap; default: no swap)\n"
    "      --cpus N               CPU time, in CPUs (e.g. 1.5)\n"
    "      --cpu-shares N         relative CPU weight (2-262144, default 1024)\n"
    "      --cpuset-cpus LIST     CPUs it may use (e.g. 0-2,4)\n";

int
cli_limit_opt(int argc, char **argv, int *i, struct cgroup_limits *l, struct error *err)
{
    const char *v;
    char *end;
    int r;

    if ((r = cli_opt_value(argc, argv, i, "--memory-swap", &v, err)) != 0) {
        if (r < 0)
            return -1;
        if (!strcmp(v, "-1")) {
            l->memory_swap = -1;
            return 1;
        }
        if (units_parse_size(v, &l->memory_swap, err) < 0 || l->memory_swap <= 0)
            return error_input(err, "--memory-swap=%s: expected a size such as 1GiB, or -1", v);
        return 1;
    }
    if ((r = cli_opt_value(argc, argv, i, "--cpus", &v, err)) != 0)
        return r < 0 || cgroup_parse_cpus(v, &l->cpu_millis, err) < 0 ? -1 : 1;
    if ((r = cli_opt_value(argc, argv, i, "--cpu-shares", &v, err)) != 0) {
        if (r < 0)
            return -1;
        errno = 0;
        l->cpu_shares = strtoll(v, &end, 10);
        if (!*v || *end || errno || l->cpu_shares < 2 || l->cpu_shares > 262144)
            return error_input(err, "--cpu-shares=%s: expected a number from 2 to 262144", v);
        return 1;
    }
    if ((r = cli_opt_value(argc, argv, i, "--cpuset-cpus", &v, err)) != 0) {
        if (r < 0 || cgroup_check_cpuset(v, err) < 0)
            return -1;
        l->cpuset_cpus = v;
        return 1;
    }
    return 0;
}
