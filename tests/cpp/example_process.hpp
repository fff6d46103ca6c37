// Runs an example program as a child process for a black-box test: starts
// it with arguments, waits for the "listening on <addr>" line it prints,
// and stops it by its PID (SIGTERM, then waits) when the test exits.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "check.hpp"

namespace example {

inline pid_t &pid() {
    static pid_t p = -1;
    return p;
}

inline void stop() {
    if (pid() > 0) {
        kill(pid(), SIGTERM);
        waitpid(pid(), nullptr, 0);
        pid() = -1;
    }
}

// Starts `path args...` and returns the first line it prints that contains
// `marker` (a bound of 20 s: a program that never says it is a failure).
inline std::string start(const std::vector<std::string> &argv, const std::string &marker) {
    int out[2];
    CHECK_EQ(pipe2(out, O_CLOEXEC), 0);
    pid() = fork();
    CHECK_GE(pid(), 0);
    if (pid() == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive a killed test
        dup2(out[1], STDOUT_FILENO);
        std::vector<char *> args;
        for (const std::string &a : argv) args.push_back(const_cast<char *>(a.c_str()));
        args.push_back(nullptr);
        execv(args[0], args.data());
        std::perror("exec");
        _exit(127);
    }
    std::atexit(stop);
    close(out[1]);
    std::string said;
    const int64_t end = check::deadlineIn(20);
    size_t at;
    while ((at = said.find(marker)) == std::string::npos || said.find('\n', at) == std::string::npos) {
        CHECK(check::before(end));
        pollfd p{out[0], POLLIN, 0};
        if (poll(&p, 1, 100) <= 0) continue;
        char buf[256];
        ssize_t n = read(out[0], buf, sizeof buf);
        if (n <= 0) check::fail(__FILE__, __LINE__, argv[0] + " exited early; it said: " + check::show(said));
        said.append(buf, static_cast<size_t>(n));
    }
    close(out[0]);
    size_t begin = said.rfind('\n', at);
    begin = begin == std::string::npos ? 0 : begin + 1;
    std::string line = said.substr(begin, said.find('\n', at) - begin);
    std::cout << argv[0].substr(argv[0].rfind('/') + 1) << " said: " << line << std::endl;
    return line;
}

// The port in "... listening on 127.0.0.1:PORT ..." of `line`.
inline int portIn(const std::string &line) {
    const std::string marker = "listening on 127.0.0.1:";
    size_t at = line.find(marker);
    CHECK(at != std::string::npos);
    return std::atoi(line.c_str() + at + marker.size());
}

}  // namespace example
