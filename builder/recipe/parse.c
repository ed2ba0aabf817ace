#include "builder/recipe/parse.h"

#include <ctype.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>

#include "builder/recipe/expand.h"
#include "builder/recipe/lex.h"
#include "builder/recipe/parse_flags.h"
#include "builder/recipe/suggest.h"
#include "formats/core/mem.h"

#include "formats/core/banned.h"

/*
 * How an instruction's arguments are cut, after BuildKit's dispatch table
 * (frontend/dockerfile/parser/parser.go, line_parsers.go).
 */
enum parse_form {
    PARSE_MAYBE_JSON,   /* RUN CMD ENTRYPOINT SHELL: a JSON array, else the rest as one */
    PARSE_JSON_OR_LIST, /* ADD COPY VOLUME: a JSON array, else split on blanks */
    PARSE_NAME_VAL,     /* ENV LABEL: k=v pairs or the legacy "k v" */
    PARSE_NAME_OR_VAL,  /* ARG: words */
    PARSE_WORDS,        /* EXPOSE FROM: split on blanks */
    PARSE_STRING,       /* MAINTAINER STOPSIGNAL USER WORKDIR: the rest as one */
    PARSE_HEALTH,       /* HEALTHCHECK: a type, then like RUN */
    PARSE_SUB,          /* ONBUILD: another instruction */
};

struct parse_kw {
    const char *name;
    enum parse_form form;
    int min_args; /* BuildKit's instructions package's minimum, checked by parse_validate */
    int heredoc;  /* may carry heredocs */
};

static const struct parse_kw parse_kws[] = {
    {"add", PARSE_JSON_OR_LIST, 2, 1},      {"arg", PARSE_NAME_OR_VAL, 1, 0},
    {"cmd", PARSE_MAYBE_JSON, 0, 0},        {"copy", PARSE_JSON_OR_LIST, 2, 1},
    {"entrypoint", PARSE_MAYBE_JSON, 0, 0}, {"env", PARSE_NAME_VAL, 1, 0},
    {"expose", PARSE_WORDS, 1, 0},          {"from", PARSE_WORDS, 1, 0},
    {"healthcheck", PARSE_HEALTH, 0, 0},    {"label", PARSE_NAME_VAL, 1, 0},
    {"maintainer", PARSE_STRING, 1, 0},     {"onbuild", PARSE_SUB, 0, 0},
    {"run", PARSE_MAYBE_JSON, 0, 1},        {"shell", PARSE_MAYBE_JSON, 1, 0},
    {"stopsignal", PARSE_STRING, 1, 0},     {"user", PARSE_STRING, 1, 0},
    {"volume", PARSE_JSON_OR_LIST, 1, 0},   {"workdir", PARSE_STRING, 1, 0},
};

#define PARSE_NKWS (sizeof(parse_kws) / sizeof(parse_kws[0]))
/* parse_kws is in enum parse_kind's order: an instruction's kind is its row */
_Static_assert(PARSE_NKWS == INSTR_NKINDS, "parse_kws and enum parse_kind disagree");

struct parse_ctx {
    const char *file;
    const char *src; /* the whole recipe, for messages */
    size_t len;
    struct lex lx;
    struct lex_line line; /* the instruction being parsed */
    size_t alloc;         /* of the recipe's instrs */
};

static inline void
parse_words_cleanup(struct lex_words *w)
{
    lex_words_release(w);
}
#define cleanup_words __attribute__((cleanup(parse_words_cleanup)))
#define WORDS_INIT                                                                                 \
    {                                                                                              \
        STRVEC_INIT, NULL, NULL, 0                                                                 \
    }

/* Sets an input error at offset off of the current logical line. */
static int __attribute__((format(printf, 4, 5)))
parse_error_at(const struct parse_ctx *c, struct error *err, size_t off, const char *fmt, ...)
{
    va_list ap;
    int line, col;

    lex_line_pos(&c->line, off, &line, &col);
    va_start(ap, fmt);
    lex_verror_at(err, c->file, c->src, c->len, line, col, fmt, ap);
    va_end(ap);
    return -1;
}

static void
parse_upper(const char *s, char *out, size_t n)
{
    size_t i;

    for (i = 0; s[i] && i + 1 < n; i++)
        out[i] = s[i] >= 'a' && s[i] <= 'z' ? (char)(s[i] - 'a' + 'A') : s[i];
    out[i] = '\0';
}

/* The keyword as BuildKit's dump prints it: lower case (ASCII letters; others as written). */
static char *
parse_lower(const char *s, size_t n)
{
    char *out = xstrndup(s, n);
    size_t i;

    for (i = 0; i < n; i++)
        if (out[i] >= 'A' && out[i] <= 'Z')
            out[i] = (char)(out[i] - 'A' + 'a');
    return out;
}

/* BuildKit's tokenWhitespace, [\t\v\f\r ], separates the keyword. */
static int
parse_tok_space(char c)
{
    return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r';
}

/* strings.TrimSpace on t[*a, *b): Unicode white space on both ends. */
static void
parse_trim(const char *t, size_t *a, size_t *b)
{
    size_t i, k, last;
    long cp;

    while (*a < *b && (k = lex_space_len(t + *a, *b - *a)) > 0)
        *a += k;
    for (i = last = *a; i < *b;) {
        k = lex_space_len(t + i, *b - i);
        if (k) {
            i += k;
            continue;
        }
        i += lex_utf8(t + i, *b - i, &cp);
        last = i;
    }
    *b = last;
}

/* ---- suggestions ---- */

/* The closest of names to word, or NULL: one edit for words under four characters, two else. */
static const char *
parse_suggest(const char *word, const char *const *names, size_t n)
{
    return suggest_pick(word, names, n, strlen(word) >= 4 ? 2 : 1);
}

