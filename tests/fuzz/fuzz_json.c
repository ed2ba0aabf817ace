/*
 * Fuzz target: the JSON reader every document goes through (json_parse).
 * Invariants: no crash, no leak; a refusal is an input error; an accepted
 * document has no object with the same key twice (checked here the slow
 * way), no number whose magnitude reaches past 2^53, no string with a NUL
 * cut into it; what cJSON prints of it is accepted again.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/json.h"

#include "formats/core/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_json_walk(const cJSON *j)
{
    const cJSON *a, *b;

    if (cJSON_IsNumber(j) && fabs(j->valuedouble) > 9007199254740992.0)
        abort();
    for (a = j->child; a; a = a->next) {
        if (cJSON_IsObject(j))
            for (b = a->next; b; b = b->next)
                if (!strcmp(a->string, b->string))
                    abort();
        fuzz_json_walk(a);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct error err;
    cJSON *j, *back;
    char *out;

    error_init(&err);
    j = json_parse((const char *)data, size, "fuzz", &err);
    if (!j) {
        if (err.exit_code != 2)
            abort();
        return 0;
    }
    fuzz_json_walk(j);
    out = cJSON_PrintUnformatted(j);
    if (out) {
        back = json_parse(out, strlen(out), "fuzz", &err);
        if (!back)
            abort();
        cJSON_Delete(back);
        free(out);
    }
    cJSON_Delete(j);
    return 0;
}
