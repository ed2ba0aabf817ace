#include "store/remote.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "formats/archive_io.h"
#include "formats/core/fsutil.h"
#include "formats/core/log.h"
#include "formats/core/mem.h"
#include "formats/json.h"
#include "formats/limits.h"
#include "formats/oci.h"
#include "formats/oci_archive.h"
#include "formats/reference.h"
#include "formats/registries_conf.h"
#include "formats/intoto.h"
#include "store/attest.h"
#include "store/attest_index.h"
#include "store/blob.h"
#include "store/diffid.h"
#include "store/image.h"
#include "store/index.h"

#include "formats/core/banned.h"

#define REMOTE_RECORD "registry.json"
#define REMOTE_RECORD_MAX (16u << 20)
#define REMOTE_RECORD_PER_BLOB 8
#define REMOTE_CONFIG_MAX (8u << 20)

static void
remote_progress(const struct registry_opts *o, const char *verb, const char *digest, long long size,
                const char *extra)
{
    char line[512], sz[32];

    if (!o->progress)
        return;
    log_human_size(size, sz, sizeof(sz));
    snprintf(line, sizeof(line), "%-7s %.19s… %.31s%.200s", verb, digest, sz, extra ? extra : "");
    o->progress(o->progress_opaque, line);
}

/* "pulled  sha256:ab12… 12.3MB in 1.2 s (10.1MB/s)": one line per layer, when it is in. */
static void
remote_progress_rate(const struct registry_opts *o, const struct oci_descriptor *d, double ms)
{
    char extra[96], rate[32];

    if (!o->progress)
        return;
    if (ms < 1)
        ms = 1;
    log_human_size((long long)((double)d->size * 1000.0 / ms), rate, sizeof(rate));
    snprintf(extra, sizeof(extra), " in %.1f s (%s/s)", ms / 1000.0, rate);
    remote_progress(o, "pulled", d->digest, d->size, extra);
}

/* ---- STORE/registry.json ---- */

static cJSON *
remote_record_load(const struct store *s)
{
    cleanup_buf struct buf b = BUF_INIT;
    struct error err;
    cJSON *j;

    error_init(&err);
    if (!fs_exists(s->root_fd, REMOTE_RECORD) ||
        fs_read_file_max(s->root_fd, REMOTE_RECORD, REMOTE_RECORD_MAX, &b, &err) < 0)
        return cJSON_CreateObject();
    j = json_parse(buf_cstr(&b), b.len, REMOTE_RECORD, &err);
    if (!j || !cJSON_IsObject(j)) {
        log_warn("%s: unreadable, starting a new one", REMOTE_RECORD);
        if (j)
            cJSON_Delete(j);
        return cJSON_CreateObject();
    }
    return j;
}

static void
remote_record_add(cJSON *rec, const char *digest, const char *where)
{
    cJSON *a = cJSON_GetObjectItemCaseSensitive(rec, digest);
    cJSON *e;

    if (!cJSON_IsArray(a)) {
        cJSON_DeleteItemFromObjectCaseSensitive(rec, digest);
        a = json_add_array(rec, digest);
    }
    cJSON_ArrayForEach(e, a)
    {
        if (cJSON_IsString(e) && !strcmp(e->valuestring, where))
            return;
    }
    /* newest first, a few per blob */
    cJSON_InsertItemInArray(a, 0, cJSON_CreateString(where));
    while (cJSON_GetArraySize(a) > REMOTE_RECORD_PER_BLOB)
        cJSON_DeleteItemFromArray(a, REMOTE_RECORD_PER_BLOB);
}

/* Merges "digest -> where" for every digest of added into the file, under the index lock. */
static int
remote_record_save(struct store *s, const struct strvec *added, const char *where,
                   struct error *err)
{
    int lock = store_lock_index(s, err);
    cleanup_cjson cJSON *rec = NULL;
    cleanup_free char *text = NULL;
    size_t i;
    int rc;

    if (lock < 0)
        return -1;
    rec = remote_record_load(s);
    for (i = 0; i < added->n; i++)
        remote_record_add(rec, added->v[i], where);
    text = json_print(rec);
    rc = store_write_file(s, REMOTE_RECORD, text, strlen(text), err);
    store_unlock_index(lock);
    return rc;
}

/* A repository of host (not repo itself) where the record says digest is. */
static const char *
remote_record_other(const cJSON *rec, const char *digest, const char *host, const char *repo)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(rec, digest), *e;
    size_t hl = strlen(host);

    cJSON_ArrayForEach(e, a)
    {
        const char *w = cJSON_IsString(e) ? e->valuestring : "";
        if (!strncmp(w, host, hl) && w[hl] == '/' && strcmp(w + hl + 1, repo) != 0)
            return w + hl + 1;
    }
    return NULL;
}

/* ---- push ---- */

static int
remote_push_blob(struct store *s, struct registry_client *c, const cJSON *rec,
                 const struct registry_ref *r, const char *digest, const struct registry_opts *o,
                 struct error *err)
{
    const char *from = remote_record_other(rec, digest, r->host, r->repo);
    long long size = blob_size(s, digest);
    cleanup_close int fd = -1;
    int rc = registry_blob_exists(c, digest, err);

    if (rc < 0)
        return -1;
    if (rc == 1) {
        remote_progress(o, "exists", digest, size, NULL);
        return 0;
    }
    if (from) {
        rc = registry_blob_mount(c, digest, from, err);
        if (rc < 0)
            return -1;
        if (rc == 1) {
            char extra[300];
            snprintf(extra, sizeof(extra), " from %.200s", from);
            remote_progress(o, "mounted", digest, size, extra);
            return 0;
        }
    }
    fd = blob_open(s, digest, err);
    if (fd < 0)
        return -1;
    remote_progress(o, "pushing", digest, size, NULL);
    return registry_blob_push(c, digest, fd, size, err);
}

/* A manifest of the store, byte for byte, to ref (a tag or its digest). */
static int
remote_push_manifest(struct store *s, struct registry_client *c, const char *digest,
                     const char *ref, const char *media_type, struct error *err)
{
    cleanup_buf struct buf b = BUF_INIT;

    if (blob_read(s, digest, REGISTRY_MANIFEST_MAX, &b, err) < 0)
        return -1;
    return registry_manifest_push(c, ref ? ref : digest, media_type, b.data, b.len, err);
}

