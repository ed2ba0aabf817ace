#include "store/index.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/core/buf.h"
#include "formats/core/fsutil.h"
#include "formats/core/mem.h"
#include "formats/json.h"
#include "formats/oci.h"
#include "formats/reference.h"
#include "formats/registries_conf.h"
#include "store/attest_index.h"
#include "store/blob.h"
#include "store/txn.h"

#include "formats/core/banned.h"

#define INDEX_MAX_BYTES (64u << 20)
#define INDEX_DOC_MAX (4u << 20)

void
index_release(struct index *idx)
{
    size_t i;

    for (i = 0; idx && i < idx->n; i++) {
        free(idx->entries[i].name);
        free(idx->entries[i].media_type);
    }
    if (idx) {
        free(idx->entries);
        idx->entries = NULL;
        idx->n = 0;
    }
}

static int
index_add_entry(const struct store *s, struct index *idx, const cJSON *m, struct error *err)
{
    const cJSON *ann = cJSON_GetObjectItemCaseSensitive(m, "annotations");
    const char *name = json_string(ann, INDEX_REF_ANNOTATION, 0, "index.json", err);
    const char *dg = json_string(m, "digest", 1, "index.json: manifests[]", err);
    const char *mt = dg ? json_string(m, "mediaType", 1, "index.json: manifests[]", err) : NULL;
    long long size = 0;
    struct index_entry *e;

    if (!dg || !mt || json_int(m, "size", 1, &size, "index.json: manifests[]", err) < 0)
        return -1;
    if (digest_validate(dg, err) < 0)
        return error_wrap(err, "index.json");
    if (!name)
        return 0;
    idx->entries = xrealloc(idx->entries, (idx->n + 1) * sizeof(*idx->entries));
    e = &idx->entries[idx->n++];
    e->name = xstrdup(name);
    memcpy(e->digest, dg, sizeof(e->digest));
    e->size = size;
    e->media_type = xstrdup(mt);
    e->index_digest[0] = '\0';
    e->index_size = 0;
    if (!strcmp(mt, OCI_MEDIA_INDEX)) {
        struct error ie;
        error_init(&ie);
        memcpy(e->index_digest, dg, sizeof(e->index_digest));
        e->index_size = size;
        if (attest_index_image(s, dg, e->digest, &e->size, &ie) < 0)
            memcpy(e->digest, dg, sizeof(e->digest)); /* damaged: fsck says why */
    }
    return 0;
}

int
index_load(const struct store *s, struct index *idx, struct error *err)
{
    cleanup_buf struct buf b = BUF_INIT;
    cleanup_cjson cJSON *j = NULL;
    const cJSON *ms, *m;

    idx->entries = NULL;
    idx->n = 0;
    if (fs_read_file_max(s->root_fd, "index.json", INDEX_MAX_BYTES, &b, err) < 0)
        return error_wrap(err, "store %s", s->root);
    j = json_parse(buf_cstr(&b), b.len, "index.json", err);
    ms = j ? json_array(j, "manifests", 1, "index.json", err) : NULL;
    if (!ms)
        return error_wrap(err, "store %s", s->root);
    cJSON_ArrayForEach(m, ms)
    {
        if (index_add_entry(s, idx, m, err) < 0) {
            index_release(idx);
            return error_wrap(err, "store %s", s->root);
        }
    }
    return 0;
}

const struct index_entry *
index_find(const struct index *idx, const char *name)
{
    size_t i;

    for (i = 0; i < idx->n; i++)
        if (!strcmp(idx->entries[i].name, name))
            return &idx->entries[i];
    return NULL;
}

char *
index_normalize(const char *name, struct error *err)
{
    return reference_normalize(name, NULL, err);
}

char *
index_identity(const char *name)
{
    struct error e;
    struct reference r;
    char *out;

    error_init(&e);
    if (reference_parse(name, &r, &e) < 0)
        return NULL;
    reference_qualify(&r, REFERENCE_LOCAL);
    reference_default_tag(&r);
    out = reference_format(&r);
    reference_release(&r);
    return out;
}

