/*
 * RUN: the command (shell or exec form, heredoc scripts) in the sandbox on an
 * overlay of the stage's layers, with its --mount list; the upper dir becomes
 * the step's layer.
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
#include "builder/engine/run_mounts.h"
#include "builder/sandbox/binfmt.h"
#include "builder/sandbox/caps.h"
#include "builder/sandbox/console.h"
#include "builder/sandbox/sandbox.h"
#include "builder/sandbox/syscall_filter.h"
#include "formats/core/buf.h"
#include "formats/core/fsutil.h"
#include "formats/core/log.h"
#include "formats/core/mem.h"
#include "formats/json.h"

#include "formats/core/banned.h"

#define STEP_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct step_run_ctx {
    const char *prefix;
};

static void
step_on_output(void *opaque, const char *line, size_t len)
{
    const struct step_run_ctx *c = opaque;

    progress_output(c->prefix, line, len);
}

/*
 * A heredoc script with a "#!" line (Dockerfile reference, "Here-Documents"):
 * the shell writes it to /dev/shm (a tmpfs of the sandbox, never part of the
 * layer) and runs it with the interpreter the line names.
 */
static char *
step_shebang_script(const char *body)
{
    size_t ll = strcspn(body + 2, "\n");
    cleanup_free char *line = xstrndup(body + 2, ll);
    char d[DIGEST_STR_LEN + 1];
    struct buf sc = BUF_INIT;
    size_t bl = strlen(body);

    digest_bytes(body, bl, d);
    buf_addf(&sc, "f=/dev/shm/strata-heredoc-$$\ncat > \"$f\" <<'STRATA_%.16s'\n%s%s",
             digest_hex(d), body, bl && body[bl - 1] == '\n' ? "" : "\n");
    buf_addf(&sc, "STRATA_%.16s\n%s \"$f\"\nrc=$?\nrm -f \"$f\"\nexit $rc\n", digest_hex(d), line);
    return buf_detach(&sc);
}

/*
 * Whether the command is one heredoc word and nothing else ("<<EOF",
 * "<< 'EOF'", "3<<-EOF"), which BuildKit runs as the script itself
 * (dockerfile2llb dispatchRun, MustParseHeredoc on the whole command).
 */
static int
step_run_only_heredoc(const char *cmd)
{
    struct parse_heredoc hd = {NULL, NULL, 0, 0, 0};
    struct error ignored;
    int rc;

    error_init(&ignored);
    rc = parse_heredoc_word(cmd, &hd, &ignored);
    free(hd.name);
    return rc == 1;
}

static void
step_run_argv(const struct stage *st, const struct parse_instr *in, struct strvec *argv)
{
    size_t i;

    if (in->json) {
        strvec_copy(argv, &in->args);
        return;
    }
    step_shell(step_cfg(st), argv);
    if (in->nheredocs && in->args.n == 1 && step_run_only_heredoc(in->args.v[0])) {
        /* RUN <<EOF: the heredoc is the script, run by the shell or by its #! interpreter */
        const char *body = in->heredocs[0].content;
        strvec_push_owned(argv, strncmp(body, "#!", 2) ? xstrdup(body) : step_shebang_script(body));
        return;
    }
    {
        struct buf script = BUF_INIT;
        buf_adds(&script, in->args.n ? in->args.v[0] : "");
        for (i = 0; i < in->nheredocs; i++)
            buf_addf(&script, "\n%s%s", in->heredocs[i].content, in->heredocs[i].name);
        strvec_push_owned(argv, buf_detach(&script));
    }
}

/*
 * BuildKit's history text of a RUN (dockerfile2llb runCommandString and
 * commitToHistory): "RUN ", then "|N k=v ..." for the N ARGs the stage
 * declared (each with its value in effect, "" when it has none), then the
 * command as the shell gets it, words joined by spaces, then " # buildkit".
 * A heredoc script with a #! line shows as the file BuildKit would run.
 */
static char *
step_run_history(const struct stage *st, const struct parse_instr *in, const struct strvec *argv)
{
    cleanup_strvec struct strvec vars = STRVEC_INIT;
    struct buf h = BUF_INIT;
    size_t i;

    step_vars(st, &vars);
    buf_adds(&h, "RUN ");
    if (st->declared.n)
        buf_addf(&h, "|%zu ", st->declared.n);
    for (i = 0; i < st->declared.n; i++) {
        const char *eq = strchr(st->declared.v[i], '=');
        cleanup_free char *k = xstrndup(st->declared.v[i], (size_t)(eq - st->declared.v[i]));
        const char *v = strvec_getenv(&vars, k);
        buf_addf(&h, "%s=%s ", k, v ? v : "");
    }
    for (i = 0; i < argv->n; i++) {
        if (i)
            buf_addch(&h, ' ');
        if (i + 1 == argv->n && !in->json && in->nheredocs && in->args.n == 1 &&
            !strncmp(in->heredocs[0].content, "#!", 2) && step_run_only_heredoc(in->args.v[0]))
            buf_addf(&h, "/dev/pipes/%s", in->heredocs[0].name);
        else
            buf_adds(&h, argv->v[i]);
    }
    buf_adds(&h, " # buildkit");
    return buf_detach(&h);
}

