// A TLS client verifies the server and refuses a certificate it should not
// trust, in two ways:
//   1. the certificate is from the trusted CA but for other names: the client
//      asks for "example.com" with setServerName;
//   2. the certificate is for "localhost" but signed by a CA the client does
//      not know (it trusts only the unrelated PKI's CA).
// Each ends in exactly one DISCONNECT on the client, err EPROTO, with the
// reason in lastError(); the client never sees CONNECTED and the server's
// handler never sees ACCEPT (or anything else); the refused server-side
// connection is closed, so ChannDispatcher::channCount() comes back to the
// listener and the client. Then, as a control, the same client Chann with
// the right name / CA connects to the same listener: the refusal was the
// verification's, not a broken setup.
//
//   test_tls_verify <pki dir> <unrelated pki dir>
#include <cerrno>
#include <string>
#include <vector>

#include "check.hpp"
#include "tls_pki.hpp"

using mnet::Chann;
using mnet::ChannDispatcher;

namespace {

struct ClientLog {
    int connected = 0, disconnects = 0, lastErr = -1;
    std::string why;
};

// One refusal and its control. `bad` and `good` configure the client
// before connecting; `want` is what lastError() must mention.
template <class Bad, class Good>
void refusedThenAccepted(const char *what, const TlsPki &server, Bad bad, Good good,
                         const std::vector<std::string> &want) {
    int accepts = 0;
    Chann *accepted = nullptr;
    Chann listener("tls");
    tlsListen(listener, server);
    listener.setEventHandler([&](Chann *, Chann *accept, chann_event_t event, int err) {
        if (event != CHANN_EVENT_ACCEPT)
            check::fail(__FILE__, __LINE__, std::string(what) + ": listener got event " + check::show(event) +
                                                " err " + check::show(err));
        ++accepts;
        accepted = accept;  // kept by giving it a handler (one that ignores its events)
        accepted->setEventHandler([](Chann *, Chann *, chann_event_t, int) {});
    });

    ClientLog log;
    Chann client("tls");
    client.setEventHandler([&log](Chann *self, Chann *, chann_event_t event, int err) {
        if (event == CHANN_EVENT_CONNECTED) {
            ++log.connected;
        } else if (event == CHANN_EVENT_DISCONNECT) {
            ++log.disconnects;
            log.lastErr = err;
            log.why = self->lastError();
        } else if (event != CHANN_EVENT_RECV) {
            check::fail(__FILE__, __LINE__, "client got event " + check::show(event) + " err " + check::show(err));
        }
    });
    CHECK_EQ(ChannDispatcher::channCount(), 2);

    bad(client, listener);
    POLL_UNTIL(log.disconnects == 1, 10);
    CHECK_EQ(log.connected, 0);
    CHECK_EQ(log.lastErr, EPROTO);
    CHECK_EQ(client.state(), CHANN_STATE_DISCONNECT);
    CHECK_CONTAINS(log.why, "TLS: ");
    for (const std::string &w : want) CHECK_CONTAINS(log.why, w);
    // The server side of the refused connection (it read the client's alert,
    // or the close) is closed by mnet: nobody ever owned it.
    POLL_UNTIL(ChannDispatcher::channCount() == 2, 10);
    CHECK_EQ(accepts, 0);
    PASS(std::string(what) + ": one DISCONNECT, err EPROTO, lastError() " + check::show(log.why) +
         "; no ACCEPT on the server, and its side of the connection is gone (channCount 2)");

    // The control: the same Chann, set up right, gets through.
    good(client, listener);
    POLL_UNTIL(log.connected == 1 && accepts == 1, 10);
    CHECK_EQ(log.disconnects, 1);  // still the one from the refusal
    CHECK_EQ(accepted->channType(), CHANN_TYPE_TLS);
    CHECK_EQ(ChannDispatcher::channCount(), 3);
    PASS(std::string(what) + ": the same client Chann set up right connects to the same listener (control)");

    delete accepted;
    client.channDisconnect();
    CHECK_EQ(ChannDispatcher::channCount(), 2);
}

}  // namespace

int main(int argc, char **argv) {
    const TlsPki pki = tlsPki(argc, argv, 1);
    const TlsPki unrelated = tlsPki(argc, argv, 2);

    // 1. The trusted CA's certificate, for localhost/127.0.0.1/::1, asked
    // for another name.
    refusedThenAccepted(
        "certificate for another name", pki,
        [&](Chann &c, Chann &l) {
            CHECK(c.setTlsConfig(pki.client()));
            CHECK(c.setServerName("example.com"));
            CHECK(c.channConnect(l.myAddr().addrString));
        },
        [&](Chann &c, Chann &l) {
            CHECK(c.setServerName("localhost"));
            CHECK(c.channConnect(l.myAddr().addrString));
        },
        {"not valid for name", "example.com"});

    // 2. A certificate for localhost from a CA the client does not trust.
    refusedThenAccepted(
        "certificate from an unknown CA", pki,
        [&](Chann &c, Chann &l) {
            CHECK(c.setTlsConfig(unrelated.client()));
            CHECK(c.channConnect(localhostOf(l)));
        },
        [&](Chann &c, Chann &l) {
            CHECK(c.setTlsConfig(pki.client()));
            CHECK(c.channConnect(localhostOf(l)));
        },
        {"UnknownIssuer"});

    CHECK_EQ(ChannDispatcher::channCount(), 0);
    PASS("every Chann is gone at the end: nothing leaked");
    return 0;
}
