#include "store/cache_transfer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats/archive_io.h"
#include "formats/core/buf.h"
#include "formats/core/fsutil.h"
#include "formats/core/log.h"
#include "formats/core/mem.h"
#include "formats/json.h"
#include "formats/oci.h"
#include "store/blob.h"
#include "store/diffid.h"
#include "store/txn.h"

#include "formats/core/banned.h"

#define CACHE_TRANSFER_DOC_MAX (64u << 20)

void
cache_transfer_spec_release(struct cache_transfer_spec *spec)
{
    free(spec->path);
    free(spec->ref);
    memset(spec, 0, sizeof(*spec));
}

int
cache_transfer_parse(const char *text, int to, struct cache_transfer_spec *out, struct error *err)
{
    cleanup_free char *copy = xstrdup(text);
    const char *type = NULL, *path = NULL, *ref = NULL, *mode = NULL;
    char *p, *save = NULL;

    memset(out, 0, sizeof(*out));
    if (!strchr(text, '=')) { /* a bare reference, as docker accepts it */
        out->type = CACHE_TRANSFER_REGISTRY;
        out->ref = xstrdup(text);
        return 0;
    }
    for (p = strtok_r(copy, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
        if (!strncmp(p, "type=", 5))
            type = p + 5;
        else if (!strncmp(p, to ? "dest=" : "src=", to ? 5 : 4))
            path = p + (to ? 5 : 4);
        else if (!strncmp(p, "ref=", 4))
            ref = p + 4;
        else if (to && !strncmp(p, "mode=", 5))
            mode = p + 5;
        else
            return error_input(err, "--cache-%s %s: unknown option \"%s\"", to ? "to" : "from",
                               text, p);
    }
    if (mode && strcmp(mode, "min") && strcmp(mode, "max"))
        return error_input(err, "--cache-to %s: mode=%s: use min or max", text, mode);
    out->max = mode && !strcmp(mode, "max");
    if (type && !strcmp(type, "local") && path && *path) {
        out->type = CACHE_TRANSFER_LOCAL;
        out->path = xstrdup(path);
        return 0;
    }
    if (type && !strcmp(type, "registry") && ref && *ref) {
        out->type = CACHE_TRANSFER_REGISTRY;
        out->ref = xstrdup(ref);
        return 0;
    }
    return error_input(err, "--cache-%s %s: use type=local,%s=DIR or type=registry,ref=REF",
                       to ? "to" : "from", text, to ? "dest" : "src");
}

/* ---- the artifact ------------------------------------------------------ */

/* The manifest for records: the records blob as config, the layers they name. */
static char *
cache_transfer_manifest(const cJSON *records, const char *cfg_digest, long long cfg_size,
                        struct strvec *layers)
{
    struct oci_manifest m;
    const cJSON *r;
    char *out;
    size_t i;

    oci_manifest_init(&m);
    m.config.media_type = xstrdup(CACHE_TRANSFER_MEDIA_RECORDS);
    memcpy(m.config.digest, cfg_digest, DIGEST_STR_LEN + 1);
    m.config.size = cfg_size;
    cJSON_ArrayForEach(r, records)
    {
        const cJSON *l = cJSON_GetObjectItemCaseSensitive(r, "layer");
        struct oci_descriptor d = {0};
        const cJSON *dg = cJSON_GetObjectItemCaseSensitive(l, "digest");
        if (!cJSON_IsString(dg))
            continue;
        for (i = 0; i < layers->n && strcmp(layers->v[i], dg->valuestring); i++)
            ;
        if (i < layers->n)
            continue;
        strvec_push(layers, dg->valuestring);
        d.media_type = cJSON_GetObjectItemCaseSensitive(l, "mediaType")->valuestring;
        memcpy(d.digest, dg->valuestring, DIGEST_STR_LEN + 1);
        d.size = (long long)cJSON_GetObjectItemCaseSensitive(l, "size")->valuedouble;
        oci_manifest_add_layer(&m, &d); /* copies d */
    }
    out = oci_manifest_write(&m);
    oci_manifest_release(&m);
    return out;
}

/* ---- local directories ---------------------------------------------------- */

/*
 * The directory may have been prepared by someone else (a cache restored in
 * CI): below the path the user gave, nothing is reached through a symlink.
 * Files are written as "<name>.tmp.<pid>" (O_CREAT|O_EXCL|O_NOFOLLOW, an
 * old one removed first) in their directory's fd and renamed over the name,
 * which replaces a planted symlink instead of writing through it.
 */

/* Opens (making it) the subdirectory name of dirfd, refusing a symlink. */
static int
cache_transfer_local_subdir(int dirfd, const char *dir, const char *rel, const char *name,
                            struct error *err)
{
    int fd;

    if (mkdirat(dirfd, name, 0755) < 0 && errno != EEXIST)
        return error_set(err, errno, "--cache-to %s: mkdir %s", dir, rel);
    fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && (errno == ELOOP || errno == ENOTDIR))
        return error_set(err, 0, "--cache-to %s: \"%s\" is a symlink or not a directory", dir, rel);
    if (fd < 0)
        return error_set(err, errno, "--cache-to %s: open %s", dir, rel);
    return fd;
}

