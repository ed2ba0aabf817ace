/*
 * Typed instruction flags. parse_validate has already checked that every
 * flag is known for its instruction, has a value when it needs one and is not
 * repeated unless it may be; here the values are put where the build looks
 * for them, and RUN --mount is split into its fields.
 */
#include "builder/recipe/parse_flags.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "builder/recipe/lex.h"
#include "builder/recipe/suggest.h"
#include "formats/core/buf.h"
#include "formats/core/mem.h"

#include "formats/core/banned.h"

/* The recipe being typed, for messages that quote its line. */
struct parse_flags_src {
    const char *file, *text;
    size_t len;
};

static int __attribute__((format(printf, 4, 5)))
parse_flags_err(const struct parse_flags_src *r, struct error *err, struct parse_pos p,
                const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    lex_verror_at(err, r->file, r->text, r->len, p.line, p.col, fmt, ap);
    va_end(ap);
    return -1;
}

static void
parse_flags_mount_release(struct parse_mount *m)
{
    char **fields[] = {&m->type,    &m->target,   &m->source, &m->from, &m->id,
                       &m->sharing, &m->mode,     &m->uid,    &m->gid,  &m->size,
                       &m->env,     &m->required, &m->ro,     &m->rw};
    size_t i;

    for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
        free(*fields[i]);
}

void
parse_flags_release(struct parse_flags *f)
{
    size_t i;

    for (i = 0; i < f->nmounts; i++)
        parse_flags_mount_release(&f->mounts[i]);
    free(f->mounts);
    strvec_release(&f->exclude);
    memset(f, 0, sizeof(*f));
}

/*
 * The next field of a CSV record (BuildKit reads --mount with Go's
 * encoding/csv): fields are separated by ',', a field that starts with '"'
 * runs to the closing quote and "" inside it is one quote. Returns the field
 * (malloc'ed) and advances *p past its separator; NULL at a bad quote.
 */
static char *
parse_flags_csv_field(const char **p)
{
    struct buf b = BUF_INIT;
    const char *s = *p;

    if (*s != '"') {
        size_t n = strcspn(s, ",");
        buf_add(&b, s, n);
        s += n;
    } else {
        for (s++;; s++) {
            if (!*s) {
                buf_release(&b);
                return NULL;
            }
            if (*s == '"' && s[1] == '"') {
                buf_addch(&b, '"');
                s++;
            } else if (*s == '"') {
                s++;
                break;
            } else {
                buf_addch(&b, *s);
            }
        }
        if (*s && *s != ',') {
            buf_release(&b);
            return NULL;
        }
    }
    if (*s == ',')
        s++;
    *p = s;
    return buf_detach(&b);
}

/* The field of m that key names (BuildKit's spellings), or NULL. */
static char **
parse_flags_mount_slot(struct parse_mount *m, const char *key)
{
    static const struct {
        const char *name;
        size_t off;
    } keys[] = {
        {"type", offsetof(struct parse_mount, type)},
        {"target", offsetof(struct parse_mount, target)},
        {"dst", offsetof(struct parse_mount, target)},
        {"destination", offsetof(struct parse_mount, target)},
        {"source", offsetof(struct parse_mount, source)},
        {"src", offsetof(struct parse_mount, source)},
        {"from", offsetof(struct parse_mount, from)},
        {"id", offsetof(struct parse_mount, id)},
        {"sharing", offsetof(struct parse_mount, sharing)},
        {"mode", offsetof(struct parse_mount, mode)},
        {"uid", offsetof(struct parse_mount, uid)},
        {"gid", offsetof(struct parse_mount, gid)},
        {"size", offsetof(struct parse_mount, size)},
        {"env", offsetof(struct parse_mount, env)},
        {"required", offsetof(struct parse_mount, required)},
        {"ro", offsetof(struct parse_mount, ro)},
        {"readonly", offsetof(struct parse_mount, ro)},
        {"rw", offsetof(struct parse_mount, rw)},
        {"readwrite", offsetof(struct parse_mount, rw)},
    };
    size_t i;

    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        if (!strcasecmp(key, keys[i].name))
            return (char **)((char *)m + keys[i].off);
    return NULL;
}

/* BuildKit's spellings of the --mount keys, for "did you mean" */
static const char *const parse_flags_mount_keys[] = {
    "type",     "from", "source",    "target", "readonly",   "id",  "sharing",
    "required", "size", "mode",      "uid",    "gid",        "src", "dst",
    "ro",       "rw",   "readwrite", "env",    "destination"};
static const char *const parse_flags_mount_types[] = {"bind", "cache", "tmpfs", "secret", "ssh"};

static int
parse_flags_is_number(const char *v, int base)
{
    const char *p = v;

    if (!*p)
        return 0;
    for (; *p; p++)
        if (!(base == 8 ? (*p >= '0' && *p <= '7') : isdigit((unsigned char)*p)))
            return 0;
    return 1;
}

/* Checks the fields whose literal values can be checked before expansion. */
static const char *
parse_flags_mount_check(const struct parse_mount *m)
{
    size_t i;

    if (m->type && !strchr(m->type, '$')) {
        for (i = 0; i < 5 && strcasecmp(m->type, parse_flags_mount_types[i]); i++)
            ;
        if (i == 5)
            return "type must be bind, cache, tmpfs, secret or ssh";
    }
    if (m->sharing && !strchr(m->sharing, '$') && strcmp(m->sharing, "shared") &&
        strcmp(m->sharing, "private") && strcmp(m->sharing, "locked"))
        return "sharing must be shared, private or locked";
    if (m->mode && !strchr(m->mode, '$') && !parse_flags_is_number(m->mode, 8))
        return "mode must be an octal number";
    if (m->uid && !strchr(m->uid, '$') && !parse_flags_is_number(m->uid, 10))
        return "uid must be a number";
    if (m->gid && !strchr(m->gid, '$') && !parse_flags_is_number(m->gid, 10))
        return "gid must be a number";
    return NULL;
}

