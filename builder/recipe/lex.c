#include "builder/recipe/lex.h"

#include <stdio.h>
#include <string.h>

#include "formats/core/mem.h"

#include "formats/core/banned.h"

/* Bits of struct lex.seen: each directive may appear once. */
#define LEX_SEEN_ESCAPE 1u
#define LEX_SEEN_SYNTAX 2u
#define LEX_SEEN_CHECK 4u

/* encoding/json's scanner gives up beyond this nesting (maxNestingDepth). */
#define LEX_JSON_MAX_DEPTH 10000

/* How much of a source line an error message quotes. */
#define LEX_SHOW_MAX 160

/* ---- UTF-8 and Go's character classes ---- */

size_t
lex_utf8(const char *s, size_t n, long *cp)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t len, i;
    long c, min;

    *cp = -1;
    if (n == 0)
        return 0;
    if (u[0] < 0x80) {
        *cp = u[0];
        return 1;
    }
    if (u[0] >= 0xC2 && u[0] <= 0xDF) {
        len = 2, c = u[0] & 0x1F, min = 0x80;
    } else if (u[0] >= 0xE0 && u[0] <= 0xEF) {
        len = 3, c = u[0] & 0x0F, min = 0x800;
    } else if (u[0] >= 0xF0 && u[0] <= 0xF4) {
        len = 4, c = u[0] & 0x07, min = 0x10000;
    } else {
        return 1;
    }
    if (n < len)
        return 1;
    for (i = 1; i < len; i++) {
        if ((u[i] & 0xC0) != 0x80)
            return 1;
        c = (c << 6) | (u[i] & 0x3F);
    }
    /* overlong forms, UTF-16 surrogates and values past U+10FFFF are invalid */
    if (c < min || (c >= 0xD800 && c <= 0xDFFF) || c > 0x10FFFF)
        return 1;
    *cp = c;
    return len;
}

/* unicode.IsSpace: Latin-1 spaces plus the White_Space property. */
static int
lex_rune_space(long c)
{
    switch (c) {
    case '\t':
    case '\n':
    case '\v':
    case '\f':
    case '\r':
    case ' ':
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
        return 1;
    default:
        return c >= 0x2000 && c <= 0x200A;
    }
}

size_t
lex_space_len(const char *s, size_t n)
{
    long c;
    size_t len = lex_utf8(s, n, &c);

    return c >= 0 && lex_rune_space(c) ? len : 0;
}

int
lex_byte_space(unsigned char b)
{
    return lex_rune_space(b);
}

/*
 * An approximation of unicode.IsPrint without the Unicode tables: controls,
 * non-ASCII spaces, the common format characters, private use and
 * noncharacters are not printable; unassigned code points are taken as
 * printable (Go would escape them).
 */
static int
lex_printable(long c)
{
    static const long ranges[][2] = {
        {0x00, 0x1F},       {0x7F, 0xA0},        {0xAD, 0xAD},       {0x600, 0x605},
        {0x61C, 0x61C},     {0x6DD, 0x6DD},      {0x70F, 0x70F},     {0x8E2, 0x8E2},
        {0x1680, 0x1680},   {0x180E, 0x180E},    {0x2000, 0x200F},   {0x2028, 0x202F},
        {0x205F, 0x2064},   {0x2066, 0x206F},    {0x3000, 0x3000},   {0xD800, 0xF8FF},
        {0xFDD0, 0xFDEF},   {0xFEFF, 0xFEFF},    {0xFFF9, 0xFFFB},   {0x110BD, 0x110BD},
        {0x110CD, 0x110CD}, {0x1BCA0, 0x1BCA3},  {0x1D173, 0x1D17A}, {0xE0001, 0xE0001},
        {0xE0020, 0xE007F}, {0xF0000, 0x10FFFF},
    };
    size_t i;

    if ((c & 0xFFFE) == 0xFFFE)
        return 0;
    for (i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++)
        if (c >= ranges[i][0] && c <= ranges[i][1])
            return 0;
    return 1;
}

/* ---- strconv.Quote ---- */