/* The blobs a manifest lists (config and layers, whatever their media types). */
static int
remote_manifest_blobs(const struct buf *man, const char *digest, struct strvec *blobs,
                      char **media_type, struct error *err)
{
    cleanup_cjson cJSON *j = json_parse(buf_cstr(man), man->len, digest, err);
    const cJSON *cfg, *layers, *l, *mt;

    if (!j)
        return -1;
    cfg = cJSON_GetObjectItemCaseSensitive(j, "config");
    layers = cJSON_GetObjectItemCaseSensitive(j, "layers");
    cJSON_ArrayForEach(l, layers)
    {
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(l, "digest");
        if (!cJSON_IsString(d) || digest_validate(d->valuestring, err) < 0)
            return error_wrap(err, "manifest %s: layers", digest);
        strvec_push(blobs, d->valuestring);
    }
    l = cJSON_GetObjectItemCaseSensitive(cfg, "digest");
    if (!cJSON_IsString(l) || digest_validate(l->valuestring, err) < 0)
        return error_wrap(err, "manifest %s: config", digest);
    strvec_push(blobs, l->valuestring);
    mt = cJSON_GetObjectItemCaseSensitive(j, "mediaType");
    *media_type = xstrdup(cJSON_IsString(mt) ? mt->valuestring : OCI_MEDIA_MANIFEST);
    return 0;
}

/* Pushes manifest digest of the store with its blobs, as ref (a tag, or NULL: its digest). */
static int
remote_push_with_blobs(struct store *s, struct registry_client *c, const cJSON *rec,
                       const struct registry_ref *r, const char *digest, const char *ref,
                       const struct registry_opts *o, struct strvec *sent, struct error *err)
{
    cleanup_buf struct buf man = BUF_INIT;
    cleanup_strvec struct strvec blobs = STRVEC_INIT;
    cleanup_free char *mt = NULL;
    size_t i;

    if (blob_read(s, digest, REGISTRY_MANIFEST_MAX, &man, err) < 0 ||
        remote_manifest_blobs(&man, digest, &blobs, &mt, err) < 0)
        return -1;
    for (i = 0; i < blobs.n; i++) {
        if (remote_push_blob(s, c, rec, r, blobs.v[i], o, err) < 0)
            return -1;
        strvec_push(sent, blobs.v[i]);
    }
    return registry_manifest_push(c, ref ? ref : digest, mt, man.data, man.len, err);
}

/*
 * An image index (several platforms' images, attestation manifests beside
 * them): every manifest it lists with its blobs, by digest, then the index
 * byte for byte under the tag, as BuildKit pushes it. An index a pull left
 * partial cannot be pushed: the registry would hold an index of manifests
 * it does not have.
 */
static int
remote_push_index(struct store *s, struct registry_client *c, const cJSON *rec,
                  const struct registry_ref *r, const char *image, const char *digest,
                  const char *ref, const struct registry_opts *o, struct strvec *sent,
                  struct error *err)
{
    struct oci_archive_index idx;
    size_t i;
    int rc = -1;

    if (image_index_load(s, digest, &idx, err) < 0)
        return -1;
    for (i = 0; i < idx.n; i++) {
        const struct oci_archive_entry *e = &idx.entries[i];
        if (!blob_exists(s, e->desc.digest)) {
            error_input(err,
                        "push: %s lists manifest %s, which is not in the store (a pull fetches "
                        "one platform: strata pull --all-platforms)",
                        image, e->desc.digest);
            goto out;
        }
        if (oci_archive_entry_is_index(e)) {
            error_input(err, "push: %s: nested image indexes are not supported", image);
            goto out;
        }
        if (remote_push_with_blobs(s, c, rec, r, e->desc.digest, NULL, o, sent, err) < 0)
            goto out;
    }
    rc = remote_push_manifest(s, c, digest, ref, idx.media_type ? idx.media_type : OCI_MEDIA_INDEX,
                              err);
out:
    oci_archive_index_release(&idx);
    return rc;
}

#define REMOTE_EMPTY_DIGEST                                                                        \
    "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
#define REMOTE_EMPTY_MEDIA "application/vnd.oci.empty.v1+json"

/*
 * image-spec manifest.md "Guidelines for Artifact Usage": an artifact
 * manifest with the empty config, the statement as its layer and the image
 * manifest as its subject. Returns its descriptor (for a fallback index).
 */
static cJSON *
remote_referrer(struct store *s, struct registry_client *c, const struct attest_index *ai,
                const char *blob, const char *ptype, struct error *err)
{
    cleanup_cjson cJSON *m = cJSON_CreateObject();
    cleanup_free char *text = NULL;
    cJSON *d, *l, *subj, *desc;
    char dg[DIGEST_STR_LEN + 1];

    cJSON_AddNumberToObject(m, "schemaVersion", 2);
    cJSON_AddStringToObject(m, "mediaType", OCI_MEDIA_MANIFEST);
    cJSON_AddStringToObject(m, "artifactType", INTOTO_MEDIA_TYPE);
    d = json_add_object(m, "config");
    cJSON_AddStringToObject(d, "mediaType", REMOTE_EMPTY_MEDIA);
    cJSON_AddStringToObject(d, "digest", REMOTE_EMPTY_DIGEST);
    cJSON_AddNumberToObject(d, "size", 2);
    l = cJSON_CreateObject();
    cJSON_AddStringToObject(l, "mediaType", INTOTO_MEDIA_TYPE);
    cJSON_AddStringToObject(l, "digest", blob);
    cJSON_AddNumberToObject(l, "size", (double)blob_size(s, blob));
    cJSON_AddStringToObject(json_add_object(l, "annotations"), INTOTO_PREDICATE_ANNOTATION, ptype);
    cJSON_AddItemToArray(json_add_array(m, "layers"), l);
    subj = json_add_object(m, "subject");
    cJSON_AddStringToObject(subj, "mediaType", OCI_MEDIA_MANIFEST);
    cJSON_AddStringToObject(subj, "digest", ai->image);
    cJSON_AddNumberToObject(subj, "size", (double)ai->image_size);
    cJSON_AddStringToObject(json_add_object(m, "annotations"), INTOTO_PREDICATE_ANNOTATION, ptype);
    text = json_print(m);
    digest_bytes(text, strlen(text), dg);
    if (registry_manifest_push(c, dg, OCI_MEDIA_MANIFEST, text, strlen(text), err) < 0)
        return NULL;
    desc = cJSON_CreateObject();
    cJSON_AddStringToObject(desc, "mediaType", OCI_MEDIA_MANIFEST);
    cJSON_AddStringToObject(desc, "digest", dg);
    cJSON_AddNumberToObject(desc, "size", (double)strlen(text));
    cJSON_AddStringToObject(desc, "artifactType", INTOTO_MEDIA_TYPE);
    cJSON_AddStringToObject(json_add_object(desc, "annotations"), INTOTO_PREDICATE_ANNOTATION,
                            ptype);
    return desc;
}