/*
 * Whether s (n bytes) is name under Go's strings.ToLower, which BuildKit
 * applies to the keyword: ASCII letters, and also U+0130 (to 'i') and the
 * Kelvin sign U+212A (to 'k'), the only other runes it lowers into ASCII.
 */
static int
parse_keyword_is(const char *s, size_t n, const char *name)
{
    size_t j = 0;

    for (; *name; name++) {
        if (j < n && (unsigned char)s[j] < 0x80 && tolower((unsigned char)s[j]) == *name)
            j++;
        else if (*name == 'i' && n - j >= 2 && !memcmp(s + j, "\xc4\xb0", 2))
            j += 2;
        else if (*name == 'k' && n - j >= 3 && !memcmp(s + j, "\xe2\x84\xaa", 3))
            j += 3;
        else
            return 0;
    }
    return j == n;
}

static const struct parse_kw *
parse_keyword(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < PARSE_NKWS; i++)
        if (parse_keyword_is(s, n, parse_kws[i].name))
            return &parse_kws[i];
    return NULL;
}

/* ---- flags (extractBuilderFlags) ---- */

enum parse_phase { PHASE_SPACE, PHASE_WORD, PHASE_QUOTE };

struct parse_flagscan {
    struct buf word;
    enum parse_phase phase;
    char quote;
    int blank_ok;
    size_t start;
};

static int
parse_flag_is_dashes(const struct buf *w)
{
    return w->len == 2 && !memcmp(w->data, "--", 2);
}

/*
 * Go's word += string(rune(line[pos])): extractBuilderFlags reads the line
 * byte by byte, so a byte of 0x80 or more becomes U+0080..U+00FF, written as
 * two bytes of UTF-8 (BuildKit's flags hold "\xc3\x83\xc2\xa9" for "é").
 */
static void
parse_flag_byte(struct buf *w, unsigned char ch)
{
    if (ch < 0x80) {
        buf_addch(w, (char)ch);
        return;
    }
    buf_addch(w, (char)(0xC0 | (ch >> 6)));
    buf_addch(w, (char)(0x80 | (ch & 0x3F)));
}

/*
 * Collects the leading "--flag[=value]" words of t[a, b) into flags (quotes
 * removed, `\` escapes as BuildKit does regardless of the escape directive)
 * and sets *args to where the arguments start. A lone "--" ends the flags.
 * As in BuildKit, a quote left open takes the rest of the line into the flag.
 */
static void
parse_flags(const struct parse_ctx *c, size_t a, size_t b, struct lex_words *flags, size_t *args)
{
    const char *t = c->line.text.data;
    struct parse_flagscan s = {BUF_INIT, PHASE_SPACE, 0, 0, a};
    size_t pos;

    *args = b;
    for (pos = a; pos < b; pos++) {
        char ch = t[pos];
        if (s.phase == PHASE_SPACE) {
            if (lex_byte_space((unsigned char)ch))
                continue;
            if (ch != '-' || pos + 1 == b || t[pos + 1] != '-') {
                *args = pos;
                goto out;
            }
            s.phase = PHASE_WORD;
            s.start = pos;
        }
        if (s.phase == PHASE_WORD) {
            if (lex_byte_space((unsigned char)ch)) {
                s.phase = PHASE_SPACE;
                if (parse_flag_is_dashes(&s.word)) {
                    *args = pos;
                    goto out;
                }
                if (s.blank_ok || s.word.len)
                    lex_words_push(flags, buf_cstr(&s.word), s.word.len, s.start);
                buf_reset(&s.word);
                s.blank_ok = 0;
                continue;
            }
            if (ch == '\'' || ch == '"') {
                s.quote = ch;
                s.blank_ok = 1;
                s.phase = PHASE_QUOTE;
                continue;
            }
        } else if (ch == s.quote) {
            s.phase = PHASE_WORD;
            continue;
        }
        if (ch == '\\') {
            if (pos + 1 == b) {
                s.phase = PHASE_WORD; /* a trailing backslash also ends a quote */
                continue;
            }
            ch = t[++pos];
        }
        parse_flag_byte(&s.word, (unsigned char)ch);
    }
    if (s.phase != PHASE_SPACE && !parse_flag_is_dashes(&s.word) && (s.blank_ok || s.word.len))
        lex_words_push(flags, buf_cstr(&s.word), s.word.len, s.start);
out:
    buf_release(&s.word);
}

/* ---- argument forms (line_parsers.go) ---- */

static void
parse_put_char(struct buf *w, const char *t, size_t cw, long cp)
{
    if (cp < 0)
        buf_adds(w, "\xEF\xBF\xBD"); /* Go writes U+FFFD for an invalid byte */
    else
        buf_add(w, t, cw);
}

/*
 * parseWords: splits t[a, b) on unquoted white space, keeping quotes and
 * escapes in the words; an escape at the very end is dropped.
 */