/* Writes name in dirfd from src_fd (to its end) or data, atomically and never through a link. */
static int
cache_transfer_local_write(int dirfd, const char *dir, const char *name, int src_fd,
                           const void *data, size_t n, struct error *err)
{
    cleanup_free char *tmp = xasprintf("%s.tmp.%ld", name, (long)getpid());
    cleanup_close int fd = -1;

    unlinkat(dirfd, tmp, 0); /* a stale or planted one: the name is ours to use */
    fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0)
        return error_set(err, errno, "--cache-to %s: create %s", dir, tmp);
    if ((src_fd >= 0 ? fs_copy_fd(src_fd, fd, name, err) : fs_write_all(fd, data, n, err)) < 0) {
        unlinkat(dirfd, tmp, 0);
        return error_wrap(err, "--cache-to %s", dir);
    }
    if (fsync(fd) < 0 || renameat(dirfd, tmp, dirfd, name) < 0) {
        int e = errno;
        unlinkat(dirfd, tmp, 0);
        return error_set(err, e, "--cache-to %s: write %s", dir, name);
    }
    return 0;
}

/* Writes a blob into blobs/sha256 (fd) unless a regular file of that name is there. */
static int
cache_transfer_local_put(int shafd, const char *dir, const char *digest, int src_fd,
                         const void *data, size_t n, struct error *err)
{
    struct stat st;

    if (fstatat(shafd, digest_hex(digest), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
        return 0;
    return cache_transfer_local_write(shafd, dir, digest_hex(digest), src_fd, data, n, err);
}

static int
cache_transfer_local_index(int dirfd, const char *dir, const char *man_digest, long long man_size,
                           struct error *err)
{
    cleanup_buf struct buf old = BUF_INIT;
    cleanup_cjson cJSON *idx = NULL;
    cleanup_free char *out = NULL;
    cleanup_close int fd = openat(dirfd, "index.json", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    cJSON *ms, *m, *ann;
    struct error ignored;

    error_init(&ignored);
    if (fd >= 0 && fs_read_fd_max(fd, "index.json", CACHE_TRANSFER_DOC_MAX, &old, &ignored) == 0)
        idx = json_parse(buf_cstr(&old), old.len, "index.json", &ignored);
    if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(idx, "manifests"))) {
        cJSON_Delete(idx);
        idx = cJSON_CreateObject();
        cJSON_AddNumberToObject(idx, "schemaVersion", 2);
        cJSON_AddStringToObject(idx, "mediaType", OCI_MEDIA_INDEX);
        json_add_array(idx, "manifests");
    }
    ms = cJSON_GetObjectItemCaseSensitive(idx, "manifests");
    for (m = ms->child; m;) { /* one manifest per tag: replace ours */
        cJSON *next = m->next;
        const cJSON *r =
            cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(m, "annotations"),
                                             "org.opencontainers.image.ref.name");
        if (cJSON_IsString(r) && !strcmp(r->valuestring, CACHE_TRANSFER_DEFAULT_TAG))
            cJSON_Delete(cJSON_DetachItemViaPointer(ms, m));
        m = next;
    }
    m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "mediaType", OCI_MEDIA_MANIFEST);
    cJSON_AddStringToObject(m, "digest", man_digest);
    cJSON_AddNumberToObject(m, "size", (double)man_size);
    ann = json_add_object(m, "annotations");
    cJSON_AddStringToObject(ann, "org.opencontainers.image.ref.name", CACHE_TRANSFER_DEFAULT_TAG);
    cJSON_AddItemToArray(ms, m);
    out = json_print(idx);
    if (cache_transfer_local_write(dirfd, dir, "index.json", -1, out, strlen(out), err) < 0)
        return -1;
    return fs_fsync_dir(dirfd, ".", err);
}

