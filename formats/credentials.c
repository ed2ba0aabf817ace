#include "formats/credentials.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "formats/core/buf.h"
#include "formats/core/fsutil.h"
#include "formats/core/log.h"
#include "formats/core/mem.h"
#include "formats/json.h"
#include "formats/registry_auth.h"

#include "formats/core/banned.h"

#define CREDENTIALS_HELPER_OUT_MAX (64u << 10)
#define CREDENTIALS_DEFAULT_FILES "containers-auth.json"

extern char **environ;

void
credentials_release(struct credentials *c)
{
    if (!c)
        return;
    free(c->user);
    if (c->pass)
        memset(c->pass, 0, strlen(c->pass));
    free(c->pass);
    memset(c, 0, sizeof(*c));
}

/* containers-auth.json(5): the primary file lives in the runtime directory. */
static char *
credentials_runtime_path(void)
{
    const char *xdg = getenv("XDG_RUNTIME_DIR");

    if (xdg && *xdg)
        return xasprintf("%s/containers/auth.json", xdg);
    return xasprintf("/run/containers/%ld/auth.json", (long)getuid());
}

char *
credentials_write_path(const char *authfile)
{
    const char *env = getenv("REGISTRY_AUTH_FILE");
    const char *dc = getenv("DOCKER_CONFIG");

    if (authfile && *authfile)
        return xstrdup(authfile);
    if (env && *env)
        return xstrdup(env);
    /* podman's pkg/auth: with $DOCKER_CONFIG set, login writes its config.json */
    if (dc && *dc)
        return xasprintf("%s/config.json", dc);
    return credentials_runtime_path();
}

void
credentials_read_paths(const char *authfile, struct strvec *out)
{
    const char *env = getenv("REGISTRY_AUTH_FILE");
    const char *home = getenv("HOME");
    const char *dc = getenv("DOCKER_CONFIG");
    const char *xdg_config = getenv("XDG_CONFIG_HOME");

    if (authfile && *authfile)
        strvec_push(out, authfile);
    else if (env && *env)
        strvec_push(out, env);
    strvec_push_owned(out, credentials_runtime_path());
    /* containers-auth.json(5): then ${XDG_CONFIG_HOME}/containers/auth.json (usually ~/.config) */
    if (xdg_config && *xdg_config)
        strvec_pushf(out, "%s/containers/auth.json", xdg_config);
    else if (home && *home)
        strvec_pushf(out, "%s/.config/containers/auth.json", home);
    if (dc && *dc)
        strvec_pushf(out, "%s/config.json", dc);
    else if (home && *home)
        strvec_pushf(out, "%s/.docker/config.json", home);
}

/* ---- credential helpers (docker-credential-helpers protocol) ---- */

static int
credentials_helper_name_ok(const char *name)
{
    return *name &&
           strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") ==
               strlen(name);
}

/* The helper's absolute path from $PATH, as execvp would find it, or NULL. */
static char *
credentials_helper_path(const char *name)
{
    const char *path = getenv("PATH");
    const char *p = path && *path ? path : "/usr/local/bin:/usr/bin:/bin";

    while (*p) {
        size_t n = strcspn(p, ":");
        char *cand = xasprintf("%.*s/docker-credential-%s", (int)(n ? n : 1), n ? p : ".", name);
        struct stat st;
        if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0)
            return cand;
        free(cand);
        p += n;
        if (*p == ':')
            p++;
    }
    return NULL;
}

/*
 * Writes s to a pipe whose reader may be gone, without dying of SIGPIPE:
 * the signal is blocked in this thread and a pending one is taken back.
 */
static int
credentials_write_nosigpipe(int fd, const char *s, struct error *err)
{
    sigset_t pipe_set, old;
    struct timespec zero = {0, 0};
    int rc;

    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    rc = fs_write_all(fd, s, strlen(s), err);
    if (rc < 0 && err->sys_errno == EPIPE)
        while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
            ;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}

/* Writes server to the helper, reads its answer, bounded in size and time. */
static int
credentials_helper_talk(int *in_fd, int out_fd, const char *server, struct buf *out,
                        const char *what, struct error *err)
{
    double deadline = log_now_ms() + CREDENTIALS_HELPER_TIMEOUT_MS;
    struct error e;
    int rc;

    error_init(&e);
    /* the helper reads the server up to end of input: close it after writing */
    rc = credentials_write_nosigpipe(*in_fd, server, &e);
    close(*in_fd);
    *in_fd = -1;
    /* a helper that does not read its input must not stop us: EPIPE is fine */
    if (rc < 0 && e.sys_errno != EPIPE)
        return error_set(err, e.sys_errno, "%s: write the server name", what);
    for (;;) {
        struct pollfd pfd = {out_fd, POLLIN, 0};
        char chunk[4096];
        double left = deadline - log_now_ms();
        ssize_t r;
        if (left <= 0)
            return error_set(err, 0, "%s: no answer after %d s", what,
                             CREDENTIALS_HELPER_TIMEOUT_MS / 1000);
        if (poll(&pfd, 1, (int)left) < 0) {
            if (errno == EINTR)
                continue;
            return error_set(err, errno, "%s: poll", what);
        }
        r = read(out_fd, chunk, sizeof(chunk));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return error_set(err, errno, "%s: read its answer", what);
        if (r == 0)
            return 0;
        if (out->len + (size_t)r > CREDENTIALS_HELPER_OUT_MAX)
            return error_set(err, 0, "%s: answer larger than %u bytes", what,
                             CREDENTIALS_HELPER_OUT_MAX);
        buf_add(out, chunk, (size_t)r);
    }
}

