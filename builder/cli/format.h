#ifndef STRATA_BUILDER_CLI_FORMAT_H
#define STRATA_BUILDER_CLI_FORMAT_H

/*
 * --format for the listing commands (images, history, inspect, df), as
 * docker and podman users write it: "json", or a template in which
 * {{.Field}} (a path: {{.Config.Env}}), {{json .Field}},
 * {{index .Field "key"}}, {{index .List 0}} and {{index .List 0}} are replaced by values of a row
 * (a JSON object), as Go's text/template prints them: strings as they are, arrays as [a b], objects
 * as map[k:v], a missing map key as <no value>. A leading "table " adds a header line (the field
 * names in upper case); the two characters \t and \n are a tab and a newline. A field a row does
 * not have is an input error naming it, as docker's "can't evaluate field".
 */

#include <cjson/cJSON.h>

#include "formats/core/buf.h"
#include "formats/core/error.h"

struct format {
    int json;   /* --format json */
    int table;  /* "table " prefix: print a header first */
    char *tmpl; /* the template (escapes done), or NULL for the command's own table */
};

/* Reads --format arg into f and checks the template's syntax. */
int format_parse(const char *arg, struct format *f, struct error *err);
void format_release(struct format *f);

/* Appends the template applied to row, and a newline, to out. */
int format_row(const struct format *f, const cJSON *row, struct buf *out, struct error *err);

/* Appends the "table" header line to out: each placeholder's last field name, upper case. */
void format_header(const struct format *f, struct buf *out);

/* Appends j as indented JSON (four spaces, "key": value, as docker prints it) and a newline. */
void format_json(const cJSON *j, struct buf *out);

/*
 * How long ago t was, seen at now, as docker words it: "5 seconds ago",
 * "About a minute ago", "3 hours ago", "2 weeks ago". "-" for t < 0.
 */
void format_since(long long t, long long now, char *out, size_t len);

#endif