/*
 * Where a short name is looked for, as podman's local lookup does it
 * (containers/image pkg/shortnames, ResolveLocally): localhost/NAME, the
 * alias of NAME, then NAME under each unqualified-search-registries entry
 * (docker.io when there is none).
 */
static int
index_candidates(const struct reference *r, struct strvec *out, struct error *err)
{
    struct registries_conf conf;
    cleanup_strvec struct strvec search = STRVEC_INIT;
    struct reference c;
    const char *alias;
    size_t i;

    if (registries_conf_load(&conf, err) < 0) {
        registries_conf_release(&conf);
        return -1;
    }
    alias = registries_conf_alias(&conf, r->path);
    if (alias) {
        struct error e;
        error_init(&e);
        if (reference_parse(alias, &c, &e) == 0) {
            free(c.tag);
            c.tag = r->tag ? xstrdup(r->tag) : NULL;
            memcpy(c.digest, r->digest, sizeof(c.digest));
            reference_default_tag(&c);
            strvec_push_owned(out, reference_format(&c));
            reference_release(&c);
        }
    }
    registries_conf_search(&conf, &search);
    for (i = 0; i < search.n; i++) {
        reference_copy(&c, r);
        reference_qualify(&c, search.v[i]);
        reference_default_tag(&c);
        strvec_push_owned(out, reference_format(&c));
        reference_release(&c);
    }
    registries_conf_release(&conf);
    return 0;
}

/* The entry whose name, read as a reference, is the same as want (a full name). */
static const struct index_entry *
index_find_identity(const struct index *idx, const char *want)
{
    size_t i;

    for (i = 0; i < idx->n; i++) {
        cleanup_free char *id = index_identity(idx->entries[i].name);
        if (id && !strcmp(id, want))
            return &idx->entries[i];
    }
    return NULL;
}

int
index_lookup(const struct index *idx, const char *name, const struct index_entry **out,
             struct error *err)
{
    cleanup_strvec struct strvec cands = STRVEC_INIT;
    cleanup_free char *id = NULL;
    const struct index_entry *e;
    struct reference r;
    size_t i;

    /* a name stored before names were checked is found as it was written */
    if ((e = index_find(idx, name))) {
        *out = e;
        return 0;
    }
    if (reference_parse(name, &r, err) < 0)
        return -1;
    reference_default_tag(&r);
    id = index_identity(name);
    e = id ? index_find_identity(idx, id) : NULL;
    if (!e && !r.domain && index_candidates(&r, &cands, err) < 0) {
        reference_release(&r);
        return -1;
    }
    reference_release(&r);
    for (i = 0; !e && i < cands.n; i++)
        e = index_find_identity(idx, cands.v[i]);
    if (!e)
        return 1;
    *out = e;
    return 0;
}

/*
 * An index of one image (and its attestations: BuildKit marks them with
 * vnd.docker.reference.type) has that image's ID; an index of several
 * platforms' images is one image of its own, whose ID is its digest.
 */
static int
index_id_of_index(const struct store *s, const char *digest, const cJSON *j,
                  char out[DIGEST_STR_LEN + 1], struct error *err)
{
    const cJSON *m, *one = NULL;
    size_t images = 0;

    cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(j, "manifests"))
    {
        const cJSON *ann = cJSON_GetObjectItemCaseSensitive(m, "annotations");
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(ann, "vnd.docker.reference.type");
        if (cJSON_IsString(t) && !strcmp(t->valuestring, "attestation-manifest"))
            continue;
        images++;
        one = m;
    }
    if (images == 1) {
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(one, "digest");
        struct error e;
        error_init(&e);
        if (cJSON_IsString(d) && digest_validate(d->valuestring, &e) == 0 &&
            strcmp(d->valuestring, digest) && blob_exists(s, d->valuestring))
            return index_image_id(s, d->valuestring, out, err);
    }
    memcpy(out, digest, DIGEST_STR_LEN + 1);
    return 0;
}

