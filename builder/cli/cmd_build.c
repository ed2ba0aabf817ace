/*
 * strata build: options -> struct build_opts -> build_run, then what the
 * options ask of the result (--output, --iidfile, --digestfile, -q). The
 * options are docker build's and podman build's (strata-build(1)).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "builder/cli/cli.h"
#include "builder/engine/build.h"
#include "builder/engine/build_check.h"
#include "builder/engine/progress.h"
#include "builder/engine/provenance.h"
#include "builder/sandbox/caps.h"
#include "builder/sandbox/cgroup.h"
#include "builder/sandbox/syscall_filter.h"
#include "formats/core/buf.h"
#include "formats/core/fsutil.h"
#include "formats/core/log.h"
#include "formats/core/mem.h"
#include "formats/core/units.h"
#include "formats/platform.h"
#include "formats/tar_read.h"
#include "store/cache_transfer.h"
#include "store/export.h"
#include "store/index.h"
#include "store/prune.h"
#include "store/remote.h"
#include "store/store.h"
#include "store/txn.h"

#include "formats/core/banned.h"

/* --output: an image archive (export_image) or the image's files (local, tar) */
enum build_out_kind {
    BUILD_OUT_ARCHIVE = 0,
    BUILD_OUT_LOCAL,
    BUILD_OUT_TAR,
};

struct build_outspec {
    enum build_out_kind kind;
    enum export_format fmt;
    enum compress_kind comp;
    int recompress;
    char *dest;
    char *type;
};

static void
build_outspec_release(struct build_outspec *o)
{
    free(o->dest);
    free(o->type);
}

/*
 * --output type=TYPE,dest=PATH[,compression=...]; as buildx, "-o DIR" alone is
 * type=local and "-o -" type=tar to standard output. Checked before the build.
 */