static void
parse_words(const char *t, size_t a, size_t b, char esc, struct lex_words *out)
{
    struct parse_flagscan s = {BUF_INIT, PHASE_SPACE, 0, 0, a};
    size_t pos, cw = 1;
    long ch = 0;

    for (pos = a; pos < b; pos += cw) {
        int space = lex_space_len(t + pos, b - pos) > 0;
        cw = lex_utf8(t + pos, b - pos, &ch);
        if (s.phase == PHASE_SPACE) {
            if (space)
                continue;
            s.phase = PHASE_WORD;
            s.start = pos;
        }
        if (s.phase == PHASE_WORD) {
            if (space) {
                s.phase = PHASE_SPACE;
                if (s.blank_ok || s.word.len)
                    lex_words_push(out, buf_cstr(&s.word), s.word.len, s.start);
                buf_reset(&s.word);
                s.blank_ok = 0;
                continue;
            }
            if (ch == '\'' || ch == '"') {
                s.quote = (char)ch;
                s.blank_ok = 1;
                s.phase = PHASE_QUOTE;
            }
        } else if (ch == s.quote) {
            s.phase = PHASE_WORD;
        }
        if (ch == esc && (s.phase != PHASE_QUOTE || s.quote != '\'')) {
            if (pos + cw == b) {
                s.phase = PHASE_WORD;
                continue;
            }
            buf_addch(&s.word, esc);
            pos += cw;
            cw = lex_utf8(t + pos, b - pos, &ch);
        }
        parse_put_char(&s.word, t + pos, cw, ch);
    }
    if (s.phase != PHASE_SPACE && (s.blank_ok || s.word.len))
        lex_words_push(out, buf_cstr(&s.word), s.word.len, s.start);
    buf_release(&s.word);
}

/* parseStringsWhitespaceDelimited: t[a, b) split on runs of [\t\v\f\r ]. */
static void
parse_split_blanks(const char *t, size_t a, size_t b, struct lex_words *out)
{
    size_t i = a, start;

    if (a == b)
        return;
    for (;;) {
        start = i;
        while (i < b && !parse_tok_space(t[i]))
            i++;
        lex_words_push(out, t + start, i - start, start);
        if (i == b)
            return;
        while (i < b && parse_tok_space(t[i]))
            i++;
    }
}

static void
parse_push_triple(struct lex_words *out, const char *t, size_t ka, size_t kb, size_t va, size_t vb,
                  const char *sep)
{
    lex_words_push(out, t + ka, kb - ka, ka);
    lex_words_push(out, t + va, vb - va, va);
    lex_words_push(out, sep, strlen(sep), ka);
}

/* parseNameVal: ENV and LABEL give key, value, separator triples. */
static int
parse_name_val(const struct parse_ctx *c, const char *kw, size_t a, size_t b, struct lex_words *out,
               struct error *err)
{
    const char *t = c->line.text.data;
    cleanup_words struct lex_words words = WORDS_INIT;
    size_t i, k;

    parse_words(t, a, b, c->lx.escape, &words);
    if (words.v.n == 0)
        return 0;
    if (!strchr(words.v.v[0], '=')) {
        for (k = a; k < b && !parse_tok_space(t[k]); k++)
            ;
        if (k == b)
            return parse_error_at(c, err, a,
                                  "%s must have two arguments (\"%s name value\" or "
                                  "\"%s name=value\")",
                                  kw, kw, kw);
        for (i = k; i < b && parse_tok_space(t[i]); i++)
            ;
        parse_push_triple(out, t, a, k, i, b, "");
        return 0;
    }
    for (i = 0; i < words.v.n; i++) {
        const char *w = words.v.v[i], *eq = strchr(w, '=');
        size_t at = words.off[i];
        if (!eq)
            return parse_error_at(c, err, at,
                                  "syntax error: can't find = in \"%s\", it must be of the "
                                  "form name=value",
                                  w);
        lex_words_push(out, w, (size_t)(eq - w), at);
        lex_words_push(out, eq + 1, strlen(eq + 1), at + (size_t)(eq - w) + 1);
        lex_words_push(out, "=", 1, at);
    }
    return 0;
}

/* parseJSON: 1 exec form, 0 not JSON, -1 an error (JSON holding non-strings). */
static int
parse_json(const struct parse_ctx *c, size_t a, size_t b, struct lex_words *out, struct error *err)
{
    const char *t = c->line.text.data;
    size_t i, n0 = out->v.n;
    int rc;

    if (a == b || t[a] != '[')
        return 0;
    rc = lex_json_array(t + a, b - a, out);
    if (rc < 0)
        return parse_error_at(c, err, a,
                              "when using JSON array syntax, arrays must be comprised of "
                              "strings only");
    for (i = n0; i < out->v.n; i++)
        out->off[i] += a;
    return rc;
}

struct parse_args {
    struct lex_words flags, args;
    int json;
    struct parse_instr *sub;
};

static int parse_instr_text(struct parse_ctx *c, size_t a, size_t b, struct parse_instr *in,
                            struct error *err);

/* parseHealthConfig: the type word (cut at a byte-wise blank), then like RUN. */
static int
parse_health(struct parse_ctx *c, size_t a, size_t b, struct parse_args *pa, struct error *err)
{
    const char *t = c->line.text.data;
    size_t sep = a, next, na;
    int rc;

    while (sep < b && !lex_byte_space((unsigned char)t[sep]))
        sep++;
    if (sep == a)
        return 0;
    for (next = sep; next < b && lex_byte_space((unsigned char)t[next]); next++)
        ;
    lex_words_push(&pa->args, t + a, sep - a, a);
    if (next == b)
        return 0;
    for (na = next; na < b && lex_space_len(t + na, b - na); na += lex_space_len(t + na, b - na))
        ;
    rc = parse_json(c, na, b, &pa->args, err);
    if (rc != 0) {
        pa->json = rc > 0;
        return rc < 0 ? -1 : 0;
    }
    lex_words_push(&pa->args, t + next, b - next, next);
    return 0;
}

static int
parse_dispatch(struct parse_ctx *c, const struct parse_kw *kw, size_t a, size_t b,
               struct parse_args *pa, struct error *err)
{
    const char *t = c->line.text.data;
    char upper[16];
    int rc;