int
index_image_id(const struct store *s, const char *digest, char out[DIGEST_STR_LEN + 1],
               struct error *err)
{
    cleanup_buf struct buf b = BUF_INIT;
    cleanup_cjson cJSON *j = NULL;
    const char *mt, *cfg;
    char what[DIGEST_STR_LEN + 16];

    snprintf(what, sizeof(what), "manifest %s", digest);
    if (blob_read(s, digest, INDEX_DOC_MAX, &b, err) < 0 ||
        !(j = json_parse(buf_cstr(&b), b.len, what, err)))
        return -1;
    mt = json_string(j, "mediaType", 0, what, err);
    if (mt && (!strcmp(mt, OCI_MEDIA_INDEX) || !strcmp(mt, DOCKER_MEDIA_LIST)))
        return index_id_of_index(s, digest, j, out, err);
    cfg = json_string(json_object(j, "config", 1, what, err), "digest", 1, what, err);
    if (!cfg || digest_validate(cfg, err) < 0)
        return error_wrap(err, "%s: config", what);
    memcpy(out, cfg, DIGEST_STR_LEN + 1);
    return 0;
}

/*
 * name (hex, or "sha256:" hex, at least 4 digits) as a prefix of the image
 * ID of an entry (the ID of what its name points at); out gets the entry's
 * image manifest, or with top what the name points at.
 */
static int
index_by_id(const struct store *s, const struct index *idx, const char *name, int top,
            char out[DIGEST_STR_LEN + 1])
{
    const char *hex = digest_hex(name);
    size_t i, len = strlen(hex), hits = 0;

    if (len < 4 || strspn(hex, "0123456789abcdef") != len)
        return 1;
    for (i = 0; i < idx->n; i++) {
        const struct index_entry *e = &idx->entries[i];
        const char *t = e->index_digest[0] ? e->index_digest : e->digest;
        const char *want = top ? t : e->digest;
        char id[DIGEST_STR_LEN + 1];
        struct error ie;
        error_init(&ie);
        if (index_image_id(s, t, id, &ie) < 0 || strncmp(digest_hex(id), hex, len))
            continue;
        if (hits && strcmp(out, want))
            return 1; /* ambiguous prefix */
        memcpy(out, want, DIGEST_STR_LEN + 1);
        hits++;
    }
    return hits ? 0 : 1;
}

static int
index_by_digest(const struct index *idx, const char *name, char out[DIGEST_STR_LEN + 1])
{
    size_t i, len = strlen(name), hits = 0;
    const char *hex = digest_hex(name);

    if (!strncmp(name, "sha256:", 7))
        len -= 7;
    if (len < 4)
        return 1;
    for (i = 0; i < idx->n; i++) {
        if (!strncmp(digest_hex(idx->entries[i].digest), hex, len) ||
            (idx->entries[i].index_digest[0] &&
             !strncmp(digest_hex(idx->entries[i].index_digest), hex, len))) {
            if (hits && strcmp(out, idx->entries[i].digest))
                return 1; /* ambiguous prefix */
            memcpy(out, idx->entries[i].digest, DIGEST_STR_LEN + 1);
            hits++;
        }
    }
    return hits ? 0 : 1;
}

/* A digest or prefix of an entry's own target (the index when it points at one). */
static int
index_top_by_digest(const struct index *idx, const char *name, char out[DIGEST_STR_LEN + 1])
{
    size_t i, len = strlen(name), hits = 0;
    const char *hex = digest_hex(name);

    if (!strncmp(name, "sha256:", 7))
        len -= 7;
    if (len < 4)
        return 1;
    for (i = 0; i < idx->n; i++) {
        const struct index_entry *e = &idx->entries[i];
        const char *top = e->index_digest[0] ? e->index_digest : e->digest;
        const char *d = !strncmp(digest_hex(top), hex, len)         ? top
                        : !strncmp(digest_hex(e->digest), hex, len) ? e->digest
                                                                    : NULL;
        if (!d)
            continue;
        if (hits && strcmp(out, d))
            return 1; /* ambiguous prefix */
        memcpy(out, d, DIGEST_STR_LEN + 1);
        hits++;
    }
    return hits ? 0 : 1;
}

