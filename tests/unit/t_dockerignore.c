#include "builder/recipe/dockerignore.h"

#include <string.h>

#include "tests/unit/harness.h"

#include "formats/core/banned.h"

/* Loads text into d (asserting success). */
static void
load(struct dockerignore *d, const char *text)
{
    struct error err;

    error_init(&err);
    dockerignore_init(d);
    CHECK_OK(dockerignore_load(d, text, strlen(text), ".dockerignore", &err), err);
}

#define EXCLUDED(d, path) CHECK_INT(dockerignore_match((d), (path)), 1)
#define KEPT(d, path) CHECK_INT(dockerignore_match((d), (path)), 0)

TEST(dockerignore_names_and_dirs)
{
    struct dockerignore d;

    load(&d, "node_modules\n/build/\n./tmp//x\n");
    EXCLUDED(&d, "node_modules");
    EXCLUDED(&d, "node_modules/a/b.js");
    KEPT(&d, "src/node_modules");
    KEPT(&d, "node_modules2");
    EXCLUDED(&d, "build");
    EXCLUDED(&d, "build/out.o");
    EXCLUDED(&d, "tmp/x");
    EXCLUDED(&d, "tmp/x/y");
    KEPT(&d, "tmp");
    KEPT(&d, "tmp/y");
    KEPT(&d, ".");
    KEPT(&d, "");
    dockerignore_release(&d);
}

TEST(dockerignore_wildcards)
{
    struct dockerignore d;

    load(&d, "*.log\nsrc/*/gen\ndoc?.txt\n[a-c]*.bin\n");
    EXCLUDED(&d, "debug.log");
    KEPT(&d, "logs/debug.log"); /* '*' does not cross '/' */
    EXCLUDED(&d, "src/a/gen");
    EXCLUDED(&d, "src/a/gen/file");
    KEPT(&d, "src/a/b/gen");
    EXCLUDED(&d, "doc1.txt");
    KEPT(&d, "doc12.txt");
    KEPT(&d, "doc/.txt");
    EXCLUDED(&d, "b.bin");
    KEPT(&d, "d.bin");
    dockerignore_release(&d);
}

TEST(dockerignore_double_star)
{
    struct dockerignore d;

    load(&d, "**/*.o\ncache/**\n**/secret\nx/**/y\n");
    EXCLUDED(&d, "a.o");
    EXCLUDED(&d, "a/b/c.o");
    EXCLUDED(&d, "cache/z");
    EXCLUDED(&d, "cache/z/w");
    KEPT(&d, "cache");
    EXCLUDED(&d, "secret");
    EXCLUDED(&d, "deep/down/secret");
    EXCLUDED(&d, "x/y");
    EXCLUDED(&d, "x/1/2/y");
    KEPT(&d, "x/1/2/z");
    dockerignore_release(&d);
}

TEST(dockerignore_exceptions_last_match_wins)
{
    struct dockerignore d;

    load(&d, "*.md\n!README.md\nREADME*\n!docs\ndocs/private\n");
    EXCLUDED(&d, "CHANGES.md");
    EXCLUDED(&d, "README.md"); /* excluded again by the later README* */
    KEPT(&d, "docs");
    EXCLUDED(&d, "docs/private/key");
    KEPT(&d, "docs/public");
    CHECK_INT(d.exclusions, 1);
    /* "!docs" stops above docs/private, and the later line wins below it */
    CHECK_INT(dockerignore_skip_dir(&d, "docs/private"), 1);
    dockerignore_release(&d);

    /* an exception that reaches into an excluded dir keeps it open, and only it */
    load(&d, "docs/\nnode_modules\n!docs/README.md\n!build/*/keep\n");
    CHECK_INT(dockerignore_skip_dir(&d, "docs"), 0);
    CHECK_INT(dockerignore_skip_dir(&d, "node_modules"), 1);
    KEPT(&d, "docs/README.md");
    EXCLUDED(&d, "docs/guide.md");
    dockerignore_release(&d);

    load(&d, "*.md\n!README.md\n");
    KEPT(&d, "README.md");
    EXCLUDED(&d, "a.md");
    dockerignore_release(&d);

    load(&d, "vendor\n");
    CHECK_INT(dockerignore_skip_dir(&d, "vendor"), 1);
    CHECK_INT(dockerignore_skip_dir(&d, "src"), 0);
    dockerignore_release(&d);
}

TEST(dockerignore_comments_blanks_escapes)
{
    struct dockerignore d;

    load(&d, "\xef\xbb\xbf# comment\r\n\r\n   \n  spaced  \r\n # not a comment\n\\#hash\n"
             "a\\*b\n");
    CHECK_INT(d.n, 4);
    EXCLUDED(&d, "spaced");
    KEPT(&d, "comment");
    EXCLUDED(&d, "# not a comment");
    EXCLUDED(&d, "#hash");
    EXCLUDED(&d, "a*b");
    KEPT(&d, "axb");
    dockerignore_release(&d);
}

TEST(dockerignore_clean_patterns)
{
    struct dockerignore d;

    load(&d, "a/../b\n/\n! /c/./d/\n../up\n");
    CHECK_INT(d.n, 4);
    if (d.n == 4) {
        CHECK_STR(d.pats[0].text, "b");
        CHECK_STR(d.pats[1].text, "/");
        CHECK_STR(d.pats[2].text, "c/d");
        CHECK_INT(d.pats[2].exclusion, 1);
        CHECK_STR(d.pats[3].text, "../up");
    }
    EXCLUDED(&d, "b/file");
    KEPT(&d, "a");
    dockerignore_release(&d);
}

TEST(dockerignore_errors)
{
    struct dockerignore d;
    struct error err;

    error_init(&err);
    dockerignore_init(&d);
    CHECK_FAIL(dockerignore_load(&d, "ok\n!\n", 5, ".dockerignore", &err), err,
               ".dockerignore:2:1: illegal exclusion pattern: \"!\"");
    CHECK_INT(err.exit_code, 2);
    CHECK_INT(d.n, 1);
    dockerignore_release(&d);
    CHECK_FAIL(dockerignore_load(&d, "a[b\n", 4, ".dockerignore", &err), err,
               ".dockerignore:1:1: invalid pattern \"a[b\": syntax error in pattern");
    CHECK_FAIL(dockerignore_add(&d, "[]", &err), err, "syntax error in pattern");
    CHECK_FAIL(dockerignore_add(&d, "x\\", &err), err, "syntax error in pattern");
    CHECK_INT(d.n, 0);
    CHECK_OK(dockerignore_add(&d, "!keep", &err), err);
    CHECK_INT(d.pats[0].exclusion, 1);
    dockerignore_release(&d);
}

TEST(dockerignore_no_blowup)
{
    struct dockerignore d;
    char path[4001];

    load(&d, "*a*a*a*a*a*a*a*a*a*a*a*a*b\n**/**/**/**/**/**/z\n");
    memset(path, 'a', sizeof(path) - 1);
    path[sizeof(path) - 1] = '\0';
    KEPT(&d, path);
    dockerignore_release(&d);
}