    parse_upper(kw->name, upper, sizeof(upper));
    switch (kw->form) {
    case PARSE_MAYBE_JSON:
    case PARSE_JSON_OR_LIST:
        rc = parse_json(c, a, b, &pa->args, err);
        if (rc != 0) {
            pa->json = rc > 0;
            return rc < 0 ? -1 : 0;
        }
        if (kw->form == PARSE_JSON_OR_LIST)
            parse_split_blanks(t, a, b, &pa->args);
        else if (a < b)
            lex_words_push(&pa->args, t + a, b - a, a);
        return 0;
    case PARSE_NAME_VAL:
        return parse_name_val(c, upper, a, b, &pa->args, err);
    case PARSE_NAME_OR_VAL:
        parse_words(t, a, b, c->lx.escape, &pa->args);
        return 0;
    case PARSE_WORDS:
        parse_split_blanks(t, a, b, &pa->args);
        return 0;
    case PARSE_STRING:
        if (a < b)
            lex_words_push(&pa->args, t + a, b - a, a);
        return 0;
    case PARSE_HEALTH:
        return parse_health(c, a, b, pa, err);
    case PARSE_SUB:
        if (a == b)
            return 0;
        pa->sub = xcalloc(1, sizeof(*pa->sub));
        return parse_instr_text(c, a, b, pa->sub, err);
    }
    return 0;
}

static struct parse_pos *
parse_positions(const struct parse_ctx *c, const struct lex_words *w)
{
    struct parse_pos *pos;
    size_t i;

    if (w->v.n == 0)
        return NULL;
    pos = xcalloc(w->v.n, sizeof(*pos));
    for (i = 0; i < w->v.n; i++)
        lex_line_pos(&c->line, w->off[i], &pos[i].line, &pos[i].col);
    return pos;
}

/* Moves the cut words into the instruction. */
static void
parse_fill(const struct parse_ctx *c, struct parse_instr *in, struct parse_args *pa)
{
    in->flag_pos = parse_positions(c, &pa->flags);
    in->arg_pos = parse_positions(c, &pa->args);
    in->flags = pa->flags.v;
    in->args = pa->args.v;
    in->arg_len = steal_ptr(&pa->args.len);
    strvec_init(&pa->flags.v);
    strvec_init(&pa->args.v);
    in->json = pa->json;
    in->sub = steal_ptr(&pa->sub);
}

static void parse_instr_release(struct parse_instr *in);

/* splitCommand + dispatch: one instruction from t[a, b) of the current line. */
static int
parse_instr_text(struct parse_ctx *c, size_t a, size_t b, struct parse_instr *in, struct error *err)
{
    const char *t = c->line.text.data;
    struct parse_args pa = {WORDS_INIT, WORDS_INIT, 0, NULL};
    const struct parse_kw *kw;
    size_t k, rest, args_a, args_b;
    int rc;

    parse_trim(t, &a, &b);
    for (k = a; k < b && !parse_tok_space(t[k]); k++)
        ;
    kw = parse_keyword(t + a, k - a);
    in->keyword = kw ? xstrdup(kw->name) : parse_lower(t + a, k - a);
    in->kind = kw ? (enum parse_kind)(kw - parse_kws) : INSTR_UNKNOWN;
    in->original = xstrndup(t + a, b - a);
    lex_line_pos(&c->line, a, &in->line, &in->col);
    for (rest = k; rest < b && parse_tok_space(t[rest]); rest++)
        ;
    args_a = b;
    parse_flags(c, rest, b, &pa.flags, &args_a);
    args_b = b;
    parse_trim(t, &args_a, &args_b);
    if (kw) {
        rc = parse_dispatch(c, kw, args_a, args_b, &pa, err);
    } else {
        /* parseIgnore: the parser keeps an unknown instruction, with one empty argument */
        lex_words_push(&pa.args, "", 0, args_a);
        rc = 0;
    }
    if (rc < 0 && pa.sub) {
        parse_instr_release(pa.sub);
        free(pa.sub);
        pa.sub = NULL;
    }
    parse_fill(c, in, &pa);
    lex_words_release(&pa.flags);
    lex_words_release(&pa.args);
    return rc;
}

/* ---- heredocs (parser.go heredocsFromLine, heredocFromMatch) ---- */

static size_t
parse_count_quotes(const char *s)
{
    size_t n = 0;

    for (; *s; s++)
        n += *s == '\'' || *s == '"';
    return n;
}

int
parse_heredoc_word(const char *w, struct parse_heredoc *hd, struct error *err)
{
    const struct expand_opts plain = {'\\', 0, 0, 1, 0, NULL, NULL},
                             raw = {'\\', 1, 0, 1, 0, NULL, NULL};
    cleanup_strvec struct strvec words = STRVEC_INIT, rawwords = STRVEC_INIT;
    const char *p = w;
    int fd = 0;

    for (; *p >= '0' && *p <= '9'; p++)
        if (fd < 100000) /* large enough for any fd, small enough not to overflow */
            fd = fd * 10 + (*p - '0');
    if (p[0] != '<' || p[1] != '<')
        return 0;
    p += 2;
    hd->strip_tabs = *p == '-';
    p += hd->strip_tabs;
    if (!*p || strchr(p, '<'))
        return 0;
    if (expand_process(p, &plain, NULL, NULL, &words, err) < 0)
        return -1;
    if (words.n != 1)
        return 0;
    if (expand_process(p, &raw, NULL, NULL, &rawwords, err) < 0)
        return -1;
    if (rawwords.n != 1)
        return 0;
    hd->expand = parse_count_quotes(words.v[0]) == parse_count_quotes(rawwords.v[0]);
    hd->fd = fd;
    hd->name = xstrdup(words.v[0]);
    return 1;
}

