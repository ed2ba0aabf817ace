/*
 * strata images: the named images of the store, one row per name, with the
 * image ID docker and podman show (the config digest), the creation time,
 * the unpacked size and the platforms (a multi-platform image is one row).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "builder/cli/cli.h"
#include "builder/cli/format.h"
#include "formats/core/log.h"
#include "formats/core/mem.h"
#include "formats/json.h"
#include "store/blob.h"
#include "store/image.h"
#include "store/index.h"
#include "store/layersize.h"

#include "formats/core/banned.h"

struct images_opts {
    int quiet, digests, no_trunc;
    struct format fmt;
    int have_fmt;
};

static int
images_args(int argc, char **argv, struct images_opts *o, struct error *err)
{
    int i;

    memset(o, 0, sizeof(*o));
    for (i = 1; i < argc; i++) {
        const char *v;
        int r;
        if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet")) {
            o->quiet = 1;
        } else if (!strcmp(argv[i], "--digests")) {
            o->digests = 1;
        } else if (!strcmp(argv[i], "--no-trunc")) {
            o->no_trunc = 1;
        } else if ((r = cli_opt_value(argc, argv, &i, "--format", &v, err)) != 0) {
            if (r < 0 || format_parse(v, &o->fmt, err) < 0)
                return -1;
            o->have_fmt = 1;
        } else {
            return error_input(err, "images: %s %s (see strata images --help)",
                               argv[i][0] == '-' ? "unknown option" : "unexpected argument",
                               argv[i]);
        }
    }
    return 0;
}

/* "localhost/app:1" -> "localhost/app" and "1"; a digest reference has tag "<none>". */
static void
images_split(const char *name, char **repo, char **tag)
{
    const char *at = strchr(name, '@');
    const char *slash = strrchr(name, '/');
    const char *colon = strrchr(slash ? slash : name, ':');

    if (at) {
        *repo = xstrndup(name, (size_t)(at - name));
        *tag = xstrdup("<none>");
    } else if (colon) {
        *repo = xstrndup(name, (size_t)(colon - name));
        *tag = xstrdup(colon + 1);
    } else {
        *repo = xstrdup(name);
        *tag = xstrdup("<none>");
    }
}

/* What a name's images add up to: an index (several platforms, attestations) or one image. */
struct images_acc {
    long long size; /* unpacked bytes of every image; -1: a layer could not be read */
    char created[64];
    struct buf platforms;
    size_t absent; /* images of a pulled index that were not fetched */
};

static int
images_add(const struct store *s, struct layersize *sizes, const char *digest, const char *platform,
           struct images_acc *a, struct error *err)
{
    struct image img;
    struct platform p;
    char ps[PLATFORM_STR_MAX];
    const char *created;
    long long n;
    size_t i;

    if (image_load_digest(s, digest, &img, err) < 0)
        return -1;
    for (i = 0; i < img.manifest.nlayers && a->size >= 0; i++) {
        struct error e;
        error_init(&e);
        /* a layer that cannot be read (fsck says why) leaves the size unknown, not the row */
        if (layersize_get(sizes, s, img.manifest.layers[i].digest, &n, &e) < 0)
            a->size = -1;
        else
            a->size += n;
    }
    created = json_string(img.config, "created", 0, "", err);
    if (created && strcmp(created, a->created) > 0)
        snprintf(a->created, sizeof(a->created), "%s", created);
    if (!platform && oci_config_platform(img.config, &p) == 0) {
        platform_format(&p, ps);
        platform = ps;
    }
    buf_addf(&a->platforms, "%s%s", a->platforms.len ? "," : "", platform ? platform : "-");
    image_release(&img);
    return 0;
}

/* The images of an index (attestation manifests are not images), each with its platform. */
static int
images_index(const struct store *s, struct layersize *sizes, const char *digest,
             struct images_acc *a, struct error *err)
{
    struct oci_archive_index idx;
    size_t i;
    int rc = 0;

    if (image_index_load(s, digest, &idx, err) < 0)
        return -1;
    for (i = 0; i < idx.n && rc == 0; i++) {
        const struct oci_archive_entry *e = &idx.entries[i];
        struct platform p;
        char ps[PLATFORM_STR_MAX];
        int have;
        if (!oci_archive_entry_is_image(e))
            continue;
        if (!blob_exists(s, e->desc.digest)) {
            a->absent++;
            continue;
        }
        have = oci_archive_entry_platform(e, &p) == 0;
        if (have)
            platform_format(&p, ps);
        rc = images_add(s, sizes, e->desc.digest, have ? ps : NULL, a, err);
    }
    oci_archive_index_release(&idx);
    return rc;
}

/*
 * The row of one name: what --format json and templates see. NULL for a
 * damaged image. A multi-platform image is one row: its platforms listed,
 * its size that of every image pulled.
 */
