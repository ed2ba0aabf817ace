#ifndef STRATA_FORMATS_CORE_MEM_H
#define STRATA_FORMATS_CORE_MEM_H

/*
 * Allocation that never returns NULL (OOM aborts), scope-bound cleanup
 * helpers and ownership transfer. The cleanup attributes are GCC/Clang
 * extensions that work under -std=c11.
 */

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Returns a newly allocated formatted string. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Grows *arr (of *alloc elements of size elem) so that it holds at least need elements. */
void *xgrow(void *arr, size_t elem, size_t need, size_t *alloc);

/* Aborts the process after printing where a broken invariant was found. */
#define BUG(msg) mem_bug(__FILE__, __LINE__, (msg))
__attribute__((noreturn)) void mem_bug(const char *file, int line, const char *msg);

static inline void
mem_free_ptr(void *p)
{
    free(*(void **)p);
}

static inline void
mem_close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
}

static inline void
mem_fclose(FILE **f)
{
    if (*f)
        fclose(*f);
}

static inline void
mem_closedir(DIR **d)
{
    if (*d)
        closedir(*d);
}

#define cleanup_free __attribute__((cleanup(mem_free_ptr)))
#define cleanup_close __attribute__((cleanup(mem_close_fd)))
#define cleanup_fclose __attribute__((cleanup(mem_fclose)))
#define cleanup_closedir __attribute__((cleanup(mem_closedir)))

static inline void *
mem_steal_ptr(void *pp)
{
    void **p = pp;
    void *v = *p;
    *p = NULL;
    return v;
}

static inline int
mem_steal_fd(int *fd)
{
    int v = *fd;
    *fd = -1;
    return v;
}

#define steal_ptr(pp) mem_steal_ptr(pp)
#define steal_fd(pfd) mem_steal_fd(pfd)

#endif
