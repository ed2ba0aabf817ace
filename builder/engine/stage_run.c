/*
 * Building one stage: FROM (scratch, an earlier stage or an image; the
 * default PATH; the base's ONBUILD triggers), then each instruction in order.
 */
#include "builder/engine/stage_run.h"

#include <string.h>
#include <strings.h>

#include "builder/engine/cachekey.h"
#include "builder/engine/engine.h"
#include "builder/engine/imageopts.h"
#include "builder/engine/progress.h"
#include "builder/engine/step.h"
#include "builder/recipe/expand.h"
#include "formats/core/buf.h"
#include "formats/core/mem.h"
#include "formats/json.h"

#define STAGE_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* Like BuildKit, a stage whose base sets no PATH gets the default one in its config. */
static void
stage_default_path(struct stage *st)
{
    cJSON *cfg = cJSON_GetObjectItemCaseSensitive(st->config, "config");
    cJSON *env = cJSON_GetObjectItemCaseSensitive(cfg, "Env");
    const cJSON *e;

    cJSON_ArrayForEach(e, env)
    {
        if (cJSON_IsString(e) && !strncmp(e->valuestring, "PATH=", 5))
            return;
    }
    if (!cJSON_IsArray(env)) {
        cJSON_DeleteItemFromObjectCaseSensitive(cfg, "Env");
        env = json_add_array(cfg, "Env");
    }
    cJSON_InsertItemInArray(env, 0, cJSON_CreateString("PATH=" STAGE_DEFAULT_PATH));
}

/*
 * Dockerfile reference, ONBUILD: the base's triggers run right after FROM,
 * in order, and the new image does not inherit them.
 */
static int
stage_onbuild(struct build *b, struct stage *st, const char *ref, struct error *err)
{
    cJSON *cfg = cJSON_GetObjectItemCaseSensitive(st->config, "config");
    const cJSON *ob = cJSON_GetObjectItemCaseSensitive(cfg, "OnBuild"), *t;
    cleanup_buf struct buf text = BUF_INIT;
    cleanup_free char *name = xasprintf("ONBUILD of %s", ref);

    if (!cJSON_IsArray(ob) || !cJSON_GetArraySize(ob)) {
        cJSON_DeleteItemFromObjectCaseSensitive(cfg, "OnBuild");
        return 0;
    }
    cJSON_ArrayForEach(t, ob)
    {
        if (cJSON_IsString(t))
            buf_addf(&text, "%s\n", t->valuestring);
    }
    cJSON_DeleteItemFromObjectCaseSensitive(cfg, "OnBuild");
    if (parse_recipe(name, buf_cstr(&text), text.len, &st->onbuild, err) < 0 ||
        parse_validate_triggers(&st->onbuild, err) < 0)
        return -1;
    (void)b;
    st->nsteps += st->onbuild.n;
    return 0;
}

/*
 * A stage starting from an image or scratch chains its cache keys to its
 * platform too: the same recipe lines give other layers on another
 * platform, and a scratch stage has no manifest digest that would differ.
 */
static void
stage_key_platform(struct stage *st)
{
    struct cachekey k;
    char plat[PLATFORM_STR_MAX];

    platform_format(&st->platform, plat);
    cachekey_init(&k, st->key);
    cachekey_add(&k, "platform", plat);
    cachekey_final(&k, st->key);
}

static int
stage_start(struct build *b, struct stage *st, struct error *err)
{
    cleanup_free char *ref = NULL;
    char where[256];
    struct stage *src;
    int rc;

    plan_where(&b->plan, st->from, where, sizeof(where));
    if (!st->from->args.n)
        return error_input(err, "%s: FROM needs an image", where);
    if (expand_word(st->from->args.v[0], b->plan.recipe.escape, &b->plan.global_args, &ref, err) <
        0)
        return error_wrap(err, "%s", where);
    progress_line("[%s1/%zu] FROM %s", st->label, st->nsteps, ref);
    src = plan_find_stage(&b->plan, ref);
    if (src && src->index >= st->index)
        src = NULL; /* FROM names an earlier stage, or else an image */
    if (!strcasecmp(ref, "scratch")) {
        st->config = oci_config_new();
        oci_config_set_platform(st->config, &st->platform);
        /* BuildKit's emptyImage: a scratch image works in / */
        json_set_string(cJSON_GetObjectItemCaseSensitive(st->config, "config"), "WorkingDir", "/");
        memcpy(st->key, "scratch", 8);
        rc = 0;
    } else if (src) {
        rc = stage_from_stage(st, src);
    } else {
        rc = stage_from_image(b, st, ref, err);
    }
    if (rc < 0)
        return error_wrap(err, "%s: FROM %s", where, ref);
    if (!src)
        stage_key_platform(st);
    /*
     * An image config may lack "config" (it is optional in image-spec config.md)
     * or hold something else there: replacing a missing key would fail and leak
     * the new object, and the default PATH would have nowhere to go.
     */
    if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(st->config, "config"))) {
        cJSON_DeleteItemFromObjectCaseSensitive(st->config, "config");
        json_add_object(st->config, "config");
    }
    if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(st->config, "history"))) {
        cJSON_DeleteItemFromObjectCaseSensitive(st->config, "history");
        json_add_array(st->config, "history");
    }
    stage_default_path(st);
    imageopts_salt_key(b, st->key); /* --timestamp */
    st->step_no = 1;
    return stage_onbuild(b, st, ref, err) < 0 ? error_wrap(err, "%s: FROM %s", where, ref) : 0;
}

/*
 * A stage shared with an earlier platform's build (builder/engine/platforms.h)
 * was built there: it takes that state, running nothing.
 */
static int
stage_shared(struct stage *st)
{
    const struct stage *src = st->alias;
    size_t l = strlen(st->label), m = strlen(src->label);

    if (!src->done)
        BUG("stage_shared: the shared stage was not built first");
    stage_from_stage(st, src);
    progress_line("[%.*s] shared with [%.*s]: built once for every platform",
                  (int)(l && st->label[l - 1] == ' ' ? l - 1 : l), st->label,
                  (int)(m && src->label[m - 1] == ' ' ? m - 1 : m), src->label);
    st->done = 1;
    return 0;
}

int
stage_run(struct build *b, struct stage *st, struct error *err)
{
    size_t i;

    if (st->alias)
        return stage_shared(st);
    if (stage_start(b, st, err) < 0)
        return -1;
    for (i = 0; i < st->onbuild.n; i++) {
        st->step_no++;
        if (step_exec(b, st, &st->onbuild.instrs[i], err) < 0)
            return -1;
    }
    for (i = st->first; i < st->end; i++) {
        st->step_no++;
        if (step_exec(b, st, &b->plan.recipe.instrs[i], err) < 0)
            return -1;
    }
    st->done = 1;
    return 0;
}
