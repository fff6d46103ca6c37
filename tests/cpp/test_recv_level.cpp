// RECV is level-style: a handler that reads only part of what waits gets
// RECV again in the next round, once per round, until all is read; then no
// more RECV until new data arrives.
#include "raw_socket.hpp"

using mnet::Chann;
using mnet::ChannDispatcher;

int main() {
    int listener = raw::bound(true);
    Chann c("tcp");
    int round = 0, recvs = 0, lastRound = -1;
    std::string got;
    c.setEventHandler([&](Chann *self, Chann *, chann_event_t event, int) {
        if (event != CHANN_EVENT_RECV) return;
        CHECK_NE(lastRound, round);  // once per round
        lastRound = round;
        ++recvs;
        char b[3];
        int n = self->channRecv(b, sizeof b);  // 3 bytes at a time
        CHECK_GT(n, 0);                        // RECV means there is something to read
        got.append(b, static_cast<size_t>(n));
    });
    CHECK(c.channConnect("127.0.0.1:" + std::to_string(raw::portOf(listener))));
    POLL_UNTIL(c.isConnected(), 10);
    int peer = raw::acceptOne(listener);

    std::string sent;
    for (int i = 0; i < 300; i++) sent += static_cast<char>('a' + i % 26);
    raw::sendAll(peer, sent);
    raw::waitAcked(peer);
    const int64_t end = check::deadlineIn(10);
    while (got.size() < sent.size()) {
        CHECK(check::before(end));
        ++round;
        CHECK_GE(ChannDispatcher::pollEvent(10), 0);
    }
    CHECK_EQ(got, sent);
    CHECK_EQ(recvs, 100);
    PASS("300 bytes read 3 per RECV: exactly 100 RECVs, one per round");

    for (int i = 0; i < 10; i++) {
        ++round;
        CHECK_GE(ChannDispatcher::pollEvent(1), 0);
    }
    CHECK_EQ(recvs, 100);
    raw::sendAll(peer, "xyz");
    raw::waitAcked(peer);
    ++round;
    CHECK_GE(ChannDispatcher::pollEvent(1000), 0);
    CHECK_EQ(recvs, 101);
    CHECK_EQ(got.substr(300), "xyz");
    PASS("nothing left: no RECV for 10 rounds; new data: RECV in the next round");
    close(peer);
    close(listener);
    return 0;
}
