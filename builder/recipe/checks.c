/*
 * Build checks: BuildKit's lint rules (frontend/dockerfile/linter/ruleset.go
 * for names, descriptions, URLs and messages; instructions/parse.go and
 * dockerfile2llb/convert.go for when each fires) on a parsed recipe.
 *
 * Three passes, as BuildKit makes them:
 *  - the whole recipe: instruction casing, FROM ... AS casing, stage names,
 *    MAINTAINER, empty continuation lines, definition comments;
 *  - every FROM: the global ARGs it uses, its --platform, and whether the
 *    ARG defaults alone give a valid image name;
 *  - each stage that is built, in order, with the variables it would have
 *    (base image environment, ENV, ARG values), for the rules about what
 *    the stage does: undefined variables, legacy ENV/LABEL, secrets in
 *    ARG/ENV, relative WORKDIR, shell-form CMD/ENTRYPOINT, repeated
 *    CMD/ENTRYPOINT/HEALTHCHECK, ignored COPY sources, EXPOSE formats.
 */
#include "builder/recipe/checks.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "builder/recipe/expand.h"
#include "formats/core/buf.h"
#include "formats/core/mem.h"
#include "formats/reference.h"

#include "formats/core/banned.h"

#define CHECK_URL(page) "https://docs.docker.com/go/dockerfile/rule/" page "/"
#define CHECK_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

const struct check_rule_info check_rules[CHECK_NRULES] = {
    [CHECK_STAGE_NAME_CASING] = {"StageNameCasing", "Stage names should be lowercase",
                                 CHECK_URL("stage-name-casing"), 0},
    [CHECK_FROM_AS_CASING] = {"FromAsCasing",
                              "The 'as' keyword should match the case of the 'from' keyword",
                              CHECK_URL("from-as-casing"), 0},
    [CHECK_NO_EMPTY_CONTINUATION] = {"NoEmptyContinuation",
                                     "Empty continuation lines will become errors in a future "
                                     "release",
                                     CHECK_URL("no-empty-continuation"), 0},
    [CHECK_CONSISTENT_INSTRUCTION_CASING] = {"ConsistentInstructionCasing",
                                             "All commands within the Dockerfile should use the "
                                             "same casing (either upper or lower)",
                                             CHECK_URL("consistent-instruction-casing"), 0},
    [CHECK_DUPLICATE_STAGE_NAME] = {"DuplicateStageName", "Stage names should be unique",
                                    CHECK_URL("duplicate-stage-name"), 0},
    [CHECK_RESERVED_STAGE_NAME] = {"ReservedStageName",
                                   "Reserved words should not be used as stage names",
                                   CHECK_URL("reserved-stage-name"), 0},
    [CHECK_JSON_ARGS_RECOMMENDED] = {"JSONArgsRecommended",
                                     "JSON arguments recommended for ENTRYPOINT/CMD to prevent "
                                     "unintended behavior related to OS signals",
                                     CHECK_URL("json-args-recommended"), 0},
    [CHECK_MAINTAINER_DEPRECATED] = {"MaintainerDeprecated",
                                     "The MAINTAINER instruction is deprecated, use a label "
                                     "instead to define an image author",
                                     CHECK_URL("maintainer-deprecated"), 0},
    [CHECK_UNDEFINED_ARG_IN_FROM] = {"UndefinedArgInFrom", "FROM command must use declared ARGs",
                                     CHECK_URL("undefined-arg-in-from"), 0},
    [CHECK_WORKDIR_RELATIVE_PATH] = {"WorkdirRelativePath",
                                     "Relative workdir without an absolute workdir declared "
                                     "within the build can have unexpected results if the base "
                                     "image changes",
                                     CHECK_URL("workdir-relative-path"), 0},
    [CHECK_UNDEFINED_VAR] = {"UndefinedVar", "Variables should be defined before their use",
                             CHECK_URL("undefined-var"), 0},
    [CHECK_MULTIPLE_INSTRUCTIONS_DISALLOWED] = {"MultipleInstructionsDisallowed",
                                                "Multiple instructions of the same type should not "
                                                "be used in the same stage",
                                                CHECK_URL("multiple-instructions-disallowed"), 0},
    [CHECK_LEGACY_KEY_VALUE_FORMAT] = {"LegacyKeyValueFormat",
                                       "Legacy key/value format with whitespace separator should "
                                       "not be used",
                                       CHECK_URL("legacy-key-value-format"), 0},
    [CHECK_INVALID_BASE_IMAGE_PLATFORM] = {"InvalidBaseImagePlatform",
                                           "Base image platform does not match expected target "
                                           "platform",
                                           NULL, 0},
    [CHECK_REDUNDANT_TARGET_PLATFORM] = {"RedundantTargetPlatform",
                                         "Setting platform to predefined $TARGETPLATFORM in FROM "
                                         "is redundant as this is the default behavior",
                                         CHECK_URL("redundant-target-platform"), 0},
    [CHECK_SECRETS_USED_IN_ARG_OR_ENV] = {"SecretsUsedInArgOrEnv",
                                          "Sensitive data should not be used in the ARG or ENV "
                                          "commands",
                                          CHECK_URL("secrets-used-in-arg-or-env"), 0},
    [CHECK_INVALID_DEFAULT_ARG_IN_FROM] = {"InvalidDefaultArgInFrom",
                                           "Default value for global ARG results in an empty or "
                                           "invalid base image name",
                                           CHECK_URL("invalid-default-arg-in-from"), 0},
    [CHECK_FROM_PLATFORM_FLAG_CONST_DISALLOWED] = {"FromPlatformFlagConstDisallowed",
                                                   "FROM --platform flag should not use a constant "
                                                   "value",
                                                   CHECK_URL("from-platform-flag-const-disallowed"),
                                                   0},
    [CHECK_COPY_IGNORED_FILE] = {"CopyIgnoredFile",
                                 "Attempting to Copy file that is excluded by .dockerignore",
                                 CHECK_URL("copy-ignored-file"), 1},
    [CHECK_INVALID_DEFINITION_DESCRIPTION] = {"InvalidDefinitionDescription",
                                              "Comment for build stage or argument should follow "
                                              "the format: `# <arg/stage name> <description>`. If "
                                              "this is not intended to be a description comment, "
                                              "add an empty line or comment between the "
                                              "instruction and the comment.",
                                              CHECK_URL("invalid-definition-description"), 1},
    [CHECK_EXPOSE_PROTO_CASING] = {"ExposeProtoCasing",
                                   "Protocol in EXPOSE instruction should be lowercase",
                                   CHECK_URL("expose-proto-casing"), 0},
    [CHECK_EXPOSE_INVALID_FORMAT] = {"ExposeInvalidFormat",
                                     "IP address and host-port mapping should not be used in "
                                     "EXPOSE instruction. This will become an error in a future "
                                     "release",
                                     CHECK_URL("expose-invalid-format"), 0},
};

