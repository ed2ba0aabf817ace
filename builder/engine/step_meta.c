/*
 * Instructions that change only the image config (ENV, LABEL, EXPOSE, CMD,
 * ENTRYPOINT, HEALTHCHECK, SHELL, ONBUILD, VOLUME, USER, STOPSIGNAL,
 * MAINTAINER, WORKDIR's config part) and ARG.
 */
#include "builder/engine/step_internal.h"

#include <ctype.h>
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
#include "builder/engine/history.h"
#include "builder/engine/progress.h"
#include "builder/recipe/expand.h"
#include "formats/core/fsutil.h"
#include "formats/core/mem.h"
#include "formats/json.h"

#include "formats/core/banned.h"

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
    const struct {
        const char *flag, *value, *field;
    } durs[] = {{"interval", in->f.interval, "Interval"},
                {"timeout", in->f.timeout, "Timeout"},
                {"start-period", in->f.start_period, "StartPeriod"},
                {"start-interval", in->f.start_interval, "StartInterval"}};
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
        const char *v = durs[i].value;
        long long ns;
        if (!v)
            continue;
        if (step_duration(v, &ns) < 0)
            return error_input(err, "%s: HEALTHCHECK --%s=%s: not a duration", where, durs[i].flag,
                               v);
        if (ns)
            cJSON_AddNumberToObject(hc, durs[i].field, (double)ns);
    }
    if (in->f.retries) {
        char *end;
        long r = strtol(in->f.retries, &end, 10);
        if (*end || r < 0)
            return error_input(err, "%s: HEALTHCHECK --retries: not a number", where);
        if (r)
            cJSON_AddNumberToObject(hc, "Retries", (double)r);
    }
    return 0;
}

static int
step_pairs(struct build *b, const struct parse_instr *in, const struct strvec *vars, cJSON *cfg,
           int env, struct buf *hist, const char *where, struct error *err)
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
        buf_addf(hist, " %s=%s", k, v); /* BuildKit's KeyValuePair.String() */
    }
    return 0;
}

/*
 * "80", "80/udp", "7000-7002/tcp" (a range names each port, as BuildKit
 * expands it). As BuildKit's parsePortSpec, an "[ip:]hostport:" prefix is
 * accepted and ignored (a build check warns about it), and the protocol,
 * tcp, udp or sctp, is lower-cased.
 */
static int
step_expose_one(cJSON *ports, struct strvec *mine, const char *word, const char *where,
                struct error *err)
{
    const char *spec = strrchr(word, ':') ? strrchr(word, ':') + 1 : word;
    const char *slash = strchr(spec, '/');
    char proto[8] = "tcp";
    char *end;
    long lo = strtol(spec, &end, 10), hi = lo, p;
    size_t i;

    if (slash && *(slash + 1)) {
        for (i = 0; slash[1 + i] && i + 1 < sizeof(proto); i++)
            proto[i] = (char)tolower((unsigned char)slash[1 + i]);
        proto[i] = '\0';
        if (slash[1 + i] || (strcmp(proto, "tcp") && strcmp(proto, "udp") && strcmp(proto, "sctp")))
            return error_input(err, "%s: EXPOSE %s: invalid proto: %s", where, word, slash + 1);
    }
    if (end != spec && *end == '-')
        hi = strtol(end + 1, &end, 10);
    if (end == spec || lo < 0 || hi > 65535 || hi < lo || hi - lo > 4096 ||
        (*end != '/' && *end != '\0'))
        return error_input(err, "%s: EXPOSE: invalid port \"%s\"", where, word);
    for (p = lo; p <= hi; p++) {
        char key[64];
        snprintf(key, sizeof(key), "%ld/%s", p, proto);
        if (!cJSON_GetObjectItemCaseSensitive(ports, key))
            json_add_object(ports, key);
        if (!strvec_getenv(mine, key))
            strvec_push(mine, key);
    }
    return 0;
}

static int
step_cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * EXPOSE: every word expanded and split, as BuildKit's ProcessWords does it
 * (ARG PORTS="3000 4000/udp"; EXPOSE $PORTS exposes both); the history
 * lists this instruction's ports, sorted.
 */
static int
step_expose(struct build *b, const struct parse_instr *in, const struct strvec *vars, cJSON *cfg,
            struct buf *hist, const char *where, struct error *err)
{
    cleanup_strvec struct strvec w = STRVEC_INIT;
    cleanup_strvec struct strvec mine = STRVEC_INIT;
    cJSON *ports;
    size_t i;

