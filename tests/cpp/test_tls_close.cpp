// How TLS connections end, and the name a client verifies by default.
//   1. The host name default: a client with only the test CA and no
//      setServerName connects to "localhost:<port>" and gets CONNECTED (the
//      certificate is checked against "localhost"). When /etc/hosts names
//      another loopback host (not in the certificate), connecting to it by
//      that name fails with "not valid for name '<that name>'": the name
//      checked is the host given to channConnect, not the address it
//      resolved to.
//   2. close_notify: when the client calls channDisconnect right after a
//      send, the server reads the data, then gets DISCONNECT err 0; when the
//      server does, the client likewise.
//   3. A bare TCP close (a plain-TCP proxy between the two hangs up, so no
//      close_notify ever passes) gives DISCONNECT err ECONNABORTED on both
//      TLS ends, after the data that did pass: truncation is told apart
//      from a clean close.
//
//   test_tls_close <pki dir> [<unrelated pki dir>]
#include <arpa/inet.h>

#include <cerrno>
#include <fstream>
#include <sstream>

#include "check.hpp"
#include "tls_pki.hpp"

using mnet::Chann;
using mnet::ChannDispatcher;

namespace {

// Records the events of a Chann: counts, the text it read, the DISCONNECT.
struct Recorder {
    int connected = 0, disconnects = 0, err = -1;
    std::string got, gotAtDisconnect, why;

    mnet::channEventHandler handler(const char *who) {
        return [this, who](Chann *self, Chann *, chann_event_t event, int e) {
            if (event == CHANN_EVENT_CONNECTED) {
                ++connected;
            } else if (event == CHANN_EVENT_RECV) {
                char buf[256];
                int n;
                while ((n = self->channRecv(buf, sizeof buf)) > 0) got.append(buf, static_cast<size_t>(n));
            } else if (event == CHANN_EVENT_DISCONNECT) {
                ++disconnects;
                err = e;
                gotAtDisconnect = got;
                why = self->lastError();
            } else {
                check::fail(__FILE__, __LINE__, std::string(who) + " got event " + check::show(event));
            }
        };
    }
};

// A TLS listener whose ACCEPT hands the connection to a Recorder.
struct TlsServer {
    Chann listener{"tls"};
    Chann *conn = nullptr;
    Recorder rec;