/*
 * distribution-spec "Referrers Tag Schema": without the referrers API the
 * referrers are listed in an image index tagged sha256-<hex of the subject>,
 * merged with what that tag already lists.
 */
static int
remote_referrers_fallback(struct registry_client *c, const char *subject, cJSON *descs,
                          struct error *err)
{
    cleanup_buf struct buf old = BUF_INIT;
    cleanup_cjson cJSON *idx = NULL;
    cleanup_free char *mt = NULL, *tag = xasprintf("sha256-%s", digest_hex(subject));
    cleanup_free char *text = NULL;
    char dg[DIGEST_STR_LEN + 1];
    struct error e;
    cJSON *ms, *d;

    error_init(&e);
    if (registry_manifest_fetch(c, tag, &old, &mt, dg, &e) == 0)
        idx = cJSON_ParseWithLength(buf_cstr(&old), old.len);
    else if (e.kind != ERROR_NOT_FOUND)
        return *err = e, -1;
    ms = idx ? cJSON_GetObjectItemCaseSensitive(idx, "manifests") : NULL;
    if (!cJSON_IsArray(ms)) {
        cJSON_Delete(idx);
        idx = cJSON_CreateObject();
        cJSON_AddNumberToObject(idx, "schemaVersion", 2);
        cJSON_AddStringToObject(idx, "mediaType", OCI_MEDIA_INDEX);
        ms = json_add_array(idx, "manifests");
    }
    while ((d = cJSON_DetachItemFromArray(descs, 0))) {
        const cJSON *e2;
        const char *want = cJSON_GetObjectItemCaseSensitive(d, "digest")->valuestring;
        int dup = 0;
        cJSON_ArrayForEach(e2, ms)
        {
            const cJSON *x = cJSON_GetObjectItemCaseSensitive(e2, "digest");
            dup |= cJSON_IsString(x) && !strcmp(x->valuestring, want);
        }
        if (dup)
            cJSON_Delete(d);
        else
            cJSON_AddItemToArray(ms, d);
    }
    text = json_print(idx);
    return registry_manifest_push(c, tag, OCI_MEDIA_INDEX, text, strlen(text), err);
}

/* OCI 1.1: the image under the tag, each statement as a referrer of it. */
static int
remote_push_referrers(struct store *s, struct registry_client *c, const cJSON *rec,
                      const struct registry_ref *r, const struct attest_index *ai, const char *tag,
                      const struct registry_opts *o, struct strvec *sent, struct error *err)
{
    cleanup_cjson cJSON *descs = cJSON_CreateArray();
    cleanup_buf struct buf api = BUF_INIT;
    char empty[DIGEST_STR_LEN + 1];
    size_t i, k;
    int rc;

    if (remote_push_manifest(s, c, ai->image, tag, OCI_MEDIA_MANIFEST, err) < 0 ||
        blob_put(s, "{}", 2, empty, err) < 0 || remote_push_blob(s, c, rec, r, empty, o, err) < 0)
        return -1;
    for (i = 0; i < ai->n; i++) {
        const struct attest_index_manifest *m = &ai->m[i];
        for (k = 0; m->ref[0] && k < m->predicate_types.n; k++) {
            cJSON *d;
            if (remote_push_blob(s, c, rec, r, m->blobs.v[k], o, err) < 0)
                return -1;
            strvec_push(sent, m->blobs.v[k]);
            if (!(d = remote_referrer(s, c, ai, m->blobs.v[k], m->predicate_types.v[k], err)))
                return -1;
            cJSON_AddItemToArray(descs, d);
        }
    }
    rc = registry_referrers_fetch(c, ai->image, &api, err);
    if (rc < 0)
        return -1;
    return rc == 1 ? remote_referrers_fallback(c, ai->image, descs, err) : 0;
}

int
remote_push(struct store *s, const char *image, const char *dest, const struct registry_opts *o,
            char out_digest[DIGEST_STR_LEN + 1], struct error *err)
{
    struct attest_index ai;
    struct registry_ref r;
    struct registry_client *c = NULL;
    cleanup_cjson cJSON *rec = NULL;
    cleanup_strvec struct strvec sent = STRVEC_INIT;
    cleanup_free char *where = NULL;
    char digest[DIGEST_STR_LEN + 1], pushed[DIGEST_STR_LEN + 1];
    const char *ref;
    int rc, is_index;

    if (registry_ref_parse(dest, &r, err) < 0)
        return -1;
    rc = index_resolve_top(s, image, digest, err);
    if (rc != 0) {
        registry_ref_release(&r);
        return rc < 0 ? -1 : error_input(err, "push: no such image \"%s\"", image);
    }
    rc = -1;
    memcpy(pushed, digest, sizeof(pushed));
    ref = r.digest[0] && !r.tag ? digest : r.tag;
    if ((is_index = image_is_index(s, digest, err)) < 0 ||
        !(c = registry_client_new(r.host, r.repo, o, 1, err)))
        goto out;
    rec = remote_record_load(s);
    if (!is_index) {
        if (remote_push_with_blobs(s, c, rec, &r, digest, ref, o, &sent, err) < 0)
            goto out;
    } else {
        /* an image with attestations may go as OCI 1.1 referrers (--attest-format) */
        if (attest_index_load(s, digest, &ai, err) < 0)
            goto out;
        if (ai.referrers) {
            memcpy(pushed, ai.image, sizeof(pushed));
            rc = remote_push_with_blobs(s, c, rec, &r, ai.image, NULL, o, &sent, err);
            if (rc == 0)
                rc = remote_push_referrers(s, c, rec, &r, &ai, r.tag, o, &sent, err);
        } else {
            rc = remote_push_index(s, c, rec, &r, image, digest, ref, o, &sent, err);
        }
        attest_index_release(&ai);
        if (rc < 0)
            goto out;
        rc = -1;
    }
    where = xasprintf("%s/%s", r.host, r.repo);
    if (remote_record_save(s, &sent, where, err) < 0)
        goto out;
    memcpy(out_digest, pushed, sizeof(pushed));
    rc = 0;
out:
    registry_client_free(c);
    registry_ref_release(&r);
    return rc;
}

