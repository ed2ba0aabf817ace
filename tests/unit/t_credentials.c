/* Registry credentials: containers-auth.json(5) keys, writing, credential helpers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "formats/core/mem.h"
#include "formats/credentials.h"
#include "formats/registry_auth.h"
#include "tests/unit/harness.h"

#include "formats/core/banned.h"

/* "a:1", "b:2", "c:3" in base64 */
static const char scoped[] = "{\"auths\":{\"reg.io/team/app\":{\"auth\":\"YTox\"},"
                             "\"reg.io/team\":{\"auth\":\"Yjoy\"},"
                             "\"https://reg.io\":{\"auth\":\"Yzoz\"}}}";

static void
check_user(const char *repo, const char *want)
{
    struct error err;
    char *u = NULL, *p = NULL;

    error_init(&err);
    CHECK_INT(registry_auth_lookup(scoped, strlen(scoped), "reg.io", repo, &u, &p, &err), 0);
    CHECK_STR(u, want);
    free(u);
    free(p);
}

TEST(credentials_most_specific_key_wins)
{
    check_user("team/app", "a");
    check_user("team/other", "b");
    check_user("team", "b");
    check_user("else/app", "c");
    check_user(NULL, "c");
    check_user("team/app/sub", "a");
}

TEST(credentials_save_remove_keep_other_keys_and_mode)
{
    struct credentials c;
    struct error err;
    struct stat st;
    FILE *f = fopen("auth.json", "w");

    error_init(&err);
    CHECK(f != NULL);
    fputs("{\"auths\":{\"other.io\":{\"auth\":\"Yzoz\"}},\"credHelpers\":{}}", f);
    fclose(f);
    chmod("auth.json", 0644);
    CHECK_OK(credentials_save("auth.json", "reg.io:5000", "me", "p:w", &err), err);
    CHECK_INT(stat("auth.json", &st), 0);
    CHECK_INT(st.st_mode & 0777, 0600);
    CHECK_INT(credentials_from_file("auth.json", "reg.io:5000", "x/y", &c, &err), 0);
    CHECK_STR(c.user, "me");
    CHECK_STR(c.pass, "p:w");
    CHECK_STR(c.source, "auth.json");
    credentials_release(&c);
    CHECK_INT(credentials_from_file("auth.json", "other.io", NULL, &c, &err), 0);
    CHECK_STR(c.user, "c");
    credentials_release(&c);
    CHECK_INT(credentials_remove("auth.json", "reg.io:5000", &err), 0);
    CHECK_INT(credentials_remove("auth.json", "reg.io:5000", &err), 1);
    CHECK_INT(credentials_from_file("auth.json", "reg.io:5000", NULL, &c, &err), 1);
    CHECK_INT(credentials_from_file("auth.json", "other.io", NULL, &c, &err), 0);
    credentials_release(&c);
    /* a new file in a new directory */
    CHECK_OK(credentials_save("d/sub/auth.json", "reg.io", "u", "p", &err), err);
    CHECK_INT(stat("d/sub", &st), 0);
    CHECK_INT(st.st_mode & 0777, 0700);
}

static void
helper(const char *name, const char *body)
{
    char path[256];
    FILE *f;

    snprintf(path, sizeof(path), "%s/docker-credential-%s", harness_tmpdir(), name);
    f = fopen(path, "w");
    if (!f)
        return;
    fprintf(f, "#!/bin/sh\n%s\n", body);
    fclose(f);
    chmod(path, 0755);
}

TEST(credentials_helpers_answer_not_found_or_fail)
{
    struct credentials c;
    struct error err;
    char *old = xstrdup(getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
    char *path = xasprintf("%s:%s", harness_tmpdir(), old);

    setenv("PATH", path, 1);
    error_init(&err);
    helper("good", "read -r s; printf '{\"ServerURL\":\"%s\",\"Username\":\"u\",\"Secret\":\"s\"}' "
                   "\"$s\"");
    helper("none", "echo 'credentials not found in native keychain'; exit 1");
    helper("bad", "echo oops; exit 3");
    helper("junk", "cat >/dev/null; echo '[1]'");
    helper("token", "echo '{\"Username\":\"<token>\",\"Secret\":\"t\"}'");
    helper("noread", "echo '{\"Username\":\"u\",\"Secret\":\"s\"}'");
    CHECK_INT(credentials_helper_get("good", "reg.io", &c, &err), 0);
    CHECK_STR(c.user, "u");
    CHECK_STR(c.source, "docker-credential-good");
    credentials_release(&c);
    CHECK_INT(credentials_helper_get("noread", "reg.io", &c, &err), 0);
    credentials_release(&c);
    CHECK_INT(credentials_helper_get("none", "reg.io", &c, &err), 1);
    CHECK_FAIL(credentials_helper_get("bad", "reg.io", &c, &err), err, "get failed (exit 3): oops");
    CHECK_FAIL(credentials_helper_get("junk", "reg.io", &c, &err), err, "the answer is not");
    CHECK_FAIL(credentials_helper_get("token", "reg.io", &c, &err), err, "identity tokens");
    CHECK_FAIL(credentials_helper_get("missing", "reg.io", &c, &err), err, "is not on $PATH");
    CHECK_FAIL(credentials_helper_get("../x", "reg.io", &c, &err), err, "not a valid helper name");
    setenv("PATH", old, 1);
    free(old);
    free(path);
}
