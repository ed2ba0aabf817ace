#include "builder/recipe/expand.h"

#include <string.h>

#include "builder/recipe/lex.h"
#include "formats/core/buf.h"
#include "formats/core/mem.h"

#include "formats/core/banned.h"

/*
 * A port of the semantics of BuildKit's frontend/dockerfile/shell/lex.go:
 * one pass over the word that builds the whole result and, for
 * expand_words, the list of words at the same time.
 */

#define EXPAND_EOF (-1)

struct expand_wordlist {
    struct buf word;
    int in_word;
    struct strvec *out;
};

struct expand_ctx {
    const char *s;
    size_t n, pos;
    const struct expand_opts *o;
    int raw_escapes; /* switched on while reading a # % / pattern */
    const struct strvec *vars;
    struct error *err;
};

static int
expand_peek(const struct expand_ctx *c)
{
    return c->pos < c->n ? (unsigned char)c->s[c->pos] : EXPAND_EOF;
}

/* The byte length of the character at the current position. */
static size_t
expand_width(const struct expand_ctx *c)
{
    long cp;

    return c->pos < c->n ? lex_utf8(c->s + c->pos, c->n - c->pos, &cp) : 0;
}

/* ---- word list (wordsStruct) ---- */

static void
expand_word_flush(struct expand_wordlist *w)
{
    if (w->word.len) {
        strvec_push(w->out, buf_cstr(&w->word));
        buf_reset(&w->word);
        w->in_word = 0;
    }
}

static void
expand_add_raw(struct expand_wordlist *w, const char *s, size_t n)
{
    if (!w)
        return;
    buf_add(&w->word, s, n);
    w->in_word = 1;
}

/* addChar: unquoted white space ends a word, other characters extend it. */
static void
expand_add_char(struct expand_wordlist *w, const char *s, size_t n)
{
    if (!w)
        return;
    if (lex_space_len(s, n) == 0)
        expand_add_raw(w, s, n);
    else if (w->in_word)
        expand_word_flush(w);
}

/* addString: the result of an unquoted expansion is split too. */
static void
expand_add_string(struct expand_wordlist *w, const char *s, size_t n)
{
    size_t i = 0, k;
    long cp;

    while (w && i < n) {
        k = lex_utf8(s + i, n - i, &cp);
        expand_add_char(w, s + i, k);
        i += k;
    }
}

/* ---- variables ---- */

/* The value of name in vars: the last "name=..." entry wins; "name" alone means "". */
static const char *
expand_var(const struct expand_ctx *c, const char *name)
{
    size_t i, n = strlen(name);

    if (!c->vars)
        return NULL;
    for (i = c->vars->n; i-- > 0;) {
        const char *e = c->vars->v[i];
        if (!strncmp(e, name, n) && (e[n] == '=' || e[n] == '\0'))
            return e[n] == '=' ? e + n + 1 : "";
    }
    return NULL;
}

/* expand_var, noting the name in the caller's matched or unmatched list */
static const char *
expand_lookup(const struct expand_ctx *c, const char *name)
{
    const char *v = expand_var(c, name);
    struct strvec *note = v ? c->o->matched : c->o->unmatched;

    if (note && !strvec_getenv(note, name))
        strvec_setenv(note, name, "");
    return v;
}

static int
expand_is_name_char(long cp)
{
    if (cp < 0x80)
        return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9') ||
               cp == '_';
    /* unicode.IsLetter without tables: Latin-1 letters and everything above */
    return cp >= 0xC0 && cp != 0xD7 && cp != 0xF7;
}

/* processName: digits, one special parameter, or letters, digits and '_'. */
static void
expand_name(struct expand_ctx *c, struct buf *name)
{
    int ch = expand_peek(c);
    long cp;
    size_t k;

    if (ch >= '0' && ch <= '9') {
        while ((ch = expand_peek(c)) >= '0' && ch <= '9')
            buf_addch(name, (char)ch), c->pos++;
        return;
    }
    if (ch != EXPAND_EOF && strchr("@*#?-$!", ch)) {
        buf_addch(name, (char)ch);
        c->pos++;
        return;
    }
    while (c->pos < c->n) {
        k = lex_utf8(c->s + c->pos, c->n - c->pos, &cp);
        if (!expand_is_name_char(cp))
            break;
        buf_add(name, c->s + c->pos, k);
        c->pos += k;
    }
}