static int
cache_transfer_export_local(struct store *s, const char *dir, const cJSON *records,
                            struct error *err)
{
    static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
    cleanup_strvec struct strvec layers = STRVEC_INIT;
    cleanup_cjson cJSON *doc = cJSON_CreateObject();
    cleanup_free char *cfg = NULL, *man = NULL;
    cleanup_close int dfd = -1, bfd = -1, shafd = -1;
    char cd[DIGEST_STR_LEN + 1], md[DIGEST_STR_LEN + 1];
    size_t i;

    /* the path given is the user's; what is below it is not trusted */
    if (fs_mkdir_p(AT_FDCWD, dir, 0755, err) < 0)
        return error_wrap(err, "--cache-to %s", dir);
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return error_set(err, errno, "--cache-to %s", dir);
    if ((bfd = cache_transfer_local_subdir(dfd, dir, "blobs", "blobs", err)) < 0 ||
        (shafd = cache_transfer_local_subdir(bfd, dir, "blobs/sha256", "sha256", err)) < 0)
        return -1;
    cJSON_AddItemToObject(doc, "records", cJSON_Duplicate(records, 1));
    cfg = json_print(doc);
    digest_bytes(cfg, strlen(cfg), cd);
    man = cache_transfer_manifest(records, cd, (long long)strlen(cfg), &layers);
    digest_bytes(man, strlen(man), md);
    for (i = 0; i < layers.n; i++) {
        cleanup_close int fd = blob_open(s, layers.v[i], err);
        if (fd < 0)
            return error_wrap(err, "--cache-to %s", dir);
        if (cache_transfer_local_put(shafd, dir, layers.v[i], fd, NULL, 0, err) < 0)
            return -1;
    }
    if (cache_transfer_local_put(shafd, dir, cd, -1, cfg, strlen(cfg), err) < 0 ||
        cache_transfer_local_put(shafd, dir, md, -1, man, strlen(man), err) < 0 ||
        fs_fsync_dir(shafd, ".", err) < 0 ||
        cache_transfer_local_write(dfd, dir, "oci-layout", -1, layout, strlen(layout), err) < 0 ||
        cache_transfer_local_index(dfd, dir, md, (long long)strlen(man), err) < 0)
        return -1;
    return 0;
}

/* ---- registries -------------------------------------------------------- */

/* The tag of a cache reference (its own, or CACHE_TRANSFER_DEFAULT_TAG). */
static const char *
cache_transfer_tag(const struct registry_ref *r)
{
    return r->tag ? r->tag : CACHE_TRANSFER_DEFAULT_TAG;
}

static int
cache_transfer_push_bytes(struct registry_client *c, const char *digest, const char *data, size_t n,
                          struct error *err)
{
    int fd, rc;

    if (registry_blob_exists(c, digest, err) == 1)
        return 0;
    fd = memfd_create("strata-cache", MFD_CLOEXEC);
    if (fd < 0)
        return error_set(err, errno, "memfd");
    rc = fs_write_all(fd, data, n, err);
    if (rc == 0)
        rc = registry_blob_push(c, digest, fd, (long long)n, err);
    close(fd);
    return rc;
}

