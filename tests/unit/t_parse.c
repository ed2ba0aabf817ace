#include "builder/recipe/parse.h"

#include <string.h>

#include "builder/recipe/lex.h"
#include "formats/core/mem.h"
#include "tests/unit/harness.h"

#include "formats/core/banned.h"

/* Parses text as "Recipe" and returns its dump (caller frees), or NULL with err set. */
static char *
dump_of(const char *text, struct error *err)
{
    struct parse_recipe r;
    struct buf out = BUF_INIT;

    if (parse_recipe("Recipe", text, strlen(text), &r, err) < 0)
        return NULL;
    parse_dump(&r, &out);
    parse_recipe_release(&r);
    return buf_detach(&out);
}

#define CHECK_DUMP(text, expected)                                                                 \
    do {                                                                                           \
        struct error e_;                                                                           \
        char *d_;                                                                                  \
        error_init(&e_);                                                                           \
        d_ = dump_of((text), &e_);                                                                 \
        if (!d_)                                                                                   \
            harness_fail(__FILE__, __LINE__, "parse failed: %s", e_.msg);                          \
        else                                                                                       \
            CHECK_STR(d_, (expected));                                                             \
        free(d_);                                                                                  \
    } while (0)

/* The first line of the message must stand alone: "Recipe:L:C: msg". */
#define CHECK_PARSE_ERR(text, first_line)                                                          \
    do {                                                                                           \
        struct error e_;                                                                           \
        char *d_, *nl_;                                                                            \
        error_init(&e_);                                                                           \
        d_ = dump_of((text), &e_);                                                                 \
        if (d_) {                                                                                  \
            harness_fail(__FILE__, __LINE__, "parse succeeded: %s", d_);                           \
            free(d_);                                                                              \
        } else {                                                                                   \
            CHECK_INT(e_.exit_code, 2);                                                            \
            nl_ = strchr(e_.msg, '\n');                                                            \
            if (nl_)                                                                               \
                *nl_ = '\0';                                                                       \
            CHECK_STR(e_.msg, (first_line));                                                       \
        }                                                                                          \
    } while (0)

/* Cuts msg at its first line end (the quoted source line follows it). */
static const char *
first_line(char *msg)
{
    msg[strcspn(msg, "\n")] = '\0';
    return msg;
}

/* parse_recipe, then parse_validate (or parse_validate_triggers): the latter's result. */
static int
validate_of(const char *text, int triggers, struct error *err)
{
    struct parse_recipe r;
    int rc;

    if (parse_recipe("Recipe", text, strlen(text), &r, err) < 0)
        return -2;
    rc = triggers ? parse_validate_triggers(&r, err) : parse_validate(&r, err);
    parse_recipe_release(&r);
    return rc;
}

/* parse_recipe must succeed; then parse_validate must fail with first_line. */
#define CHECK_VALIDATE_ERR(text, first_line)                                                       \
    do {                                                                                           \
        struct error e_;                                                                           \
        struct parse_recipe r_;                                                                    \
        char *nl_;                                                                                 \
        error_init(&e_);                                                                           \
        CHECK_OK(parse_recipe("Recipe", (text), strlen(text), &r_, &e_), e_);                      \
        if (e_.msg[0] == '\0') {                                                                   \
            CHECK_INT(parse_validate(&r_, &e_), -1);                                               \
            nl_ = strchr(e_.msg, '\n');                                                            \
            if (nl_)                                                                               \
                *nl_ = '\0';                                                                       \
            CHECK_STR(e_.msg, (first_line));                                                       \
            parse_recipe_release(&r_);                                                             \
        }                                                                                          \
    } while (0)

TEST(parse_basic_dump)
{
    CHECK_DUMP("FROM alpine:3.19\nrun echo hi\nCmd [\"sh\", \"-c\", \"x\"]\n",
               "(from \"alpine:3.19\")\n(run \"echo hi\")\n(cmd \"sh\" \"-c\" \"x\")\n");
    CHECK_DUMP("FROM a AS build\nEXPOSE 80  443/udp\nVOLUME /a /b\nWORKDIR /w x\n",
               "(from \"a\" \"AS\" \"build\")\n(expose \"80\" \"443/udp\")\n"
               "(volume \"/a\" \"/b\")\n(workdir \"/w x\")\n");
}

TEST(parse_flags_and_onbuild)
{
    CHECK_DUMP("FROM a\nCOPY --from=build --chown=\"1:2\" a b\nCOPY -- --x y\n"
               "ONBUILD RUN --mount=type=cache,target=/c make\n",
               "(from \"a\")\n(copy [\"--from=build\" \"--chown=1:2\"] \"a\" \"b\")\n"
               "(copy \"--x\" \"y\")\n"
               "(onbuild (run [\"--mount=type=cache,target=/c\"] \"make\"))\n");
}

TEST(parse_env_label_forms)
{
    CHECK_DUMP("FROM a\nENV A 1 2\nENV B=\"x y\" C=z\\ w\nLABEL 'k'=v\nARG V=1 W\n",
               "(from \"a\")\n(env \"A\" \"1 2\" \"\")\n"
               "(env \"B\" \"\\\"x y\\\"\" \"=\" \"C\" \"z\\\\ w\" \"=\")\n"
               "(label \"'k'\" \"v\" \"=\")\n(arg \"V=1\" \"W\")\n");
}