static void
step_run_env(const struct stage *st, struct strvec *env)
{
    step_vars(st, env);
    if (!strvec_getenv(env, "PATH"))
        strvec_setenv(env, "PATH", STEP_DEFAULT_PATH);
}

static void
step_run_inputs(struct stage *st, const struct strvec *argv, const struct strvec *env,
                const char *user, const char *wd, enum sandbox_net net)
{
    cJSON *a = json_add_array(st->inputs, "command");
    cJSON *e = json_add_array(st->inputs, "env");
    size_t i;

    for (i = 0; i < argv->n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(argv->v[i]));
    for (i = 0; i < env->n; i++)
        cJSON_AddItemToArray(e, cJSON_CreateString(env->v[i]));
    cJSON_AddStringToObject(st->inputs, "user", user ? user : "");
    cJSON_AddStringToObject(st->inputs, "workdir", wd ? wd : "/");
    cJSON_AddStringToObject(st->inputs, "network", sandbox_net_name(net));
}

/*
 * "exec format error": the command is another platform's program and no
 * binfmt_misc handler took it (one may have gone since the build started);
 * say which platform and what to run rather than the bare errno.
 */
static void
step_run_exec_format(const struct stage *st, struct error *err)
{
    struct error why;
    char plat[PLATFORM_STR_MAX];

    if (err->sys_errno != ENOEXEC)
        return;
    error_init(&why);
    platform_format(&st->platform, plat);
    if (binfmt_check(&st->platform, &why) < 0)
        error_wrap(err, "%s", why.msg);
    else
        error_wrap(err, "a program that is not for %s, the stage's platform", plat);
}

/* "out of memory (limit 64MiB): " for a RUN the OOM killer stopped; the limit in the
 * units it was most likely given in (--memory takes both 64MiB and 64MB) */
