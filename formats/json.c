#include "formats/json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "formats/core/buf.h"
#include "formats/core/mem.h"

#include "formats/core/banned.h"

/*
 * The documents strata reads are also read by Go programs (docker,
 * containerd, registries), and the two parsers must not disagree on what a
 * document says. Go's encoding/json keeps the last of two equal keys where
 * cJSON keeps the first, reads integers into int64 exactly where cJSON rounds
 * them to a double, and keeps an escaped NUL inside a string where cJSON's C
 * strings end. Documents that could be read two ways are refused.
 */

/* 2^53: every integer up to it is exact in a double (RFC 8259, section 6) */
#define JSON_EXACT_MAX 9007199254740992.0
static const char json_exact_max_digits[] = "9007199254740992";

/* Checks the number token at p (n bytes, at byte off of the document). */
static int
json_check_number(const char *p, size_t n, size_t off, const char *what, struct error *err)
{
    const char *digits = p + (*p == '-');
    size_t nd = n - (size_t)(digits - p);
    char tmp[64];
    double v;

    if (!memchr(p, '.', n) && !memchr(p, 'e', n) && !memchr(p, 'E', n)) {
        size_t max = sizeof(json_exact_max_digits) - 1;
        while (nd > 1 && *digits == '0') {
            digits++;
            nd--;
        }
        if (nd < max || (nd == max && memcmp(digits, json_exact_max_digits, max) <= 0))
            return 0;
    } else if (n < sizeof(tmp)) {
        memcpy(tmp, p, n);
        tmp[n] = '\0';
        v = strtod(tmp, NULL);
        /* at 2^53 a fraction or an exponent may already have been rounded away */
        if (fabs(v) < JSON_EXACT_MAX)
            return 0;
    }
    return error_input(err, "%s: number %.*s at byte %zu is too large to be exact (above 2^53)",
                       what, n > 40 ? 40 : (int)n, p, off);
}

/* Scans the raw text: numbers outside strings, NULs inside them. */
static int
json_check_text(const char *text, size_t len, const char *what, struct error *err)
{
    size_t i = 0;

    while (i < len) {
        unsigned char c = (unsigned char)text[i];
        if (c == '"') {
            for (i++; i < len && text[i] != '"'; i++) {
                if ((unsigned char)text[i] < 0x20)
                    return error_input(err, "%s: control character in a string at byte %zu", what,
                                       i);
                if (text[i] != '\\' || ++i >= len)
                    continue;
                if (text[i] == 'u' && len - i > 4 && !memcmp(text + i + 1, "0000", 4))
                    return error_input(err, "%s: \\u0000 in a string at byte %zu", what, i - 1);
            }
            i++;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            size_t start = i;
            while (i < len && text[i] && strchr("0123456789+-.eE", text[i]))
                i++;
            if (json_check_number(text + start, i - start, start, what, err) < 0)
                return -1;
        } else {
            i++;
        }
    }
    return 0;
}

static int
json_name_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Refuses an object anywhere in j that has the same key twice. */
static int
json_check_keys(const cJSON *j, struct buf *path, const char *what, struct error *err)
{
    const cJSON *c;
    const char **names = NULL;
    size_t n = 0, i, at = path->len;
    int rc = 0;

    if (cJSON_IsObject(j)) {
        for (c = j->child; c; c = c->next)
            n++;
        names = xcalloc(n + 1, sizeof(*names));
        n = 0;
        for (c = j->child; c; c = c->next)
            names[n++] = c->string ? c->string : "";
        qsort(names, n, sizeof(*names), json_name_cmp);
        for (i = 1; i < n && rc == 0; i++) {
            if (!strcmp(names[i - 1], names[i]))
                rc = error_input(err, "%s: %s%skey \"%.200s\" appears twice", what, buf_cstr(path),
                                 path->len ? ": " : "", names[i]);
        }
        free(names);
    }
    i = 0;
    for (c = j->child; c && rc == 0 && (cJSON_IsObject(j) || cJSON_IsArray(j)); c = c->next, i++) {
        if (!cJSON_IsObject(c) && !cJSON_IsArray(c))
            continue;
        if (cJSON_IsObject(j))
            buf_addf(path, "%s%.200s", path->len ? "." : "", c->string ? c->string : "");
        else
            buf_addf(path, "[%zu]", i);
        rc = json_check_keys(c, path, what, err);
        path->len = at;
        if (path->data)
            path->data[at] = '\0';
    }
    return rc;
}

