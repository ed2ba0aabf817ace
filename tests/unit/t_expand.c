#include "builder/recipe/expand.h"

#include <string.h>

#include "formats/core/mem.h"
#include "tests/unit/harness.h"

#include "formats/core/banned.h"

/* The variables every test sees. */
static void
test_vars(struct strvec *v)
{
    strvec_push(v, "A=apple");
    strvec_push(v, "E=");
    strvec_push(v, "SP=a b  c");
    strvec_push(v, "P=/usr/local/bin/tool.tar.gz");
    strvec_push(v, "NOEQ");
    strvec_push(v, "DUP=first");
    strvec_push(v, "DUP=last");
    strvec_push(v, "U=\xc3\xa9t\xc3\xa9");
}

static void
check_word(const char *file, int line, const char *word, char escape, const char *expected)
{
    struct strvec vars = STRVEC_INIT;
    struct error err;
    char *out = NULL;

    error_init(&err);
    test_vars(&vars);
    if (expand_word(word, escape, &vars, &out, &err) < 0)
        harness_fail(file, line, "expand_word(%s) failed: %s", word, err.msg);
    else if (strcmp(out, expected))
        harness_fail(file, line, "expand_word(%s) == \"%s\", expected \"%s\"", word, out, expected);
    free(out);
    strvec_release(&vars);
}

static void
check_word_fails(const char *file, int line, const char *word, const char *substr)
{
    struct strvec vars = STRVEC_INIT;
    struct error err;
    char *out = NULL;

    error_init(&err);
    test_vars(&vars);
    if (expand_word(word, '\\', &vars, &out, &err) == 0)
        harness_fail(file, line, "expand_word(%s) succeeded: \"%s\"", word, out);
    else if (err.exit_code != 2 || !strstr(err.msg, substr))
        harness_fail(file, line, "expand_word(%s) error \"%s\" (code %d) lacks \"%s\"", word,
                     err.msg, err.exit_code, substr);
    free(out);
    strvec_release(&vars);
}

#define W(word, expected) check_word(__FILE__, __LINE__, (word), '\\', (expected))
#define WB(word, expected) check_word(__FILE__, __LINE__, (word), '`', (expected))
#define WFAIL(word, substr) check_word_fails(__FILE__, __LINE__, (word), (substr))

TEST(expand_plain_references)
{
    W("$A", "apple");
    W("${A}", "apple");
    W("x${A}y$A.z", "xappley"
                    "apple.z");
    W("$UNSET|${UNSET}", "|");
    W("$NOEQ-", "-");
    W("$DUP", "last");
    W("$", "$");
    W("$ a", "$ a");
    W("a$/b", "a$/b");
    W("$Aextra", "");
    W("$1x", "x");
    W("$U!", "\xc3\xa9t\xc3\xa9!");
}

TEST(expand_default_and_alternative)
{
    W("${A:-d}", "apple");
    W("${E:-d}", "d");
    W("${UNSET:-d}", "d");
    W("${A-d}", "apple");
    W("${E-d}", "");
    W("${UNSET-d}", "d");
    W("${A:+alt}", "alt");
    W("${E:+alt}", "");
    W("${UNSET:+alt}", "");
    W("${A+alt}", "alt");
    W("${E+alt}", "alt");
    W("${UNSET+alt}", "");
    /* words inside are expanded too, with quotes removed */
    W("${UNSET:-${A}}", "apple");
    W("${UNSET:-${ALSO:-deep $A}}", "deep apple");
    W("${UNSET:-'$A' \"$A\"}", "$A apple");
    W("${UNSET:-a\\}b}", "a}b");
}

TEST(expand_required)
{
    W("${A:?boom}", "apple");
    W("${E?boom}", "");
    WFAIL("${UNSET:?you must set it}", "UNSET: you must set it");
    WFAIL("${UNSET?}", "UNSET: is not allowed to be unset");
    WFAIL("${E:?}", "E: is not allowed to be empty");
    WFAIL("${E:?empty!}", "E: empty!");
}

TEST(expand_prefix_suffix_removal)
{
    W("${P#*/}", "usr/local/bin/tool.tar.gz");
    W("${P##*/}", "tool.tar.gz");
    W("${P%.*}", "/usr/local/bin/tool.tar");
    W("${P%%.*}", "/usr/local/bin/tool");
    W("${P#/usr}", "/local/bin/tool.tar.gz");
    W("${P#nomatch}", "/usr/local/bin/tool.tar.gz");
    W("${A#?}", "pple");
    W("${A%?}", "appl");
    W("${A#[a-c]}", "pple");
    W("${A#[!a]}", "apple");
    W("${A%[el]}", "appl");
    W("${A%%[elp]*}", "a");
    W("${A#\\*}", "apple");
    W("${UNSET##*}", "");
    W("${U%?}", "\xc3\xa9t");
}

TEST(expand_substitution)
{
    W("${A/p/P}", "aPple");
    W("${A//p/P}", "aPPle");
    W("${P//\\//-}", "-usr-local-bin-tool.tar.gz");
    W("${A/x/y}", "apple");
    W("${UNSET/a/b}", "");
}

TEST(expand_quotes_and_escapes)
{
    W("'$A'", "$A");
    W("\"$A\"", "apple");
    W("\"a  b\"c", "a  bc");
    W("\\$A", "$A");
    W("\\\\$A", "\\apple");
    W("a\\ b", "a b");
    W("\"\\$A \\\" \\\\ \\x\"", "$A \" \\ \\x");
    W("'a\\'", "a\\");
    W("\"it's\"", "it's");
    W("end\\", "end");
    /* with the backtick as escape character the backslash is ordinary */
    WB("`$A \\$A", "$A \\apple");
    WB("\"`\"`$A\"", "\"$A");
}

