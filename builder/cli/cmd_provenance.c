/*
 * strata provenance IMAGE, strata sbom IMAGE: the attestations attached to
 * an image, as JSON (the predicate: the SLSA provenance, the SPDX document;
 * --statement: the whole in-toto Statement).
 */
#include <stdio.h>
#include <string.h>

#include "builder/cli/cli.h"
#include "formats/core/buf.h"
#include "formats/core/mem.h"
#include "formats/core/termsafe.h"
#include "formats/intoto.h"
#include "formats/json.h"
#include "store/attest.h"

#include "formats/core/banned.h"

static int
attestation_print(struct cli *cli, int argc, char **argv, const char *predicate_type,
                  struct error *err)
{
    cleanup_buf struct buf doc = BUF_INIT;
    cleanup_buf struct buf safe = BUF_INIT;
    cleanup_cjson cJSON *j = NULL;
    cleanup_free char *text = NULL;
    const char *ref = NULL;
    struct store s;
    int statement = 0, rc, i;

    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--statement"))
            statement = 1;
        else if (argv[i][0] == '-')
            return error_input(err, "%s: unknown option %s (see strata %s --help)", argv[0],
                               argv[i], argv[0]);
        else if (ref)
            return error_input(err, "usage: strata %s [--statement] IMAGE", argv[0]);
        else
            ref = argv[i];
    }
    if (!ref)
        return error_input(err, "usage: strata %s [--statement] IMAGE", argv[0]);
    if (store_open(&s, cli->root, STORE_LOCK_SHARED, err) < 0)
        return -1;
    rc = attest_find(&s, ref, predicate_type, &doc, NULL, err);
    store_release(&s);
    if (rc < 0)
        return -1;
    if (rc == 1)
        return error_set(err, 0, "image %s has no %s attestation (build it with --%s)", ref,
                         argv[0], !strcmp(argv[0], "sbom") ? "sbom" : "provenance");
    j = cJSON_ParseWithLength(buf_cstr(&doc), doc.len);
    text = cJSON_Print(statement ? j : cJSON_GetObjectItemCaseSensitive(j, "predicate"));
    /* the document comes from the image: its controls are escaped, not sent to the terminal */
    termsafe_add_json(&safe, text, strlen(text));
    printf("%s\n", buf_cstr(&safe));
    return 0;
}

int
cmd_provenance(struct cli *cli, int argc, char **argv, struct error *err)
{
    return attestation_print(cli, argc, argv, INTOTO_SLSA_V1, err);
}

int
cmd_sbom(struct cli *cli, int argc, char **argv, struct error *err)
{
    return attestation_print(cli, argc, argv, INTOTO_SPDX, err);
}
