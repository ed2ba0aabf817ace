#include "builder/recipe/dockerignore.h"

#include "builder/recipe/expand.h"

#include <string.h>

#include "builder/recipe/lex.h"
#include "formats/core/buf.h"
#include "formats/core/mem.h"

#include "formats/core/banned.h"

/*
 * moby/patternmatcher compiles each pattern into a regular expression but
 * first tries three cheaper forms; the forms are not always equivalent to
 * the expression (a leading "**" matches any suffix), so we keep them.
 */
enum dockerignore_kind {
    DI_EXACT,  /* no wildcard: the path must be equal */
    DI_PREFIX, /* "literal/" then "**": the path starts with "literal/" */
    DI_SUFFIX, /* "**literal": the path ends with "literal" */
    DI_TOKENS, /* anything else: the token list below */
};

enum dockerignore_tok_kind {
    DT_LIT,   /* bytes */
    DT_STAR,  /* [^/]* */
    DT_QMARK, /* [^/] */
    DT_CLASS, /* [...] as filepath.Match reads it */
    DT_DSTAR, /* (.*\/)?  from "**\/" or an inner "**" */
    DT_ANY,   /* .*       from a trailing "**" */
};

struct dockerignore_tok {
    enum dockerignore_tok_kind kind;
    const char *s; /* DT_LIT: the bytes; DT_CLASS: from '[' to ']' (points into text) */
    size_t n;
    char *own; /* DT_LIT: owned copy with escapes removed */
};

void
dockerignore_init(struct dockerignore *d)
{
    memset(d, 0, sizeof(*d));
}

static void
dockerignore_pattern_release(struct dockerignore_pattern *p)
{
    size_t i;

    for (i = 0; i < p->ntoks; i++)
        free(p->toks[i].own);
    free(p->toks);
    free(p->text);
}

void
dockerignore_release(struct dockerignore *d)
{
    size_t i;

    if (!d)
        return;
    for (i = 0; i < d->n; i++)
        dockerignore_pattern_release(&d->pats[i]);
    free(d->pats);
    memset(d, 0, sizeof(*d));
}

/* ---- Go's filepath.Clean ---- */

static char *
dockerignore_clean(const char *path)
{
    struct buf out = BUF_INIT;
    const char *p = path, *e;
    int rooted = *path == '/';
    size_t dotdot = 0; /* out[:dotdot] is "/" or leading ".." that cannot go */

    if (rooted) {
        buf_addch(&out, '/');
        dotdot = 1;
    }
    for (; *p; p = e) {
        for (e = p; *e && *e != '/'; e++)
            ;
        if (e == p || (e - p == 1 && *p == '.')) {
            e += *e == '/';
        } else if (e - p == 2 && p[0] == '.' && p[1] == '.') {
            if (out.len > dotdot) {
                out.len--;
                while (out.len > dotdot && out.data[out.len] != '/')
                    out.len--;
                out.data[out.len] = '\0';
            } else if (!rooted) {
                if (out.len > 0)
                    buf_addch(&out, '/');
                buf_adds(&out, "..");
                dotdot = out.len;
            }
        } else {
            if (out.len != (size_t)rooted)
                buf_addch(&out, '/');
            buf_add(&out, p, (size_t)(e - p));
        }
    }
    if (out.len == 0)
        buf_addch(&out, '.');
    return buf_detach(&out);
}

/* ---- pattern syntax (filepath.Match's ErrBadPattern) ---- */

/* getEsc: one class character, maybe escaped; returns its end or NULL. */
static const char *
dockerignore_class_char(const char *p, long *c)
{
    size_t k;

    if (*p == '\0' || *p == '-' || *p == ']')
        return NULL;
    if (*p == '\\' && *++p == '\0')
        return NULL;
    k = lex_utf8(p, strlen(p), c);
    p += k;
    return *p ? p : NULL;
}