static int
parse_flags_mount(const struct parse_flags_src *r, const char *value, struct parse_pos pos,
                  struct parse_mount *m, struct error *err)
{
    const char *p = value, *why;

    memset(m, 0, sizeof(*m));
    m->pos = pos;
    while (*p) {
        cleanup_free char *field = parse_flags_csv_field(&p);
        char *eq, **slot;
        if (!field)
            return parse_flags_err(r, err, pos, "--mount=%s: unterminated quote", value);
        eq = strchr(field, '=');
        if (eq)
            *eq = '\0';
        slot = parse_flags_mount_slot(m, field);
        if (!slot) { /* BuildKit's words (instructions/commands_runmount.go, parseMount) */
            const char *near = suggest_pick(field, parse_flags_mount_keys,
                                            sizeof(parse_flags_mount_keys) / sizeof(char *), 2);
            return parse_flags_err(r, err, pos, "--mount: unexpected key '%s' in '%s%s%s'%s%s%s",
                                   field, field, eq ? "=" : "", eq ? eq + 1 : "",
                                   near ? " (did you mean " : "", near ? near : "",
                                   near ? "?)" : "");
        }
        if (!eq && slot != &m->ro && slot != &m->rw && slot != &m->required)
            return parse_flags_err(r, err, pos, "--mount: field \"%s\" needs a value (%s=...)",
                                   field, field);
        free(*slot); /* a repeated field: the last one wins, as in BuildKit */
        *slot = xstrdup(eq ? eq + 1 : "");
    }
    why = parse_flags_mount_check(m);
    if (why && m->type && !strcmp(why, "type must be bind, cache, tmpfs, secret or ssh")) {
        const char *near = suggest_pick(m->type, parse_flags_mount_types, 5, 2);
        return parse_flags_err(r, err, pos,
                               "--mount=%s: unsupported mount type \"%s\": type must be bind, "
                               "cache, tmpfs, secret or ssh%s%s%s",
                               value, m->type, near ? " (did you mean " : "", near ? near : "",
                               near ? "?)" : "");
    }
    return why ? parse_flags_err(r, err, pos, "--mount=%s: %s", value, why) : 0;
}

/* A bool flag's value: bare or "true" (any case) is 1. parse_validate refused the rest. */
static int
parse_flags_bool(const char *v)
{
    return !*v || !strcasecmp(v, "true");
}

int
parse_flags_type(const char *file, const char *text, size_t len, struct parse_instr *in,
                 struct error *err)
{
    const struct parse_flags_src src = {file, text, len};
    const struct parse_flags_src *r = &src;
    struct parse_flags *f = &in->f;
    size_t i;

    parse_flags_release(f);
    for (i = 0; i < in->flags.n; i++) {
        const char *flag = in->flags.v[i] + 2;
        const char *eq = strchr(flag, '=');
        const char *v = eq ? eq + 1 : "";
        size_t n = eq ? (size_t)(eq - flag) : strlen(flag);
#define IS(name) (n == sizeof(name) - 1 && !strncmp(flag, name, n))
        if (IS("mount")) {
            f->mounts = xrealloc(f->mounts, (f->nmounts + 1) * sizeof(*f->mounts));
            if (parse_flags_mount(r, v, in->flag_pos[i], &f->mounts[f->nmounts], err) < 0) {
                parse_flags_mount_release(&f->mounts[f->nmounts]);
                return -1;
            }
            f->nmounts++;
        } else if (IS("exclude")) {
            strvec_push(&f->exclude, v);
        } else if (IS("link") || IS("parents") || IS("keep-git-dir")) {
            int *b = IS("link") ? &f->link : IS("parents") ? &f->parents : &f->keep_git_dir;
            *b = parse_flags_bool(v);
        } else {
            static const struct {
                const char *name;
                size_t off;
            } vals[] = {
                {"platform", offsetof(struct parse_flags, platform)},
                {"network", offsetof(struct parse_flags, network)},
                {"security", offsetof(struct parse_flags, security)},
                {"from", offsetof(struct parse_flags, from)},
                {"chown", offsetof(struct parse_flags, chown)},
                {"chmod", offsetof(struct parse_flags, chmod)},
                {"checksum", offsetof(struct parse_flags, checksum)},
                {"unpack", offsetof(struct parse_flags, unpack)},
                {"interval", offsetof(struct parse_flags, interval)},
                {"timeout", offsetof(struct parse_flags, timeout)},
                {"start-period", offsetof(struct parse_flags, start_period)},
                {"start-interval", offsetof(struct parse_flags, start_interval)},
                {"retries", offsetof(struct parse_flags, retries)},
            };
            size_t k;
            for (k = 0; k < sizeof(vals) / sizeof(vals[0]); k++) {
                if (strlen(vals[k].name) == n && !strncmp(flag, vals[k].name, n)) {
                    const char **slot = (const char **)((char *)f + vals[k].off);
                    if (!*slot) /* the first one wins, as parse_flag reads them */
                        *slot = v;
                    break;
                }
            }
        }
#undef IS
    }
    return 0;
}
