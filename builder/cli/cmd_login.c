/*
 * strata login [-u USER] [--password-stdin] HOST and strata logout HOST:
 * credentials checked against the registry, then kept where podman keeps
 * them (formats/credentials.h), so podman, buildah and skopeo see them too.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "builder/cli/cli.h"
#include "formats/core/buf.h"
#include "formats/core/fsutil.h"
#include "formats/core/mem.h"
#include "formats/core/strvec.h"
#include "formats/credentials.h"
#include "formats/reference.h"
#include "formats/registries_conf.h"
#include "formats/registry.h"

#include "formats/core/banned.h"

#define LOGIN_SECRET_MAX 4096

/* host[/namespace]: checked as the registry part of an image name. */
static int
login_key_ok(const char *key)
{
    cleanup_free char *probe = strchr(key, '/') ? xstrdup(key) : xasprintf("%s/x", key);
    struct reference r;
    struct error e;
    int ok;

    error_init(&e);
    if (reference_parse(probe, &r, &e) < 0)
        return 0;
    ok = r.domain && !r.tag && !r.digest[0];
    reference_release(&r);
    return ok;
}

/* "https://host/" -> "host", as docker login accepts a URL. */
static char *
login_key(const char *arg, struct error *err)
{
    const char *p = arg;
    char *key;
    size_t n;

    if (!strncmp(p, "https://", 8))
        p += 8;
    else if (!strncmp(p, "http://", 7))
        p += 7;
    n = strlen(p);
    while (n && p[n - 1] == '/')
        n--;
    key = xstrndup(p, n);
    if (!strcmp(key, "index.docker.io") || !strcmp(key, "registry-1.docker.io")) {
        free(key);
        key = xstrdup(REFERENCE_DOCKER_HUB);
    }
    if (!login_key_ok(key)) {
        free(key);
        error_input(err, "\"%s\" is not a registry (HOST[:PORT][/NAMESPACE])", arg);
        return NULL;
    }
    return key;
}

/* Reads a line from the terminal, without echo when secret. */
static char *
login_prompt(const char *prompt, int secret, struct error *err)
{
    cleanup_close int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
    struct termios old, quiet;
    struct buf b = BUF_INIT;
    char c;

    if (fd < 0 || !isatty(fd)) {
        error_input(err, "login: no terminal to ask for the %s (use -u and --password-stdin)",
                    secret ? "password" : "user name");
        return NULL;
    }
    if (fs_write_all(fd, prompt, strlen(prompt), err) < 0)
        return NULL;
    if (secret && tcgetattr(fd, &old) == 0) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(fd, TCSAFLUSH, &quiet);
    }
    while (read(fd, &c, 1) == 1 && c != '\n' && b.len < LOGIN_SECRET_MAX)
        buf_addch(&b, c);
    if (secret) {
        tcsetattr(fd, TCSAFLUSH, &old);
        (void)!write(fd, "\n", 1);
    }
    return b.data ? buf_detach(&b) : xstrdup("");
}

static char *
login_password_stdin(struct error *err)
{
    struct buf b = BUF_INIT;

    if (fs_read_fd_max(0, "standard input", LOGIN_SECRET_MAX, &b, err) < 0) {
        buf_release(&b);
        return NULL;
    }
    while (b.len && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == '\r'))
        b.data[--b.len] = '\0';
    return b.data ? buf_detach(&b) : xstrdup("");
}

struct login_args {
    const char *user, *pass, *authfile, *cert_dir, *host;
    int pass_stdin, tls_verify;
};

static int
login_parse(int argc, char **argv, struct login_args *a, struct error *err)
{
    int i, r;

    memset(a, 0, sizeof(*a));
    a->tls_verify = 1;
    for (i = 1; i < argc; i++) {
        const char *v;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
            return 1;
        if (!strcmp(argv[i], "--password-stdin")) {
            a->pass_stdin = 1;
        } else if ((r = cli_opt_value(argc, argv, &i, "--tls-verify", &v, err)) != 0) {
            if (r < 0 || (strcmp(v, "true") && strcmp(v, "false")))
                return r < 0 ? -1 : error_input(err, "--tls-verify: expected true or false");
            a->tls_verify = !strcmp(v, "true");
        } else if ((r = cli_opt_value(argc, argv, &i, "-u", &a->user, err)) != 0 ||
                   (r = cli_opt_value(argc, argv, &i, "--username", &a->user, err)) != 0 ||
                   (r = cli_opt_value(argc, argv, &i, "-p", &a->pass, err)) != 0 ||
                   (r = cli_opt_value(argc, argv, &i, "--password", &a->pass, err)) != 0 ||
                   (r = cli_opt_value(argc, argv, &i, "--authfile", &a->authfile, err)) != 0 ||
                   (r = cli_opt_value(argc, argv, &i, "--cert-dir", &a->cert_dir, err)) != 0) {
            if (r < 0)
                return -1;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return error_input(err, "%s: unknown option %s", argv[0], argv[i]);
        } else if (a->host) {
            return error_input(err, "%s: too many arguments (\"%s\")", argv[0], argv[i]);
        } else {
            a->host = argv[i];
        }
    }
    if (!a->host)
        return error_input(err, "%s: need a registry HOST (see strata %s --help)", argv[0],
                           argv[0]);
    if (a->pass && a->pass_stdin)
        return error_input(err, "login: use either --password or --password-stdin");
    return 0;
}