/* Starts path with stdin and stdout on pipes; returns the pid or -1. */
static pid_t
credentials_spawn(const char *path, int *in_fd, int *out_fd, const char *what, struct error *err)
{
    int in[2], out[2], rc;
    char *argv[] = {(char *)path, (char *)"get", NULL};
    posix_spawn_file_actions_t fa;
    pid_t pid;

    if (pipe2(in, O_CLOEXEC) < 0)
        return error_set(err, errno, "%s: pipe", what);
    if (pipe2(out, O_CLOEXEC) < 0) {
        close(in[0]);
        close(in[1]);
        return error_set(err, errno, "%s: pipe", what);
    }
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    rc = posix_spawn(&pid, path, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(in[0]);
    close(out[1]);
    if (rc != 0) {
        close(in[1]);
        close(out[0]);
        return error_set(err, rc, "%s: cannot run it", what);
    }
    *in_fd = in[1];
    *out_fd = out[0];
    return pid;
}

static int
credentials_helper_answer(const struct buf *b, const char *what, struct credentials *out,
                          struct error *err)
{
    cleanup_cjson cJSON *j = cJSON_ParseWithLength(buf_cstr(b), b->len);
    const cJSON *u = cJSON_GetObjectItemCaseSensitive(j, "Username");
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(j, "Secret");

    if (!cJSON_IsString(u) || !cJSON_IsString(s))
        return error_set(err, 0, "%s: the answer is not {\"Username\":..., \"Secret\":...}", what);
    /* docker-credential-helpers: "<token>" means Secret is an identity (refresh) token */
    if (!strcmp(u->valuestring, "<token>"))
        return error_set(err, 0, "%s: identity tokens are not supported; store a password", what);
    out->user = xstrdup(u->valuestring);
    out->pass = xstrdup(s->valuestring);
    snprintf(out->source, sizeof(out->source), "%s", what);
    return 0;
}

int
credentials_helper_get(const char *name, const char *server, struct credentials *out,
                       struct error *err)
{
    cleanup_buf struct buf ans = BUF_INIT;
    cleanup_free char *path = NULL;
    char what[200];
    int in_fd = -1, out_fd = -1, status = 0, rc;
    pid_t pid;

    snprintf(what, sizeof(what), "docker-credential-%.100s", name);
    if (!credentials_helper_name_ok(name))
        return error_input(err, "credential helper \"%s\": not a valid helper name", name);
    if (!(path = credentials_helper_path(name)))
        return error_set(err, 0, "credential helper %s is not on $PATH", what);
    if ((pid = credentials_spawn(path, &in_fd, &out_fd, what, err)) < 0)
        return -1;
    rc = credentials_helper_talk(&in_fd, out_fd, server, &ans, what, err);
    if (in_fd >= 0)
        close(in_fd);
    close(out_fd);
    if (rc < 0)
        kill(pid, SIGKILL);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (rc < 0)
        return -1;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        /* docker-credential-helpers' ErrCredentialsNotFound text */
        if (strstr(buf_cstr(&ans), "credentials not found"))
            return 1;
        return error_set(
            err, 0, "%s get failed (%s %d): %.200s", what, WIFEXITED(status) ? "exit" : "signal",
            WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), buf_cstr(&ans));
    }
    return credentials_helper_answer(&ans, what, out, err);
}

/* ---- files ---- */

int
credentials_from_file(const char *path, const char *host, const char *repo, struct credentials *out,
                      struct error *err)
{
    cleanup_buf struct buf b = BUF_INIT;
    cleanup_cjson cJSON *j = NULL;
    const cJSON *helpers, *h, *store;
    int rc;

    memset(out, 0, sizeof(*out));
    if (!fs_exists(AT_FDCWD, path))
        return 1;
    if (fs_read_file_max(AT_FDCWD, path, CREDENTIALS_FILE_MAX, &b, err) < 0)
        return -1;
    if (!(j = json_parse(buf_cstr(&b), b.len, path, err)))
        return -1;
    helpers = cJSON_GetObjectItemCaseSensitive(j, "credHelpers");
    h = cJSON_GetObjectItemCaseSensitive(helpers, host);
    if (cJSON_IsString(h)) {
        rc = credentials_helper_get(h->valuestring, host, out, err);
        return rc < 0 ? error_wrap(err, "%s: credHelpers[\"%s\"]", path, host) : rc;
    }
    rc = registry_auth_lookup(buf_cstr(&b), b.len, host, repo, &out->user, &out->pass, err);
    if (rc < 0)
        return error_wrap(err, "%s", path);
    if (rc == 0) {
        snprintf(out->source, sizeof(out->source), "%s", path);
        return 0;
    }
    store = cJSON_GetObjectItemCaseSensitive(j, "credsStore");
    if (cJSON_IsString(store) && *store->valuestring) {
        rc = credentials_helper_get(store->valuestring, host, out, err);
        return rc < 0 ? error_wrap(err, "%s: credsStore", path) : rc;
    }
    return 1;
}