/* A class at p (on '['); returns the byte after its ']' or NULL when malformed. */
static const char *
dockerignore_class_end(const char *p)
{
    long lo, hi;
    int n = 0;

    p++;
    if (*p == '^')
        p++;
    for (;;) {
        if (*p == ']' && n > 0)
            return p + 1;
        if (!(p = dockerignore_class_char(p, &lo)))
            return NULL;
        if (*p == '-' && !(p = dockerignore_class_char(p + 1, &hi)))
            return NULL;
        n++;
    }
}

/* Whether c is in the (valid) class at p. */
static int
dockerignore_class_match(const char *p, long c)
{
    int neg = 0, match = 0, n = 0;
    long lo, hi;

    p++;
    if (*p == '^')
        neg = 1, p++;
    while (*p != ']' || n == 0) {
        p = dockerignore_class_char(p, &lo);
        hi = lo;
        if (*p == '-')
            p = dockerignore_class_char(p + 1, &hi);
        match |= c >= lo && c <= hi;
        n++;
    }
    return match != neg;
}

static int
dockerignore_valid(const char *p)
{
    for (; *p; p++) {
        if (*p == '\\' && *++p == '\0')
            return 0;
        if (*p == '[') {
            const char *e = dockerignore_class_end(p);
            if (!e)
                return 0;
            p = e - 1;
        }
    }
    return 1;
}

/* ---- compiling (Pattern.compile) ---- */

static void
dockerignore_tok(struct dockerignore_pattern *p, size_t *alloc, enum dockerignore_tok_kind k,
                 const char *s, size_t n)
{
    struct dockerignore_tok *t;

    if (k == DT_LIT && p->ntoks && p->toks[p->ntoks - 1].kind == DT_LIT) {
        t = &p->toks[p->ntoks - 1];
        t->own = xrealloc(t->own, t->n + n + 1);
        memcpy(t->own + t->n, s, n);
        t->n += n;
        t->own[t->n] = '\0';
        t->s = t->own;
        return;
    }
    p->toks = xgrow(p->toks, sizeof(*p->toks), p->ntoks + 1, alloc);
    t = &p->toks[p->ntoks++];
    t->kind = k;
    t->n = n;
    t->own = k == DT_LIT ? xstrndup(s, n) : NULL;
    t->s = k == DT_LIT ? t->own : s;
}

/* "**": the kind it gives and the token; *q moves past it (and a '/' after it). */
static int
dockerignore_dstar(struct dockerignore_pattern *p, size_t *alloc, const char **q, int kind,
                   int first)
{
    *q += 2;
    if (**q == '/')
        (*q)++;
    if (**q == '\0') {
        if (kind != DI_EXACT)
            dockerignore_tok(p, alloc, DT_ANY, NULL, 0);
        kind = kind == DI_EXACT ? DI_PREFIX : DI_TOKENS;
    } else {
        dockerignore_tok(p, alloc, DT_DSTAR, NULL, 0);
        kind = DI_TOKENS;
    }
    return first ? DI_SUFFIX : kind;
}

static void
dockerignore_compile(struct dockerignore_pattern *p)
{
    const char *q = p->text, *e;
    size_t alloc = 0;
    int kind = DI_EXACT;

    while (*q) {
        int first = q == p->text;
        if (q[0] == '*' && q[1] == '*') {
            kind = dockerignore_dstar(p, &alloc, &q, kind, first);
        } else if (*q == '*' || *q == '?') {
            dockerignore_tok(p, &alloc, *q == '*' ? DT_STAR : DT_QMARK, NULL, 0);
            kind = DI_TOKENS;
            q++;
        } else if (*q == '\\' && q[1]) {
            dockerignore_tok(p, &alloc, DT_LIT, q + 1, 1);
            kind = DI_TOKENS;
            q += 2;
        } else if (*q == '[') {
            e = dockerignore_class_end(q);
            dockerignore_tok(p, &alloc, DT_CLASS, q, (size_t)(e - q));
            kind = DI_TOKENS;
            q = e;
        } else {
            dockerignore_tok(p, &alloc, DT_LIT, q, 1);
            q++;
        }
    }
    p->kind = kind;
}

/* ---- loading ---- */