/* ---- pull ---- */

/* Fetches a blob into a staging file, checking digest and size; returns the writer. */
static int
remote_stage(struct store *s, struct registry_client *c, const struct oci_descriptor *d,
             struct blob_writer *w, struct error *err)
{
    if (blob_writer_open(s, w, err) < 0)
        return -1;
    if (registry_blob_fetch(c, d->digest, d->size, w->fd, err) < 0) {
        blob_writer_abort(w);
        return -1;
    }
    return 0;
}

static int
remote_pull_layer(struct store *s, struct registry_client *c, const struct oci_descriptor *d,
                  const char *diff_id, const struct registry_opts *o, struct error *err)
{
    struct blob_writer w = {NULL, NULL, -1};
    cleanup_close int fd = -1;
    char got[DIGEST_STR_LEN + 1], what[128];

    double t0 = log_now_ms();

    if (blob_exists(s, d->digest)) {
        /* a manifest may name a stored blob with another layer's diff_id: check the pair */
        if (diffid_verify(s, d->digest, diff_id, err) < 0)
            return -1;
        remote_progress(o, "exists", d->digest, d->size, NULL);
        return 0;
    }
    if (remote_stage(s, c, d, &w, err) < 0)
        return -1;
    remote_progress_rate(o, d, log_now_ms() - t0);
    snprintf(what, sizeof(what), "layer %s", d->digest);
    fd = open(w.tmp, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        error_set(err, errno, "%s: reopen", what);
        blob_writer_abort(&w);
        return -1;
    }
    if (archive_io_diff_id(fd, what, got, NULL, err) < 0) {
        blob_writer_abort(&w);
        return -1;
    }
    if (strcmp(got, diff_id) != 0) {
        blob_writer_abort(&w);
        return error_set(err, 0, "%s: uncompressed content hashes to %s, config says %s", what, got,
                         diff_id);
    }
    if (blob_writer_commit(&w, d->digest, err) < 0)
        return -1;
    return diffid_record(s, d->digest, diff_id, err);
}

/* Reads the config (from the store or the registry), checks it, commits it. */
static cJSON *
remote_pull_config(struct store *s, struct registry_client *c, const struct oci_manifest *m,
                   const struct registry_opts *o, struct error *err)
{
    cleanup_buf struct buf b = BUF_INIT;
    struct blob_writer w = {NULL, NULL, -1};
    char what[128];
    cJSON *cfg;

    snprintf(what, sizeof(what), "config %s", m->config.digest);
    if (m->config.size < 0 || m->config.size > (long long)REMOTE_CONFIG_MAX) {
        error_set(err, 0, "%s: size %lld is over the limit", what, m->config.size);
        return NULL;
    }
    if (!blob_exists(s, m->config.digest)) {
        remote_progress(o, "pulling", m->config.digest, m->config.size, NULL);
        if (remote_stage(s, c, &m->config, &w, err) < 0)
            return NULL;
        if (fs_read_file_max(AT_FDCWD, w.tmp, REMOTE_CONFIG_MAX, &b, err) < 0 ||
            !(cfg = oci_config_parse(buf_cstr(&b), b.len, what, (long)m->nlayers, err))) {
            blob_writer_abort(&w);
            return NULL;
        }
        if (blob_writer_commit(&w, m->config.digest, err) < 0) {
            cJSON_Delete(cfg);
            return NULL;
        }
        return cfg;
    }
    remote_progress(o, "exists", m->config.digest, m->config.size, NULL);
    if (blob_read(s, m->config.digest, REMOTE_CONFIG_MAX, &b, err) < 0)
        return NULL;
    return oci_config_parse(buf_cstr(&b), b.len, what, (long)m->nlayers, err);
}

static int
remote_is_index(const char *mt, const struct buf *body)
{
    cleanup_cjson cJSON *j = NULL;
    const cJSON *m;
    struct error err;

    if (!strcmp(mt, OCI_MEDIA_INDEX) || !strcmp(mt, DOCKER_MEDIA_LIST))
        return 1;
    /* a registry may answer with a generic Content-Type: look at the document */
    error_init(&err);
    j = json_parse(buf_cstr(body), body->len, "manifest", &err);
    m = j ? cJSON_GetObjectItemCaseSensitive(j, "manifests") : NULL;
    return cJSON_IsArray(m);
}

/*
 * Fetches the manifest ref of r (a tag or a digest) into body. With
 * want_size >= 0 (a descriptor's size) the body must have that size.
 */
static int
remote_fetch_one(struct registry_client *c, const char *ref, long long want_size, struct buf *body,
                 char **mt, char digest[DIGEST_STR_LEN + 1], struct error *err)
{
    buf_reset(body);
    if (want_size > (long long)REGISTRY_MANIFEST_MAX)
        return error_set(err, 0, "manifest %s: declared size %lld is over the limit of %u bytes",
                         ref, want_size, REGISTRY_MANIFEST_MAX);
    if (registry_manifest_fetch(c, ref, body, mt, digest, err) < 0)
        return -1;
    if (want_size >= 0 && (long long)body->len != want_size)
        return error_set(err, 0, "manifest %s: %zu bytes, index says %lld", digest, body->len,
                         want_size);
    return 0;
}

/*
 * Before anything is fetched: no layer may declare more than the blob limit,
 * and the layers missing from the store must fit in its free space, so a
 * registry cannot make a pull fill the disk.
 */
