// setSendLimit: with a high-water mark on the send queue, a channSend that
// would take dataCached() past it returns -1 with "send queue full" in
// lastError() and queues nothing (the connection stays up); once the peer
// reads, sends are taken again, and the peer gets every accepted byte in
// order, none of the refused ones.
#include <vector>

#include "raw_socket.hpp"

using mnet::Chann;
using mnet::ChannDispatcher;

int main() {
    const int LIMIT = 1 << 20;
    const int CHUNK = 64 * 1024;
    int listener = raw::bound(true);
    Chann c("tcp");
    CHECK(c.setSendLimit(LIMIT));
    CHECK(c.channConnect("127.0.0.1:" + std::to_string(raw::portOf(listener))));
    POLL_UNTIL(c.isConnected(), 10);
    int peer = raw::acceptOne(listener);

    std::vector<unsigned char> chunk(CHUNK);
    int64_t accepted = 0;
    int refused = 0;
    while (refused == 0) {
        CHECK_LT(accepted, int64_t(1) << 30);
        for (int i = 0; i < CHUNK; i++) chunk[size_t(i)] = static_cast<unsigned char>(accepted + i);
        const int before = c.dataCached();
        int n = c.channSend(chunk.data(), CHUNK);
        if (n == -1) {
            ++refused;
            CHECK_CONTAINS(c.lastError(), "send queue full");
            CHECK_EQ(c.dataCached(), before);
            CHECK_GT(before + CHUNK, LIMIT);
        } else {
            CHECK_EQ(n, CHUNK);
            accepted += CHUNK;
        }
        CHECK_LE(c.dataCached(), LIMIT);
        CHECK_GE(ChannDispatcher::pollEvent(0), 0);
    }
    CHECK(c.isConnected());
    PASS("a send past the 1 MiB mark: -1, " + check::show(c.lastError()) + ", nothing queued (" +
         std::to_string(c.dataCached()) + " bytes queued), still connected");

    // The peer drains everything; sends are taken again.
    int64_t read = 0;
    std::vector<unsigned char> buf(256 * 1024);
    bool resent = false;
    const int64_t end = check::deadlineIn(30);
    while (read < accepted) {
        CHECK(check::before(end));
        ssize_t n = recv(peer, buf.data(), buf.size(), MSG_DONTWAIT);
        for (ssize_t i = 0; i < n; i++) CHECK_EQ(int(buf[size_t(i)]), int(static_cast<unsigned char>(read + i)));
        if (n > 0) read += n;
        CHECK_GE(ChannDispatcher::pollEvent(0), 0);
        if (!resent && c.dataCached() == 0) {
            for (int i = 0; i < CHUNK; i++) chunk[size_t(i)] = static_cast<unsigned char>(accepted + i);
            CHECK_EQ(c.channSend(chunk.data(), CHUNK), CHUNK);
            accepted += CHUNK;
            resent = true;
        }
    }
    CHECK(resent);
    CHECK_EQ(read, accepted);
    PASS("after the peer read, sends were taken again; the peer got all " + std::to_string(accepted) +
         " accepted bytes in order and none of the refused ones");

    CHECK(c.setSendLimit(0));
    close(peer);
    close(listener);
    return 0;
}
