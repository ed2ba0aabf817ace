/*
 * strata import PATH NAME[:TAG]: a one-layer image from a rootfs tarball, or an
 * image from an OCI layout, an oci-archive or a docker-archive (detected).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "builder/cli/cli.h"
#include "formats/core/units.h"
#include "formats/core/mem.h"
#include "formats/json.h"
#include "formats/limits.h"
#include "formats/oci.h"
#include "formats/tar_read.h"
#include "store/image.h"
#include "store/importer.h"
#include "store/index.h"
#include "store/layer.h"
#include "store/store.h"
#include "store/txn.h"

static const char import_usage[] =
    "usage: strata import [--compression zstd|gzip|none] [--max-unpack SIZE] PATH NAME[:TAG]\n"
    "\n"
    "PATH is detected from its content:\n"
    "  an OCI image layout directory, or an oci-archive (a tar of one): the image\n"
    "    whose ref name fits NAME, or the only one; its manifest digest is kept\n"
    "  a docker-archive (`docker save`, also unpacked): the image tagged NAME, or the\n"
    "    only one\n"
    "  any other tar (plain, .gz, .zst, .xz): a root file system, made a one-layer\n"
    "    image (--compression applies here); its creation time is\n"
    "    $SOURCE_DATE_EPOCH when set, else the newest mtime in the archive, so the\n"
    "    same tarball always gives the same image digest\n"
    "Every digest and diff_id is checked, layers are unpacked safely (no entry may\n"
    "leave the tree) and NAME is set only when everything is in the store.\n"
    "\n"
    "--max-unpack SIZE (or $STRATA_MAX_UNPACK) bounds what one archive or layer may\n"
    "unpack to (file sizes, holes included; e.g. 20GB; 0 for no limit). By default\n"
    "that is 1G or 100 times the archive's size, whichever is more: a small archive\n"
    "that expands past it (sparse members, compressed zeros) is refused.\n";

static int
import_layer(struct store *s, const char *file, enum compress_kind comp, struct layer_info *info,
             long long *newest, struct error *err)
{
    cleanup_close int in = open(file, O_RDONLY | O_CLOEXEC);
    cleanup_close int dfd = -1;
    cleanup_free char *dir = txn_tmp_path(s->tmp, "import");
    struct tar_read_result res;
    struct tar_write_opts opts;
    long long sde;
    int have_sde = units_source_date_epoch(&sde, err);

    if (have_sde < 0) {
        txn_unregister(dir);
        return -1;
    }
    if (in < 0) {
        txn_unregister(dir);
        return error_input(err, "import %s: %s", file, strerror(errno));
    }
    if (mkdir(dir, 0755) < 0 || (dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        error_set(err, errno, "mkdir %s", dir);
        txn_discard(dir);
        return -1;
    }
    if (tar_read_extract(in, dfd, TAR_READ_SNAPSHOT, geteuid() ? TAR_READ_USERXATTR : 0, file, &res,
                         err) < 0) {
        txn_discard(dir);
        return -1;
    }
    *newest = res.max_mtime;
    tar_write_opts_init(&opts);
    opts.compression = comp;
    if (have_sde == 0)
        opts.clamp_mtime = sde;
    if (layer_capture(s, dir, &opts, info, err) < 0) {
        txn_discard(dir);
        return -1;
    }
    if (!info->entries) {
        txn_discard(dir);
        return error_input(err, "import %s: the archive holds no files", file);
    }
    return 0;
}

static int
import_rootfs(struct store *s, const char *file, const char *name, enum compress_kind comp,
              struct error *err)
{
    cleanup_cjson cJSON *cfg = oci_config_new();
    struct oci_manifest m;
    struct oci_descriptor d = {0};
    struct layer_info info;
    long long sde = 0;
    char when[32], digest[DIGEST_STR_LEN + 1];
    cJSON *h, *ids;
    long long size, newest = 0;
    int rc;

    if (import_layer(s, file, comp, &info, &newest, err) < 0)
        return -1;
    if (units_source_date_epoch(&sde, err) == 1)
        sde = newest;
    /* reproducible by default: the same tarball gives the same image */
    oci_time_format(sde, when);
    json_set_string(cfg, "created", when);
    ids = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(cfg, "rootfs"),
                                           "diff_ids");
    cJSON_AddItemToArray(ids, cJSON_CreateString(info.diff_id));
    h = cJSON_CreateObject();
    cJSON_AddStringToObject(h, "created", when);
    cJSON_AddStringToObject(h, "created_by", "strata import");
    cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(cfg, "history"), h);
    oci_manifest_init(&m);
    d.media_type = (char *)info.media_type;
    memcpy(d.digest, info.digest, sizeof(d.digest));
    d.size = info.size;
    oci_manifest_add_layer(&m, &d);
    rc = image_commit(s, cfg, &m, digest, &size, err);
    oci_manifest_release(&m);
    if (rc < 0 || index_set(s, name, digest, size, err) < 0)
        return -1;
    printf("%s\n", digest);
    return 0;
}

int
cmd_import(struct cli *cli, int argc, char **argv, struct error *err)
{
    enum compress_kind comp = COMPRESS_ZSTD;
    enum importer_kind kind;
    const char *pos[2] = {NULL, NULL};
    cleanup_free char *name = NULL;
    struct store s;
    int i, npos = 0, rc;

    for (i = 1; i < argc; i++) {
        const char *v;
        uint64_t max;
        int r = cli_opt_value(argc, argv, &i, "--compression", &v, err);
        if (r < 0 || (r > 0 && compress_parse(v, &comp, err) < 0))
            return -1;
        if (r > 0)
            continue;
        r = cli_opt_value(argc, argv, &i, "--max-unpack", &v, err);
        if (r < 0 || (r > 0 && limits_parse_size(v, "--max-unpack", &max, err) < 0))
            return -1;
        if (r > 0) {
            limits_set_unpack(max);
            continue;
        }
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(import_usage, stdout);
            return 0;
        }
        if (argv[i][0] == '-' && argv[i][1])
            return error_input(err, "import: unknown option %s", argv[i]);
        if (npos == 2)
            return error_input(err, "import: too many arguments (\"%s\")", argv[i]);
        pos[npos++] = argv[i];
    }
    if (npos != 2)
        return error_input(err, "import: need a PATH and a NAME (see strata import --help)");
    name = index_normalize(pos[1], err);
    if (!name)
        return -1;
    if (importer_detect(pos[0], &kind, err) < 0)
        return -1;
    if (store_open(&s, cli->root, STORE_LOCK_SHARED, err) < 0)
        return -1;
    if (kind == IMPORTER_ROOTFS) {
        rc = import_rootfs(&s, pos[0], name, comp, err);
    } else {
        char digest[DIGEST_STR_LEN + 1];
        rc = importer_import(&s, pos[0], kind, pos[1], digest, err);
        if (rc == 0)
            printf("%s\n", digest);
    }
    store_release(&s);
    return rc;
}