static int
remote_check_sizes(const struct store *s, const struct oci_manifest *m, struct error *err)
{
    unsigned long long need = 0, avail;
    struct statvfs vfs;
    uint64_t max;
    size_t i;

    if (limits_blob_max(&max, err) < 0)
        return -1;
    for (i = 0; i < m->nlayers; i++) {
        const struct oci_descriptor *l = &m->layers[i];
        if ((uint64_t)l->size > max)
            return error_set(err, 0,
                             "layer %s: declared size %lld is over the limit of %llu bytes "
                             "(" LIMITS_BLOB_ENV ")",
                             l->digest, l->size, (unsigned long long)max);
        if (!blob_exists(s, l->digest))
            need += (unsigned long long)l->size;
    }
    if (fstatvfs(s->root_fd, &vfs) < 0)
        return 0; /* cannot tell: the sizes are still enforced while fetching */
    avail = (unsigned long long)vfs.f_bavail * vfs.f_frsize;
    if (need > avail)
        return error_set(err, 0,
                         "pull: the image needs %llu bytes for its layers, the store has %llu free",
                         need, avail);
    return 0;
}

/* Pulls the image manifest in body (digest) with its config and layers. */
static int
remote_pull_image(struct store *s, struct registry_client *c, const struct registry_ref *r,
                  const struct registry_opts *o, const struct buf *body, const char *digest,
                  struct strvec *got, struct error *err)
{
    cleanup_cjson cJSON *cfg = NULL;
    cleanup_strvec struct strvec diff_ids = STRVEC_INIT;
    struct oci_manifest m;
    char what[160], stored[DIGEST_STR_LEN + 1];
    size_t i;
    int rc = -1;

    snprintf(what, sizeof(what), "%s/%s manifest %s", registry_client_base(c), r->repo, digest);
    if (oci_manifest_parse(buf_cstr(body), body->len, what, &m, err) < 0)
        return -1;
    if (remote_check_sizes(s, &m, err) < 0 || !(cfg = remote_pull_config(s, c, &m, o, err)))
        goto out;
    strvec_push(got, m.config.digest);
    oci_config_diff_ids(cfg, &diff_ids);
    for (i = 0; i < m.nlayers; i++) {
        if (remote_pull_layer(s, c, &m.layers[i], diff_ids.v[i], o, err) < 0)
            goto out;
        strvec_push(got, m.layers[i].digest);
    }
    if (blob_put(s, buf_cstr(body), body->len, stored, err) < 0)
        goto out;
    strvec_push(got, stored);
    rc = 0;
out:
    oci_manifest_release(&m);
    return rc;
}

/* The entries of idx a pull fetches: those serving each wanted platform, or all images. */
static int
remote_index_wanted(const struct oci_archive_index *idx, const struct remote_platforms *want,
                    const char *what, unsigned char *take, struct error *err)
{
    struct platform host;
    size_t i;

    if (want && want->all) {
        for (i = 0; i < idx->n; i++)
            take[i] = oci_archive_entry_is_image(&idx->entries[i]);
        return 0;
    }
    if (!want || !want->n) {
        long k;
        platform_host(&host);
        if ((k = oci_archive_index_match(idx, &host, what, err)) < 0)
            return -1;
        take[k] = 1;
        return 0;
    }
    for (i = 0; i < want->n; i++) {
        long k = oci_archive_index_match(idx, &want->v[i], what, err);
        if (k < 0)
            return -1;
        take[k] = 1;
    }
    return 0;
}

/* The annotation key of a descriptor ("k=v" list), or NULL. */
static const char *
remote_annotation(const struct strvec *ann, const char *key)
{
    size_t i, n = strlen(key);

    for (i = 0; i < ann->n; i++)
        if (!strncmp(ann->v[i], key, n) && ann->v[i][n] == '=')
            return ann->v[i] + n + 1;
    return NULL;
}

struct remote_fetch_ctx {
    struct store *s;
    struct registry_client *c;
    struct strvec *got;
};

static int remote_fetch_attest(void *arg, const char *digest, long long size, int manifest,
                               struct error *err);

/*
 * An attestation manifest about an image being pulled (BuildKit's
 * attestation storage): the manifest, then its config and statements, each
 * checked against its digest and size.
 */
static int
remote_pull_attestation(struct store *s, struct registry_client *c, const struct oci_descriptor *d,
                        struct strvec *got, struct error *err)
{
    struct remote_fetch_ctx f = {s, c, got};
    cleanup_buf struct buf b = BUF_INIT;
    cleanup_cjson cJSON *j = NULL;
    const cJSON *l, *dg;
    long long size = 0;

    if (remote_fetch_attest(&f, d->digest, d->size, 1, err) < 0 ||
        blob_read(s, d->digest, REGISTRY_MANIFEST_MAX, &b, err) < 0 ||
        !(j = json_parse(buf_cstr(&b), b.len, d->digest, err)))
        return -1;
    strvec_push(got, d->digest);
    l = cJSON_GetObjectItemCaseSensitive(j, "config");
    for (;;) {
        dg = cJSON_GetObjectItemCaseSensitive(l, "digest");
        if (!cJSON_IsString(dg) || digest_validate(dg->valuestring, err) < 0 ||
            json_int(l, "size", 1, &size, d->digest, err) < 0)
            return error_wrap(err, "attestation manifest %s", d->digest);
        if (remote_fetch_attest(&f, dg->valuestring, size, 0, err) < 0)
            return -1;
        l = l == cJSON_GetObjectItemCaseSensitive(j, "config")
                ? cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "layers"), 0)
                : l->next;
        if (!l)
            return 0;
    }
}

/*
 * Pulls an index: the images wanted (each checked against its descriptor)
 * with the attestation manifests about them, then the index itself, byte
 * for byte. What is not wanted stays absent.
 */