/* One pattern after ReadAll's clean-up and PatternMatcher.New's checks. */
static int
dockerignore_push(struct dockerignore *d, const char *pattern, int exclusion, const char *where,
                  struct error *err)
{
    struct dockerignore_pattern *p;
    char *clean = dockerignore_clean(pattern);

    if (!dockerignore_valid(clean)) {
        error_input(err, "%s: invalid pattern \"%s\": syntax error in pattern", where, clean);
        free(clean);
        return -1;
    }
    d->pats = xgrow(d->pats, sizeof(*d->pats), d->n + 1, &d->alloc);
    p = &d->pats[d->n++];
    memset(p, 0, sizeof(*p));
    /* a rooted pattern is relative to the context, but "/" alone stays */
    if (clean[0] == '/' && clean[1]) {
        p->text = xstrdup(clean + 1);
        free(clean);
    } else {
        p->text = clean;
    }
    p->exclusion = exclusion;
    d->exclusions |= exclusion;
    dockerignore_compile(p);
    return 0;
}

static void
dockerignore_trim(const char **s, size_t *n)
{
    size_t k;
    long cp;
    size_t i, last = 0;

    while (*n > 0 && (k = lex_space_len(*s, *n)) > 0)
        *s += k, *n -= k;
    for (i = 0; i < *n;) {
        k = lex_space_len(*s + i, *n - i);
        if (k) {
            i += k;
            continue;
        }
        i += lex_utf8(*s + i, *n - i, &cp);
        last = i;
    }
    *n = last;
}

static int
dockerignore_line(struct dockerignore *d, const char *s, size_t n, const char *where,
                  struct error *err)
{
    char *pat;
    int excl, rc;

    if (n > 0 && s[0] == '#')
        return 0;
    dockerignore_trim(&s, &n);
    if (n == 0)
        return 0;
    excl = s[0] == '!';
    if (excl) {
        s++, n--;
        dockerignore_trim(&s, &n);
        if (n == 0)
            return error_input(err, "%s: illegal exclusion pattern: \"!\"", where);
    }
    if (memchr(s, '\0', n))
        return error_input(err, "%s: NUL byte in pattern", where);
    pat = xstrndup(s, n);
    rc = dockerignore_push(d, pat, excl, where, err);
    free(pat);
    return rc;
}

int
dockerignore_add(struct dockerignore *d, const char *pattern, struct error *err)
{
    return dockerignore_line(d, pattern, strlen(pattern), pattern, err);
}

int
dockerignore_load(struct dockerignore *d, const char *text, size_t len, const char *file,
                  struct error *err)
{
    const char *p = text, *end = text + len, *nl;
    char where[256];
    size_t n;
    int line = 0;

    if (len >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3))
        p += 3;
    while (p < end) {
        nl = memchr(p, '\n', (size_t)(end - p));
        n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        line++;
        /* bufio.ScanLines drops one CR before the LF */
        if (n > 0 && p[n - 1] == '\r')
            n--;
        snprintf(where, sizeof(where), "%s:%d:1", file, line);
        if (dockerignore_line(d, p, n, where, err) < 0)
            return -1;
        p = nl ? nl + 1 : end;
    }
    return 0;
}

/* ---- matching ---- */

static size_t
dockerignore_width(const char *s, size_t n, size_t j)
{
    long cp;

    return j < n ? lex_utf8(s + j, n - j, &cp) : 0;
}

/* One token step of the table: next[] (tokens i..) from cur[] (tokens i+1..). */
static void
dockerignore_step(const struct dockerignore_tok *t, const char *s, size_t n,
                  const unsigned char *cur, unsigned char *next)
{
    size_t j = n + 1, w;
    int acc = 0;
    long cp;

    while (j-- > 0) {
        w = dockerignore_width(s, n, j);
        switch (t->kind) {
        case DT_LIT:
            next[j] = j + t->n <= n && !memcmp(s + j, t->s, t->n) && cur[j + t->n];
            break;
        case DT_QMARK:
            next[j] = j < n && s[j] != '/' && cur[j + w];
            break;
        case DT_CLASS:
            lex_utf8(s + j, n - j, &cp);
            next[j] = j < n && cp >= 0 && dockerignore_class_match(t->s, cp) && cur[j + w];
            break;
        case DT_STAR:
            next[j] = cur[j] || (j < n && s[j] != '/' && next[j + w]);
            break;
        case DT_ANY:
            next[j] = cur[j] || (j < n && next[j + w]);
            break;
        case DT_DSTAR:
            acc = acc || (j < n && s[j] == '/' && cur[j + 1]);
            next[j] = cur[j] || acc;
            break;
        }
    }
}

