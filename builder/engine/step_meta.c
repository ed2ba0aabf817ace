/*
 * Instructions that change only the image config (ENV, LABEL, EXPOSE, CMD,
 * ENTRYPOINT, HEALTHCHECK, SHELL, ONBUILD, VOLUME, USER, STOPSIGNAL,
 * MAINTAINER, WORKDIR's config part) and ARG.
 */
#include "builder/engine/step_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "builder/engine/cachekey.h"
#include "builder/engine/progress.h"
#include "builder/recipe/expand.h"
#include "formats/core/fsutil.h"
#include "formats/core/mem.h"
#include "formats/json.h"

static cJSON *
step_obj(cJSON *cfg, const char *key)
{
    cJSON *o = cJSON_GetObjectItemCaseSensitive(cfg, key);

    if (!cJSON_IsObject(o)) {
        cJSON_DeleteItemFromObjectCaseSensitive(cfg, key);
        o = json_add_object(cfg, key);
    }
    return o;
}

static void
step_set(cJSON *cfg, const char *key, cJSON *value)
{
    if (cJSON_GetObjectItemCaseSensitive(cfg, key))
        cJSON_ReplaceItemInObjectCaseSensitive(cfg, key, value);
    else
        cJSON_AddItemToObject(cfg, key, value);
}

static void
step_env_set(cJSON *cfg, const char *k, const char *v)
{
    cJSON *env = cJSON_GetObjectItemCaseSensitive(cfg, "Env");
    cJSON *e;
    size_t kl = strlen(k);
    cleanup_free char *kv = xasprintf("%s=%s", k, v);

    if (!cJSON_IsArray(env)) {
        cJSON_DeleteItemFromObjectCaseSensitive(cfg, "Env");
        env = json_add_array(cfg, "Env");
    }
    cJSON_ArrayForEach(e, env)
    {
        if (cJSON_IsString(e) && !strncmp(e->valuestring, k, kl) && e->valuestring[kl] == '=') {
            cJSON_SetValuestring(e, kv);
            return;
        }
    }
    cJSON_AddItemToArray(env, cJSON_CreateString(kv));
}

static cJSON *
step_command(const cJSON *cfg, const struct parse_instr *in, size_t from)
{
    cJSON *a = cJSON_CreateArray();
    size_t i;

    if (!in->json) {
        cleanup_strvec struct strvec sh = STRVEC_INIT;
        step_shell(cfg, &sh);
        for (i = 0; i < sh.n; i++)
            cJSON_AddItemToArray(a, cJSON_CreateString(sh.v[i]));
    }
    for (i = from; i < in->args.n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(in->args.v[i]));
    return a;
}

/* Go's time.ParseDuration subset used by HEALTHCHECK: "1h2m3.5s", "300ms". */
static int
step_duration(const char *s, long long *ns)
{
    double total = 0;
    const char *p = s;

    if (!*p)
        return -1;
    while (*p) {
        char *end;
        double v = strtod(p, &end);
        double unit;
        if (end == p)
            return -1;
        p = end;
        if (!strncmp(p, "ns", 2))
            unit = 1, p += 2;
        else if (!strncmp(p, "us", 2))
            unit = 1e3, p += 2;
        else if (!strncmp(p, "ms", 2))
            unit = 1e6, p += 2;
        else if (*p == 's')
            unit = 1e9, p++;
        else if (*p == 'm')
            unit = 60e9, p++;
        else if (*p == 'h')
            unit = 3600e9, p++;
        else if (v == 0 && !*p)
            unit = 0;
        else
            return -1;
        total += v * unit;
    }
    *ns = (long long)total;
    return 0;
}

static int
step_healthcheck(const struct parse_instr *in, cJSON *cfg, const char *where, struct error *err)
{
    static const char *const durs[][2] = {{"interval", "Interval"},
                                          {"timeout", "Timeout"},
                                          {"start-period", "StartPeriod"},
                                          {"start-interval", "StartInterval"}};
    cJSON *hc = cJSON_CreateObject();
    size_t i;

    step_set(cfg, "Healthcheck", hc);
    if (!in->args.n || !strcasecmp(in->args.v[0], "NONE")) {
        cJSON *t = json_add_array(hc, "Test");
        cJSON_AddItemToArray(t, cJSON_CreateString("NONE"));
        return 0;
    }
    if (strcasecmp(in->args.v[0], "CMD") != 0)
        return error_input(err, "%s: HEALTHCHECK: unknown type \"%s\" (CMD or NONE)", where,
                           in->args.v[0]);
    {
        cJSON *t = json_add_array(hc, "Test");
        cJSON_AddItemToArray(t, cJSON_CreateString(in->json ? "CMD" : "CMD-SHELL"));
        for (i = 1; i < in->args.n; i++)
            cJSON_AddItemToArray(t, cJSON_CreateString(in->args.v[i]));
    }
    for (i = 0; i < sizeof(durs) / sizeof(durs[0]); i++) {
        const char *v = parse_flag(in, durs[i][0]);
        long long ns;
        if (!v)
            continue;
        if (step_duration(v, &ns) < 0)
            return error_input(err, "%s: HEALTHCHECK --%s=%s: not a duration", where, durs[i][0],
                               v);
        if (ns)
            cJSON_AddNumberToObject(hc, durs[i][1], (double)ns);
    }
    if (parse_flag(in, "retries")) {
        char *end;
        long r = strtol(parse_flag(in, "retries"), &end, 10);
        if (*end || r < 0)
            return error_input(err, "%s: HEALTHCHECK --retries: not a number", where);
        if (r)
            cJSON_AddNumberToObject(hc, "Retries", (double)r);
    }
    return 0;
}

