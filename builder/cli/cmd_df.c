/* strata df: logical size of all images against the bytes the store keeps. */
#include <stdio.h>
#include <string.h>

#include "builder/cli/cli.h"
#include "builder/cli/format.h"
#include "formats/core/fsutil.h"
#include "formats/core/log.h"
#include "formats/core/mem.h"
#include "formats/json.h"
#include "store/reach.h"

#include "formats/core/banned.h"

static cJSON *
df_row(struct store *s, struct error *err)
{
    struct reach r;
    cJSON *row;

    if (reach_collect(s, &r, err) < 0)
        return NULL;
    row = cJSON_CreateObject();
    cJSON_AddNumberToObject(row, "Images", (double)r.images);
    cJSON_AddNumberToObject(row, "LogicalSize", (double)r.logical);
    cJSON_AddNumberToObject(row, "Blobs", (double)fs_du(s->root_fd, "blobs"));
    cJSON_AddNumberToObject(row, "Snapshots", (double)fs_du(s->root_fd, "snapshots"));
    cJSON_AddNumberToObject(row, "CacheRecords", (double)r.records);
    reach_release(&r);
    return row;
}

static void
df_table(const cJSON *row, struct buf *out)
{
    long long v[5];
    char a[32], b[32], c[32];
    static const char *const keys[] = {"Images", "LogicalSize", "Blobs", "Snapshots",
                                       "CacheRecords"};
    size_t i;

    for (i = 0; i < 5; i++)
        v[i] = (long long)cJSON_GetObjectItemCaseSensitive(row, keys[i])->valuedouble;
    log_human_size(v[1], a, sizeof(a));
    log_human_size(v[2], b, sizeof(b));
    log_human_size(v[3], c, sizeof(c));
    buf_addf(out, "%-22s\n", "images:");
    buf_addf(out, "  %-20s %lld\n", "count", v[0]);
    buf_addf(out, "  %-20s %s (%lld bytes; a shared layer counts in every image using it)\n",
             "logical size", a, v[1]);
    buf_addf(out, "  %-20s %s (%lld bytes; every blob once)\n", "stored blobs", b, v[2]);
    buf_addf(out, "  %-20s %s (%lld bytes of unpacked layers)\n", "stored snapshots", c, v[3]);
    buf_addf(out, "  %-20s %lld\n", "cache records", v[4]);
}

int
cmd_df(struct cli *cli, int argc, char **argv, struct error *err)
{
    struct format fmt = {0, 0, NULL};
    cleanup_cjson cJSON *row = NULL;
    cleanup_buf struct buf out = BUF_INIT;
    struct store s;
    int i, rc = 0;

    for (i = 1; i < argc; i++) {
        const char *v;
        int r = cli_opt_value(argc, argv, &i, "--format", &v, err);
        if (r == 0)
            return error_input(err, "df: %s %s (see strata df --help)",
                               argv[i][0] == '-' ? "unknown option" : "unexpected argument",
                               argv[i]);
        format_release(&fmt);
        if (r < 0 || format_parse(v, &fmt, err) < 0)
            return -1;
    }
    if (store_open(&s, cli->root, STORE_LOCK_SHARED, err) < 0) {
        format_release(&fmt);
        return -1;
    }
    row = df_row(&s, err);
    store_release(&s);
    if (!row)
        rc = -1;
    else if (fmt.json)
        format_json(row, &out);
    else if (fmt.tmpl && fmt.table)
        format_header(&fmt, &out);
    if (row && fmt.tmpl)
        rc = format_row(&fmt, row, &out, err);
    else if (row && !fmt.json)
        df_table(row, &out);
    format_release(&fmt);
    if (rc == 0)
        fputs(buf_cstr(&out), stdout);
    return rc;
}
