/*
 * A stage that starts from an image: the image is taken from the store, or
 * pulled from a registry as --pull says, once per build and platform.
 */
#include "builder/engine/stage_image.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "builder/engine/engine.h"
#include "builder/engine/imageopts.h"
#include "builder/engine/progress.h"
#include "formats/core/mem.h"
#include "formats/registry.h"
#include "store/image.h"
#include "store/remote.h"

#include "formats/core/banned.h"

static void
stage_image_progress(void *opaque, const char *line)
{
    (void)opaque;
    progress_line("  %s", line);
}

/*
 * The base image for platform p, from the store or a registry as --pull
 * says (store/remote.c resolves the name, picks the platform's image of an
 * index and applies the policy). The first stage to ask for a reference and
 * platform gets it; a stage asking for the same meanwhile (in any platform's
 * build) waits for that one and then takes it from the store. No lock is
 * held while the network is used.
 */
static int
stage_image_pull(struct build *b, const char *ref, const struct platform *p,
                 char digest[DIGEST_STR_LEN + 1], struct error *err)
{
    struct registry_opts ro;
    struct progress_meter meter;
    char plat[PLATFORM_STR_MAX];
    cleanup_free char *key = NULL;
    size_t i;
    int rc;

    memset(&meter, 0, sizeof(meter));
    registry_opts_init(&ro);
    ro.tls_verify = b->o->tls_verify;
    ro.progress = stage_image_progress;
    ro.xfer = progress_xfer;
    ro.progress_opaque = &meter;
    platform_format(p, plat);
    key = xasprintf("%s\n%s", ref, plat);
    b = b->main; /* pulls are shared by every platform's build */
    pthread_mutex_lock(&b->pull_lock);
    for (i = 0; i < b->npulls && strcmp(b->pulls[i].ref, key); i++)
        ;
    if (i < b->npulls) {
        while (b->pulls[i].state == 0)
            pthread_cond_wait(&b->pull_cond, &b->pull_lock);
        rc = b->pulls[i].state;
        pthread_mutex_unlock(&b->pull_lock);
        if (rc < 0)
            return error_set(err, 0, "pulling %s failed in another stage", ref);
        return remote_get_image(b->store, ref, REMOTE_PULL_NEVER, p, &ro, digest, err);
    }
    b->pulls = xrealloc(b->pulls, (b->npulls + 1) * sizeof(*b->pulls));
    b->pulls[b->npulls].ref = steal_ptr(&key);
    b->pulls[b->npulls].state = 0;
    b->npulls++;
    pthread_mutex_unlock(&b->pull_lock);

    rc = remote_get_image(b->store, ref, b->o->pull, p, &ro, digest, err);

    pthread_mutex_lock(&b->pull_lock);
    b->pulls[i].state = rc < 0 ? -1 : 1;
    pthread_cond_broadcast(&b->pull_cond);
    pthread_mutex_unlock(&b->pull_lock);
    return rc < 0 ? -1 : 0;
}

/* A single-platform base must be one the stage's platform runs (an index was matched already). */
static int
stage_image_check(const struct image *img, const char *ref, const struct platform *want,
                  struct error *err)
{
    struct platform have;
    char w[PLATFORM_STR_MAX], h[PLATFORM_STR_MAX];

    if (image_serves_platform(img, want, &have))
        return 0;
    platform_format(want, w);
    platform_format(&have, h);
    return error_input(err, "image %s is for %s, not %s (import or pull one for %s)", ref, h, w, w);
}

int
stage_image_load(struct build *b, struct stage *st, const char *ref, struct error *err)
{
    const char *named = imageopts_named_ref(b, ref); /* --build-context NAME=... */
    struct image img;
    char digest[DIGEST_STR_LEN + 1];
    size_t i;

    if (!st->platform.os[0])
        st->platform = b->platform;
    if (named && !strncmp(named, "sha256:", 7))
        memcpy(digest, named, sizeof(digest)); /* a directory, stored by imageopts */
    else if (stage_image_pull(b, named ? named : ref, &st->platform, digest, err) < 0)
        return -1;
    if (image_load_digest(b->store, digest, &img, err) < 0)
        return -1;
    /* a stage's base must be for its platform (a directory context has none); COPY
       --from=IMAGE may take any files */
    if (st->from && !(named && !strncmp(named, "sha256:", 7)) &&
        stage_image_check(&img, ref, &st->platform, err) < 0) {
        image_release(&img);
        return -1;
    }
    st->config = steal_ptr(&img.config);
    for (i = 0; i < img.manifest.nlayers; i++)
        oci_manifest_add_layer(&st->layers, &img.manifest.layers[i]);
    strvec_copy(&st->diff_ids, &img.diff_ids);
    memcpy(st->key, img.digest, sizeof(st->key));
    memcpy(st->base, img.digest, sizeof(st->base));
    free(st->base_ref);
    st->base_ref = xstrdup(ref);
    image_release(&img);
    return 0;
}
