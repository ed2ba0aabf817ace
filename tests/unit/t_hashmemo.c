#include "store/hashmemo.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats/core/fsutil.h"
#include "store/store.h"
#include "tests/unit/harness.h"

#include "formats/core/banned.h"

/* A stat of file i as the context walk sees it: changed a day before now. */
static struct stat
file_stat(unsigned i, long long size)
{
    struct stat st;

    memset(&st, 0, sizeof(st));
    st.st_dev = 2049;
    st.st_ino = 1000 + i;
    st.st_size = size;
    st.st_mtim.tv_sec = time(NULL) - 86400;
    st.st_mtim.tv_nsec = (long)i;
    st.st_ctim = st.st_mtim;
    return st;
}

static void
file_digest(unsigned i, char out[DIGEST_STR_LEN + 1])
{
    digest_bytes(&i, sizeof(i), out);
}

TEST(hashmemo_remembers_files_across_a_save_and_a_load)
{
    const unsigned n = 3000; /* the table grows several times */
    struct hashmemo m;
    struct store s;
    struct error err;
    char want[DIGEST_STR_LEN + 1], got[DIGEST_STR_LEN + 1];
    struct stat st;
    unsigned i;

    error_init(&err);
    CHECK_OK(store_open(&s, "st-memo", STORE_LOCK_EXCLUSIVE, &err), err);
    hashmemo_load(&m, &s);
    CHECK_INT(m.n, 0);
    for (i = 0; i < n; i++) {
        st = file_stat(i, 100 + i);
        file_digest(i, want);
        hashmemo_put(&m, &st, want);
    }
    CHECK_INT(m.n, n);
    CHECK(m.n * 4 <= m.cap * 3);
    CHECK_OK(hashmemo_save(&m, &s, &err), err);
    hashmemo_release(&m);

    hashmemo_load(&m, &s);
    CHECK_INT(m.n, n);
    for (i = 0; i < n; i++) {
        st = file_stat(i, 100 + i);
        file_digest(i, want);
        CHECK_INT(hashmemo_get(&m, &st, got), 1);
        CHECK_STR(got, want);
    }
    /* only an unchanged file is a hit */
    st = file_stat(7, 107 + 1);
    CHECK_INT(hashmemo_get(&m, &st, got), 0);
    st = file_stat(7, 107);
    st.st_mtim.tv_nsec++;
    CHECK_INT(hashmemo_get(&m, &st, got), 0);
    st = file_stat(7, 107);
    st.st_ctim.tv_sec++;
    CHECK_INT(hashmemo_get(&m, &st, got), 0);
    st = file_stat(7, 107);
    st.st_dev++;
    CHECK_INT(hashmemo_get(&m, &st, got), 0);
    st = file_stat(n + 1, 1);
    CHECK_INT(hashmemo_get(&m, &st, got), 0);
    /* a file hashed again replaces its entry */
    st = file_stat(7, 5);
    file_digest(70000, want);
    hashmemo_put(&m, &st, want);
    CHECK_INT(m.n, n);
    CHECK_INT(hashmemo_get(&m, &st, got), 1);
    CHECK_STR(got, want);
    hashmemo_release(&m);
    store_release(&s);
}

TEST(hashmemo_leaves_out_files_changed_just_now)
{
    struct hashmemo m;
    struct store s;
    struct error err;
    char d[DIGEST_STR_LEN + 1], got[DIGEST_STR_LEN + 1];
    struct stat st = file_stat(1, 10);

    error_init(&err);
    CHECK_OK(store_open(&s, "st-racy", STORE_LOCK_EXCLUSIVE, &err), err);
    hashmemo_load(&m, &s);
    file_digest(1, d);
    st.st_mtim.tv_sec = time(NULL);
    hashmemo_put(&m, &st, d);
    st = file_stat(2, 10);
    st.st_ctim.tv_sec = time(NULL) + 60;
    hashmemo_put(&m, &st, d);
    st = file_stat(3, 10);
    hashmemo_put(&m, &st, "sha256:nothex"); /* not a digest: nothing remembered */
    CHECK_INT(m.n, 0);
    CHECK_INT(m.dirty, 0);
    CHECK_INT(hashmemo_get(&m, &st, got), 0);
    hashmemo_release(&m);
    store_release(&s);
}

TEST(hashmemo_drops_a_damaged_or_older_memo_whole)
{
    struct hashmemo m;
    struct store s;
    struct error err;
    char d[DIGEST_STR_LEN + 1], got[DIGEST_STR_LEN + 1];
    struct stat st = file_stat(1, 10), fst;

    error_init(&err);
    CHECK_OK(store_open(&s, "st-bad", STORE_LOCK_EXCLUSIVE, &err), err);
    hashmemo_load(&m, &s);
    file_digest(1, d);
    hashmemo_put(&m, &st, d);
    CHECK_OK(hashmemo_save(&m, &s, &err), err);
    hashmemo_release(&m);
    CHECK(fstatat(s.root_fd, "cache/hashmemo", &fst, 0) == 0);
    CHECK_INT(fst.st_size, strlen("strata-hashmemo-3\n") + sizeof(struct hashmemo_entry));
    hashmemo_load(&m, &s);
    CHECK_INT(hashmemo_get(&m, &st, got), 1);
    hashmemo_release(&m);

    /* one byte short: not a whole number of entries */
    CHECK(truncate("st-bad/cache/hashmemo", fst.st_size - 1) == 0);
    hashmemo_load(&m, &s);
    CHECK_INT(m.n, 0);
    CHECK_INT(hashmemo_get(&m, &st, got), 0);
    hashmemo_release(&m);

    /* the format before (digests as text) */
    CHECK_OK(store_write_file(&s, "cache/hashmemo", "strata-hashmemo-2\n", 18, &err), err);
    hashmemo_load(&m, &s);
    CHECK_INT(m.n, 0);
    hashmemo_release(&m);
    store_release(&s);
}