int
credentials_find(const char *authfile, const struct strvec *helpers, const char *host,
                 const char *repo, struct credentials *out, struct error *err)
{
    cleanup_strvec struct strvec files = STRVEC_INIT;
    size_t h, i, nh = helpers && helpers->n ? helpers->n : 1;

    memset(out, 0, sizeof(*out));
    credentials_read_paths(authfile, &files);
    /* containers-registries.conf(5), credential-helpers: tried in order */
    for (h = 0; h < nh; h++) {
        const char *name = helpers && helpers->n ? helpers->v[h] : CREDENTIALS_DEFAULT_FILES;
        int rc = 1;
        if (strcmp(name, CREDENTIALS_DEFAULT_FILES) != 0) {
            rc = credentials_helper_get(name, host, out, err);
            if (rc < 0)
                return error_wrap(err, "registries.conf credential-helpers");
        }
        for (i = 0; rc == 1 && !strcmp(name, CREDENTIALS_DEFAULT_FILES) && i < files.n; i++)
            rc = credentials_from_file(files.v[i], host, repo, out, err);
        if (rc <= 0)
            return rc;
    }
    return 1;
}

/* ---- writing ---- */

static cJSON *
credentials_load_doc(const char *path, struct error *err)
{
    cleanup_buf struct buf b = BUF_INIT;
    cJSON *j;

    if (!fs_exists(AT_FDCWD, path))
        return cJSON_CreateObject();
    if (fs_read_file_max(AT_FDCWD, path, CREDENTIALS_FILE_MAX, &b, err) < 0)
        return NULL;
    if (!(j = json_parse(buf_cstr(&b), b.len, path, err)))
        return NULL;
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        error_input(err, "%s: not a JSON object", path);
        return NULL;
    }
    return j;
}

/* Writes doc to path through a 0600 tmp file and a rename. */
static int
credentials_write_doc(const char *path, const cJSON *doc, struct error *err)
{
    cleanup_free char *text = json_print(doc);
    cleanup_free char *dir = xstrdup(path);
    cleanup_free char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
    char *slash = strrchr(dir, '/');
    cleanup_close int fd = -1;

    if (slash && slash != dir) {
        *slash = '\0';
        if (fs_mkdir_p(AT_FDCWD, dir, 0700, err) < 0)
            return error_wrap(err, "credentials directory");
    }
    unlink(tmp);
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return error_set(err, errno, "create %s", tmp);
    if (fchmod(fd, 0600) < 0 || fs_write_all(fd, text, strlen(text), err) < 0 || fsync(fd) < 0) {
        if (!err->msg[0])
            error_set(err, errno, "write %s", tmp);
        unlink(tmp);
        return -1;
    }
    if (rename(tmp, path) < 0) {
        int e = errno;
        unlink(tmp);
        return error_set(err, e, "rename %s", path);
    }
    return 0;
}

int
credentials_save(const char *path, const char *key, const char *user, const char *pass,
                 struct error *err)
{
    cleanup_cjson cJSON *doc = credentials_load_doc(path, err);
    cleanup_free char *up = NULL, *b64 = NULL;
    cJSON *auths, *entry;

    if (!doc)
        return -1;
    auths = cJSON_GetObjectItemCaseSensitive(doc, "auths");
    if (!cJSON_IsObject(auths)) {
        cJSON_DeleteItemFromObjectCaseSensitive(doc, "auths");
        auths = json_add_object(doc, "auths");
    }
    cJSON_DeleteItemFromObjectCaseSensitive(auths, key);
    entry = json_add_object(auths, key);
    up = xasprintf("%s:%s", user, pass);
    b64 = registry_auth_b64(up, strlen(up));
    memset(up, 0, strlen(up));
    cJSON_AddStringToObject(entry, "auth", b64);
    return credentials_write_doc(path, doc, err);
}

int
credentials_remove(const char *path, const char *key, struct error *err)
{
    cleanup_cjson cJSON *doc = NULL;
    cJSON *auths;

    if (!fs_exists(AT_FDCWD, path))
        return 1;
    if (!(doc = credentials_load_doc(path, err)))
        return -1;
    auths = cJSON_GetObjectItemCaseSensitive(doc, "auths");
    if (!cJSON_GetObjectItemCaseSensitive(auths, key))
        return 1;
    cJSON_DeleteItemFromObjectCaseSensitive(auths, key);
    return credentials_write_doc(path, doc, err);
}