static int
parse_can_heredoc(const struct parse_instr *in)
{
    const struct parse_kw *kw;

    if (in->sub)
        in = in->sub;
    kw = parse_keyword(in->keyword, strlen(in->keyword));
    return kw && kw->heredoc && !in->json;
}

static int
parse_read_heredoc(struct parse_ctx *c, struct parse_instr *in, struct parse_heredoc *hd,
                   const char *word, struct error *err)
{
    const char *t = c->line.text.data, *at = strstr(t, word);
    size_t off = at ? (size_t)(at - t) : 0;
    struct buf body = BUF_INIT;
    int rc;

    rc = lex_heredoc(&c->lx, hd->name, hd->strip_tabs, &body, err);
    if (rc <= 0) {
        if (rc == 0)
            parse_error_at(c, err, off, "unterminated heredoc: no line \"%s\" before the end",
                           hd->name);
        buf_release(&body);
        free(hd->name);
        return -1;
    }
    hd->content = buf_detach(&body);
    in->heredocs = xrealloc(in->heredocs, (in->nheredocs + 1) * sizeof(*in->heredocs));
    in->heredocs[in->nheredocs++] = *hd;
    return 0;
}

static int
parse_heredocs(struct parse_ctx *c, struct parse_instr *in, struct error *err)
{
    const struct expand_opts o = {'\\', 1, 1, 1, 0, NULL, NULL};
    cleanup_strvec struct strvec words = STRVEC_INIT;
    struct error ignored;
    size_t i;

    if (!parse_can_heredoc(in) || !strstr(buf_cstr(&c->line.text), "<<"))
        return 0;
    /* like BuildKit, a line the shell lexer rejects has no heredocs */
    if (expand_process(buf_cstr(&c->line.text), &o, NULL, NULL, &words, &ignored) < 0)
        return 0;
    for (i = 0; i < words.n; i++) {
        struct parse_heredoc hd = {NULL, NULL, 0, 0, 0};
        int rc = parse_heredoc_word(words.v[i], &hd, err);
        if (rc < 0) {
            const char *t = buf_cstr(&c->line.text), *at = strstr(t, words.v[i]);
            char msg[ERROR_MSG_LEN];
            memcpy(msg, err->msg, sizeof(msg));
            return parse_error_at(c, err, at ? (size_t)(at - t) : 0, "heredoc delimiter: %s", msg);
        }
        if (rc == 1 && parse_read_heredoc(c, in, &hd, words.v[i], err) < 0)
            return -1;
    }
    return 0;
}

/* ---- the recipe ---- */

static void
parse_instr_release(struct parse_instr *in)
{
    size_t i;

    if (!in)
        return;
    free(in->keyword);
    free(in->original);
    parse_flags_release(&in->f);
    strvec_release(&in->flags);
    strvec_release(&in->args);
    for (i = 0; i < in->nheredocs; i++) {
        free(in->heredocs[i].name);
        free(in->heredocs[i].content);
    }
    free(in->heredocs);
    if (in->sub) {
        parse_instr_release(in->sub);
        free(in->sub);
    }
    free(in->flag_pos);
    free(in->arg_pos);
    free(in->arg_len);
    memset(in, 0, sizeof(*in));
}

void
parse_recipe_release(struct parse_recipe *r)
{
    size_t i;

    if (!r)
        return;
    for (i = 0; i < r->n; i++)
        parse_instr_release(&r->instrs[i]);
    free(r->instrs);
    free(r->file);
    free(r->syntax);
    free(r->check);
    free(r->text);
    strvec_release(&r->warnings);
    memset(r, 0, sizeof(*r));
}

static int
parse_one(struct parse_ctx *c, struct parse_recipe *r, struct error *err)
{
    struct parse_instr *in;

    r->instrs = xgrow(r->instrs, sizeof(*r->instrs), r->n + 1, &c->alloc);
    in = &r->instrs[r->n];
    memset(in, 0, sizeof(*in));
    if (parse_instr_text(c, 0, c->line.text.len, in, err) < 0 || parse_heredocs(c, in, err) < 0) {
        parse_instr_release(in);
        return -1;
    }
    in->end_line = c->lx.line;
    r->n++;
    in->empty_continuation = c->line.empty_continuation;
    if (c->line.empty_continuation)
        strvec_pushf(&r->warnings,
                     "%s:%d:%d: empty continuation line (these will become errors in a future "
                     "release)",
                     c->file, in->line, in->col);
    return 0;
}

/*
 * bufio.Scanner's limit: BuildKit reads the recipe line by line with a
 * 64 KiB token buffer (bufio.MaxScanTokenSize), so a line of more than
 * 65535 bytes before its "\n" (a BOM and CRs count) fails the whole parse,
 * wherever it is (frontend/dockerfile/parser/parser.go handleScannerError).
 */
#define PARSE_LINE_MAX 65535

static int
parse_check_lines(const char *file, const char *text, size_t len, struct error *err)
{
    const char *p = text, *end = text + len, *nl;
    int line = 1;

    for (; p < end; p = nl + 1, line++) {
        nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            nl = end;
        if (nl - p > PARSE_LINE_MAX)
            return error_input(err, "%s:%d:1: dockerfile line greater than max allowed size of %d",
                               file, line, PARSE_LINE_MAX);
    }
    return 0;
}

int
parse_recipe(const char *file, const char *text, size_t len, struct parse_recipe *out,
             struct error *err)
{
    struct parse_recipe r;
    struct parse_ctx c;
    int rc, failed = 0;