    for (i = 0; i < in->args.n; i++)
        if (expand_words(in->args.v[i], b->plan.recipe.escape, vars, &w, err) < 0)
            return error_wrap(err, "%s", where);
    ports = step_obj(cfg, "ExposedPorts");
    for (i = 0; i < w.n; i++)
        if (step_expose_one(ports, &mine, w.v[i], where, err) < 0)
            return -1;
    if (mine.n)
        qsort(mine.v, mine.n, sizeof(char *), step_cmp_str);
    buf_addch(hist, ' ');
    history_list(hist, &mine);
    return 0;
}

/* The strings of a JSON array (others skipped). */
static void
step_array_strings(const cJSON *a, struct strvec *out)
{
    const cJSON *e;

    cJSON_ArrayForEach(e, a)
    {
        if (cJSON_IsString(e))
            strvec_push(out, e->valuestring);
    }
}

/* BuildKit's "HEALTHCHECK %q" of its health config: &{["CMD" "x"] "30s" "0s" "0s" "0s" '\x03'} */
static void
step_healthcheck_history(const cJSON *hc, struct buf *hist)
{
    static const char *const durs[] = {"Interval", "Timeout", "StartPeriod", "StartInterval"};
    cleanup_strvec struct strvec test = STRVEC_INIT;
    long long v;
    struct error e;
    size_t i;

    step_array_strings(cJSON_GetObjectItemCaseSensitive(hc, "Test"), &test);
    buf_adds(hist, " &{");
    history_quote_list(hist, &test);
    for (i = 0; i < 4; i++) {
        cleanup_buf struct buf d = BUF_INIT;
        v = 0;
        error_init(&e);
        (void)json_int(hc, durs[i], 0, &v, "", &e);
        history_duration(&d, v);
        buf_addch(hist, ' ');
        history_quote(hist, buf_cstr(&d));
    }
    v = 0;
    (void)json_int(hc, "Retries", 0, &v, "", &e);
    buf_addch(hist, ' ');
    history_rune(hist, v);
    buf_addch(hist, '}');
}

/* What a metadata instruction works on: the config after the step, being built. */
struct step_meta_args {
    struct build *b;
    struct stage *st;
    const struct parse_instr *in;
    cJSON *cfg;
    const struct strvec *vars;
    const char *where;
    const char **author;
    struct buf *hist; /* the history text: the keyword is there, each handler adds the rest */
};

static int
step_meta_pairs(const struct step_meta_args *a, struct error *err)
{
    return step_pairs(a->b, a->in, a->vars, a->cfg, a->in->kind == INSTR_ENV, a->hist, a->where,
                      err);
}

static int
step_meta_expose(const struct step_meta_args *a, struct error *err)
{
    return step_expose(a->b, a->in, a->vars, a->cfg, a->hist, a->where, err);
}

static int
step_meta_command(const struct step_meta_args *a, struct error *err)
{
    int cmd = a->in->kind == INSTR_CMD;
    cleanup_strvec struct strvec words = STRVEC_INIT;
    cJSON *c = step_command(a->cfg, a->in, 0);

    (void)err;
    step_array_strings(c, &words);
    step_set(a->cfg, cmd ? "Cmd" : "Entrypoint", c);
    if (cmd)
        a->st->cmd_set = 1;
    else if (!a->st->cmd_set) /* Dockerfile reference: ENTRYPOINT resets an inherited CMD */
        step_set(a->cfg, "Cmd", cJSON_CreateNull());
    buf_addch(a->hist, ' ');
    history_quote_list(a->hist, &words);
    return 0;
}

static int
step_meta_healthcheck(const struct step_meta_args *a, struct error *err)
{
    if (step_healthcheck(a->in, a->cfg, a->where, err) < 0)
        return -1;
    step_healthcheck_history(cJSON_GetObjectItemCaseSensitive(a->cfg, "Healthcheck"), a->hist);
    return 0;
}

static int
step_meta_shell(const struct step_meta_args *a, struct error *err)
{
    if (!a->in->json || !a->in->args.n)
        return error_input(err, "%s: SHELL requires the JSON form, e.g. [\"/bin/sh\", \"-c\"]",
                           a->where);
    step_set(a->cfg, "Shell", step_command(a->cfg, a->in, 0));
    buf_addch(a->hist, ' ');
    history_list(a->hist, &a->in->args);
    return 0;
}

