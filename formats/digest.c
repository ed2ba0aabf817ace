#include "formats/digest.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <string.h>
#include <unistd.h>

#include "formats/core/mem.h"

#include "formats/core/banned.h"

void
digest_init(struct digest_ctx *d)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();

    if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
        BUG("EVP sha256 init failed");
    d->evp = ctx;
}

void
digest_update(struct digest_ctx *d, const void *data, size_t n)
{
    if (n && EVP_DigestUpdate(d->evp, data, n) != 1)
        BUG("EVP update failed");
}

void
digest_from_bytes(const unsigned char sum[DIGEST_BYTES], char out[DIGEST_STR_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    int i;

    memcpy(out, "sha256:", 7);
    for (i = 0; i < DIGEST_BYTES; i++) {
        out[7 + 2 * i] = hex[sum[i] >> 4];
        out[8 + 2 * i] = hex[sum[i] & 15];
    }
    out[DIGEST_STR_LEN] = '\0';
}

static int
digest_nibble(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int
digest_to_bytes(const char *digest, unsigned char sum[DIGEST_BYTES])
{
    int i;

    if (strncmp(digest, "sha256:", 7) != 0 || strlen(digest) != DIGEST_STR_LEN)
        return -1;
    for (i = 0; i < DIGEST_BYTES; i++) {
        int hi = digest_nibble(digest[7 + 2 * i]), lo = digest_nibble(digest[8 + 2 * i]);
        if (hi < 0 || lo < 0)
            return -1;
        sum[i] = (unsigned char)(hi << 4 | lo);
    }
    return 0;
}

void
digest_final(struct digest_ctx *d, char out[DIGEST_STR_LEN + 1])
{
    unsigned char md[DIGEST_BYTES];
    unsigned int len = 0;

    if (EVP_DigestFinal_ex(d->evp, md, &len) != 1 || len != DIGEST_BYTES)
        BUG("EVP final failed");
    digest_from_bytes(md, out);
    digest_release(d);
}

void
digest_release(struct digest_ctx *d)
{
    if (d->evp)
        EVP_MD_CTX_free(d->evp);
    d->evp = NULL;
}

void
digest_bytes(const void *data, size_t n, char out[DIGEST_STR_LEN + 1])
{
    struct digest_ctx d;

    digest_init(&d);
    digest_update(&d, data, n);
    digest_final(&d, out);
}

int
digest_fd(int fd, char out[DIGEST_STR_LEN + 1], struct error *err)
{
    static const size_t bufsz = 1 << 18;
    cleanup_free char *buf = xmalloc(bufsz);
    struct digest_ctx d;

    digest_init(&d);
    for (;;) {
        ssize_t r = read(fd, buf, bufsz);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            digest_release(&d);
            return error_set(err, errno, "read");
        }
        if (r == 0)
            break;
        digest_update(&d, buf, (size_t)r);
    }
    digest_final(&d, out);
    return 0;
}

int
digest_file(int dirfd, const char *path, char out[DIGEST_STR_LEN + 1], struct error *err)
{
    cleanup_close int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return error_set(err, errno, "open %s", path);
    if (digest_fd(fd, out, err) < 0)
        return error_wrap(err, "%s", path);
    return 0;
}

int
digest_validate(const char *s, struct error *err)
{
    size_t i;

    if (strncmp(s, "sha256:", 7) != 0 || strlen(s) != DIGEST_STR_LEN)
        return error_input(err, "invalid digest \"%.80s\"", s);
    for (i = 7; i < DIGEST_STR_LEN; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return error_input(err, "invalid digest \"%.80s\"", s);
    }
    return 0;
}

const char *
digest_hex(const char *digest)
{
    return strncmp(digest, "sha256:", 7) == 0 ? digest + 7 : digest;
}