/*
 * index_resolve and index_resolve_top: a name, else a digest (or a unique
 * prefix of one), else an image ID; with top, what the name or digest
 * points at when that is an image index, else the image itself.
 */
static int
index_resolve_as(const struct store *s, const char *name, int top, char out[DIGEST_STR_LEN + 1],
                 struct error *err)
{
    struct index idx;
    const struct index_entry *e = NULL;
    struct error perr;
    int rc;

    if (!*name)
        return error_input(err, "invalid image reference \"\": empty");
    if (index_load(s, &idx, err) < 0)
        return -1;
    error_init(&perr);
    rc = index_lookup(&idx, name, &e, &perr);
    if (rc == 0)
        memcpy(out, top && e->index_digest[0] ? e->index_digest : e->digest, DIGEST_STR_LEN + 1);
    else if (rc == 1 || perr.exit_code == 2)
        rc = top ? index_top_by_digest(&idx, name, out) : index_by_digest(&idx, name, out);
    if (rc == 1 && (perr.exit_code == 2 || !strncmp(name, "sha256:", 7) || !perr.msg[0]))
        rc = index_by_id(s, &idx, name, top, out); /* docker's and podman's image ID */
    index_release(&idx);
    if (rc == 1 && perr.msg[0]) {
        /* neither a name nor a digest: say why the name is not one */
        *err = perr;
        return -1;
    }
    return rc;
}

int
index_resolve_top(const struct store *s, const char *name, char out[DIGEST_STR_LEN + 1],
                  struct error *err)
{
    return index_resolve_as(s, name, 1, out, err);
}

int
index_resolve(const struct store *s, const char *name, char out[DIGEST_STR_LEN + 1],
              struct error *err)
{
    return index_resolve_as(s, name, 0, out, err);
}

/* Rewrites index.json with fn applied to the manifests array; fn returns 1 for "changed". */
static int
index_update(struct store *s, int (*fn)(cJSON *ms, void *arg), void *arg, struct error *err)
{
    cleanup_buf struct buf b = BUF_INIT;
    cleanup_cjson cJSON *j = NULL;
    cleanup_free char *out = NULL;
    cJSON *ms;
    int lock = store_lock_index(s, err);
    int rc = -1, changed;

    if (lock < 0)
        return -1;
    if (fs_read_file_max(s->root_fd, "index.json", INDEX_MAX_BYTES, &b, err) < 0)
        goto unlock;
    j = json_parse(buf_cstr(&b), b.len, "index.json", err);
    ms = j ? cJSON_GetObjectItemCaseSensitive(j, "manifests") : NULL;
    if (!cJSON_IsArray(ms)) {
        if (j)
            error_input(err, "index.json: \"manifests\": expected an array");
        goto unlock;
    }
    changed = fn(ms, arg);
    rc = changed;
    if (changed == 1) {
        out = cJSON_PrintUnformatted(j);
        txn_crash_point("index-before-write");
        if (store_write_file(s, "index.json", out, strlen(out), err) < 0)
            rc = -1;
    }
unlock:
    store_unlock_index(lock);
    if (rc < 0)
        error_wrap(err, "store %s", s->root);
    return rc;
}

struct index_set_arg {
    const char *name, *digest;
    long long size;
    int removed;
    const char *media_type;
};

static cJSON *
index_find_json(cJSON *ms, const char *name)
{
    cJSON *m;

    cJSON_ArrayForEach(m, ms)
    {
        cJSON *ann = cJSON_GetObjectItemCaseSensitive(m, "annotations");
        cJSON *r = cJSON_GetObjectItemCaseSensitive(ann, INDEX_REF_ANNOTATION);
        if (cJSON_IsString(r) && !strcmp(r->valuestring, name))
            return m;
    }
    return NULL;
}

