/*
 * A stage's state while it is built (its config, layers and cache key), and
 * how it starts from a base: an image in the store (pulled from a registry
 * when missing) or another stage.
 */
#include "builder/engine/stage.h"

#include <stdlib.h>
#include <string.h>

#include "builder/engine/engine.h"
#include "builder/engine/progress.h"
#include "formats/core/mem.h"
#include "formats/registry.h"
#include "store/image.h"
#include "store/index.h"
#include "store/remote.h"

void
stage_release(struct stage *st)
{
    free(st->name);
    free(st->label);
    free(st->deps);
    parse_recipe_release(&st->onbuild);
    if (st->inputs)
        cJSON_Delete(st->inputs);
    if (st->config)
        cJSON_Delete(st->config);
    oci_manifest_release(&st->layers);
    strvec_release(&st->diff_ids);
    strvec_release(&st->args);
}

static void
stage_pull_progress(void *opaque, const char *line)
{
    (void)opaque;
    progress_line("  %s", line);
}

/*
 * A base that is not in the store but names a registry is pulled first. The
 * first stage to ask pulls it; a stage asking for the same reference meanwhile
 * waits for that pull instead of starting its own. No lock is held while the
 * network is used.
 */
static int
stage_pull(struct build *b, const char *ref, struct error *err)
{
    struct registry_opts ro;
    char digest[DIGEST_STR_LEN + 1];
    size_t i;
    int rc;

    pthread_mutex_lock(&b->pull_lock);
    for (i = 0; i < b->npulls && strcmp(b->pulls[i].ref, ref); i++)
        ;
    if (i < b->npulls) {
        while (b->pulls[i].state == 0)
            pthread_cond_wait(&b->pull_cond, &b->pull_lock);
        rc = b->pulls[i].state;
        pthread_mutex_unlock(&b->pull_lock);
        return rc > 0 ? 0 : error_set(err, 0, "pulling %s failed in another stage", ref);
    }
    b->pulls = xrealloc(b->pulls, (b->npulls + 1) * sizeof(*b->pulls));
    b->pulls[b->npulls].ref = xstrdup(ref);
    b->pulls[b->npulls].state = 0;
    b->npulls++;
    pthread_mutex_unlock(&b->pull_lock);

    registry_opts_init(&ro);
    ro.tls_verify = b->o->tls_verify;
    ro.progress = stage_pull_progress;
    rc = index_resolve(b->store, ref, digest, err);
    if (rc == 1) {
        progress_line("pulling %s", ref);
        rc = remote_pull(b->store, ref, NULL, &ro, digest, err);
    }

    pthread_mutex_lock(&b->pull_lock);
    b->pulls[i].state = rc < 0 ? -1 : 1;
    pthread_cond_broadcast(&b->pull_cond);
    pthread_mutex_unlock(&b->pull_lock);
    return rc < 0 ? -1 : 0;
}

int
stage_from_image(struct build *b, struct stage *st, const char *ref, struct error *err)
{
    struct image img;
    int rc = image_load(b->store, ref, &img, err);
    size_t i;

    /* "localhost/NAME" without a port is a local name, as podman and buildah use it */
    if (rc == 1 && registry_ref_is_remote(ref) && strncmp(ref, "localhost/", 10) != 0) {
        if (stage_pull(b, ref, err) < 0)
            return error_wrap(err, "image \"%s\" is not in the store and pulling it failed", ref);
        rc = image_load(b->store, ref, &img, err);
    }
    if (rc < 0)
        return -1;
    if (rc == 1)
        return error_set(err, 0,
                         "image \"%s\" is not in the store %s (make one with strata import, or "
                         "strata pull it)",
                         ref, b->store->root);
    st->config = steal_ptr(&img.config);
    for (i = 0; i < img.manifest.nlayers; i++)
        oci_manifest_add_layer(&st->layers, &img.manifest.layers[i]);
    strvec_copy(&st->diff_ids, &img.diff_ids);
    memcpy(st->key, img.digest, sizeof(st->key));
    memcpy(st->base, img.digest, sizeof(st->base));
    image_release(&img);
    return 0;
}

int
stage_from_stage(struct stage *st, const struct stage *src)
{
    size_t i;

    st->config = cJSON_Duplicate(src->config, 1);
    for (i = 0; i < src->layers.nlayers; i++)
        oci_manifest_add_layer(&st->layers, &src->layers.layers[i]);
    strvec_copy(&st->diff_ids, &src->diff_ids);
    memcpy(st->key, src->key, sizeof(st->key));
    memcpy(st->base, src->base, sizeof(st->base));
    return 0;
}
