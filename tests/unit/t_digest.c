#include "formats/digest.h"

#include <fcntl.h>

#include "formats/core/fsutil.h"
#include "tests/unit/harness.h"

#include "formats/core/banned.h"

/* Expected values are the FIPS 180-2 test vectors (also `printf abc | sha256sum`). */
TEST(digest_known_vectors)
{
    char out[DIGEST_STR_LEN + 1];

    digest_bytes("", 0, out);
    CHECK_STR(out, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    digest_bytes("abc", 3, out);
    CHECK_STR(out, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(digest_streaming_equals_oneshot)
{
    struct digest_ctx d;
    char a[DIGEST_STR_LEN + 1], b[DIGEST_STR_LEN + 1];

    digest_init(&d);
    digest_update(&d, "hello ", 6);
    digest_update(&d, "world", 5);
    digest_final(&d, a);
    digest_bytes("hello world", 11, b);
    CHECK_STR(a, b);
}

TEST(digest_file_and_validate)
{
    struct error err;
    char a[DIGEST_STR_LEN + 1], b[DIGEST_STR_LEN + 1];

    error_init(&err);
    CHECK_OK(fs_write_atomic(AT_FDCWD, "f", "abc", 3, 0644, &err), err);
    CHECK_OK(digest_file(AT_FDCWD, "f", a, &err), err);
    digest_bytes("abc", 3, b);
    CHECK_STR(a, b);
    CHECK_OK(digest_validate(a, &err), err);
    CHECK_FAIL(digest_validate("sha256:XYZ", &err), err, "invalid digest");
    CHECK_FAIL(digest_validate("md5:0123", &err), err, "invalid digest");
    CHECK_FAIL(digest_file(AT_FDCWD, "missing", a, &err), err, "open missing");
}

TEST(digest_bytes_and_text_convert_both_ways)
{
    const char *d = "sha256:00ff10a0e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b";
    unsigned char sum[DIGEST_BYTES];
    char back[DIGEST_STR_LEN + 1];

    CHECK_INT(digest_to_bytes(d, sum), 0);
    CHECK_INT(sum[0], 0x00);
    CHECK_INT(sum[1], 0xff);
    CHECK_INT(sum[2], 0x10);
    CHECK_INT(sum[31], 0x1b);
    digest_from_bytes(sum, back);
    CHECK_STR(back, d);
    /* upper-case hex, a short digest, another algorithm: not digests */
    CHECK_INT(digest_to_bytes(
                  "sha256:00FF10a0e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b", sum),
              -1);
    CHECK_INT(digest_to_bytes("sha256:00ff", sum), -1);
    CHECK_INT(digest_to_bytes(
                  "sha512:00ff10a0e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b", sum),
              -1);
}
