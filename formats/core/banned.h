#ifndef STRATA_FORMATS_CORE_BANNED_H
#define STRATA_FORMATS_CORE_BANNED_H

/*
 * Functions we never call: unbounded copies, static-buffer time helpers and
 * shell-outs. Every .c file includes this header last, after the system
 * headers have declared the real functions (make lint checks both): a call
 * then expands to sorry_<name>_is_a_banned_function, which nothing declares,
 * and fails to compile. Included before the system headers, the macros would
 * rewrite their declarations instead (strcpy's would declare a variable of
 * the banned name), and a call would compile with at most a warning.
 */

#define BANNED(func) sorry_##func##_is_a_banned_function

#undef strcpy
#define strcpy(x, y) BANNED(strcpy)
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) BANNED(strncpy)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef strtok
#define strtok(x, y) BANNED(strtok)
#undef gmtime
#define gmtime(t) BANNED(gmtime)
#undef localtime
#define localtime(t) BANNED(localtime)
#undef mktemp
#define mktemp(x) BANNED(mktemp)
#undef tmpnam
#define tmpnam(x) BANNED(tmpnam)
#undef system
#define system(x) BANNED(system)

#endif