static int
remote_pull_index(struct store *s, struct registry_client *c, const struct registry_ref *r,
                  const struct remote_platforms *want, const struct registry_opts *o,
                  const struct buf *body, const char *digest, struct strvec *got, struct error *err)
{
    struct oci_archive_index idx;
    cleanup_free unsigned char *take = NULL;
    cleanup_buf struct buf child = BUF_INIT;
    char what[160], stored[DIGEST_STR_LEN + 1];
    size_t i, k;
    int rc = -1;

    snprintf(what, sizeof(what), "%s/%s index %s", registry_client_base(c), r->repo, digest);
    if (oci_archive_index_parse(buf_cstr(body), body->len, what, &idx, err) < 0)
        return -1;
    take = xcalloc(idx.n + 1, 1);
    if (remote_index_wanted(&idx, want, what, take, err) < 0)
        goto out;
    for (i = 0; i < idx.n; i++) {
        const struct oci_descriptor *d = &idx.entries[i].desc;
        cleanup_free char *mt = NULL;
        char dg[DIGEST_STR_LEN + 1];
        if (!take[i])
            continue;
        if (oci_archive_entry_is_index(&idx.entries[i])) {
            error_set(err, 0, "%s: manifests[%zu] is itself an index (not supported)", what, i);
            goto out;
        }
        if (remote_fetch_one(c, d->digest, d->size, &child, &mt, dg, err) < 0 ||
            remote_pull_image(s, c, r, o, &child, dg, got, err) < 0)
            goto out;
    }
    for (i = 0; i < idx.n; i++) {
        const struct oci_archive_entry *e = &idx.entries[i];
        const char *about = remote_annotation(&e->desc.annotations, INTOTO_REF_DIGEST);
        if (take[i] || oci_archive_entry_is_image(e) || oci_archive_entry_is_index(e) || !about)
            continue;
        for (k = 0; k < idx.n && (!take[k] || strcmp(idx.entries[k].desc.digest, about)); k++)
            ;
        if (k < idx.n && remote_pull_attestation(s, c, &e->desc, got, err) < 0)
            goto out;
    }
    if (blob_put(s, buf_cstr(body), body->len, stored, err) < 0)
        goto out;
    strvec_push(got, stored);
    rc = 0;
out:
    oci_archive_index_release(&idx);
    return rc;
}

/* The manifest r names: an image, or an index (*is_index set) of images. */
static int
remote_pull_parts(struct store *s, struct registry_client *c, const struct registry_ref *r,
                  const struct remote_platforms *want, const struct registry_opts *o,
                  struct buf *body, char digest[DIGEST_STR_LEN + 1], int *is_index,
                  struct strvec *got, struct error *err)
{
    cleanup_free char *mt = NULL;
    int rc;

    if (remote_fetch_one(c, r->digest[0] ? r->digest : r->tag, -1, body, &mt, digest, err) < 0)
        return -1;
    *is_index = remote_is_index(mt, body);
    if (*is_index)
        rc = remote_pull_index(s, c, r, want, o, body, digest, got, err);
    else
        rc = remote_pull_image(s, c, r, o, body, digest, got, err);
    if (rc < 0 && err->exit_code == 2)
        err->exit_code = 1; /* the registry's fault, not the user's */
    return rc;
}

/* attest_index_adopt's fetch: an attestation manifest or one of its blobs, checked and stored. */
static int
remote_fetch_attest(void *arg, const char *digest, long long size, int manifest, struct error *err)
{
    struct remote_fetch_ctx *f = arg;
    struct blob_writer w = {NULL, NULL, -1};
    char got[DIGEST_STR_LEN + 1];

    if (blob_exists(f->s, digest))
        return 0;
    if (manifest) {
        cleanup_buf struct buf b = BUF_INIT;
        cleanup_free char *mt = NULL;
        if (registry_manifest_fetch(f->c, digest, &b, &mt, got, err) < 0)
            return -1;
        if (size >= 0 && (long long)b.len != size)
            return error_set(err, 0, "manifest %s: %zu bytes, index says %lld", digest, b.len,
                             size);
        return blob_put(f->s, b.data, b.len, got, err);
    }
    if (blob_writer_open(f->s, &w, err) < 0)
        return -1;
    if (size < 0 || size > (long long)(64u << 20)) {
        blob_writer_abort(&w);
        return error_set(err, 0, "attestation blob %s: size %lld is over the limit", digest, size);
    }
    if (registry_blob_fetch(f->c, digest, size, w.fd, err) < 0) {
        blob_writer_abort(&w);
        return -1;
    }
    strvec_push(f->got, digest);
    return blob_writer_commit(&w, digest, err);
}

/* One referrer (an artifact manifest about image): its in-toto statement, read and checked. */
static int
remote_referrer_statement(struct store *s, struct registry_client *c, const char *digest,
                          const char *image, struct strvec *types, struct strvec *texts,
                          struct error *err)
{
    cleanup_buf struct buf b = BUF_INIT;
    cleanup_buf struct buf st = BUF_INIT;
    cleanup_cjson cJSON *m = NULL;
    cleanup_free char *mt = NULL;
    struct remote_fetch_ctx f = {s, c, NULL};
    const cJSON *l, *subj;
    const char *pt, *ld;
    long long size = 0;
    char got[DIGEST_STR_LEN + 1];
    struct strvec none = STRVEC_INIT;

    f.got = &none;
    if (registry_manifest_fetch(c, digest, &b, &mt, got, err) < 0 ||
        !(m = json_parse(buf_cstr(&b), b.len, "referrer", err)))
        return -1;
    subj = cJSON_GetObjectItemCaseSensitive(m, "subject");
    l = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(m, "layers"), 0);
    pt = json_string(cJSON_GetObjectItemCaseSensitive(l, "annotations"),
                     INTOTO_PREDICATE_ANNOTATION, 0, "", NULL);
    ld = json_string(l, "digest", 0, "", NULL);
    if (!pt || !ld || json_int(l, "size", 1, &size, "referrer layer", err) < 0 ||
        strcmp(json_string(l, "mediaType", 0, "", NULL) ? json_string(l, "mediaType", 0, "", NULL)
                                                        : "",
               INTOTO_MEDIA_TYPE) != 0 ||
        !json_string(subj, "digest", 0, "", NULL) ||
        strcmp(json_string(subj, "digest", 0, "", NULL), image) != 0 ||
        digest_validate(ld, err) < 0) {
        strvec_release(&none);
        return 0; /* not an in-toto statement about this image: not ours to keep */
    }
    if (remote_fetch_attest(&f, ld, size, 0, err) < 0 ||
        blob_read(s, ld, 64u << 20, &st, err) < 0) {
        strvec_release(&none);
        return -1;
    }
    strvec_release(&none);
    strvec_push(types, pt);
    strvec_push_owned(texts, buf_detach(&st));
    return 0;
}

/*
 * OCI 1.1 referrers of a pulled image (the referrers API, else the
 * sha256-<hex> fallback tag): in-toto statements about it become a local
 * index as a build with --attest-format referrers makes. Returns 0 with
 * the index in out, 1 when there is none.
 */
