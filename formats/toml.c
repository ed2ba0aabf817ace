#include "formats/toml.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "formats/core/buf.h"
#include "formats/core/mem.h"

#include "formats/core/banned.h"

#define TOML_MAX_DEPTH 16

struct toml_p {
    const char *s, *end;
    const char *file;
    int line;
    cJSON *root, *cur;
    /* tables named by a header, and arrays made by [[...]]: TOML forbids redefining the one
     * and appending to arrays made any other way */
    const cJSON **defined, **aot;
    size_t ndefined, naot, adefined, aaot;
    struct error *err;
};

static int toml_fail(struct toml_p *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
toml_fail(struct toml_p *p, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return error_input(p->err, "%s:%d: %s", p->file, p->line, msg);
}

int
toml_line(const cJSON *item)
{
    return item && !cJSON_IsNumber(item) ? item->valueint : 0;
}

static cJSON *
toml_mark(struct toml_p *p, cJSON *item)
{
    item->valueint = p->line;
    return item;
}

static int
toml_in(const struct toml_p *p, const cJSON *item, const cJSON **list, size_t n)
{
    size_t i;

    (void)p;
    for (i = 0; i < n; i++)
        if (list[i] == item)
            return 1;
    return 0;
}

/* How much of the text at p->s an error quotes: at most 20 bytes, never past the end. */
static int
toml_quote_len(const struct toml_p *p)
{
    size_t left = (size_t)(p->end - p->s), n;

    for (n = 0; n < left && n < 20 && p->s[n] != '\n'; n++)
        ;
    return (int)n;
}

static void
toml_skip_ws(struct toml_p *p)
{
    while (p->s < p->end && (*p->s == ' ' || *p->s == '\t'))
        p->s++;
}

/* Spaces, newlines and comments: what may come between the values of an array. */
static void
toml_skip_all(struct toml_p *p)
{
    for (;;) {
        toml_skip_ws(p);
        if (p->s < p->end && *p->s == '#') {
            while (p->s < p->end && *p->s != '\n')
                p->s++;
        }
        if (p->s < p->end && *p->s == '\r' && p->s + 1 < p->end && p->s[1] == '\n')
            p->s++;
        if (p->s < p->end && *p->s == '\n') {
            p->s++;
            p->line++;
            continue;
        }
        return;
    }
}

/* After a key = value or a header: only a comment may follow on the line. */
static int
toml_end_of_line(struct toml_p *p)
{
    toml_skip_ws(p);
    if (p->s < p->end && *p->s == '#')
        while (p->s < p->end && *p->s != '\n')
            p->s++;
    if (p->s < p->end && *p->s == '\r')
        p->s++;
    if (p->s < p->end && *p->s != '\n')
        return toml_fail(p, "unexpected \"%.*s\" after the value", toml_quote_len(p), p->s);
    if (p->s < p->end) {
        p->s++;
        p->line++;
    }
    return 0;
}

static void
toml_utf8(struct buf *b, unsigned long cp)
{
    if (cp < 0x80) {
        buf_addch(b, (char)cp);
    } else if (cp < 0x800) {
        buf_addch(b, (char)(0xc0 | (cp >> 6)));
        buf_addch(b, (char)(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
        buf_addch(b, (char)(0xe0 | (cp >> 12)));
        buf_addch(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
        buf_addch(b, (char)(0x80 | (cp & 0x3f)));
    } else {
        buf_addch(b, (char)(0xf0 | (cp >> 18)));
        buf_addch(b, (char)(0x80 | ((cp >> 12) & 0x3f)));
        buf_addch(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
        buf_addch(b, (char)(0x80 | (cp & 0x3f)));
    }
}

/* TOML "Basic strings": \uXXXX and \UXXXXXXXX must be Unicode scalar values. */
static int
toml_unicode(struct toml_p *p, struct buf *b, int digits)
{
    unsigned long cp = 0;
    int i;

    for (i = 0; i < digits; i++) {
        char c = p->s < p->end ? *p->s++ : '\0';
        int v = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (v < 0)
            return toml_fail(p, "bad \\%c escape in a string", digits == 4 ? 'u' : 'U');
        cp = cp << 4 | (unsigned long)v;
    }
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return toml_fail(p, "\\u escape U+%lX is not a Unicode scalar value", cp);
    toml_utf8(b, cp);
    return 0;
}

static int
toml_escape(struct toml_p *p, struct buf *b)
{
    static const char from[] = "\"\\btnfr", to[] = "\"\\\b\t\n\f\r";
    const char *hit;
    char c;

    if (p->s >= p->end)
        return toml_fail(p, "unterminated string");
    c = *p->s++;
    if (c == 'u' || c == 'U')
        return toml_unicode(p, b, c == 'u' ? 4 : 8);
    hit = c ? strchr(from, c) : NULL;
    if (!hit)
        return toml_fail(p, "unknown escape \\%c in a string", c);
    buf_addch(b, to[hit - from]);
    return 0;
}

/* A basic ("...") or literal ('...') string on one line; *p->s is the quote. */
static char *
toml_string(struct toml_p *p)
{
    struct buf b = BUF_INIT;
    char q = *p->s++;

    if (p->end - p->s >= 2 && p->s[0] == q && p->s[1] == q) {
        toml_fail(p, "multi-line strings are not supported here");
        return NULL;
    }
    while (p->s < p->end && *p->s != q) {
        unsigned char c = (unsigned char)*p->s;
        if (c == '\n' || (c < 0x20 && c != '\t') || c == 0x7f) {
            buf_release(&b);
            toml_fail(p, c == '\n' ? "unterminated string" : "control character in a string");
            return NULL;
        }
        p->s++;
        if (c == '\\' && q == '"') {
            if (toml_escape(p, &b) < 0) {
                buf_release(&b);
                return NULL;
            }
            continue;
        }
        buf_addch(&b, (char)c);
    }
    if (p->s >= p->end) {
        buf_release(&b);
        toml_fail(p, "unterminated string");
        return NULL;
    }
    p->s++;
    return b.data ? buf_detach(&b) : xstrdup("");
}

static int
toml_bare_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

static char *
toml_key(struct toml_p *p)
{
    const char *k = p->s;

    if (p->s < p->end && (*p->s == '"' || *p->s == '\''))
        return toml_string(p);
    while (p->s < p->end && toml_bare_char(*p->s))
        p->s++;
    if (p->s == k) {
        toml_fail(p, "expected a key, found \"%.*s\"", toml_quote_len(p), k);
        return NULL;
    }
    return xstrndup(k, (size_t)(p->s - k));
}

static cJSON *toml_value(struct toml_p *p, int depth);

static cJSON *
toml_array(struct toml_p *p, int depth)
{
    cJSON *a = toml_mark(p, cJSON_CreateArray());

    p->s++;
    for (;;) {
        cJSON *v;
        toml_skip_all(p);
        if (p->s < p->end && *p->s == ']')
            break;
        if (p->s >= p->end) {
            cJSON_Delete(a);
            toml_fail(p, "unterminated array");
            return NULL;
        }
        if (!(v = toml_value(p, depth + 1))) {
            cJSON_Delete(a);
            return NULL;
        }
        cJSON_AddItemToArray(a, v);
        toml_skip_all(p);
        if (p->s < p->end && *p->s == ',') {
            p->s++;
            continue;
        }
        if (p->s < p->end && *p->s == ']')
            break;
        cJSON_Delete(a);
        toml_fail(p, p->s < p->end ? "expected ',' or ']' in an array" : "unterminated array");
        return NULL;
    }
    p->s++;
    return a;
}

static cJSON *
toml_value(struct toml_p *p, int depth)
{
    size_t left = (size_t)(p->end - p->s);
    char *str;

    if (depth > TOML_MAX_DEPTH) {
        toml_fail(p, "arrays nested too deep");
        return NULL;
    }
    if (!left || *p->s == '\n' || *p->s == '\r' || *p->s == '#') {
        toml_fail(p, "missing value after '='");
        return NULL;
    }
    if (*p->s == '"' || *p->s == '\'') {
        int line = p->line;
        cJSON *v;
        if (!(str = toml_string(p)))
            return NULL;
        v = cJSON_CreateString(str);
        free(str);
        v->valueint = line;
        return v;
    }
    if (*p->s == '[')
        return toml_array(p, depth);
    if (left >= 4 && !strncmp(p->s, "true", 4) && (left == 4 || !toml_bare_char(p->s[4]))) {
        p->s += 4;
        return toml_mark(p, cJSON_CreateTrue());
    }
    if (left >= 5 && !strncmp(p->s, "false", 5) && (left == 5 || !toml_bare_char(p->s[5]))) {
        p->s += 5;
        return toml_mark(p, cJSON_CreateFalse());
    }
    if (*p->s == '{')
        toml_fail(p, "inline tables are not supported here");
    else if ((*p->s >= '0' && *p->s <= '9') || *p->s == '+' || *p->s == '-')
        toml_fail(p, "numbers and dates are not supported here");
    else
        toml_fail(p, "unknown value \"%.*s\"", toml_quote_len(p), p->s);
    return NULL;
}

/* Finds or makes the object at key of t for a header path; arrays of tables give their last. */
static cJSON *
toml_step(struct toml_p *p, cJSON *t, const char *key)
{
    cJSON *c = cJSON_GetObjectItemCaseSensitive(t, key);

    if (!c) {
        c = toml_mark(p, cJSON_CreateObject());
        cJSON_AddItemToObject(t, key, c);
        return c;
    }
    if (cJSON_IsArray(c) && toml_in(p, c, p->aot, p->naot))
        c = cJSON_GetArrayItem(c, cJSON_GetArraySize(c) - 1);
    if (!cJSON_IsObject(c)) {
        toml_fail(p, "\"%s\" is not a table", key);
        return NULL;
    }
    return c;
}

static void
toml_remember(const cJSON ***list, size_t *n, size_t *alloc, const cJSON *item)
{
    *list = xgrow(*list, sizeof(**list), *n + 1, alloc);
    (*list)[(*n)++] = item;
}

static int
toml_open(struct toml_p *p, char **keys, size_t n, int array)
{
    cJSON *t = p->root, *last;
    size_t i;

    for (i = 0; i + 1 < n; i++)
        if (!(t = toml_step(p, t, keys[i])))
            return -1;
    last = cJSON_GetObjectItemCaseSensitive(t, keys[n - 1]);
    if (array) {
        cJSON *o = toml_mark(p, cJSON_CreateObject());
        if (!last) {
            last = toml_mark(p, cJSON_CreateArray());
            cJSON_AddItemToObject(t, keys[n - 1], last);
            toml_remember(&p->aot, &p->naot, &p->aaot, last);
        } else if (!toml_in(p, last, p->aot, p->naot)) {
            cJSON_Delete(o);
            return toml_fail(p, "[[%s]]: \"%s\" is already defined as something else", keys[0],
                             keys[n - 1]);
        }
        cJSON_AddItemToArray(last, o);
        p->cur = o;
        return 0;
    }
    if (!last) {
        last = toml_mark(p, cJSON_CreateObject());
        cJSON_AddItemToObject(t, keys[n - 1], last);
    } else if (!cJSON_IsObject(last) || toml_in(p, last, p->defined, p->ndefined)) {
        return toml_fail(p, "table [%s] is defined twice", keys[n - 1]);
    }
    toml_remember(&p->defined, &p->ndefined, &p->adefined, last);
    p->cur = last;
    return 0;
}

static int
toml_header(struct toml_p *p)
{
    char *keys[TOML_MAX_DEPTH];
    size_t n = 0, i;
    int array = p->end - p->s >= 2 && p->s[1] == '[', rc = -1;

    p->s += array ? 2 : 1;
    for (;;) {
        toml_skip_ws(p);
        if (n == TOML_MAX_DEPTH) {
            toml_fail(p, "table name nested too deep");
            goto out;
        }
        if (!(keys[n] = toml_key(p)))
            goto out;
        n++;
        toml_skip_ws(p);
        if (p->s < p->end && *p->s == '.') {
            p->s++;
            continue;
        }
        break;
    }
    if (p->s >= p->end || *p->s != ']' || (array && (p->end - p->s < 2 || p->s[1] != ']'))) {
        toml_fail(p, "expected '%s' to close the table name", array ? "]]" : "]");
        goto out;
    }
    p->s += array ? 2 : 1;
    if (toml_open(p, keys, n, array) == 0 && toml_end_of_line(p) == 0)
        rc = 0;
out:
    for (i = 0; i < n; i++)
        free(keys[i]);
    return rc;
}

static int
toml_keyval(struct toml_p *p)
{
    cleanup_free char *key = toml_key(p);
    cJSON *v;

    if (!key)
        return -1;
    toml_skip_ws(p);
    if (p->s < p->end && *p->s == '.')
        return toml_fail(p, "dotted keys are not supported here (use a [table])");
    if (p->s >= p->end || *p->s != '=')
        return toml_fail(p, "expected '=' after \"%s\"", key);
    p->s++;
    toml_skip_ws(p);
    if (cJSON_GetObjectItemCaseSensitive(p->cur, key))
        return toml_fail(p, "\"%s\" is defined twice", key);
    if (!(v = toml_value(p, 0)))
        return -1;
    cJSON_AddItemToObject(p->cur, key, v);
    return toml_end_of_line(p);
}

cJSON *
toml_parse(const char *text, size_t len, const char *file, struct error *err)
{
    struct toml_p p;
    int rc = 0;

    memset(&p, 0, sizeof(p));
    p.s = text;
    p.end = text + len;
    p.file = file;
    p.line = 1;
    p.err = err;
    p.root = p.cur = cJSON_CreateObject();
    if (memchr(text, '\0', len)) {
        toml_fail(&p, "the file holds a NUL byte");
        rc = -1;
    }
    if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3))
        p.s += 3;
    while (rc == 0) {
        toml_skip_all(&p);
        if (p.s >= p.end)
            break;
        rc = *p.s == '[' ? toml_header(&p) : toml_keyval(&p);
    }
    free(p.defined);
    free(p.aot);
    if (rc < 0) {
        cJSON_Delete(p.root);
        return NULL;
    }
    return p.root;
}
