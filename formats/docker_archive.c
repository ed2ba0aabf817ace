#include "formats/docker_archive.h"

#include <stdio.h>
#include <string.h>

#include "formats/core/mem.h"
#include "formats/json.h"

#include "formats/core/banned.h"

void
docker_archive_manifest_init(struct docker_archive_manifest *m)
{
    memset(m, 0, sizeof(*m));
}

void
docker_archive_manifest_release(struct docker_archive_manifest *m)
{
    size_t i;

    if (!m)
        return;
    for (i = 0; i < m->n; i++) {
        free(m->images[i].config);
        strvec_release(&m->images[i].repo_tags);
        strvec_release(&m->images[i].layers);
    }
    free(m->images);
    docker_archive_manifest_init(m);
}

struct docker_archive_image *
docker_archive_manifest_add(struct docker_archive_manifest *m, const char *config,
                            const struct strvec *tags, const struct strvec *layers)
{
    struct docker_archive_image *im;

    m->images = xrealloc(m->images, (m->n + 1) * sizeof(*m->images));
    im = &m->images[m->n++];
    memset(im, 0, sizeof(*im));
    im->config = xstrdup(config);
    if (tags)
        strvec_copy(&im->repo_tags, tags);
    if (layers)
        strvec_copy(&im->layers, layers);
    return im;
}

int
docker_archive_path_ok(const char *p)
{
    const char *c = p;

    if (!p || !*p || *p == '/' || strlen(p) >= 4096)
        return 0;
    while (*c) {
        const char *e = strchr(c, '/');
        size_t n = e ? (size_t)(e - c) : strlen(c);
        if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
            return 0;
        if (!e)
            break;
        c = e + 1;
        if (!*c)
            return 0; /* trailing slash */
    }
    return 1;
}

/* Reads an array of clean relative paths (or tags when paths == 0) into out. */
static int
docker_archive_strings(const cJSON *arr, const char *ctx, int paths, struct strvec *out,
                       struct error *err)
{
    const cJSON *s;
    size_t i = 0;

    cJSON_ArrayForEach(s, arr)
    {
        if (!cJSON_IsString(s))
            return error_input(err, "manifest.json: %s[%zu]: expected a string", ctx, i);
        if (paths && !docker_archive_path_ok(s->valuestring))
            return error_input(err, "manifest.json: %s[%zu]: bad path \"%.200s\"", ctx, i,
                               s->valuestring);
        strvec_push(out, s->valuestring);
        i++;
    }
    return 0;
}

static int
docker_archive_image_parse(const cJSON *j, size_t idx, struct docker_archive_manifest *m,
                           struct error *err)
{
    char ctx[64], sub[96];
    const char *cfg;
    const cJSON *tags, *layers;
    struct docker_archive_image *im;

    snprintf(ctx, sizeof(ctx), "manifest.json: [%zu]", idx);
    if (!cJSON_IsObject(j))
        return error_input(err, "%s: expected an object", ctx);
    cfg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "Config"));
    if (!cfg)
        return error_input(err, "%s: \"Config\": expected a string", ctx);
    if (!docker_archive_path_ok(cfg))
        return error_input(err, "%s: Config: bad path \"%.200s\"", ctx, cfg);
    tags = cJSON_GetObjectItemCaseSensitive(j, "RepoTags");
    if (tags && !cJSON_IsNull(tags) && !cJSON_IsArray(tags))
        return error_input(err, "%s: \"RepoTags\": expected an array", ctx);
    layers = json_array(j, "Layers", 1, ctx, err);
    if (!layers)
        return -1;
    if (cJSON_GetArraySize(layers) == 0)
        return error_input(err, "%s: \"Layers\" is empty", ctx);
    im = docker_archive_manifest_add(m, cfg, NULL, NULL);
    snprintf(sub, sizeof(sub), "[%zu].RepoTags", idx);
    if (cJSON_IsArray(tags) && docker_archive_strings(tags, sub, 0, &im->repo_tags, err) < 0)
        return -1;
    snprintf(sub, sizeof(sub), "[%zu].Layers", idx);
    return docker_archive_strings(layers, sub, 1, &im->layers, err);
}

