#include "builder/cli/format.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/core/mem.h"
#include "formats/core/strvec.h"
#include "formats/json.h"

#include "formats/core/banned.h"

#define FORMAT_MAX_ACTIONS 64

/* One {{...}} action: a function ("", "json" or "index"), a field path and an index key. */
struct format_action {
    char fn[8];
    struct strvec path; /* field names; empty: the row itself ("{{.}}") */
    char *key;          /* index: the key */
    int number;         /* index: key is an array position */
};

static void
format_action_release(struct format_action *a)
{
    strvec_release(&a->path);
    free(a->key);
}

static const char *
format_skip_spaces(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* Parses the inside of {{ }} (text, n bytes). */
static int
format_action_parse(const char *text, size_t n, struct format_action *a, struct error *err)
{
    cleanup_free char *s = xstrndup(text, n);
    const char *p = format_skip_spaces(s);
    size_t w;

    memset(a, 0, sizeof(*a));
    if (!strncmp(p, "json ", 5) || !strncmp(p, "index ", 6)) {
        w = strcspn(p, " ");
        memcpy(a->fn, p, w);
        p = format_skip_spaces(p + w);
    }
    if (*p != '.')
        return error_input(err,
                           "--format: {{%s}}: expected .Field, json .Field or index .Field "
                           "\"key\"",
                           s);
    p++;
    while (*p && *p != ' ' && *p != '\t') {
        w = strcspn(p, ". \t");
        if (!w)
            return error_input(err, "--format: {{%s}}: empty field name", s);
        strvec_push_owned(&a->path, xstrndup(p, w));
        p += w;
        if (*p == '.')
            p++;
    }
    p = format_skip_spaces(p);
    if (!strcmp(a->fn, "index")) {
        size_t kl = *p == '"' ? strcspn(p + 1, "\"") : strspn(p, "0123456789");
        if (*p == '"' && p[1 + kl] == '"' && !*format_skip_spaces(p + kl + 2)) {
            a->key = xstrndup(p + 1, kl);
            return 0;
        }
        if (kl && kl < 10 && !*format_skip_spaces(p + kl)) { /* an array's element */
            a->key = xstrndup(p, kl);
            a->number = 1;
            return 0;
        }
        return error_input(err, "--format: {{%s}}: index needs a quoted key or a number", s);
    }
    if (*p)
        return error_input(err, "--format: {{%s}}: unexpected \"%s\"", s, p);
    return 0;
}

/* Calls fn for each literal piece and each action of f->tmpl, in order. */
static int
format_walk(const char *tmpl, int (*fn)(void *, const char *, size_t, struct format_action *),
            void *arg, struct error *err)
{
    const char *p = tmpl;
    int n = 0;

    while (*p) {
        const char *open = strstr(p, "{{"), *close;
        struct format_action a;
        int rc;
        if (!open)
            return fn(arg, p, strlen(p), NULL);
        if ((rc = fn(arg, p, (size_t)(open - p), NULL)) < 0)
            return rc;
        close = strstr(open + 2, "}}");
        if (!close)
            return error_input(err, "--format: \"{{\" without \"}}\"");
        if (++n > FORMAT_MAX_ACTIONS)
            return error_input(err, "--format: more than %d placeholders", FORMAT_MAX_ACTIONS);
        if (format_action_parse(open + 2, (size_t)(close - open - 2), &a, err) < 0) {
            format_action_release(&a);
            return -1;
        }
        rc = fn(arg, NULL, 0, &a);
        format_action_release(&a);
        if (rc < 0)
            return rc;
        p = close + 2;
    }
    return 0;
}

static int
format_check_fn(void *arg, const char *lit, size_t n, struct format_action *a)
{
    (void)arg, (void)lit, (void)n, (void)a;
    return 0;
}

int
format_parse(const char *arg, struct format *f, struct error *err)
{
    struct buf b = BUF_INIT;
    const char *p = arg;

    memset(f, 0, sizeof(*f));
    if (!strcmp(arg, "json")) {
        f->json = 1;
        return 0;
    }
    if (!strncmp(p, "table ", 6) || !strcmp(p, "table")) {
        f->table = 1;
        p += p[5] ? 6 : 5;
    }
    for (; *p; p++) { /* the two characters \t and \n, as docker reads them */
        if (p[0] == '\\' && (p[1] == 't' || p[1] == 'n')) {
            buf_addch(&b, p[1] == 't' ? '\t' : '\n');
            p++;
        } else {
            buf_addch(&b, *p);
        }
    }
    f->tmpl = buf_detach(&b);
    if (format_walk(f->tmpl, format_check_fn, NULL, err) < 0) {
        format_release(f);
        return -1;
    }
    return 0;
}

void
format_release(struct format *f)
{
    if (!f)
        return;
    free(f->tmpl);
    memset(f, 0, sizeof(*f));
}

static int
format_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* v as Go's fmt prints it inside a template: [a b], map[k:v], numbers without ".0". */
static void
format_value(struct buf *out, const cJSON *v)
{
    const cJSON *c;
    int first = 1;

    if (cJSON_IsString(v)) {
        buf_adds(out, v->valuestring);
    } else if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (d > -9.0e15 && d < 9.0e15 && (double)(long long)d == d)
            buf_addf(out, "%lld", (long long)d);
        else
            buf_addf(out, "%g", d);
    } else if (cJSON_IsBool(v)) {
        buf_adds(out, cJSON_IsTrue(v) ? "true" : "false");
    } else if (cJSON_IsArray(v) || cJSON_IsObject(v)) {
        cleanup_strvec struct strvec keys = STRVEC_INIT;
        size_t i;
        buf_adds(out, cJSON_IsArray(v) ? "[" : "map[");
        if (cJSON_IsArray(v)) {
            cJSON_ArrayForEach(c, v)
            {
                if (!first)
                    buf_addch(out, ' ');
                format_value(out, c);
                first = 0;
            }
        } else { /* Go prints a map's keys sorted */
            cJSON_ArrayForEach(c, v) strvec_push(&keys, c->string);
            qsort(keys.v, keys.n, sizeof(*keys.v), format_cmp);
            for (i = 0; i < keys.n; i++) {
                buf_addf(out, "%s%s:", i ? " " : "", keys.v[i]);
                format_value(out, cJSON_GetObjectItemCaseSensitive(v, keys.v[i]));
            }
        }
        buf_addch(out, ']');
    } else {
        buf_adds(out, "<no value>");
    }
}