/* ---- glob patterns ---- */

static int
expand_glob_class(const char *p, size_t pn, size_t *pi, long c)
{
    size_t i = *pi + 1;
    int neg = 0, match = 0, first = 1;
    long lo, hi;

    if (i < pn && (p[i] == '!' || p[i] == '^'))
        neg = 1, i++;
    while (i < pn && (p[i] != ']' || first)) {
        first = 0;
        if (p[i] == '\\' && i + 1 < pn)
            i++;
        i += lex_utf8(p + i, pn - i, &lo);
        hi = lo;
        if (i + 1 < pn && p[i] == '-' && p[i + 1] != ']') {
            i++;
            if (p[i] == '\\' && i + 1 < pn)
                i++;
            i += lex_utf8(p + i, pn - i, &hi);
        }
        if (c >= lo && c <= hi && c >= 0)
            match = 1;
    }
    if (i >= pn)
        return -1; /* no closing ']': the '[' is an ordinary character */
    *pi = i + 1;
    return match != neg;
}

/* Matches one pattern element at p[*pi] with the character at s[*si]. */
static int
expand_glob_one(const char *p, size_t pn, size_t *pi, const char *s, size_t sn, size_t *si)
{
    long sc, pc;
    size_t sw = lex_utf8(s + *si, sn - *si, &sc), pw;
    int m;

    if (p[*pi] == '?') {
        (*pi)++;
        *si += sw;
        return 1;
    }
    if (p[*pi] == '[') {
        size_t save = *pi;
        m = expand_glob_class(p, pn, pi, sc);
        if (m >= 0) {
            *si += m ? sw : 0;
            return m;
        }
        *pi = save;
    }
    if (p[*pi] == '\\' && *pi + 1 < pn)
        (*pi)++;
    pw = lex_utf8(p + *pi, pn - *pi, &pc);
    if (pw != sw || memcmp(p + *pi, s + *si, sw))
        return 0;
    *pi += pw;
    *si += sw;
    return 1;
}

int
expand_glob_match(const char *p, size_t pn, const char *s, size_t sn)
{
    size_t pi = 0, si = 0, star_p = 0, star_s = 0, next_pi, next_si;
    int have_star = 0;
    long cp;

    while (si < sn) {
        if (pi < pn && p[pi] == '*') {
            star_p = ++pi;
            star_s = si;
            have_star = 1;
            continue;
        }
        next_pi = pi;
        next_si = si;
        if (pi < pn && expand_glob_one(p, pn, &next_pi, s, sn, &next_si)) {
            pi = next_pi;
            si = next_si;
            continue;
        }
        if (!have_star)
            return 0;
        star_s += lex_utf8(s + star_s, sn - star_s, &cp);
        pi = star_p;
        si = star_s;
    }
    while (pi < pn && p[pi] == '*')
        pi++;
    return pi == pn;
}

static int
expand_boundary(const char *s, size_t n, size_t i)
{
    return i == 0 || i >= n || ((unsigned char)s[i] & 0xC0) != 0x80;
}

/* ${V#p} ${V##p} ${V%p} ${V%%p}: remove the shortest or longest matching prefix/suffix. */
static void
expand_trim(const char *v, const char *pat, int suffix, int longest, struct buf *out)
{
    size_t n = strlen(v), pn = strlen(pat), i, k;

    for (k = 0; k <= n; k++) {
        i = longest ? n - k : k; /* the length removed */
        if (!expand_boundary(v, n, suffix ? n - i : i))
            continue;
        if (suffix ? expand_glob_match(pat, pn, v + n - i, i) : expand_glob_match(pat, pn, v, i)) {
            if (suffix)
                buf_add(out, v, n - i);
            else
                buf_adds(out, v + i);
            return;
        }
    }
    buf_adds(out, v);
}