    TlsServer(const TlsPki &pki, const std::string &ip = "127.0.0.1") {
        CHECK(listener.setTlsConfig(pki.server()));
        if (!listener.channListen(ip + ":0")) check::fail(__FILE__, __LINE__, "channListen: " + listener.lastError());
        listener.setEventHandler([this](Chann *, Chann *accept, chann_event_t event, int) {
            CHECK_EQ(event, CHANN_EVENT_ACCEPT);
            CHECK(conn == nullptr);
            conn = new Chann(accept);
            delete accept;
            conn->setEventHandler(rec.handler("server"));
        });
    }
    ~TlsServer() { delete conn; }
    int port() { return listener.myAddr().addr.port; }
};

// The first name in /etc/hosts, other than "localhost", for an IPv4
// loopback address (127.0.0.0/8), with that address; empty when none.
std::pair<std::string, std::string> otherLoopbackName() {
    std::ifstream hosts("/etc/hosts");
    std::string line;
    while (std::getline(hosts, line)) {
        line = line.substr(0, line.find('#'));
        std::istringstream words(line);
        std::string ip, name;
        in_addr a{};
        if (!(words >> ip) || inet_pton(AF_INET, ip.c_str(), &a) != 1 || (ntohl(a.s_addr) >> 24) != 127) continue;
        while (words >> name) {
            bool plain = name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") ==
                         std::string::npos;
            if (plain && name != "localhost" && name.find("localhost.") != 0) return {name, ip};
        }
    }
    return {};
}

void hostNameDefault(const TlsPki &pki) {
    {
        TlsServer server(pki);
        Recorder rec;
        Chann client("tls");
        client.setEventHandler(rec.handler("client"));
        CHECK(client.setTlsConfig(pki.client()));  // the test CA only, no server name set
        CHECK(client.channConnect("localhost:" + std::to_string(server.port())));
        POLL_UNTIL(rec.connected == 1 && server.conn != nullptr, 10);
        CHECK_EQ(rec.disconnects, 0);
        PASS("a client connecting to \"localhost:<port>\" with no setServerName verifies the certificate for "
             "localhost and gets CONNECTED");
    }

    const std::pair<std::string, std::string> other = otherLoopbackName();
    if (other.first.empty()) {
        PASS("skipped: /etc/hosts names no other loopback host to show the name, not the address, is checked");
        return;
    }
    TlsServer server(pki, other.second);
    Recorder rec;
    Chann client("tls");
    client.setEventHandler(rec.handler("client"));
    CHECK(client.setTlsConfig(pki.client()));
    CHECK(client.channConnect(other.first + ":" + std::to_string(server.port())));
    POLL_UNTIL(rec.disconnects == 1, 10);
    CHECK_EQ(rec.connected, 0);
    CHECK_EQ(rec.err, EPROTO);
    CHECK_CONTAINS(rec.why, "not valid for name \"" + other.first + "\"");
    POLL_UNTIL(ChannDispatcher::channCount() == 2, 10);
    CHECK(server.conn == nullptr);
    PASS("connecting to \"" + other.first + ":<port>\" (" + other.second + " in /etc/hosts, not in the "
         "certificate) is refused for that name: " + check::show(rec.why));
}

void closeNotify(const TlsPki &pki, bool clientCloses) {
    TlsServer server(pki);
    Recorder rec;
    Chann client("tls");
    client.setEventHandler(rec.handler("client"));
    CHECK(client.setTlsConfig(pki.client()));
    CHECK(client.channConnect("localhost:" + std::to_string(server.port())));
    POLL_UNTIL(rec.connected == 1 && server.conn != nullptr, 10);

    Chann &closer = clientCloses ? client : *server.conn;
    Recorder &peer = clientCloses ? server.rec : rec;
    const char *who = clientCloses ? "client" : "server";
    const std::string words = std::string("last words from the ") + who;
    CHECK_EQ(closer.channSend(words.data(), static_cast<int>(words.size())), static_cast<int>(words.size()));
    closer.channDisconnect();
    CHECK_EQ(closer.state(), CHANN_STATE_DISCONNECT);
    POLL_UNTIL(peer.disconnects == 1, 10);
    CHECK_EQ(peer.err, 0);
    CHECK_EQ(peer.gotAtDisconnect, words);
    CHECK_EQ((clientCloses ? rec : server.rec).disconnects, 0);  // no event for one's own channDisconnect
    PASS(std::string("the ") + who + " sends and calls channDisconnect: the peer reads " + check::show(words) +
         ", then gets DISCONNECT err 0 (close_notify)");
}

// Forwards bytes both ways between two plain TCP Channs.
struct Pipe {
    Chann *a, *b;
    int64_t forwarded = 0;
    void link(Chann *from, Chann *to) {
        from->setEventHandler([this, to](Chann *self, Chann *, chann_event_t event, int err) {
            if (event == CHANN_EVENT_RECV) {
                char buf[4096];
                int n;
                while ((n = self->channRecv(buf, sizeof buf)) > 0) {
                    CHECK_EQ(to->channSend(buf, n), n);
                    forwarded += n;
                }
            } else if (event != CHANN_EVENT_CONNECTED) {
                check::fail(__FILE__, __LINE__, "proxy got event " + check::show(event) + " err " + check::show(err));
            }
        });
    }
};

void truncation(const TlsPki &pki) {
    TlsServer server(pki);
    // The proxy: a plain listener; each connection gets a plain connection
    // to the TLS server, and bytes are copied both ways unchanged.
    Pipe pipe{nullptr, nullptr};
    Chann proxy("tcp");
    CHECK(proxy.channListen("127.0.0.1:0"));
    const std::string upstream = server.listener.myAddr().addrString;
    proxy.setEventHandler([&](Chann *, Chann *accept, chann_event_t event, int) {
        CHECK_EQ(event, CHANN_EVENT_ACCEPT);
        CHECK(pipe.a == nullptr);
        pipe.a = new Chann(accept);
        delete accept;
        pipe.b = new Chann("tcp");
        pipe.link(pipe.a, pipe.b);
        pipe.link(pipe.b, pipe.a);
        CHECK(pipe.b->channConnect(upstream));
    });

    Recorder rec;
    Chann client("tls");
    client.setEventHandler(rec.handler("client"));
    CHECK(client.setTlsConfig(pki.client()));
    CHECK(client.channConnect("localhost:" + std::to_string(proxy.myAddr().addr.port)));
    POLL_UNTIL(rec.connected == 1 && server.conn != nullptr, 10);
    const std::string hello = "hello through the proxy", bye = "bye through the proxy";
    CHECK_EQ(client.channSend(hello.data(), static_cast<int>(hello.size())), static_cast<int>(hello.size()));
    CHECK_EQ(server.conn->channSend(bye.data(), static_cast<int>(bye.size())), static_cast<int>(bye.size()));
    POLL_UNTIL(server.rec.got == hello && rec.got == bye, 10);

    // The proxy hangs up both ways: TCP FINs, no close_notify.
    pipe.a->channDisconnect();
    pipe.b->channDisconnect();
    POLL_UNTIL(rec.disconnects == 1 && server.rec.disconnects == 1, 10);
    CHECK_EQ(rec.err, ECONNABORTED);
    CHECK_EQ(server.rec.err, ECONNABORTED);
    CHECK_EQ(rec.gotAtDisconnect, bye);
    CHECK_EQ(server.rec.gotAtDisconnect, hello);
    PASS("a bare TCP close from a plain proxy in the middle: both TLS ends get DISCONNECT err ECONNABORTED "
         "(client: " + check::show(rec.why) + "), after the data that passed");
    delete pipe.a;
    delete pipe.b;
}

}  // namespace

int main(int argc, char **argv) {
    const TlsPki pki = tlsPki(argc, argv);
    hostNameDefault(pki);
    CHECK_EQ(ChannDispatcher::channCount(), 0);
    closeNotify(pki, true);
    closeNotify(pki, false);
    CHECK_EQ(ChannDispatcher::channCount(), 0);
    truncation(pki);
    CHECK_EQ(ChannDispatcher::channCount(), 0);
    PASS("every Chann is gone at the end: nothing leaked");
    return 0;
}
