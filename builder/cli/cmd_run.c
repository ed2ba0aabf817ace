/*
 * strata run IMAGE [CMD...]: a container from a stored image, in the same
 * sandbox as RUN: the image's layer snapshots are the overlay's lower dirs
 * and a private upper dir in the store's tmp/ takes the writes; it is
 * removed when the container exits (or swept by gc after a kill -9). PID 1
 * is the sandbox's init, which passes signals on and reaps orphans; strata
 * forwards the signals it gets and exits with the command's status.
 * Also the cgroup limit options build shares.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builder/cli/cli.h"
#include "builder/cli/signals.h"
#include "builder/engine/scratch.h"
#include "builder/sandbox/cgroup.h"
#include "builder/sandbox/console.h"
#include "builder/sandbox/sandbox.h"
#include "formats/core/buf.h"
#include "formats/core/fsutil.h"
#include "formats/core/mem.h"
#include "formats/core/strvec.h"
#include "formats/core/termsafe.h"
#include "formats/core/units.h"
#include "formats/json.h"
#include "store/image.h"
#include "store/snapshot.h"
#include "store/txn.h"

#include "formats/core/banned.h"

int
cli_limit_opt(int argc, char **argv, int *i, struct cgroup_limits *l, struct error *err)
{
    const char *v;
    char *end;
    int r;

    if ((r = cli_opt_value(argc, argv, i, "--memory-swap", &v, err)) != 0) {
        if (r < 0)
            return -1;
        if (!strcmp(v, "-1")) {
            l->memory_swap = -1;
            return 1;
        }
        if (units_parse_size(v, &l->memory_swap, err) < 0 || l->memory_swap <= 0)
            return error_input(err, "--memory-swap=%s: expected a size such as 1GiB, or -1", v);
        return 1;
    }
    if ((r = cli_opt_value(argc, argv, i, "--cpus", &v, err)) != 0)
        return r < 0 || cgroup_parse_cpus(v, &l->cpu_millis, err) < 0 ? -1 : 1;
    if ((r = cli_opt_value(argc, argv, i, "--cpu-shares", &v, err)) != 0) {
        if (r < 0)
            return -1;
        errno = 0;
        l->cpu_shares = strtoll(v, &end, 10);
        if (!*v || *end || errno || l->cpu_shares < 2 || l->cpu_shares > 262144)
            return error_input(err, "--cpu-shares=%s: expected a number from 2 to 262144", v);
        return 1;
    }
    if ((r = cli_opt_value(argc, argv, i, "--cpuset-cpus", &v, err)) != 0) {
        if (r < 0 || cgroup_check_cpuset(v, err) < 0)
            return -1;
        l->cpuset_cpus = v;
        return 1;
    }
    return 0;
}

struct run_opts {
    const char *image;
    char **cmd; /* COMMAND [ARG...] (argv's tail), or NULL */
    int ncmd;
    struct strvec env; /* -e/--env-file, in order */
    struct strvec volumes;
    const char *workdir, *user, *entrypoint, *hostname;
    int has_entrypoint, interactive, tty;
    enum sandbox_net net;
    struct cgroup_limits lim;
    long long memory, pids;
};

static void
run_opts_release(struct run_opts *o)
{
    strvec_release(&o->env);
    strvec_release(&o->volumes);
}

/* Docker's env-file: KEY=VALUE or KEY (from our environment), '#' comments, blank lines. */
static int
run_env_file(struct run_opts *o, const char *file, struct error *err)
{
    cleanup_buf struct buf b = BUF_INIT;
    char *line, *next;
    int n = 0;

    if (fs_read_file_max(AT_FDCWD, file, 1 << 20, &b, err) < 0)
        return error_wrap(err, "--env-file %s", file);
    for (line = b.data; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        n++;
        line[strcspn(line, "\r")] = '\0';
        while (*line == ' ' || *line == '\t')
            line++;
        if (!*line || *line == '#')
            continue;
        if (*line == '=')
            return error_input(err, "--env-file %s:%d: a line without a name", file, n);
        strvec_push(&o->env, line);
    }
    return 0;
}

static int
run_network(struct run_opts *o, const char *v, struct error *err)
{
    if (!strcmp(v, "private") || !strcmp(v, "default") || !strcmp(v, "slirp4netns"))
        o->net = SANDBOX_NET_PRIVATE;
    else if (!strcmp(v, "none"))
        o->net = SANDBOX_NET_NONE;
    else if (!strcmp(v, "host"))
        o->net = SANDBOX_NET_HOST;
    else
        return error_input(err, "--network=%s: use private, none or host", v);
    return 0;
}