/* Drops the entries that spell the same name differently ("x:1" and "localhost/x:1"). */
static int
index_drop_same(cJSON *ms, const char *name)
{
    cleanup_free char *want = index_identity(name);
    cJSON *m, *next;
    int changed = 0;

    for (m = ms->child; want && m; m = next) {
        cJSON *ann = cJSON_GetObjectItemCaseSensitive(m, "annotations");
        cJSON *r = cJSON_GetObjectItemCaseSensitive(ann, INDEX_REF_ANNOTATION);
        cleanup_free char *id = NULL;
        next = m->next;
        if (!cJSON_IsString(r) || !strcmp(r->valuestring, name))
            continue;
        id = index_identity(r->valuestring);
        if (id && !strcmp(id, want)) {
            cJSON_DetachItemViaPointer(ms, m);
            cJSON_Delete(m);
            changed = 1;
        }
    }
    return changed;
}

static int
index_set_fn(cJSON *ms, void *arg)
{
    struct index_set_arg *a = arg;
    int dropped = index_drop_same(ms, a->name);
    cJSON *m = index_find_json(ms, a->name);
    cJSON *ann;

    if (m) {
        cJSON *d = cJSON_GetObjectItemCaseSensitive(m, "digest");
        if (cJSON_IsString(d) && !strcmp(d->valuestring, a->digest))
            return dropped;
        cJSON_DetachItemViaPointer(ms, m);
        cJSON_Delete(m);
    }
    m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "mediaType", a->media_type ? a->media_type : OCI_MEDIA_MANIFEST);
    cJSON_AddStringToObject(m, "digest", a->digest);
    cJSON_AddNumberToObject(m, "size", (double)a->size);
    ann = json_add_object(m, "annotations");
    cJSON_AddStringToObject(ann, INDEX_REF_ANNOTATION, a->name);
    cJSON_AddItemToArray(ms, m);
    return 1;
}

/* The mediaType a manifest blob declares (a Docker schema 2 manifest keeps its own). */
static char *
index_media_type(const struct store *s, const char *digest)
{
    cleanup_buf struct buf b = BUF_INIT;
    cleanup_cjson cJSON *j = NULL;
    const cJSON *mt;
    struct error e;

    error_init(&e);
    if (blob_read(s, digest, 4u << 20, &b, &e) < 0)
        return NULL;
    j = json_parse(buf_cstr(&b), b.len, digest, &e);
    mt = cJSON_GetObjectItemCaseSensitive(j, "mediaType");
    return cJSON_IsString(mt) ? xstrdup(mt->valuestring) : NULL;
}

int
index_set(struct store *s, const char *name, const char *digest, long long size, struct error *err)
{
    cleanup_free char *norm = index_normalize(name, err);
    cleanup_free char *mt = NULL;
    struct index_set_arg a = {norm, digest, size, 0, NULL};

    if (!norm)
        return -1;
    mt = index_media_type(s, digest);
    a.media_type = mt;
    return index_update(s, index_set_fn, &a, err) < 0 ? -1 : 0;
}

static int
index_remove_fn(cJSON *ms, void *arg)
{
    struct index_set_arg *a = arg;
    cJSON *m = index_find_json(ms, a->name);

    if (!m)
        return 0;
    cJSON_DetachItemViaPointer(ms, m);
    cJSON_Delete(m);
    a->removed = 1;
    return 1;
}

int
index_remove(struct store *s, const char *name, struct error *err)
{
    struct index idx;
    const struct index_entry *e = NULL;
    struct index_set_arg a = {NULL, NULL, 0, 0, NULL};
    cleanup_free char *stored = NULL;
    int rc;

    if (index_load(s, &idx, err) < 0)
        return -1;
    rc = index_lookup(&idx, name, &e, err);
    if (rc == 0)
        stored = xstrdup(e->name);
    index_release(&idx);
    if (rc != 0)
        return rc;
    a.name = stored;
    if (index_update(s, index_remove_fn, &a, err) < 0)
        return -1;
    return a.removed ? 0 : 1;
}