    memset(&r, 0, sizeof(r));
    memset(out, 0, sizeof(*out));
    if (parse_check_lines(file, text, len, err) < 0)
        return -1;
    r.file = xstrdup(file);
    r.text = xmalloc(len + 1);
    memcpy(r.text, text, len);
    r.text[len] = '\0';
    r.len = len;
    memset(&c, 0, sizeof(c));
    c.file = r.file;
    c.src = r.text;
    c.len = len;
    lex_init(&c.lx, r.file, r.text, len);
    while (!failed && (rc = lex_next(&c.lx, &c.line, err)) != 0)
        failed = rc < 0 || parse_one(&c, &r, err) < 0;
    if (!failed && r.n == 0)
        failed = error_input(err, "%s:1:1: file with no instructions", r.file);
    r.escape = c.lx.escape;
    r.syntax = steal_ptr(&c.lx.syntax);
    r.check = steal_ptr(&c.lx.check);
    lex_release(&c.lx);
    lex_line_release(&c.line);
    if (failed) {
        parse_recipe_release(&r);
        return -1;
    }
    *out = r;
    return 0;
}

/* ---- dump ---- */

static void
parse_dump_instr(const struct parse_instr *in, struct buf *out)
{
    size_t i;

    buf_adds(out, in->keyword);
    if (in->flags.n) {
        buf_adds(out, " [");
        for (i = 0; i < in->flags.n; i++) {
            if (i)
                buf_addch(out, ' ');
            lex_quote(out, in->flags.v[i], strlen(in->flags.v[i]));
        }
        buf_addch(out, ']');
    }
    if (in->sub) {
        buf_adds(out, " (");
        parse_dump_instr(in->sub, out);
        buf_addch(out, ')');
    }
    for (i = 0; i < in->args.n; i++) {
        buf_addch(out, ' ');
        lex_quote(out, in->args.v[i], in->arg_len ? in->arg_len[i] : strlen(in->args.v[i]));
    }
}

void
parse_dump(const struct parse_recipe *r, struct buf *out)
{
    size_t i;

    for (i = 0; i < r->n; i++) {
        buf_addch(out, '(');
        parse_dump_instr(&r->instrs[i], out);
        buf_adds(out, ")\n");
    }
}

/* ---- parse_validate ---- */

enum parse_flag_kind { FLAG_VALUE, FLAG_MULTI, FLAG_BOOL };

struct parse_flagdef {
    const char *keyword;
    const char *name;
    enum parse_flag_kind kind;
};

/* The flags BuildKit's dockerfile frontend knows (instructions/parse.go). */
static const struct parse_flagdef parse_flagdefs[] = {
    {"from", "platform", FLAG_VALUE},
    {"run", "mount", FLAG_MULTI},
    {"run", "network", FLAG_VALUE},
    {"run", "security", FLAG_VALUE},
    {"run", "device", FLAG_MULTI},
    {"copy", "from", FLAG_VALUE},
    {"copy", "chown", FLAG_VALUE},
    {"copy", "chmod", FLAG_VALUE},
    {"copy", "link", FLAG_BOOL},
    {"copy", "parents", FLAG_BOOL},
    {"copy", "exclude", FLAG_MULTI},
    {"add", "from", FLAG_VALUE},
    {"add", "chown", FLAG_VALUE},
    {"add", "chmod", FLAG_VALUE},
    {"add", "link", FLAG_BOOL},
    {"add", "parents", FLAG_BOOL},
    {"add", "exclude", FLAG_MULTI},
    {"add", "checksum", FLAG_VALUE},
    {"add", "keep-git-dir", FLAG_BOOL},
    {"add", "unpack", FLAG_BOOL},
    {"healthcheck", "interval", FLAG_VALUE},
    {"healthcheck", "timeout", FLAG_VALUE},
    {"healthcheck", "start-period", FLAG_VALUE},
    {"healthcheck", "start-interval", FLAG_VALUE},
    {"healthcheck", "retries", FLAG_VALUE},
};

#define PARSE_NFLAGDEFS (sizeof(parse_flagdefs) / sizeof(parse_flagdefs[0]))

static int __attribute__((format(printf, 4, 5)))
parse_verr(const struct parse_recipe *r, struct error *err, struct parse_pos p, const char *fmt,
           ...)
{
    va_list ap;

    va_start(ap, fmt);
    lex_verror_at(err, r->file, r->text, r->len, p.line, p.col, fmt, ap);
    va_end(ap);
    return -1;
}

static struct parse_pos
parse_kw_pos(const struct parse_instr *in)
{
    struct parse_pos p = {in->line, in->col};
    return p;
}

static const struct parse_flagdef *
parse_flagdef(const char *keyword, const char *name, size_t n)
{
    size_t i;

    for (i = 0; i < PARSE_NFLAGDEFS; i++)
        if (!strcmp(parse_flagdefs[i].keyword, keyword) && strlen(parse_flagdefs[i].name) == n &&
            !strncmp(parse_flagdefs[i].name, name, n))
            return &parse_flagdefs[i];
    return NULL;
}

static int
parse_unknown_flag(const struct parse_recipe *r, const struct parse_instr *in, size_t i,
                   const char *name, size_t n, struct error *err)
{
    const char *names[PARSE_NFLAGDEFS], *pick;
    char upper[16], word[64];
    size_t k, nn = 0;

    parse_upper(in->keyword, upper, sizeof(upper));
    for (k = 0; k < PARSE_NFLAGDEFS; k++)
        if (!strcmp(parse_flagdefs[k].keyword, in->keyword))
            names[nn++] = parse_flagdefs[k].name;
    if (nn == 0)
        return parse_verr(r, err, in->flag_pos[i], "%s takes no flags, found --%.*s", upper, (int)n,
                          name);
    snprintf(word, sizeof(word), "%.*s", (int)n, name);
    pick = parse_suggest(word, names, nn);
    /* BuildKit's words: "unknown flag: --mont" and "(did you mean mount?)" */
    if (pick)
        return parse_verr(r, err, in->flag_pos[i], "unknown flag: --%s for %s (did you mean %s?)",
                          word, upper, pick);
    return parse_verr(r, err, in->flag_pos[i], "unknown flag: --%s for %s", word, upper);
}