struct format_render {
    const cJSON *row;
    struct buf *out;
    struct error *err;
};

static int
format_render_fn(void *arg, const char *lit, size_t n, struct format_action *a)
{
    struct format_render *r = arg;
    const cJSON *v = r->row;
    size_t i;

    if (!a) {
        buf_add(r->out, lit, n);
        return 0;
    }
    for (i = 0; i < a->path.n; i++) {
        const cJSON *next =
            cJSON_IsObject(v) ? cJSON_GetObjectItemCaseSensitive(v, a->path.v[i]) : NULL;
        if (!next && i == 0) /* a field of the row: its fields are known, as a struct's */
            return error_input(r->err, "--format: no field \"%s\" (see the command's --help)",
                               a->path.v[i]);
        v = next; /* deeper down, maps: a missing key prints <no value> */
    }
    if (!strcmp(a->fn, "index") && a->number)
        v = cJSON_IsArray(v) ? cJSON_GetArrayItem(v, atoi(a->key)) : NULL;
    else if (!strcmp(a->fn, "index"))
        v = cJSON_IsObject(v) ? cJSON_GetObjectItemCaseSensitive(v, a->key) : NULL;
    if (!strcmp(a->fn, "json")) {
        cleanup_free char *j = v ? cJSON_PrintUnformatted(v) : xstrdup("null");
        buf_adds(r->out, j);
    } else {
        format_value(r->out, v);
    }
    return 0;
}

int
format_row(const struct format *f, const cJSON *row, struct buf *out, struct error *err)
{
    struct format_render r = {row, out, err};

    if (format_walk(f->tmpl, format_render_fn, &r, err) < 0)
        return -1;
    buf_addch(out, '\n');
    return 0;
}

static int
format_header_fn(void *arg, const char *lit, size_t n, struct format_action *a)
{
    struct buf *out = arg;
    const char *name;

    if (!a) {
        buf_add(out, lit, n);
        return 0;
    }
    name = a->key ? a->key : a->path.n ? a->path.v[a->path.n - 1] : "";
    for (; *name; name++)
        buf_addch(out, (char)(*name >= 'a' && *name <= 'z' ? *name - 32 : *name));
    return 0;
}

void
format_header(const struct format *f, struct buf *out)
{
    struct error ignored;

    error_init(&ignored);
    format_walk(f->tmpl, format_header_fn, out, &ignored);
    buf_addch(out, '\n');
}

void
format_since(long long t, long long now, char *out, size_t len)
{
    static const struct {
        long long secs;
        const char *unit;
    } units[] = {{365LL * 86400, "years"}, {30LL * 86400, "months"}, {7 * 86400, "weeks"},
                 {86400, "days"},          {3600, "hours"},          {60, "minutes"}};
    long long d = now - t;
    size_t i;

    if (t < 0) {
        snprintf(out, len, "-");
        return;
    }
    if (d < 1) {
        snprintf(out, len, "Less than a second ago");
        return;
    }
    if (d < 60) {
        snprintf(out, len, "%lld second%s ago", d, d == 1 ? "" : "s");
        return;
    }
    if (d < 120) {
        snprintf(out, len, "About a minute ago");
        return;
    }
    if (d >= 3600 && d < 7200) {
        snprintf(out, len, "About an hour ago");
        return;
    }
    for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (d >= 2 * units[i].secs || (units[i].secs == 60 && d >= 60)) {
            snprintf(out, len, "%lld %s ago", d / units[i].secs, units[i].unit);
            return;
        }
    }
    snprintf(out, len, "%lld seconds ago", d);
}

static void
format_indent(struct buf *out, int depth)
{
    buf_addch(out, '\n');
    while (depth-- > 0)
        buf_adds(out, "    ");
}

static void
format_json_at(const cJSON *j, int depth, struct buf *out)
{
    const cJSON *c;
    int first = 1;

    if (!(cJSON_IsArray(j) || cJSON_IsObject(j)) || !j->child) {
        cleanup_free char *t = json_print(j); /* scalars, [] and {} */
        buf_adds(out, t);
        return;
    }
    buf_addch(out, cJSON_IsArray(j) ? '[' : '{');
    cJSON_ArrayForEach(c, j)
    {
        if (!first)
            buf_addch(out, ',');
        first = 0;
        format_indent(out, depth + 1);
        if (cJSON_IsObject(j)) {
            cJSON *k = cJSON_CreateString(c->string);
            cleanup_free char *t = json_print(k); /* the key, escaped as a JSON string */
            cJSON_Delete(k);
            buf_addf(out, "%s: ", t);
        }
        format_json_at(c, depth + 1, out);
    }
    format_indent(out, depth);
    buf_addch(out, cJSON_IsArray(j) ? ']' : '}');
}

void
format_json(const cJSON *j, struct buf *out)
{
    format_json_at(j, 0, out);
    buf_addch(out, '\n');
}