/* ---- configuration ---- */

static void
check_names(const char *v, size_t n, struct strvec *out)
{
    while (n) {
        size_t k = 0, a, b;
        while (k < n && v[k] != ',')
            k++;
        for (a = 0; a < k && isspace((unsigned char)v[a]); a++)
            ;
        for (b = k; b > a && isspace((unsigned char)v[b - 1]); b--)
            ;
        strvec_push_owned(out, xstrndup(v + a, b - a));
        v += k + (k < n);
        n -= k + (k < n);
    }
}

/* Go's strconv.ParseBool */
static int
check_bool(const char *s, size_t n, int *out)
{
    static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
    static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};
    size_t i;

    for (i = 0; i < 6; i++) {
        if (strlen(yes[i]) == n && !strncmp(s, yes[i], n))
            return *out = 1, 0;
        if (strlen(no[i]) == n && !strncmp(s, no[i], n))
            return *out = 0, 0;
    }
    return -1;
}

int
check_config_parse(const char *text, struct check_config *cfg, struct error *err)
{
    const char *p = text ? text : "";
    int parts = 0;

    memset(cfg, 0, sizeof(*cfg));
    while (isspace((unsigned char)*p))
        p++;
    /* BuildKit's ParseLintOptions: up to three "key=value" parts split on ';' */
    while (*p && parts++ < 3) {
        const char *end = parts < 3 ? strchr(p, ';') : NULL;
        size_t n = end ? (size_t)(end - p) : strlen(p), kl, vs, ve;
        const char *eq = memchr(p, '=', n);
        if (!eq) {
            check_config_release(cfg);
            return error_input(err, "invalid check option \"%.*s\"", (int)n, p);
        }
        for (kl = (size_t)(eq - p); kl && isspace((unsigned char)p[kl - 1]); kl--)
            ;
        while (kl && isspace((unsigned char)*p))
            p++, kl--, n--;
        vs = (size_t)(eq - p) + 1;
        for (ve = n; ve > vs && isspace((unsigned char)p[ve - 1]); ve--)
            ;
        while (vs < ve && isspace((unsigned char)p[vs]))
            vs++;
        if (kl == 4 && !strncmp(p, "skip", 4)) {
            if (ve - vs == 3 && !strncmp(p + vs, "all", 3))
                cfg->skip_all = 1;
            else
                check_names(p + vs, ve - vs, &cfg->skip);
        } else if (kl == 12 && !strncmp(p, "experimental", 12)) {
            if (ve - vs == 3 && !strncmp(p + vs, "all", 3))
                cfg->experimental_all = 1;
            else
                check_names(p + vs, ve - vs, &cfg->experimental);
        } else if (kl == 5 && !strncmp(p, "error", 5)) {
            if (check_bool(p + vs, ve - vs, &cfg->error) < 0) {
                check_config_release(cfg);
                return error_input(err, "failed to parse check option \"%.*s\": invalid syntax",
                                   (int)n, p);
            }
        } else {
            check_config_release(cfg);
            return error_input(err, "invalid check option \"%.*s\"", (int)kl, p);
        }
        p += n + (end != NULL);
    }
    return 0;
}

void
check_config_release(struct check_config *cfg)
{
    strvec_release(&cfg->skip);
    strvec_release(&cfg->experimental);
}

void
check_result_release(struct check_result *r)
{
    size_t i;

    for (i = 0; i < r->n; i++)
        free(r->w[i].detail);
    free(r->w);
    memset(r, 0, sizeof(*r));
}

/* ---- state of one check run ---- */