static int
cache_transfer_export_registry(struct store *s, const char *text, const cJSON *records,
                               const struct registry_opts *o, struct error *err)
{
    cleanup_strvec struct strvec layers = STRVEC_INIT;
    cleanup_cjson cJSON *doc = cJSON_CreateObject();
    cleanup_free char *cfg = NULL, *man = NULL;
    struct registry_client *c = NULL;
    struct registry_ref r;
    char cd[DIGEST_STR_LEN + 1];
    size_t i;
    int rc = -1;

    if (registry_ref_parse(text, &r, err) < 0)
        return error_wrap(err, "--cache-to");
    cJSON_AddItemToObject(doc, "records", cJSON_Duplicate(records, 1));
    cfg = json_print(doc);
    digest_bytes(cfg, strlen(cfg), cd);
    man = cache_transfer_manifest(records, cd, (long long)strlen(cfg), &layers);
    c = registry_client_new(r.host, r.repo, o, 1, err);
    if (!c)
        goto out;
    for (i = 0; i < layers.n; i++) {
        cleanup_close int fd = -1;
        int have = registry_blob_exists(c, layers.v[i], err);
        if (have < 0)
            goto out;
        if (have)
            continue;
        fd = blob_open(s, layers.v[i], err);
        if (fd < 0 || registry_blob_push(c, layers.v[i], fd, blob_size(s, layers.v[i]), err) < 0)
            goto out;
    }
    if (cache_transfer_push_bytes(c, cd, cfg, strlen(cfg), err) < 0 ||
        registry_manifest_push(c, cache_transfer_tag(&r), OCI_MEDIA_MANIFEST, man, strlen(man),
                               err) < 0)
        goto out;
    rc = 0;
out:
    if (rc < 0)
        error_wrap(err, "--cache-to %s", text);
    registry_client_free(c);
    registry_ref_release(&r);
    return rc;
}

int
cache_transfer_export(struct store *s, const struct cache_transfer_spec *spec, const cJSON *records,
                      const struct registry_opts *o, struct error *err)
{
    if (spec->type == CACHE_TRANSFER_LOCAL)
        return cache_transfer_export_local(s, spec->path, records, err);
    return cache_transfer_export_registry(s, spec->ref, records, o, err);
}

/* ---- importing --------------------------------------------------------- */

void
cache_transfer_close(struct cache_transfer_source *src)
{
    cache_transfer_spec_release(&src->spec);
    if (src->doc)
        cJSON_Delete(src->doc);
    registry_client_free(src->client);
    if (src->ref.host)
        registry_ref_release(&src->ref);
    strvec_release(&src->sizes);
    memset(src, 0, sizeof(*src));
}

/* Checks the manifest and takes its records (records_json: the config blob). */
static int
cache_transfer_take(struct cache_transfer_source *src, const char *man, size_t mlen,
                    const char *records_json, size_t rlen, const char *what, struct error *err)
{
    struct oci_manifest m;
    const cJSON *recs;
    size_t i;

    if (oci_manifest_parse(man, mlen, what, &m, err) < 0)
        return -1;
    for (i = 0; i < m.nlayers; i++)
        strvec_pushf(&src->sizes, "%s=%lld", m.layers[i].digest, m.layers[i].size);
    oci_manifest_release(&m);
    src->doc = json_parse(records_json, rlen, what, err);
    if (!src->doc)
        return -1;
    recs = json_object(src->doc, "records", 1, what, err);
    return recs ? 0 : -1;
}

/*
 * Opens rel inside the cache directory dir: symlinks inside it resolve
 * inside it (RESOLVE_IN_ROOT), a symlink as the last component or anything
 * but a regular file (a FIFO, /dev/zero) is refused. Returns the fd, -1 on
 * errors, -2 (err untouched) when rel does not exist.
 */
static int
cache_transfer_local_open(const char *dir, const char *rel, const char *what, struct error *err)
{
    cleanup_close int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct error e;
    struct stat st;
    int fd;

    if (dfd < 0)
        return errno == ENOENT ? -2 : error_set(err, errno, "%s: open %s", what, dir);
    error_init(&e);
    fd = fs_open_in_root(dfd, rel, O_RDONLY | O_NONBLOCK | O_NOFOLLOW, &e);
    if (fd < 0 && e.sys_errno == ENOENT)
        return -2;
    if (fd < 0 && e.sys_errno == ELOOP)
        return error_input(err, "%s: %s/%s is a symlink, not a regular file", what, dir, rel);
    if (fd < 0)
        return error_set(err, e.sys_errno, "%s: open %s/%s", what, dir, rel);
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return error_input(err, "%s: %s/%s is not a regular file", what, dir, rel);
    }
    return fd;
}

/* Reads rel of the cache directory (at most CACHE_TRANSFER_DOC_MAX bytes) into out. */
static int
cache_transfer_local_read(const char *dir, const char *rel, struct buf *out, struct error *err)
{
    cleanup_close int fd = cache_transfer_local_open(dir, rel, "--cache-from", err);

    if (fd == -2)
        return error_input(err, "--cache-from %s: %s is missing", dir, rel);
    if (fd < 0)
        return -1;
    return fs_read_fd_max(fd, rel, CACHE_TRANSFER_DOC_MAX, out, err);
}

