#ifndef STRATA_FORMATS_CORE_STRVEC_H
#define STRATA_FORMATS_CORE_STRVEC_H

/*
 * A growable NULL-terminated array of owned strings (like git's strvec).
 * A zeroed struct is empty: `struct strvec v = STRVEC_INIT;`; v.v is NULL
 * until the first push, use strvec_argv() for an always-valid array.
 */

#include <stddef.h>

struct strvec {
    char **v;
    size_t n;
    size_t alloc;
};

#define STRVEC_INIT                                                                                \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

void strvec_init(struct strvec *sv);
/* Frees every string and the array; sv becomes empty. Accepts a zeroed strvec. */
void strvec_release(struct strvec *sv);
/* Appends a copy of s. */
void strvec_push(struct strvec *sv, const char *s);
/* Appends s, taking ownership. */
void strvec_push_owned(struct strvec *sv, char *s);
void strvec_pushf(struct strvec *sv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Returns a NULL-terminated array (never NULL itself). */
char **strvec_argv(struct strvec *sv);
/* Copies every string of src onto the end of dst. */
void strvec_copy(struct strvec *dst, const struct strvec *src);

/*
 * For "KEY=VALUE" lists: returns the value of key or NULL. strvec_setenv
 * replaces an existing KEY= entry in place or appends one.
 */
const char *strvec_getenv(const struct strvec *sv, const char *key);
void strvec_setenv(struct strvec *sv, const char *key, const char *value);

static inline void
strvec_cleanup(struct strvec *sv)
{
    strvec_release(sv);
}
#define cleanup_strvec __attribute__((cleanup(strvec_cleanup)))

#endif