struct ck_stage {
    size_t from;    /* index of its FROM in the recipe */
    size_t end;     /* one past its last instruction */
    char *name;     /* AS name in lower case, or NULL */
    long base;      /* index of the stage it is FROM, or -1 */
    char *base_ref; /* the FROM name after expansion */
    char *platform; /* FROM --platform after expansion, or NULL */
    /* what the stage has once its instructions are applied (the dispatch pass) */
    struct strvec env, declared;
    int shell, workdir_set, done;
};

struct ck {
    const struct check_input *in;
    struct check_result *out;
    struct strvec global;   /* global ARG values (and the predefined ones), "K=V" */
    struct strvec all_args; /* every global ARG name, with or without a value, "K=" */
    struct ck_stage *st;
    size_t nst;
};

static int
ck_in_list(const struct strvec *v, const char *name)
{
    size_t i;

    for (i = 0; i < v->n; i++)
        if (!strcmp(v->v[i], name))
            return 1;
    return 0;
}

/* BuildKit's Linter.Run: experimental rules only when asked for, the others unless skipped. */
static int
ck_enabled(const struct ck *c, enum check_rule r)
{
    const struct check_config *cfg = c->in->cfg;
    const char *name = check_rules[r].name;

    if (check_rules[r].experimental)
        return cfg->experimental_all || ck_in_list(&cfg->experimental, name);
    return !cfg->skip_all && !ck_in_list(&cfg->skip, name);
}

static void __attribute__((format(printf, 4, 5)))
ck_warn(struct ck *c, enum check_rule r, int line, const char *fmt, ...)
{
    struct check_warning *w;
    va_list ap;
    struct buf b = BUF_INIT;

    if (!ck_enabled(c, r))
        return;
    va_start(ap, fmt);
    buf_vaddf(&b, fmt, ap);
    va_end(ap);
    c->out->w = xgrow(c->out->w, sizeof(*c->out->w), c->out->n + 1, &c->out->alloc);
    w = &c->out->w[c->out->n++];
    w->rule = r;
    w->line = line;
    w->detail = buf_detach(&b);
}

/* The keyword as written (the case kept), into out. */
static void
ck_keyword(const struct parse_instr *in, char *out, size_t n)
{
    size_t k = strcspn(in->original, " \t\r\n\f\v");

    snprintf(out, n, "%.*s", (int)k, in->original);
}

static int
ck_is_lower(const char *s)
{
    for (; *s; s++)
        if (isupper((unsigned char)*s))
            return 0;
    return 1;
}

static int
ck_is_upper(const char *s)
{
    for (; *s; s++)
        if (islower((unsigned char)*s))
            return 0;
    return 1;
}

/* Levenshtein distance (insert, delete, substitute), for suggestions. */
static size_t
ck_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), i, j;
    cleanup_free size_t *row = xcalloc(lb + 1, sizeof(*row));

    for (j = 0; j <= lb; j++)
        row[j] = j;
    for (i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (j = 1; j <= lb; j++) {
            size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            diag = up;
            row[j] = best;
        }
    }
    return row[lb];
}

/* BuildKit's suggest.Search: the first name closer than 3 edits, closest first; else NULL. */
static const char *
ck_suggest(const char *word, const struct strvec *keys)
{
    const char *pick = NULL;
    size_t best = 3, i;

    for (i = 0; i < keys->n; i++) {
        const char *eq = strchr(keys->v[i], '=');
        cleanup_free char *k = xstrndup(keys->v[i], eq ? (size_t)(eq - keys->v[i]) : 0);
        size_t d;
        if (!eq || !strcmp(k, word))
            continue;
        d = ck_distance(word, k);
        if (d < best) {
            best = d;
            pick = keys->v[i];
        }
    }
    if (!pick)
        return NULL;
    return pick; /* "K=V": the caller prints up to '=' */
}

/* ---- the whole recipe ---- */

static void
ck_casing(struct ck *c)
{
    const struct parse_recipe *r = c->in->recipe;
    size_t i, lower = 0, upper = 0, first = r->n;
    char kw[64];
    int major_lower;

    for (i = 0; i < r->n && first == r->n; i++)
        if (r->instrs[i].kind == INSTR_FROM)
            first = i;
    for (i = first; i < r->n; i++) {
        ck_keyword(&r->instrs[i], kw, sizeof(kw));
        if (ck_is_lower(kw))
            lower++;
        else if (ck_is_upper(kw))
            upper++;
    }
    major_lower = lower > upper; /* BuildKit's validateCommandCasing: a tie is upper case */
    for (i = first; i < r->n; i++) {
        ck_keyword(&r->instrs[i], kw, sizeof(kw));
        if (major_lower ? !ck_is_lower(kw) : !ck_is_upper(kw))
            ck_warn(c, CHECK_CONSISTENT_INSTRUCTION_CASING, r->instrs[i].line,
                    "Command '%s' should match the case of the command majority (%s)", kw,
                    major_lower ? "lowercase" : "uppercase");
    }
}

/*
 * The comment right above line (1-based), without '#' and outer blanks,
 * into out; 0 when that line is no comment or an empty one (which, as a
 * blank line does, ends a description).
 */
