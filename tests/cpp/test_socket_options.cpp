// Socket hygiene, checked on the process's own descriptors: every socket
// mnet opens (listener, client, accepted, UDP) is close-on-exec, and TCP
// connections have TCP_NODELAY on, on both ends. And writing to a peer that
// has gone never raises SIGPIPE (the signal is left at its default action,
// which would kill this process): the writer gets DISCONNECT instead.
#include <dirent.h>
#include <signal.h>

#include <cerrno>
#include <set>

#include "raw_socket.hpp"

using mnet::Chann;
using mnet::ChannDispatcher;

namespace {

struct Sockets {
    int total = 0, cloexec = 0, tcpConnected = 0, nodelay = 0;
};

// Sockets the process had before the test (inherited ones) are not mnet's.
std::set<int> g_before;

Sockets scan(bool record = false) {
    Sockets s;
    DIR *d = opendir("/proc/self/fd");
    CHECK(d != nullptr);
    while (dirent *e = readdir(d)) {
        int fd = std::atoi(e->d_name);
        if (e->d_name[0] == '.' || fd == dirfd(d)) continue;
        int type = 0;
        socklen_t len = sizeof type;
        if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0) continue;  // not a socket
        if (record) g_before.insert(fd);
        if (g_before.count(fd)) continue;
        ++s.total;
        if (fcntl(fd, F_GETFD) & FD_CLOEXEC) ++s.cloexec;
        sockaddr_storage peer{};
        socklen_t plen = sizeof peer;
        if (type == SOCK_STREAM && getpeername(fd, reinterpret_cast<sockaddr *>(&peer), &plen) == 0) {
            ++s.tcpConnected;
            int on = 0;
            socklen_t olen = sizeof on;
            if (getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, &olen) == 0 && on) ++s.nodelay;
        }
    }
    closedir(d);
    return s;
}

}  // namespace

int main() {
    struct sigaction sa {};
    CHECK_EQ(sigaction(SIGPIPE, nullptr, &sa), 0);
    CHECK(sa.sa_handler == SIG_DFL);
    scan(true);

    Chann listener("tcp");
    CHECK(listener.channListen("127.0.0.1:0"));
    Chann *server = nullptr;
    int disconnects = 0, err = -1;
    listener.setEventHandler([&](Chann *, Chann *accept, chann_event_t, int) {
        server = accept;
        server->setEventHandler([&](Chann *, Chann *, chann_event_t event, int e) {
            if (event == CHANN_EVENT_DISCONNECT) {
                ++disconnects;
                err = e;
            }
        });
    });
    Chann udp("udp");
    CHECK(udp.channListen("[::1]:0"));
    Chann client("tcp");
    CHECK(client.channConnect(listener.myAddr().addrString));
    POLL_UNTIL(client.isConnected() && server != nullptr, 10);

    Sockets s = scan();
    CHECK_EQ(s.total, 4);
    CHECK_EQ(s.cloexec, 4);
    PASS("listener, client, accepted and UDP sockets: all 4 close-on-exec");
    CHECK_EQ(s.tcpConnected, 2);
    CHECK_EQ(s.nodelay, 2);
    PASS("TCP_NODELAY on both ends of a connection");

    // The peer closes; the first write after that draws a reset, the next
    // one meets EPIPE, which raises SIGPIPE unless the send says not to.
    client.channDisconnect();
    std::string block(64 * 1024, 'x');
    int writes = 0;
    while (server->channSend(block.data(), static_cast<int>(block.size())) != -1) {
        CHECK_LT(++writes, 100);
    }
    std::cout << "   write " << writes + 1 << " after the peer closed: " << server->lastError() << std::endl;
    CHECK(!server->isConnected());
    CHECK_EQ(sigaction(SIGPIPE, nullptr, &sa), 0);
    CHECK(sa.sa_handler == SIG_DFL);
    CHECK_CONTAINS(server->lastError(), "Broken pipe");
    POLL_UNTIL(disconnects == 1, 10);
    CHECK_EQ(err, EPIPE);
    PASS("writing to a closed peer: -1 with EPIPE, no SIGPIPE (default action kept), one DISCONNECT err EPIPE");
    delete server;
    return 0;
}