TEST(parse_json_and_shell_fallback)
{
    CHECK_DUMP("FROM a\nCMD [\"a\", \"b\"] x\nCMD ['a']\nRUN [\"\\u2603\", \"\\ud83d\\ude00\"]\n",
               "(from \"a\")\n(cmd \"[\\\"a\\\", \\\"b\\\"] x\")\n(cmd \"['a']\")\n"
               "(run \"☃\" \"😀\")\n");
    CHECK_PARSE_ERR("FROM a\nCMD [\"a\", {\"b\": 1}]\n",
                    "Recipe:2:5: when using JSON array syntax, arrays must be comprised of "
                    "strings only");
}

TEST(parse_json_nul_keeps_length)
{
    struct parse_recipe r;
    struct error err;
    const char *text = "FROM a\nCMD [\"a\\u0000b\"]\n";

    error_init(&err);
    CHECK_OK(parse_recipe("Recipe", text, strlen(text), &r, &err), err);
    CHECK_INT(r.instrs[1].json, 1);
    CHECK_INT(r.instrs[1].arg_len[0], 3);
    CHECK_VALIDATE_ERR(text, "Recipe:2:6: argument holds a NUL byte (\\u0000)");
    parse_recipe_release(&r);
}

TEST(parse_go_quoting)
{
    CHECK_DUMP("FROM a\nRUN x\x01y\x7f \xff \xe2\x80\x8b \xc3\xa9\n",
               "(from \"a\")\n(run \"x\\x01y\\x7f \\xff \\u200b é\")\n");
    /* non-printable runes below U+0100 are \u escapes too, as strconv.Quote writes them */
    CHECK_DUMP("FROM a\nRUN w\xc2\x85\xc2\xa0x\n", "(from \"a\")\n(run \"w\\u0085\\u00a0x\")\n");
}

TEST(parse_directives)
{
    struct parse_recipe r;
    struct error err;
    const char *text = "# syntax=docker/dockerfile:1\n#  ESCAPE = `\n# check=skip=all\n"
                       "FROM a\nRUN a `\n  b\n";

    error_init(&err);
    CHECK_OK(parse_recipe("Recipe", text, strlen(text), &r, &err), err);
    CHECK_INT(r.escape, '`');
    CHECK_STR(r.syntax, "docker/dockerfile:1");
    CHECK_STR(r.check, "skip=all");
    CHECK_INT(r.n, 2);
    CHECK_STR(r.instrs[1].args.v[0], "a   b");
    parse_recipe_release(&r);
    /* a directive after a comment or an empty line is just a comment */
    CHECK_DUMP("# hello\n# escape=`\nFROM a\nRUN a \\\nb\n", "(from \"a\")\n(run \"a b\")\n");
    CHECK_DUMP("\n# escape=`\nFROM a\nRUN a \\\nb\n", "(from \"a\")\n(run \"a b\")\n");
    CHECK_PARSE_ERR("# escape=`\n# escape=\\\nFROM a\n",
                    "Recipe:2:1: only one escape parser directive can be used");
    CHECK_PARSE_ERR("# escape=x\nFROM a\n",
                    "Recipe:1:10: invalid escape token 'x' does not match ` or \\");
}

TEST(parse_continuations)
{
    /* the blank before a lone escape stays, as BuildKit's regexp keeps $1 */
    CHECK_DUMP("FROM a\nRUN one \\\n# comment\n\n  two \\\n\t\\\nthree\n",
               "(from \"a\")\n(run \"one   two \\tthree\")\n");
    /* an escaped escape at the end is not a continuation */
    CHECK_DUMP("FROM a\nENV P c:\\\\\nENV Q 1\n",
               "(from \"a\")\n(env \"P\" \"c:\\\\\\\\\" \"\")\n(env \"Q\" \"1\" \"\")\n");
    /* a trailing escape at the end of the file */
    CHECK_DUMP("FROM a\nRUN x \\", "(from \"a\")\n(run \"x\")\n");
}

TEST(parse_empty_continuation_warns)
{
    struct parse_recipe r;
    struct error err;
    const char *text = "FROM a\nRUN a \\\n\n  b\n";

    error_init(&err);
    CHECK_OK(parse_recipe("Recipe", text, strlen(text), &r, &err), err);
    CHECK_INT(r.warnings.n, 1);
    if (r.warnings.n)
        CHECK(strstr(r.warnings.v[0], "Recipe:2:1: empty continuation line") != NULL);
    parse_recipe_release(&r);
}

TEST(parse_crlf_and_bom)
{
    CHECK_DUMP("\xef\xbb\xbf"
               "FROM a\r\nRUN x \\\r\n  y\r\nENV K v\r\n",
               "(from \"a\")\n(run \"x   y\")\n(env \"K\" \"v\" \"\")\n");
    CHECK_VALIDATE_ERR("\xef\xbb\xbf"
                       "FROM a\r\nRUNN x\r\n",
                       "Recipe:2:1: unknown instruction \"RUNN\" (did you mean \"RUN\"?)");
}