static void
step_run_oom(long long limit, char *out, size_t n)
{
    static const char *const bin[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    static const char *const dec[] = {"B", "kB", "MB", "GB", "TB"};
    long long b = limit, d = limit;
    int ub = 0, ud = 0;

    while (ub < 4 && b >= 1024 && b % 1024 == 0) {
        b /= 1024;
        ub++;
    }
    while (ud < 4 && d >= 1000 && d % 1000 == 0) {
        d /= 1000;
        ud++;
    }
    if (ud > ub)
        snprintf(out, n, "out of memory (limit %lld%s): ", d, dec[ud]);
    else
        snprintf(out, n, "out of memory (limit %lld%s): ", b, bin[ub]);
}

/*
 * --debug-on-fail: a shell in the failed step's file system as the command
 * left it (the same lowers, its upper dir, its mounts, user, environment and
 * working directory), on a terminal when stdin is one, else reading stdin.
 * The build goes on failing once it exits.
 */
static void
step_run_debug(const struct sandbox_spec *failed, const char *prefix, int code)
{
    static const char *const sh[] = {"/bin/sh", NULL};
    struct sandbox_spec dbg = *failed;
    struct sandbox_result res;
    struct error err;

    progress_line("%s failed with exit code %d: a shell in its file system as the command left "
                  "it (exit it to end the build)",
                  prefix, code);
    fflush(NULL);
    dbg.argv = (char *const *)sh;
    dbg.on_output = NULL;
    dbg.opaque = NULL;
    dbg.stdio = isatty(STDIN_FILENO) ? SANDBOX_STDIO_PTY : SANDBOX_STDIO_INHERIT;
    dbg.stdin_open = 1;
    dbg.init = 1;
    dbg.on_pty = console_relay;
    error_init(&err);
    if (sandbox_run(&dbg, &res, &err) < 0)
        log_warn("%s: the debug shell did not start: %s%s%s", prefix, err.msg,
                 err.sys_errno ? ": " : "", err.sys_errno ? strerror(err.sys_errno) : "");
}

static int
step_run_exec(struct build *b, struct stage *st, const struct parse_instr *in, const char *key,
              struct sandbox_spec *spec, struct run_mounts *mounts, const char *created_by,
              struct error *err)
{
    struct scratch d;
    struct sandbox_result res;
    cleanup_free char *prefix = xasprintf("[%s%zu/%zu]", st->label, st->step_no, st->nsteps);
    struct step_run_ctx rc = {prefix};
    double t0 = log_now_ms();
    cJSON *prov;
    int r;

    progress_line("%s %s", prefix, in->original);
    if (scratch_make(b, st, &d, err) < 0) {
        scratch_release(&d);
        return -1;
    }
    scratch_overlay(&d, &spec->overlay);
    if (run_mounts_prepare(b, mounts, d.root, err) < 0) {
        scratch_release(&d);
        return error_wrap(err, "%s:%d:%d", b->plan.recipe.file, in->line, in->col);
    }
    spec->mounts = mounts->mounts;
    spec->nmounts = mounts->nmounts;
    spec->env = run_mounts_env(mounts, spec->env); /* RUN --mount=type=secret,env= */
    spec->on_output = step_on_output;
    spec->opaque = &rc;
    memset(&res, 0, sizeof(res));
    if (sandbox_run(spec, &res, err) < 0) {
        scratch_release(&d);
        step_run_exec_format(st, err);
        return error_wrap(err, "%s:%d:%d: %s", b->plan.recipe.file, in->line, in->col,
                          in->original);
    }
    if (res.exit_code != 0) {
        char oom[64] = "";
        if (res.oom)
            step_run_oom(spec->memory_limit, oom, sizeof(oom));
        if (b->o->debug_on_fail)
            step_run_debug(spec, prefix, res.exit_code);
        scratch_release(&d);
        return error_set(err, 0, "%s:%d:%d: %s: %sexit code %d%s%s", b->plan.recipe.file, in->line,
                         in->col, in->original, oom, res.exit_code,
                         res.tail[0] ? "; last output:\n" : "", res.tail);
    }
    prov = step_provenance(st, in, key);
    r = step_capture(b, st, in, key, &d, created_by, prov, NULL, err);
    scratch_release(&d);
    if (r == 0)
        progress_line("%s DONE %.3fs", prefix, (log_now_ms() - t0) / 1000.0);
    return r;
}

/*
 * RUN --device=name[,required[=bool]] (Dockerfile reference, 1.14 labs, stable
 * in 1.27): CDI devices. strata has none to give: a required one fails the
 * step, an optional one is skipped with a warning, as BuildKit skips a
 * device it does not find.
 */
static int
step_run_devices(const struct parse_instr *in, const char *where, struct error *err)
{
    size_t i;

    for (i = 0; i < in->flags.n; i++) {
        const char *v = in->flags.v[i], *f;
        int required = 0;
        if (strncmp(v, "--device=", 9))
            continue;
        v += 9;
        for (f = strchr(v, ','); f; f = strchr(f, ',')) {
            f++;
            if (!strncasecmp(f, "required", 8) &&
                (f[8] == '\0' || f[8] == ',' || !strncasecmp(f + 8, "=true", 5)))
                required = 1;
        }
        if (required)
            return error_input(
                err, "%s: RUN --device=%s: no such device (strata has no CDI devices)", where, v);
        log_warn("%s: RUN --device=%s: no such device, skipped (strata has no CDI devices)", where,
                 v);
    }
    return 0;
}

/*
 * Docker's default seccomp profile, for the RUN steps of a build that names
 * no other. Compiling it takes 15-20 ms (three architectures on x86_64),
 * a fifth of a small cold build, so the program is kept in the store as
 * cache/seccomp-<key hex> (syscall_filter_key: the profile, the
 * capabilities, the kernel and libseccomp) and later builds load it. A file
 * that does not decode whole is compiled again and replaced; a store that
 * cannot take the file costs only the compile. NULL with err set when the
 * profile does not compile.
 */
static const struct syscall_filter *
step_run_default_filter(struct build *b, struct error *err)
{
    struct build *m = b->main;
    const struct syscall_filter *f;

    pthread_mutex_lock(&m->filter_lock);
    if (!m->filter) {
        char key[DIGEST_STR_LEN + 1];
        cleanup_free char *rel = NULL;
        cleanup_buf struct buf text = BUF_INIT;
        struct error ignored = {0};
        int fd;

        syscall_filter_default_key(CAPS_DEFAULT_MASK, key);
        rel = xasprintf("cache/seccomp-%s", digest_hex(key));
        fd = openat(m->store->root_fd, rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0) {
            if (fs_read_fd_max(fd, rel, SYSCALL_FILTER_MAX_BYTES, &text, &ignored) == 0)
                m->filter = syscall_filter_decode(text.data, text.len);
            close(fd);
        }
        if (!m->filter && syscall_filter_default(CAPS_DEFAULT_MASK, &m->filter, err) == 0) {
            buf_reset(&text);
            syscall_filter_encode(m->filter, &text);
            (void)store_write_cache_file(m->store, rel, text.data, text.len, &ignored);
        }
    }
    f = m->filter;
    pthread_mutex_unlock(&m->filter_lock);
    return f;
}

int
step_run(struct build *b, struct stage *st, const struct parse_instr *in,
         const struct step_runner *run, struct error *err)
{
    cleanup_strvec struct strvec argv = STRVEC_INIT;
    cleanup_strvec struct strvec env = STRVEC_INIT;
    cleanup_free char *history = NULL;
    const cJSON *cfg = step_cfg(st);
    const char *user = json_string(cfg, "User", 0, "", err);
    const char *wd = json_string(cfg, "WorkingDir", 0, "", err);
    const char *net = in->f.network;
    struct sandbox_spec spec;
    struct run_mounts mounts;
    struct cachekey k;
    char key[DIGEST_STR_LEN + 1];
    char where[256];
    int r;

    plan_where(&b->plan, in, where, sizeof(where));
    memset(&spec, 0, sizeof(spec));
    memset(&mounts, 0, sizeof(mounts));
    spec.net = b->o->network;
    if (net && !strcmp(net, "none"))
        spec.net = SANDBOX_NET_NONE;
    else if (net && !strcmp(net, "host") && !b->o->allow_network_host)
        return error_input(err,
                           "%s: RUN --network=host needs the network.host entitlement: build "
                           "with --allow network.host",
                           where);
    else if (net && !strcmp(net, "host"))
        spec.net = SANDBOX_NET_HOST;
    else if (net && strcmp(net, "default"))
        return error_input(err, "%s: RUN --network=%s: use none, host or default", where, net);
    if (in->f.security && strcmp(in->f.security, "sandbox"))
        return error_input(err, "%s: RUN --security=%s is not supported (only sandbox)", where,
                           in->f.security);
    if (step_run_devices(in, where, err) < 0)
        return -1;
    step_run_argv(st, in, &argv);
    step_run_env(st, &env);
    cachekey_init(&k, st->key);
    cachekey_add(&k, "instruction", "run");
    cachekey_add_vec(&k, "argv", &argv);
    cachekey_add_vec(&k, "env", &env);
    cachekey_add(&k, "user", user ? user : "");
    cachekey_add(&k, "workdir", wd ? wd : "/");
    cachekey_add(&k, "network", sandbox_net_name(spec.net));
    build_opts_run_spec(b->o, &spec, &k); /* --add-host, --ulimit, --shm-size, --cap-add/drop */
    step_run_inputs(st, &argv, &env, user, wd, spec.net);
    if (run_mounts_parse(b, st, in, &env, wd, &mounts, &k, err) < 0) {
        digest_release(&k.d);
        run_mounts_release(&mounts);
        return -1;
    }
    cachekey_final(&k, key);
    if (step_try_cache(b, st, in, key) || run->on_miss(b, st, in, key)) {
        run_mounts_release(&mounts);
        return 0;
    }
    history = step_run_history(st, in, &argv);
    /* the predefined proxy args: in the environment, not in the key or the history */
    plan_proxy_env(&b->plan, &env);
    spec.argv = strvec_argv(&argv);
    spec.env = strvec_argv(&env);
    spec.cwd = wd && *wd ? wd : "/";
    spec.user = user;
    spec.hostname = "strata";
    spec.memory_limit = b->o->memory_limit;
    spec.pids_limit = b->o->pids_limit;
    spec.memory_swap = b->o->cgroup.memory_swap;
    spec.cpu_millis = b->o->cgroup.cpu_millis;
    spec.cpu_shares = b->o->cgroup.cpu_shares;
    spec.cpuset_cpus = b->o->cgroup.cpuset_cpus;
    spec.seccomp = b->o->seccomp;
    spec.seccomp_unconfined = b->o->seccomp_unconfined;
    if (!spec.seccomp && !spec.seccomp_unconfined &&
        !(spec.seccomp = step_run_default_filter(b, err)))
        return error_wrap(err, "%s", where);
    mounts.fresh_caches = step_cache_off(b, st);
    r = step_run_exec(b, st, in, key, &spec, &mounts, history, err);
    run_mounts_release(&mounts);
    return r;
}
