#ifndef STRATA_BUILDER_RECIPE_CHECKS_H
#define STRATA_BUILDER_RECIPE_CHECKS_H

/*
 * Build checks (Dockerfile 1.8, "Build checks"): BuildKit's lint rules
 * (frontend/dockerfile/linter/ruleset.go), with its names, descriptions,
 * URLs and messages, run on a parsed and validated recipe.
 *
 * As in BuildKit, some rules look at the whole recipe (casing, stage names,
 * MAINTAINER, the FROM lines), the others at what a stage does as it is
 * built (ARG and ENV values, COPY sources, WORKDIR, CMD...): those run for
 * the stages a build needs, or for every stage when only checking. The
 * `# check=` directive (or BUILDKIT_DOCKERFILE_CHECK) skips rules, enables
 * experimental ones and makes violations fatal.
 */

#include <stddef.h>

#include "builder/recipe/dockerignore.h"
#include "builder/recipe/parse.h"
#include "formats/core/error.h"
#include "formats/core/strvec.h"

enum check_rule {
    CHECK_STAGE_NAME_CASING,
    CHECK_FROM_AS_CASING,
    CHECK_NO_EMPTY_CONTINUATION,
    CHECK_CONSISTENT_INSTRUCTION_CASING,
    CHECK_DUPLICATE_STAGE_NAME,
    CHECK_RESERVED_STAGE_NAME,
    CHECK_JSON_ARGS_RECOMMENDED,
    CHECK_MAINTAINER_DEPRECATED,
    CHECK_UNDEFINED_ARG_IN_FROM,
    CHECK_WORKDIR_RELATIVE_PATH,
    CHECK_UNDEFINED_VAR,
    CHECK_MULTIPLE_INSTRUCTIONS_DISALLOWED,
    CHECK_LEGACY_KEY_VALUE_FORMAT,
    CHECK_INVALID_BASE_IMAGE_PLATFORM,
    CHECK_REDUNDANT_TARGET_PLATFORM,
    CHECK_SECRETS_USED_IN_ARG_OR_ENV,
    CHECK_INVALID_DEFAULT_ARG_IN_FROM,
    CHECK_FROM_PLATFORM_FLAG_CONST_DISALLOWED,
    CHECK_COPY_IGNORED_FILE,
    CHECK_INVALID_DEFINITION_DESCRIPTION,
    CHECK_EXPOSE_PROTO_CASING,
    CHECK_EXPOSE_INVALID_FORMAT,
    CHECK_NRULES
};

struct check_rule_info {
    const char *name;
    const char *description;
    const char *url;  /* NULL when BuildKit gives none */
    int experimental; /* runs only when asked for (experimental=NAME or all) */
};

/* The rules, indexed by enum check_rule. */
extern const struct check_rule_info check_rules[CHECK_NRULES];

/* BuildKit's linter.Config, from "skip=A,B;error=true;experimental=C". */
struct check_config {
    int skip_all, experimental_all, error;
    struct strvec skip, experimental; /* rule names */
};

/*
 * Parses the value of `# check=` (or BUILDKIT_DOCKERFILE_CHECK) into cfg;
 * NULL or "" is the default (every stable rule, no error). Fails (input
 * error) on an unknown key or an error= that is not a boolean, with
 * BuildKit's messages.
 */
int check_config_parse(const char *text, struct check_config *cfg, struct error *err);
void check_config_release(struct check_config *cfg);

struct check_warning {
    enum check_rule rule;
    int line;     /* 1-based line of the recipe */
    char *detail; /* the rule's message for this case */
};

/* The checks' findings, sorted by line, then message. */
struct check_result {
    struct check_warning *w;
    size_t n, alloc;
};

void check_result_release(struct check_result *r);

/*
 * Everything a check needs besides the recipe: which stages are built (for
 * the rules of what a stage does), the build args, the ARGs the builder
 * predefines, the context's .dockerignore, and a way to learn about a base
 * image that is known locally (its environment "K=V", whether its config
 * has a Shell, its "os/arch"; return 0 when found, else nothing is known).
 */
struct check_input {
    const struct parse_recipe *recipe;
    const struct check_config *cfg;
    const unsigned char *stages;       /* per stage index, 1 when built; NULL: all */
    const struct strvec *build_args;   /* "K=V", or "K" for one taken from the environment */
    const struct strvec *predefined;   /* "K=V": BUILDPLATFORM, TARGETSTAGE, ... */
    const char *platform;              /* "linux/amd64": the platform built for */
    const struct dockerignore *ignore; /* or NULL */
    int (*image)(void *arg, const char *ref, struct strvec *env, int *has_shell, char *platform,
                 size_t platform_len);
    void *image_arg;
};

/* Runs every enabled rule on in->recipe; appends what it finds to out (sorted). */
void checks_run(const struct check_input *in, struct check_result *out);

/*
 * BuildKit's LintFormatShort: "RuleName: detail (line N)", into a new
 * string.
 */
char *check_format(const struct check_warning *w);

/*
 * BuildKit's linter error when violations are fatal: "lint violation found
 * for rules: A, B" (each rule once, sorted), into a new string; NULL when
 * r holds nothing.
 */
char *check_violations(const struct check_result *r);

#endif
