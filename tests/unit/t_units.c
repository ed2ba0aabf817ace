#include "formats/core/units.h"

#include <stdlib.h>

#include "tests/unit/harness.h"

#include "formats/core/banned.h"

TEST(units_parse_size_units)
{
    static const struct {
        const char *in;
        long long want;
    } ok[] = {
        {"0", 0},
        {"123", 123},
        {"10B", 10},
        {"1kB", 1000},
        {"1KB", 1000},
        {"2k", 2000},
        {"500MB", 500000000},
        {"500mb", 500000000},
        {"1.5GB", 1500000000},
        {"1KiB", 1024},
        {"2MiB", 2097152},
        {"1GiB", 1073741824},
        {"0.5kib", 512},
        {"3G", 3000000000LL},
    };
    static const char *const bad[] = {"", "MB", "-1MB", "5x", "1 MB", "1.2.3", "1e3", NULL};
    struct error err;
    size_t i;

    for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        long long v = -7;
        error_init(&err);
        CHECK_OK(units_parse_size(ok[i].in, &v, &err), err);
        if (v != ok[i].want)
            harness_fail(__FILE__, __LINE__, "size \"%s\" gave %lld, want %lld", ok[i].in, v,
                         ok[i].want);
    }
    for (i = 0; bad[i]; i++) {
        long long v = -7;
        error_init(&err);
        CHECK_FAIL(units_parse_size(bad[i], &v, &err), err, "invalid size");
        CHECK_INT(err.exit_code, 2);
        CHECK_INT(v, -7);
    }
}

TEST(units_parse_duration_units)
{
    static const struct {
        const char *in;
        long long want;
    } ok[] = {
        {"0", 0},        {"30s", 30},    {"15m", 900},  {"24h", 86400},     {"7d", 604800},
        {"1h30m", 5400}, {"1.5h", 5400}, {"1500ms", 1}, {"2h45m30s", 9930},
    };
    static const char *const bad[] = {"", "5", "h", "-1h", "5y", "1h 2m", "24H", NULL};
    struct error err;
    size_t i;

    for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        long long v = -7;
        error_init(&err);
        CHECK_OK(units_parse_duration(ok[i].in, &v, &err), err);
        if (v != ok[i].want)
            harness_fail(__FILE__, __LINE__, "duration \"%s\" gave %lld, want %lld", ok[i].in, v,
                         ok[i].want);
    }
    for (i = 0; bad[i]; i++) {
        long long v = -7;
        error_init(&err);
        CHECK_FAIL(units_parse_duration(bad[i], &v, &err), err, "invalid duration");
        CHECK_INT(err.exit_code, 2);
    }
}

TEST(units_parse_epoch_values)
{
    struct error err;
    long long v = -1;

    error_init(&err);
    CHECK_OK(units_parse_epoch("0", &v, &err), err);
    CHECK_INT(v, 0);
    CHECK_OK(units_parse_epoch("1700000000", &v, &err), err);
    CHECK_INT(v, 1700000000);
    CHECK_FAIL(units_parse_epoch("", &v, &err), err, "invalid source date epoch");
    CHECK_FAIL(units_parse_epoch("-5", &v, &err), err, "invalid source date epoch");
    CHECK_FAIL(units_parse_epoch("12x", &v, &err), err, "invalid source date epoch \"12x\"");
    CHECK_FAIL(units_parse_epoch("+12", &v, &err), err, "invalid source date epoch");
    CHECK_FAIL(units_parse_epoch("99999999999999999999", &v, &err), err, "invalid");
}

TEST(units_source_date_epoch_env)
{
    struct error err;
    long long v = -1;

    error_init(&err);
    unsetenv("SOURCE_DATE_EPOCH");
    CHECK_INT(units_source_date_epoch(&v, &err), 1);
    setenv("SOURCE_DATE_EPOCH", "", 1);
    CHECK_INT(units_source_date_epoch(&v, &err), 1);
    setenv("SOURCE_DATE_EPOCH", "42", 1);
    CHECK_INT(units_source_date_epoch(&v, &err), 0);
    CHECK_INT(v, 42);
    setenv("SOURCE_DATE_EPOCH", "soon", 1);
    CHECK_FAIL(units_source_date_epoch(&v, &err), err, "SOURCE_DATE_EPOCH: invalid");
    unsetenv("SOURCE_DATE_EPOCH");
}