static int
remote_pull_referrers(struct store *s, struct registry_client *c, const char *image,
                      char out[DIGEST_STR_LEN + 1], long long *out_size, struct error *err)
{
    cleanup_buf struct buf b = BUF_INIT;
    cleanup_cjson cJSON *idx = NULL;
    cleanup_strvec struct strvec types = STRVEC_INIT;
    cleanup_strvec struct strvec texts = STRVEC_INIT;
    cleanup_free char *tag = xasprintf("sha256-%s", digest_hex(image));
    cleanup_free struct attest_statement *st = NULL;
    const cJSON *d;
    struct error e;
    size_t i;
    int rc = registry_referrers_fetch(c, image, &b, err);

    if (rc < 0)
        return -1;
    if (rc == 1) {
        cleanup_free char *mt = NULL;
        char dg[DIGEST_STR_LEN + 1];
        error_init(&e);
        buf_reset(&b);
        if (registry_manifest_fetch(c, tag, &b, &mt, dg, &e) < 0)
            return e.kind == ERROR_NOT_FOUND ? 1 : (*err = e, -1);
    }
    if (!(idx = json_parse(buf_cstr(&b), b.len, "referrers index", err)))
        return -1;
    cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(idx, "manifests"))
    {
        const char *at = json_string(d, "artifactType", 0, "", NULL);
        const char *dg = json_string(d, "digest", 0, "", NULL);
        if (at && dg && !strcmp(at, INTOTO_MEDIA_TYPE) && digest_validate(dg, err) == 0 &&
            remote_referrer_statement(s, c, dg, image, &types, &texts, err) < 0)
            return -1;
    }
    if (!types.n)
        return 1;
    st = xcalloc(types.n, sizeof(*st));
    for (i = 0; i < types.n; i++) {
        st[i].predicate_type = types.v[i];
        st[i].json = texts.v[i];
        st[i].len = strlen(texts.v[i]);
    }
    return attest_attach(s, image, st, types.n, 1, out, out_size, err);
}

/* Pulls r from its host into the store, named name (a full name). */
static int
remote_pull_from(struct store *s, const struct registry_ref *r, const char *name,
                 const struct remote_platforms *want, const struct registry_opts *o,
                 char out_digest[DIGEST_STR_LEN + 1], struct error *err)
{
    struct registry_client *c = NULL;
    cleanup_buf struct buf body = BUF_INIT;
    cleanup_strvec struct strvec got = STRVEC_INIT;
    cleanup_free char *norm = index_normalize(name, err);
    cleanup_free char *where = NULL;
    char digest[DIGEST_STR_LEN + 1], top_dg[DIGEST_STR_LEN + 1];
    long long top_size = 0;
    int rc = -1, have_top = 0, is_index = 0;

    if (!norm || !(c = registry_client_new(r->host, r->repo, o, 0, err)))
        goto out;
    if (remote_pull_parts(s, c, r, want, o, &body, digest, &is_index, &got, err) < 0)
        goto out;
    if (!is_index) {
        /* a single image may have OCI 1.1 referrers: its attestations */
        int ar = remote_pull_referrers(s, c, digest, top_dg, &top_size, err);
        if (ar < 0)
            goto out;
        have_top = ar == 0;
    }
    /* the name last: a failed pull leaves nothing tagged */
    if (index_set(s, norm, have_top ? top_dg : digest, have_top ? top_size : (long long)body.len,
                  err) < 0)
        goto out;
    where = xasprintf("%s/%s", r->host, r->repo);
    if (remote_record_save(s, &got, where, err) < 0)
        goto out;
    memcpy(out_digest, have_top ? top_dg : digest, DIGEST_STR_LEN + 1);
    rc = 0;
out:
    registry_client_free(c);
    return rc;
}

/*
 * The full names a pull of r tries, in order: r itself when qualified, else
 * (containers-registries.conf(5), "SHORT-NAME ALIASING" and
 * unqualified-search-registries) its alias, else r under each search
 * registry.
 */
static int
remote_candidates(const struct registries_conf *conf, const struct reference *r, struct strvec *out,
                  struct error *err)
{
    cleanup_strvec struct strvec search = STRVEC_INIT;
    const char *alias = r->domain ? NULL : registries_conf_alias(conf, r->path);
    struct reference c;
    size_t i;

    if (r->domain || alias) {
        if (alias && reference_parse(alias, &c, err) < 0)
            return error_wrap(err, "alias of \"%s\"", r->path);
        if (!alias)
            reference_copy(&c, r);
        free(c.tag);
        c.tag = r->tag ? xstrdup(r->tag) : NULL;
        memcpy(c.digest, r->digest, sizeof(c.digest));
        reference_default_tag(&c);
        strvec_push_owned(out, reference_format(&c));
        reference_release(&c);
        return 0;
    }
    registries_conf_search(conf, &search);
    if (!search.n)
        return error_set(err, 0,
                         "\"%s\" is a short name and unqualified-search-registries is empty in "
                         "registries.conf: use a full name (HOST/REPOSITORY)",
                         r->path);
    for (i = 0; i < search.n; i++) {
        reference_copy(&c, r);
        reference_qualify(&c, search.v[i]);
        reference_default_tag(&c);
        strvec_push_owned(out, reference_format(&c));
        reference_release(&c);
    }
    return 0;
}

/* Tries each source of one candidate: mirrors in order, then the registry. */
static int
remote_pull_candidate(struct store *s, const struct registries_conf *conf, const char *cand,
                      const char *store_name, const struct remote_platforms *want,
                      const struct registry_opts *o, struct buf *fails, int *tries,
                      char out_digest[DIGEST_STR_LEN + 1], struct error *err)
{
    struct registries_source *src = NULL;
    struct reference r;
    size_t n = 0, i;
    int rc = 1;

    if (reference_parse(cand, &r, err) < 0)
        return -1;
    if (registries_conf_sources(conf, &r, &src, &n, err) < 0) {
        reference_release(&r);
        return -1;
    }
    for (i = 0; rc == 1 && i < n; i++) {
        struct registry_ref rr = {src[i].host, src[i].repo, r.tag, ""};
        struct registry_opts ro = *o;
        struct error e;
        char line[600];
        memcpy(rr.digest, r.digest, sizeof(rr.digest));
        ro.insecure = o->insecure || src[i].insecure || registries_conf_insecure(conf, src[i].host);
        ro.cred_helpers = &conf->cred_helpers;
        if (o->progress) {
            snprintf(line, sizeof(line), "pulling %s%s%s", cand,
                     src[i].mirror ? " from mirror " : "", src[i].mirror ? src[i].host : "");
            o->progress(o->progress_opaque, line);
        }
        error_init(&e);
        (*tries)++;
        if (remote_pull_from(s, &rr, store_name ? store_name : cand, want, &ro, out_digest, &e) ==
            0) {
            rc = 0;
            break;
        }
        if (fails->len)
            buf_adds(fails, "; ");
        buf_addf(fails, "%s/%s: %s", src[i].host, src[i].repo, e.msg);
        *err = e;
    }
    registries_sources_free(src, n);
    reference_release(&r);
    return rc;
}