static int
ck_comment_above(const struct parse_recipe *r, int line, struct buf *out)
{
    const char *p = r->text, *end = r->text + r->len, *eol;
    int at = 1;

    if (!p || line < 2)
        return 0;
    while (at < line - 1 && p < end) {
        eol = memchr(p, '\n', (size_t)(end - p));
        p = eol ? eol + 1 : end;
        at++;
    }
    eol = memchr(p, '\n', (size_t)(end - p));
    if (!eol)
        eol = end;
    while (p < eol && (*p == ' ' || *p == '\t'))
        p++;
    if (p == eol || *p != '#')
        return 0;
    for (p++; p < eol && isspace((unsigned char)*p); p++)
        ;
    while (eol > p && isspace((unsigned char)eol[-1]))
        eol--;
    buf_add(out, p, (size_t)(eol - p));
    return out->len > 0;
}

/* InvalidDefinitionDescription: "# name description" above FROM ... AS name and ARG name. */
static void
ck_description(struct ck *c, const struct parse_instr *in)
{
    cleanup_buf struct buf com = BUF_INIT;
    cleanup_strvec struct strvec keys = STRVEC_INIT;
    size_t i, fw;

    if (in->kind == INSTR_FROM && in->args.n >= 3) {
        cleanup_free char *lower = xstrdup(in->args.v[2]);
        for (char *p = lower; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        strvec_push(&keys, lower);
    } else if (in->kind == INSTR_ARG) {
        for (i = 0; i < in->args.n; i++)
            strvec_push_owned(&keys, xstrndup(in->args.v[i], strcspn(in->args.v[i], "=")));
    }
    if (!keys.n || !ck_comment_above(c->in->recipe, in->line, &com))
        return;
    fw = strcspn(buf_cstr(&com), " ");
    for (i = 0; i < keys.n; i++)
        if (strlen(keys.v[i]) == fw && !strncmp(keys.v[i], buf_cstr(&com), fw))
            return;
    ck_warn(c, CHECK_INVALID_DEFINITION_DESCRIPTION, in->line,
            "Comment for %s should follow the format: `# %s <description>`",
            in->kind == INSTR_FROM ? "FROM" : "ARG", keys.n > 1 ? "<arg_key>" : keys.v[0]);
}

static void
ck_from_line(struct ck *c, const struct parse_instr *in)
{
    char kw[64];

    ck_keyword(in, kw, sizeof(kw));
    if (in->args.n == 3 && !ck_is_lower(in->args.v[2]))
        ck_warn(c, CHECK_STAGE_NAME_CASING, in->line, "Stage name '%s' should be lowercase",
                in->args.v[2]);
    /* instructions/parse.go doesFromCaseMatchAsCase: a mixed-case FROM is another rule's */
    if (in->args.n >= 3 && (ck_is_lower(kw) || ck_is_upper(kw)) &&
        !(ck_is_lower(kw) ? ck_is_lower(in->args.v[1]) : ck_is_upper(in->args.v[1])))
        ck_warn(c, CHECK_FROM_AS_CASING, in->line, "'%s' and '%s' keywords' casing do not match",
                in->args.v[1], kw);
}

static void
ck_whole(struct ck *c)
{
    const struct parse_recipe *r = c->in->recipe;
    cleanup_strvec struct strvec names = STRVEC_INIT;
    size_t i;

    ck_casing(c);
    for (i = 0; i < r->n; i++) {
        const struct parse_instr *in = &r->instrs[i];
        if (in->empty_continuation)
            ck_warn(c, CHECK_NO_EMPTY_CONTINUATION, in->end_line, "Empty continuation line");
        if (in->kind == INSTR_MAINTAINER)
            ck_warn(c, CHECK_MAINTAINER_DEPRECATED, in->line,
                    "Maintainer instruction is deprecated in favor of using label");
        if (in->kind == INSTR_FROM || in->kind == INSTR_ARG)
            ck_description(c, in);
        if (in->kind != INSTR_FROM)
            continue;
        ck_from_line(c, in);
        if (in->args.n >= 3) {
            cleanup_free char *n = xstrdup(in->args.v[2]);
            for (char *p = n; *p; p++)
                *p = (char)tolower((unsigned char)*p);
            if (!strcmp(n, "scratch") || !strcmp(n, "context"))
                ck_warn(c, CHECK_RESERVED_STAGE_NAME, in->line,
                        "Stage name should not use the same name as reserved stage \"%s\"", n);
            if (ck_in_list(&names, n))
                ck_warn(c, CHECK_DUPLICATE_STAGE_NAME, in->line,
                        "Duplicate stage name \"%s\", stage names should be unique", n);
            strvec_push(&names, n);
        }
    }
}

/* ---- FROM lines ---- */

static const char *
ck_build_arg(const struct check_input *in, const char *key)
{
    size_t kl = strlen(key), i;

    for (i = 0; in->build_args && i < in->build_args->n; i++) {
        const char *a = in->build_args->v[i];
        if (!strncmp(a, key, kl) && a[kl] == '=')
            return a + kl + 1;
        if (!strcmp(a, key))
            return getenv(key);
    }
    return NULL;
}

/* Expands word with vars; unmatched (and matched) get the names looked up. Returns NULL on error.
 */
static char *
ck_expand(const struct ck *c, const char *word, const struct strvec *vars, struct strvec *matched,
          struct strvec *unmatched)
{
    const struct expand_opts o = {c->in->recipe->escape, 0, 0, 0, 0, matched, unmatched};
    struct error ignored;
    char *out = NULL;

    error_init(&ignored);
    if (expand_process(word, &o, vars, &out, NULL, &ignored) < 0)
        return NULL;
    return out;
}

/* The global ARGs (BuildKit's buildMetaArgs): with the build args, or defaults only. */
static int
ck_global_args(struct ck *c, int with_build_args, struct strvec *out, struct strvec *names)
{
    const struct parse_recipe *r = c->in->recipe;
    size_t i, j;

    if (c->in->predefined)
        strvec_copy(out, c->in->predefined);
    for (i = 0; i < r->n && r->instrs[i].kind != INSTR_FROM; i++) {
        const struct parse_instr *in = &r->instrs[i];
        for (j = 0; in->kind == INSTR_ARG && j < in->args.n; j++) {
            const char *w = in->args.v[j], *eq = strchr(w, '=');
            cleanup_free char *key = xstrndup(w, eq ? (size_t)(eq - w) : strlen(w));
            const char *given = with_build_args ? ck_build_arg(c->in, key) : NULL;
            cleanup_free char *v = NULL;
            if (given)
                v = xstrdup(given);
            else if (eq && !(v = ck_expand(c, eq + 1, out, NULL, NULL)))
                return -1;
            if (v)
                strvec_setenv(out, key, v);
            if (names && !strvec_getenv(names, key))
                strvec_setenv(names, key, "");
        }
    }
    return 0;
}

/* UndefinedArgInFrom: each name of unmatched that no global ARG declares */
static void
ck_undeclared_in_from(struct ck *c, const struct parse_instr *in, const struct strvec *unmatched)
{
    cleanup_strvec struct strvec keys = STRVEC_INIT;
    size_t i;

    strvec_copy(&keys, &c->all_args);
    for (i = 0; i < c->global.n; i++) {
        cleanup_free char *k = xstrndup(c->global.v[i], strcspn(c->global.v[i], "="));
        if (!strvec_getenv(&keys, k))
            strvec_setenv(&keys, k, "");
    }
    for (i = 0; i < unmatched->n; i++) {
        cleanup_free char *name = xstrndup(unmatched->v[i], strcspn(unmatched->v[i], "="));
        const char *s;
        if (strvec_getenv(&keys, name))
            continue;
        s = ck_suggest(name, &keys);
        if (s)
            ck_warn(c, CHECK_UNDEFINED_ARG_IN_FROM, in->line,
                    "FROM argument '%s' is not declared (did you mean %.*s?)", name,
                    (int)strcspn(s, "="), s);
        else
            ck_warn(c, CHECK_UNDEFINED_ARG_IN_FROM, in->line, "FROM argument '%s' is not declared",
                    name);
    }
}

/* FROM --platform: RedundantTargetPlatform and FromPlatformFlagConstDisallowed */
static void
ck_platform(struct ck *c, struct ck_stage *s, const struct parse_instr *in)
{
    cleanup_strvec struct strvec matched = STRVEC_INIT, unmatched = STRVEC_INIT;
    const char *raw = in->f.platform;
    cleanup_free char *v = ck_expand(c, raw, &c->global, &matched, &unmatched);
    const char *tp = strvec_getenv(&c->global, "TARGETPLATFORM");

    if (!v)
        return;
    ck_undeclared_in_from(c, in, &unmatched);
    if (matched.n == 1 && !unmatched.n && strvec_getenv(&matched, "TARGETPLATFORM") && tp &&
        !strcmp(v, tp))
        ck_warn(c, CHECK_REDUNDANT_TARGET_PLATFORM, in->line,
                "Setting platform to predefined %s in FROM is redundant as this is the default "
                "behavior",
                raw);
    if (!matched.n && !unmatched.n && *v) {
        /* os/arch[/variant]: a stage named after either is expected to be constant */
        cleanup_free char *os = xstrndup(v, strcspn(v, "/"));
        const char *slash = strchr(v, '/');
        cleanup_free char *arch = slash ? xstrndup(slash + 1, strcspn(slash + 1, "/")) : NULL;
        if (!(s->name &&
              ((*os && strstr(s->name, os)) || (arch && *arch && strstr(s->name, arch)))))
            ck_warn(c, CHECK_FROM_PLATFORM_FLAG_CONST_DISALLOWED, in->line,
                    "FROM --platform flag should not use constant value \"%s\"", v);
    }
    s->platform = steal_ptr(&v);
}

/* InvalidDefaultArgInFrom: the ARG defaults alone must give a valid image name */
static void
ck_default_from(struct ck *c)
{
    cleanup_strvec struct strvec defaults = STRVEC_INIT;
    size_t i;

    if (ck_global_args(c, 0, &defaults, NULL) < 0)
        return; /* the build fails on that anyway */
    for (i = 0; i < c->nst; i++) {
        const struct parse_instr *in = &c->in->recipe->instrs[c->st[i].from];
        cleanup_free char *v =
            in->args.n ? ck_expand(c, in->args.v[0], &defaults, NULL, NULL) : NULL;
        struct reference ref;
        struct error e;
        if (!v)
            return;
        error_init(&e);
        if (reference_parse(v, &ref, &e) < 0) {
            ck_warn(c, CHECK_INVALID_DEFAULT_ARG_IN_FROM, in->line,
                    "Default value for ARG %s results in empty or invalid base image name",
                    in->args.v[0]);
            continue;
        }
        reference_release(&ref);
    }
}

static void
ck_froms(struct ck *c)
{
    const struct parse_recipe *r = c->in->recipe;
    size_t i, j;

    for (i = 0; i < r->n; i++) {
        const struct parse_instr *in = &r->instrs[i];
        cleanup_strvec struct strvec unmatched = STRVEC_INIT;
        struct ck_stage *s;
        if (in->kind != INSTR_FROM)
            continue;
        c->st = xrealloc(c->st, (c->nst + 1) * sizeof(*c->st));
        s = &c->st[c->nst++];
        memset(s, 0, sizeof(*s));
        s->from = i;
        s->base = -1;
        for (s->end = i + 1; s->end < r->n && r->instrs[s->end].kind != INSTR_FROM; s->end++)
            ;
        if (in->args.n >= 3) {
            s->name = xstrdup(in->args.v[2]);
            for (char *p = s->name; *p; p++)
                *p = (char)tolower((unsigned char)*p);
        }
        s->base_ref = in->args.n ? ck_expand(c, in->args.v[0], &c->global, NULL, &unmatched) : NULL;
        if (s->base_ref)
            ck_undeclared_in_from(c, in, &unmatched);
        if (in->f.platform)
            ck_platform(c, s, in);
        for (j = 0; s->base_ref && j + 1 < c->nst; j++)
            if (c->st[j].name && !strcasecmp(c->st[j].name, s->base_ref))
                s->base = (long)j;
    }
    ck_default_from(c);
}

/* ---- what each built stage does ---- */

/* UndefinedVar for the names of unmatched that the stage did not declare as ARGs */
static void
ck_undefined(struct ck *c, struct ck_stage *s, const struct parse_instr *in,
             const struct strvec *unmatched)
{
    size_t i;

    for (i = 0; i < unmatched->n; i++) {
        cleanup_free char *name = xstrndup(unmatched->v[i], strcspn(unmatched->v[i], "="));
        const char *sug;
        if (strvec_getenv(&s->declared, name) || !strcmp(name, "BUILDKIT_SBOM_SCAN_CONTEXT") ||
            !strcmp(name, "BUILDKIT_SBOM_SCAN_STAGE"))
            continue;
        sug = ck_suggest(name, &s->env);
        if (sug)
            ck_warn(c, CHECK_UNDEFINED_VAR, in->line,
                    "Usage of undefined variable '$%s' (did you mean $%.*s?)", name,
                    (int)strcspn(sug, "="), sug);
        else
            ck_warn(c, CHECK_UNDEFINED_VAR, in->line, "Usage of undefined variable '$%s'", name);
    }
}

/* Expands word in the stage as the build would, noting the variables it does not have. */
static char *
ck_word(const struct ck *c, const struct ck_stage *s, const char *word, struct strvec *unmatched)
{
    return ck_expand(c, word, &s->env, NULL, unmatched);
}

/* SecretsUsedInArgOrEnv: a name with a secret-like word between underscores */
static void
ck_secret(struct ck *c, const struct parse_instr *in, const char *what, const char *key)
{
    static const char *const deny[] = {"apikey",   "auth",  "credential", "credentials", "key",
                                       "password", "pword", "passwd",     "secret",      "token"};
    cleanup_free char *k = xstrdup(key);
    char *part, *save = NULL;
    int bad = 0, allowed = 0;
    size_t i;

    for (part = strtok_r(k, "_", &save); part; part = strtok_r(NULL, "_", &save)) {
        for (i = 0; i < sizeof(deny) / sizeof(deny[0]); i++)
            bad |= !strcasecmp(part, deny[i]);
        allowed |= !strcasecmp(part, "public");
    }
    if (bad && !allowed)
        ck_warn(c, CHECK_SECRETS_USED_IN_ARG_OR_ENV, in->line,
                "Do not use ARG or ENV instructions for sensitive data (%s \"%s\")", what, key);
}

static void
ck_env_label(struct ck *c, struct ck_stage *s, const struct parse_instr *in,
             struct strvec *unmatched)
{
    int env = in->kind == INSTR_ENV;
    size_t i;

    for (i = 0; i + 2 < in->args.n; i += 3) {
        cleanup_free char *k = ck_word(c, s, in->args.v[i], unmatched);
        cleanup_free char *v = ck_word(c, s, in->args.v[i + 1], unmatched);
        if (!*in->args.v[i + 2]) /* no '=': the legacy "KEY value" form */
            ck_warn(c, CHECK_LEGACY_KEY_VALUE_FORMAT, in->line,
                    "\"%s key=value\" should be used instead of legacy \"%s key value\" format",
                    env ? "ENV" : "LABEL", env ? "ENV" : "LABEL");
        if (env && k) {
            ck_secret(c, in, "ENV", k);
            strvec_setenv(&s->env, k, v ? v : "");
        }
    }
}

static void
ck_arg(struct ck *c, struct ck_stage *s, const struct parse_instr *in)
{
    size_t i;

    for (i = 0; i < in->args.n; i++) {
        const char *w = in->args.v[i], *eq = strchr(w, '=');
        cleanup_free char *key = xstrndup(w, eq ? (size_t)(eq - w) : strlen(w));
        const char *given = ck_build_arg(c->in, key);
        cleanup_free char *v = NULL;
        ck_secret(c, in, "ARG", key);
        if (given) {
            v = xstrdup(given);
        } else if (eq) {
            cleanup_strvec struct strvec unmatched = STRVEC_INIT;
            v = ck_word(c, s, eq + 1, &unmatched);
            ck_undefined(c, s, in, &unmatched);
        } else if (strvec_getenv(&c->global, key)) {
            v = xstrdup(strvec_getenv(&c->global, key));
        }
        if (v)
            strvec_setenv(&s->env, key, v);
        if (!strvec_getenv(&s->declared, key))
            strvec_setenv(&s->declared, key, "");
    }
}

/* CopyIgnoredFile: a context source the .dockerignore leaves out (or a parent of it) */
static void
ck_ignored(struct ck *c, const struct parse_instr *in, const char *src)
{
    cleanup_free char *p = NULL;
    char *slash;

    if (!c->in->ignore || in->f.from || !strncmp(src, "http://", 7) ||
        !strncmp(src, "https://", 8) || !strncmp(src, "<<", 2))
        return;
    while (!strncmp(src, "./", 2) || *src == '/')
        src += *src == '/' ? 1 : 2;
    if (!*src || !strcmp(src, "."))
        return;
    p = xstrdup(src);
    for (;;) {
        if (dockerignore_match(c->in->ignore, p) == 1) {
            ck_warn(c, CHECK_COPY_IGNORED_FILE, in->line,
                    "Attempting to %s file \"%s\" that is excluded by .dockerignore",
                    in->kind == INSTR_ADD ? "Add" : "Copy", src);
            return;
        }
        if (!(slash = strrchr(p, '/')))
            return;
        *slash = '\0';
    }
}

static void
ck_copy(struct ck *c, struct ck_stage *s, const struct parse_instr *in, struct strvec *unmatched)
{
    /* heredoc bodies are expanded as BuildKit's ExpandRaw does it */
    const struct expand_opts raw = {'\\', 0, 0, 0, 1, NULL, unmatched};
    const char *flags[] = {in->f.chown, in->f.chmod};
    struct error ignored;
    size_t i;

    for (i = 0; i < in->args.n; i++) {
        cleanup_free char *w = ck_word(c, s, in->args.v[i], unmatched);
        if (w && i + 1 < in->args.n && ck_enabled(c, CHECK_COPY_IGNORED_FILE))
            ck_ignored(c, in, w);
    }
    for (i = 0; i < 2; i++)
        if (flags[i])
            free(ck_word(c, s, flags[i], unmatched));
    for (i = 0; i < in->nheredocs; i++) {
        char *body = NULL;
        error_init(&ignored);
        if (in->heredocs[i].expand &&
            expand_process(in->heredocs[i].content, &raw, &s->env, &body, NULL, &ignored) == 0)
            free(body);
    }
}

/* EXPOSE: no IP or host port, protocols in lower case */
static void
ck_expose(struct ck *c, struct ck_stage *s, const struct parse_instr *in)
{
    cleanup_strvec struct strvec words = STRVEC_INIT;
    struct error ignored;
    size_t i;

    for (i = 0; i < in->args.n; i++) {
        error_init(&ignored);
        (void)expand_words(in->args.v[i], c->in->recipe->escape, &s->env, &words, &ignored);
    }
    for (i = 0; i < words.n; i++) {
        const char *p = words.v[i], *slash = strchr(p, '/');
        if (strchr(p, ':'))
            ck_warn(c, CHECK_EXPOSE_INVALID_FORMAT, in->line,
                    "EXPOSE instruction should not define an IP address or host-port mapping, "
                    "found '%s'",
                    p);
        if (slash && !ck_is_lower(slash + 1))
            ck_warn(c, CHECK_EXPOSE_PROTO_CASING, in->line,
                    "Defined protocol '%s' in EXPOSE instruction should be lowercase", p);
    }
}

/* The stage's starting point: its base stage's final state, or its base image's. */
static void
ck_stage_start(struct ck *c, struct ck_stage *s)
{
    char platform[64] = "";
    int shell = 0;

    if (s->base >= 0) {
        struct ck_stage *b = &c->st[s->base];
        strvec_copy(&s->env, &b->env);
        strvec_copy(&s->declared, &b->declared);
        s->shell = b->shell;
        s->workdir_set = b->workdir_set;
        return;
    }
    if (s->base_ref && strcasecmp(s->base_ref, "scratch") && c->in->image &&
        c->in->image(c->in->image_arg, s->base_ref, &s->env, &shell, platform, sizeof(platform)) ==
            0) {
        const char *want = s->platform ? s->platform : c->in->platform;
        s->shell = shell;
        if (*platform && want && strncmp(platform, want, strlen(platform)) &&
            strncmp(want, platform, strlen(want)))
            ck_warn(c, CHECK_INVALID_BASE_IMAGE_PLATFORM, c->in->recipe->instrs[s->from].line,
                    "Base image %s was pulled with platform \"%s\", expected \"%s\" for current "
                    "build",
                    s->base_ref, platform, want);
    }
    if (!strvec_getenv(&s->env, "PATH")) /* BuildKit gives every stage a PATH */
        strvec_setenv(&s->env, "PATH", CHECK_DEFAULT_PATH);
}

/* CMD, ENTRYPOINT and HEALTHCHECK: which line set each last, 0 for none */
struct ck_once {
    int cmd, entrypoint, healthcheck;
};

static void
ck_once(struct ck *c, const struct parse_instr *in, int *last)
{
    char kw[64];

    ck_keyword(in, kw, sizeof(kw));
    if (*last) /* the earlier one is the instruction that has no effect */
        ck_warn(c, CHECK_MULTIPLE_INSTRUCTIONS_DISALLOWED, *last,
                "Multiple %s instructions should not be used in the same stage because only the "
                "last one will be used",
                kw);
    *last = in->line;
}

static void
ck_instr(struct ck *c, struct ck_stage *s, const struct parse_instr *in, struct ck_once *once)
{
    cleanup_strvec struct strvec unmatched = STRVEC_INIT;
    char kw[64];
    size_t i;

    switch (in->kind) {
    case INSTR_ENV:
    case INSTR_LABEL:
        ck_env_label(c, s, in, &unmatched);
        break;
    case INSTR_ARG:
        ck_arg(c, s, in);
        break;
    case INSTR_COPY:
    case INSTR_ADD:
        ck_copy(c, s, in, &unmatched);
        break;
    case INSTR_WORKDIR:
        if (in->args.n) {
            cleanup_free char *w = ck_word(c, s, in->args.v[0], &unmatched);
            /* only the first WORKDIR of a build counts: fixing it fixes the ones after */
            if (w && !s->workdir_set && w[0] != '/')
                ck_warn(c, CHECK_WORKDIR_RELATIVE_PATH, in->line,
                        "Relative workdir \"%s\" can have unexpected results if the base image "
                        "changes",
                        w);
            s->workdir_set = 1;
        }
        break;
    case INSTR_USER:
    case INSTR_STOPSIGNAL:
    case INSTR_VOLUME:
        for (i = 0; i < in->args.n; i++)
            free(ck_word(c, s, in->args.v[i], &unmatched));
        break;
    case INSTR_EXPOSE:
        ck_expose(c, s, in);
        break;
    case INSTR_CMD:
    case INSTR_ENTRYPOINT:
        ck_once(c, in, in->kind == INSTR_CMD ? &once->cmd : &once->entrypoint);
        ck_keyword(in, kw, sizeof(kw));
        if (!in->json && !s->shell)
            ck_warn(c, CHECK_JSON_ARGS_RECOMMENDED, in->line,
                    "JSON arguments recommended for %s to prevent unintended behavior related to "
                    "OS signals",
                    kw);
        break;
    case INSTR_HEALTHCHECK:
        ck_once(c, in, &once->healthcheck);
        break;
    case INSTR_SHELL:
        s->shell = 1;
        break;
    default:
        break;
    }
    ck_undefined(c, s, in, &unmatched);
}

static void
ck_stages(struct ck *c)
{
    const struct parse_recipe *r = c->in->recipe;
    size_t i, j;

    for (i = 0; i < c->nst; i++) {
        struct ck_stage *s = &c->st[i];
        struct ck_once once = {0, 0, 0};
        if (c->in->stages && !c->in->stages[i])
            continue;
        ck_stage_start(c, s);
        for (j = s->from + 1; j < s->end; j++)
            ck_instr(c, s, &r->instrs[j], &once);
        s->done = 1;
    }
}

/* ---- results ---- */

static int
ck_cmp(const void *a, const void *b)
{
    const struct check_warning *x = a, *y = b;

    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    return strcmp(x->detail, y->detail);
}

void
checks_run(const struct check_input *in, struct check_result *out)
{
    struct ck c;
    size_t i;

    memset(&c, 0, sizeof(c));
    c.in = in;
    c.out = out;
    ck_whole(&c);
    if (ck_global_args(&c, 1, &c.global, &c.all_args) == 0) {
        ck_froms(&c);
        ck_stages(&c);
    }
    if (out->n > 1)
        qsort(out->w, out->n, sizeof(*out->w), ck_cmp);
    for (i = 0; i < c.nst; i++) {
        free(c.st[i].name);
        free(c.st[i].base_ref);
        free(c.st[i].platform);
        strvec_release(&c.st[i].env);
        strvec_release(&c.st[i].declared);
    }
    free(c.st);
    strvec_release(&c.global);
    strvec_release(&c.all_args);
}

char *
check_format(const struct check_warning *w)
{
    return xasprintf("%s: %s (line %d)", check_rules[w->rule].name, w->detail, w->line);
}

static int
ck_cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

char *
check_violations(const struct check_result *r)
{
    const char *names[CHECK_NRULES];
    unsigned char seen[CHECK_NRULES] = {0};
    struct buf b = BUF_INIT;
    size_t i, n = 0;

    if (!r->n)
        return NULL;
    for (i = 0; i < r->n; i++)
        if (!seen[r->w[i].rule]++)
            names[n++] = check_rules[r->w[i].rule].name;
    qsort(names, n, sizeof(names[0]), ck_cmp_str);
    buf_adds(&b, "lint violation found for rules: ");
    for (i = 0; i < n; i++)
        buf_addf(&b, "%s%s", i ? ", " : "", names[i]);
    return buf_detach(&b);
}
