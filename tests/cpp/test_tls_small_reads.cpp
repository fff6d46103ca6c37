// Small reads on TLS: both ends read at most 16 bytes per RECV, one
// channRecv per event. A TLS record carries up to 16 KiB, so nearly all of
// the time the plaintext waits in the session while the socket has nothing
// new (no readiness edge), and the session's buffer fills up while the
// socket still holds ciphertext. RECV must keep coming for as long as
// plaintext is waiting, every RECV must yield data, and everything must
// arrive:
//   1. the client sends 1 MiB at once; the server reads it 16 bytes at a
//      time and echoes each piece; the client reads the echo 16 bytes at a
//      time; both byte-check it (byte i is i & 0xff);
//   2. the server then sends a 100000-byte tail and, once it has left
//      (SEND), calls channDisconnect: the client still reads all of it,
//      16 bytes per RECV, before its DISCONNECT (err 0, close_notify).
//
//   test_tls_small_reads <pki dir> [<unrelated pki dir>]
#include <vector>

#include "check.hpp"
#include "tls_pki.hpp"

using mnet::Chann;
using mnet::ChannDispatcher;

namespace {

const int SMALL = 16;
const int64_t TOTAL = 1 << 20;
const int TAIL = 100000;

void checkPattern(const unsigned char *buf, int n, int64_t off, const char *who) {
    for (int i = 0; i < n; i++) {
        if (buf[i] != static_cast<unsigned char>(off + i)) {
            check::fail(__FILE__, __LINE__,
                        std::string(who) + ": byte at offset " + std::to_string(off + i) + " is " +
                            std::to_string(buf[i]) + ", expected " + std::to_string((off + i) & 0xff));
        }
    }
}

std::vector<unsigned char> pattern(int64_t from, int n) {
    std::vector<unsigned char> v(static_cast<size_t>(n));
    for (int i = 0; i < n; i++) v[static_cast<size_t>(i)] = static_cast<unsigned char>(from + i);
    return v;
}

// One channRecv of at most 16 bytes per RECV; every RECV must give data.
int readSmall(Chann *c, unsigned char *buf, const char *who) {
    int n = c->channRecv(buf, SMALL);
    if (n <= 0)
        check::fail(__FILE__, __LINE__, std::string(who) + ": RECV without plaintext (channRecv " +
                                            std::to_string(n) + ": " + c->lastError() + ")");
    CHECK_LE(n, SMALL);
    return n;
}

class Server : public Chann {
public:
    explicit Server(Chann *accepted) : Chann(accepted) {}
    int64_t received = 0;
    int recvEvents = 0;
    bool tailQueued = false, closed = false;

    void sendTail() {
        std::vector<unsigned char> tail = pattern(TOTAL, TAIL);
        CHECK_EQ(channSend(tail.data(), TAIL), TAIL);
        tailQueued = true;
        channActiveEvent(CHANN_EVENT_SEND, 1);
    }

    void defaultEventHandler(Chann *, chann_event_t event, int err) override {
        if (event == CHANN_EVENT_RECV) {
            ++recvEvents;
            unsigned char buf[SMALL];
            int n = readSmall(this, buf, "server");
            checkPattern(buf, n, received, "server");
            received += n;
            CHECK_EQ(channSend(buf, n), n);
        } else if (event == CHANN_EVENT_SEND) {
            CHECK(tailQueued);
            CHECK_EQ(dataCached(), 0);
            channDisconnect();  // close_notify after the tail
            closed = true;
        } else {
            check::fail(__FILE__, __LINE__, "server got event " + check::show(event) + " err " + check::show(err));
        }
    }
};

class Client : public Chann {
public:
    Client() : Chann("tls") {}
    int64_t received = 0;
    int recvEvents = 0, disconnects = 0, lostErr = -1;
    int64_t receivedAtDisconnect = -1;

    void defaultEventHandler(Chann *, chann_event_t event, int err) override {
        if (event == CHANN_EVENT_CONNECTED) {
            std::vector<unsigned char> all = pattern(0, static_cast<int>(TOTAL));
            CHECK_EQ(channSend(all.data(), static_cast<int>(TOTAL)), static_cast<int>(TOTAL));
        } else if (event == CHANN_EVENT_RECV) {
            ++recvEvents;
            unsigned char buf[SMALL];
            int n = readSmall(this, buf, "client");
            checkPattern(buf, n, received, "client");
            received += n;
        } else if (event == CHANN_EVENT_DISCONNECT) {
            ++disconnects;
            lostErr = err;
            receivedAtDisconnect = received;
        } else {
            check::fail(__FILE__, __LINE__, "client got event " + check::show(event) + " err " + check::show(err));
        }
    }
};

}  // namespace

int main(int argc, char **argv) {
    const TlsPki pki = tlsPki(argc, argv);
    Server *server = nullptr;
    Chann listener("tls");
    tlsListen(listener, pki);
    listener.setEventHandler([&server](Chann *, Chann *accept, chann_event_t event, int) {
        CHECK_EQ(event, CHANN_EVENT_ACCEPT);
        CHECK(server == nullptr);
        server = new Server(accept);
        delete accept;
    });

    Client client;
    CHECK(client.setTlsConfig(pki.client()));
    CHECK(client.channConnect(localhostOf(listener)));
    POLL_UNTIL(client.received == TOTAL, 120);
    CHECK_EQ(server->received, TOTAL);
    CHECK_GE(server->recvEvents, static_cast<int>(TOTAL / SMALL));
    CHECK_GE(client.recvEvents, static_cast<int>(TOTAL / SMALL));
    CHECK_EQ(client.disconnects, 0);
    PASS("1 MiB echoed over TLS read 16 bytes per RECV at both ends: every RECV gave data (server " +
         std::to_string(server->recvEvents) + " RECVs, client " + std::to_string(client.recvEvents) +
         "), every byte arrived in order");

    server->sendTail();
    POLL_UNTIL(client.disconnects == 1, 60);
    CHECK(server->closed);
    CHECK_EQ(client.lostErr, 0);
    CHECK_EQ(client.receivedAtDisconnect, TOTAL + TAIL);
    CHECK_EQ(client.received, TOTAL + TAIL);
    PASS("a 100000-byte tail sent just before close_notify is read 16 bytes per RECV, all of it before the "
         "client's DISCONNECT (err 0)");

    delete server;
    CHECK_EQ(ChannDispatcher::channCount(), 2);  // the listener and the client
    return 0;
}