static int
cache_transfer_open_local(struct cache_transfer_source *src, struct error *err)
{
    const char *dir = src->spec.path;
    cleanup_buf struct buf idx = BUF_INIT, man = BUF_INIT, cfg = BUF_INIT;
    cleanup_cjson cJSON *j = NULL;
    cleanup_free char *ipath = fs_join(dir, "index.json");
    cleanup_free char *mpath = NULL, *cpath = NULL;
    struct oci_manifest m;
    const cJSON *ms, *e, *dg = NULL;
    char got[DIGEST_STR_LEN + 1];
    int fd = cache_transfer_local_open(dir, "index.json", "--cache-from", err);

    if (fd == -2) {
        log_warn("--cache-from %s: no cache there yet", dir);
        return 0;
    }
    if (fd < 0)
        return -1;
    close(fd);
    if (cache_transfer_local_read(dir, "index.json", &idx, err) < 0 ||
        !(j = json_parse(buf_cstr(&idx), idx.len, ipath, err)) ||
        !(ms = json_array(j, "manifests", 1, ipath, err)))
        return error_wrap(err, "--cache-from");
    cJSON_ArrayForEach(e, ms)
    {
        const cJSON *r =
            cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(e, "annotations"),
                                             "org.opencontainers.image.ref.name");
        if (cJSON_IsString(r) && !strcmp(r->valuestring, CACHE_TRANSFER_DEFAULT_TAG))
            dg = cJSON_GetObjectItemCaseSensitive(e, "digest");
    }
    if (!cJSON_IsString(dg) || digest_validate(dg->valuestring, err) < 0)
        return error_input(err, "--cache-from %s: no \"%s\" cache in index.json", dir,
                           CACHE_TRANSFER_DEFAULT_TAG);
    mpath = xasprintf("blobs/sha256/%s", digest_hex(dg->valuestring));
    if (cache_transfer_local_read(dir, mpath, &man, err) < 0)
        return -1;
    digest_bytes(buf_cstr(&man), man.len, got);
    if (strcmp(got, dg->valuestring))
        return error_input(err, "--cache-from %s: manifest %s hashes to %s", dir, dg->valuestring,
                           got);
    if (oci_manifest_parse(buf_cstr(&man), man.len, mpath, &m, err) < 0)
        return error_wrap(err, "--cache-from");
    cpath = xasprintf("blobs/sha256/%s", digest_hex(m.config.digest));
    digest_bytes("", 0, got);
    if (cache_transfer_local_read(dir, cpath, &cfg, err) == 0)
        digest_bytes(buf_cstr(&cfg), cfg.len, got);
    error_init(err);
    if (strcmp(got, m.config.digest)) {
        oci_manifest_release(&m);
        return error_input(err, "--cache-from %s: records blob %s is missing or damaged", dir,
                           digest_hex(got));
    }
    oci_manifest_release(&m);
    return cache_transfer_take(src, buf_cstr(&man), man.len, buf_cstr(&cfg), cfg.len, mpath, err);
}

static int
cache_transfer_open_registry(struct cache_transfer_source *src, const struct registry_opts *o,
                             struct error *err)
{
    cleanup_buf struct buf man = BUF_INIT;
    cleanup_free char *mt = NULL;
    struct oci_manifest m;
    char md[DIGEST_STR_LEN + 1];
    int fd, rc;

