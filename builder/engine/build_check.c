/*
 * Build checks in a build and in `strata build --check`: the engine's side
 * of builder/recipe/checks.c (which stages, the check options, what the
 * store knows about a base image, printing).
 */
#include "builder/engine/build_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builder/engine/engine.h"
#include "builder/engine/progress.h"
#include "builder/recipe/checks.h"
#include "formats/core/log.h"
#include "formats/core/mem.h"
#include "formats/json.h"
#include "formats/platform.h"
#include "store/image.h"
#include "store/index.h"

#include "formats/core/banned.h"

/* What the store knows of a base image: its environment, Shell and platform. */
static int
build_check_image(void *arg, const char *ref, struct strvec *env, int *has_shell, char *platform,
                  size_t platform_len)
{
    struct store *s = arg;
    char digest[DIGEST_STR_LEN + 1];
    struct image img;
    struct error e;
    const cJSON *cfg, *x;

    error_init(&e);
    if (index_resolve(s, ref, digest, &e) < 0 || image_load_digest(s, digest, &img, &e) < 0)
        return -1; /* not here: nothing is known (a build would pull it) */
    cfg = cJSON_GetObjectItemCaseSensitive(img.config, "config");
    cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(cfg, "Env"))
    {
        if (cJSON_IsString(x) && strchr(x->valuestring, '='))
            strvec_push(env, x->valuestring);
    }
    x = cJSON_GetObjectItemCaseSensitive(cfg, "Shell");
    *has_shell = cJSON_IsArray(x) && cJSON_GetArraySize(x) > 0;
    {
        const char *os = json_string(img.config, "os", 0, "", &e);
        const char *arch = json_string(img.config, "architecture", 0, "", &e);
        snprintf(platform, platform_len, "%s/%s", os ? os : "", arch ? arch : "");
    }
    if (!strcmp(platform, "/"))
        platform[0] = '\0';
    image_release(&img);
    return 0;
}

/* The check options: BUILDKIT_DOCKERFILE_CHECK wins over the `# check=` directive. */
static int
build_check_config(const struct plan *p, struct check_config *cfg, struct error *err)
{
    const char *text = p->recipe.check;
    size_t i;

    for (i = 0; i < p->o->build_args.n; i++)
        if (!strncmp(p->o->build_args.v[i], "BUILDKIT_DOCKERFILE_CHECK=", 26))
            text = p->o->build_args.v[i] + 26;
    if (check_config_parse(text, cfg, err) < 0)
        return error_wrap(err, "%s: check", p->recipe.file);
    return 0;
}

/* Runs the checks on the stages marked in stages (NULL: all); verbose adds each rule's page. */
static int
build_check_stages(struct plan *p, struct store *s, const struct context *ctx,
                   const unsigned char *stages, int verbose, struct check_result *res,
                   struct error *err)
{
    struct check_config cfg;
    cleanup_free char *platform = xasprintf("linux/%s", platform_host_arch());
    struct check_input in;
    size_t i;

    if (build_check_config(p, &cfg, err) < 0)
        return -1;
    memset(&in, 0, sizeof(in));
    in.recipe = &p->recipe;
    in.cfg = &cfg;
    in.stages = stages;
    in.build_args = &p->o->build_args;
    in.predefined = &p->predefined;
    in.platform = platform;
    in.ignore = ctx && ctx->has_ignore ? &ctx->ignore : NULL;
    in.image = build_check_image;
    in.image_arg = s;
    checks_run(&in, res);
    for (i = 0; i < res->n; i++) {
        cleanup_free char *line = check_format(&res->w[i]);
        const struct check_rule_info *r = &check_rules[res->w[i].rule];
        log_warn("%s:%d: %s", p->recipe.file, res->w[i].line, line);
        if (verbose)
            log_warn("  %s%s%s", r->description, r->url ? " " : "", r->url ? r->url : "");
    }
    i = (size_t)cfg.error;
    check_config_release(&cfg);
    return (int)i;
}

int
build_check_plan(struct build *b, struct error *err)
{
    cleanup_free unsigned char *stages = xcalloc(b->plan.nstages + 1, 1);
    struct check_result res = {NULL, 0, 0};
    cleanup_free char *why = NULL;
    size_t i;
    int fatal;

    for (i = 0; i < b->plan.nstages; i++)
        stages[i] = (unsigned char)b->plan.stages[i].needed;
    fatal = build_check_stages(&b->plan, b->store, &b->ctx, stages, 0, &res, err);
    if (fatal > 0 && (why = check_violations(&res)) != NULL)
        error_input(err, "%s:%d: %s", b->plan.recipe.file, res.w[0].line, why);
    check_result_release(&res);
    return fatal < 0 || why ? -1 : 0;
}

int
build_check(struct store *s, const struct build_opts *o, struct error *err)
{
    struct plan p;
    struct context ctx;
    struct check_result res = {NULL, 0, 0};
    cleanup_free unsigned char *stages = NULL;
    int rc = -1;

    plan_init(&p, o);
    memset(&ctx, 0, sizeof(ctx));
    ctx.fd = -1;
    if (plan_read(&p, err) < 0)
        goto out;
    if (o->target) { /* the stages that target needs; else all of them, as BuildKit does */
        struct stage *t = plan_find_stage(&p, o->target);
        size_t i;
        if (!t) {
            error_input(err, "%s: target stage \"%s\" not found", o->recipe, o->target);
            goto out;
        }
        plan_mark_needed(&p, t);
        stages = xcalloc(p.nstages + 1, 1);
        for (i = 0; i < p.nstages; i++)
            stages[i] = (unsigned char)p.stages[i].needed;
    }
    if (context_open(&ctx, o->context, o->recipe, err) < 0 ||
        build_check_stages(&p, s, &ctx, stages, 1, &res, err) < 0)
        goto out;
    if (res.n) {
        error_set(err, 0, "%s: %zu warning%s found by the build checks", p.recipe.file, res.n,
                  res.n == 1 ? "" : "s");
        goto out;
    }
    progress_line("%s: no warnings found by the build checks", p.recipe.file);
    rc = 0;
out:
    check_result_release(&res);
    context_release(&ctx);
    plan_release(&p);
    return rc;
}
