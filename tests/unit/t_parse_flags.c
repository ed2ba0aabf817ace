#include "builder/recipe/parse_flags.h"

#include <string.h>

#include "builder/recipe/parse.h"
#include "tests/unit/harness.h"

#include "formats/core/banned.h"

/* Parses and validates text; the caller releases r. */
static int
typed(const char *text, struct parse_recipe *r, struct error *err)
{
    error_init(err);
    if (parse_recipe("Recipe", text, strlen(text), r, err) < 0)
        return -1;
    return parse_validate(r, err);
}

#define CHECK_TYPE_ERR(text, first_line)                                                           \
    do {                                                                                           \
        struct parse_recipe r_;                                                                    \
        struct error e_;                                                                           \
        char *nl_;                                                                                 \
        CHECK_INT(typed((text), &r_, &e_), -1);                                                    \
        CHECK_INT(e_.exit_code, 2);                                                                \
        nl_ = strchr(e_.msg, '\n');                                                                \
        if (nl_)                                                                                   \
            *nl_ = '\0';                                                                           \
        CHECK_STR(e_.msg, (first_line));                                                           \
        parse_recipe_release(&r_);                                                                 \
    } while (0)

TEST(parse_flags_kinds)
{
    struct parse_recipe r;
    struct error err;

    CHECK_OK(typed("FROM a\nrun x\nCopy a b\nadd a b\nWORKDIR /w\nONBUILD RUN y\n", &r, &err), err);
    CHECK_INT(r.n, 6);
    CHECK_INT(r.instrs[0].kind, INSTR_FROM);
    CHECK_INT(r.instrs[1].kind, INSTR_RUN);
    CHECK_INT(r.instrs[2].kind, INSTR_COPY);
    CHECK_INT(r.instrs[3].kind, INSTR_ADD);
    CHECK_INT(r.instrs[4].kind, INSTR_WORKDIR);
    CHECK_INT(r.instrs[5].kind, INSTR_ONBUILD);
    CHECK_INT(r.instrs[5].sub->kind, INSTR_RUN);
    parse_recipe_release(&r);
}

TEST(parse_flags_copy_and_from)
{
    struct parse_recipe r;
    struct error err;
    const struct parse_flags *f;

    CHECK_OK(typed("FROM --platform=linux/amd64 a\nCOPY --from=b --chown=1:2 --chmod=644 --link "
                   "--parents=false --exclude=*.o --exclude=tmp x y\n",
                   &r, &err),
             err);
    CHECK_STR(r.instrs[0].f.platform, "linux/amd64");
    f = &r.instrs[1].f;
    CHECK_STR(f->from, "b");
    CHECK_STR(f->chown, "1:2");
    CHECK_STR(f->chmod, "644");
    CHECK_INT(f->link, 1);
    CHECK_INT(f->parents, 0);
    CHECK_INT(f->exclude.n, 2);
    CHECK_STR(f->exclude.v[0], "*.o");
    CHECK_STR(f->exclude.v[1], "tmp");
    CHECK_INT(f->checksum == NULL, 1);
    parse_recipe_release(&r);
}

TEST(parse_flags_mounts)
{
    struct parse_recipe r;
    struct error err;
    const struct parse_mount *m;

    CHECK_OK(typed("FROM a\nRUN --mount=type=cache,target=/c,id=x,sharing=locked,mode=0755 "
                   "--mount=source=from=x,target=/b,ro "
                   "--mount='type=secret,id=s,\"target=/run/a,b\",required=true' cmd\n",
                   &r, &err),
             err);
    CHECK_INT(r.instrs[1].f.nmounts, 3);
    m = &r.instrs[1].f.mounts[0];
    CHECK_STR(m->type, "cache");
    CHECK_STR(m->target, "/c");
    CHECK_STR(m->id, "x");
    CHECK_STR(m->sharing, "locked");
    CHECK_STR(m->mode, "0755");
    /* source=from=x is a source path, not a stage: one parser reads every field */
    m = &r.instrs[1].f.mounts[1];
    CHECK_INT(m->type == NULL, 1);
    CHECK_STR(m->source, "from=x");
    CHECK_INT(m->from == NULL, 1);
    CHECK_STR(m->ro, "");
    /* a CSV field in double quotes (inside a single-quoted flag) keeps its comma */
    m = &r.instrs[1].f.mounts[2];
    CHECK_STR(m->target, "/run/a,b");
    CHECK_STR(m->required, "true");
    parse_recipe_release(&r);
}

TEST(parse_flags_mount_errors)
{
    /* BuildKit's words and suggestions (testMountInvalid) */
    CHECK_TYPE_ERR("FROM a\nRUN --mount=type=cache,tagret=/c x\n",
                   "Recipe:2:5: --mount: unexpected key 'tagret' in 'tagret=/c' (did you mean "
                   "target?)");
    CHECK_TYPE_ERR("FROM a\nRUN --mount=typ=tmpfs x\n",
                   "Recipe:2:5: --mount: unexpected key 'typ' in 'typ=tmpfs' (did you mean type?)");
    CHECK_TYPE_ERR("FROM a\nRUN --mount=type=cache,frobnicate x\n",
                   "Recipe:2:5: --mount: unexpected key 'frobnicate' in 'frobnicate'");
    CHECK_TYPE_ERR("FROM a\nRUN --mount=type=tmp x\n",
                   "Recipe:2:5: --mount=type=tmp: unsupported mount type \"tmp\": type must be "
                   "bind, cache, tmpfs, secret or ssh (did you mean tmpfs?)");
    CHECK_TYPE_ERR("FROM a\nRUN --mount=type=volume,target=/c x\n",
                   "Recipe:2:5: --mount=type=volume,target=/c: unsupported mount type \"volume\": "
                   "type must be bind, cache, tmpfs, secret or ssh");
    CHECK_TYPE_ERR("FROM a\nRUN --mount=type=cache,target=/c,mode=0x9 x\n",
                   "Recipe:2:5: --mount=type=cache,target=/c,mode=0x9: mode must be an octal "
                   "number");
    CHECK_TYPE_ERR("FROM a\nRUN --mount=type=cache,target x\n",
                   "Recipe:2:5: --mount: field \"target\" needs a value (target=...)");
    CHECK_TYPE_ERR("FROM a\nRUN --mount='type=bind,\"target=/a' x\n",
                   "Recipe:2:5: --mount=type=bind,\"target=/a: unterminated quote");
}

TEST(parse_flags_mount_variables_wait)
{
    struct parse_recipe r;
    struct error err;

    /* a value with a variable is checked when the build expands it */
    CHECK_OK(typed("FROM a\nARG T\nRUN --mount=type=$T,target=/x,uid=$U x\n", &r, &err), err);
    CHECK_STR(r.instrs[2].f.mounts[0].type, "$T");
    CHECK_STR(r.instrs[2].f.mounts[0].uid, "$U");
    parse_recipe_release(&r);
}
