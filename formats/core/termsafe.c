#include "formats/core/termsafe.h"

#include "formats/core/banned.h"

/*
 * Length of the valid UTF-8 sequence at s (at most n bytes), 0 when the byte
 * at s does not start one (RFC 3629 section 4: no overlong forms, no
 * surrogates, nothing above U+10FFFF). *cp receives the code point.
 */
static size_t
termsafe_utf8(const unsigned char *s, size_t n, unsigned *cp)
{
    size_t len, i;
    unsigned c = s[0], min;

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2, c &= 0x1f, min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3, c &= 0x0f, min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4, c &= 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return len;
}

static int
termsafe_control(unsigned cp)
{
    return (cp < 0x20 && cp != '\t' && cp != '\n') || (cp >= 0x7f && cp <= 0x9f);
}

static void
termsafe_hex(struct buf *out, const unsigned char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        buf_addf(out, "\\x%02x", s[i]);
}

void
termsafe_add(struct buf *out, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, k, run;
    unsigned cp;

    while (i < n) {
        run = i;
        while (i < n && (k = termsafe_utf8(p + i, n - i, &cp)) && !termsafe_control(cp))
            i += k;
        buf_add(out, p + run, i - run);
        if (i == n)
            break;
        k = termsafe_utf8(p + i, n - i, &cp);
        termsafe_hex(out, p + i, k ? k : 1);
        i += k ? k : 1;
    }
}

void
termsafe_add_json(struct buf *out, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, k, run;
    unsigned cp;

    while (i < n) {
        run = i;
        while (i < n && (k = termsafe_utf8(p + i, n - i, &cp)) && !termsafe_control(cp))
            i += k;
        buf_add(out, p + run, i - run);
        if (i == n)
            break;
        k = termsafe_utf8(p + i, n - i, &cp);
        if (k)
            buf_addf(out, "\\u%04x", cp);
        else
            buf_adds(out, "\\ufffd");
        i += k ? k : 1;
    }
}

int
termsafe_is_clean(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, k;
    unsigned cp;

    while (i < n) {
        k = termsafe_utf8(p + i, n - i, &cp);
        if (!k || termsafe_control(cp))
            return 0;
        i += k;
    }
    return 1;
}