/* The leftmost, then longest, match of pat in v at or after from. */
static int
expand_find(const char *v, size_t n, const char *pat, size_t from, size_t *ms, size_t *me)
{
    size_t a, b, pn = strlen(pat);

    for (a = from; a <= n; a++) {
        if (!expand_boundary(v, n, a))
            continue;
        for (b = n + 1; b-- > a;)
            if (expand_boundary(v, n, b) && expand_glob_match(pat, pn, v + a, b - a)) {
                *ms = a;
                *me = b;
                return 1;
            }
    }
    return 0;
}

/* ${V/p/r} and ${V//p/r}. */
static void
expand_replace(const char *v, const char *pat, const char *rep, int all, struct buf *out)
{
    size_t n = strlen(v), pos = 0, ms, me, w;
    long cp;

    while (pos <= n && expand_find(v, n, pat, pos, &ms, &me)) {
        buf_add(out, v + pos, ms - pos);
        buf_adds(out, rep);
        pos = me;
        if (!all)
            break;
        if (me == ms) {
            if (ms >= n)
                return;
            w = lex_utf8(v + ms, n - ms, &cp);
            buf_add(out, v + ms, w);
            pos = ms + w;
        }
    }
    if (pos <= n)
        buf_adds(out, v + pos);
}

/* ---- the lexer ---- */

static int expand_stop_on(struct expand_ctx *c, int stop, int raw_escapes, struct buf *result,
                          struct expand_wordlist *w);

static int
expand_single(struct expand_ctx *c, struct buf *out)
{
    size_t start;

    if (c->o->raw_quotes)
        buf_addch(out, '\'');
    start = ++c->pos;
    while (c->pos < c->n && c->s[c->pos] != '\'')
        c->pos++;
    if (c->pos >= c->n)
        return error_input(c->err,
                           "unexpected end of statement while looking for matching single-quote");
    buf_add(out, c->s + start, c->pos - start);
    c->pos++;
    if (c->o->raw_quotes)
        buf_addch(out, '\'');
    return 0;
}

static int expand_dollar(struct expand_ctx *c, struct buf *out);

static int
expand_double(struct expand_ctx *c, struct buf *out)
{
    int ch;

    if (c->o->raw_quotes)
        buf_addch(out, '"');
    c->pos++;
    for (;;) {
        ch = expand_peek(c);
        if (ch == EXPAND_EOF)
            return error_input(c->err, "unexpected end of statement while looking for matching "
                                       "double-quote");
        if (ch == '"') {
            c->pos++;
            if (c->o->raw_quotes)
                buf_addch(out, '"');
            return 0;
        }
        if (ch == '$') {
            if (expand_dollar(c, out) < 0)
                return -1;
            continue;
        }
        if (ch == c->o->escape) {
            c->pos++;
            if (c->raw_escapes)
                buf_addch(out, (char)ch);
            ch = expand_peek(c);
            if (ch == EXPAND_EOF)
                continue;
            /*
             * only ", $ and the escape itself can be escaped; otherwise the
             * escape stays (written twice with raw escapes, as BuildKit does)
             */
            if (ch != '"' && ch != '$' && ch != c->o->escape) {
                buf_addch(out, c->o->escape);
                continue;
            }
        }
        buf_add(out, c->s + c->pos, expand_width(c));
        c->pos += expand_width(c);
    }
}

/* ${name:?word} / ${name?word} */
static int
expand_required(struct expand_ctx *c, const char *name, const char *value, int colon,
                const char *word, struct buf *out)
{
    if (!value)
        return error_input(c->err, "%s: %s", name, *word ? word : "is not allowed to be unset");
    if (colon && !*value)
        return error_input(c->err, "%s: %s", name, *word ? word : "is not allowed to be empty");
    buf_adds(out, value);
    return 0;
}

/* The modifier forms: ${name OP word} where OP is :- - :+ + :? ? # ## % %%. */
static int
expand_modifier(struct expand_ctx *c, const char *name, int colon, int op, struct buf *out)
{
    cleanup_buf struct buf word = BUF_INIT;
    const char *value, *w;
    int empty;

    if (expand_stop_on(c, '}', op == '#' || op == '%', &word, NULL) < 0) {
        if (expand_peek(c) == EXPAND_EOF)
            return error_input(c->err, "syntax error: missing '}'");
        return -1;
    }
    value = expand_lookup(c, name);
    w = buf_cstr(&word);
    if (!value && c->o->skip_unset) {
        buf_addf(out, "${%s%s%c%s}", name, colon ? ":" : "", op, w);
        return 0;
    }
    empty = !value || (colon && !*value);
    switch (op) {
    case '-':
        buf_adds(out, empty ? w : value);
        return 0;
    case '+':
        buf_adds(out, empty ? "" : w);
        return 0;
    case '?':
        return expand_required(c, name, value, colon, w, out);
    case '#':
    case '%':
        expand_trim(value ? value : "", w + (*w == op), op == '%', *w == op, out);
        return 0;
    default:
        return error_input(c->err, "unsupported modifier (%s%c) in substitution", colon ? ":" : "",
                           op);
    }
}