TEST(parse_positions)
{
    struct parse_recipe r;
    struct error err;
    const char *text = "FROM a\n\n   COPY --from=b \\\n  x \\\n  y\n";

    error_init(&err);
    CHECK_OK(parse_recipe("Recipe", text, strlen(text), &r, &err), err);
    CHECK_INT(r.n, 2);
    CHECK_INT(r.instrs[1].line, 3);
    CHECK_INT(r.instrs[1].col, 4);
    CHECK_INT(r.instrs[1].end_line, 5);
    CHECK_INT(r.instrs[1].flag_pos[0].line, 3);
    CHECK_INT(r.instrs[1].flag_pos[0].col, 9);
    CHECK_INT(r.instrs[1].arg_pos[0].line, 4);
    CHECK_INT(r.instrs[1].arg_pos[0].col, 3);
    CHECK_INT(r.instrs[1].arg_pos[1].line, 5);
    CHECK_INT(r.instrs[1].arg_pos[1].col, 3);
    CHECK_STR(r.instrs[1].original, "COPY --from=b   x   y");
    parse_recipe_release(&r);
}

TEST(parse_heredocs)
{
    struct parse_recipe r;
    struct error err;
    const char *text = "FROM a\n"
                       "RUN <<EOF\necho $HOME\nEOF\n"
                       "RUN <<-\"A\" 3<<'B' cat\n\t\tone\n\tA\ntwo\nB\n"
                       "COPY <<EOF /etc/x\nline\nEOF\n"
                       "RUN [\"<<EOF\"]\n";
    const struct parse_instr *in;

    error_init(&err);
    CHECK_OK(parse_recipe("Recipe", text, strlen(text), &r, &err), err);
    CHECK_INT(r.n, 5);
    if (r.n != 5)
        goto out;
    in = &r.instrs[1];
    CHECK_INT(in->nheredocs, 1);
    CHECK_STR(in->heredocs[0].name, "EOF");
    CHECK_STR(in->heredocs[0].content, "echo $HOME\n");
    CHECK_INT(in->heredocs[0].expand, 1);
    CHECK_INT(in->end_line, 4);
    in = &r.instrs[2];
    CHECK_INT(in->nheredocs, 2);
    CHECK_STR(in->heredocs[0].name, "A");
    CHECK_STR(in->heredocs[0].content, "one\n");
    CHECK_INT(in->heredocs[0].strip_tabs, 1);
    CHECK_INT(in->heredocs[0].expand, 0);
    CHECK_STR(in->heredocs[1].name, "B");
    CHECK_INT(in->heredocs[1].fd, 3);
    CHECK_STR(in->heredocs[1].content, "two\n");
    CHECK_INT(in->heredocs[1].expand, 0);
    CHECK_STR(r.instrs[3].heredocs[0].content, "line\n");
    CHECK_STR(r.instrs[3].args.v[1], "/etc/x");
    CHECK_INT(r.instrs[4].nheredocs, 0);
out:
    parse_recipe_release(&r);
    CHECK_PARSE_ERR("FROM a\nRUN cat <<EOF\nno end\n",
                    "Recipe:2:9: unterminated heredoc: no line \"EOF\" before the end");
    /* a quoted "<<EOF" is not a heredoc */
    CHECK_DUMP("FROM a\nRUN echo '<<EOF'\n", "(from \"a\")\n(run \"echo '<<EOF'\")\n");
}

/*
 * The heredocs of "FROM a\n" + line + "\n" + body: "name/expand/chomp/fd"
 * for each, joined with ' ' (caller frees), or "error: first line".
 */
static char *
heredocs_of(const char *line, const char *body)
{
    struct parse_recipe r;
    struct error err;
    struct buf text = BUF_INIT, out = BUF_INIT;
    size_t i;

    error_init(&err);
    buf_addf(&text, "FROM a\n%s\n%s", line, body);
    if (parse_recipe("Recipe", text.data, text.len, &r, &err) < 0) {
        buf_addf(&out, "error: %.*s", (int)strcspn(err.msg, "\n"), err.msg);
    } else {
        const struct parse_instr *in = &r.instrs[1];
        for (i = 0; i < in->nheredocs; i++)
            buf_addf(&out, "%s%s/%d/%d/%d", i ? " " : "", in->heredocs[i].name,
                     in->heredocs[i].expand, in->heredocs[i].strip_tabs, in->heredocs[i].fd);
        parse_recipe_release(&r);
    }
    buf_release(&text);
    return buf_detach(&out);
}

#define CHECK_HEREDOCS(line, body, expected)                                                       \
    do {                                                                                           \
        char *h_ = heredocs_of((line), (body));                                                    \
        CHECK_STR(h_, (expected));                                                                 \
        free(h_);                                                                                  \
    } while (0)

/*
 * Which words open a heredoc, as BuildKit's lexer and its heredoc pattern
 * ^(\d*)<<(-?)\s*([^<]*)$ decide (frontend/dockerfile/parser/parser.go,
 * shell/lex.go processPossibleHeredoc); cases from its parser_heredoc_test.go.
 */
