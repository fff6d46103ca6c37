// Faults from C++, each with a bystander connection that must keep echoing:
//   (1) a peer resets (SO_LINGER 0) while the server streams to it: one
//       DISCONNECT with ECONNRESET, nothing else, the queue dropped;
//   (2) 2,000 connections opened and dropped at once: 2,000 ACCEPTs and
//       2,000 DISCONNECTs (err 0), every accepted Chann deleted in its own
//       handler, and the channel count back where it started (skipped, with
//       a line saying so, when the hard descriptor limit cannot hold both
//       ends of 2,000 connections).
#include <cerrno>
#include <vector>

#include "fd_limit.hpp"
#include "raw_socket.hpp"

using mnet::Chann;
using mnet::ChannDispatcher;

namespace {

// A server-side connection: echoes, counts how it ended, deletes itself.
struct Conn : Chann {
    static int disconnects, lastErr, otherEvents, withError;
    explicit Conn(Chann *accepted) : Chann(accepted) {}
    void defaultEventHandler(Chann *, chann_event_t event, int err) override {
        if (event == CHANN_EVENT_RECV) {
            char buf[4096];
            int n = channRecv(buf, sizeof buf);
            if (n > 0) channSend(buf, n);
        } else if (event == CHANN_EVENT_DISCONNECT) {
            ++disconnects;
            lastErr = err;
            if (err != 0) ++withError;
            delete this;
        } else {
            ++otherEvents;
        }
    }
};
int Conn::disconnects = 0;
int Conn::lastErr = -1;
int Conn::otherEvents = 0;
int Conn::withError = 0;

void bystanderEchoes(int fd) {
    raw::sendAll(fd, "ping");
    char b[4];
    size_t got = 0;
    const int64_t end = check::deadlineIn(10);
    while (got < sizeof b) {
        CHECK(check::before(end));
        ChannDispatcher::pollEvent(10);
        ssize_t n = recv(fd, b + got, sizeof b - got, MSG_DONTWAIT);
        if (n > 0) got += static_cast<size_t>(n);
    }
    CHECK_EQ(std::string(b, 4), "ping");
}

}  // namespace

int main() {
    Chann listener("tcp");
    CHECK(listener.channListen("127.0.0.1:0", 4096));
    const int port = listener.myAddr().addr.port;
    std::vector<Conn *> accepted;
    listener.setEventHandler([&](Chann *, Chann *accept, chann_event_t event, int) {
        if (event == CHANN_EVENT_ACCEPT) {
            accepted.push_back(new Conn(accept));
            delete accept;
        }
    });

    int bystander = raw::connectTo(port);
    POLL_UNTIL(accepted.size() == 1, 10);
    bystanderEchoes(bystander);
    const int baseCount = ChannDispatcher::channCount();

    {  // (1) a reset while the server streams
        int peer = raw::connectTo(port);
        POLL_UNTIL(accepted.size() == 2, 10);
        Conn *srv = accepted.back();
        std::string chunk(256 * 1024, 'x');
        for (int i = 0; i < 128; i++) CHECK_EQ(srv->channSend(chunk.data(), static_cast<int>(chunk.size())), 256 * 1024);
        CHECK_GT(srv->dataCached(), 0);
        char b[1024];
        CHECK_GT(recv(peer, b, sizeof b, 0), 0);
        linger lg{1, 0};
        CHECK_EQ(setsockopt(peer, SOL_SOCKET, SO_LINGER, &lg, sizeof lg), 0);
        close(peer);
        POLL_UNTIL(Conn::disconnects == 1, 10);
        for (int i = 0; i < 5; i++) ChannDispatcher::pollEvent(0);
        CHECK_EQ(Conn::disconnects, 1);
        CHECK_EQ(Conn::lastErr, ECONNRESET);
        CHECK_EQ(Conn::otherEvents, 0);
        CHECK_EQ(ChannDispatcher::channCount(), baseCount);
        bystanderEchoes(bystander);
        PASS("a reset mid-transfer: one DISCONNECT with ECONNRESET, nothing else, the bystander still echoes");
    }
    // (2) 2,000 connections at once, then all dropped: both ends of each are
    // in this process.
    if (fdlimit::raise(static_cast<rlim_t>(fdlimit::openFds() + 2 * 2000 + 64), "2,000 connections at once")) {
        const size_t before = accepted.size();
        std::vector<int> fds;
        for (int i = 0; i < 2000; i++) fds.push_back(raw::connectTo(port));
        POLL_UNTIL(accepted.size() == before + 2000, 20);
        for (int fd : fds) close(fd);
        POLL_UNTIL(Conn::disconnects == 2001, 20);
        for (int i = 0; i < 5; i++) ChannDispatcher::pollEvent(0);
        CHECK_EQ(Conn::disconnects, 2001);
        CHECK_EQ(Conn::withError, 1);  // only the reset of (1): these 2,000 closed cleanly
        CHECK_EQ(ChannDispatcher::channCount(), baseCount);
        bystanderEchoes(bystander);
        PASS("2,000 connections opened and dropped at once: 2,000 ACCEPTs, 2,000 clean DISCONNECTs, none left over");
    }
    const int beforeLast = Conn::disconnects;
    close(bystander);
    POLL_UNTIL(Conn::disconnects == beforeLast + 1, 10);
    return 0;
}
