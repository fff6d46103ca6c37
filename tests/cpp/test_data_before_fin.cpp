// Data the peer sent before closing is always delivered before DISCONNECT
// (m_net dropped it): a peer writes 8 MiB and closes at once; the client,
// reading 64 KiB per RECV, gets every byte, in order, then exactly one
// DISCONNECT with err 0, and no event after it.
#include <thread>
#include <vector>

#include "raw_socket.hpp"

using mnet::Chann;
using mnet::ChannDispatcher;

int main() {
    const size_t TOTAL = 8 << 20;
    int listener = raw::bound(true);
    Chann c("tcp");
    std::vector<unsigned char> buf(64 * 1024);
    size_t got = 0;
    int disconnects = 0, after = 0, err = -1;
    c.setEventHandler([&](Chann *self, Chann *, chann_event_t event, int e) {
        if (disconnects > 0) ++after;
        if (event == CHANN_EVENT_RECV) {
            int n = self->channRecv(buf.data(), static_cast<int>(buf.size()));
            for (int i = 0; i < n; i++) CHECK_EQ(int(buf[size_t(i)]), int(static_cast<unsigned char>(got + size_t(i))));
            if (n > 0) got += static_cast<size_t>(n);
        } else if (event == CHANN_EVENT_DISCONNECT) {
            ++disconnects;
            err = e;
            CHECK_EQ(got, TOTAL);  // everything arrived first
        }
    });
    CHECK(c.channConnect("127.0.0.1:" + std::to_string(raw::portOf(listener))));
    POLL_UNTIL(c.isConnected(), 10);
    int peer = raw::acceptOne(listener);

    // The peer blocks in send while the client reads, so it runs on a thread.
    std::thread writer([peer, TOTAL] {
        std::string data(TOTAL, '\0');
        for (size_t i = 0; i < TOTAL; i++) data[i] = static_cast<char>(i);
        raw::sendAll(peer, data);
        close(peer);
    });
    POLL_UNTIL(disconnects == 1, 60);
    writer.join();
    for (int i = 0; i < 5; i++) CHECK_GE(ChannDispatcher::pollEvent(0), 0);
    CHECK_EQ(got, TOTAL);
    CHECK_EQ(err, 0);
    CHECK_EQ(disconnects, 1);
    CHECK_EQ(after, 0);
    PASS("8 MiB written then closed by the peer: all bytes in order, then one DISCONNECT err 0, nothing after");
    close(listener);
    return 0;
}