static int
step_meta_onbuild(const struct step_meta_args *a, struct error *err)
{
    cJSON *ob = cJSON_GetObjectItemCaseSensitive(a->cfg, "OnBuild");
    const char *text = a->in->original + strlen("onbuild");
    struct buf trigger = BUF_INIT;
    size_t i;

    (void)err;
    /*
     * As BuildKit's parseOnBuild: the trigger as written without the
     * keyword, its heredoc bodies and terminators appended, so that the
     * child build parses `ONBUILD RUN <<EOF` with its body.
     */
    text += strspn(text, " \t\n\f\r");
    buf_adds(&trigger, text);
    for (i = 0; i < a->in->nheredocs; i++)
        buf_addf(&trigger, "\n%s%s", a->in->heredocs[i].content, a->in->heredocs[i].name);
    if (!cJSON_IsArray(ob)) {
        cJSON_DeleteItemFromObjectCaseSensitive(a->cfg, "OnBuild");
        ob = json_add_array(a->cfg, "OnBuild");
    }
    cJSON_AddItemToArray(ob, cJSON_CreateString(buf_cstr(&trigger)));
    buf_release(&trigger);
    return 0;
}

static int
step_meta_volume(const struct step_meta_args *a, struct error *err)
{
    cleanup_strvec struct strvec w = STRVEC_INIT;
    cJSON *vols;
    size_t i;

    if (step_words(a->b, a->in, a->vars, &w, a->where, err) < 0)
        return -1;
    vols = step_obj(a->cfg, "Volumes");
    for (i = 0; i < w.n; i++)
        if (*w.v[i] && !cJSON_GetObjectItemCaseSensitive(vols, w.v[i]))
            json_add_object(vols, w.v[i]);
    buf_addch(a->hist, ' ');
    history_list(a->hist, &w);
    return 0;
}

static int
step_meta_workdir(const struct step_meta_args *a, const char *dir, struct error *err)
{
    const cJSON *cur = cJSON_GetObjectItemCaseSensitive(a->cfg, "WorkingDir");
    cleanup_free char *joined =
        dir[0] == '/'
            ? xstrdup(dir)
            : fs_join(cJSON_IsString(cur) && *cur->valuestring ? cur->valuestring : "/", dir);
    cleanup_free char *clean = context_clean(joined, err);
    cleanup_free char *abs =
        clean ? (strcmp(clean, ".") ? xasprintf("/%s", clean) : xstrdup("/")) : NULL;

    if (!abs)
        return error_wrap(err, "%s", a->where);
    json_set_string(a->cfg, "WorkingDir", abs);
    buf_addf(a->hist, " %s", abs);
    return 0;
}

/* WORKDIR, USER, STOPSIGNAL and MAINTAINER take one word. */
static int
step_meta_word(const struct step_meta_args *a, struct error *err)
{
    cleanup_strvec struct strvec w = STRVEC_INIT;

    if (a->in->kind == INSTR_MAINTAINER) {
        *a->author = a->in->original + strlen("maintainer ");
        buf_addf(a->hist, " %s", *a->author);
        return 0;
    }
    if (step_words(a->b, a->in, a->vars, &w, a->where, err) < 0)
        return -1;
    if (!w.n || !*w.v[0])
        return error_input(err, "%s: %s needs an argument", a->where, a->in->keyword);
    if (a->in->kind == INSTR_WORKDIR)
        return step_meta_workdir(a, w.v[0], err);
    json_set_string(a->cfg, a->in->kind == INSTR_USER ? "User" : "StopSignal", w.v[0]);
    buf_addf(a->hist, " %s", w.v[0]);
    return 0;
}

typedef int step_meta_fn(const struct step_meta_args *a, struct error *err);

static step_meta_fn *const step_meta_table[INSTR_NKINDS] = {
    [INSTR_ENV] = step_meta_pairs,          [INSTR_LABEL] = step_meta_pairs,
    [INSTR_EXPOSE] = step_meta_expose,      [INSTR_CMD] = step_meta_command,
    [INSTR_ENTRYPOINT] = step_meta_command, [INSTR_HEALTHCHECK] = step_meta_healthcheck,
    [INSTR_SHELL] = step_meta_shell,        [INSTR_ONBUILD] = step_meta_onbuild,
    [INSTR_VOLUME] = step_meta_volume,      [INSTR_WORKDIR] = step_meta_word,
    [INSTR_USER] = step_meta_word,          [INSTR_STOPSIGNAL] = step_meta_word,
    [INSTR_MAINTAINER] = step_meta_word,
};