/* Checks user/pass against the registry: GET /v2/ with them (formats/registry.h). */
static int
login_check(const char *key, const struct login_args *a, const char *user, const char *pass,
            struct error *err)
{
    cleanup_free char *host = xstrndup(key, strcspn(key, "/"));
    cleanup_free char *creds = xasprintf("%s:%s", user, pass);
    struct registries_conf conf;
    struct registry_opts o;
    struct registry_client *c;

    if (strchr(user, ':'))
        return error_input(err, "login: a user name cannot hold ':'");
    if (registries_conf_load(&conf, err) < 0) {
        registries_conf_release(&conf);
        return -1;
    }
    registry_opts_init(&o);
    o.tls_verify = a->tls_verify;
    o.insecure = registries_conf_insecure(&conf, host);
    o.cert_dir = a->cert_dir;
    o.creds = creds;
    c = registry_client_new(host, strchr(key, '/') ? strchr(key, '/') + 1 : NULL, &o, 0, err);
    registries_conf_release(&conf);
    memset(creds, 0, strlen(creds));
    if (!c && err->kind == ERROR_UNAUTHORIZED) /* 401 from the registry or its token server */
        return error_set(err, 0, "login %s: wrong user name or password for \"%s\"", key, user);
    if (!c)
        return error_wrap(err, "login %s", key);
    registry_client_free(c);
    return 0;
}

int
cmd_login(struct cli *cli, int argc, char **argv, struct error *err)
{
    cleanup_free char *key = NULL, *user = NULL, *pass = NULL, *path = NULL;
    struct login_args a;
    int rc = login_parse(argc, argv, &a, err);

    (void)cli;
    if (rc != 0) {
        if (rc > 0)
            cli_help(argv[0], stdout);
        return rc > 0 ? 0 : -1;
    }
    if (!(key = login_key(a.host, err)))
        return -1;
    user = a.user ? xstrdup(a.user) : login_prompt("Username: ", 0, err);
    if (user && !a.pass)
        pass = a.pass_stdin ? login_password_stdin(err) : login_prompt("Password: ", 1, err);
    else if (user)
        pass = xstrdup(a.pass);
    if (!user || !pass)
        return -1;
    if (!*user || !*pass)
        return error_input(err, "login: empty user name or password");
    if (login_check(key, &a, user, pass, err) < 0)
        return -1;
    path = credentials_write_path(a.authfile);
    rc = credentials_save(path, key, user, pass, err);
    memset(pass, 0, strlen(pass));
    if (rc < 0)
        return error_wrap(err, "login %s", key);
    printf("Login Succeeded! (credentials for %s in %s)\n", key, path);
    return 0;
}

int
cmd_logout(struct cli *cli, int argc, char **argv, struct error *err)
{
    cleanup_free char *key = NULL, *path = NULL;
    cleanup_strvec struct strvec files = STRVEC_INIT;
    struct login_args a;
    size_t i;
    int rc = login_parse(argc, argv, &a, err);

    (void)cli;
    if (rc != 0) {
        if (rc > 0)
            cli_help(argv[0], stdout);
        return rc > 0 ? 0 : -1;
    }
    if (!(key = login_key(a.host, err)))
        return -1;
    path = credentials_write_path(a.authfile);
    rc = credentials_remove(path, key, err);
    if (rc < 0)
        return error_wrap(err, "logout %s", key);
    if (rc == 0) {
        printf("Removed login credentials for %s from %s\n", key, path);
        return 0;
    }
    /* like podman: say where other credentials for the host live, but leave them */
    credentials_read_paths(a.authfile, &files);
    for (i = 0; i < files.n; i++) {
        struct credentials cr;
        struct error e;
        error_init(&e);
        if (!strcmp(files.v[i], path) || credentials_from_file(files.v[i], key, NULL, &cr, &e) != 0)
            continue;
        credentials_release(&cr);
        return error_set(err, 0,
                         "logout %s: not logged in with strata login (%s); the credentials in "
                         "%s were written by another tool: remove them there",
                         key, path, files.v[i]);
    }
    return error_set(err, 0, "logout %s: not logged in (%s has no credentials for it)", key, path);
}