static int
parse_validate_flag(const struct parse_recipe *r, const struct parse_instr *in, size_t i,
                    struct error *err)
{
    const char *f = in->flags.v[i] + 2, *eq = strchr(f, '=');
    size_t n = eq ? (size_t)(eq - f) : strlen(f), k;
    const struct parse_flagdef *def = parse_flagdef(in->keyword, f, n);

    if (!def)
        return parse_unknown_flag(r, in, i, f, n, err);
    if (def->kind != FLAG_BOOL && !eq)
        return parse_verr(r, err, in->flag_pos[i], "flag --%s needs a value (--%s=...)", def->name,
                          def->name);
    if (def->kind == FLAG_BOOL && eq && strcasecmp(eq + 1, "true") && strcasecmp(eq + 1, "false"))
        return parse_verr(r, err, in->flag_pos[i], "flag --%s takes true or false, not \"%s\"",
                          def->name, eq + 1);
    for (k = 0; def->kind != FLAG_MULTI && k < i; k++) {
        const char *g = in->flags.v[k] + 2;
        if (!strncmp(g, f, n) && (g[n] == '=' || g[n] == '\0'))
            return parse_verr(r, err, in->flag_pos[i], "flag --%s given twice", def->name);
    }
    return 0;
}

static int
parse_validate_health(const struct parse_recipe *r, const struct parse_instr *in, struct error *err)
{
    if (in->args.n == 0)
        return parse_verr(r, err, parse_kw_pos(in), "HEALTHCHECK requires at least one argument");
    if (!strcasecmp(in->args.v[0], "none")) {
        if (in->args.n > 1 || in->flags.n > 0)
            return parse_verr(r, err, in->arg_pos[0],
                              "HEALTHCHECK NONE takes no arguments or flags");
        return 0;
    }
    if (strcasecmp(in->args.v[0], "cmd"))
        return parse_verr(r, err, in->arg_pos[0],
                          "unknown HEALTHCHECK type \"%s\" (expected CMD or NONE)", in->args.v[0]);
    if (in->args.n < 2)
        return parse_verr(r, err, in->arg_pos[0], "missing command after HEALTHCHECK CMD");
    return 0;
}

/* BuildKit's stage names: ^[a-z][a-z0-9-_\.]*$ after lower-casing. */
static int
parse_stage_name_ok(const char *s)
{
    size_t i;

    for (i = 0; s[i]; i++) {
        int c = tolower((unsigned char)s[i]);
        if (c >= 'a' && c <= 'z')
            continue;
        if (i > 0 && (isdigit(c) || c == '-' || c == '_' || c == '.'))
            continue;
        return 0;
    }
    return i > 0;
}

static int
parse_validate_from(const struct parse_recipe *r, const struct parse_instr *in, struct error *err)
{
    if (in->args.n != 3 || parse_stage_name_ok(in->args.v[2]))
        return 0;
    return parse_verr(r, err, in->arg_pos[2],
                      "invalid stage name \"%s\": it must start with a letter and hold only "
                      "letters, digits, '-', '_' and '.'",
                      in->args.v[2]);
}

/* Which arguments the build expands (BuildKit's replaceEnvAllowed instructions). */
static int
parse_expands_arg(const struct parse_instr *in, size_t i)
{
    static const char *const all[] = {"arg", "expose", "user", "workdir", "stopsignal"};
    size_t k;

    if (in->json)
        return 0;
    if (!strcmp(in->keyword, "env") || !strcmp(in->keyword, "label"))
        return i % 3 != 2;
    if (!strcmp(in->keyword, "from"))
        return i == 0;
    if (!strcmp(in->keyword, "copy") || !strcmp(in->keyword, "add") ||
        !strcmp(in->keyword, "volume"))
        return 1;
    for (k = 0; k < sizeof(all) / sizeof(all[0]); k++)
        if (!strcmp(in->keyword, all[k]))
            return 1;
    return 0;
}

static int
parse_validate_words(const struct parse_recipe *r, const struct parse_instr *in, struct error *err)
{
    const struct expand_opts o = {r->escape, 0, 0, 1, 0, NULL, NULL};
    struct error sub;
    size_t i;

    for (i = 0; i < in->args.n; i++) {
        if (in->arg_len && in->arg_len[i] != strlen(in->args.v[i]))
            return parse_verr(r, err, in->arg_pos[i], "argument holds a NUL byte (\\u0000)");
        if (!parse_expands_arg(in, i))
            continue;
        if (expand_process(in->args.v[i], &o, NULL, NULL, NULL, &sub) < 0)
            return parse_verr(r, err, in->arg_pos[i], "%s", sub.msg);
    }
    return 0;
}

static int
parse_unknown(const struct parse_recipe *r, const struct parse_instr *in, struct error *err)
{
    const char *names[PARSE_NKWS];
    char word[80], upper[16];
    const char *pick;
    size_t i, n;

    for (n = 0; in->original[n] && !parse_tok_space(in->original[n]); n++)
        ;
    for (i = 0; i < PARSE_NKWS; i++)
        names[i] = parse_kws[i].name;
    snprintf(word, sizeof(word), "%.*s", (int)n, in->original);
    pick = parse_suggest(word, names, PARSE_NKWS);
    if (!pick)
        return parse_verr(r, err, parse_kw_pos(in), "unknown instruction \"%s\"", word);
    parse_upper(pick, upper, sizeof(upper));
    return parse_verr(r, err, parse_kw_pos(in), "unknown instruction \"%s\" (did you mean \"%s\"?)",
                      word, upper);
}

