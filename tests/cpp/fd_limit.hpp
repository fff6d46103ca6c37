// Descriptor budgets for tests that hold many sockets at once (the C++ twin
// of tests/common/peer.rs): count what is open, and raise the soft
// RLIMIT_NOFILE to what a case needs, up to the hard limit. A default
// `ulimit -n 1024` must never fail a test: a case that cannot get its
// descriptors is skipped with a line that says how many it needs.
#pragma once

#include <dirent.h>
#include <sys/resource.h>

#include <string>

#include "check.hpp"

namespace fdlimit {

// Descriptors this process has open now.
inline int openFds() {
    DIR *d = opendir("/proc/self/fd");
    CHECK(d != nullptr);
    int n = 0;
    while (dirent *e = readdir(d)) {
        if (e->d_name[0] != '.') ++n;
    }
    closedir(d);
    return n - 1;  // the directory stream's own descriptor
}

// Raises the soft descriptor limit to at least `need`. Returns false, after
// printing "SKIPPED: <what> needs N descriptors ...", when the hard limit is
// lower: the caller then skips `what`. Children forked later inherit the
// raised limit (a server under test needs it as much as its clients).
inline bool raise(rlim_t need, const std::string &what) {
    rlimit lim{};
    CHECK_EQ(getrlimit(RLIMIT_NOFILE, &lim), 0);
    if (lim.rlim_cur >= need) return true;
    if (lim.rlim_max < need) {
        std::cout << "SKIPPED: " << what << " needs " << need << " descriptors; the hard limit (ulimit -Hn) is "
                  << lim.rlim_max << std::endl;
        return false;
    }
    lim.rlim_cur = need;
    CHECK_EQ(setrlimit(RLIMIT_NOFILE, &lim), 0);
    std::cout << "raised the soft descriptor limit to " << need << " for " << what << std::endl;
    return true;
}

}  // namespace fdlimit
