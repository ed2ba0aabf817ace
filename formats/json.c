#include "formats/json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "formats/core/mem.h"

cJSON *
json_parse(const char *text, size_t len, const char *what, struct error *err)
{
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithLengthOpts(text, len, &end, 0);

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
