#include "store/reach.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "formats/core/buf.h"
#include "formats/core/fsutil.h"
#include "formats/core/mem.h"
#include "formats/json.h"
#include "store/blob.h"
#include "store/cache.h"
#include "store/image.h"
#include "store/index.h"
#include "store/txn.h"
#include "formats/oci_archive.h"

#include "formats/core/banned.h"

void
reach_release(struct reach *r)
{
    strvec_release(&r->blobs);
    strvec_release(&r->snapshots);
    strvec_release(&r->problems);
    strvec_release(&r->pairs);
}

static int
reach_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
reach_uniq(struct strvec *v)
{
    size_t i, o = 0;

    if (!v->n)
        return;
    qsort(v->v, v->n, sizeof(char *), reach_cmp);
    for (i = 0; i < v->n; i++) {
        if (o && !strcmp(v->v[o - 1], v->v[i]))
            free(v->v[i]);
        else
            v->v[o++] = v->v[i];
    }
    v->n = o;
    v->v[o] = NULL;
}

int
reach_has(const struct strvec *sorted, const char *s)
{
    size_t lo = 0, hi = sorted->n;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(sorted->v[mid], s);
        if (!c)
            return 1;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

/* An image manifest: its config, layers and their snapshots. who names it in problems. */
static void
reach_image(const struct store *s, const char *digest, const char *who, struct reach *r)
{
    struct image img;
    struct error err;
    size_t i;

    error_init(&err);
    strvec_push(&r->blobs, digest);
    if (image_load_digest(s, digest, &img, &err) < 0) {
        strvec_pushf(&r->problems, "image %s: %s", who, err.msg);
        return;
    }
    r->images++;
    strvec_push(&r->blobs, img.manifest.config.digest);
    r->logical += img.manifest_size + img.manifest.config.size;
    for (i = 0; i < img.manifest.nlayers; i++) {
        const struct oci_descriptor *l = &img.manifest.layers[i];
        long long have = blob_size(s, l->digest);
        strvec_push(&r->blobs, l->digest);
        strvec_push(&r->snapshots, digest_hex(img.diff_ids.v[i]));
        strvec_pushf(&r->pairs, "%s %s image %s", l->digest, img.diff_ids.v[i], who);
        r->logical += l->size;
        if (have < 0)
            strvec_pushf(&r->problems, "image %s: layer %s is missing", who, l->digest);
        else if (have != l->size)
            strvec_pushf(&r->problems, "image %s: layer %s has %lld bytes, manifest says %lld", who,
                         l->digest, have, l->size);
    }
    image_release(&img);
}

/*
 * A manifest of an index that is not an image (an attestation manifest):
 * its blobs, whatever their media types; nothing to unpack.
 */
/* One blob an attestation manifest lists (its config or a statement). */
static void
reach_other_blob(const struct store *s, const cJSON *desc, const char *who, struct reach *r)
{
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(desc, "digest");
    struct error err;
    long long have;

    error_init(&err);
    if (!cJSON_IsString(d) || digest_validate(d->valuestring, &err) < 0)
        return;
    strvec_push(&r->blobs, d->valuestring);
    have = blob_size(s, d->valuestring);
    if (have < 0)
        strvec_pushf(&r->problems, "image %s: attestation blob %s is missing", who, d->valuestring);
    else
        r->logical += have;
}

static void
reach_other(const struct store *s, const char *digest, const char *who, struct reach *r)
{
    cleanup_buf struct buf b = BUF_INIT;
    cleanup_cjson cJSON *j = NULL;
    const cJSON *l;
    struct error err;

    error_init(&err);
    strvec_push(&r->blobs, digest);
    if (blob_read(s, digest, 4u << 20, &b, &err) < 0 ||
        !(j = json_parse(buf_cstr(&b), b.len, digest, &err))) {
        strvec_pushf(&r->problems, "image %s: manifest %s: %s", who, digest, err.msg);
        return;
    }
    r->logical += (long long)b.len;
    reach_other_blob(s, cJSON_GetObjectItemCaseSensitive(j, "config"), who, r);
    cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(j, "layers"))
        reach_other_blob(s, l, who, r);
}

/*
 * An image index: the index and what it lists. A manifest a pull did not
 * fetch is absent, not damage (store/image.h).
 */