TEST(parse_heredoc_forms)
{
    const char *eof = "x\nEOF\n";

    CHECK_HEREDOCS("RUN <<EOF", eof, "EOF/1/0/0");
    CHECK_HEREDOCS("RUN <<-EOF", eof, "EOF/1/1/0");
    CHECK_HEREDOCS("RUN <<'EOF'", eof, "EOF/0/0/0");
    CHECK_HEREDOCS("RUN <<\"EOF\"", eof, "EOF/0/0/0");
    CHECK_HEREDOCS("RUN <<-'EOF'", eof, "EOF/0/1/0");
    CHECK_HEREDOCS("RUN 4<<EOF", eof, "EOF/1/0/4");
    CHECK_HEREDOCS("RUN <<EOF <<EOF2", "EOF\nEOF2\n", "EOF/1/0/0 EOF2/1/0/0");
    CHECK_HEREDOCS("RUN '<<EOF'", "", "");
    CHECK_HEREDOCS("RUN \"<<EOF\"", "", "");
    CHECK_HEREDOCS("RUN <<eo\\'f", "eo'f\n", "eo'f/1/0/0");
    CHECK_HEREDOCS("RUN <<eo'f'", "eof\n", "eof/0/0/0");
    CHECK_HEREDOCS("RUN <<'one two'", "one two\n", "one two/0/0/0");
    CHECK_HEREDOCS("RUN <<one two", "one\n", "one/1/0/0");
    CHECK_HEREDOCS("RUN <<$EOF", "$EOF\n", "$EOF/1/0/0");
    /* blanks after << stay in the word: still a heredoc named EOF */
    CHECK_HEREDOCS("RUN cat << EOF", eof, "EOF/1/0/0");
    CHECK_HEREDOCS("RUN cat <<  EOF > /etc/x", eof, "EOF/1/0/0");
    CHECK_HEREDOCS("RUN cat << 'EOF' > /etc/x", eof, "EOF/0/0/0");
    CHECK_HEREDOCS("RUN cat <<  \"EOF\"", eof, "EOF/0/0/0");
    CHECK_HEREDOCS("RUN cat <<\t EOF", eof, "EOF/1/0/0");
    CHECK_HEREDOCS("COPY << EOF /x", eof, "EOF/1/0/0");
    CHECK_HEREDOCS("ADD <<  'EOF' /x", eof, "EOF/0/0/0");
    CHECK_HEREDOCS("RUN 3<< EOF cat", eof, "EOF/1/0/3");
    CHECK_HEREDOCS("RUN << -EOF", "-EOF\n", "-EOF/1/0/0");
    CHECK_HEREDOCS("ONBUILD RUN << EOF", eof, "EOF/1/0/0");
    /* not heredocs: "<<-" cut off by a blank, "<<<", a bare "<<", a word before "<<" */
    CHECK_HEREDOCS("RUN <<- EOF", "", "");
    CHECK_HEREDOCS("RUN cat <<<EOF", "", "");
    CHECK_HEREDOCS("RUN cat << ", "", "");
    CHECK_HEREDOCS("RUN cat <<", "", "");
    CHECK_HEREDOCS("RUN cat<<EOF", "", "");
    CHECK_HEREDOCS("RUN echo \\<< EOF", "", "");
    CHECK_HEREDOCS("RUN echo \"<< EOF\"", "", "");
    CHECK_HEREDOCS("RUN [\"<<EOF\"]", "", "");
    CHECK_HEREDOCS("CMD << EOF", "", "");
    /* no terminator line: as BuildKit, an error */
    CHECK_HEREDOCS("RUN cat << EOF > /etc/x", "",
                   "error: Recipe:2:9: unterminated heredoc: no line \"EOF\" before the end");
    CHECK_HEREDOCS("COPY << 'EOF' /x", "body\n",
                   "error: Recipe:2:6: unterminated heredoc: no line \"EOF\" before the end");
}

TEST(parse_onbuild_heredoc)
{
    struct parse_recipe r;
    struct error err;
    const char *text = "FROM a\nONBUILD RUN <<X\nhi\nX\n";

    error_init(&err);
    CHECK_OK(parse_recipe("Recipe", text, strlen(text), &r, &err), err);
    CHECK_INT(r.instrs[1].nheredocs, 1);
    CHECK(r.instrs[1].sub != NULL);
    if (r.instrs[1].nheredocs)
        CHECK_STR(r.instrs[1].heredocs[0].content, "hi\n");
    parse_recipe_release(&r);
}

/* strings.ToLower folds U+0130 to 'i' and U+212A (Kelvin) to 'k': BuildKit knows these keywords. */
TEST(parse_keyword_go_lower)
{
    CHECK_DUMP("FROM a\nONBU\xc4\xb0LD RUN x\nHEALTHCHEC\xe2\x84\xaa NONE\nrUn y\n",
               "(from \"a\")\n(onbuild (run \"x\"))\n(healthcheck \"NONE\")\n(run \"y\")\n");
    CHECK_VALIDATE_ERR("FROM a\nR\xc3\x9cN x\n",
                       "Recipe:2:1: unknown instruction \"R\xc3\x9cN\" (did you mean \"RUN\"?)");
}

/*
 * BuildKit's parser keeps an unknown instruction, flags included, with one
 * empty argument (parseIgnore); its instructions package refuses it.
 */
