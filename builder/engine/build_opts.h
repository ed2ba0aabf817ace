#ifndef STRATA_BUILDER_ENGINE_BUILD_OPTS_H
#define STRATA_BUILDER_ENGINE_BUILD_OPTS_H

/*
 * What a build is asked to do (strata-build(1)): the options the command
 * line fills and every part of the engine reads. Only data and its
 * lifecycle live here, so that a part of the engine can read the options
 * without seeing how a build runs (build.h).
 */

#include <stddef.h>
#include <stdint.h>

#include "builder/sandbox/cgroup.h"
#include "builder/sandbox/sandbox.h"
#include "formats/compress.h"
#include "formats/core/strvec.h"
#include "formats/platform.h"
#include "store/remote.h"

struct cachekey;
struct syscall_filter;

/* --format: the image's manifest and config media types */
enum build_format {
    BUILD_FORMAT_OCI = 0, /* OCI image-spec (buildah's and podman's default) */
    BUILD_FORMAT_DOCKER,  /* Docker image manifest v2 schema 2 */
};

/* --squash */
enum build_squash {
    BUILD_SQUASH_NONE = 0,
    BUILD_SQUASH_NEW, /* --squash: the layers above the base image become one */
    BUILD_SQUASH_ALL, /* --squash-all: every layer becomes one */
};

#define BUILD_MAX_RLIMITS 16

struct build_opts {
    const char *recipe;       /* path of the recipe file */
    const char *context;      /* context directory */
    struct strvec tags;       /* names to give the result */
    struct strvec build_args; /* "K=V" (or "K": value from the environment) */
    struct strvec secrets;    /* "id=X,src=FILE" or "id=X,env=VAR" (RUN --mount=type=secret) */
    const char *target;       /* stage name, or NULL for the last */
    int no_cache;
    enum sandbox_net network;
    enum compress_kind compression;
    long long source_date_epoch;  /* -1: none */
    int tls_verify;               /* for base images pulled from a registry */
    enum remote_pull_policy pull; /* --pull: when a base image is pulled */
    long long memory_limit;       /* RUN memory limit in bytes (cgroup), 0: none */
    long long pids_limit;         /* RUN process limit (cgroup), 0: none; default 4096 */
    /* RUN's other cgroup limits: the memory_swap, cpu_millis, cpu_shares and cpuset_cpus
       of this (its memory and pids are memory_limit and pids_limit above) */
    struct cgroup_limits cgroup;
    int debug_on_fail;             /* --debug-on-fail: a shell in the failed RUN's file system */
    const char *iidfile;           /* --iidfile: where to write the manifest digest */
    const char *output;            /* --output type=oci|oci-archive|docker-archive,dest=PATH */
    struct strvec cache_from;      /* --cache-from specs, tried in order */
    const char *cache_to;          /* --cache-to spec, or NULL */
    struct strvec no_cache_filter; /* stages whose steps always run */
    int explain_cache;             /* say why each first miss of a stage missed */

    /* RUN's seccomp filter: --security-opt seccomp=PROFILE.json compiled (owned by the
       caller), NULL for Docker's default profile; seccomp_unconfined: no filter at all */
    struct syscall_filter *seccomp;
    int seccomp_unconfined;
    /* RUN --network=host may run (BuildKit's network.host entitlement): --allow
       network.host, or --network host, which makes it every RUN's default */
    int allow_network_host;
    int provenance;             /* PROVENANCE_* (builder/engine/provenance.h) */
    int sbom;                   /* attach an SPDX SBOM */
    int attest_referrers;       /* push attestations as OCI 1.1 referrers */
    struct platform *platforms; /* --platform: what to build for (malloc'ed); none: this
                                   machine's. Several give an image index */
    size_t nplatforms;

    /* what docker build and podman build scripts pass (strata-build(1)) */
    const char *digestfile;       /* --digestfile: where to write the manifest digest */
    enum build_format format;     /* --format */
    int compression_set;          /* --compression was given (else it follows the format) */
    struct strvec labels;         /* --label "K=V": set in the final image's config */
    struct strvec annotations;    /* --annotation "K=V": set on the final manifest */
    struct strvec named_contexts; /* --build-context "NAME=VALUE" */
    struct strvec extra_hosts;    /* --add-host, as /etc/hosts lines "IP\tNAME" */
    struct sandbox_rlimit rlimits[BUILD_MAX_RLIMITS]; /* --ulimit */
    size_t nrlimits;
    long long shm_size;         /* --shm-size in bytes, 0: the sandbox's default */
    uint64_t cap_add, cap_drop; /* --cap-add, --cap-drop (caps.h bits) */
    long long timestamp;        /* --timestamp: created times and file times, -1: none */
    enum build_squash squash;   /* --squash, --squash-all */
};

void build_opts_init(struct build_opts *o);
void build_opts_release(struct build_opts *o);

/*
 * The run options of o (--add-host, --ulimit, --shm-size, --cap-add,
 * --cap-drop) into a RUN step's sandbox spec, and into its cache key k
 * when set (what the command sees changes with each).
 */
void build_opts_run_spec(const struct build_opts *o, struct sandbox_spec *spec, struct cachekey *k);

/*
 * The value of the named context name in a list of "NAME=VALUE" entries
 * (o->named_contexts as given, or the prepared list of a build, engine.h),
 * names compared without case; NULL when there is none.
 */
const char *build_opts_named(const struct strvec *named, const char *name);

#endif