cJSON *
json_parse(const char *text, size_t len, const char *what, struct error *err)
{
    const char *end = NULL;
    cleanup_buf struct buf path = BUF_INIT;
    cJSON *j;

    if (json_check_text(text, len, what, err) < 0)
        return NULL;
    j = cJSON_ParseWithLengthOpts(text, len, &end, 0);

    if (j && end) { /* nothing but white space may follow the document */
        while ((size_t)(end - text) < len &&
               (*end == ' ' || *end == '\n' || *end == '\r' || *end == '\t' || *end == '\0'))
            end++;
        if ((size_t)(end - text) < len) {
            error_input(err, "%s: invalid JSON: trailing data at byte %zu", what,
                        (size_t)(end - text));
            cJSON_Delete(j);
            return NULL;
        }
    }
    if (!j) {
        size_t off = end && end >= text ? (size_t)(end - text) : 0;
        error_input(err, "%s: invalid JSON at byte %zu", what, off);
        return NULL;
    }
    if (json_check_keys(j, &path, what, err) < 0) {
        cJSON_Delete(j);
        return NULL;
    }
    return j;
}

static const cJSON *
json_member(const cJSON *obj, const char *key, int required, const char *what, struct error *err)
{
    const cJSON *m = cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;

    if (!m && required)
        error_input(err, "%s: missing \"%s\"", what, key);
    return m;
}

const char *
json_string(const cJSON *obj, const char *key, int required, const char *what, struct error *err)
{
    const cJSON *m = json_member(obj, key, required, what, err);

    if (!m)
        return NULL;
    if (cJSON_IsNull(m)) {
        if (required)
            error_input(err, "%s: \"%s\" is null", what, key);
        return NULL;
    }
    if (!cJSON_IsString(m)) {
        error_input(err, "%s: \"%s\": expected a string", what, key);
        return NULL;
    }
    return m->valuestring;
}

const cJSON *
json_object(const cJSON *obj, const char *key, int required, const char *what, struct error *err)
{
    const cJSON *m = json_member(obj, key, required, what, err);

    if (!m || (cJSON_IsNull(m) && !required))
        return NULL;
    if (!cJSON_IsObject(m)) {
        error_input(err, "%s: \"%s\": expected an object", what, key);
        return NULL;
    }
    return m;
}

const cJSON *
json_array(const cJSON *obj, const char *key, int required, const char *what, struct error *err)
{
    const cJSON *m = json_member(obj, key, required, what, err);

    if (!m || (cJSON_IsNull(m) && !required))
        return NULL;
    if (!cJSON_IsArray(m)) {
        error_input(err, "%s: \"%s\": expected an array", what, key);
        return NULL;
    }
    return m;
}

int
json_int(const cJSON *obj, const char *key, int required, long long *out, const char *what,
         struct error *err)
{
    const cJSON *m = json_member(obj, key, required, what, err);
    double v;

    if (!m)
        return required ? -1 : 0;
    v = m->valuedouble;
    if (!cJSON_IsNumber(m) || v != floor(v) || v < 0 || v > 9007199254740992.0)
        return error_input(err, "%s: \"%s\": expected a non-negative integer", what, key);
    *out = (long long)v;
    return 0;
}

char *
json_print(const cJSON *j)
{
    char *s = cJSON_PrintUnformatted(j);

    if (!s)
        BUG("cJSON_PrintUnformatted failed");
    return s;
}

cJSON *
json_add_object(cJSON *obj, const char *key)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddItemToObject(obj, key, o);
    return o;
}

cJSON *
json_add_array(cJSON *obj, const char *key)
{
    cJSON *a = cJSON_CreateArray();

    cJSON_AddItemToObject(obj, key, a);
    return a;
}

void
json_set_string(cJSON *obj, const char *key, const char *value)
{
    if (cJSON_GetObjectItemCaseSensitive(obj, key))
        cJSON_ReplaceItemInObjectCaseSensitive(obj, key, cJSON_CreateString(value));
    else
        cJSON_AddStringToObject(obj, key, value);
}
