#ifndef STRATA_FORMATS_CORE_ERROR_H
#define STRATA_FORMATS_CORE_ERROR_H

/*
 * A fixed-size error object owned by the caller.
 *
 * Functions that can fail take `struct error *err` as their last argument and
 * return -1 (or NULL) after filling it. Nothing is allocated on the failure
 * path, so the object can be copied as plain bytes (the sandbox sends it
 * through a pipe). Messages are lower-case, without a final period; the
 * strerror text of sys_errno is appended only when printing.
 */

#define ERROR_MSG_LEN 1024

/*
 * What kind of failure it was, for callers that act on it (never found by
 * searching the message text). Most errors are ERROR_GENERIC.
 */
enum error_kind {
    ERROR_GENERIC = 0,
    ERROR_NOT_FOUND,    /* the object asked for does not exist (e.g. a registry 404) */
    ERROR_UNAUTHORIZED, /* credentials are missing or refused */
    ERROR_PROTOCOL,     /* the peer answered, but not as the protocol says it should */
};

struct error {
    int exit_code;        /* 1 runtime failure, 2 bad usage or bad input */
    int sys_errno;        /* errno that caused it, or 0 */
    enum error_kind kind; /* set with error_kind(); error_set/error_input reset it */
    char msg[ERROR_MSG_LEN];
};

/* Clears err to "no error". */
void error_init(struct error *err);

/* Records a runtime failure (exit code 1) with an optional errno. Returns -1. */
int error_set(struct error *err, int sys_errno, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Records a bad-input failure (exit code 2). Returns -1. */
int error_input(struct error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Marks the error already in err as being of kind k. Returns -1. */
int error_kind(struct error *err, enum error_kind k);

/* Prepends "ctx: " to the message already in err, keeping code, kind and errno. Returns -1. */
int error_wrap(struct error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Formats the message for the user into out (size n): msg, then ": strerror"
 * when sys_errno is set.
 */
void error_format(const struct error *err, char *out, unsigned long n);

#endif
