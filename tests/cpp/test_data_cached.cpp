// dataCached() is exact: while the peer does not read, every byte given to
// channSend is either handed to the kernel (bytesSent) or counted by
// dataCached, at every step; once the kernel is full a further send adds
// exactly its length; as the peer reads, the queue drains to 0 and the peer
// gets every byte, in order.
#include <sys/socket.h>

#include <vector>

#include "raw_socket.hpp"

using mnet::Chann;
using mnet::ChannDispatcher;

int main() {
    int listener = raw::bound(true);
    Chann c("tcp");
    CHECK(c.channConnect("127.0.0.1:" + std::to_string(raw::portOf(listener))));
    POLL_UNTIL(c.isConnected(), 10);
    int peer = raw::acceptOne(listener);
    CHECK_EQ(c.dataCached(), 0);
    const int CHUNK = 64 * 1024;
    std::vector<unsigned char> chunk(CHUNK);
    for (int i = 0; i < CHUNK; i++) chunk[static_cast<size_t>(i)] = static_cast<unsigned char>(i);

    // A small send waits for the end of the round (to leave with the round's
    // other sends), and is counted meanwhile.
    CHECK_EQ(c.channSend(chunk.data(), 10), 10);
    CHECK_EQ(c.dataCached(), 10);
    CHECK_EQ(c.bytesSent(), 0);
    CHECK_GE(ChannDispatcher::pollEvent(0), 0);
    CHECK_EQ(c.dataCached(), 0);
    CHECK_EQ(c.bytesSent(), 10);
    PASS("a small send is counted by dataCached() until the round ends, then handed to the kernel");

    // Fill the kernel's buffers: the peer does not read.
    int64_t total = 10;
    while (c.dataCached() == 0) {
        CHECK_LT(total, int64_t(512) << 20);
        for (int i = 0; i < CHUNK; i++) chunk[static_cast<size_t>(i)] = static_cast<unsigned char>(total + i);
        CHECK_EQ(c.channSend(chunk.data(), CHUNK), CHUNK);
        total += CHUNK;
        CHECK_EQ(c.dataCached() + c.bytesSent(), total);
        CHECK_GE(ChannDispatcher::pollEvent(0), 0);
        CHECK_EQ(c.dataCached() + c.bytesSent(), total);
    }
    PASS("kernel full after " + std::to_string(total) + " bytes; dataCached() + bytesSent() == bytes given, "
         "at every step");

    const int64_t handed = c.bytesSent();
    const int before = c.dataCached();
    for (int k = 1; k <= 3; k++) {
        for (int i = 0; i < 1000; i++) chunk[static_cast<size_t>(i)] = static_cast<unsigned char>(total + i);
        CHECK_EQ(c.channSend(chunk.data(), 1000), 1000);
        total += 1000;
        CHECK_EQ(c.dataCached(), before + 1000 * k);
        CHECK_GE(ChannDispatcher::pollEvent(0), 0);
        CHECK_EQ(c.dataCached(), before + 1000 * k);
        CHECK_EQ(c.bytesSent(), handed);
    }
    PASS("with the peer not reading, each 1000-byte send adds exactly 1000 to dataCached() (" +
         std::to_string(c.dataCached()) + " queued)");

    // The peer reads everything; the queue drains to 0.
    int64_t read = 0;
    std::vector<unsigned char> buf(256 * 1024);
    const int64_t end = check::deadlineIn(30);
    while (read < total) {
        CHECK(check::before(end));
        ssize_t n = recv(peer, buf.data(), buf.size(), MSG_DONTWAIT);
        if (n > 0) {
            for (ssize_t i = 0; i < n; i++) CHECK_EQ(int(buf[size_t(i)]), int(static_cast<unsigned char>(read + i)));
            read += n;
        } else {
            CHECK(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
        }
        CHECK_GE(ChannDispatcher::pollEvent(0), 0);
        CHECK_EQ(c.dataCached() + c.bytesSent(), total);
    }
    CHECK_EQ(read, total);
    CHECK_EQ(c.dataCached(), 0);
    CHECK_EQ(c.bytesSent(), total);
    PASS("the peer reads all " + std::to_string(total) + " bytes in order; dataCached() drains to 0");
    close(peer);
    close(listener);
    return 0;
}
