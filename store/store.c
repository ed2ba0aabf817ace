#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats/core/fsutil.h"
#include "formats/core/mem.h"
#include "store/txn.h"

#include "formats/core/banned.h"

/* image-spec image-layout.md, "oci-layout file" */
static const char store_layout_json[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
static const char store_empty_index[] =
    "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\","
    "\"manifests\":[]}";

/* include/linux/proc_ns.h: PROC_USER_INIT_INO, stable kernel ABI since 3.8 */
#define STORE_INIT_USERNS_INO 0xEFFFFFFDUL

int
store_host_root(void)
{
    struct stat st;

    if (geteuid() != 0)
        return 0;
    if (stat("/proc/self/ns/user", &st) < 0)
        return 1; /* no /proc: assume the classic setup */
    return (unsigned long)st.st_ino == STORE_INIT_USERNS_INO;
}

char *
store_default_root(void)
{
    const char *xdg = getenv("XDG_DATA_HOME");
    const char *home = getenv("HOME");

    if (store_host_root())
        return xstrdup("/var/lib/strata");
    if (xdg && *xdg)
        return fs_join(xdg, "strata");
    return fs_join(home && *home ? home : "/tmp", ".local/share/strata");
}

/*
 * What fill writes, in a new file under tmp/ (registered for cleanup, fsynced
 * when sync is set): its path, or NULL with err set. A failure to fill or
 * fsync is wrapped with "write WHAT" unless what is NULL.
 */
static char *
store_stage_fn(struct store *s, int (*fill)(int fd, void *opaque, struct error *err), void *opaque,
               int sync, const char *what, struct error *err)
{
    char *tmp = txn_tmp_path(s->tmp, "file");
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

    if (fd < 0) {
        error_set(err, errno, "create %s", tmp);
        txn_unregister(tmp);
        free(tmp);
        return NULL;
    }
    if (fill(fd, opaque, err) < 0 || (sync && fsync(fd) < 0)) {
        if (!err->msg[0])
            error_set(err, errno, "fsync %s", tmp);
        close(fd);
        txn_discard(tmp);
        free(tmp);
        if (what)
            error_wrap(err, "write %s", what);
        return NULL;
    }
    close(fd);
    return tmp;
}

/* store_write_file_fn; sync_dir 0 leaves the new name to the file system's next flush */
static int
store_write_staged(struct store *s, const char *rel,
                   int (*fill)(int fd, void *opaque, struct error *err), void *opaque, int sync_dir,
                   struct error *err)
{
    cleanup_free char *dst = store_path(s, rel);
    char *tmp = store_stage_fn(s, fill, opaque, 1, dst, err);

    if (!tmp || store_publish_file(s, tmp, rel, err) < 0)
        return -1;
    if (!sync_dir)
        return 0;
    *strrchr(dst, '/') = '\0';
    return fs_fsync_dir(AT_FDCWD, dst, err);
}

int
store_write_file_fn(struct store *s, const char *rel,
                    int (*fill)(int fd, void *opaque, struct error *err), void *opaque,
                    struct error *err)
{
    return store_write_staged(s, rel, fill, opaque, 1, err);
}

struct store_bytes {
    const void *data;
    size_t n;
};

static int
store_fill_bytes(int fd, void *opaque, struct error *err)
{
    const struct store_bytes *b = opaque;

    return fs_write_all(fd, b->data, b->n, err);
}

int
store_write_file(struct store *s, const char *rel, const void *data, size_t n, struct error *err)
{
    struct store_bytes b = {data, n};

    return store_write_staged(s, rel, store_fill_bytes, &b, 1, err);
}

int
store_write_cache_file(struct store *s, const char *rel, const void *data, size_t n,
                       struct error *err)
{
    struct store_bytes b = {data, n};

    return store_write_staged(s, rel, store_fill_bytes, &b, 0, err);
}

char *
store_stage_file(struct store *s, const void *data, size_t n, struct error *err)
{
    struct store_bytes b = {data, n};

    return store_stage_fn(s, store_fill_bytes, &b, 0, NULL, err);
}

int
store_publish_file(struct store *s, char *tmp, const char *rel, struct error *err)
{
    cleanup_free char *dst = store_path(s, rel);
    int rc = 0;

    if (rename(tmp, dst) < 0) {
        rc = error_set(err, errno, "rename %s", dst);
        txn_discard(tmp);
    } else {
        txn_unregister(tmp);
    }
    free(tmp);
    return rc;
}

static int
store_ensure_file(struct store *s, const char *name, const char *content, struct error *err)
{
    if (fs_exists(s->root_fd, name))
        return 0;
    return store_write_file(s, name, content, strlen(content), err);
}

/*
 * Makes the object at fd private (mode & ~077 | owner bits of want) when
 * group or others have any access: the store of an older strata was 0755.
 */
static int
store_tighten_fd(struct store *s, int fd, const char *name, mode_t want, struct error *err)
{
    struct stat st;

    if (fstat(fd, &st) < 0)
        return error_set(err, errno, "store %s: stat %s", s->root, name);
    if (!(st.st_mode & 077))
        return 0;
    if (fchmod(fd, want) < 0)
        return error_set(err, errno, "store %s: make %s private (mode %o)", s->root, name,
                         (unsigned)want);
    return 0;
}

/* Creates dir (0700) or tightens an existing one; never follows a symlink. */
static int
store_private_dir(struct store *s, const char *name, int create, struct error *err)
{
    cleanup_close int fd = -1;

    if (create && mkdirat(s->root_fd, name, 0700) < 0 && errno != EEXIST)
        return error_set(err, errno, "store %s: mkdir %s", s->root, name);
    fd = openat(s->root_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && !create && errno == ENOENT)
        return 0;
    if (fd < 0)
        return error_set(err, errno, "store %s: open %s", s->root, name);
    /*
     * Every step's scratch tree and every unpacked layer starts in tmp/ and
     * is renamed out of it: unrelated trees, each best in block groups of its
     * own (see fs_hint_topdir).
     */
    if (!strcmp(name, "tmp"))
        fs_hint_topdir(fd);
    return store_tighten_fd(s, fd, name, 0700, err);
}

/* Opens (creating) a lock file only the owner can open, so no one else can hold it. */
static int
store_open_lock(struct store *s, const char *name, struct error *err)
{
    int fd = openat(s->root_fd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);

    if (fd < 0)
        return error_set(err, errno, "store %s: open %s", s->root, name);
    if (store_tighten_fd(s, fd, name, 0600, err) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/*
 * The store holds setuid files and device nodes of layers (snapshots, build
 * dirs under tmp) and private image content: nothing in it is for other
 * users. Like Docker's fix for CVE-2021-41091, every directory is 0700, so
 * no other user can reach a snapshot, read a blob or open (and flock) a lock
 * file. Directories made later by other modules live below these.
 */
static int
store_create_layout(struct store *s, struct error *err)
{
    static const char *const dirs[] = {"blobs",   "blobs/sha256", "snapshots",
                                       "diffids", "cache",        "tmp"};
    size_t i;

    for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        if (store_private_dir(s, dirs[i], 1, err) < 0)
            return -1;
    }
    if (store_private_dir(s, "cache-mounts", 0, err) < 0)
        return -1;
    {
        /* only writers open index.lock: tighten an old one now */
        cleanup_close int fd =
            openat(s->root_fd, "index.lock", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd >= 0 && store_tighten_fd(s, fd, "index.lock", 0600, err) < 0)
            return -1;
    }
    if (store_ensure_file(s, "oci-layout", store_layout_json, err) < 0 ||
        store_ensure_file(s, "index.json", store_empty_index, err) < 0)
        return error_wrap(err, "store %s", s->root);
    return 0;
}

static int store_open_mode(struct store *s, const char *root, int op, struct error *err);

/* Creates the parents of root as usual (0755) and root itself private (0700). */
static int
store_mkdir_root(const char *root, struct error *err)
{
    cleanup_free char *parent = xstrdup(root);
    char *slash = strrchr(parent, '/');

    while (slash && slash > parent && !slash[1]) { /* "a/b/" */
        *slash = '\0';
        slash = strrchr(parent, '/');
    }
    if (slash && slash > parent) {
        *slash = '\0';
        if (fs_mkdir_p(AT_FDCWD, parent, 0755, err) < 0)
            return -1;
    }
    if (mkdir(root, 0700) < 0 && errno != EEXIST)
        return error_set(err, errno, "mkdir %s", root);
    return 0;
}

int
store_open(struct store *s, const char *root, enum store_lock lock, struct error *err)
{
    return store_open_mode(s, root, lock == STORE_LOCK_EXCLUSIVE ? LOCK_EX : LOCK_SH, err);
}

int
store_open_try(struct store *s, const char *root, struct error *err)
{
    int rc = store_open_mode(s, root, LOCK_EX | LOCK_NB, err);

    if (rc < 0 && err->sys_errno == EWOULDBLOCK)
        return 1;
    return rc;
}

static int
store_open_mode(struct store *s, const char *root, int op, struct error *err)
{
    cleanup_free char *def = root ? NULL : store_default_root();
    cleanup_free char *abs = NULL;
    const char *r = root ? root : def;

    memset(s, 0, sizeof(*s));
    s->root_fd = s->lock_fd = -1;
    if (store_mkdir_root(r, err) < 0)
        return error_wrap(err, "store %s", r);
    abs = realpath(r, NULL);
    if (!abs)
        return error_set(err, errno, "store %s", r);
    s->root_fd = open(abs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->root_fd < 0)
        return error_set(err, errno, "store %s", abs);
    s->root = steal_ptr(&abs);
    s->tmp = fs_join(s->root, "tmp");
    /* private before anything else is looked at: an older store was 0755 */
    if (store_tighten_fd(s, s->root_fd, "its root", 0700, err) < 0 ||
        (s->lock_fd = store_open_lock(s, "lock", err)) < 0) {
        store_release(s);
        return -1;
    }
    while (flock(s->lock_fd, op) < 0) {
        if (errno != EINTR) {
            error_set(err, errno, "store %s: lock", s->root);
            store_release(s);
            return -1;
        }
    }
    if (store_create_layout(s, err) < 0) {
        store_release(s);
        return -1;
    }
    return 0;
}

void
store_release(struct store *s)
{
    if (!s)
        return;
    if (s->lock_fd >= 0)
        close(s->lock_fd);
    if (s->root_fd >= 0)
        close(s->root_fd);
    free(s->root);
    free(s->tmp);
    memset(s, 0, sizeof(*s));
    s->root_fd = s->lock_fd = -1;
}

char *
store_path(const struct store *s, const char *rel)
{
    return fs_join(s->root, rel);
}

int
store_lock_index(struct store *s, struct error *err)
{
    int fd = store_open_lock(s, "index.lock", err);

    if (fd < 0)
        return -1;
    while (flock(fd, LOCK_EX) < 0) {
        if (errno != EINTR) {
            close(fd);
            return error_set(err, errno, "store %s: lock index", s->root);
        }
    }
    return fd;
}

void
store_unlock_index(int fd)
{
    if (fd >= 0)
        close(fd); /* closing drops the flock */
}