int
docker_archive_manifest_parse(const char *json, size_t len, struct docker_archive_manifest *m,
                              struct error *err)
{
    cleanup_cjson cJSON *j = NULL;
    const cJSON *e;
    size_t i = 0;

    docker_archive_manifest_init(m);
    if (len > DOCKER_ARCHIVE_DOC_MAX)
        return error_input(err, "manifest.json: larger than %u bytes", DOCKER_ARCHIVE_DOC_MAX);
    j = json_parse(json, len, "manifest.json", err);
    if (!j)
        return -1;
    if (!cJSON_IsArray(j))
        return error_input(err, "manifest.json: expected an array");
    cJSON_ArrayForEach(e, j)
    {
        if (docker_archive_image_parse(e, i++, m, err) < 0) {
            docker_archive_manifest_release(m);
            return -1;
        }
    }
    if (m->n == 0)
        return error_input(err, "manifest.json: no images");
    return 0;
}

static cJSON *
docker_archive_string_array(const struct strvec *v)
{
    cJSON *a = cJSON_CreateArray();
    size_t i;

    for (i = 0; i < v->n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(v->v[i]));
    return a;
}

char *
docker_archive_manifest_write(const struct docker_archive_manifest *m)
{
    cleanup_cjson cJSON *j = cJSON_CreateArray();
    size_t i;

    for (i = 0; i < m->n; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "Config", m->images[i].config);
        cJSON_AddItemToObject(o, "RepoTags", docker_archive_string_array(&m->images[i].repo_tags));
        cJSON_AddItemToObject(o, "Layers", docker_archive_string_array(&m->images[i].layers));
        cJSON_AddItemToArray(j, o);
    }
    return json_print(j);
}

char *
docker_archive_repositories_write(const struct docker_archive_manifest *m,
                                  const char *const *top_ids)
{
    cleanup_cjson cJSON *j = cJSON_CreateObject();
    size_t i, k;

    for (i = 0; i < m->n; i++) {
        for (k = 0; k < m->images[i].repo_tags.n; k++) {
            const char *rt = m->images[i].repo_tags.v[k];
            const char *colon = strrchr(rt, ':');
            cleanup_free char *name = NULL;
            cJSON *tags;

            if (!colon || strchr(colon, '/'))
                continue; /* no tag: nothing to record */
            name = xstrndup(rt, (size_t)(colon - rt));
            tags = cJSON_GetObjectItemCaseSensitive(j, name);
            if (!tags)
                tags = json_add_object(j, name);
            json_set_string(tags, colon + 1, top_ids[i]);
        }
    }
    return json_print(j);
}

/* Strips the registry prefixes docker and podman add or leave out. */
static const char *
docker_archive_short(const char *s)
{
    static const char *const pfx[] = {"docker.io/library/", "docker.io/", "localhost/", "library/"};
    size_t i;

    for (i = 0; i < sizeof(pfx) / sizeof(pfx[0]); i++) {
        if (!strncmp(s, pfx[i], strlen(pfx[i])))
            return s + strlen(pfx[i]);
    }
    return s;
}

long
docker_archive_select(const struct docker_archive_manifest *m, const char *name, struct error *err)
{
    long found = -1;
    size_t i, k;
    int pass;

    if (m->n == 1)
        return 0;
    if (!name)
        return error_input(err, "docker-archive holds %zu images: name one of them", m->n);
    /* exact match first, then up to the registry prefixes */
    for (pass = 0; pass < 2 && found < 0; pass++) {
        for (i = 0; i < m->n && found < 0; i++) {
            for (k = 0; k < m->images[i].repo_tags.n; k++) {
                const char *t = m->images[i].repo_tags.v[k];
                if (pass == 0 ? !strcmp(t, name)
                              : !strcmp(docker_archive_short(t), docker_archive_short(name))) {
                    found = (long)i;
                    break;
                }
            }
        }
    }
    if (found < 0)
        return error_input(err, "docker-archive holds %zu images and none is tagged \"%s\"", m->n,
                           name);
    return found;
}