static int
expand_substitute(struct expand_ctx *c, const char *name, struct buf *out)
{
    cleanup_buf struct buf pat = BUF_INIT, rep = BUF_INIT;
    const char *value;
    int all = expand_peek(c) == '/';

    c->pos += all;
    if (expand_stop_on(c, '/', 1, &pat, NULL) < 0) {
        if (expand_peek(c) == EXPAND_EOF)
            return error_input(c->err, "syntax error: missing '/' in ${}");
        return -1;
    }
    if (expand_stop_on(c, '}', 1, &rep, NULL) < 0) {
        if (expand_peek(c) == EXPAND_EOF)
            return error_input(c->err, "syntax error: missing '}'");
        return -1;
    }
    value = expand_lookup(c, name);
    if (!value && c->o->skip_unset) {
        buf_addf(out, "${%s/%s%s/%s}", name, all ? "/" : "", buf_cstr(&pat), buf_cstr(&rep));
        return 0;
    }
    expand_replace(value ? value : "", buf_cstr(&pat), buf_cstr(&rep), all, out);
    return 0;
}

/* ${...} after the "${". */
static int
expand_braced(struct expand_ctx *c, struct buf *out)
{
    cleanup_buf struct buf name = BUF_INIT;
    const char *value;
    int ch = expand_peek(c), colon = 0;

    if (ch == EXPAND_EOF)
        return error_input(c->err, "syntax error: missing '}'");
    if (ch == '{' || ch == '}' || ch == ':')
        return error_input(c->err, "syntax error: bad substitution");
    expand_name(c, &name);
    ch = expand_peek(c);
    if (ch == EXPAND_EOF)
        return error_input(c->err, "syntax error: missing '}'");
    c->pos++;
    if (ch == '}') {
        value = expand_lookup(c, buf_cstr(&name));
        if (!value && c->o->skip_unset)
            buf_addf(out, "${%s}", buf_cstr(&name));
        else
            buf_adds(out, value ? value : "");
        return 0;
    }
    if (ch == '/')
        return expand_substitute(c, buf_cstr(&name), out);
    if (ch == ':') {
        colon = 1;
        ch = expand_peek(c);
        if (ch == EXPAND_EOF)
            return error_input(c->err, "syntax error: missing '}'");
        c->pos++;
    } else if (!strchr("+-?#%", ch)) {
        return error_input(c->err, "unsupported modifier (%c) in substitution", ch);
    }
    return expand_modifier(c, buf_cstr(&name), colon, ch, out);
}

/* processDollar, at a '$'. */
static int
expand_dollar(struct expand_ctx *c, struct buf *out)
{
    cleanup_buf struct buf name = BUF_INIT;
    const char *value;

    c->pos++;
    if (expand_peek(c) == '{') {
        c->pos++;
        return expand_braced(c, out);
    }
    expand_name(c, &name);
    if (name.len == 0) {
        buf_addch(out, '$');
        return 0;
    }
    value = expand_lookup(c, buf_cstr(&name));
    if (!value && c->o->skip_unset)
        buf_addf(out, "$%s", buf_cstr(&name));
    else
        buf_adds(out, value ? value : "");
    return 0;
}

/*
 * processPossibleHeredoc, at a '<': a "<<" takes the blanks (space, tab, CR)
 * after it into its word, so that "<< EOF" stays one word as it does for
 * BuildKit's lexer and the heredoc rules see "<< EOF" whole.
 */