int
remote_pull(struct store *s, const char *ref, const char *name, const struct remote_platforms *want,
            const struct registry_opts *o, char out_digest[DIGEST_STR_LEN + 1], struct error *err)
{
    struct registries_conf conf;
    cleanup_strvec struct strvec cands = STRVEC_INIT;
    cleanup_buf struct buf fails = BUF_INIT;
    cleanup_free char *store_name = NULL;
    struct reference r;
    size_t i;
    int rc = -1, tries = 0;

    if (reference_parse(ref, &r, err) < 0)
        return -1;
    if (name && !(store_name = index_normalize(name, err))) {
        reference_release(&r);
        return -1;
    }
    if (registries_conf_load(&conf, err) == 0 && remote_candidates(&conf, &r, &cands, err) == 0) {
        for (i = 0, rc = 1; rc == 1 && i < cands.n; i++)
            rc = remote_pull_candidate(s, &conf, cands.v[i], store_name, want, o, &fails, &tries,
                                       out_digest, err);
        if (rc == 1 && tries > 1)
            error_set(err, 0, "pull %s: no source had it: %s", ref, buf_cstr(&fails));
    }
    registries_conf_release(&conf);
    reference_release(&r);
    return rc == 0 ? 0 : -1;
}

int
remote_pull_policy_parse(const char *v, enum remote_pull_policy *out, struct error *err)
{
    /* buildah and docker: --pull (true) is "always", --pull=false is "missing" */
    if (!strcmp(v, "missing") || !strcmp(v, "false"))
        *out = REMOTE_PULL_MISSING;
    else if (!strcmp(v, "always") || !strcmp(v, "true"))
        *out = REMOTE_PULL_ALWAYS;
    else if (!strcmp(v, "never"))
        *out = REMOTE_PULL_NEVER;
    else
        return error_input(err, "--pull=%s: use missing, always or never", v);
    return 0;
}

/* A name that only ever lives in a store: localhost/NAME, a digest, an image id. */
static int
remote_local_only(const char *name)
{
    cleanup_free char *id = index_identity(name);

    return !id || !strncmp(id, REFERENCE_LOCAL "/", strlen(REFERENCE_LOCAL) + 1);
}

/* A name that says localhost/ itself (not a short name): podman's local images. */
static int
remote_names_localhost(const char *name)
{
    struct reference r;
    struct error e;
    int local;

    error_init(&e);
    if (reference_parse(name, &r, &e) < 0)
        return 1;
    local = r.domain && !strcmp(r.domain, REFERENCE_LOCAL);
    reference_release(&r);
    return local;
}

/* The manifest of digest for platform (image_pick); 1 when the index lacks its manifest. */
static int
remote_pick(struct store *s, const char *digest, const char *name, const struct platform *platform,
            char out[DIGEST_STR_LEN + 1], struct error *err)
{
    char what[300];

    snprintf(what, sizeof(what), "image %s", name);
    if (image_pick(s, digest, platform, what, out, err) < 0)
        return -1;
    return blob_exists(s, out) ? 0 : 1;
}

int
remote_get_image(struct store *s, const char *name, enum remote_pull_policy policy,
                 const struct platform *platform, const struct registry_opts *o,
                 char out_digest[DIGEST_STR_LEN + 1], struct error *err)
{
    struct index idx;
    const struct index_entry *e = NULL;
    cleanup_free char *found = NULL;
    struct remote_platforms want = {platform, platform ? 1 : 0, 0};
    char digest[DIGEST_STR_LEN + 1];
    int rc;

    if (index_load(s, &idx, err) < 0)
        return -1;
    rc = index_lookup(&idx, name, &e, err);
    if (rc == 0)
        found = xstrdup(e->name);
    index_release(&idx);
    if (rc != 0) {
        struct error e2;
        error_init(&e2);
        if (index_resolve_top(s, name, digest, &e2) == 0) {
            /* an image id or digest */
            rc = remote_pick(s, digest, name, platform, out_digest, err);
            return rc == 0 ? 0 : rc < 0 ? -1 : error_set(err, 0, "image %s: not all pulled", name);
        }
        if (rc < 0)
            return -1;
    }
    /* what the user made here (localhost/) is never pulled, even with --pull=always */
    if (found && (policy != REMOTE_PULL_ALWAYS || remote_local_only(found))) {
        if (index_resolve_top(s, found, digest, err) != 0 ||
            (rc = remote_pick(s, digest, found, platform, out_digest, err)) < 0)
            return -1;
        if (rc == 0)
            return 0;
        /* a pulled index without this platform's image: fetch it, unless told not to */
        if (policy == REMOTE_PULL_NEVER || remote_local_only(found))
            return error_set(err, 0, "image \"%s\": this platform's image %s is not in the store%s",
                             name, out_digest,
                             policy == REMOTE_PULL_NEVER ? " (--pull=never)" : "");
    }
    if (!found && policy == REMOTE_PULL_NEVER)
        return error_set(err, 0, "image \"%s\" is not in the store %s (--pull=never)", name,
                         s->root);
    if (!found && remote_names_localhost(name))
        return error_set(err, 0,
                         "image \"%s\" is not in the store %s (a localhost/ name is never pulled: "
                         "build or import it)",
                         name, s->root);
    if (remote_pull(s, found ? found : name, NULL, &want, o, digest, err) < 0)
        return -1;
    rc = remote_pick(s, digest, name, platform, out_digest, err);
    return rc == 0 ? 0 : rc < 0 ? -1 : error_set(err, 0, "image %s: not all pulled", name);
}
