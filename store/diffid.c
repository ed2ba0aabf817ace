#include "store/diffid.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "formats/archive_io.h"
#include "formats/core/buf.h"
#include "formats/core/fsutil.h"
#include "formats/core/mem.h"
#include "store/blob.h"
#include "store/txn.h"

#include "formats/core/banned.h"

#define DIFFID_DIR "diffids"

int
diffid_lookup(const struct store *s, const char *digest, char out[DIGEST_STR_LEN + 1])
{
    cleanup_free char *rel = xasprintf(DIFFID_DIR "/%s", digest_hex(digest));
    cleanup_buf struct buf b = BUF_INIT;
    struct error err;

    error_init(&err);
    if (fs_read_file_max(s->root_fd, rel, DIGEST_STR_LEN + 2, &b, &err) < 0)
        return 0;
    /* a damaged record is no record: the blob is checked again */
    if (b.len != DIGEST_STR_LEN + 1 || b.data[DIGEST_STR_LEN] != '\n')
        return 0;
    b.data[DIGEST_STR_LEN] = '\0';
    if (digest_validate(b.data, &err) < 0)
        return 0;
    memcpy(out, b.data, DIGEST_STR_LEN + 1);
    return 1;
}

int
diffid_record(struct store *s, const char *digest, const char *diff_id, struct error *err)
{
    cleanup_free char *rel = xasprintf(DIFFID_DIR "/%s", digest_hex(digest));
    cleanup_free char *line = xasprintf("%s\n", diff_id);
    char have[DIGEST_STR_LEN + 1];

    cleanup_free char *tmp = NULL;
    cleanup_close int fd = -1;

    if (diffid_lookup(s, digest, have) && !strcmp(have, diff_id))
        return 0;
    /*
     * Staged and renamed, but not fsynced: a record lost or emptied by a
     * crash reads as no record, and the pair is then checked from the blob.
     */
    tmp = txn_tmp_path(s->tmp, "diffid");
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 || fs_write_all(fd, line, strlen(line), err) < 0 ||
        renameat(AT_FDCWD, tmp, s->root_fd, rel) < 0) {
        if (!err->msg[0])
            error_set(err, errno, "store %s: write %s", s->root, rel);
        txn_discard(tmp);
        return error_wrap(err, "layer %s: record its diff_id", digest);
    }
    txn_unregister(tmp);
    return 0;
}

int
diffid_compute(const struct store *s, const char *digest, char out[DIGEST_STR_LEN + 1],
               struct error *err)
{
    cleanup_close int fd = blob_open(s, digest, err);
    char what[DIGEST_STR_LEN + 16];

    if (fd < 0)
        return error_wrap(err, "layer %s", digest);
    snprintf(what, sizeof(what), "layer %s", digest);
    return archive_io_diff_id(fd, what, out, NULL, err);
}

int
diffid_verify(struct store *s, const char *digest, const char *diff_id, struct error *err)
{
    char got[DIGEST_STR_LEN + 1];

    if (!diffid_lookup(s, digest, got)) {
        if (diffid_compute(s, digest, got, err) < 0)
            return -1;
        if (!strcmp(got, diff_id) && diffid_record(s, digest, diff_id, err) < 0)
            return -1;
    }
    if (strcmp(got, diff_id) != 0)
        return error_input(err, "layer %s: uncompressed content hashes to %s, the image says %s",
                           digest, got, diff_id);
    return 0;
}