/* Short flags that may be bundled (-it, -ti). */
static int
run_flags(struct run_opts *o, const char *a)
{
    for (const char *p = a + 1; *p; p++)
        if (*p != 'i' && *p != 't')
            return 0;
    for (const char *p = a + 1; *p; p++)
        *(*p == 'i' ? &o->interactive : &o->tty) = 1;
    return 1;
}

static int
run_opt(struct run_opts *o, int argc, char **argv, int *i, struct error *err)
{
    const char *v = NULL, *a = argv[*i];
    int r;

#define OPT(name) ((r = cli_opt_value(argc, argv, i, name, &v, err)) != 0)
    if (!strcmp(a, "--interactive") || !strcmp(a, "--tty") || !strcmp(a, "--rm")) {
        o->interactive |= !strcmp(a, "--interactive");
        o->tty |= !strcmp(a, "--tty");
        return 0;
    }
    if (a[1] != '-' && run_flags(o, a))
        return 0;
    if ((r = cli_limit_opt(argc, argv, i, &o->lim, err)) != 0)
        return r < 0 ? -1 : 0;
    if (OPT("-e") || OPT("--env")) {
        if (r > 0)
            strvec_push(&o->env, v);
    } else if (OPT("--env-file")) {
        if (r > 0 && run_env_file(o, v, err) < 0)
            return -1;
    } else if (OPT("-v") || OPT("--volume")) {
        if (r > 0)
            strvec_push(&o->volumes, v);
    } else if (OPT("-w") || OPT("--workdir")) {
        o->workdir = v;
    } else if (OPT("-u") || OPT("--user")) {
        o->user = v;
    } else if (OPT("--entrypoint")) {
        o->entrypoint = v;
        o->has_entrypoint = 1;
    } else if (OPT("--hostname")) {
        o->hostname = v;
    } else if (OPT("--network") || OPT("--net")) {
        if (r > 0 && run_network(o, v, err) < 0)
            return -1;
    } else if (OPT("-m") || OPT("--memory")) {
        if (r > 0 && (units_parse_size(v, &o->memory, err) < 0 || o->memory <= 0))
            return error_input(err, "--memory=%s: expected a size such as 512MiB", v);
    } else if (OPT("--pids-limit")) {
        char *end;
        if (r > 0 && ((o->pids = strtoll(v, &end, 10)) < 0 || !*v || *end))
            return error_input(err, "--pids-limit=%s: expected a number (0: no limit)", v);
    } else {
        return error_input(err, "run: unknown option %s (see strata run --help)", a);
    }
#undef OPT
    return r < 0 ? -1 : 0;
}

/* The options that take a value, as separate words ("-e K=V"). */
static const char *const run_valued[] = {"-e",
                                         "--env",
                                         "--env-file",
                                         "-v",
                                         "--volume",
                                         "-w",
                                         "--workdir",
                                         "-u",
                                         "--user",
                                         "--entrypoint",
                                         "--hostname",
                                         "--network",
                                         "--net",
                                         "-m",
                                         "--memory",
                                         "--pids-limit",
                                         "--memory-swap",
                                         "--cpus",
                                         "--cpu-shares",
                                         "--cpuset-cpus",
                                         NULL};

int
cmd_run_args_end(int argc, char **argv)
{
    int i;

    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--"))
            return i + 1 < argc ? i + 1 : argc;
        if (argv[i][0] != '-' || !argv[i][1])
            return i;
        for (const char *const *v = run_valued; *v; v++)
            if (!strcmp(argv[i], *v)) {
                i++;
                break;
            }
    }
    return argc;
}

static int
run_parse(struct run_opts *o, int argc, char **argv, struct error *err)
{
    int i;

    memset(o, 0, sizeof(*o));
    o->pids = SANDBOX_PIDS_DEFAULT;
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--")) {
            i++;
            break;
        }
        if (argv[i][0] != '-' || !argv[i][1])
            break;
        if (run_opt(o, argc, argv, &i, err) < 0)
            return -1;
    }
    if (i >= argc)
        return error_input(err, "usage: strata run [OPTIONS] IMAGE [COMMAND [ARG...]]");
    o->image = argv[i++];
    o->cmd = argv + i;
    o->ncmd = argc - i;
    o->lim.memory = o->memory;
    return cgroup_check_limits(&o->lim, err);
}

/* ---- the container ---- */

/* Strings of a JSON array member of the image config (Cmd, Entrypoint, Env). */
static void
run_config_list(const cJSON *cfg, const char *key, struct strvec *out)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(cfg, key), *e;

    cJSON_ArrayForEach(e, a)
    {
        if (cJSON_IsString(e))
            strvec_push(out, e->valuestring);
    }
}

/* Docker's rules: --entrypoint replaces Entrypoint and drops the image's Cmd; COMMAND
 * replaces Cmd. */
