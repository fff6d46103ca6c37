// Peers that do not speak the same protocol end cleanly:
//   1. a plain "tcp" client talking HTTP to a TLS listener: the client gets
//      CONNECTED (TCP), then the server's answer (a TLS alert) and one
//      DISCONNECT with err 0; the listener's handler sees nothing (no
//      ACCEPT for a failed handshake) and mnet closes its side;
//   2. a "tls" client talking to a plain "tcp" listener whose server answers
//      the ClientHello with an HTTP error: the client gets one DISCONNECT,
//      err EPROTO, a "TLS: ..." lastError() and never CONNECTED; the plain
//      server gets its one DISCONNECT too (err 0: the client closed).
// Nothing crashes and nothing leaks: channCount() comes back to what the
// test holds, and to 0 at the end.
//
//   test_tls_mismatch <pki dir> [<unrelated pki dir>]
#include <cerrno>

#include "check.hpp"
#include "tls_pki.hpp"

using mnet::Chann;
using mnet::ChannDispatcher;

namespace {

void plainClientOnTlsListener(const TlsPki &pki) {
    Chann listener("tls");
    tlsListen(listener, pki);
    listener.setEventHandler([](Chann *, Chann *, chann_event_t event, int err) {
        check::fail(__FILE__, __LINE__, "TLS listener got event " + check::show(event) + " err " + check::show(err));
    });

    int connected = 0, disconnects = 0, lostErr = -1;
    std::string got;
    Chann client("tcp");
    client.setEventHandler([&](Chann *self, Chann *, chann_event_t event, int err) {
        if (event == CHANN_EVENT_CONNECTED) {
            ++connected;
            const std::string req = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
            CHECK_EQ(self->channSend(req.data(), static_cast<int>(req.size())), static_cast<int>(req.size()));
        } else if (event == CHANN_EVENT_RECV) {
            char buf[512];
            int n;
            while ((n = self->channRecv(buf, sizeof buf)) > 0) got.append(buf, static_cast<size_t>(n));
        } else if (event == CHANN_EVENT_DISCONNECT) {
            ++disconnects;
            lostErr = err;
        } else {
            check::fail(__FILE__, __LINE__, "plain client got event " + check::show(event));
        }
    });
    CHECK(client.channConnect(listener.myAddr().addrString));
    POLL_UNTIL(disconnects == 1, 10);
    CHECK_EQ(connected, 1);
    if (lostErr != 0)
        check::fail(__FILE__, __LINE__, "plain client DISCONNECT err " + check::show(lostErr) + ": " + client.lastError());
    CHECK_EQ(client.state(), CHANN_STATE_DISCONNECT);
    // What the TLS server said before closing: an alert record (content
    // type 21), never application data.
    CHECK_GE(got.size(), 7u);
    CHECK_EQ(static_cast<int>(static_cast<unsigned char>(got[0])), 21);
    POLL_UNTIL(ChannDispatcher::channCount() == 2, 10);  // the listener and the client
    PASS("plain client on a TLS listener: CONNECTED, a TLS alert (" + std::to_string(got.size()) +
         " bytes), one DISCONNECT err 0; no ACCEPT, the server side is closed (channCount 2)");
}

void tlsClientOnPlainListener(const TlsPki &pki) {
    int accepts = 0, serverDisconnects = 0, serverErr = -1;
    int64_t serverGot = 0;
    Chann *server = nullptr;
    Chann listener("tcp");
    CHECK(listener.channListen("127.0.0.1:0"));
    listener.setEventHandler([&](Chann *, Chann *accept, chann_event_t event, int) {
        CHECK_EQ(event, CHANN_EVENT_ACCEPT);
        ++accepts;
        server = new Chann(accept);
        delete accept;
        server->setEventHandler([&](Chann *self, Chann *, chann_event_t ev, int err) {
            if (ev == CHANN_EVENT_RECV) {
                char buf[4096];
                int n;
                const bool first = serverGot == 0;
                while ((n = self->channRecv(buf, sizeof buf)) > 0) {
                    // The ClientHello: a handshake record, content type 22.
                    if (serverGot == 0) CHECK_EQ(static_cast<int>(static_cast<unsigned char>(buf[0])), 22);
                    serverGot += n;
                }
                if (first && serverGot > 0) {
                    // Answered once, with an HTTP error.
                    const std::string reply = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
                    CHECK_EQ(self->channSend(reply.data(), static_cast<int>(reply.size())),
                             static_cast<int>(reply.size()));
                }
            } else if (ev == CHANN_EVENT_DISCONNECT) {
                ++serverDisconnects;
                serverErr = err;
            } else {
                check::fail(__FILE__, __LINE__, "plain server got event " + check::show(ev));
            }
        });
    });

    int disconnects = 0, lostErr = -1;
    std::string why;
    Chann client("tls");
    CHECK(client.setTlsConfig(pki.client()));
    client.setEventHandler([&](Chann *self, Chann *, chann_event_t event, int err) {
        if (event == CHANN_EVENT_DISCONNECT) {
            ++disconnects;
            lostErr = err;
            why = self->lastError();
        } else {
            check::fail(__FILE__, __LINE__, "TLS client got event " + check::show(event) + " err " + check::show(err));
        }
    });
    CHECK(client.channConnect(localhostOf(listener)));
    POLL_UNTIL(disconnects == 1 && serverDisconnects == 1, 10);
    CHECK_EQ(accepts, 1);
    CHECK_EQ(lostErr, EPROTO);
    CHECK_CONTAINS(why, "TLS: ");
    CHECK_EQ(client.state(), CHANN_STATE_DISCONNECT);
    if (serverErr != 0)
        check::fail(__FILE__, __LINE__, "plain server DISCONNECT err " + check::show(serverErr) + ": " + server->lastError());
    CHECK_GT(serverGot, 0);
    CHECK_EQ(server->state(), CHANN_STATE_DISCONNECT);
    PASS("TLS client on a plain listener: one DISCONNECT, err EPROTO, lastError() " + check::show(why) +
         "; the plain server read " + std::to_string(serverGot) + " bytes and got its one DISCONNECT, err 0");

    delete server;
    CHECK_EQ(ChannDispatcher::channCount(), 2);  // the listener and the client
}

}  // namespace

int main(int argc, char **argv) {
    const TlsPki pki = tlsPki(argc, argv);
    plainClientOnTlsListener(pki);
    CHECK_EQ(ChannDispatcher::channCount(), 0);
    tlsClientOnPlainListener(pki);
    CHECK_EQ(ChannDispatcher::channCount(), 0);
    PASS("every Chann is gone at the end: nothing leaked");
    return 0;
}
