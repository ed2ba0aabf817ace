/*
 * A build's options: their defaults, what they own, and the few things
 * several parts of the engine derive from them.
 */
#include "builder/engine/build_opts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "builder/engine/cachekey.h"

#include "formats/core/banned.h"

void
build_opts_init(struct build_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->compression = COMPRESS_ZSTD;
    o->network = SANDBOX_NET_PRIVATE; /* a network namespace of its own, see sandbox.h */
    o->pids_limit = SANDBOX_PIDS_DEFAULT;
    o->source_date_epoch = -1;
    o->tls_verify = 1;
    o->timestamp = -1;
}

void
build_opts_release(struct build_opts *o)
{
    strvec_release(&o->tags);
    strvec_release(&o->build_args);
    strvec_release(&o->secrets);
    strvec_release(&o->cache_from);
    strvec_release(&o->no_cache_filter);
    free(o->platforms);
    o->platforms = NULL;
    o->nplatforms = 0;
    strvec_release(&o->labels);
    strvec_release(&o->annotations);
    strvec_release(&o->named_contexts);
    strvec_release(&o->extra_hosts);
}

void
build_opts_run_spec(const struct build_opts *o, struct sandbox_spec *spec, struct cachekey *k)
{
    size_t i;

    spec->extra_hosts = o->extra_hosts.n ? o->extra_hosts.v : NULL;
    spec->rlimits = o->rlimits;
    spec->nrlimits = o->nrlimits;
    spec->shm_size = o->shm_size;
    spec->cap_add = o->cap_add;
    spec->cap_drop = o->cap_drop;
    /* what the command sees is part of the step (BuildKit's ExecOp has hosts and ulimits);
       added only when set, so that the steps of builds without them keep their keys */
    if (o->extra_hosts.n)
        cachekey_add_vec(k, "add-host", &o->extra_hosts);
    if (o->shm_size) {
        char v[32];
        snprintf(v, sizeof(v), "%lld", o->shm_size);
        cachekey_add(k, "shm-size", v);
    }
    if (o->cap_add || o->cap_drop) {
        char v[48];
        snprintf(v, sizeof(v), "%llx-%llx", (unsigned long long)o->cap_add,
                 (unsigned long long)o->cap_drop);
        cachekey_add(k, "caps", v);
    }
    for (i = 0; i < o->nrlimits; i++) {
        char v[96];
        snprintf(v, sizeof(v), "%d=%llu:%llu", o->rlimits[i].resource, o->rlimits[i].soft,
                 o->rlimits[i].hard);
        cachekey_add(k, "ulimit", v);
    }
}

const char *
build_opts_named(const struct strvec *named, const char *name)
{
    size_t i, n = strlen(name);

    for (i = 0; i < named->n; i++)
        if (!strncasecmp(named->v[i], name, n) && named->v[i][n] == '=')
            return named->v[i] + n + 1;
    return NULL;
}
