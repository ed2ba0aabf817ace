/*
 * One recipe instruction: dispatch by kind, and the helpers every kind of
 * step shares (flags, the stage's config and variables, expanded words).
 */
#include "builder/engine/step.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "builder/engine/step_internal.h"
#include "builder/recipe/expand.h"
#include "formats/core/mem.h"
#include "formats/json.h"

cJSON *
step_cfg(const struct stage *st)
{
    return cJSON_GetObjectItemCaseSensitive(st->config, "config");
}

void
step_vars(const struct stage *st, struct strvec *out)
{
    const cJSON *env = cJSON_GetObjectItemCaseSensitive(step_cfg(st), "Env");
    const cJSON *e;
    size_t i;

    cJSON_ArrayForEach(e, env)
    {
        if (cJSON_IsString(e))
            strvec_push(out, e->valuestring);
    }
    for (i = 0; i < st->args.n; i++) {
        const char *eq = strchr(st->args.v[i], '=');
        cleanup_free char *k = xstrndup(st->args.v[i], (size_t)(eq - st->args.v[i]));
        if (!strvec_getenv(out, k))
            strvec_push(out, st->args.v[i]);
    }
}

/* The shell used for shell-form commands: config Shell or /bin/sh -c. */
void
step_shell(const cJSON *cfg, struct strvec *out)
{
    const cJSON *sh = cJSON_GetObjectItemCaseSensitive(cfg, "Shell");
    const cJSON *e;

    cJSON_ArrayForEach(e, sh)
    {
        if (cJSON_IsString(e))
            strvec_push(out, e->valuestring);
    }
    if (!out->n) {
        strvec_push(out, "/bin/sh");
        strvec_push(out, "-c");
    }
}

int
step_words(struct build *b, const struct parse_instr *in, const struct strvec *vars,
           struct strvec *out, const char *where, struct error *err)
{
    size_t i;

    for (i = 0; i < in->args.n; i++) {
        char *w = NULL;
        if (expand_word(in->args.v[i], b->plan.recipe.escape, vars, &w, err) < 0)
            return error_wrap(err, "%s", where);
        strvec_push_owned(out, w);
    }
    return 0;
}

int
step_exec(struct build *b, struct stage *st, const struct parse_instr *in, struct error *err)
{
    const char *k = in->keyword;

    if (st->inputs)
        cJSON_Delete(st->inputs);
    st->inputs = cJSON_CreateObject(); /* filled by the step: what --explain-cache compares */

    if (!strcmp(k, "run"))
        return step_run(b, st, in, err);
    if (!strcmp(k, "copy") || !strcmp(k, "add"))
        return step_copy(b, st, in, err);
    if (!strcmp(k, "arg"))
        return step_arg(b, st, in, err);
    if (!strcmp(k, "from")) {
        char where[256];
        plan_where(&b->plan, in, where, sizeof(where));
        return error_input(err, "%s: unexpected FROM", where);
    }
    return step_meta(b, st, in, err);
}