TEST(parse_error_unknown_instruction)
{
    CHECK_DUMP("FROM a\nRUNN --x=1 echo hi\nXyZ\n",
               "(from \"a\")\n(runn [\"--x=1\"] \"\")\n(xyz \"\")\n");
    CHECK_VALIDATE_ERR("FROM a\nRUN echo\nRUNN x\n",
                       "Recipe:3:1: unknown instruction \"RUNN\" (did you mean \"RUN\"?)");
    CHECK_VALIDATE_ERR("FROM a\n  FORM b\n",
                       "Recipe:2:3: unknown instruction \"FORM\" (did you mean \"FROM\"?)");
    CHECK_VALIDATE_ERR("FROM a\nXYZZY b\n", "Recipe:2:1: unknown instruction \"XYZZY\"");
    /* as in BuildKit, the instruction's error comes before the order of stages */
    CHECK_VALIDATE_ERR("XYZZY b\nFROM a\n", "Recipe:1:1: unknown instruction \"XYZZY\"");
}

TEST(parse_error_caret_line)
{
    struct error err;
    char *d;

    error_init(&err);
    d = dump_of("FROM a\n\tRUN \"\n\tRUN [\"x\", 1]\n", &err);
    CHECK(d == NULL);
    free(d);
    CHECK(strstr(err.msg, "\n     3 | \tRUN [\"x\", 1]\n       | \t    ^") != NULL);
}

/*
 * BuildKit checks no argument count for RUN, CMD or ENTRYPOINT: an empty
 * RUN runs `/bin/sh -c ""` (instructions/parse.go parseRun).
 */
TEST(parse_empty_run)
{
    CHECK_DUMP("FROM a\nRUN\n", "(from \"a\")\n(run)\n");
    CHECK_DUMP("FROM a\nRUN --mount=type=cache,target=/c \n",
               "(from \"a\")\n(run [\"--mount=type=cache,target=/c\"])\n");
    CHECK_DUMP("FROM a\nRUN \\\n# only a comment\n", "(from \"a\")\n(run)\n");
    CHECK_DUMP("FROM a\nONBUILD RUN\nRUN []\nCMD\nENTRYPOINT\n",
               "(from \"a\")\n(onbuild (run))\n(run)\n(cmd)\n(entrypoint)\n");
    /* what BuildKit refuses without arguments stays refused */
    CHECK_VALIDATE_ERR("FROM a\nSHELL []\n", "Recipe:2:1: SHELL requires at least one argument");
    CHECK_VALIDATE_ERR("FROM a\nVOLUME\n", "Recipe:2:1: VOLUME requires at least one argument");
    CHECK_VALIDATE_ERR("FROM a\nONBUILD \\\n\n",
                       "Recipe:2:1: ONBUILD requires at least one argument");
    CHECK_VALIDATE_ERR("FROM a\nHEALTHCHECK\n",
                       "Recipe:2:1: HEALTHCHECK requires at least one argument");
}

/*
 * BuildKit's parser takes any instruction without arguments; the argument
 * counts are its instructions package's (parse_validate here).
 */
TEST(parse_error_missing_args)
{
    CHECK_DUMP("FROM\nCOPY a\nONBUILD\nSHELL sh -c\nFROM a b\nFROM a IS b\nWORKDIR\nENV\n",
               "(from)\n(copy \"a\")\n(onbuild)\n(shell \"sh -c\")\n(from \"a\" \"b\")\n"
               "(from \"a\" \"IS\" \"b\")\n(workdir)\n(env)\n");
    CHECK_VALIDATE_ERR("FROM\n", "Recipe:1:1: FROM requires at least one argument");
    CHECK_VALIDATE_ERR("FROM a\nCOPY a\n", "Recipe:2:1: COPY requires at least two arguments");
    CHECK_VALIDATE_ERR("FROM a\nENV\n", "Recipe:2:1: ENV requires at least one argument");
    CHECK_PARSE_ERR("FROM a\nENV PATH\n",
                    "Recipe:2:5: ENV must have two arguments (\"ENV name value\" or "
                    "\"ENV name=value\")");
    CHECK_PARSE_ERR("FROM a\nLABEL a=b c\n",
                    "Recipe:2:11: syntax error: can't find = in \"c\", it must be of the form "
                    "name=value");
    CHECK_VALIDATE_ERR("FROM a\nONBUILD\n", "Recipe:2:1: ONBUILD requires at least one argument");
    CHECK_VALIDATE_ERR("FROM a\nONBUILD FROM b\n",
                       "Recipe:2:9: FROM isn't allowed as an ONBUILD trigger");
    CHECK_VALIDATE_ERR("FROM a\nSHELL sh -c\n",
                       "Recipe:2:1: SHELL requires the arguments to be in JSON form");
    CHECK_VALIDATE_ERR("FROM a b\n",
                       "Recipe:1:1: FROM requires either one or three arguments (FROM image [AS "
                       "name])");
    CHECK_VALIDATE_ERR("FROM a IS b\n", "Recipe:1:8: expected \"AS\" in FROM, found \"IS\"");
    /* an ONBUILD trigger is BuildKit's text until a child build runs it */
    CHECK_DUMP("FROM a\nONBUILD XYZZY --bad=1\n",
               "(from \"a\")\n(onbuild (xyzzy [\"--bad=1\"] \"\"))\n");
    {
        struct error e;
        error_init(&e);
        CHECK_OK(validate_of("FROM a\nONBUILD XYZZY --bad=1\nONBUILD COPY --nope x\n", 0, &e), e);
        /* the child build checks the triggers */
        CHECK_INT(validate_of("RUN true\nXYZZY --bad=1\n", 1, &e), -1);
        CHECK_STR(first_line(e.msg), "Recipe:2:1: unknown instruction \"XYZZY\"");
        CHECK_INT(validate_of("COPY --nope x y\n", 1, &e), -1);
        CHECK_STR(first_line(e.msg), "Recipe:1:6: unknown flag: --nope for COPY");
        CHECK_INT(validate_of("RUN true\nFROM b\n", 1, &e), -1);
        CHECK_STR(first_line(e.msg), "Recipe:2:1: FROM isn't allowed as an ONBUILD trigger");
        CHECK_INT(validate_of("WORKDIR\n", 1, &e), -1);
        CHECK_STR(first_line(e.msg), "Recipe:1:1: WORKDIR requires at least one argument");
        CHECK_OK(validate_of("RUN\nCOPY a b\n", 1, &e), e);
    }
}