static int
build_output_parse(const char *text, struct build_outspec *out, struct error *err)
{
    cleanup_free char *spec = xstrdup(text);
    const char *type = NULL, *dest = NULL, *comp = NULL;
    char *p, *save = NULL;

    memset(out, 0, sizeof(*out));
    if (!strchr(text, '=')) { /* buildx: a path alone */
        type = !strcmp(text, "-") ? "tar" : "local";
        dest = text;
    }
    for (p = type ? NULL : strtok_r(spec, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
        if (!strncmp(p, "type=", 5))
            type = p + 5;
        else if (!strncmp(p, "dest=", 5))
            dest = p + 5;
        else if (!strncmp(p, "compression=", 12))
            comp = p + 12;
        else if (strncmp(p, "name=", 5) != 0)
            return error_input(err, "--output: unknown option \"%s\"", p);
    }
    if (!type || !dest || !*dest)
        return error_input(err, "--output %s: needs type= and dest=", text);
    if (!strcmp(type, "local") || !strcmp(type, "tar")) {
        out->kind = !strcmp(type, "local") ? BUILD_OUT_LOCAL : BUILD_OUT_TAR;
        if (comp)
            return error_input(err, "--output %s: compression= is for image archives", text);
        if (out->kind == BUILD_OUT_LOCAL && !strcmp(dest, "-"))
            return error_input(err,
                               "--output %s: type=local writes a directory, not - "
                               "(type=tar does)",
                               text);
    } else {
        out->comp = COMPRESS_NONE;
        if (export_format_parse(!strcmp(type, "docker") ? "docker-archive" : type, &out->fmt, err) <
                0 ||
            (comp && compress_parse(comp, &out->comp, err) < 0))
            return error_wrap(err, "--output (types: local, tar, oci, oci-archive, "
                                   "docker-archive)");
        if (out->fmt == EXPORT_OCI && !strcmp(dest, "-"))
            return error_input(err, "--output %s: an OCI layout is a directory, not -", text);
        out->recompress = out->fmt == EXPORT_DOCKER_ARCHIVE || comp != NULL;
    }
    out->dest = xstrdup(dest);
    out->type = xstrdup(type);
    return 0;
}

/* --network default|none|host; host is also the opt-in for RUN --network=host */
static int
build_network(struct build_opts *o, const char *v, struct error *err)
{
    if (!strcmp(v, "none")) {
        o->network = SANDBOX_NET_NONE;
    } else if (!strcmp(v, "host")) {
        o->network = SANDBOX_NET_HOST;
        o->allow_network_host = 1;
    } else if (!strcmp(v, "default")) {
        o->network = SANDBOX_NET_PRIVATE;
    } else {
        return error_input(err, "--network=%s: use default, none or host", v);
    }
    return 0;
}

/* build_opts_release() plus what the command line owns in o */
static void
build_cli_release(struct build_opts *o)
{
    syscall_filter_free(o->seccomp);
    o->seccomp = NULL;
    build_opts_release(o);
}

/* --security-opt seccomp=unconfined|builtin|PROFILE.json */
static int
build_seccomp(struct build_opts *o, const char *p, struct error *err)
{
    cleanup_buf struct buf text = BUF_INIT;
    struct syscall_filter *f = NULL;

    if (!strcmp(p, "unconfined") || !strcmp(p, "builtin")) {
        syscall_filter_free(o->seccomp);
        o->seccomp = NULL;
        o->seccomp_unconfined = !strcmp(p, "unconfined");
        return 0;
    }
    if (fs_read_file_max(AT_FDCWD, p, 1 << 20, &text, err) < 0) {
        err->exit_code = 2;
        return error_wrap(err, "--security-opt seccomp");
    }
    if (syscall_filter_compile(buf_cstr(&text), text.len, p, CAPS_DEFAULT_MASK, &f, err) < 0) {
        err->exit_code = 2;
        return -1;
    }
    syscall_filter_free(o->seccomp);
    o->seccomp = f;
    o->seccomp_unconfined = 0;
    return 0;
}

/* --security-opt: one place for every kind (docker build's and podman build's). */
static int
build_security_opt(struct build_opts *o, const char *v, struct error *err)
{
    /* no_new_privs is always set in the sandbox */
    if (!strcmp(v, "no-new-privileges") || !strcmp(v, "no-new-privileges=true") ||
        !strcmp(v, "no-new-privileges:true"))
        return 0;
    /* no SELinux label and no AppArmor profile are applied to RUN: the opt-outs hold */
    if (!strcmp(v, "label=disable") || !strcmp(v, "label:disable") ||
        !strcmp(v, "apparmor=unconfined") || !strcmp(v, "apparmor:unconfined"))
        return 0;
    if (!strncmp(v, "seccomp=", 8) || !strncmp(v, "seccomp:", 8))
        return build_seccomp(o, v + 8, err);
    return error_input(err,
                       "--security-opt %s: use seccomp=unconfined|PROFILE.json, "
                       "no-new-privileges, label=disable or apparmor=unconfined",
                       v);
}

/* KEY=VALUE for --label and --annotation */
static int
build_key_value(const char *opt, const char *v, struct strvec *out, struct error *err)
{
    if (!*v || *v == '=')
        return error_input(err, "%s %s: expected KEY=VALUE", opt, v);
    strvec_pushf(out, "%s%s", v, strchr(v, '=') ? "" : "=");
    return 0;
}

/* --build-context NAME=DIR|docker-image://REF */
static int
build_context_opt(struct build_opts *o, const char *v, struct error *err)
{
    const char *eq = strchr(v, '=');

    if (!eq || eq == v || !eq[1])
        return error_input(err, "--build-context %s: expected NAME=DIR or NAME=docker-image://REF",
                           v);
    strvec_push(&o->named_contexts, v);
    return 0;
}

static int
build_caps_opt(const char *opt, const char *v, uint64_t *mask, struct error *err)
{
    uint64_t bit;

    if (caps_parse(v, &bit, err) < 0)
        return error_wrap(err, "%s", opt);
    *mask |= bit;
    return 0;
}

static int
build_ulimit_opt(struct build_opts *o, const char *v, struct error *err)
{
    if (o->nrlimits == BUILD_MAX_RLIMITS)
        return error_input(err, "--ulimit: at most %d", BUILD_MAX_RLIMITS);
    return sandbox_rlimit_parse(v, &o->rlimits[o->nrlimits++], err);
}

static int
build_add_host(struct build_opts *o, const char *v, struct error *err)
{
    char *line = sandbox_host_line(v, err);

    if (!line)
        return -1;
    strvec_push_owned(&o->extra_hosts, line);
    return 0;
}

static int
build_format_opt(struct build_opts *o, const char *v, struct error *err)
{
    if (!strcmp(v, "oci"))
        o->format = BUILD_FORMAT_OCI;
    else if (!strcmp(v, "docker"))
        o->format = BUILD_FORMAT_DOCKER;
    else
        return error_input(err, "--format %s: use oci or docker", v);
    return 0;
}

static int
build_progress_opt(const char *v, struct error *err)
{
    if (!strcmp(v, "quiet"))
        progress_set_mode(PROGRESS_QUIET);
    else if (!strcmp(v, "plain"))
        progress_set_mode(PROGRESS_PLAIN);
    else if (!strcmp(v, "tty"))
        progress_set_mode(PROGRESS_TTY);
    else if (!strcmp(v, "rawjson"))
        progress_set_mode(PROGRESS_JSON);
    else if (!strcmp(v, "auto"))
        progress_set_mode(PROGRESS_AUTO);
    else
        return error_input(err, "--progress=%s: use auto, tty, plain, rawjson or quiet", v);
    return 0;
}

/* Options that take no value; 1 when argv[i] was one. */
static int
build_flag(struct build_opts *o, const char *a, int *quiet, int *check)
{
    if (!strcmp(a, "--check"))
        *check = 1;
    else if (!strcmp(a, "--pull"))
        o->pull = REMOTE_PULL_ALWAYS; /* as in docker and buildah: --pull alone is "always" */
    else if (!strcmp(a, "--no-cache"))
        o->no_cache = 1;
    else if (!strcmp(a, "--explain-cache"))
        o->explain_cache = 1;
    else if (!strcmp(a, "--debug-on-fail"))
        o->debug_on_fail = 1;
    else if (!strcmp(a, "-q") || !strcmp(a, "--quiet"))
        *quiet = 1;
    else if (!strcmp(a, "--squash"))
        o->squash = BUILD_SQUASH_NEW;
    else if (!strcmp(a, "--squash-all"))
        o->squash = BUILD_SQUASH_ALL;
    /* docker's and podman's, kept by CI scripts: strata keeps no intermediate containers,
       caches every step and always stores the image */
    else if (!strcmp(a, "--rm") || !strcmp(a, "--force-rm") || !strcmp(a, "--layers") ||
             !strcmp(a, "--load") || !strcmp(a, "--rm=true") || !strcmp(a, "--force-rm=true") ||
             !strcmp(a, "--layers=true"))
        ;
    else
        return 0;
    return 1;
}

struct build_cli {
    struct build_opts o;
    int quiet;
    int check; /* --check: only the build checks */
    const char *output;
};

/* The options about RUN's sandbox. Returns 1 when argv[*i] was one of them. */
static int
build_run_opt(struct build_opts *o, int argc, char **argv, int *i, struct error *err)
{
    const char *v = "";
    int r;

#define OPT(name) ((r = cli_opt_value(argc, argv, i, name, &v, err)) != 0)
    if (OPT("--memory") || OPT("-m")) {
        if (r > 0 && (units_parse_size(v, &o->memory_limit, err) < 0 || o->memory_limit <= 0))
            return error_input(err, "--memory=%s: expected a size such as 512MiB", v);
    } else if ((r = cli_limit_opt(argc, argv, i, &o->cgroup, err)) != 0) {
        if (r < 0)
            return -1;
    } else if (OPT("--pids-limit")) {
        char *end;
        if (r > 0 && ((o->pids_limit = strtoll(v, &end, 10)) < 0 || !*v || *end))
            return error_input(err, "--pids-limit=%s: expected a number (0: no limit)", v);
    } else if (OPT("--shm-size")) {
        if (r > 0 && (units_parse_size(v, &o->shm_size, err) < 0 || o->shm_size <= 0))
            return error_input(err, "--shm-size=%s: expected a size such as 128MiB", v);
    } else if (OPT("--network")) {
        if (r > 0 && build_network(o, v, err) < 0)
            return -1;
    } else if (OPT("--allow")) {
        if (r > 0 && strcmp(v, "network.host"))
            return error_input(err, "--allow %s: only network.host is supported", v);
        if (r > 0)
            o->allow_network_host = 1;
    } else if (OPT("--add-host")) {
        if (r > 0 && build_add_host(o, v, err) < 0)
            return -1;
    } else if (OPT("--ulimit")) {
        if (r > 0 && build_ulimit_opt(o, v, err) < 0)
            return -1;
    } else if (OPT("--cap-add")) {
        if (r > 0 && build_caps_opt("--cap-add", v, &o->cap_add, err) < 0)
            return -1;
    } else if (OPT("--cap-drop")) {
        if (r > 0 && build_caps_opt("--cap-drop", v, &o->cap_drop, err) < 0)
            return -1;
    } else if (OPT("--security-opt")) {
        if (r > 0 && build_security_opt(o, v, err) < 0)
            return -1;
    } else if (OPT("--secret")) {
        if (r > 0 && strncmp(v, "id=", 3) != 0)
            return error_input(err, "--secret %s: expected id=ID[,src=FILE|,env=VAR]", v);
        if (r > 0)
            strvec_push(&o->secrets, v);
    } else {
        return 0;
    }
#undef OPT
    return r < 0 ? -1 : 1;
}

/* The options about the image and its outputs. Returns 1 when argv[*i] was one of them. */
static int
build_image_opt(struct build_cli *c, int argc, char **argv, int *i, struct error *err)
{
    struct build_opts *o = &c->o;
    const char *v = "";
    int r;

#define OPT(name) ((r = cli_opt_value(argc, argv, i, name, &v, err)) != 0)
    if (OPT("--output") || OPT("-o")) {
        struct build_outspec os;
        if (r > 0 && build_output_parse(v, &os, err) < 0)
            return -1;
        if (r > 0)
            build_outspec_release(&os);
        if (r > 0)
            c->output = v;
    } else if (OPT("--format")) {
        if (r > 0 && build_format_opt(o, v, err) < 0)
            return -1;
    } else if (OPT("--compression")) {
        if (r > 0 && compress_parse(v, &o->compression, err) < 0)
            return -1;
        o->compression_set = r > 0;
    } else if (OPT("--label")) {
        if (r > 0 && build_key_value("--label", v, &o->labels, err) < 0)
            return -1;
    } else if (OPT("--annotation")) {
        if (r > 0 && build_key_value("--annotation", v, &o->annotations, err) < 0)
            return -1;
    } else if (OPT("--platform")) {
        free(o->platforms);
        o->platforms = NULL;
        o->nplatforms = 0;
        if (r > 0 && platform_parse_list(v, &o->platforms, &o->nplatforms, err) < 0)
            return -1;
    } else if (OPT("--source-date-epoch")) {
        if (r > 0 && units_parse_epoch(v, &o->source_date_epoch, err) < 0)
            return -1;
    } else if (OPT("--timestamp")) {
        if (r > 0 && units_parse_epoch(v, &o->timestamp, err) < 0)
            return error_wrap(err, "--timestamp");
    } else if (OPT("--iidfile")) {
        o->iidfile = r > 0 ? v : NULL;
    } else if (OPT("--digestfile")) {
        o->digestfile = r > 0 ? v : NULL;
    } else if (OPT("--progress")) {
        if (r > 0 && build_progress_opt(v, err) < 0)
            return -1;
    } else {
        return 0;
    }
#undef OPT
    return r < 0 ? -1 : 1;
}

/* --provenance, --sbom, --attest-format (buildx's). Returns 1 when argv[*i] was one of them. */
static int
build_attest_opt(struct build_opts *o, int argc, char **argv, int *i, struct error *err)
{
    const char *v = "";
    int r;

#define OPT(name) ((r = cli_opt_value(argc, argv, i, name, &v, err)) != 0)
    if (!strcmp(argv[*i], "--provenance") &&
        (*i + 1 >= argc || provenance_parse(argv[*i + 1], &o->provenance, err) < 0)) {
        error_init(err);
        o->provenance = PROVENANCE_MIN; /* buildx: --provenance alone is true, mode=min */
        return 1;
    } else if (!strcmp(argv[*i], "--provenance")) {
        (*i)++; /* the value, already parsed */
        return 1;
    } else if (OPT("--provenance")) {
        if (r > 0 && provenance_parse(v, &o->provenance, err) < 0)
            return -1;
    } else if (!strcmp(argv[*i], "--sbom") && (*i + 1 >= argc || (strcmp(argv[*i + 1], "true") &&
                                                                  strcmp(argv[*i + 1], "false")))) {
        o->sbom = 1;
        return 1;
    } else if (OPT("--sbom")) {
        if (r > 0 && strcmp(v, "true") && strcmp(v, "false"))
            return error_input(err, "--sbom=%s: use true or false", v);
        if (r > 0)
            o->sbom = !strcmp(v, "true");
    } else if (OPT("--attest-format")) {
        if (r > 0 && strcmp(v, "index") && strcmp(v, "referrers"))
            return error_input(err, "--attest-format=%s: use index or referrers", v);
        if (r > 0)
            o->attest_referrers = !strcmp(v, "referrers");
    } else {
        return 0;
    }
#undef OPT
    return r < 0 ? -1 : 1;
}

static int
build_parse_opt(struct build_cli *c, int argc, char **argv, int *i, struct error *err)
{
    struct build_opts *o = &c->o;
    cleanup_free char *name = NULL;
    const char *v = "";
    int r;

    if (build_flag(o, argv[*i], &c->quiet, &c->check))
        return 0;
    if ((r = build_run_opt(o, argc, argv, i, err)) != 0 ||
        (r = build_image_opt(c, argc, argv, i, err)) != 0 ||
        (r = build_attest_opt(o, argc, argv, i, err)) != 0)
        return r < 0 ? -1 : 0;
#define OPT(name) ((r = cli_opt_value(argc, argv, i, name, &v, err)) != 0)
    if (!strncmp(argv[*i], "--pull=", 7)) {
        return remote_pull_policy_parse(argv[*i] + 7, &o->pull, err);
    } else if (OPT("-f") || OPT("--file")) {
        o->recipe = r > 0 ? v : NULL;
    } else if (OPT("-t") || OPT("--tag")) {
        if (r > 0 && !(name = index_normalize(v, err)))
            return error_wrap(err, "-t");
        strvec_push(&o->tags, v);
    } else if (OPT("--build-arg")) {
        strvec_push(&o->build_args, v);
    } else if (OPT("--build-context")) {
        if (r > 0 && build_context_opt(o, v, err) < 0)
            return -1;
    } else if (OPT("--tls-verify")) {
        o->tls_verify = strcmp(v, "false") != 0;
    } else if (OPT("--cache-from")) {
        struct cache_transfer_spec cs;
        if (r > 0 && cache_transfer_parse(v, 0, &cs, err) < 0)
            return -1;
        if (r > 0)
            cache_transfer_spec_release(&cs);
        strvec_push(&o->cache_from, v);
    } else if (OPT("--cache-to")) {
        struct cache_transfer_spec cs;
        if (r > 0 && cache_transfer_parse(v, 1, &cs, err) < 0)
            return -1;
        if (r > 0)
            cache_transfer_spec_release(&cs);
        o->cache_to = v;
    } else if (OPT("--no-cache-filter")) {
        strvec_push(&o->no_cache_filter, v);
    } else if (OPT("--target")) {
        o->target = r > 0 ? v : NULL;
    } else {
        return error_input(err, "build: unknown option %s (see strata build --help)", argv[*i]);
    }
#undef OPT
    return r < 0 ? -1 : 0;
}

static int
build_output(struct store *s, const char *output, const struct build_opts *o, const char *digest,
             struct error *err)
{
    struct build_outspec os;
    int rc;

    if (build_output_parse(output, &os, err) < 0)
        return -1;
    if (os.kind == BUILD_OUT_LOCAL)
        rc = export_rootfs_dir(s, digest, os.dest, err);
    else if (os.kind == BUILD_OUT_TAR)
        rc = export_rootfs_tar(s, digest, os.dest, err);
    else
        rc = export_image(s, digest, NULL, os.fmt, os.comp, os.recompress, os.dest,
                          o->tags.n ? o->tags.v[0] : NULL, err);
    if (rc == 0)
        progress_line("wrote %s to %s", os.type,
                      strcmp(os.dest, "-") ? os.dest : "standard output");
    build_outspec_release(&os);
    return rc;
}

/*
 * Keeps the store bounded when the same recipe is rebuilt with small changes:
 * after a build that ran steps, least recently used cache records go until
 * the store fits in $STRATA_KEEP_STORAGE (default: a tenth of its file
 * system; "0" turns this off). Skipped while another strata holds the store.
 */
static void
build_auto_prune(struct cli *cli)
{
    const char *env = getenv("STRATA_KEEP_STORAGE");
    struct prune_opts po;
    struct prune_result pr;
    struct statvfs fs;
    struct store s;
    struct error e;
    long long keep = -1;

    error_init(&e);
    if (env && !strcmp(env, "0"))
        return;
    if (env && units_parse_size(env, &keep, &e) < 0) {
        log_warn("STRATA_KEEP_STORAGE: %s", e.msg);
        return;
    }
    if (store_open_try(&s, cli->root, &e) != 0)
        return;
    if (keep < 0)
        keep = statvfs(s.root, &fs) == 0 ? (long long)(fs.f_blocks * fs.f_frsize / 10) : -1;
    if (keep >= 0 && (long long)fs_du(s.root_fd, "blobs") * 2 > keep) {
        prune_opts_init(&po);
        po.keep_storage = keep;
        if (prune_run(&s, &po, &pr, &e) == 0 && pr.records)
            progress_line("pruned %zu least recently used cache records to keep the store under "
                          "%lld bytes",
                          pr.records, keep);
    }
    store_release(&s);
}

static char *
build_default_recipe(const char *ctx)
{
    char *p = fs_join(ctx, "Dockerfile");

    if (fs_exists(AT_FDCWD, p))
        return p;
    free(p);
    p = fs_join(ctx, "Containerfile");
    if (fs_exists(AT_FDCWD, p))
        return p;
    free(p);
    p = fs_join(ctx, "dockerfile"); /* BuildKit's dockerui falls back to the lower-case name */
    if (fs_exists(AT_FDCWD, p))
        return p;
    free(p);
    return fs_join(ctx, "Dockerfile");
}

/*
 * `build -`: the context is a tar archive on standard input (docker's
 * "build - < context.tar"), unpacked under the store's tmp/ (removed after
 * the build) with the recipe inside it.
 */
static int
build_stdin_context(struct store *s, struct build_opts *o, char **dir, char **recipe,
                    struct error *err)
{
    cleanup_close int dfd = -1;
    struct tar_read_result res;
    const char *why = NULL;
    struct buf clean = BUF_INIT;

    if (o->recipe && !strcmp(o->recipe, "-"))
        return error_input(err, "build: the context and the recipe cannot both be standard input");
    if (o->recipe && tar_read_clean_path(o->recipe, &clean, &why) < 0) {
        buf_release(&clean);
        return error_input(err, "build -f %s: a path inside the context archive: %s", o->recipe,
                           why);
    }
    *dir = txn_tmp_path(s->tmp, "context");
    if (mkdir(*dir, 0700) < 0 || (dfd = open(*dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        buf_release(&clean);
        return error_set(err, errno, "mkdir %s", *dir);
    }
    if (tar_read_extract(STDIN_FILENO, dfd, TAR_READ_APPLY, geteuid() ? TAR_READ_NO_OWNER : 0,
                         "context archive (standard input)", &res, err) < 0) {
        buf_release(&clean);
        return -1;
    }
    o->context = *dir;
    *recipe = o->recipe ? fs_join(*dir, buf_cstr(&clean)) : build_default_recipe(*dir);
    buf_release(&clean);
    o->recipe = *recipe;
    return 0;
}

/* An output of one image (docker-archive, the files) cannot hold several platforms' images. */
static int
build_output_platforms(const struct build_cli *c, struct error *err)
{
    struct build_outspec os;
    int rc = 0;

    if (!c->output || c->o.nplatforms < 2 || build_output_parse(c->output, &os, err) < 0)
        return c->output && c->o.nplatforms >= 2 ? -1 : 0;
    if (os.kind != BUILD_OUT_ARCHIVE || os.fmt == EXPORT_DOCKER_ARCHIVE)
        rc = error_input(err,
                         "--output type=%s holds one image, not the %zu platforms of --platform "
                         "(use type=oci or oci-archive)",
                         os.type, c->o.nplatforms);
    build_outspec_release(&os);
    return rc;
}

static int
build_args(struct build_cli *c, int argc, char **argv, struct error *err)
{
    int i;

    for (i = 1; i < argc; i++) {
        if (argv[i][0] == '-' && argv[i][1]) {
            if (build_parse_opt(c, argc, argv, &i, err) < 0)
                return -1;
        } else if (!c->o.context) {
            c->o.context = argv[i];
        } else {
            return error_input(err, "build: more than one context given (\"%s\")", argv[i]);
        }
    }
    if (!c->o.context)
        c->o.context = ".";
    c->o.cgroup.memory = c->o.memory_limit; /* for the check only: RUN takes memory_limit */
    if (cgroup_check_limits(&c->o.cgroup, err) < 0)
        return -1;
    /* docker's layers cannot be zstd: the docker format's default is gzip */
    if (c->o.format == BUILD_FORMAT_DOCKER && !c->o.compression_set)
        c->o.compression = COMPRESS_GZIP;
    if (c->o.format == BUILD_FORMAT_DOCKER && c->o.compression == COMPRESS_ZSTD)
        return error_input(err, "build: --format docker cannot carry zstd layers (use gzip)");
    return build_output_platforms(c, err);
}

/* Whether --output writes to standard output ("-o -", "dest=-"). */
static int
build_output_is_stdout(const char *output)
{
    struct build_outspec os;
    struct error ignored;
    int rc;

    error_init(&ignored);
    if (!output || build_output_parse(output, &os, &ignored) < 0)
        return 0;
    rc = !strcmp(os.dest, "-");
    build_outspec_release(&os);
    return rc;
}

/* What the options ask of the built image: outputs, ID and digest files, -q. */
static int
build_results(struct store *s, struct build_cli *c, const char *digest, struct error *err)
{
    char id[DIGEST_STR_LEN + 1];

    if (index_image_id(s, digest, id, err) < 0)
        return -1;
    if (c->output && build_output(s, c->output, &c->o, digest, err) < 0)
        return -1;
    /* as docker and podman write them: the bare digest, no newline */
    if (c->o.iidfile && cli_write_small(c->o.iidfile, id, "--iidfile", err) < 0)
        return -1;
    if (c->o.digestfile && cli_write_small(c->o.digestfile, digest, "--digestfile", err) < 0)
        return -1;
    if (c->quiet) /* when standard output carries the archive, the ID goes beside it */
        fprintf(build_output_is_stdout(c->output) ? stderr : stdout, "%s\n", id);
    return 0;
}

static int
build_format_env(struct build_opts *o, struct error *err)
{
    const char *f = getenv("BUILDAH_FORMAT"); /* podman's and buildah's way to set the default */

    if (f && *f && build_format_opt(o, f, err) < 0)
        return error_wrap(err, "BUILDAH_FORMAT");
    return 0;
}

int
cmd_build(struct cli *cli, int argc, char **argv, struct error *err)
{
    struct build_cli c = {0};
    struct store s;
    cleanup_free char *recipe = NULL;
    cleanup_free char *ctxdir = NULL;
    char digest[DIGEST_STR_LEN + 1];
    int rc, ran = 0, stdin_ctx;

    build_opts_init(&c.o);
    if (units_source_date_epoch(&c.o.source_date_epoch, err) < 0 ||
        build_format_env(&c.o, err) < 0 || build_args(&c, argc, argv, err) < 0) {
        build_cli_release(&c.o);
        return -1;
    }
    if (c.check) { /* only BuildKit's lint rules, on what the build would build */
        if (!c.o.recipe && strcmp(c.o.context, "-"))
            c.o.recipe = recipe = build_default_recipe(c.o.context);
        if (store_open(&s, cli->root, STORE_LOCK_SHARED, err) < 0) {
            build_cli_release(&c.o);
            return -1;
        }
        rc = build_check(&s, &c.o, err);
        store_release(&s);
        build_cli_release(&c.o);
        return rc;
    }
    if (c.quiet) /* as buildx: -q silences the build whatever --progress says */
        progress_set_mode(PROGRESS_QUIET);
    if (build_output_is_stdout(c.output))
        progress_set_stream(stderr); /* standard output carries the archive */
    stdin_ctx = !strcmp(c.o.context, "-");
    if (!stdin_ctx && !c.o.recipe)
        c.o.recipe = recipe = build_default_recipe(c.o.context);
    if (store_open(&s, cli->root, STORE_LOCK_SHARED, err) < 0) {
        build_cli_release(&c.o);
        return -1;
    }
    rc = stdin_ctx ? build_stdin_context(&s, &c.o, &ctxdir, &recipe, err) : 0;
    progress_start();
    if (rc == 0)
        rc = build_run(&s, &c.o, digest, &ran, err);
    if (rc == 0)
        rc = build_results(&s, &c, digest, err);
    progress_finish(rc == 0);
    if (ctxdir)
        txn_discard(ctxdir);
    store_release(&s);
    if (rc == 0 && ran)
        build_auto_prune(cli);
    build_cli_release(&c.o);
    return rc;
}