static void
lex_quote_ascii(struct buf *out, unsigned char c)
{
    static const char hex[] = "0123456789abcdef";

    switch (c) {
    case '"':
        buf_adds(out, "\\\"");
        return;
    case '\\':
        buf_adds(out, "\\\\");
        return;
    case '\a':
        buf_adds(out, "\\a");
        return;
    case '\b':
        buf_adds(out, "\\b");
        return;
    case '\f':
        buf_adds(out, "\\f");
        return;
    case '\n':
        buf_adds(out, "\\n");
        return;
    case '\r':
        buf_adds(out, "\\r");
        return;
    case '\t':
        buf_adds(out, "\\t");
        return;
    case '\v':
        buf_adds(out, "\\v");
        return;
    default:
        break;
    }
    if (c < 0x20 || c >= 0x7F) {
        buf_adds(out, "\\x");
        buf_addch(out, hex[c >> 4]);
        buf_addch(out, hex[c & 0xF]);
        return;
    }
    buf_addch(out, (char)c);
}

void
lex_quote(struct buf *out, const char *s, size_t n)
{
    size_t i = 0, len;
    long c;

    buf_addch(out, '"');
    while (i < n) {
        if ((unsigned char)s[i] < 0x80) {
            lex_quote_ascii(out, (unsigned char)s[i++]);
            continue;
        }
        len = lex_utf8(s + i, n - i, &c);
        if (c < 0)
            lex_quote_ascii(out, (unsigned char)s[i]);
        else if (lex_printable(c))
            buf_add(out, s + i, len);
        else if (c < 0x10000)
            buf_addf(out, "\\u%04lx", c);
        else
            buf_addf(out, "\\U%08lx", c);
        i += len;
    }
    buf_addch(out, '"');
}

/* ---- word lists ---- */

void
lex_words_push(struct lex_words *w, const char *s, size_t n, size_t off)
{
    char *copy = xmalloc(n + 1);

    memcpy(copy, s, n);
    copy[n] = '\0';
    if (w->v.n + 1 > w->alloc) {
        size_t alloc = w->alloc;
        w->len = xgrow(w->len, sizeof(*w->len), w->v.n + 1, &alloc);
        alloc = w->alloc;
        w->off = xgrow(w->off, sizeof(*w->off), w->v.n + 1, &alloc);
        w->alloc = alloc;
    }
    w->len[w->v.n] = n;
    w->off[w->v.n] = off;
    strvec_push_owned(&w->v, copy);
}

void
lex_words_release(struct lex_words *w)
{
    strvec_release(&w->v);
    free(w->len);
    free(w->off);
    w->len = NULL;
    w->off = NULL;
    w->alloc = 0;
}

/* ---- JSON (encoding/json acceptance) ---- */

struct lex_json {
    const char *s;
    size_t n, i;
};

static void
lex_json_ws(struct lex_json *j)
{
    while (j->i < j->n && strchr(" \t\r\n", j->s[j->i]) && j->s[j->i])
        j->i++;
}

static int
lex_json_hex4(const char *s, size_t n, long *v)
{
    size_t k;

    *v = 0;
    if (n < 4)
        return -1;
    for (k = 0; k < 4; k++) {
        char c = s[k];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return -1;
        *v = *v * 16 + d;
    }
    return 0;
}

