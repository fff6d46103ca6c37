// channActiveEvent(CHANN_EVENT_RECV, 0) pauses reading: no RECV while data
// waits, rounds after rounds, and not a byte taken from the socket, so the
// kernel's window closes and the peer is held back; channRecv still reads on
// demand; resuming raises RECV at once for what arrived meanwhile, and every
// byte the peer wrote arrives, in order.
#include <vector>

#include "raw_socket.hpp"

using mnet::Chann;
using mnet::ChannDispatcher;

namespace {

// The stream's pattern: the byte at offset `o`.
char patternAt(size_t o) { return static_cast<char>(o % 251); }

// Writes the pattern from stream offset `from` on the non-blocking `fd`
// until its kernel refuses more; returns how many bytes it took.
size_t writeUntilBlocked(int fd, size_t from) {
    std::vector<char> chunk(64 * 1024);
    size_t sent = 0;
    for (;;) {
        for (size_t i = 0; i < chunk.size(); i++) chunk[i] = patternAt(from + sent + i);
        ssize_t n = send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return sent;
        if (n <= 0) check::fail(__FILE__, __LINE__, std::string("send: ") + std::strerror(errno));
        sent += static_cast<size_t>(n);
    }
}

}  // namespace

int main() {
    int listener = raw::bound(true);
    Chann c("tcp");
    int recvs = 0;
    bool drain = false;
    std::string got;
    c.setEventHandler([&](Chann *self, Chann *, chann_event_t event, int) {
        if (event == CHANN_EVENT_CONNECTED) return;
        CHECK_EQ(event, CHANN_EVENT_RECV);
        ++recvs;
        if (!drain) return;  // reads nothing: level-style RECV repeats
        char buf[65536];
        int n = self->channRecv(buf, sizeof buf);
        CHECK_GE(n, 0);
        got.append(buf, static_cast<size_t>(n));
    });
    CHECK(c.channConnect("127.0.0.1:" + std::to_string(raw::portOf(listener))));
    POLL_UNTIL(c.isConnected(), 10);
    int peer = raw::acceptOne(listener);
    CHECK_EQ(fcntl(peer, F_SETFL, fcntl(peer, F_GETFL) | O_NONBLOCK), 0);

    c.channActiveEvent(CHANN_EVENT_RECV, 0);
    CHECK_EQ(c.lastError(), "");
    // The peer writes until its kernel takes nothing more, over and over,
    // with rounds in between, until a pass where it could write nothing at
    // all: the loop read nothing in those rounds. A loop that kept reading
    // would take bytes for ever (bounded here at 256 MiB).
    size_t sent = 0;
    for (size_t pass = writeUntilBlocked(peer, 0); pass > 0; pass = writeUntilBlocked(peer, sent)) {
        sent += pass;
        CHECK_LT(sent, size_t{256} << 20);
        for (int i = 0; i < 20; i++) CHECK_GE(ChannDispatcher::pollEvent(1), 0);
        CHECK_EQ(recvs, 0);
    }
    CHECK_GT(sent, 0u);
    CHECK_EQ(recvs, 0);
    CHECK_EQ(c.bytesReceived(), 0);
    PASS("paused: no RECV over rounds with " + std::to_string(sent) +
         " bytes waiting, not a byte read, and the peer is held back");

    char buf[16];
    CHECK_EQ(c.channRecv(buf, 2), 2);
    CHECK_EQ(buf[0], patternAt(0));
    CHECK_EQ(buf[1], patternAt(1));
    CHECK_EQ(c.bytesReceived(), 2);
    PASS("channRecv reads while paused: the first 2 bytes of the stream");

    c.channActiveEvent(CHANN_EVENT_RECV, 1);
    CHECK_GE(ChannDispatcher::pollEvent(0), 0);
    CHECK_EQ(recvs, 1);
    CHECK_GE(ChannDispatcher::pollEvent(0), 0);
    CHECK_EQ(recvs, 2);  // still unread: RECV again next round
    PASS("resumed: RECV in the very next round, and again while data is left");

    drain = true;
    POLL_UNTIL(got.size() == sent - 2, 30);
    for (size_t i = 0; i < got.size(); i++) {
        if (got[i] != patternAt(i + 2)) check::fail(__FILE__, __LINE__, "wrong byte at offset " + std::to_string(i + 2));
    }
    CHECK_EQ(c.bytesReceived(), static_cast<int64_t>(sent));
    PASS("every one of the " + std::to_string(sent) + " bytes arrived, in order, after resuming");
    close(peer);
    close(listener);
    return 0;
}