TEST(parse_error_empty_and_nul)
{
    CHECK_PARSE_ERR("", "Recipe:1:1: file with no instructions");
    CHECK_PARSE_ERR("# just\n\n# comments\n", "Recipe:1:1: file with no instructions");
    {
        struct parse_recipe r;
        struct error err;
        error_init(&err);
        CHECK_INT(parse_recipe("Recipe", "FROM a\nRUN a\0b\n", 14, &r, &err), -1);
        CHECK_STR(err.msg, "Recipe:2:6: NUL byte in an instruction\n"
                           "     2 | RUN a\n"
                           "       |      ^");
    }
}

static char *
dump_n(const char *text, size_t n, struct error *err)
{
    struct parse_recipe r;
    struct buf out = BUF_INIT;

    if (parse_recipe("Recipe", text, n, &r, err) < 0)
        return NULL;
    parse_dump(&r, &out);
    parse_recipe_release(&r);
    return buf_detach(&out);
}

/* BuildKit's parser drops a comment line whole, NUL bytes included. */
TEST(parse_nul_in_comments)
{
    static const char text[] = "# com\0ment\nFROM a\nRUN a \\\n  # c\0c\n b\n#\0 escape=`\n";
    struct error err;
    char *d;

    error_init(&err);
    d = dump_n(text, sizeof(text) - 1, &err);
    CHECK_STR(d, "(from \"a\")\n(run \"a  b\")\n");
    free(d);
    d = dump_n("FROM a\nRUN <<E\nx\0y\nE\n", 21, &err);
    CHECK(d == NULL);
    free(d);
    CHECK_FAIL(-1, err, "Recipe:3:2: NUL byte in a heredoc body");
    d = dump_n("FROM a\nRUN a \\\n b\0\n", 18, &err);
    CHECK(d == NULL);
    free(d);
    CHECK_FAIL(-1, err, "Recipe:3:3: NUL byte in an instruction");
}

/*
 * bufio.Scanner's 64 KiB token: a line may hold 65535 bytes before its
 * "\n" (a BOM and CRs included), not one more, wherever it is.
 */
static char *
dump_long(const char *head, size_t fill, const char *tail, struct error *err)
{
    struct buf t = BUF_INIT;
    char *d;
    size_t i;

    buf_adds(&t, head);
    for (i = 0; i < fill; i++)
        buf_addch(&t, 'x');
    buf_adds(&t, tail);
    error_init(err);
    d = dump_n(t.data, t.len, err);
    buf_release(&t);
    return d;
}

#define CHECK_LONG(head, fill, tail, first_line)                                                   \
    do {                                                                                           \
        struct error e_;                                                                           \
        char *d_ = dump_long((head), (fill), (tail), &e_);                                         \
        if (*(first_line))                                                                         \
            CHECK_FAIL(d_ ? 0 : -1, e_, (first_line));                                             \
        else                                                                                       \
            CHECK_OK(d_ ? 0 : -1, e_);                                                             \
        free(d_);                                                                                  \
    } while (0)

/*
 * bufio.Scanner's 64 KiB token: a line may hold 65535 bytes before its
 * "\n" (a BOM and CRs included), not one more, wherever it is.
 */
