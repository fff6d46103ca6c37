// channActiveEvent(CHANN_EVENT_RECV, 0) pauses reading: no RECV while data
// waits, rounds after rounds; channRecv still reads on demand; resuming
// raises RECV at once for what arrived meanwhile, with nothing lost.
#include "raw_socket.hpp"

using mnet::Chann;
using mnet::ChannDispatcher;

int main() {
    int listener = raw::bound(true);
    Chann c("tcp");
    int recvs = 0;
    c.setEventHandler([&recvs](Chann *, Chann *, chann_event_t event, int) {
        if (event == CHANN_EVENT_RECV) ++recvs;  // reads nothing: level-style RECV repeats
    });
    CHECK(c.channConnect("127.0.0.1:" + std::to_string(raw::portOf(listener))));
    POLL_UNTIL(c.isConnected(), 10);
    int peer = raw::acceptOne(listener);

    c.channActiveEvent(CHANN_EVENT_RECV, 0);
    CHECK_EQ(c.lastError(), "");
    raw::sendAll(peer, "hello");
    raw::waitAcked(peer);
    for (int i = 0; i < 20; i++) CHECK_GE(ChannDispatcher::pollEvent(1), 0);
    CHECK_EQ(recvs, 0);
    PASS("paused: no RECV over 20 rounds with 5 bytes waiting");

    char buf[16];
    CHECK_EQ(c.channRecv(buf, 2), 2);
    CHECK_EQ(std::string(buf, 2), "he");
    PASS("channRecv reads while paused");

    c.channActiveEvent(CHANN_EVENT_RECV, 1);
    CHECK_GE(ChannDispatcher::pollEvent(0), 0);
    CHECK_EQ(recvs, 1);
    CHECK_GE(ChannDispatcher::pollEvent(0), 0);
    CHECK_EQ(recvs, 2);  // still unread: RECV again next round
    CHECK_EQ(c.channRecv(buf, sizeof buf), 3);
    CHECK_EQ(std::string(buf, 3), "llo");
    PASS("resumed: RECV in the very next round, again while data is left, and the rest of the bytes intact");
    close(peer);
    close(listener);
    return 0;
}
