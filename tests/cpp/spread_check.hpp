// The check shared by the multi-core example tests: many HTTP requests,
// each on a new connection, to a server of several workers that name
// themselves in an "X-Worker: N" header; every worker must answer some.
#pragma once

#include <map>

#include "raw_socket.hpp"

namespace spread {

// One GET on a new connection; returns the X-Worker number of the answer.
inline int oneRequest(int port) {
    int fd = raw::connectTo(port);
    raw::sendAll(fd, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    std::string got;
    char buf[4096];
    const int64_t end = check::deadlineIn(20);
    size_t headEnd;
    while ((headEnd = got.find("\r\n\r\n")) == std::string::npos) {
        CHECK(check::before(end));
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0) check::fail(__FILE__, __LINE__, "no complete response; got " + check::show(got));
        got.append(buf, static_cast<size_t>(n));
    }
    close(fd);
    CHECK_EQ(got.compare(0, 15, "HTTP/1.1 200 OK"), 0);
    size_t at = got.find("X-Worker: ");
    CHECK(at != std::string::npos && at < headEnd);
    return std::atoi(got.c_str() + at + 10);
}

// `requests` connections; checks every one of `workers` answered some.
inline void expectSpread(int port, int workers, int requests, const std::string &what) {
    std::map<int, int> perWorker;
    for (int i = 0; i < requests; ++i) ++perWorker[oneRequest(port)];
    std::string counts;
    int total = 0;
    for (const auto &w : perWorker) {
        CHECK_GE(w.first, 0);
        CHECK_LT(w.first, workers);
        counts += " " + std::to_string(w.first) + ":" + std::to_string(w.second);
        total += w.second;
    }
    CHECK_EQ(total, requests);
    CHECK_EQ(static_cast<int>(perWorker.size()), workers);
    PASS(what + ": " + std::to_string(requests) + " connections answered by every one of " +
         std::to_string(workers) + " workers (worker:count" + counts + ")");
}

}  // namespace spread
