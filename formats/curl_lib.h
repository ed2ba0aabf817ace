#ifndef STRATA_FORMATS_CURL_LIB_H
#define STRATA_FORMATS_CURL_LIB_H

/* libcurl, loaded the first time strata talks to a server (a registry, ADD <url>).
 *
 * strata links libcurl at run time with dlopen(3) rather than at start: libcurl.so.4 brings 32
 * more shared libraries (Kerberos, LDAP, GnuTLS, libssh2, ...), and loading and relocating them
 * took 4.7 ms of every command's 8.4 ms start, a third of a cached build, though most commands
 * never open a connection. The header is still curl's own, so the types and constants are checked
 * at compile time against the version the binary was built with; the soname libcurl.so.4 has
 * kept that ABI since 2006. */

#include <curl/curl.h>
#include <time.h>

#include "formats/core/error.h"

struct curl_lib {
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *curl, CURLoption option, ...);
    CURLcode (*easy_perform)(CURL *curl);
    CURLcode (*easy_getinfo)(CURL *curl, CURLINFO info, ...);
    void (*easy_reset)(CURL *curl);
    void (*easy_cleanup)(CURL *curl);
    const char *(*easy_strerror)(CURLcode code);
    time_t (*getdate)(const char *date, const time_t *unused);
    struct curl_slist *(*slist_append)(struct curl_slist *list, const char *line);
    void (*slist_free_all)(struct curl_slist *list);
};

/* The loaded library, initialised (curl_global_init) once per process, whatever the thread;
 * NULL with err set when libcurl.so.4 cannot be loaded or lacks a function. The answer is
 * kept: a later call returns the same table, or fails the same way. */
const struct curl_lib *curl_lib(struct error *err);

#endif
