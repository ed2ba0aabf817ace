#include "formats/limits.h"

#include <stdlib.h>

#include "formats/core/units.h"

#include "formats/core/banned.h"

static int limits_unpack_set;
static uint64_t limits_unpack_value;

int
limits_parse_size(const char *s, const char *what, uint64_t *out, struct error *err)
{
    long long v;

    if (units_parse_size(s ? s : "", &v, err) < 0)
        return error_wrap(err, "%s", what);
    *out = (uint64_t)v;
    return 0;
}

void
limits_set_unpack(uint64_t max)
{
    limits_unpack_set = 1;
    limits_unpack_value = max;
}

int
limits_blob_max(uint64_t *out, struct error *err)
{
    const char *env = getenv(LIMITS_BLOB_ENV);
    uint64_t v = LIMITS_BLOB_DEFAULT;

    if (env && *env && limits_parse_size(env, LIMITS_BLOB_ENV, &v, err) < 0)
        return -1;
    *out = v ? v : UINT64_MAX;
    return 0;
}

uint64_t
limits_input_size(int fd)
{
    struct stat st;
    uint64_t allocated;

    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size < 0)
        return 0;
    allocated = (uint64_t)st.st_blocks * 512;
    return allocated < (uint64_t)st.st_size ? allocated : (uint64_t)st.st_size;
}

int
limits_unpack_max(uint64_t input_size, uint64_t *out, struct error *err)
{
    const char *env = getenv(LIMITS_UNPACK_ENV);
    uint64_t v = limits_unpack_value;

    if (limits_unpack_set || (env && *env)) {
        if (!limits_unpack_set && limits_parse_size(env, LIMITS_UNPACK_ENV, &v, err) < 0)
            return -1;
        *out = v ? v : UINT64_MAX;
        return 0;
    }
    v = input_size > UINT64_MAX / LIMITS_UNPACK_RATIO ? UINT64_MAX
                                                      : input_size * LIMITS_UNPACK_RATIO;
    *out = v > LIMITS_UNPACK_FLOOR ? v : LIMITS_UNPACK_FLOOR;
    return 0;
}
