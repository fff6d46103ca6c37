// TLS handshakes are bounded from C++ too. A listener with a 300 ms
// handshake timeout and a cap of 8: twenty raw TCP peers that connect and
// never speak are all closed (the cap closes the oldest at once, the
// deadline the rest), without any event, while a real TLS client is served.
// A TLS client whose server never answers gets one DISCONNECT, ETIMEDOUT.
#include <algorithm>
#include <cerrno>
#include <vector>

#include <poll.h>
#include <unistd.h>

#include "raw_socket.hpp"
#include "tls_pki.hpp"

using mnet::Chann;
using mnet::ChannDispatcher;

namespace {

// Whether the other end hung up on `fd` (EOF or reset), without blocking.
bool hungUp(int fd) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 0) <= 0) return false;
    char b[256];
    ssize_t n;
    while ((n = read(fd, b, sizeof b)) > 0) {
    }
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

}  // namespace

int main(int argc, char **argv) {
    TlsPki pki = tlsPki(argc, argv);
    Chann listener("tls");
    CHECK(listener.setHandshakeTimeout(300));
    CHECK(listener.setMaxHandshakes(8));
    tlsListen(listener, pki, 64);  // the 20 silent connects below wait in its queue
    int port = listener.myAddr().addr.port;

    int accepts = 0;
    std::vector<Chann *> served;
    listener.setEventHandler([&](Chann *, Chann *accept, chann_event_t event, int) {
        CHECK_EQ(event, CHANN_EVENT_ACCEPT);
        ++accepts;
        accept->setEventHandler([](Chann *self, Chann *, chann_event_t ev, int) {
            if (ev == CHANN_EVENT_RECV) {
                char buf[64];
                int n = self->channRecv(buf, sizeof buf);
                if (n > 0) self->channSend(buf, n);
            }
        });
        served.push_back(accept);
    });

    std::vector<int> silent;
    for (int i = 0; i < 20; i++) {
        silent.push_back(raw::connectTo(port));
        CHECK_GE(ChannDispatcher::pollEvent(0), 0);  // accepted as they come
    }

    // A real client, connecting after the silent ones.
    Chann client("tls");
    CHECK(client.setTlsConfig(pki.client()));
    std::string echoed;
    client.setEventHandler([&echoed](Chann *self, Chann *, chann_event_t event, int) {
        if (event == CHANN_EVENT_CONNECTED) {
            CHECK_EQ(self->channSend("served", 6), 6);
        } else if (event == CHANN_EVENT_RECV) {
            char buf[64];
            int n = self->channRecv(buf, sizeof buf);
            if (n > 0) echoed.append(buf, static_cast<size_t>(n));
        } else {
            check::fail(__FILE__, __LINE__, "client event " + check::show(event) + ": " + self->lastError());
        }
    });
    CHECK(client.channConnect("localhost:" + std::to_string(port)));
    POLL_UNTIL(echoed == "served", 20);
    CHECK_EQ(accepts, 1);
    PASS("a real TLS client is served beside 20 silent peers");

    auto allHungUp = [&silent] {
        return static_cast<size_t>(std::count_if(silent.begin(), silent.end(), hungUp)) == silent.size();
    };
    POLL_UNTIL(allHungUp(), 20);
    CHECK_EQ(accepts, 1);
    PASS("every silent peer was hung up on (the cap, then the 300 ms deadline), with no event");
    for (int fd : silent) close(fd);
    client.setEventHandler(mnet::channEventHandler());  // its server side goes next: DISCONNECT
    for (Chann *c : served) delete c;

    // A client whose server accepts and never answers.
    int quiet = raw::bound(true);
    Chann stalled("tls");
    CHECK(stalled.setTlsConfig(pki.client()));
    CHECK(stalled.setHandshakeTimeout(200));
    int lost = -1;
    stalled.setEventHandler([&lost](Chann *, Chann *, chann_event_t event, int err) {
        CHECK_EQ(event, CHANN_EVENT_DISCONNECT);
        lost = err;
    });
    CHECK(stalled.channConnect("localhost:" + std::to_string(raw::portOf(quiet))));
    POLL_UNTIL(lost != -1, 20);
    CHECK_EQ(lost, ETIMEDOUT);
    CHECK_CONTAINS(stalled.lastError(), "did not finish within 200 ms");
    PASS("a stalled client handshake ends with one DISCONNECT, ETIMEDOUT: " << stalled.lastError());

    Chann plain("tcp");
    CHECK(!plain.setHandshakeTimeout(100));
    CHECK_CONTAINS(plain.lastError(), "tcp");
    CHECK(!stalled.setHandshakeTimeout(0));
    CHECK(!listener.setMaxHandshakes(0));
    PASS("handshake settings are refused on non-TLS channels and for 0");
    close(quiet);
    return 0;
}
