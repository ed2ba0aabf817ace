/*
 * Fuzz target for tar_read_extract(): the input is a layer stream (any
 * compression); it is extracted in both modes into a fresh tmp dir, and
 * nothing may land outside it: the tmp dir must hold only the two targets and
 * FUZZ_OUTSIDE (which seeds point symlinks at) must stay empty.
 *
 * libFuzzer (clang):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -I. \
 *     tests/fuzz/fuzz_tar_read.c formats/tar_read.c \
 *     formats/compress.c formats/whiteout.c formats/digest.c formats/core/[a-z]*.c \
 *     $(pkg-config --cflags --libs libarchive libcrypto libzstd zlib) -o fuzz_tar_read
 *   ./fuzz_tar_read tests/fuzz/corpus/tar_read
 * Replay under gcc: the same with -DFUZZ_REPLAY instead of -fsanitize=fuzzer;
 * `fuzz_tar_read FILE...` runs each input once.
 */
#include "formats/tar_read.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats/core/buf.h"
#include "formats/core/fsutil.h"

#include "formats/core/banned.h"

#define FUZZ_OUTSIDE "/tmp/strata-fuzz-outside"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int n = 0;

    if (!d)
        return -1;
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

static void
extract_once(const char *base, const char *name, const uint8_t *data, size_t size,
             enum tar_read_mode mode)
{
    struct tar_read_result res;
    struct error err;
    char dest[4096];
    int in = memfd_create("fuzz-layer", MFD_CLOEXEC), dfd;

    snprintf(dest, sizeof(dest), "%s/%s", base, name);
    if (in < 0 || mkdir(dest, 0755) < 0 || (dfd = open(dest, O_PATH | O_DIRECTORY)) < 0)
        abort();
    error_init(&err);
    if (fs_write_all(in, data, size, &err) < 0 || lseek(in, 0, SEEK_SET) < 0)
        abort();
    if (tar_read_extract(in, dfd, mode, 0, "fuzz", &res, &err) < 0 && !err.msg[0])
        abort(); /* a failure always says why */
    close(dfd);
    close(in);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char base[] = "/tmp/strata-fuzz-XXXXXX";
    struct error err;

    mkdir(FUZZ_OUTSIDE, 0755);
    if (!mkdtemp(base))
        abort();
    extract_once(base, "snapshot", data, size, TAR_READ_SNAPSHOT);
    extract_once(base, "apply", data, size, TAR_READ_APPLY);
    if (count_entries(base) != 2 || count_entries(FUZZ_OUTSIDE) != 0) {
        fprintf(stderr, "fuzz_tar_read: something was written outside %s\n", base);
        abort();
    }
    error_init(&err);
    fs_rm_rf(AT_FDCWD, base, &err);
    return 0;
}

#ifdef FUZZ_REPLAY
int
main(int argc, char **argv)
{
    int i;

    for (i = 1; i < argc; i++) {
        struct buf b = BUF_INIT;
        struct error err;

        error_init(&err);
        if (fs_read_file(AT_FDCWD, argv[i], &b, &err) < 0) {
            fprintf(stderr, "%s\n", err.msg);
            return 2;
        }
        LLVMFuzzerTestOneInput((const uint8_t *)b.data, b.len);
        buf_release(&b);
    }
    printf("replayed %d inputs\n", argc - 1);
    return 0;
}
#endif
