/*
 * Fuzz target: the recipe parser, the dump, the build checks (of a recipe
 * and of ONBUILD triggers) and expansion
 * of every argument. Invariants: no crash, no leak, every failure is an
 * input error whose first line is "Recipe:LINE:COL: message".
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builder/recipe/expand.h"
#include "builder/recipe/parse.h"
#include "formats/core/buf.h"
#include "formats/core/strvec.h"

#include "formats/core/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_check_error(const struct error *err)
{
    int line = 0, col = 0, used = 0;

    if (err->exit_code != 2)
        abort();
    if (sscanf(err->msg, "Recipe:%d:%d: %n", &line, &col, &used) != 2 || used == 0 || line < 1 ||
        col < 1)
        abort();
}

static void
fuzz_expand_all(const struct parse_recipe *r, const struct strvec *vars)
{
    struct error err;
    size_t i, k;
    char *out;

    for (i = 0; i < r->n; i++) {
        for (k = 0; k < r->instrs[i].args.n; k++) {
            out = NULL;
            error_init(&err);
            if (expand_word(r->instrs[i].args.v[k], r->escape, vars, &out, &err) < 0 &&
                err.exit_code != 2)
                abort();
            free(out);
        }
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct parse_recipe r;
    struct strvec vars = STRVEC_INIT;
    struct buf out = BUF_INIT;
    struct error err;

    error_init(&err);
    if (parse_recipe("Recipe", (const char *)data, size, &r, &err) < 0) {
        fuzz_check_error(&err);
        return 0;
    }
    if (r.n == 0)
        abort();
    parse_dump(&r, &out);
    if (out.len == 0)
        abort();
    error_init(&err);
    if (parse_validate(&r, &err) < 0)
        fuzz_check_error(&err);
    error_init(&err);
    if (parse_validate_triggers(&r, &err) < 0)
        fuzz_check_error(&err);
    strvec_push(&vars, "A=a b");
    strvec_push(&vars, "E=");
    strvec_push(&vars, "P=/usr/local/bin");
    fuzz_expand_all(&r, &vars);
    strvec_release(&vars);
    buf_release(&out);
    parse_recipe_release(&r);
    return 0;
}
