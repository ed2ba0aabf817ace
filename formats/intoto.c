/* in-toto Statements v1: writing them, and checking one read back. */
#include "formats/intoto.h"

#include <string.h>

#include "formats/core/buf.h"
#include "formats/core/mem.h"
#include "formats/json.h"

#include "formats/core/banned.h"

cJSON *
intoto_statement(const char *subject_name, const char *subject_digest, const char *predicate_type,
                 cJSON *predicate)
{
    cJSON *st = cJSON_CreateObject();
    cJSON *subj = cJSON_CreateObject();
    cJSON *dg;

    /* statement.md: _type, subject (name + digest set), predicateType, predicate */
    cJSON_AddStringToObject(st, "_type", INTOTO_STATEMENT_TYPE);
    cJSON_AddStringToObject(subj, "name", subject_name);
    dg = json_add_object(subj, "digest");
    cJSON_AddStringToObject(dg, "sha256", digest_hex(subject_digest));
    cJSON_AddItemToArray(json_add_array(st, "subject"), subj);
    cJSON_AddStringToObject(st, "predicateType", predicate_type);
    cJSON_AddItemToObject(st, "predicate", predicate);
    return st;
}

static int
intoto_has_subject(const cJSON *subjects, const char *digest)
{
    const cJSON *s;

    cJSON_ArrayForEach(s, subjects)
    {
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(s, "digest");
        const cJSON *h = cJSON_GetObjectItemCaseSensitive(d, "sha256");
        if (cJSON_IsString(h) && !strcmp(h->valuestring, digest_hex(digest)))
            return 1;
    }
    return 0;
}

cJSON *
intoto_parse(const char *json, size_t len, const char *what, const char *predicate_type,
             const char *digest, struct error *err)
{
    cleanup_cjson cJSON *j = json_parse(json, len, what, err);
    const char *t, *pt;
    const cJSON *subj;

    if (!j)
        return NULL;
    t = json_string(j, "_type", 1, what, err);
    pt = t ? json_string(j, "predicateType", 1, what, err) : NULL;
    subj = pt ? json_array(j, "subject", 1, what, err) : NULL;
    if (!subj || !json_object(j, "predicate", 1, what, err))
        return NULL;
    if (strcmp(t, INTOTO_STATEMENT_TYPE) != 0) {
        error_input(err, "%s: _type is \"%s\", not an in-toto Statement v1", what, t);
        return NULL;
    }
    if (predicate_type && strcmp(pt, predicate_type) != 0) {
        error_input(err, "%s: predicateType is \"%s\", expected \"%s\"", what, pt, predicate_type);
        return NULL;
    }
    if (digest && !intoto_has_subject(subj, digest)) {
        error_input(err, "%s: not a statement about %s", what, digest);
        return NULL;
    }
    return steal_ptr(&j);
}

/* purl-spec "docker" type, as BuildKit names its subjects. */
char *
intoto_subject_name(const char *image_name, const char *platform)
{
    struct buf b = BUF_INIT;
    const char *colon = strrchr(image_name, ':');
    const char *slash = strrchr(image_name, '/');
    const char *p;

    buf_adds(&b, "pkg:docker/");
    if (colon && (!slash || colon > slash)) {
        buf_add(&b, image_name, (size_t)(colon - image_name));
        buf_addf(&b, "@%s", colon + 1);
    } else {
        buf_adds(&b, image_name);
    }
    buf_adds(&b, "?platform=");
    for (p = platform; *p; p++) {
        if (*p == '/')
            buf_adds(&b, "%2F");
        else
            buf_addch(&b, *p);
    }
    return buf_detach(&b);
}