/* The anchored match of the token list, as a table over positions (no backtracking blow-up). */
static int
dockerignore_tokens_match(const struct dockerignore_pattern *p, const char *s, size_t n)
{
    unsigned char *cur = xcalloc(n + 2, 1), *next = xcalloc(n + 2, 1), *tmp;
    size_t i = p->ntoks;
    int rc;

    cur[n] = 1;
    while (i-- > 0) {
        memset(next, 0, n + 2);
        dockerignore_step(&p->toks[i], s, n, cur, next);
        tmp = cur, cur = next, next = tmp;
    }
    rc = cur[0];
    free(cur);
    free(next);
    return rc;
}

static int
dockerignore_pattern_match(const struct dockerignore_pattern *p, const char *s, size_t n)
{
    size_t pn = strlen(p->text), sn;
    const char *suffix;

    switch (p->kind) {
    case DI_EXACT:
        return n == pn && !memcmp(s, p->text, n);
    case DI_PREFIX:
        return n >= pn - 2 && !memcmp(s, p->text, pn - 2);
    case DI_SUFFIX:
        suffix = p->text + 2;
        sn = pn - 2;
        if (n >= sn && !memcmp(s + n - sn, suffix, sn))
            return 1;
        return sn > 0 && suffix[0] == '/' && n == sn - 1 && !memcmp(s, suffix + 1, n);
    default:
        return dockerignore_tokens_match(p, s, n);
    }
}

/* MatchesOrParentMatches: the path itself, else any of its parent directories. */
static int
dockerignore_match_path(const struct dockerignore_pattern *p, const char *path)
{
    size_t n = strlen(path), i;

    if (dockerignore_pattern_match(p, path, n))
        return 1;
    for (i = 0; i < n; i++)
        if (path[i] == '/' && dockerignore_pattern_match(p, path, i))
            return 1;
    return 0;
}

int
dockerignore_match(const struct dockerignore *d, const char *relpath)
{
    char *path = dockerignore_clean(relpath);
    const char *rel = path;
    size_t i;
    int matched = 0;

    while (*rel == '/')
        rel++;
    if (*rel == '\0' || !strcmp(rel, ".")) {
        free(path);
        return 0;
    }
    for (i = 0; i < d->n; i++) {
        /* an inclusion cannot change a match, nor an exclusion a non-match */
        if (d->pats[i].exclusion != matched)
            continue;
        if (dockerignore_match_path(&d->pats[i], rel))
            matched = !d->pats[i].exclusion;
    }
    free(path);
    return matched;
}

/*
 * Could pattern (an exception) match something below dir? Compared
 * component by component over dir's depth: a "**" may reach anywhere; a
 * pattern with fewer components than dir stops above it.
 */
static int
dockerignore_reaches_into(const char *pattern, const char *dir)
{
    const char *p = pattern, *q = dir;

    while (*q) {
        size_t pl = strcspn(p, "/"), ql = strcspn(q, "/");
        if (!*p)
            return 0;
        if (memmem(p, pl, "**", 2))
            return 1;
        if (!expand_glob_match(p, pl, q, ql))
            return 0;
        p += pl + (p[pl] == '/');
        q += ql + (q[ql] == '/');
    }
    return *p != '\0';
}

int
dockerignore_skip_dir(const struct dockerignore *d, const char *dirpath)
{
    size_t i;

    if (!dockerignore_match(d, dirpath))
        return 0;
    for (i = 0; i < d->n; i++)
        if (d->pats[i].exclusion && dockerignore_reaches_into(d->pats[i].text, dirpath))
            return 0;
    return 1;
}
