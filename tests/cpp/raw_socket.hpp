// Plain POSIX sockets for the far end of a test, where the test must control
// exactly when bytes are read or written (mnet is what is under test, so it
// is not used to check itself). IPv4 loopback only; every call checks.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "check.hpp"

namespace raw {

inline sockaddr_in loopback(int port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

inline int portOf(int fd) {
    sockaddr_in a{};
    socklen_t len = sizeof a;
    CHECK_EQ(getsockname(fd, reinterpret_cast<sockaddr *>(&a), &len), 0);
    return ntohs(a.sin_port);
}

// A TCP socket bound to 127.0.0.1 on a free port; listening when `listen`.
inline int bound(bool listening) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    CHECK_GE(fd, 0);
    sockaddr_in a = loopback(0);
    CHECK_EQ(bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof a), 0);
    if (listening) CHECK_EQ(listen(fd, 64), 0);
    return fd;
}

// Accepts one connection (blocking, the caller knows one is pending).
inline int acceptOne(int listener) {
    int fd = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    CHECK_GE(fd, 0);
    return fd;
}

// Blocking connect to 127.0.0.1:port, with receive and send timeouts so a
// test that waits for bytes that never come fails instead of hanging.
inline int connectTo(int port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    CHECK_GE(fd, 0);
    timeval tv{10, 0};
    CHECK_EQ(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
    CHECK_EQ(setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv), 0);
    int one = 1;
    CHECK_EQ(setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one), 0);
    sockaddr_in a = loopback(port);
    CHECK_EQ(connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof a), 0);
    return fd;
}

inline void sendAll(int fd, const std::string &data) {
    size_t off = 0;
    while (off < data.size()) {
        ssize_t n = send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) check::fail(__FILE__, __LINE__, std::string("send: ") + std::strerror(errno));
        off += static_cast<size_t>(n);
    }
}

// Bytes written to `fd` that its peer has not acknowledged yet (SIOCOUTQ).
// 0 means everything sent is in the peer's receive queue.
inline int unacked(int fd) {
    int n = -1;
    CHECK_EQ(ioctl(fd, SIOCOUTQ, &n), 0);
    return n;
}

// Waits (without running the event loop) until the peer of `fd` has every
// byte written to it, which makes the peer's socket readable.
inline void waitAcked(int fd) {
    const int64_t end = check::deadlineIn(10);
    while (unacked(fd) != 0) {
        if (!check::before(end)) check::fail(__FILE__, __LINE__, "peer never acknowledged the data");
    }
}

}  // namespace raw
