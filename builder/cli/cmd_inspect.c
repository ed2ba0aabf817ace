/*
 * strata inspect [--config|--manifest] [--format F] IMAGE: a description of
 * the image shaped as docker inspect shapes it (an array of one object), or
 * its config or manifest as stored.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builder/cli/cli.h"
#include "builder/cli/format.h"
#include "formats/core/buf.h"
#include "formats/core/mem.h"
#include "formats/json.h"
#include "store/blob.h"
#include "store/image.h"
#include "store/index.h"
#include "store/layersize.h"

#include "formats/core/banned.h"

struct inspect_opts {
    int config, manifest, have_fmt;
    struct format fmt;
    const char *ref;
    const char *platform; /* --platform: the image of a multi-platform image to show */
    struct platform plat;
};

static int
inspect_args(int argc, char **argv, struct inspect_opts *o, struct error *err)
{
    int i;

    memset(o, 0, sizeof(*o));
    for (i = 1; i < argc; i++) {
        const char *v;
        int r;
        if ((r = cli_opt_platform("inspect", argc, argv, &i, &o->platform, &o->plat, err)) != 0) {
            if (r < 0)
                return -1;
        } else if (!strcmp(argv[i], "--manifest")) {
            o->manifest = 1;
        } else if (!strcmp(argv[i], "--config")) {
            o->config = 1;
        } else if ((r = cli_opt_value(argc, argv, &i, "--format", &v, err)) != 0 ||
                   (r = cli_opt_value(argc, argv, &i, "-f", &v, err)) != 0) {
            if (r < 0 || format_parse(v, &o->fmt, err) < 0)
                return -1;
            o->have_fmt = !o->fmt.json;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return error_input(err, "inspect: unknown option %s (see strata inspect --help)",
                               argv[i]);
        } else if (o->ref) {
            return error_input(err, "inspect: one IMAGE only (\"%s\")", argv[i]);
        } else {
            o->ref = argv[i];
        }
    }
    if (!o->ref)
        return error_input(err, "usage: strata inspect [--config|--manifest] [--format F] IMAGE");
    if (o->config && o->manifest)
        return error_input(err, "inspect: --config or --manifest, not both");
    return 0;
}

/* RepoTags and RepoDigests: the names of the store that point at this manifest. */
static void
inspect_names(const struct store *s, const char *digest, cJSON *doc)
{
    cJSON *tags = json_add_array(doc, "RepoTags");
    cJSON *digests = json_add_array(doc, "RepoDigests");
    struct index idx;
    struct error ign;
    size_t i;

    error_init(&ign);
    if (index_load(s, &idx, &ign) < 0)
        return;
    for (i = 0; i < idx.n; i++) {
        const char *n = idx.entries[i].name;
        size_t repo = strcspn(n, "@");
        const char *slash = strrchr(n, '/');
        const char *colon = strrchr(slash ? slash : n, ':');
        if (strcmp(idx.entries[i].digest, digest))
            continue;
        if (colon && !strchr(n, '@'))
            repo = (size_t)(colon - n);
        if (!strchr(n, '@'))
            cJSON_AddItemToArray(tags, cJSON_CreateString(n));
        {
            cleanup_free char *d = xasprintf("%.*s@%s", (int)repo, n, digest);
            cJSON_AddItemToArray(digests, cJSON_CreateString(d));
        }
    }
    index_release(&idx);
}

static void
inspect_copy(cJSON *doc, const char *key, const cJSON *from, const char *fkey, cJSON *dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(from, fkey);

    if (v) {
        cJSON_AddItemToObject(doc, key, cJSON_Duplicate(v, 1));
        cJSON_Delete(dflt);
    } else {
        cJSON_AddItemToObject(doc, key, dflt);
    }
}

