/*
 * Two images compared (strata diff): final file trees computed from the layer
 * tars in memory (formats/treediff.h, nothing extracted), config fields, and
 * layers with the step that made each.
 */
#include "store/imagediff.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "formats/core/buf.h"
#include "formats/core/mem.h"
#include "formats/json.h"
#include "formats/treediff.h"
#include "store/blob.h"

#include "formats/core/banned.h"

/* Layers read so far, by diff_id: both images often share their base. */
struct diff_layers {
    char **diff_ids;
    struct treediff_layer *layers;
    size_t n, alloc, alloc2;
};

static void
diff_layers_release(struct diff_layers *c)
{
    size_t i;

    for (i = 0; i < c->n; i++) {
        free(c->diff_ids[i]);
        treediff_layer_release(&c->layers[i]);
    }
    free(c->diff_ids);
    free(c->layers);
}

static const struct treediff_layer *
diff_layer(const struct store *s, struct diff_layers *c, const char *digest, const char *diff_id,
           struct error *err)
{
    struct treediff_layer l = TREEDIFF_LAYER_INIT;
    cleanup_free char *what = xasprintf("layer %s", digest);
    size_t i;
    int fd;

    for (i = 0; i < c->n; i++) {
        if (!strcmp(c->diff_ids[i], diff_id))
            return &c->layers[i];
    }
    fd = blob_open(s, digest, err);
    if (fd < 0)
        return NULL;
    if (treediff_layer_read(fd, what, &l, err) < 0) {
        close(fd);
        treediff_layer_release(&l);
        return NULL;
    }
    close(fd);
    c->diff_ids = xgrow(c->diff_ids, sizeof(char *), c->n + 1, &c->alloc);
    c->layers = xgrow(c->layers, sizeof(l), c->n + 1, &c->alloc2);
    c->diff_ids[c->n] = xstrdup(diff_id);
    c->layers[c->n] = l;
    return &c->layers[c->n++];
}

static int
diff_tree(const struct store *s, struct diff_layers *c, const struct image *img,
          struct treediff_tree *t, struct error *err)
{
    size_t i;

    for (i = 0; i < img->manifest.nlayers; i++) {
        const struct treediff_layer *l =
            diff_layer(s, c, img->manifest.layers[i].digest, img->diff_ids.v[i], err);
        if (!l)
            return -1;
        treediff_tree_apply(t, l);
    }
    return 0;
}

/* ---- config ------------------------------------------------------------- */

static char *
diff_json(const cJSON *j)
{
    return j ? cJSON_PrintUnformatted(j) : xstrdup("(none)");
}

/* One line per member of a or b (objects) whose values differ, except those in skip. */
static void
diff_members(const cJSON *a, const cJSON *b, const char *prefix, const char *const *skip,
             struct strvec *out)
{
    cleanup_strvec struct strvec keys = STRVEC_INIT;
    const cJSON *it;
    const cJSON *objs[2] = {a, b};
    size_t i, k;

    for (k = 0; k < 2; k++) {
        cJSON_ArrayForEach(it, objs[k])
        {
            int seen = 0;
            for (i = 0; skip && skip[i]; i++)
                seen |= !strcmp(skip[i], it->string);
            for (i = 0; i < keys.n; i++)
                seen |= !strcmp(keys.v[i], it->string);
            if (!seen)
                strvec_push(&keys, it->string);
        }
    }
    for (i = 0; i < keys.n; i++) {
        const cJSON *x = cJSON_IsObject(a) ? cJSON_GetObjectItemCaseSensitive(a, keys.v[i]) : NULL;
        const cJSON *y = cJSON_IsObject(b) ? cJSON_GetObjectItemCaseSensitive(b, keys.v[i]) : NULL;
        cleanup_free char *sx = NULL, *sy = NULL;
        if (x && y && cJSON_Compare(x, y, 1))
            continue;
        sx = diff_json(x);
        sy = diff_json(y);
        strvec_pushf(out, "config: %s%s: %s -> %s", prefix, keys.v[i], sx, sy);
    }
}