static void
lex_utf8_put(struct buf *b, long c)
{
    if (c < 0x80) {
        buf_addch(b, (char)c);
    } else if (c < 0x800) {
        buf_addch(b, (char)(0xC0 | (c >> 6)));
        buf_addch(b, (char)(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
        buf_addch(b, (char)(0xE0 | (c >> 12)));
        buf_addch(b, (char)(0x80 | ((c >> 6) & 0x3F)));
        buf_addch(b, (char)(0x80 | (c & 0x3F)));
    } else {
        buf_addch(b, (char)(0xF0 | (c >> 18)));
        buf_addch(b, (char)(0x80 | ((c >> 12) & 0x3F)));
        buf_addch(b, (char)(0x80 | ((c >> 6) & 0x3F)));
        buf_addch(b, (char)(0x80 | (c & 0x3F)));
    }
}

/* A \uXXXX escape at j->i (past the backslash and 'u'), pairing surrogates like Go. */
static int
lex_json_u(struct lex_json *j, struct buf *out)
{
    long c, lo;

    if (lex_json_hex4(j->s + j->i, j->n - j->i, &c) < 0)
        return -1;
    j->i += 4;
    if (c >= 0xD800 && c <= 0xDFFF) {
        if (c < 0xDC00 && j->n - j->i >= 6 && j->s[j->i] == '\\' && j->s[j->i + 1] == 'u' &&
            lex_json_hex4(j->s + j->i + 2, j->n - j->i - 2, &lo) == 0 && lo >= 0xDC00 &&
            lo <= 0xDFFF) {
            c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
            j->i += 6;
        } else {
            c = 0xFFFD;
        }
    }
    if (out)
        lex_utf8_put(out, c);
    return 0;
}

/* A string at j->i (on the opening quote); decodes into out when out is not NULL. */
static int
lex_json_string(struct lex_json *j, struct buf *out)
{
    static const char esc_in[] = "\"\\/bfnrt", esc_out[] = "\"\\/\b\f\n\r\t";

    for (j->i++; j->i < j->n;) {
        unsigned char c = (unsigned char)j->s[j->i];
        const char *e;
        long cp;
        size_t len;

        if (c == '"') {
            j->i++;
            return 0;
        }
        if (c < 0x20)
            return -1;
        if (c == '\\') {
            if (++j->i >= j->n)
                return -1;
            c = (unsigned char)j->s[j->i++];
            if (c == 'u') {
                if (lex_json_u(j, out) < 0)
                    return -1;
            } else if (c && (e = strchr(esc_in, c))) {
                if (out)
                    buf_addch(out, esc_out[e - esc_in]);
            } else {
                return -1;
            }
            continue;
        }
        len = lex_utf8(j->s + j->i, j->n - j->i, &cp);
        if (out && cp < 0)
            buf_adds(out, "\xEF\xBF\xBD");
        else if (out)
            buf_add(out, j->s + j->i, len);
        j->i += len;
    }
    return -1;
}

static int
lex_json_digits(struct lex_json *j)
{
    size_t start = j->i;

    while (j->i < j->n && j->s[j->i] >= '0' && j->s[j->i] <= '9')
        j->i++;
    return j->i > start ? 0 : -1;
}

static int
lex_json_number(struct lex_json *j)
{
    if (j->s[j->i] == '-')
        j->i++;
    if (j->i < j->n && j->s[j->i] == '0')
        j->i++;
    else if (lex_json_digits(j) < 0)
        return -1;
    if (j->i < j->n && j->s[j->i] == '.') {
        j->i++;
        if (lex_json_digits(j) < 0)
            return -1;
    }
    if (j->i < j->n && (j->s[j->i] == 'e' || j->s[j->i] == 'E')) {
        j->i++;
        if (j->i < j->n && (j->s[j->i] == '+' || j->s[j->i] == '-'))
            j->i++;
        if (lex_json_digits(j) < 0)
            return -1;
    }
    return 0;
}

/* A key and its ':' inside an object. */
static int
lex_json_key(struct lex_json *j)
{
    if (j->i >= j->n || j->s[j->i] != '"' || lex_json_string(j, NULL) < 0)
        return -1;
    lex_json_ws(j);
    if (j->i >= j->n || j->s[j->i++] != ':')
        return -1;
    return 0;
}

/* A string, number or literal at j->i. */
static int
lex_json_scalar(struct lex_json *j)
{
    static const char *const words[] = {"true", "false", "null"};
    size_t k, len;

    if (j->s[j->i] == '"')
        return lex_json_string(j, NULL);
    for (k = 0; k < 3; k++) {
        len = strlen(words[k]);
        if (j->n - j->i >= len && !memcmp(j->s + j->i, words[k], len)) {
            j->i += len;
            return 0;
        }
    }
    if (j->s[j->i] == '-' || (j->s[j->i] >= '0' && j->s[j->i] <= '9'))
        return lex_json_number(j);
    return -1;
}

/*
 * Validates one JSON value at j->i without recursion: closers holds the
 * bracket each open array or object waits for.
 */
static int
lex_json_value(struct lex_json *j)
{
    char closers[LEX_JSON_MAX_DEPTH];
    size_t depth = 0;
    int want_value = 1;

    for (;;) {
        lex_json_ws(j);
        if (!want_value && depth == 0)
            return 0;
        if (j->i >= j->n)
            return -1;
        if (!want_value) {
            if (j->s[j->i] == closers[depth - 1]) {
                j->i++;
                depth--;
                continue;
            }
            if (j->s[j->i++] != ',')
                return -1;
            lex_json_ws(j);
            if (closers[depth - 1] == '}' && lex_json_key(j) < 0)
                return -1;
            want_value = 1;
            continue;
        }
        if (j->s[j->i] != '[' && j->s[j->i] != '{') {
            if (lex_json_scalar(j) < 0)
                return -1;
            want_value = 0;
            continue;
        }
        if (depth == LEX_JSON_MAX_DEPTH)
            return -1;
        closers[depth++] = j->s[j->i++] == '[' ? ']' : '}';
        lex_json_ws(j);
        if (j->i < j->n && j->s[j->i] == closers[depth - 1]) {
            j->i++;
            depth--;
            want_value = 0;
        } else if (closers[depth - 1] == '}' && lex_json_key(j) < 0) {
            return -1;
        }
    }
}

/* Second pass over a valid array: every element must be a string. */
static int
lex_json_collect(struct lex_json *j, struct lex_words *out)
{
    struct buf b = BUF_INIT;

    j->i = 0;
    lex_json_ws(j);
    j->i++;
    for (;;) {
        size_t start;
        lex_json_ws(j);
        if (j->s[j->i] == ']')
            break;
        if (j->s[j->i] != '"') {
            buf_release(&b);
            return -1;
        }
        start = j->i;
        buf_reset(&b);
        lex_json_string(j, &b);
        lex_words_push(out, b.data ? b.data : "", b.len, start);
        lex_json_ws(j);
        if (j->s[j->i] == ',')
            j->i++;
    }
    buf_release(&b);
    return 1;
}

int
lex_json_array(const char *s, size_t n, struct lex_words *out)
{
    struct lex_json j = {s, n, 0};
    struct lex_words tmp = {STRVEC_INIT, NULL, NULL, 0};
    size_t k;

    lex_json_ws(&j);
    if (j.i >= n || s[j.i] != '[' || lex_json_value(&j) < 0)
        return 0;
    lex_json_ws(&j);
    if (j.i != n)
        return 0;
    if (lex_json_collect(&j, &tmp) < 0) {
        lex_words_release(&tmp);
        return -1;
    }
    for (k = 0; k < tmp.v.n; k++)
        lex_words_push(out, tmp.v.v[k], tmp.len[k], tmp.off[k]);
    lex_words_release(&tmp);
    return 1;
}

/* ---- error messages with the source line ---- */

/* Finds physical line `line` (1-based) of src; the BOM is not part of line 1. */
static int
lex_find_line(const char *src, size_t len, int line, const char **start, size_t *n)
{
    size_t i = 0;
    const char *nl;
    int cur = 1;

    if (len >= 3 && !memcmp(src, "\xEF\xBB\xBF", 3))
        i = 3;
    while (cur < line) {
        nl = memchr(src + i, '\n', len - i);
        if (!nl)
            return -1;
        i = (size_t)(nl - src) + 1;
        cur++;
    }
    if (i > len || line < 1)
        return -1;
    *start = src + i;
    nl = memchr(src + i, '\n', len - i);
    *n = nl ? (size_t)(nl - (src + i)) : len - i;
    while (*n > 0 && (*start)[*n - 1] == '\r')
        (*n)--;
    return 0;
}

int
lex_verror_at(struct error *err, const char *file, const char *src, size_t len, int line, int col,
              const char *fmt, va_list ap)
{
    char msg[ERROR_MSG_LEN], caret[LEX_SHOW_MAX + 2];
    const char *text;
    size_t n, k;
    int used;

    used = snprintf(msg, sizeof(msg), "%s:%d:%d: ", file, line, col);
    if (used < 0 || (size_t)used >= sizeof(msg))
        used = 0;
    vsnprintf(msg + used, sizeof(msg) - (size_t)used, fmt, ap);
    if (!src || lex_find_line(src, len, line, &text, &n) < 0)
        return error_input(err, "%s", msg);
    if (n > LEX_SHOW_MAX)
        n = LEX_SHOW_MAX;
    /* the caret line copies tabs so that it lines up under the column */
    for (k = 0; col > 1 && k < (size_t)(col - 1) && k < n; k++)
        caret[k] = text[k] == '\t' ? '\t' : ' ';
    caret[k] = '^';
    caret[k + 1] = '\0';
    return error_input(err, "%s\n %5d | %.*s\n       | %s", msg, line, (int)n, text, caret);
}

int
lex_error_at(struct error *err, const char *file, const char *src, size_t len, int line, int col,
             const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    lex_verror_at(err, file, src, len, line, col, fmt, ap);
    va_end(ap);
    return -1;
}

/* ---- lines ---- */

void
lex_init(struct lex *lx, const char *file, const char *text, size_t len)
{
    memset(lx, 0, sizeof(*lx));
    lx->file = file;
    lx->src = text;
    lx->len = len;
    lx->escape = '\\';
}

void
lex_release(struct lex *lx)
{
    free(lx->syntax);
    free(lx->check);
    lx->syntax = NULL;
    lx->check = NULL;
}

void
lex_line_release(struct lex_line *l)
{
    buf_release(&l->text);
    free(l->segs);
    memset(l, 0, sizeof(*l));
}

void
lex_line_pos(const struct lex_line *l, size_t off, int *line, int *col)
{
    size_t i = l->nsegs;

    *line = l->start_line;
    *col = 1;
    while (i > 0 && l->segs[i - 1].off > off)
        i--;
    if (i == 0)
        return;
    *line = l->segs[i - 1].line;
    *col = l->segs[i - 1].col + (int)(off - l->segs[i - 1].off);
}

/*
 * Returns the next physical line: *s and *n (without "\n"), *nl when a
 * "\n" ended it. The BOM of the first line is dropped.
 */
static int
lex_phys(struct lex *lx, const char **s, size_t *n, int *nl)
{
    const char *p, *e;

    if (lx->pos >= lx->len)
        return 0;
    p = lx->src + lx->pos;
    if (lx->line == 0 && lx->len - lx->pos >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3))
        p += 3;
    e = memchr(p, '\n', (size_t)(lx->src + lx->len - p));
    *nl = e != NULL;
    if (!e)
        e = lx->src + lx->len;
    *s = p;
    *n = (size_t)(e - p);
    lx->pos = (size_t)(e - lx->src) + (*nl ? 1 : 0);
    lx->line++;
    return 1;
}

/* trimNewline: a line loses every trailing CR (the LF is already gone). */
static size_t
lex_trim_cr(const char *s, size_t n)
{
    while (n > 0 && (s[n - 1] == '\r' || s[n - 1] == '\n'))
        n--;
    return n;
}

static size_t
lex_lead_space(const char *s, size_t n)
{
    size_t i = 0, k;

    while (i < n && (k = lex_space_len(s + i, n - i)) > 0)
        i += k;
    return i;
}

/*
 * Removes a line continuation: the escape character at the end (spaces and
 * tabs after it allowed) unless it is itself escaped. Returns 1 when the
 * line continues.
 */
static int
lex_trim_continuation(const struct lex *lx, const char *s, size_t *n)
{
    size_t k = *n;

    while (k > 0 && (s[k - 1] == ' ' || s[k - 1] == '\t'))
        k--;
    if (k == 0 || s[k - 1] != lx->escape)
        return 0;
    if (k >= 2 && s[k - 2] == lx->escape)
        return 0;
    *n = k - 1;
    return 1;
}

static int
lex_is_regex_space(char c)
{
    /* Go regexp's \s: [\t\n\f\r ] */
    return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

static int
lex_is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/*
 * Matches `^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$` as BuildKit does.
 * Returns 1 and sets key/value spans on a match.
 */
static int
lex_match_directive(const char *s, size_t n, const char **k, size_t *kn, const char **v, size_t *vn)
{
    size_t i = 1, eq_end;

    if (n == 0 || s[0] != '#')
        return 0;
    while (i < n && lex_is_regex_space(s[i]))
        i++;
    if (i >= n || !((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')))
        return 0;
    *k = s + i;
    while (i < n && lex_is_alnum(s[i]))
        i++;
    *kn = (size_t)(s + i - *k);
    while (i < n && lex_is_regex_space(s[i]))
        i++;
    if (i >= n || s[i] != '=')
        return 0;
    eq_end = ++i;
    while (i < n && lex_is_regex_space(s[i]))
        i++;
    while (n > i && lex_is_regex_space(s[n - 1]))
        n--;
    if (i == n) {
        /* `.+?` must take a character: the last blank after '=' when nothing else */
        if (eq_end == i)
            return 0;
        i--;
        n = i + 1;
    }
    *v = s + i;
    *vn = n - i;
    return 1;
}

/* possibleParserDirective: directives only until the first other line. */
static int
lex_directive(struct lex *lx, const char *s, size_t n, struct error *err)
{
    const char *k, *v;
    size_t kn, vn;
    unsigned bit;
    char **slot = NULL;

    if (lx->directives_done)
        return 0;
    if (!lex_match_directive(s, n, &k, &kn, &v, &vn)) {
        lx->directives_done = 1;
        return 0;
    }
    if (kn == 6 && !strncasecmp(k, "escape", 6))
        bit = LEX_SEEN_ESCAPE;
    else if (kn == 6 && !strncasecmp(k, "syntax", 6))
        bit = LEX_SEEN_SYNTAX, slot = &lx->syntax;
    else if (kn == 5 && !strncasecmp(k, "check", 5))
        bit = LEX_SEEN_CHECK, slot = &lx->check;
    else {
        lx->directives_done = 1;
        return 0;
    }
    if (lx->seen & bit)
        return lex_error_at(err, lx->file, lx->src, lx->len, lx->line, 1,
                            "only one %.*s parser directive can be used", (int)kn, k);
    lx->seen |= bit;
    if (slot) {
        *slot = xstrndup(v, vn);
        return 0;
    }
    if (vn != 1 || (v[0] != '`' && v[0] != '\\'))
        return lex_error_at(err, lx->file, lx->src, lx->len, lx->line, (int)(v - s) + 1,
                            "invalid escape token '%.*s' does not match ` or \\", (int)vn, v);
    lx->escape = v[0];
    return 0;
}

static void
lex_append(struct lex_line *out, const char *s, size_t n, int line, int col)
{
    out->segs = xgrow(out->segs, sizeof(*out->segs), out->nsegs + 1, &out->alloc);
    out->segs[out->nsegs].off = out->text.len;
    out->segs[out->nsegs].line = line;
    out->segs[out->nsegs].col = col;
    out->nsegs++;
    buf_add(&out->text, s, n);
}

/*
 * BuildKit's parser keeps a NUL byte of an instruction in its strings (and
 * drops one in a comment line with the comment); strata's instructions are C
 * strings, so an instruction or heredoc line holding one is refused here,
 * where its position is known.
 */
static int
lex_check_nul(const struct lex *lx, const char *line, const char *s, size_t n, const char *what,
              struct error *err)
{
    const char *nul = memchr(s, '\0', n);

    if (!nul)
        return 0;
    return lex_error_at(err, lx->file, lx->src, lx->len, lx->line, (int)(nul - line) + 1,
                        "NUL byte in %s", what);
}

/* Appends the continuation lines of an instruction to out. */
static int
lex_continue(struct lex *lx, struct lex_line *out, struct error *err)
{
    const char *s;
    size_t n, lead;
    int nl, more = 1;

    while (more && lex_phys(lx, &s, &n, &nl)) {
        n = lex_trim_cr(s, n);
        lead = lex_lead_space(s, n);
        if (lead < n && s[lead] == '#')
            continue; /* a comment line inside a continuation */
        if (lead == n) {
            out->empty_continuation = 1;
            continue;
        }
        if (lex_check_nul(lx, s, s, n, "an instruction", err) < 0)
            return -1;
        more = lex_trim_continuation(lx, s, &n);
        lex_append(out, s, n, lx->line, 1);
    }
    return 0;
}

int
lex_next(struct lex *lx, struct lex_line *out, struct error *err)
{
    const char *s;
    size_t n, m, lead;
    int nl, more;

    buf_reset(&out->text);
    out->nsegs = 0;
    out->empty_continuation = 0;
    while (lex_phys(lx, &s, &n, &nl)) {
        n = lex_trim_cr(s, n);
        lead = lex_lead_space(s, n);
        if (lex_directive(lx, s + lead, n - lead, err) < 0)
            return -1;
        if (lead < n && s[lead] == '#')
            n = lead; /* trimComments: the whole line is a comment */
        m = n - lead;
        more = lex_trim_continuation(lx, s + lead, &m);
        n = lead + m;
        if (!more && n == lead)
            continue;
        out->start_line = lx->line;
        if (lex_check_nul(lx, s, s + lead, n - lead, "an instruction", err) < 0)
            return -1;
        lex_append(out, s + lead, n - lead, lx->line, (int)lead + 1);
        if (more && lex_continue(lx, out, err) < 0)
            return -1;
        out->end_line = lx->line;
        return 1;
    }
    return 0;
}

int
lex_heredoc(struct lex *lx, const char *name, int strip_tabs, struct buf *content,
            struct error *err)
{
    size_t namelen = strlen(name);
    const char *s;
    size_t n, m, tabs;
    int nl;

    while (lex_phys(lx, &s, &n, &nl)) {
        tabs = 0;
        if (strip_tabs)
            while (tabs < n && s[tabs] == '\t')
                tabs++;
        m = lex_trim_cr(s, n);
        if (m >= tabs && m - tabs == namelen && !memcmp(s + tabs, name, namelen))
            return 1;
        if (lex_check_nul(lx, s, s, n, "a heredoc body", err) < 0)
            return -1;
        buf_add(content, s + tabs, n - tabs);
        if (nl)
            buf_addch(content, '\n');
    }
    return 0;
}
