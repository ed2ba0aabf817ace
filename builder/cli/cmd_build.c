/* strata build: options -> struct build_opts -> build_run. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "builder/engine/build.h"
#include "builder/cli/cli.h"
#include "builder/engine/progress.h"
#include "builder/sandbox/caps.h"
#include "builder/sandbox/syscall_filter.h"
#include "formats/core/buf.h"
#include "builder/engine/provenance.h"
#include "formats/core/units.h"
#include "formats/core/fsutil.h"
#include "formats/core/log.h"
#include "formats/core/mem.h"
#include "formats/platform.h"
#include "store/cache_transfer.h"
#include "store/export.h"
#include "store/prune.h"
#include "store/store.h"
#include "store/index.h"
#include "store/remote.h"

static const char build_usage[] =
    "usage: strata build [OPTIONS] [CONTEXT]\n"
    "\n"
    "Builds an image from a recipe (Dockerfile syntax) and the CONTEXT directory\n"
    "(default \".\").\n"
    "\n"
    "  -f, --file FILE            recipe (default CONTEXT/Dockerfile, else CONTEXT/Containerfile;\n"
    "                             - reads it from standard input)\n"
    "      --iidfile FILE         write the image's manifest digest to FILE\n"
    "  -t, --tag NAME[:TAG]       name the result (repeatable)\n"
    "      --build-arg K[=V]      set a build arg (K alone: from the environment)\n"
    "      --target STAGE         build up to this stage\n"
    "      --platform OS/ARCH[/VARIANT][,...]\n"
    "                             build for these platforms (default: this machine's);\n"
    "                             several give one image index (-t names it); foreign RUN\n"
    "                             steps run through QEMU (see strata binfmt --help)\n"
    "      --secret id=ID,src=FILE|env=VAR\n"
    "                             a secret for RUN --mount=type=secret (never stored)\n"
    "      --no-cache             run every step, ignoring the step cache\n"
    "      --no-cache-filter STAGE  run every step of STAGE (repeatable)\n"
    "      --cache-from type=local,src=DIR | type=registry,ref=REF\n"
    "                             also look for cached steps there (repeatable, in order);\n"
    "                             their layers are fetched only when needed\n"
    "      --cache-to type=local,dest=DIR[,mode=min|max] | type=registry,ref=REF[,mode=..]\n"
    "                             export the steps of this build (min: the final image's,\n"
    "                             max: every stage's) with their layers\n"
    "      --explain-cache        say which input changed when a step is not cached\n"
    "      --network default|none|host\n"
    "                             RUN's network: default, a private network namespace with\n"
    "                             outbound access through slirp4netns and no way to the\n"
    "                             host's loopback; none; host, the host's (an opt-in)\n"
    "      --allow network.host   let RUN --network=host steps use the host's network\n"
    "      --provenance[=true|false|mode=min|mode=max]\n"
    "                             attach SLSA provenance v1 (default off; --provenance: min;\n"
    "                             min leaves out the build args and the steps)\n"
    "      --sbom[=true|false]    attach an SPDX 2.3 SBOM of the image's packages (dpkg, apk)\n"
    "      --attest-format index|referrers\n"
    "                             how push attaches them: in the image index beside the image\n"
    "                             (BuildKit's way, default) or as OCI 1.1 referrers\n"
    "  -m, --memory SIZE          memory limit of each RUN (cgroup), e.g. 512MiB\n"
    "      --pids-limit N         process limit of each RUN (cgroup; default 4096, 0: none)\n"
    "      --security-opt seccomp=unconfined|PROFILE.json\n"
    "                             RUN's seccomp filter (default: Docker's default profile;\n"
    "                             PROFILE.json in Docker's format)\n"
    "      --compression zstd|gzip|none\n"
    "                             layer compression (default zstd; gzip for old runtimes)\n"
    "      --source-date-epoch N  reproducible output: times clamped to N\n"
    "                             (default: $SOURCE_DATE_EPOCH when set)\n"
    "  -o, --output type=oci|oci-archive|docker-archive,dest=PATH[,compression=gzip|zstd|none]\n"
    "                             also write the result there (docker-archive: uncompressed\n"
    "                             layers unless compression= says otherwise)\n"
    "      --tls-verify=false     pull bases from a registry without checking its certificate\n"
    "      --pull[=always|missing|never]  when to pull a base image (default missing; --pull:\n"
    "                             always); names resolve as in strata pull --help\n"
    "      --progress auto|plain|tty|quiet\n"
    "      --root DIR             store (default $STRATA_ROOT or /var/lib/strata)\n";

struct build_outspec {
    enum export_format fmt;
    enum compress_kind kind;
    int recompress;
    char *dest;
    char *type;
};

/* Parses --output type=...,dest=...[,compression=...] (checked before the build runs). */
static int
build_output_parse(const char *text, struct build_outspec *out, struct error *err)
{
    cleanup_free char *spec = xstrdup(text);
    const char *type = NULL, *dest = NULL, *comp = NULL;
    char *p, *save = NULL;

    for (p = strtok_r(spec, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
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
    out->kind = COMPRESS_NONE;
    if (export_format_parse(type, &out->fmt, err) < 0 ||
        (comp && compress_parse(comp, &out->kind, err) < 0))
        return error_wrap(err, "--output");
    out->recompress = out->fmt == EXPORT_DOCKER_ARCHIVE || comp != NULL;
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

/* --security-opt: seccomp=unconfined|builtin|PROFILE.json; no-new-privileges is always on */
static int
build_security_opt(struct build_opts *o, const char *v, struct error *err)
{
    cleanup_buf struct buf text = BUF_INIT;
    struct syscall_filter *f = NULL;
    const char *p = v + 8;

    if (!strcmp(v, "no-new-privileges") || !strcmp(v, "no-new-privileges=true"))
        return 0;
    if (strncmp(v, "seccomp=", 8) && strncmp(v, "seccomp:", 8))
        return error_input(err, "--security-opt %s: use seccomp=unconfined|PROFILE.json", v);
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

static int
build_parse_opt(struct build_opts *o, int argc, char **argv, int *i, struct error *err)
{
    char *name = NULL;
    const char *v;
    int r;

#define OPT(name) ((r = cli_opt_value(argc, argv, i, name, &v, err)) != 0)
    if (!strcmp(argv[*i], "--pull")) {
        o->pull = REMOTE_PULL_ALWAYS; /* as in docker and buildah: --pull alone is "always" */
        return 0;
    } else if (!strncmp(argv[*i], "--pull=", 7)) {
        return remote_pull_policy_parse(argv[*i] + 7, &o->pull, err);
    } else if (OPT("-f") || OPT("--file")) {
        if (r > 0)
            o->recipe = v;
    } else if (OPT("-t") || OPT("--tag")) {
        if (r > 0)
            strvec_push(&o->tags, v);
        if (r > 0 && !(name = index_normalize(v, err)))
            return error_wrap(err, "-t");
        free(name);
    } else if (OPT("--build-arg")) {
        if (r > 0)
            strvec_push(&o->build_args, v);
    } else if (OPT("--secret")) {
        if (r > 0 && strncmp(v, "id=", 3) != 0)
            return error_input(err, "--secret %s: expected id=ID[,src=FILE|,env=VAR]", v);
        if (r > 0)
            strvec_push(&o->secrets, v);
    } else if (OPT("--output") || OPT("-o")) {
        struct build_outspec os;
        if (r > 0 && build_output_parse(v, &os, err) < 0)
            return -1;
        if (r > 0 && os.fmt == EXPORT_DOCKER_ARCHIVE && o->nplatforms > 1) {
            free(os.dest);
            free(os.type);
            return error_input(err,
                               "--output type=docker-archive holds one image, not the %zu "
                               "platforms of --platform (use type=oci or oci-archive)",
                               o->nplatforms);
        }
        if (r > 0) {
            free(os.dest);
            free(os.type);
            o->output = v;
        }
    } else if (OPT("--tls-verify")) {
        if (r > 0)
            o->tls_verify = strcmp(v, "false") != 0;
    } else if (OPT("--cache-from")) {
        struct cache_transfer_spec cs;
        if (r > 0 && cache_transfer_parse(v, 0, &cs, err) < 0)
            return -1;
        if (r > 0) {
            cache_transfer_spec_release(&cs);
            strvec_push(&o->cache_from, v);
        }
    } else if (OPT("--cache-to")) {
        struct cache_transfer_spec cs;
        if (r > 0 && cache_transfer_parse(v, 1, &cs, err) < 0)
            return -1;
        if (r > 0) {
            cache_transfer_spec_release(&cs);
            o->cache_to = v;
        }
    } else if (OPT("--no-cache-filter")) {
        if (r > 0)
            strvec_push(&o->no_cache_filter, v);
    } else if (!strcmp(argv[*i], "--provenance") &&
               (*i + 1 >= argc || provenance_parse(argv[*i + 1], &o->provenance, err) < 0)) {
        error_init(err);
        o->provenance = PROVENANCE_MIN; /* buildx: --provenance alone is true, mode=min */
    } else if (!strcmp(argv[*i], "--provenance")) {
        (*i)++; /* the value, already parsed */
    } else if (OPT("--provenance")) {
        if (r > 0 && provenance_parse(v, &o->provenance, err) < 0)
            return -1;
    } else if (!strcmp(argv[*i], "--sbom") && (*i + 1 >= argc || (strcmp(argv[*i + 1], "true") &&
                                                                  strcmp(argv[*i + 1], "false")))) {
        o->sbom = 1;
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
    } else if (!strcmp(argv[*i], "--explain-cache")) {
        o->explain_cache = 1;
    } else if (OPT("--memory") || OPT("-m")) {
        if (r > 0 && (units_parse_size(v, &o->memory_limit, err) < 0 || o->memory_limit <= 0))
            return error_input(err, "--memory=%s: expected a size such as 512MiB", v);
    } else if (OPT("--pids-limit")) {
        char *end;
        if (r > 0 && ((o->pids_limit = strtoll(v, &end, 10)) < 0 || !*v || *end))
            return error_input(err, "--pids-limit=%s: expected a number (0: no limit)", v);
    } else if (OPT("--security-opt")) {
        if (r > 0 && build_security_opt(o, v, err) < 0)
            return -1;
    } else if (OPT("--iidfile")) {
        if (r > 0)
            o->iidfile = v;
    } else if (OPT("--target")) {
        if (r > 0)
            o->target = v;
    } else if (OPT("--platform")) {
        free(o->platforms);
        o->platforms = NULL;
        if (r > 0 && platform_parse_list(v, &o->platforms, &o->nplatforms, err) < 0)
            return -1;
    } else if (OPT("--network")) {
        if (r > 0 && build_network(o, v, err) < 0)
            return -1;
    } else if (OPT("--allow")) {
        if (r > 0 && strcmp(v, "network.host"))
            return error_input(err, "--allow %s: only network.host is supported", v);
        if (r > 0)
            o->allow_network_host = 1;
    } else if (OPT("--compression")) {
        if (r > 0 && compress_parse(v, &o->compression, err) < 0)
            return -1;
    } else if (OPT("--source-date-epoch")) {
        if (r > 0 && units_parse_epoch(v, &o->source_date_epoch, err) < 0)
            return -1;
    } else if (OPT("--progress")) {
        if (r > 0 && !strcmp(v, "quiet"))
            progress_set_mode(PROGRESS_QUIET);
        else if (r > 0 && !strcmp(v, "plain"))
            progress_set_live(0);
        else if (r > 0 && strcmp(v, "auto") && strcmp(v, "plain") && strcmp(v, "tty"))
            return error_input(err, "--progress=%s: use auto, plain, tty or quiet", v);
    } else if (!strcmp(argv[*i], "--no-cache")) {
        o->no_cache = 1;
    } else if (!strcmp(argv[*i], "-q") || !strcmp(argv[*i], "--quiet")) {
        progress_set_mode(PROGRESS_QUIET);
    } else {
        return error_input(err, "build: unknown option %s (see strata build --help)", argv[*i]);
    }
#undef OPT
    return r < 0 ? -1 : 0;
}

static int
build_output(struct store *s, const struct build_opts *o, const char *digest, struct error *err)
{
    struct build_outspec os;
    int rc;

    if (build_output_parse(o->output, &os, err) < 0)
        return -1;
    rc = export_image(s, digest, NULL, os.fmt, os.kind, os.recompress, os.dest,
                      o->tags.n ? o->tags.v[0] : NULL, err);
    if (rc == 0)
        progress_line("wrote %s to %s", os.type, os.dest);
    free(os.dest);
    free(os.type);
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
    return fs_join(ctx, "Dockerfile");
}

int
cmd_build(struct cli *cli, int argc, char **argv, struct error *err)
{
    struct build_opts o;
    struct store s;
    cleanup_free char *recipe = NULL;
    char digest[DIGEST_STR_LEN + 1];
    int i, rc, ran = 0;

    build_opts_init(&o);
    if (units_source_date_epoch(&o.source_date_epoch, err) < 0) {
        build_cli_release(&o);
        return -1;
    }
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(build_usage, stdout);
            build_cli_release(&o);
            return 0;
        }
        if (argv[i][0] == '-' && argv[i][1]) {
            if (build_parse_opt(&o, argc, argv, &i, err) < 0) {
                build_cli_release(&o);
                return -1;
            }
        } else if (!o.context) {
            o.context = argv[i];
        } else {
            build_cli_release(&o);
            return error_input(err, "build: more than one context given (\"%s\")", argv[i]);
        }
    }
    if (!o.context)
        o.context = ".";
    if (!o.recipe)
        o.recipe = recipe = build_default_recipe(o.context);
    if (store_open(&s, cli->root, STORE_LOCK_SHARED, err) < 0) {
        build_cli_release(&o);
        return -1;
    }
    rc = build_run(&s, &o, digest, &ran, err);
    if (rc == 0 && o.output)
        rc = build_output(&s, &o, digest, err);
    if (rc == 0 && o.iidfile) {
        cleanup_free char *line = xasprintf("%s\n", digest);
        if (fs_write_atomic(AT_FDCWD, o.iidfile, line, strlen(line), 0644, err) < 0)
            rc = error_wrap(err, "--iidfile");
    }
    store_release(&s);
    if (rc == 0 && ran)
        build_auto_prune(cli);
    build_cli_release(&o);
    return rc;
}