/* History: the entry count, every differing member but "created", and one line for "created". */
static void
diff_history(const cJSON *a, const cJSON *b, struct strvec *out)
{
    static const char *const skip_created[] = {"created", NULL};
    int na = cJSON_GetArraySize(a), nb = cJSON_GetArraySize(b), i, ncreated = 0, first = -1;

    if (na != nb)
        strvec_pushf(out, "config: history: %d %s -> %d %s", na, na == 1 ? "entry" : "entries", nb,
                     nb == 1 ? "entry" : "entries");
    for (i = 0; i < na && i < nb; i++) {
        const cJSON *x = cJSON_GetArrayItem(a, i), *y = cJSON_GetArrayItem(b, i);
        const cJSON *cx = cJSON_GetObjectItemCaseSensitive(x, "created");
        const cJSON *cy = cJSON_GetObjectItemCaseSensitive(y, "created");
        char prefix[48];

        snprintf(prefix, sizeof(prefix), "history[%d].", i);
        diff_members(x, y, prefix, skip_created, out);
        if (!(cx && cy && cJSON_Compare(cx, cy, 1))) {
            ncreated++;
            if (first < 0)
                first = i;
        }
    }
    if (ncreated) {
        const cJSON *cx = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(a, first), "created");
        const cJSON *cy = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(b, first), "created");
        cleanup_free char *sx = diff_json(cx), *sy = diff_json(cy);
        strvec_pushf(out,
                     "config: history created: differs in %d of %d entries (first: "
                     "history[%d] %s -> %s)",
                     ncreated, na < nb ? na : nb, first, sx, sy);
    }
}

static void
diff_config(const struct image *a, const struct image *b, struct strvec *out)
{
    static const char *const skip_top[] = {"config", "history", "rootfs", NULL};

    diff_members(cJSON_GetObjectItemCaseSensitive(a->config, "config"),
                 cJSON_GetObjectItemCaseSensitive(b->config, "config"), "", NULL, out);
    diff_members(a->config, b->config, "", skip_top, out);
    diff_history(cJSON_GetObjectItemCaseSensitive(a->config, "history"),
                 cJSON_GetObjectItemCaseSensitive(b->config, "history"), out);
}

/* ---- layers ------------------------------------------------------------- */

/* The created_by of the history entry that made layer i (entries with empty_layer skipped). */
static const char *
diff_step(const struct image *img, size_t i)
{
    const cJSON *h;
    size_t k = 0;

    cJSON_ArrayForEach(h, cJSON_GetObjectItemCaseSensitive(img->config, "history"))
    {
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(h, "empty_layer")))
            continue;
        if (k++ == i) {
            const cJSON *c = cJSON_GetObjectItemCaseSensitive(h, "created_by");
            return cJSON_IsString(c) ? c->valuestring : "";
        }
    }
    return "";
}

static void
diff_layers(const struct image *a, const struct image *b, struct strvec *out)
{
    size_t na = a->manifest.nlayers, nb = b->manifest.nlayers, i;

    for (i = 0; i < na || i < nb; i++) {
        const struct oci_descriptor *x = i < na ? &a->manifest.layers[i] : NULL;
        const struct oci_descriptor *y = i < nb ? &b->manifest.layers[i] : NULL;
        if (!y) {
            strvec_pushf(out, "layer %zu: only in the first image: diff_id sha256:%.12s (%s)",
                         i + 1, digest_hex(a->diff_ids.v[i]), diff_step(a, i));
        } else if (!x) {
            strvec_pushf(out, "layer %zu: only in the second image: diff_id sha256:%.12s (%s)",
                         i + 1, digest_hex(b->diff_ids.v[i]), diff_step(b, i));
        } else if (strcmp(a->diff_ids.v[i], b->diff_ids.v[i])) {
            strvec_pushf(out, "layer %zu: diff_id sha256:%.12s -> sha256:%.12s (%s)", i + 1,
                         digest_hex(a->diff_ids.v[i]), digest_hex(b->diff_ids.v[i]),
                         diff_step(b, i));
        } else if (strcmp(x->digest, y->digest)) {
            strvec_pushf(
                out, "layer %zu: same content, blob sha256:%.12s (%s) -> sha256:%.12s (%s)", i + 1,
                digest_hex(x->digest), x->media_type, digest_hex(y->digest), y->media_type);
        }
    }
}

/* ---- the command -------------------------------------------------------- */

int
imagediff_images(const struct store *s, const struct image *a, const struct image *b,
                 struct strvec *out, struct error *err)
{
    struct treediff_tree ta = TREEDIFF_TREE_INIT, tb = TREEDIFF_TREE_INIT;
    struct diff_layers cache = {0};
    int rc = 0;

    if (diff_tree(s, &cache, a, &ta, err) < 0 || diff_tree(s, &cache, b, &tb, err) < 0)
        rc = error_wrap(err, "diff");
    if (rc == 0) {
        treediff_compare(&ta, &tb, out);
        diff_config(a, b, out);
        diff_layers(a, b, out);
        if (!out->n) /* same files, config and layers, yet another manifest */
            strvec_pushf(out,
                         "manifest: sha256:%.12s -> sha256:%.12s (same files, config and "
                         "layers; the manifests differ, e.g. in annotations)",
                         digest_hex(a->digest), digest_hex(b->digest));
    }
    treediff_tree_release(&ta);
    treediff_tree_release(&tb);
    diff_layers_release(&cache);
    return rc;
}
