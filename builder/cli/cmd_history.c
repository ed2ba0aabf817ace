/* strata history IMAGE: one line per step, newest first (as docker and podman list it). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "builder/cli/cli.h"
#include "builder/cli/format.h"
#include "formats/core/log.h"
#include "formats/core/mem.h"
#include "formats/json.h"
#include "store/image.h"
#include "store/layersize.h"

#include "formats/core/banned.h"

struct history_opts {
    int no_trunc, quiet, have_fmt;
    struct format fmt;
    const char *ref;
    const char *platform; /* --platform: the image of a multi-platform image to show */
    struct platform plat;
};

static int
history_args(int argc, char **argv, struct history_opts *o, struct error *err)
{
    int i;

    memset(o, 0, sizeof(*o));
    for (i = 1; i < argc; i++) {
        const char *v;
        int r;
        if ((r = cli_opt_platform("history", argc, argv, &i, &o->platform, &o->plat, err)) != 0) {
            if (r < 0)
                return -1;
        } else if (!strcmp(argv[i], "--no-trunc")) {
            o->no_trunc = 1;
        } else if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet")) {
            o->quiet = 1;
        } else if ((r = cli_opt_value(argc, argv, &i, "--format", &v, err)) != 0) {
            if (r < 0 || format_parse(v, &o->fmt, err) < 0)
                return -1;
            o->have_fmt = 1;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return error_input(err, "history: unknown option %s (see strata history --help)",
                               argv[i]);
        } else if (o->ref) {
            return error_input(err, "history: one IMAGE only (\"%s\")", argv[i]);
        } else {
            o->ref = argv[i];
        }
    }
    if (!o->ref)
        return error_input(err, "usage: strata history [OPTIONS] IMAGE");
    return 0;
}

/* One row per history entry, oldest first; the layer of each non-empty step in order. */
static int
history_rows(const struct store *s, const struct image *img, cJSON *rows, struct error *err)
{
    struct layersize sizes = LAYERSIZE_INIT;
    const cJSON *h;
    size_t layer = 0;
    long long now = (long long)time(NULL);

    cJSON_ArrayForEach(h, cJSON_GetObjectItemCaseSensitive(img->config, "history"))
    {
        const char *by = json_string(h, "created_by", 0, "", err);
        const char *when = json_string(h, "created", 0, "", err);
        const char *comment = json_string(h, "comment", 0, "", err);
        int empty = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(h, "empty_layer"));
        cJSON *row = cJSON_CreateObject();
        long long size = 0, t = -1;
        char human[32], since[64];

        if (!empty && layer < img->manifest.nlayers) {
            const char *dg = img->manifest.layers[layer++].digest;
            if (layersize_get(&sizes, s, dg, &size, err) < 0) {
                layersize_release(&sizes);
                cJSON_Delete(row);
                return -1;
            }
            cJSON_AddStringToObject(row, "Layer", dg);
        } else {
            cJSON_AddStringToObject(row, "Layer", "-");
        }
        if (!when || oci_time_parse(when, &t) < 0)
            t = -1;
        format_since(t, now, since, sizeof(since));
        log_human_size(size, human, sizeof(human));
        cJSON_AddStringToObject(row, "Created", when ? when : "");
        cJSON_AddStringToObject(row, "CreatedAt", when ? when : "");
        cJSON_AddStringToObject(row, "CreatedSince", since);
        cJSON_AddStringToObject(row, "CreatedBy", by ? by : "");
        cJSON_AddNumberToObject(row, "Bytes", (double)size);
        cJSON_AddStringToObject(row, "Size", human);
        cJSON_AddStringToObject(row, "Comment", comment ? comment : "");
        cJSON_AddBoolToObject(row, "EmptyLayer", empty);
        cJSON_InsertItemInArray(rows, 0, row); /* newest first */
    }
    layersize_release(&sizes);
    return 0;
}

static int
history_print(const struct history_opts *o, cJSON *rows, struct buf *out, struct error *err)
{
    cJSON *r;

    if (o->fmt.json) {
        cJSON_ArrayForEach(r, rows)
        { /* JSON: sizes in bytes */
            cJSON_DeleteItemFromObjectCaseSensitive(r, "CreatedAt");
            cJSON_DeleteItemFromObjectCaseSensitive(r, "CreatedSince");
            cJSON_ReplaceItemInObjectCaseSensitive(
                r, "Size", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(r, "Bytes"), 1));
            cJSON_DeleteItemFromObjectCaseSensitive(r, "Bytes");
        }
        format_json(rows, out);
        return 0;
    }
    if (o->have_fmt && o->fmt.table)
        format_header(&o->fmt, out);
    else if (!o->have_fmt && !o->quiet)
        buf_addf(out, "%-*s %-23s %-8s %s\n", o->no_trunc ? 71 : 19, "LAYER", "CREATED", "SIZE",
                 "CREATED BY");
    cJSON_ArrayForEach(r, rows)
    {
        const char *layer = json_string(r, "Layer", 0, "", err);
        if (o->have_fmt) {
            if (format_row(&o->fmt, r, out, err) < 0)
                return -1;
        } else if (o->quiet) {
            buf_addf(out, "%s\n", layer);
        } else {
            buf_addf(out, "%-*.*s %-23s %-8s %.*s\n", o->no_trunc ? 71 : 19, o->no_trunc ? 71 : 19,
                     layer, json_string(r, "CreatedSince", 0, "", err),
                     json_string(r, "Size", 0, "", err), o->no_trunc ? 65536 : 100,
                     json_string(r, "CreatedBy", 0, "", err));
        }
    }
    return 0;
}

int
cmd_history(struct cli *cli, int argc, char **argv, struct error *err)
{
    struct history_opts o;
    struct store s;
    struct image img;
    cleanup_cjson cJSON *rows = cJSON_CreateArray();
    cleanup_buf struct buf out = BUF_INIT;
    int rc;

    if (history_args(argc, argv, &o, err) < 0) {
        format_release(&o.fmt);
        return -1;
    }
    if (cli_load_image(cli, "history", o.ref, o.platform ? &o.plat : NULL, &s, &img, err) < 0) {
        format_release(&o.fmt);
        return -1;
    }
    rc = history_rows(&s, &img, rows, err);
    image_release(&img);
    store_release(&s);
    if (rc == 0)
        rc = history_print(&o, rows, &out, err);
    if (rc == 0)
        cli_print_safe(&out, o.fmt.json); /* created_by comes from the image */
    format_release(&o.fmt);
    return rc;
}
