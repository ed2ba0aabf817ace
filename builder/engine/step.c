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

#include "formats/core/banned.h"

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

static int
step_unexpected(struct build *b, struct stage *st, const struct parse_instr *in,
                const struct step_runner *run, struct error *err)
{
    char where[256];

    (void)st;
    (void)run;
    plan_where(&b->plan, in, where, sizeof(where));
    return error_input(err, "%s: unexpected %s", where, in->keyword);
}

typedef int step_fn(struct build *b, struct stage *st, const struct parse_instr *in,
                    const struct step_runner *run, struct error *err);

/* Each kind of instruction and the step that runs it. */
static step_fn *const step_table[INSTR_NKINDS] = {
    [INSTR_ADD] = step_copy,    [INSTR_ARG] = step_arg,         [INSTR_CMD] = step_meta,
    [INSTR_COPY] = step_copy,   [INSTR_ENTRYPOINT] = step_meta, [INSTR_ENV] = step_meta,
    [INSTR_EXPOSE] = step_meta, [INSTR_FROM] = step_unexpected, [INSTR_HEALTHCHECK] = step_meta,
    [INSTR_LABEL] = step_meta,  [INSTR_MAINTAINER] = step_meta, [INSTR_ONBUILD] = step_meta,
    [INSTR_RUN] = step_run,     [INSTR_SHELL] = step_meta,      [INSTR_STOPSIGNAL] = step_meta,
    [INSTR_USER] = step_meta,   [INSTR_VOLUME] = step_meta,     [INSTR_WORKDIR] = step_meta,
};

int
step_exec(struct build *b, struct stage *st, const struct parse_instr *in,
          const struct step_runner *run, struct error *err)
{
    if (st->inputs)
        cJSON_Delete(st->inputs);
    st->inputs = cJSON_CreateObject(); /* filled by the step: what --explain-cache compares */
    return step_table[in->kind](b, st, in, run, err);
}