static void
expand_heredoc_op(struct expand_ctx *c, struct buf *out)
{
    int ch;

    buf_addch(out, '<');
    c->pos++;
    if (expand_peek(c) != '<')
        return;
    buf_addch(out, '<');
    c->pos++;
    while ((ch = expand_peek(c)) == ' ' || ch == '\t' || ch == '\r') {
        buf_addch(out, (char)ch);
        c->pos++;
    }
}

/* A quote, a `$` or a '<' at the current position: processes it into result and w. */
static int
expand_special(struct expand_ctx *c, int ch, struct buf *result, struct expand_wordlist *w)
{
    cleanup_buf struct buf tmp = BUF_INIT;
    int rc = 0;

    if (ch == '<')
        expand_heredoc_op(c, &tmp);
    else if (ch == '$')
        rc = expand_dollar(c, &tmp);
    else if (ch == '\'')
        rc = expand_single(c, &tmp);
    else
        rc = expand_double(c, &tmp);
    if (rc < 0)
        return -1;
    buf_add(result, buf_cstr(&tmp), tmp.len);
    if (ch == '$')
        expand_add_string(w, buf_cstr(&tmp), tmp.len);
    else
        expand_add_raw(w, buf_cstr(&tmp), tmp.len);
    return 0;
}

/* processStopOn: reads up to stop (EXPAND_EOF for the whole input). */
static int
expand_stop_on(struct expand_ctx *c, int stop, int raw_escapes, struct buf *result,
               struct expand_wordlist *w)
{
    int saved = c->raw_escapes, ch;
    size_t k;

    c->raw_escapes = raw_escapes;
    while ((ch = expand_peek(c)) != EXPAND_EOF) {
        if (stop != EXPAND_EOF && ch == stop) {
            c->pos++;
            c->raw_escapes = saved;
            return 0;
        }
        if (ch == '$' || ch == '<' || ((ch == '\'' || ch == '"') && !c->o->skip_quotes)) {
            if (expand_special(c, ch, result, w) < 0)
                return -1;
            continue;
        }
        if (ch == c->o->escape) {
            c->pos++;
            if (c->raw_escapes) {
                buf_addch(result, (char)ch);
                expand_add_raw(w, c->s + c->pos - 1, 1);
            }
            if (expand_peek(c) == EXPAND_EOF)
                break;
            k = expand_width(c);
            expand_add_raw(w, c->s + c->pos, k);
        } else {
            k = expand_width(c);
            expand_add_char(w, c->s + c->pos, k);
        }
        buf_add(result, c->s + c->pos, k);
        c->pos += k;
    }
    c->raw_escapes = saved;
    if (stop != EXPAND_EOF)
        return error_input(c->err, "unexpected end of statement while looking for matching %c",
                           stop);
    return 0;
}

int
expand_process(const char *word, const struct expand_opts *opts, const struct strvec *vars,
               char **out, struct strvec *words, struct error *err)
{
    struct error inner;
    struct expand_ctx c = {word, strlen(word), 0, opts, opts->raw_escapes, vars, &inner};
    struct strvec tmp = STRVEC_INIT;
    struct expand_wordlist w = {BUF_INIT, 0, &tmp};
    cleanup_buf struct buf result = BUF_INIT;
    size_t i;

    error_init(&inner);
    if (expand_stop_on(&c, EXPAND_EOF, opts->raw_escapes, &result, &w) < 0) {
        buf_release(&w.word);
        strvec_release(&tmp);
        return error_input(err, "failed to process \"%.300s\": %s", word, inner.msg);
    }
    expand_word_flush(&w);
    buf_release(&w.word);
    if (words)
        for (i = 0; i < tmp.n; i++)
            strvec_push(words, tmp.v[i]);
    strvec_release(&tmp);
    if (out)
        *out = buf_detach(&result);
    return 0;
}

int
expand_word(const char *word, char escape, const struct strvec *vars, char **out, struct error *err)
{
    const struct expand_opts o = {escape, 0, 0, 0, 0, NULL, NULL};

    return expand_process(word, &o, vars, out, NULL, err);
}

int
expand_words(const char *text, char escape, const struct strvec *vars, struct strvec *out,
             struct error *err)
{
    const struct expand_opts o = {escape, 0, 0, 0, 0, NULL, NULL};

    return expand_process(text, &o, vars, NULL, out, err);
}