/*
 * What BuildKit's instructions package refuses once the parser is done
 * (instructions/parse.go): an unknown instruction, too few arguments,
 * ONBUILD without a trigger or with a forbidden one, SHELL not in JSON
 * form, a FROM that is not "FROM image [AS name]".
 */
static int
parse_validate_args(const struct parse_recipe *r, const struct parse_instr *in, struct error *err)
{
    const struct parse_kw *kw = parse_keyword(in->keyword, strlen(in->keyword));
    struct parse_pos at = parse_kw_pos(in);
    char upper[16], sub[16];

    if (!kw)
        return parse_unknown(r, in, err);
    parse_upper(kw->name, upper, sizeof(upper));
    if (in->args.n < (size_t)kw->min_args)
        return parse_verr(r, err, at, "%s requires at least %s", upper,
                          kw->min_args == 1 ? "one argument" : "two arguments");
    if (kw->form == PARSE_SUB && !in->sub)
        return parse_verr(r, err, at, "ONBUILD requires at least one argument");
    if (in->sub && (!strcmp(in->sub->keyword, "onbuild") || !strcmp(in->sub->keyword, "from") ||
                    !strcmp(in->sub->keyword, "maintainer"))) {
        parse_upper(in->sub->keyword, sub, sizeof(sub));
        return parse_verr(r, err, parse_kw_pos(in->sub), "%s isn't allowed as an ONBUILD trigger",
                          sub);
    }
    if (!strcmp(kw->name, "shell") && !in->json)
        return parse_verr(r, err, at, "SHELL requires the arguments to be in JSON form");
    if (!strcmp(kw->name, "from") && in->args.n != 1 && in->args.n != 3)
        return parse_verr(r, err, at,
                          "FROM requires either one or three arguments (FROM image [AS name])");
    if (!strcmp(kw->name, "from") && in->args.n == 3 && strcasecmp(in->args.v[1], "as"))
        return parse_verr(r, err, in->arg_pos[1], "expected \"AS\" in FROM, found \"%s\"",
                          in->args.v[1]);
    return 0;
}

/*
 * The flags, forms and words of one instruction. An ONBUILD trigger is not
 * looked into: BuildKit stores it as text (parseOnBuild) and checks it when
 * a child build runs it (parse_validate_triggers).
 */
static int
parse_validate_instr(const struct parse_recipe *r, const struct parse_instr *in, struct error *err)
{
    size_t i;

    for (i = 0; i < in->flags.n; i++)
        if (parse_validate_flag(r, in, i, err) < 0)
            return -1;
    if (!strcmp(in->keyword, "healthcheck") && parse_validate_health(r, in, err) < 0)
        return -1;
    if (!strcmp(in->keyword, "from") && parse_validate_from(r, in, err) < 0)
        return -1;
    return parse_validate_words(r, in, err);
}

int
parse_type(struct parse_recipe *r, struct error *err)
{
    size_t i;

    for (i = 0; i < r->n; i++) {
        struct parse_instr *in = &r->instrs[i];
        if (parse_flags_type(r->file, r->text, r->len, in, err) < 0 ||
            (in->sub && parse_flags_type(r->file, r->text, r->len, in->sub, err) < 0))
            return -1;
    }
    return 0;
}

int
parse_validate(struct parse_recipe *r, struct error *err)
{
    char upper[16];
    size_t i;
    int from = 0;

    for (i = 0; i < r->n; i++) {
        const struct parse_instr *in = &r->instrs[i];
        if (parse_validate_args(r, in, err) < 0)
            return -1;
        if (!from && strcmp(in->keyword, "arg") && strcmp(in->keyword, "from")) {
            parse_upper(in->keyword, upper, sizeof(upper));
            return parse_verr(r, err, parse_kw_pos(in),
                              "%s before FROM (only ARG may come before the first FROM)", upper);
        }
        from |= !strcmp(in->keyword, "from");
        if (parse_validate_instr(r, in, err) < 0)
            return -1;
    }
    if (!from) {
        struct parse_pos p = {1, 1};
        if (r->n)
            p = parse_kw_pos(&r->instrs[0]);
        return parse_verr(r, err, p, "no FROM instruction");
    }
    return parse_type(r, err);
}

int
parse_validate_triggers(struct parse_recipe *r, struct error *err)
{
    char upper[16];
    size_t i;

    for (i = 0; i < r->n; i++) {
        const struct parse_instr *in = &r->instrs[i];
        if (!strcmp(in->keyword, "onbuild") || !strcmp(in->keyword, "from") ||
            !strcmp(in->keyword, "maintainer")) {
            parse_upper(in->keyword, upper, sizeof(upper));
            return parse_verr(r, err, parse_kw_pos(in), "%s isn't allowed as an ONBUILD trigger",
                              upper);
        }
        if (parse_validate_args(r, in, err) < 0 || parse_validate_instr(r, in, err) < 0)
            return -1;
    }
    return parse_type(r, err);
}

const char *
parse_flag(const struct parse_instr *in, const char *name)
{
    size_t nl = strlen(name), i;

    for (i = 0; i < in->flags.n; i++) {
        const char *f = in->flags.v[i];
        if (strncmp(f, "--", 2) || strncmp(f + 2, name, nl))
            continue;
        if (f[2 + nl] == '=')
            return f + 3 + nl;
        if (f[2 + nl] == '\0')
            return "";
    }
    return NULL;
}
