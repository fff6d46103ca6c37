// Runs the chann_web example as a child process for black-box tests, and
// reads and checks what it sends. Shared by test_chann_web and
// test_chann_web_abuse.
#pragma once

#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <vector>

#include "raw_socket.hpp"

namespace webproc {

inline pid_t g_server = -1;
inline std::string g_bodyPath;

inline void stopServer() {
    if (g_server > 0) {
        kill(g_server, SIGTERM);
        waitpid(g_server, nullptr, 0);
        g_server = -1;
    }
    if (!g_bodyPath.empty()) unlink(g_bodyPath.c_str());
}

// Starts chann_web and returns the port it reports on stdout.
inline int startServer(const char *path) {
    int out[2];
    CHECK_EQ(pipe2(out, O_CLOEXEC), 0);
    g_server = fork();
    CHECK_GE(g_server, 0);
    if (g_server == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive a killed test
        dup2(out[1], STDOUT_FILENO);
        execl(path, path, "127.0.0.1:0", g_bodyPath.c_str(), static_cast<char *>(nullptr));
        std::perror("exec chann_web");
        _exit(127);
    }
    close(out[1]);
    std::string said;
    const std::string marker = "listening on 127.0.0.1:";
    const int64_t end = check::deadlineIn(20);
    size_t at;
    while ((at = said.find(marker)) == std::string::npos || said.find(',', at) == std::string::npos) {
        CHECK(check::before(end));
        pollfd p{out[0], POLLIN, 0};
        if (poll(&p, 1, 100) <= 0) continue;
        char buf[256];
        ssize_t n = read(out[0], buf, sizeof buf);
        if (n <= 0) check::fail(__FILE__, __LINE__, "chann_web exited early; it said: " + check::show(said));
        said.append(buf, static_cast<size_t>(n));
    }
    close(out[0]);
    std::cout << "chann_web said: " << said.substr(0, said.find('\n')) << std::endl;
    return std::atoi(said.c_str() + at + marker.size());
}

// Reads exactly `n` bytes (the peer's SO_RCVTIMEO bounds each wait).
inline std::string readExactly(int fd, size_t n) {
    std::string got;
    std::string buf(65536, '\0');
    const int64_t end = check::deadlineIn(20);
    while (got.size() < n) {
        CHECK(check::before(end));
        ssize_t r = recv(fd, &buf[0], std::min(buf.size(), n - got.size()), 0);
        if (r <= 0) {
            check::fail(__FILE__, __LINE__, "connection ended after " + std::to_string(got.size()) + " of " +
                                                std::to_string(n) + " bytes");
        }
        got.append(buf, 0, static_cast<size_t>(r));
    }
    return got;
}

// Half-closes `fd` and checks that the server sends nothing more and closes.
inline void expectNothingMore(int fd) {
    CHECK_EQ(shutdown(fd, SHUT_WR), 0);
    char b[4096];
    ssize_t r = recv(fd, b, sizeof b, 0);
    if (r > 0) check::fail(__FILE__, __LINE__, "extra bytes after the expected responses: " +
                                                  check::show(std::string(b, static_cast<size_t>(r))));
    CHECK_EQ(r, 0);
    close(fd);
}

}  // namespace webproc
