#include "formats/curl_lib.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "formats/core/banned.h"

#define CURL_LIB_SONAME "libcurl.so.4"

static const struct {
    const char *name;
    size_t offset;
} curl_lib_syms[] = {
    {"curl_easy_init", offsetof(struct curl_lib, easy_init)},
    {"curl_easy_setopt", offsetof(struct curl_lib, easy_setopt)},
    {"curl_easy_perform", offsetof(struct curl_lib, easy_perform)},
    {"curl_easy_getinfo", offsetof(struct curl_lib, easy_getinfo)},
    {"curl_easy_reset", offsetof(struct curl_lib, easy_reset)},
    {"curl_easy_cleanup", offsetof(struct curl_lib, easy_cleanup)},
    {"curl_easy_strerror", offsetof(struct curl_lib, easy_strerror)},
    {"curl_getdate", offsetof(struct curl_lib, getdate)},
    {"curl_slist_append", offsetof(struct curl_lib, slist_append)},
    {"curl_slist_free_all", offsetof(struct curl_lib, slist_free_all)},
};

static pthread_once_t curl_lib_once = PTHREAD_ONCE_INIT;
static struct curl_lib curl_lib_table;
static int curl_lib_ok;
static char curl_lib_why[256];

static void
curl_lib_load(void)
{
    CURLcode (*global_init)(long flags);
    void *h, *sym;
    const char *why;
    size_t i;

    /* RTLD_LOCAL: curl's symbols stay out of the global scope, so nothing else binds to them */
    h = dlopen(CURL_LIB_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        why = dlerror();
        snprintf(curl_lib_why, sizeof(curl_lib_why), "%s", why ? why : "not found");
        return;
    }
    for (i = 0; i < sizeof(curl_lib_syms) / sizeof(curl_lib_syms[0]); i++) {
        sym = dlsym(h, curl_lib_syms[i].name);
        if (!sym) {
            snprintf(curl_lib_why, sizeof(curl_lib_why), "%s has no %s", CURL_LIB_SONAME,
                     curl_lib_syms[i].name);
            return; /* the handle stays open: a half-loaded library is not unloaded under us */
        }
        /* POSIX (dlsym, XSH 2.12.3) guarantees that a function's address survives this */
        memcpy((char *)&curl_lib_table + curl_lib_syms[i].offset, &sym, sizeof(sym));
    }
    sym = dlsym(h, "curl_global_init");
    if (!sym) {
        snprintf(curl_lib_why, sizeof(curl_lib_why), "%s has no curl_global_init", CURL_LIB_SONAME);
        return;
    }
    memcpy(&global_init, &sym, sizeof(sym));
    /* once per process, here under pthread_once: curl_global_init(3) must not race itself */
    if (global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(curl_lib_why, sizeof(curl_lib_why), "curl_global_init failed");
        return;
    }
    curl_lib_ok = 1;
}

const struct curl_lib *
curl_lib(struct error *err)
{
    pthread_once(&curl_lib_once, curl_lib_load);
    if (!curl_lib_ok) {
        error_set(err, 0, "cannot load libcurl (%s), which strata needs to reach a server: %s",
                  CURL_LIB_SONAME, curl_lib_why);
        return NULL;
    }
    return &curl_lib_table;
}
