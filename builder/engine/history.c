/*
 * Go's fmt and strconv output for the history texts, where BuildKit prints
 * Go values (the Go specification, "Rune literals" and "String literals";
 * package time, Duration.String).
 */
#include "builder/engine/history.h"

#include <stdio.h>
#include <string.h>

#include "formats/core/banned.h"

/* One byte the way strconv.Quote writes it inside quote (a '"' or '\''). */
static void
history_quote_byte(struct buf *out, unsigned char c, char quote)
{
    static const char names[] = "abtnvfr";

    if (c == (unsigned char)quote || c == '\\') {
        buf_addch(out, '\\');
        buf_addch(out, (char)c);
    } else if (c >= 7 && c <= 13) {
        buf_addch(out, '\\');
        buf_addch(out, names[c - 7]);
    } else if (c < 0x20 || c == 0x7f) {
        buf_addf(out, "\\x%02x", c);
    } else {
        buf_addch(out, (char)c); /* printable ASCII, and UTF-8 kept as it is */
    }
}

void
history_quote(struct buf *out, const char *s)
{
    buf_addch(out, '"');
    for (; *s; s++)
        history_quote_byte(out, (unsigned char)*s, '"');
    buf_addch(out, '"');
}

void
history_quote_list(struct buf *out, const struct strvec *v)
{
    size_t i;

    buf_addch(out, '[');
    for (i = 0; i < v->n; i++) {
        if (i)
            buf_addch(out, ' ');
        history_quote(out, v->v[i]);
    }
    buf_addch(out, ']');
}

void
history_list(struct buf *out, const struct strvec *v)
{
    size_t i;

    buf_addch(out, '[');
    for (i = 0; i < v->n; i++) {
        if (i)
            buf_addch(out, ' ');
        buf_adds(out, v->v[i]);
    }
    buf_addch(out, ']');
}

/* v / 10^prec with its fraction, trailing zeros dropped (Go's fmtFrac and fmtInt). */
static void
history_frac(struct buf *out, long long v, int prec)
{
    long long scale = 1, whole, frac;
    char digits[24];
    int i, n;

    for (i = 0; i < prec; i++)
        scale *= 10;
    whole = v / scale;
    frac = v % scale;
    buf_addf(out, "%lld", whole);
    if (!frac)
        return;
    n = snprintf(digits, sizeof(digits), "%0*lld", prec, frac);
    while (n > 0 && digits[n - 1] == '0')
        digits[--n] = '\0';
    buf_addf(out, ".%s", digits);
}

void
history_duration(struct buf *out, long long ns)
{
    long long secs, h, m;

    if (ns <= 0) {
        buf_adds(out, "0s");
        return;
    }
    if (ns < 1000) {
        buf_addf(out, "%lldns", ns);
        return;
    }
    if (ns < 1000000) {
        history_frac(out, ns, 3);
        buf_adds(out, "\xc2\xb5s"); /* U+00B5 MICRO SIGN, as Go writes it */
        return;
    }
    if (ns < 1000000000) {
        history_frac(out, ns, 6);
        buf_adds(out, "ms");
        return;
    }
    secs = ns / 1000000000;
    h = secs / 3600;
    m = secs / 60 % 60;
    if (h)
        buf_addf(out, "%lldh", h);
    if (h || m)
        buf_addf(out, "%lldm", m);
    history_frac(out, (secs % 60) * 1000000000 + ns % 1000000000, 9);
    buf_addch(out, 's');
}

void
history_rune(struct buf *out, long long r)
{
    if (r >= 0 && r < 0x80) {
        buf_addch(out, '\'');
        history_quote_byte(out, (unsigned char)r, '\'');
        buf_addch(out, '\'');
    } else if (r < 0x10000 && r >= 0) {
        buf_addf(out, "'\\u%04llx'", r);
    } else {
        buf_addf(out, "'\\U%08llx'", r);
    }
}
