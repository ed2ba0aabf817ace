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

/* image-spec image-layout.md, "oci-layout file" */
static const char store_layout_json[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
static const char store_empty_index[] =
    "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\","
    "\"manifests\":[]}";

char *
store_default_root(void)
{
    const char *xdg = getenv("XDG_DATA_HOME");
    const char *home = getenv("HOME");

    if (geteuid() == 0)
        return xstrdup("/var/lib/strata");
    if (xdg && *xdg)
        return fs_join(xdg, "strata");
    return fs_join(home && *home ? home : "/tmp", ".local/share/strata");
}

int
store_write_file(struct store *s, const char *rel, const void *data, size_t n, struct error *err)
{
    cleanup_free char *tmp = txn_tmp_path(s->tmp, "file");
    cleanup_free char *dst = store_path(s, rel);
    cleanup_free char *dir = xstrdup(dst);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

    if (fd < 0) {
        txn_unregister(tmp);
        return error_set(err, errno, "create %s", tmp);
    }
    if (fs_write_all(fd, data, n, err) < 0 || fsync(fd) < 0) {
        if (!err->msg[0])
            error_set(err, errno, "fsync %s", tmp);
        close(fd);
        txn_discard(tmp);
        return error_wrap(err, "write %s", dst);
    }
    close(fd);
    if (rename(tmp, dst) < 0) {
        int e = errno;
        txn_discard(tmp);
        return error_set(err, e, "rename %s", dst);
    }
    txn_unregister(tmp);
    *strrchr(dir, '/') = '\0';
    return fs_fsync_dir(AT_FDCWD, dir, err);
}

static int
store_ensure_file(struct store *s, const char *name, const char *content, struct error *err)
{
    if (fs_exists(s->root_fd, name))
        return 0;
    return store_write_file(s, name, content, strlen(content), err);
}

static int
store_create_layout(struct store *s, struct error *err)
{
    static const char *const dirs[] = {"blobs", "blobs/sha256", "snapshots", "cache", "tmp"};
    size_t i;

    for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        if (mkdirat(s->root_fd, dirs[i], 0755) < 0 && errno != EEXIST)
            return error_set(err, errno, "store %s: mkdir %s", s->root, dirs[i]);
    }
    if (store_ensure_file(s, "oci-layout", store_layout_json, err) < 0 ||
        store_ensure_file(s, "index.json", store_empty_index, err) < 0)
        return error_wrap(err, "store %s", s->root);
    return 0;
}

static int store_open_mode(struct store *s, const char *root, int op, struct error *err);

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
    if (fs_mkdir_p(AT_FDCWD, r, 0755, err) < 0)
        return error_wrap(err, "store %s", r);
    abs = realpath(r, NULL);
    if (!abs)
        return error_set(err, errno, "store %s", r);
    s->root_fd = open(abs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->root_fd < 0)
        return error_set(err, errno, "store %s", abs);
    s->root = steal_ptr(&abs);
    s->tmp = fs_join(s->root, "tmp");
    s->lock_fd = openat(s->root_fd, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (s->lock_fd < 0) {
        error_set(err, errno, "store %s: open lock", s->root);
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
    int fd = openat(s->root_fd, "index.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0644);

    if (fd < 0)
        return error_set(err, errno, "store %s: open index.lock", s->root);
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
