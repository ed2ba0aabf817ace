#include <stdint.h>
#include <stdlib.h>

#include "formats/limits.h"
#include "tests/unit/harness.h"

#include "formats/core/banned.h"

TEST(limits_parse_size_names_the_setting)
{
    struct error err;
    uint64_t v = 0;

    error_init(&err);
    CHECK_OK(limits_parse_size("0", "x", &v, &err), err);
    CHECK_INT(v, 0);
    CHECK_OK(limits_parse_size("3MiB", "x", &v, &err), err);
    CHECK_INT(v, 3 << 20);
    CHECK_OK(limits_parse_size("20GB", "x", &v, &err), err);
    CHECK_INT(v, 20000000000LL);
    CHECK_FAIL(limits_parse_size("lots", "--max-unpack", &v, &err), err,
               "--max-unpack: invalid size \"lots\"");
    CHECK_INT(err.exit_code, 2);
}

TEST(limits_unpack_default_is_a_floor_or_a_ratio)
{
    struct error err;
    uint64_t v = 0;

    error_init(&err);
    unsetenv(LIMITS_UNPACK_ENV);
    CHECK_OK(limits_unpack_max(10240, &v, &err), err);
    CHECK_INT(v, LIMITS_UNPACK_FLOOR);
    CHECK_OK(limits_unpack_max(100ULL << 20, &v, &err), err);
    CHECK_INT(v, 100ULL * LIMITS_UNPACK_RATIO << 20);
    setenv(LIMITS_UNPACK_ENV, "2KiB", 1);
    CHECK_OK(limits_unpack_max(100ULL << 20, &v, &err), err);
    CHECK_INT(v, 2048);
    setenv(LIMITS_UNPACK_ENV, "0", 1);
    CHECK_OK(limits_unpack_max(1, &v, &err), err);
    CHECK(v == UINT64_MAX);
    unsetenv(LIMITS_UNPACK_ENV);
}
