#include "builder/cli/format.h"

#include <stdlib.h>
#include <string.h>

#include "formats/json.h"
#include "tests/unit/harness.h"

#include "formats/core/banned.h"

static char *
render(const char *tmpl, const char *row_json, struct error *err)
{
    struct format f;
    struct buf out = BUF_INIT;
    cJSON *row = cJSON_Parse(row_json);
    int rc;

    if (format_parse(tmpl, &f, err) < 0) {
        cJSON_Delete(row);
        return NULL;
    }
    rc = format_row(&f, row, &out, err);
    format_release(&f);
    cJSON_Delete(row);
    if (rc < 0) {
        buf_release(&out);
        return NULL;
    }
    return buf_detach(&out);
}

TEST(format_fields_paths_json_index)
{
    static const char *row = "{\"ID\":\"abc\",\"N\":42,\"F\":1.5,\"B\":true,"
                             "\"Config\":{\"Env\":[\"A=1\",\"B=2\"],"
                             "\"Labels\":{\"z\":\"last\",\"a\":\"first\"}}}";
    struct error err;
    char *s;

    error_init(&err);
    s = render("{{.ID}} {{ .N }} {{.F}} {{.B}}", row, &err);
    CHECK_STR(s, "abc 42 1.5 true\n");
    free(s);
    s = render("{{.Config.Env}}|{{.Config.Labels}}|{{.Config.Nope}}", row, &err);
    CHECK_STR(s, "[A=1 B=2]|map[a:first z:last]|<no value>\n");
    free(s);
    s = render("{{json .Config.Env}} {{index .Config.Labels \"z\"}} {{json .}}", "{\"x\":[1]}",
               &err);
    CHECK(s == NULL); /* .Config is no field of that row */
    CHECK(strstr(err.msg, "no field \"Config\"") != NULL);
    error_init(&err);
    s = render("{{json .Config.Env}} {{index .Config.Labels \"z\"}}", row, &err);
    CHECK_STR(s, "[\"A=1\",\"B=2\"] last\n");
    free(s);
    s = render("{{index .Config.Env 1}}|{{index .Config.Env 5}}", row, &err);
    CHECK_STR(s, "B=2|<no value>\n");
    free(s);
    s = render("a\\tb\\nc {{.ID}}", row, &err);
    CHECK_STR(s, "a\tb\nc abc\n");
    free(s);
}

TEST(format_bad_templates)
{
    struct format f;
    struct error err;

    error_init(&err);
    CHECK_FAIL(format_parse("{{.ID", &f, &err), err, "without \"}}\"");
    error_init(&err);
    CHECK_FAIL(format_parse("{{ID}}", &f, &err), err, "expected .Field");
    error_init(&err);
    CHECK_FAIL(format_parse("{{index .L}}", &f, &err), err, "quoted key or a number");
    error_init(&err);
    CHECK_FAIL(format_parse("{{.A extra}}", &f, &err), err, "unexpected");
    error_init(&err);
    CHECK_OK(format_parse("json", &f, &err), err);
    CHECK_INT(f.json, 1);
    format_release(&f);
}

TEST(format_table_header)
{
    struct format f;
    struct buf out = BUF_INIT;
    struct error err;

    error_init(&err);
    CHECK_OK(format_parse("table {{.ID}}\\t{{.CreatedSince}} {{index .L \"k\"}}", &f, &err), err);
    CHECK_INT(f.table, 1);
    format_header(&f, &out);
    CHECK_STR(buf_cstr(&out), "ID\tCREATEDSINCE K\n");
    buf_release(&out);
    format_release(&f);
}

TEST(format_since_words)
{
    static const struct {
        long long ago;
        const char *want;
    } cases[] = {
        {0, "Less than a second ago"},
        {1, "1 second ago"},
        {59, "59 seconds ago"},
        {60, "About a minute ago"},
        {150, "2 minutes ago"},
        {3600, "About an hour ago"},
        {3 * 3600, "3 hours ago"},
        {3 * 86400, "3 days ago"},
        {20 * 86400, "2 weeks ago"},
        {90 * 86400, "3 months ago"},
        {3 * 365 * 86400LL, "3 years ago"},
    };
    char out[64];
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        format_since(1000000000 - cases[i].ago, 1000000000, out, sizeof(out));
        CHECK_STR(out, cases[i].want);
    }
    format_since(-1, 1000000000, out, sizeof(out));
    CHECK_STR(out, "-");
}

TEST(format_json_indents)
{
    cJSON *j = cJSON_Parse("{\"a\":[1,{\"b\":\"x\\\"y\"}],\"c\":{},\"d\":[]}");
    struct buf out = BUF_INIT;

    format_json(j, &out);
    CHECK_STR(buf_cstr(&out),
              "{\n    \"a\": [\n        1,\n        {\n            \"b\": \"x\\\"y\"\n"
              "        }\n    ],\n    \"c\": {},\n    \"d\": []\n}\n");
    buf_release(&out);
    cJSON_Delete(j);
}