static int
run_argv(const struct run_opts *o, const cJSON *cfg, struct strvec *argv, struct error *err)
{
    if (o->has_entrypoint && *o->entrypoint)
        strvec_push(argv, o->entrypoint);
    else if (!o->has_entrypoint)
        run_config_list(cfg, "Entrypoint", argv);
    if (o->ncmd > 0) {
        for (int i = 0; i < o->ncmd; i++)
            strvec_push(argv, o->cmd[i]);
    } else if (!o->has_entrypoint) {
        run_config_list(cfg, "Cmd", argv);
    }
    if (argv->n == 0)
        return error_input(err, "run %s: no command (the image has no Entrypoint or Cmd)",
                           o->image);
    return 0;
}

/* The image's Env, then -e and --env-file in order; KEY alone comes from our environment. */
static void
run_env(const struct run_opts *o, const cJSON *cfg, struct strvec *env)
{
    run_config_list(cfg, "Env", env);
    for (size_t i = 0; i < o->env.n; i++) {
        const char *kv = o->env.v[i], *eq = strchr(kv, '=');
        cleanup_free char *key = eq ? xstrndup(kv, (size_t)(eq - kv)) : xstrdup(kv);
        const char *val = eq ? eq + 1 : getenv(key);
        if (val)
            strvec_setenv(env, key, val);
    }
    if (!strvec_getenv(env, "PATH"))
        strvec_setenv(env, "PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    if (o->tty && !strvec_getenv(env, "TERM"))
        strvec_setenv(env, "TERM", "xterm");
}

struct run_volumes {
    struct sandbox_mount *m;
    int *fds;
    size_t n;
};

static void
run_volumes_release(struct run_volumes *v)
{
    for (size_t i = 0; i < v->n; i++)
        if (v->fds[i] >= 0)
            close(v->fds[i]);
    free(v->m);
    free(v->fds);
    memset(v, 0, sizeof(*v));
}

/* Absolute, and no ".." component. */
static int
run_path_ok(const char *p)
{
    if (p[0] != '/')
        return 0;
    for (const char *c = p; c; c = strchr(c + 1, '/'))
        if (!strncmp(c, "/..", 3) && (c[3] == '/' || c[3] == '\0'))
            return 0;
    return 1;
}

/* HOST:CTR[:ro|rw] -> a bind of the host path, opened here and mounted from its fd. */
static int
run_volume(char *spec, struct sandbox_mount *m, int *fd, struct error *err)
{
    char *c1 = strchr(spec, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL, *slash;
    struct stat st;
    const char *what = spec;

    if (!c1 || c1 == spec || !c1[1])
        return error_input(err, "-v %s: expected HOST:CONTAINER[:ro|rw]", what);
    *c1 = '\0';
    if (c2) {
        *c2 = '\0';
        if (strcmp(c2 + 1, "ro") && strcmp(c2 + 1, "rw"))
            return error_input(err, "-v %s: option %s: use ro or rw", spec, c2 + 1);
        m->readonly = !strcmp(c2 + 1, "ro");
    }
    if (!run_path_ok(spec) || !run_path_ok(c1 + 1))
        return error_input(err, "-v %s:%s: both paths must be absolute, without \"..\"", spec,
                           c1 + 1);
    if (stat(spec, &st) < 0)
        return error_input(err, "-v %s: %s", spec, strerror(errno));
    m->kind = SANDBOX_MOUNT_BIND;
    m->target = c1 + 1;
    if (S_ISDIR(st.st_mode)) {
        *fd = open(spec, O_PATH | O_DIRECTORY | O_CLOEXEC);
        m->path = ".";
    } else {
        /* a file: its directory is the tree, its name the source inside it */
        slash = strrchr(spec, '/');
        *slash = '\0';
        *fd = open(slash == spec ? "/" : spec, O_PATH | O_DIRECTORY | O_CLOEXEC);
        m->path = slash + 1;
    }
    if (*fd < 0)
        return error_set(err, errno, "-v: open %s", spec);
    m->root_fd = *fd;
    return 0;
}

static int
run_volumes(const struct run_opts *o, struct run_volumes *v, struct error *err)
{
    v->m = xcalloc(o->volumes.n + 1, sizeof(*v->m));
    v->fds = xcalloc(o->volumes.n + 1, sizeof(*v->fds));
    for (size_t i = 0; i < o->volumes.n; i++) {
        v->fds[i] = -1;
        v->n++;
        if (run_volume(o->volumes.v[i], &v->m[i], &v->fds[i], err) < 0)
            return -1;
    }
    return 0;
}

static void
run_on_start(void *opaque, int pid)
{
    (void)opaque;
    signals_forward(pid);
}

static void
run_hostname(char out[13])
{
    unsigned char r[6] = {0};

    if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
        snprintf(out, 13, "%012lx", (unsigned long)getpid());
    else
        for (int i = 0; i < 6; i++)
            snprintf(out + 2 * i, 3, "%02x", r[i]);
}

/* The image's snapshots, top-most first, unpacked when missing. */
static int
run_lowers(struct store *s, const struct image *img, struct strvec *lowers, struct error *err)
{
    if (image_ensure_snapshots(s, img, err) < 0)
        return -1;
    for (size_t i = img->diff_ids.n; i-- > 0;)
        strvec_push_owned(lowers, snapshot_path(s, img->diff_ids.v[i]));
    return 0;
}

/* Runs the container; returns its exit status, or -1 with err set when it did not start. */
static int
run_container(struct store *s, const struct run_opts *o, const struct image *img, struct error *err)
{
    const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(img->config, "config");
    cleanup_cjson cJSON *none = cfg ? NULL : cJSON_CreateObject();
    cleanup_strvec struct strvec argv = STRVEC_INIT, env = STRVEC_INIT;
    struct run_volumes vols = {0};
    struct sandbox_spec spec;
    struct sandbox_result res;
    struct scratch d;
    char host[13];
    int rc = -1;

    if (!cfg)
        cfg = none;
    if (run_argv(o, cfg, &argv, err) < 0)
        return -1;
    run_env(o, cfg, &env);
    if (scratch_init(&d, txn_tmp_path(s->tmp, "run"), err) < 0 ||
        run_lowers(s, img, &d.lowers, err) < 0 || run_volumes(o, &vols, err) < 0)
        goto out;
    run_hostname(host);
    memset(&spec, 0, sizeof(spec));
    scratch_overlay(&d, &spec.overlay);
    spec.argv = strvec_argv(&argv);
    spec.env = strvec_argv(&env);
    spec.cwd = o->workdir ? o->workdir : json_string(cfg, "WorkingDir", 0, "config", err);
    if (!spec.cwd || !*spec.cwd)
        spec.cwd = "/";
    spec.user = o->user ? o->user : json_string(cfg, "User", 0, "config", err);
    spec.hostname = o->hostname ? o->hostname : host;
    spec.net = o->net;
    spec.memory_limit = o->memory;
    spec.pids_limit = o->pids;
    spec.memory_swap = o->lim.memory_swap;
    spec.cpu_millis = o->lim.cpu_millis;
    spec.cpu_shares = o->lim.cpu_shares;
    spec.cpuset_cpus = o->lim.cpuset_cpus;
    spec.mounts = vols.m;
    spec.nmounts = vols.n;
    spec.stdio = o->tty ? SANDBOX_STDIO_PTY : SANDBOX_STDIO_INHERIT;
    spec.stdin_open = o->interactive;
    spec.init = 1;
    spec.on_start = run_on_start;
    spec.on_pty = console_relay;
    fflush(NULL);
    if (sandbox_run(&spec, &res, err) == 0) {
        rc = res.exit_code;
        if (res.oom)
            fprintf(stderr, "strata: the container ran out of memory (limit %lld bytes)\n",
                    o->memory);
    }
    signals_forward(0);
out:
    run_volumes_release(&vols);
    scratch_release(&d);
    return rc;
}

/* Docker's statuses for a container that did not start: 127 no such command, 126 not
 * executable, 125 anything else. */
static int
run_failed(const struct error *err)
{
    char msg[ERROR_MSG_LEN + 256];
    struct buf safe = BUF_INIT;

    fflush(stdout);
    error_format(err, msg, sizeof(msg));
    termsafe_add(&safe, msg, strlen(msg));
    fprintf(stderr, "strata: %s\n", buf_cstr(&safe));
    buf_release(&safe);
    if (err->kind == ERROR_NOT_FOUND)
        return 127;
    if (err->sys_errno == EACCES)
        return 126;
    return 125;
}

int
cmd_run(struct cli *cli, int argc, char **argv, struct error *err)
{
    struct run_opts o;
    struct store s;
    struct image img;
    int rc = run_parse(&o, argc, argv, err);

    if (rc < 0) {
        run_opts_release(&o);
        return -1;
    }
    if (store_open(&s, cli->root, STORE_LOCK_SHARED, err) < 0) {
        run_opts_release(&o);
        return -1;
    }
    rc = image_load(&s, o.image, &img, err);
    if (rc != 0) {
        store_release(&s);
        run_opts_release(&o);
        return rc < 0 ? -1 : error_input(err, "run: no such image \"%s\"", o.image);
    }
    rc = run_container(&s, &o, &img, err);
    image_release(&img);
    store_release(&s);
    run_opts_release(&o);
    if (rc < 0)
        return err->exit_code == 2 ? -1 : run_failed(err);
    return rc;
}
