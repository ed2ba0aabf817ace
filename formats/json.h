#ifndef STRATA_FORMATS_JSON_H
#define STRATA_FORMATS_JSON_H

/*
 * cJSON helpers whose errors name the document and the failing key:
 * `manifest sha256:ab12…: "layers[2].digest": expected a string`.
 */

#include <cjson/cJSON.h>
#include <stddef.h>

#include "formats/core/error.h"

static inline void
json_cleanup(cJSON **j)
{
    if (*j)
        cJSON_Delete(*j);
}
#define cleanup_cjson __attribute__((cleanup(json_cleanup)))

/*
 * Parses len bytes as JSON; what names the document in the error. Every
 * document strata reads goes through here, and a document that another
 * parser (Go's encoding/json: docker, containerd, registries) could read
 * differently is an input error: an object with the same key twice
 * (`what: layers[0]: key "digest" appears twice`), a number of magnitude
 * above 2^53 (a double would round it), a NUL (raw or \u0000) or another raw
 * control character inside a string, or anything but white space after the
 * document.
 */
cJSON *json_parse(const char *text, size_t len, const char *what, struct error *err);

/*
 * Member lookups. `required` missing members are input errors; optional ones
 * return NULL (or leave *out alone) without touching err.
 */
const char *json_string(const cJSON *obj, const char *key, int required, const char *what,
                        struct error *err);
const cJSON *json_object(const cJSON *obj, const char *key, int required, const char *what,
                         struct error *err);
const cJSON *json_array(const cJSON *obj, const char *key, int required, const char *what,
                        struct error *err);
int json_int(const cJSON *obj, const char *key, int required, long long *out, const char *what,
             struct error *err);

/* Prints j without whitespace (members in insertion order); malloc'ed. */
char *json_print(const cJSON *j);

/* Returns a new object/array member of obj, named key. */
cJSON *json_add_object(cJSON *obj, const char *key);
cJSON *json_add_array(cJSON *obj, const char *key);

/* Sets obj[key] to a string, replacing any existing member in place. */
void json_set_string(cJSON *obj, const char *key, const char *value);

#endif