static int
step_pairs(struct build *b, const struct parse_instr *in, const struct strvec *vars, cJSON *cfg,
           int env, const char *where, struct error *err)
{
    size_t i;

    if (in->args.n < 3 || in->args.n % 3)
        return error_input(err, "%s: %s needs KEY=VALUE pairs", where, env ? "ENV" : "LABEL");
    for (i = 0; i + 2 < in->args.n; i += 3) {
        cleanup_free char *k = NULL, *v = NULL;
        if (expand_word(in->args.v[i], b->plan.recipe.escape, vars, &k, err) < 0 ||
            expand_word(in->args.v[i + 1], b->plan.recipe.escape, vars, &v, err) < 0)
            return error_wrap(err, "%s", where);
        if (!*k)
            return error_input(err, "%s: %s: empty name", where, env ? "ENV" : "LABEL");
        if (env)
            step_env_set(cfg, k, v);
        else
            json_set_string(step_obj(cfg, "Labels"), k, v);
    }
    return 0;
}

/* "80", "80/udp", "7000-7002/tcp" (a range names each port, as BuildKit expands it) */
static int
step_expose_one(cJSON *ports, const char *word, const char *where, struct error *err)
{
    const char *slash = strchr(word, '/');
    const char *proto = slash ? slash + 1 : "tcp";
    char *end;
    long lo = strtol(word, &end, 10), hi = lo, p;

    if (end != word && *end == '-')
        hi = strtol(end + 1, &end, 10);
    if (end == word || lo < 0 || hi > 65535 || hi < lo || hi - lo > 4096 ||
        (*end != '/' && *end != '\0') || !*proto)
        return error_input(err, "%s: EXPOSE: invalid port \"%s\"", where, word);
    for (p = lo; p <= hi; p++) {
        char key[64];
        snprintf(key, sizeof(key), "%ld/%.16s", p, proto);
        if (!cJSON_GetObjectItemCaseSensitive(ports, key))
            json_add_object(ports, key);
    }
    return 0;
}

static int
step_expose(struct build *b, const struct parse_instr *in, const struct strvec *vars, cJSON *cfg,
            const char *where, struct error *err)
{
    cleanup_strvec struct strvec w = STRVEC_INIT;
    cJSON *ports;
    size_t i;

    if (step_words(b, in, vars, &w, where, err) < 0)
        return -1;
    ports = step_obj(cfg, "ExposedPorts");
    for (i = 0; i < w.n; i++)
        if (step_expose_one(ports, w.v[i], where, err) < 0)
            return -1;
    return 0;
}