TEST(parse_line_length_limit)
{
    const char *too_long = "dockerfile line greater than max allowed size of 65535";
    struct buf t = BUF_INIT;
    struct error err;
    char *d;
    size_t i;

    CHECK_LONG("FROM a\nRUN ", 65531, "\n", "");
    CHECK_LONG("FROM a\nRUN ", 65531, "", "");
    CHECK_LONG("FROM a\nRUN ", 65532, "\n", "Recipe:2:1: dockerfile line greater");
    CHECK_LONG("FROM a\nRUN ", 65532, "", too_long);
    CHECK_LONG("FROM a\nRUN ", 65530, "\r\n", "");
    CHECK_LONG("FROM a\nRUN ", 65531, "\r\n", too_long);
    CHECK_LONG("\xef\xbb\xbf"
               "FROM ",
               65527, "\n", "");
    CHECK_LONG("\xef\xbb\xbf"
               "FROM ",
               65528, "\n", "Recipe:1:1: dockerfile line greater");
    /* a long line inside a heredoc body or a comment counts too */
    buf_reset(&t);
    buf_adds(&t, "FROM a\nRUN <<E\n#");
    for (i = 0; i < 65535; i++)
        buf_addch(&t, 'x');
    buf_adds(&t, "\nE\n");
    d = dump_n(t.data, t.len, &err);
    CHECK_FAIL(d ? 0 : -1, err,
               "Recipe:3:1: dockerfile line greater than max allowed size of 65535");
    free(d);
    buf_release(&t);
}

TEST(parse_error_flag_quote)
{
    /* extractBuilderFlags: an open quote takes the rest of the line into the flag */
    CHECK_DUMP("FROM a\nRUN --mount=\"type=tmpfs x\n",
               "(from \"a\")\n(run [\"--mount=type=tmpfs x\"])\n");
    CHECK_DUMP("FROM a\nCOPY --from=\"x y\n", "(from \"a\")\n(copy [\"--from=x y\"])\n");
    CHECK_VALIDATE_ERR("FROM a\nCOPY --from=\"x y\n",
                       "Recipe:2:1: COPY requires at least two arguments");
    /* it reads bytes: one of 0x80 or more becomes a rune U+0080..U+00FF */
    CHECK_DUMP("FROM a\nCOPY --chown=\xc3\xa9 a b\n",
               "(from \"a\")\n(copy [\"--chown=\xc3\x83\xc2\xa9\"] \"a\" \"b\")\n");
    /* and so takes the byte 0xa0 (of U+00A0) for a blank */
    CHECK_DUMP("FROM a\nCOPY --link\xc2\xa0"
               "a b\n",
               "(from \"a\")\n(copy [\"--link\xc3\x82\"] \"a\" \"b\")\n");
}

TEST(parse_validate_accepts_good_recipe)
{
    struct parse_recipe r;
    struct error err;
    const char *text = "ARG V=1\nFROM --platform=linux/amd64 a:${V} AS build\n"
                       "RUN --mount=type=cache,target=/c --mount=type=tmpfs,target=/t make\n"
                       "COPY --link --from=build --exclude=*.o --exclude=*.a src dst\n"
                       "ADD --checksum=sha256:00 --keep-git-dir=true x y\n"
                       "ADD --unpack a.tar /a/\nADD --unpack=FALSE b.tar /b/\n"
                       "RUN --device=vendor.com/gpu=all --device=other,required true\n"
                       "HEALTHCHECK --interval=5s CMD true\nHEALTHCHECK NONE\n"
                       "ENV A=\"quoted ${V:-x}\"\n";

    error_init(&err);
    CHECK_OK(parse_recipe("Recipe", text, strlen(text), &r, &err), err);
    CHECK_OK(parse_validate(&r, &err), err);
    parse_recipe_release(&r);
}

TEST(parse_validate_errors)
{
    CHECK_VALIDATE_ERR("RUN x\nFROM a\n",
                       "Recipe:1:1: RUN before FROM (only ARG may come before the first FROM)");
    CHECK_VALIDATE_ERR("ARG x\n", "Recipe:1:1: no FROM instruction");
    CHECK_VALIDATE_ERR("FROM a\nCOPY --user=me a b\n", "Recipe:2:6: unknown flag: --user for COPY");
    CHECK_VALIDATE_ERR("FROM a\nCOPY --chmown=1 a b\n",
                       "Recipe:2:6: unknown flag: --chmown for COPY (did you mean chown?)");
    CHECK_VALIDATE_ERR("FROM a\nCMD --doit x\n", "Recipe:2:5: CMD takes no flags, found --doit");
    CHECK_VALIDATE_ERR("FROM a\nCOPY --from a b\n",
                       "Recipe:2:6: flag --from needs a value (--from=...)");
    CHECK_VALIDATE_ERR("FROM a\nCOPY --link=yes a b\n",
                       "Recipe:2:6: flag --link takes true or false, not \"yes\"");
    CHECK_VALIDATE_ERR("FROM a\nCOPY --from=x --from=y a b\n",
                       "Recipe:2:15: flag --from given twice");
    CHECK_VALIDATE_ERR("FROM a\nHEALTHCHECK\n",
                       "Recipe:2:1: HEALTHCHECK requires at least one argument");
    CHECK_VALIDATE_ERR("FROM a\nHEALTHCHECK CMD\n",
                       "Recipe:2:13: missing command after HEALTHCHECK CMD");
    CHECK_VALIDATE_ERR("FROM a\nHEALTHCHECK CONNECT TCP 7000\n",
                       "Recipe:2:13: unknown HEALTHCHECK type \"CONNECT\" (expected CMD or NONE)");
    CHECK_VALIDATE_ERR("FROM a\nHEALTHCHECK NONE x\n",
                       "Recipe:2:13: HEALTHCHECK NONE takes no arguments or flags");
    CHECK_VALIDATE_ERR("FROM a AS 1st\n",
                       "Recipe:1:11: invalid stage name \"1st\": it must start with a letter and "
                       "hold only letters, digits, '-', '_' and '.'");
    CHECK_VALIDATE_ERR("FROM a\nENV name='a\\'b'\n",
                       "Recipe:2:10: failed to process \"'a\\'b'\": unexpected end of statement "
                       "while looking for matching single-quote");
    CHECK_VALIDATE_ERR("FROM a\nWORKDIR ${}\n",
                       "Recipe:2:9: failed to process \"${}\": syntax error: bad substitution");
}