static int
step_meta_apply(struct build *b, struct stage *st, const struct parse_instr *in, cJSON *cfg,
                const char **author, struct buf *hist, struct error *err)
{
    cleanup_strvec struct strvec vars = STRVEC_INIT;
    char where[256];
    struct step_meta_args a = {b, st, in, cfg, &vars, where, author, hist};
    char *kw;

    plan_where(&b->plan, in, where, sizeof(where));
    /* BuildKit's history texts start with the keyword in upper case */
    for (kw = in->keyword; *kw; kw++)
        buf_addch(hist, (char)toupper((unsigned char)*kw));
    if (!step_meta_table[in->kind])
        BUG("step_meta: an instruction kind without a handler");
    step_vars(st, &vars);
    return step_meta_table[in->kind](&a, err);
}

int
step_meta(struct build *b, struct stage *st, const struct parse_instr *in,
          const struct step_runner *run, struct error *err)
{
    cleanup_cjson cJSON *cfg = cJSON_Duplicate(step_cfg(st), 1);
    cleanup_free char *desc = NULL;
    cleanup_buf struct buf hist = BUF_INIT;
    struct cachekey k;
    char key[DIGEST_STR_LEN + 1];
    const char *author = NULL;
    struct step_out o = {0};

    if (step_meta_apply(b, st, in, cfg, &author, &hist, err) < 0)
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
    if (in->kind == INSTR_WORKDIR && strcmp(json_string(cfg, "WorkingDir", 0, "", err), "/") != 0) {
        if (st->dry) { /* a lazy stage: the config changes, the directory comes later */
            cJSON_ReplaceItemInObjectCaseSensitive(st->config, "config", steal_ptr(&cfg));
            return run->on_miss(b, st, in, key) ? 0 : -1;
        }
        return step_workdir(b, st, in, key, steal_ptr(&cfg), err);
    }
    progress_line("[%s%zu/%zu] %s", st->label, st->step_no, st->nsteps, in->original);
    o.config = steal_ptr(&cfg);
    o.created_by = buf_cstr(&hist);
    o.no_history = in->kind == INSTR_ONBUILD; /* BuildKit's dispatchOnbuild commits no history */
    o.author = author;
    o.provenance = step_provenance(st, in, key);
    return step_commit(b, st, key, &o, err);
}

int
step_arg(struct build *b, struct stage *st, const struct parse_instr *in,
         const struct step_runner *run, struct error *err)
{
    cleanup_strvec struct strvec vars = STRVEC_INIT;
    cleanup_strvec struct strvec before = STRVEC_INIT;
    cleanup_buf struct buf hist = BUF_INIT;
    struct cachekey k;
    char key[DIGEST_STR_LEN + 1];
    struct step_out o = {0};
    size_t i;

    (void)run; /* an ARG step is only a record: it runs even in a dry stage */
    step_vars(st, &vars);
    strvec_copy(&before, &st->args);
    if (plan_declare_args(&b->plan, in, &vars, &b->plan.global_args, &st->args, &st->declared,
                          err) < 0)
        return -1;
    cachekey_init(&k, st->key);
    cachekey_add(&k, "instruction", in->original);
    cachekey_add_vec(&k, "args", &st->args);
    {
        cJSON *a = json_add_array(st->inputs, "args");
        for (i = 0; i < st->args.n; i++)
            cJSON_AddItemToArray(a, cJSON_CreateString(st->args.v[i]));
    }
    cachekey_final(&k, key);
    if (step_try_cache(b, st, in, key))
        return 0;
    progress_line("[%s%zu/%zu] %s", st->label, st->step_no, st->nsteps, in->original);
    /* BuildKit's dispatchArg: "ARG k=v" with the value in effect, "ARG k" without one */
    buf_adds(&hist, "ARG");
    for (i = 0; i < in->args.n; i++) {
        const char *eq = strchr(in->args.v[i], '=');
        cleanup_free char *name =
            xstrndup(in->args.v[i], eq ? (size_t)(eq - in->args.v[i]) : strlen(in->args.v[i]));
        const char *v = strvec_getenv(&st->args, name);
        buf_addf(&hist, v ? " %s=%s" : " %s", name, v);
    }
    o.config = cJSON_Duplicate(step_cfg(st), 1);
    o.created_by = buf_cstr(&hist);
    o.provenance = step_provenance(st, in, key);
    return step_commit(b, st, key, &o, err);
}