static int
step_meta_apply(struct build *b, struct stage *st, const struct parse_instr *in, cJSON *cfg,
                const char **author, struct error *err)
{
    cleanup_strvec struct strvec vars = STRVEC_INIT;
    cleanup_strvec struct strvec w = STRVEC_INIT;
    const char *k = in->keyword;
    char where[256];
    size_t i;

    plan_where(&b->plan, in, where, sizeof(where));
    step_vars(st, &vars);
    if (!strcmp(k, "env") || !strcmp(k, "label"))
        return step_pairs(b, in, &vars, cfg, !strcmp(k, "env"), where, err);
    if (!strcmp(k, "expose"))
        return step_expose(b, in, &vars, cfg, where, err);
    if (!strcmp(k, "cmd") || !strcmp(k, "entrypoint")) {
        step_set(cfg, !strcmp(k, "cmd") ? "Cmd" : "Entrypoint", step_command(cfg, in, 0));
        if (!strcmp(k, "cmd"))
            st->cmd_set = 1;
        else if (!st->cmd_set) /* Dockerfile reference: ENTRYPOINT resets an inherited CMD */
            step_set(cfg, "Cmd", cJSON_CreateNull());
        return 0;
    }
    if (!strcmp(k, "healthcheck"))
        return step_healthcheck(in, cfg, where, err);
    if (!strcmp(k, "shell")) {
        if (!in->json || !in->args.n)
            return error_input(err, "%s: SHELL requires the JSON form, e.g. [\"/bin/sh\", \"-c\"]",
                               where);
        step_set(cfg, "Shell", step_command(cfg, in, 0));
        return 0;
    }
    if (!strcmp(k, "onbuild")) {
        cJSON *ob = cJSON_GetObjectItemCaseSensitive(cfg, "OnBuild");
        const char *text = in->original + strlen("onbuild");
        while (*text == ' ' || *text == '\t')
            text++;
        if (!cJSON_IsArray(ob)) {
            cJSON_DeleteItemFromObjectCaseSensitive(cfg, "OnBuild");
            ob = json_add_array(cfg, "OnBuild");
        }
        cJSON_AddItemToArray(ob, cJSON_CreateString(text));
        return 0;
    }
    if (step_words(b, in, &vars, &w, where, err) < 0)
        return -1;
    if (!strcmp(k, "volume")) {
        cJSON *vols = step_obj(cfg, "Volumes");
        for (i = 0; i < w.n; i++)
            if (*w.v[i] && !cJSON_GetObjectItemCaseSensitive(vols, w.v[i]))
                json_add_object(vols, w.v[i]);
        return 0;
    }
    if (!w.n || !*w.v[0])
        return error_input(err, "%s: %s needs an argument", where, k);
    if (!strcmp(k, "workdir")) {
        const cJSON *cur = cJSON_GetObjectItemCaseSensitive(cfg, "WorkingDir");
        cleanup_free char *joined =
            w.v[0][0] == '/'
                ? xstrdup(w.v[0])
                : fs_join(cJSON_IsString(cur) && *cur->valuestring ? cur->valuestring : "/",
                          w.v[0]);
        cleanup_free char *clean = context_clean(joined, err);
        cleanup_free char *abs =
            clean ? (strcmp(clean, ".") ? xasprintf("/%s", clean) : xstrdup("/")) : NULL;
        if (!abs)
            return error_wrap(err, "%s", where);
        json_set_string(cfg, "WorkingDir", abs);
    } else if (!strcmp(k, "user")) {
        json_set_string(cfg, "User", w.v[0]);
    } else if (!strcmp(k, "stopsignal")) {
        json_set_string(cfg, "StopSignal", w.v[0]);
    } else if (!strcmp(k, "maintainer")) {
        *author = in->original + strlen("maintainer ");
    } else {
        return error_input(err, "%s: unknown instruction %s", where, k);
    }
    return 0;
}

int
step_meta(struct build *b, struct stage *st, const struct parse_instr *in, struct error *err)
{
    cleanup_cjson cJSON *cfg = cJSON_Duplicate(step_cfg(st), 1);
    cleanup_free char *desc = NULL;
    struct cachekey k;
    char key[DIGEST_STR_LEN + 1];
    const char *author = NULL;
    struct step_out o = {0};

    if (step_meta_apply(b, st, in, cfg, &author, err) < 0)
        return -1;
    /* the key covers the resulting config, so expansions are part of it */
    desc = json_print(cfg);
    cJSON_AddItemToObject(st->inputs, "config", cJSON_Duplicate(cfg, 1));
    cachekey_init(&k, st->key);
    cachekey_add(&k, "instruction", in->original);
    cachekey_add(&k, "config", desc);
    cachekey_add(&k, "author", author ? author : "");
    cachekey_final(&k, key);
    if (step_try_cache(b, st, in, key))
        return 0;
    if (!strcmp(in->keyword, "workdir") &&
        strcmp(json_string(cfg, "WorkingDir", 0, "", err), "/") != 0)
        return step_workdir(b, st, in, key, steal_ptr(&cfg), err);
    progress_line("[%s%zu/%zu] %s", st->label, st->step_no, st->nsteps, in->original);
    o.config = steal_ptr(&cfg);
    o.created_by = in->original;
    o.author = author;
    o.provenance = step_provenance(st, in, key);
    return step_commit(b, st, key, &o, err);
}

int
step_arg(struct build *b, struct stage *st, const struct parse_instr *in, struct error *err)
{
    cleanup_strvec struct strvec vars = STRVEC_INIT;
    cleanup_strvec struct strvec before = STRVEC_INIT;
    struct cachekey k;
    char key[DIGEST_STR_LEN + 1];
    struct step_out o = {0};

    step_vars(st, &vars);
    strvec_copy(&before, &st->args);
    if (plan_declare_args(&b->plan, in, &vars, &b->plan.global_args, &st->args, err) < 0)
        return -1;
    cachekey_init(&k, st->key);
    cachekey_add(&k, "instruction", in->original);
    cachekey_add_vec(&k, "args", &st->args);
    {
        cJSON *a = json_add_array(st->inputs, "args");
        size_t i;
        for (i = 0; i < st->args.n; i++)
            cJSON_AddItemToArray(a, cJSON_CreateString(st->args.v[i]));
    }
    cachekey_final(&k, key);
    if (step_try_cache(b, st, in, key))
        return 0;
    progress_line("[%s%zu/%zu] %s", st->label, st->step_no, st->nsteps, in->original);
    o.config = cJSON_Duplicate(step_cfg(st), 1);
    o.created_by = in->original;
    o.provenance = step_provenance(st, in, key);
    return step_commit(b, st, key, &o, err);
}