TEST(expand_syntax_errors)
{
    WFAIL("'abc", "unexpected end of statement while looking for matching single-quote");
    WFAIL("\"abc", "unexpected end of statement while looking for matching double-quote");
    WFAIL("${A", "syntax error: missing '}'");
    WFAIL("${A:-x", "syntax error: missing '}'");
    WFAIL("${}", "syntax error: bad substitution");
    WFAIL("${:-x}", "syntax error: bad substitution");
    WFAIL("${A!x}", "unsupported modifier (!) in substitution");
    WFAIL("${A:x}", "unsupported modifier (:x) in substitution");
    WFAIL("x${A:?no}y${UNSET:?gone}", "failed to process \"x${A:?no}y${UNSET:?gone}\"");
}

TEST(expand_words_split)
{
    struct strvec vars = STRVEC_INIT, out = STRVEC_INIT;
    struct error err;

    error_init(&err);
    test_vars(&vars);
    CHECK_OK(expand_words("  one \"two three\" $SP '' \"$SP\" x\\ y ", '\\', &vars, &out, &err),
             err);
    CHECK_INT(out.n, 7);
    if (out.n == 7) {
        CHECK_STR(out.v[0], "one");
        CHECK_STR(out.v[1], "two three");
        CHECK_STR(out.v[2], "a");
        CHECK_STR(out.v[3], "b");
        CHECK_STR(out.v[4], "c");
        CHECK_STR(out.v[5], "a b  c");
        CHECK_STR(out.v[6], "x y");
    }
    strvec_release(&out);
    CHECK_FAIL(expand_words("a 'b", '\\', &vars, &out, &err), err, "single-quote");
    CHECK_INT(out.n, 0);
    strvec_release(&vars);
}

TEST(expand_raw_options)
{
    const struct expand_opts raw = {'\\', 1, 1, 1, 0, NULL, NULL};
    struct strvec words = STRVEC_INIT;
    struct error err;
    char *out = NULL;

    error_init(&err);
    CHECK_OK(expand_process("a \"$X\" '${Y:-z}' \\$Q ${Z}", &raw, NULL, &out, &words, &err), err);
    CHECK_STR(out, "a \"$X\" '${Y:-z}' \\$Q ${Z}");
    CHECK_INT(words.n, 5);
    free(out);
    strvec_release(&words);
}

/* processPossibleHeredoc: "<<" keeps the blanks after it in its word. */
TEST(expand_heredoc_operator_words)
{
    const struct expand_opts raw = {'\\', 1, 1, 1, 0, NULL, NULL};
    struct strvec words = STRVEC_INIT;
    struct error err;
    char *out = NULL;

    error_init(&err);
    CHECK_OK(expand_process("cat <<  'EOF' > x <\t<<\t\rY a<<b", &raw, NULL, &out, &words, &err),
             err);
    CHECK_STR(out, "cat <<  'EOF' > x <\t<<\t\rY a<<b");
    CHECK_INT(words.n, 7);
    if (words.n == 7) {
        CHECK_STR(words.v[1], "<<  'EOF'");
        CHECK_STR(words.v[3], "x");
        CHECK_STR(words.v[4], "<");
        CHECK_STR(words.v[5], "<<\t\rY");
        CHECK_STR(words.v[6], "a<<b");
    }
    free(out);
    strvec_release(&words);
}

/* SkipProcessQuotes, as BuildKit expands an unquoted COPY heredoc body. */
TEST(expand_skip_quotes)
{
    const struct expand_opts body = {'\\', 0, 0, 0, 1, NULL, NULL};
    struct strvec vars = STRVEC_INIT;
    struct error err;
    char *out = NULL;

    error_init(&err);
    strvec_push(&vars, "name=world");
    CHECK_OK(
        expand_process("Hello '${name}' \"$name\"! \\\\ \\$ \\\n", &body, &vars, &out, NULL, &err),
        err);
    CHECK_STR(out, "Hello 'world' \"world\"! \\ $ \n");
    free(out);
    strvec_release(&vars);
}

TEST(expand_glob)
{
    CHECK_INT(expand_glob_match("*.c", 3, "main.c", 6), 1);
    CHECK_INT(expand_glob_match("*.c", 3, "main.h", 6), 0);
    CHECK_INT(expand_glob_match("a*b*c", 5, "aXbYbZc", 7), 1);
    CHECK_INT(expand_glob_match("a?c", 3,
                                "a\xc3\xa9"
                                "c",
                                4),
              1);
    CHECK_INT(expand_glob_match("[a-c]x", 6, "bx", 2), 1);
    CHECK_INT(expand_glob_match("[^a-c]x", 7, "bx", 2), 0);
    CHECK_INT(expand_glob_match("[]]", 3, "]", 1), 1);
    CHECK_INT(expand_glob_match("[ab", 3, "[ab", 3), 1);
    CHECK_INT(expand_glob_match("\\*", 2, "*", 1), 1);
    CHECK_INT(expand_glob_match("\\*", 2, "x", 1), 0);
    CHECK_INT(expand_glob_match("", 0, "", 0), 1);
    CHECK_INT(expand_glob_match("*", 1, "", 0), 1);
}