    if (registry_ref_parse(src->spec.ref, &src->ref, err) < 0)
        return error_wrap(err, "--cache-from");
    src->client = registry_client_new(src->ref.host, src->ref.repo, o, 0, err);
    if (!src->client)
        return error_wrap(err, "--cache-from %s", src->spec.ref);
    if (registry_manifest_fetch(src->client, cache_transfer_tag(&src->ref), &man, &mt, md, err) <
        0) {
        if (err->kind == ERROR_NOT_FOUND) {
            log_warn("--cache-from %s: no cache there yet", src->spec.ref);
            return 0;
        }
        return error_wrap(err, "--cache-from %s", src->spec.ref);
    }
    if (oci_manifest_parse(buf_cstr(&man), man.len, src->spec.ref, &m, err) < 0)
        return error_wrap(err, "--cache-from");
    fd = memfd_create("strata-cache", MFD_CLOEXEC);
    rc = fd < 0 ? error_set(err, errno, "memfd")
                : registry_blob_fetch(src->client, m.config.digest, m.config.size, fd, err);
    if (rc == 0) {
        struct buf cfg = BUF_INIT;
        struct stat st;
        if (fstat(fd, &st) < 0 || st.st_size > CACHE_TRANSFER_DOC_MAX) {
            rc = error_input(err, "--cache-from %s: records too large", src->spec.ref);
        } else {
            buf_grow(&cfg, (size_t)st.st_size);
            if (pread(fd, cfg.data, (size_t)st.st_size, 0) != st.st_size)
                rc = error_set(err, errno, "--cache-from %s: read records", src->spec.ref);
            else {
                cfg.len = (size_t)st.st_size;
                rc = cache_transfer_take(src, buf_cstr(&man), man.len, cfg.data, cfg.len,
                                         src->spec.ref, err);
            }
        }
        buf_release(&cfg);
    }
    if (fd >= 0)
        close(fd);
    oci_manifest_release(&m);
    return rc;
}

int
cache_transfer_open(struct cache_transfer_source *src, const char *text,
                    const struct registry_opts *o, struct error *err)
{
    memset(src, 0, sizeof(*src));
    if (cache_transfer_parse(text, 0, &src->spec, err) < 0)
        return -1;
    if (src->spec.type == CACHE_TRANSFER_LOCAL)
        return cache_transfer_open_local(src, err);
    return cache_transfer_open_registry(src, o, err);
}

const cJSON *
cache_transfer_find(const struct cache_transfer_source *src, const char *key)
{
    const cJSON *recs = cJSON_GetObjectItemCaseSensitive(src->doc, "records");

    return recs ? cJSON_GetObjectItemCaseSensitive(recs, key) : NULL;
}

static long long
cache_transfer_size(const struct cache_transfer_source *src, const char *digest)
{
    size_t dl = strlen(digest), i;

    for (i = 0; i < src->sizes.n; i++)
        if (!strncmp(src->sizes.v[i], digest, dl) && src->sizes.v[i][dl] == '=')
            return strtoll(src->sizes.v[i] + dl + 1, NULL, 10);
    return -1;
}

int
cache_transfer_fetch(struct cache_transfer_source *src, struct store *s, const char *digest,
                     const char *diff_id, struct error *err)
{
    struct blob_writer w = {NULL, NULL, -1};
    long long size = cache_transfer_size(src, digest);
    char got[DIGEST_STR_LEN + 1], what[128];
    cleanup_close int in = -1;
    int rc;

    if (size < 0)
        return 1;
    snprintf(what, sizeof(what), "cache layer %s", digest);
    if (blob_writer_open(s, &w, err) < 0)
        return -1;
    if (src->spec.type == CACHE_TRANSFER_REGISTRY) {
        rc = registry_blob_fetch(src->client, digest, size, w.fd, err);
    } else {
        cleanup_free char *p = xasprintf("blobs/sha256/%s", digest_hex(digest));
        struct stat st;
        in = cache_transfer_local_open(src->spec.path, p, what, err);
        if (in == -2)
            rc = error_input(err, "%s: %s/%s is missing", what, src->spec.path, p);
        else if (in < 0)
            rc = -1;
        else if (fstat(in, &st) < 0 || st.st_size != size)
            rc = error_input(err, "%s: %lld bytes, the cache manifest says %lld", what,
                             (long long)st.st_size, size);
        else
            rc = fs_copy_fd(in, w.fd, what, err);
        if (rc == 0 && (rc = digest_file(AT_FDCWD, w.tmp, got, err)) == 0 && strcmp(got, digest))
            rc = error_input(err, "%s: content hashes to %s", what, got);
    }
    if (rc == 0) {
        cleanup_close int fd = open(w.tmp, O_RDONLY | O_CLOEXEC);
        rc = fd < 0 ? error_set(err, errno, "%s: reopen", what)
                    : archive_io_diff_id(fd, what, got, NULL, err);
        if (rc == 0 && strcmp(got, diff_id))
            rc = error_input(err, "%s: uncompressed content hashes to %s, the record says %s", what,
                             got, diff_id);
    }
    if (rc < 0) {
        blob_writer_abort(&w);
        return -1;
    }
    if (blob_writer_commit(&w, digest, err) < 0)
        return -1;
    return diffid_record(s, digest, diff_id, err);
}