static cJSON *
images_row(const struct store *s, struct layersize *sizes, const struct index_entry *e,
           const struct images_opts *o, long long now)
{
    /* what the name points at: its index (several platforms, attestations) or its image */
    const char *top = e->index_digest[0] ? e->index_digest : e->digest;
    struct images_acc a;
    struct error ign;
    cleanup_free char *repo = NULL, *tag = NULL;
    char human[32], since[64], id[DIGEST_STR_LEN + 1], id12[16];
    long long t = -1;
    int is_index;
    cJSON *row;

    memset(&a, 0, sizeof(a));
    buf_init(&a.platforms);
    error_init(&ign);
    is_index = image_is_index(s, top, &ign);
    if (is_index < 0 ||
        (is_index ? images_index(s, sizes, top, &a, &ign)
                  : images_add(s, sizes, top, NULL, &a, &ign)) < 0 ||
        index_image_id(s, top, id, &ign) < 0) {
        buf_release(&a.platforms);
        return NULL;
    }
    if (a.absent)
        buf_addf(&a.platforms, " (+%zu not pulled)", a.absent);
    if (!a.created[0] || oci_time_parse(a.created, &t) < 0)
        t = -1;
    images_split(e->name, &repo, &tag);
    if (a.size >= 0)
        log_human_size(a.size, human, sizeof(human));
    else
        snprintf(human, sizeof(human), "?");
    format_since(t, now, since, sizeof(since));
    snprintf(id12, sizeof(id12), "%.12s", digest_hex(id));
    row = cJSON_CreateObject();
    cJSON_AddStringToObject(row, "Id", id);
    cJSON_AddStringToObject(row, "ID", o->no_trunc ? id : id12);
    cJSON_AddStringToObject(row, "Name", e->name);
    cJSON_AddStringToObject(row, "Repository", repo);
    cJSON_AddStringToObject(row, "Tag", tag);
    /* the digest a registry knows: the index when the name points at one */
    cJSON_AddStringToObject(row, "Digest", top);
    cJSON_AddStringToObject(row, "Created", a.created);
    cJSON_AddStringToObject(row, "CreatedAt", a.created);
    cJSON_AddStringToObject(row, "CreatedSince", since);
    if (a.size >= 0)
        cJSON_AddNumberToObject(row, "Bytes", (double)a.size);
    else
        cJSON_AddNullToObject(row, "Bytes");
    cJSON_AddStringToObject(row, "Size", human);
    cJSON_AddStringToObject(row, "Platform", buf_cstr(&a.platforms));
    buf_release(&a.platforms);
    return row;
}

/* --format json: an array of objects with RFC 3339 times and sizes in bytes */
static cJSON *
images_json_row(const cJSON *row)
{
    static const char *const keys[] = {"Id",     "Name",    "Repository", "Tag",
                                       "Digest", "Created", "Platform"};
    cJSON *j = cJSON_CreateObject();
    size_t i;

    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        cJSON_AddItemToObject(j, keys[i],
                              cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(row, keys[i]), 1));
    cJSON_AddItemToObject(j, "Size",
                          cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(row, "Bytes"), 1));
    return j;
}

static int
images_print(const struct images_opts *o, const cJSON *rows, struct buf *out, struct error *err)
{
    cleanup_strvec struct strvec seen = STRVEC_INIT;
    const cJSON *r;
    size_t i;

    if (o->have_fmt && o->fmt.table)
        format_header(&o->fmt, out);
    else if (!o->have_fmt && !o->quiet) {
        buf_addf(out, "%-40s ", "NAME");
        if (o->digests)
            buf_addf(out, "%-*s ", o->no_trunc ? 71 : 19, "DIGEST");
        buf_addf(out, "%-*s %-23s %-8s %s\n", o->no_trunc ? 71 : 12, "IMAGE ID", "CREATED", "SIZE",
                 "PLATFORM");
    }
    cJSON_ArrayForEach(r, rows)
    {
        const char *id = json_string(r, "ID", 0, "", err);
        int dup = 0;
        if (o->have_fmt) {
            if (format_row(&o->fmt, r, out, err) < 0)
                return -1;
            continue;
        }
        if (o->quiet) { /* each ID once: `strata rm $(strata images -q)`-style scripts */
            for (i = 0; i < seen.n; i++)
                dup |= !strcmp(seen.v[i], id);
            if (!dup)
                buf_addf(out, "%s\n", id);
            strvec_push(&seen, id);
            continue;
        }
        buf_addf(out, "%-40s ", json_string(r, "Name", 0, "", err));
        if (o->digests)
            buf_addf(out, "%-*.*s ", o->no_trunc ? 71 : 19, o->no_trunc ? 71 : 19,
                     json_string(r, "Digest", 0, "", err));
        buf_addf(out, "%-*s %-23s %-8s %s\n", o->no_trunc ? 71 : 12, id,
                 json_string(r, "CreatedSince", 0, "", err), json_string(r, "Size", 0, "", err),
                 json_string(r, "Platform", 0, "", err));
    }
    return 0;
}

int
cmd_images(struct cli *cli, int argc, char **argv, struct error *err)
{
    struct images_opts o;
    struct layersize sizes = LAYERSIZE_INIT;
    cleanup_cjson cJSON *rows = cJSON_CreateArray();
    cleanup_buf struct buf out = BUF_INIT;
    struct store s;
    struct index idx;
    long long now = (long long)time(NULL);
    size_t i;
    int rc = 0;

    if (images_args(argc, argv, &o, err) < 0) {
        format_release(&o.fmt);
        return -1;
    }
    if (store_open(&s, cli->root, STORE_LOCK_SHARED, err) < 0 || index_load(&s, &idx, err) < 0) {
        format_release(&o.fmt);
        return -1;
    }
    for (i = 0; i < idx.n; i++) {
        cJSON *row = images_row(&s, &sizes, &idx.entries[i], &o, now);
        if (!row) {
            log_warn("image %s (%s): damaged, run strata fsck", idx.entries[i].name,
                     idx.entries[i].digest);
            continue;
        }
        cJSON_AddItemToArray(rows, row);
    }
    index_release(&idx);
    layersize_release(&sizes);
    store_release(&s);
    if (o.fmt.json) {
        cleanup_cjson cJSON *arr = cJSON_CreateArray();
        const cJSON *r;
        cJSON_ArrayForEach(r, rows) cJSON_AddItemToArray(arr, images_json_row(r));
        format_json(arr, &out);
        cli_print_safe(&out, 1);
        format_release(&o.fmt);
        return 0;
    } else {
        rc = images_print(&o, rows, &out, err);
    }
    format_release(&o.fmt);
    if (rc == 0)
        cli_print_safe(&out, 0);
    return rc;
}
