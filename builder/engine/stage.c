/*
 * A stage's state while it is built (its config, layers and cache key), and
 * how it starts from another stage (from an image: stage_image.c).
 */
#include "builder/engine/stage.h"

#include <stdlib.h>
#include <string.h>

#include "formats/core/mem.h"

#include "formats/core/banned.h"

void
stage_release(struct stage *st)
{
    free(st->name);
    free(st->base_ref);
    free(st->label);
    free(st->deps);
    free(st->realize_err);
    free(st->prefetch);
    parse_recipe_release(&st->onbuild);
    if (st->inputs)
        cJSON_Delete(st->inputs);
    if (st->config)
        cJSON_Delete(st->config);
    oci_manifest_release(&st->layers);
    strvec_release(&st->diff_ids);
    strvec_release(&st->args);
    strvec_release(&st->declared);
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
    free(st->base_ref);
    st->base_ref = src->base_ref ? xstrdup(src->base_ref) : NULL;
    st->platform = src->platform;
    return 0;
}