static cJSON *
inspect_doc(const struct store *s, const struct image *img, struct error *err)
{
    cJSON *doc = cJSON_CreateObject(), *rootfs, *ann;
    struct layersize sizes = LAYERSIZE_INIT;
    long long size = 0, n;
    size_t i;

    cJSON_AddStringToObject(doc, "Id", img->manifest.config.digest);
    cJSON_AddStringToObject(doc, "Digest", img->digest);
    inspect_names(s, img->digest, doc);
    inspect_copy(doc, "Created", img->config, "created", cJSON_CreateString(""));
    inspect_copy(doc, "Author", img->config, "author", cJSON_CreateString(""));
    inspect_copy(doc, "Architecture", img->config, "architecture", cJSON_CreateString(""));
    if (cJSON_GetObjectItemCaseSensitive(img->config, "variant"))
        inspect_copy(doc, "Variant", img->config, "variant", NULL);
    inspect_copy(doc, "Os", img->config, "os", cJSON_CreateString(""));
    inspect_copy(doc, "Config", img->config, "config", cJSON_CreateObject());
    rootfs = json_add_object(doc, "RootFS");
    cJSON_AddStringToObject(rootfs, "Type", "layers");
    rootfs = json_add_array(rootfs, "Layers");
    for (i = 0; i < img->diff_ids.n; i++)
        cJSON_AddItemToArray(rootfs, cJSON_CreateString(img->diff_ids.v[i]));
    for (i = 0; i < img->manifest.nlayers; i++) {
        if (layersize_get(&sizes, s, img->manifest.layers[i].digest, &n, err) < 0) {
            layersize_release(&sizes);
            cJSON_Delete(doc);
            return NULL;
        }
        size += n;
    }
    layersize_release(&sizes);
    cJSON_AddNumberToObject(doc, "Size", (double)size);
    inspect_copy(doc, "History", img->config, "history", cJSON_CreateArray());
    ann = json_add_object(doc, "Annotations");
    for (i = 0; i < img->manifest.annotations.n; i++) {
        const char *kv = img->manifest.annotations.v[i], *eq = strchr(kv, '=');
        cleanup_free char *k = xstrndup(kv, eq ? (size_t)(eq - kv) : strlen(kv));
        cJSON_AddStringToObject(ann, k, eq ? eq + 1 : "");
    }
    cJSON_AddStringToObject(doc, "ManifestType", img->manifest.media_type);
    return doc;
}

/* The stored manifest and config documents, as they are (parsed only to print them). */
static cJSON *
inspect_blob(const struct store *s, const char *digest, struct error *err)
{
    cleanup_buf struct buf b = BUF_INIT;

    if (blob_read(s, digest, 8u << 20, &b, err) < 0)
        return NULL;
    return json_parse(buf_cstr(&b), b.len, digest, err);
}

int
cmd_inspect(struct cli *cli, int argc, char **argv, struct error *err)
{
    struct inspect_opts o;
    struct store s;
    struct image img;
    cleanup_cjson cJSON *doc = NULL;
    cleanup_buf struct buf out = BUF_INIT;
    int rc;

    if (inspect_args(argc, argv, &o, err) < 0) {
        format_release(&o.fmt);
        return -1;
    }
    if (cli_load_image(cli, "inspect", o.ref, o.platform ? &o.plat : NULL, &s, &img, err) < 0) {
        format_release(&o.fmt);
        return -1;
    }
    doc = o.manifest ? inspect_blob(&s, img.digest, err)
          : o.config ? inspect_blob(&s, img.manifest.config.digest, err)
                     : inspect_doc(&s, &img, err);
    rc = doc ? 0 : -1;
    image_release(&img);
    store_release(&s);
    if (rc == 0 && o.have_fmt) {
        rc = format_row(&o.fmt, doc, &out, err);
    } else if (rc == 0 && !o.manifest && !o.config) {
        cleanup_cjson cJSON *arr = cJSON_CreateArray(); /* as docker: an array of one */
        cJSON_AddItemToArray(arr, steal_ptr(&doc));
        format_json(arr, &out);
    } else if (rc == 0) {
        format_json(doc, &out);
    }
    /* the JSON is the image's: its DEL and C1 controls are shown as \u escapes, not raw */
    if (rc == 0)
        cli_print_safe(&out, !o.have_fmt);
    format_release(&o.fmt);
    return rc;
}
