/* Descriptor budgets for C tests that hold many sockets at once (the twin of
 * tests/cpp/fd_limit.hpp): count what is open, and raise the soft
 * RLIMIT_NOFILE to what a case needs, up to the hard limit. A default
 * `ulimit -n 1024` must never fail a test: a case that cannot get its
 * descriptors is skipped with a line that says how many it needs. */
#ifndef MNET_TEST_FD_LIMIT_H
#define MNET_TEST_FD_LIMIT_H

#include <dirent.h>
#include <sys/resource.h>

#include "check.h"

/* Descriptors this process has open now. */
static inline int fd_limit_open(void) {
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int n = 0;
    CHECK(d != NULL);
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] != '.') ++n;
    }
    closedir(d);
    return n - 1; /* the directory stream's own descriptor */
}

/* Raises the soft descriptor limit to at least `need`. Returns 0, after
 * printing "SKIPPED: <what> needs N descriptors ...", when the hard limit
 * is lower: the caller then skips `what`. Children forked later inherit the
 * raised limit. */
static inline int fd_limit_raise(rlim_t need, const char *what) {
    struct rlimit lim;
    CHECK_EQ(getrlimit(RLIMIT_NOFILE, &lim), 0);
    if (lim.rlim_cur >= need) return 1;
    if (lim.rlim_max < need) {
        printf("SKIPPED: %s needs %llu descriptors; the hard limit (ulimit -Hn) is %llu\n", what,
               (unsigned long long)need, (unsigned long long)lim.rlim_max);
        return 0;
    }
    lim.rlim_cur = need;
    CHECK_EQ(setrlimit(RLIMIT_NOFILE, &lim), 0);
    printf("raised the soft descriptor limit to %llu for %s\n", (unsigned long long)need, what);
    return 1;
}

#endif