static void
reach_index(const struct store *s, const char *digest, const char *name, struct reach *r)
{
    struct oci_archive_index idx;
    struct error err;
    size_t i;

    error_init(&err);
    strvec_push(&r->blobs, digest);
    if (image_index_load(s, digest, &idx, &err) < 0) {
        strvec_pushf(&r->problems, "image %s: %s", name, err.msg);
        return;
    }
    r->logical += blob_size(s, digest);
    for (i = 0; i < idx.n; i++) {
        const struct oci_archive_entry *e = &idx.entries[i];
        struct platform p;
        char ps[PLATFORM_STR_MAX] = "";
        cleanup_free char *who = NULL;
        if (!blob_exists(s, e->desc.digest))
            continue;
        if (oci_archive_entry_platform(e, &p) == 0)
            platform_format(&p, ps);
        who = xasprintf("%s (%s)", name, ps[0] ? ps : e->desc.digest);
        if (oci_archive_entry_is_image(e))
            reach_image(s, e->desc.digest, who, r);
        else if (oci_archive_entry_is_index(e))
            strvec_push(&r->blobs, e->desc.digest); /* nested: kept, not followed */
        else
            reach_other(s, e->desc.digest, who, r);
    }
    oci_archive_index_release(&idx);
}

void
reach_names(const struct store *s, const struct index *idx, struct reach *r)
{
    size_t i;

    for (i = 0; i < idx->n; i++) {
        const struct index_entry *e = &idx->entries[i];
        /* what the name points at: an image index (index_digest) or an image */
        const char *top = e->index_digest[0] ? e->index_digest : e->digest;
        struct error err;
        int is_index;

        error_init(&err);
        is_index = image_is_index(s, top, &err);
        if (is_index < 0) {
            strvec_push(&r->blobs, top);
            strvec_pushf(&r->problems, "image %s: %s", e->name, err.msg);
        } else if (is_index) {
            reach_index(s, top, e->name, r);
        } else {
            reach_image(s, top, e->name, r);
        }
    }
}

static void
reach_record(const struct store *s, const char *name, struct reach *r)
{
    cleanup_buf struct buf b = BUF_INIT;
    cleanup_cjson cJSON *j = NULL;
    struct error err;
    const cJSON *layer;
    const char *dg, *di;

    error_init(&err);
    if (cache_get(s, name, &b, &err) != 0 ||
        !(j = json_parse(buf_cstr(&b), b.len, "cache record", &err))) {
        strvec_pushf(&r->problems, "cache record %s: %s", name,
                     err.msg[0] ? err.msg : "unreadable");
        return;
    }
    r->records++;
    layer = cJSON_GetObjectItemCaseSensitive(j, "layer");
    if (!cJSON_IsObject(layer))
        return;
    dg = json_string(layer, "digest", 1, "", &err);
    di = json_string(layer, "diff_id", 1, "", &err);
    if (!dg || !di || digest_validate(dg, &err) < 0 || digest_validate(di, &err) < 0) {
        strvec_pushf(&r->problems, "cache record %s: bad layer reference", name);
        return;
    }
    strvec_push(&r->blobs, dg);
    strvec_push(&r->snapshots, digest_hex(di));
    strvec_pushf(&r->pairs, "%s %s cache record %s", dg, di, name);
    /* a record whose blob is gone is only a cache miss, not damage */
}

int
reach_collect(const struct store *s, struct reach *r, struct error *err)
{
    struct index idx;
    cleanup_free char *cdir = store_path(s, "cache");
    DIR *d;
    struct dirent *de;

    memset(r, 0, sizeof(*r));
    if (index_load(s, &idx, err) < 0)
        return -1;
    reach_names(s, &idx, r);
    index_release(&idx);
    d = opendir(cdir);
    while (d && (de = readdir(d)) != NULL) {
        if (strlen(de->d_name) == DIGEST_HEX_LEN)
            reach_record(s, de->d_name, r);
    }
    if (d)
        closedir(d);
    reach_uniq(&r->blobs);
    reach_uniq(&r->snapshots);
    reach_uniq(&r->pairs);
    return 0;
}

size_t
reach_sweep_tmp(const struct store *s, int all)
{
    DIR *d = opendir(s->tmp);
    struct dirent *de;
    size_t n = 0;

    while (d && (de = readdir(d)) != NULL) {
        long pid = txn_name_pid(de->d_name);
        struct error err;
        cleanup_free char *p = NULL;
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        if (!all && pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM))
            continue; /* its writer is still running */
        p = fs_join(s->tmp, de->d_name);
        error_init(&err);
        if (fs_rm_rf(AT_FDCWD, p, &err) == 0)
            n++;
    }
    if (d)
        closedir(d);
    return n;
}