/* ADD --unpack is a boolean (BFlags: true, false, or nothing), RUN --device may repeat. */
TEST(parse_validate_unpack_device)
{
    CHECK_VALIDATE_ERR("FROM a\nADD --unpack=yes x y\n",
                       "Recipe:2:5: flag --unpack takes true or false, not \"yes\"");
    CHECK_VALIDATE_ERR("FROM a\nADD --unpack= x y\n",
                       "Recipe:2:5: flag --unpack takes true or false, not \"\"");
    CHECK_VALIDATE_ERR("FROM a\nRUN --device true\n",
                       "Recipe:2:5: flag --device needs a value (--device=...)");
    CHECK_VALIDATE_ERR("FROM a\nCOPY --unpack x y\n",
                       "Recipe:2:6: unknown flag: --unpack for COPY");
}

TEST(parse_stage_names)
{
    struct parse_recipe r;
    struct error err;
    const char *text = "FROM a AS Build_1.x-y\nFROM b as c\n";

    error_init(&err);
    CHECK_OK(parse_recipe("Recipe", text, strlen(text), &r, &err), err);
    CHECK_OK(parse_validate(&r, &err), err);
    parse_recipe_release(&r);
    CHECK_VALIDATE_ERR("FROM a AS b@c\n",
                       "Recipe:1:11: invalid stage name \"b@c\": it must start with a letter and "
                       "hold only letters, digits, '-', '_' and '.'");
}

/* Found by fuzz_recipe: a long run of digits before "<<" used to loop forever. */
TEST(parse_heredoc_long_fd_digits)
{
    struct parse_recipe r;
    struct error err;
    const char *text = "FROM a\nRUN 99999999999999<<X\nbody\nX\n";

    error_init(&err);
    CHECK_OK(parse_recipe("Recipe", text, strlen(text), &r, &err), err);
    CHECK_INT(r.instrs[1].nheredocs, 1);
    if (r.instrs[1].nheredocs)
        CHECK_STR(r.instrs[1].heredocs[0].content, "body\n");
    parse_recipe_release(&r);
}

static int
json_rc(const char *s)
{
    struct lex_words w = {STRVEC_INIT, NULL, NULL, 0};
    int rc = lex_json_array(s, strlen(s), &w);

    lex_words_release(&w);
    return rc;
}

/* encoding/json's acceptance decides between exec form, shell form and an error. */
TEST(parse_lex_json_rules)
{
    struct lex_words w = {STRVEC_INIT, NULL, NULL, 0};
    char *deep;
    size_t i;

    CHECK_INT(json_rc("[\"a\"]"), 1);
    CHECK_INT(json_rc(" [ ] \r\n"), 1);
    CHECK_INT(json_rc("[\"a\", 1]"), -1);
    CHECK_INT(json_rc("[\"a\", {\"k\": [1, true, null, -0.5e+3]}]"), -1);
    CHECK_INT(json_rc("[null]"), -1);
    CHECK_INT(json_rc("[\"a\",]"), 0);
    CHECK_INT(json_rc("[\"a\"] x"), 0);
    CHECK_INT(json_rc("[01]"), 0);
    CHECK_INT(json_rc("[\"\\x\"]"), 0);
    CHECK_INT(json_rc("[\"tab\there\"]"), 0);
    CHECK_INT(json_rc("[\"a\"\v]"), 0);
    CHECK_INT(json_rc("[{\"k\" 1}]"), 0);
    CHECK_INT(json_rc("{\"k\": \"v\"}"), 0);
    /* Go stops at 10000 levels of nesting */
    deep = malloc(20003);
    for (i = 0; i < 10000; i++) {
        deep[i] = '[';
        deep[10000 + i] = ']';
    }
    deep[20000] = '\0';
    CHECK_INT(json_rc(deep), -1);
    memmove(deep + 1, deep, 20001);
    deep[0] = '[';
    deep[20001] = ']';
    deep[20002] = '\0';
    CHECK_INT(json_rc(deep), 0);
    free(deep);
    /* invalid UTF-8 becomes U+FFFD, a lone surrogate too */
    CHECK_INT(lex_json_array("[\"\xff\", \"\\ud800x\"]", 16, &w), 1);
    CHECK_INT(w.v.n, 2);
    if (w.v.n == 2) {
        CHECK_STR(w.v.v[0], "\xef\xbf\xbd");
        CHECK_STR(w.v.v[1], "\xef\xbf\xbdx");
        CHECK_INT(w.off[1], 6);
    }
    lex_words_release(&w);
}
