// Asynchronous DNS from C++, against a responder Chann in the same event
// loop (which could never answer if resolving blocked the loop):
//   channResolve gives CHANN_EVENT_RESOLVED with the addresses, or ENXIO and
//   a clear lastError for an unknown name; channConnect to a host name is
//   CONNECTING while DNS runs, then CONNECTED (or one DISCONNECT, ENXIO);
//   a silent server gives ETIMEDOUT after every try; the resolver's own
//   channels never show in channCount().
#include <cerrno>
#include <vector>

#include "dns_responder.hpp"

using mnet::Chann;
using mnet::ChannAddr;
using mnet::ChannDispatcher;

namespace {

struct Outcome {
    bool done = false;
    int err = -1;
    std::vector<ChannAddr> addrs;
    std::string error;
};

// Resolves `name` on a fresh Chann and runs the loop until RESOLVED.
Outcome resolve(const std::string &name) {
    Outcome out;
    Chann c("udp");
    c.setEventHandler([&](Chann *self, Chann *, chann_event_t event, int err) {
        CHECK_EQ(event, CHANN_EVENT_RESOLVED);
        out.done = true;
        out.err = err;
        out.addrs = self->resolvedAddrs();
        out.error = self->lastError();
    });
    CHECK(c.channResolve(name));
    POLL_UNTIL(out.done, 20);
    return out;
}

}  // namespace

int main() {
    DnsResponder dns;
    dns.add("web.test", "127.0.0.1");
    CHECK(ChannDispatcher::setNameServers({dns.address()}, 2000, 2));

    Outcome ok = resolve("web.test:8080");
    CHECK_EQ(ok.err, 0);
    CHECK_EQ(ok.addrs.size(), 1u);
    CHECK_EQ(ok.addrs[0].addrString, "127.0.0.1:8080");
    PASS("channResolve(\"web.test:8080\"): RESOLVED, err 0, " + ok.addrs[0].addrString +
         ", answered by a responder in the same loop");

    Outcome nx = resolve("nosuch.test");
    CHECK_EQ(nx.err, ENXIO);
    CHECK(nx.addrs.empty());
    CHECK_EQ(nx.error, "cannot resolve 'nosuch.test': no such host (NXDOMAIN)");
    PASS("unknown name: RESOLVED with ENXIO and " + check::show(nx.error));

    Chann bad("tcp");
    CHECK(!bad.channResolve("not a name"));
    CHECK_EQ(bad.lastError(), "invalid address 'not a name': not an IP address or a valid host name");
    PASS("a malformed name is refused at once: " + check::show(bad.lastError()));

    // connect() to a host name.
    Chann server("tcp");
    CHECK(server.channListen("127.0.0.1:0"));
    bool accepted = false;
    server.setEventHandler([&](Chann *, Chann *accept, chann_event_t event, int) {
        if (event == CHANN_EVENT_ACCEPT) {
            accepted = true;
            delete accept;
        }
    });
    const std::string port = std::to_string(server.myAddr().addr.port);
    Chann client("tcp");
    bool connected = false;
    client.setEventHandler([&](Chann *, Chann *, chann_event_t event, int) {
        if (event == CHANN_EVENT_CONNECTED) connected = true;  // then DISCONNECT: the server deletes its side
    });
    CHECK(client.channConnect("web.test:" + port));
    CHECK_EQ(client.state(), CHANN_STATE_CONNECTING);
    POLL_UNTIL(connected && accepted, 20);
    CHECK_EQ(client.peerAddr().addrString, "127.0.0.1:" + port);
    PASS("channConnect(\"web.test:" + port + "\"): CONNECTING during DNS, then CONNECTED to " +
         client.peerAddr().addrString);

    Chann lost("tcp");
    int lostErr = -1;
    lost.setEventHandler([&](Chann *, Chann *, chann_event_t event, int err) {
        CHECK_EQ(event, CHANN_EVENT_DISCONNECT);
        lostErr = err;
    });
    CHECK(lost.channConnect("nosuch.test:80"));
    POLL_UNTIL(lostErr != -1, 20);
    CHECK_EQ(lostErr, ENXIO);
    CHECK_EQ(lost.state(), CHANN_STATE_DISCONNECT);
    CHECK_EQ(lost.lastError(), "cannot resolve 'nosuch.test': no such host (NXDOMAIN)");
    PASS("channConnect to an unknown name: one DISCONNECT, ENXIO, " + check::show(lost.lastError()));

    // A server that never answers: ETIMEDOUT after 2 tries (A + AAAA each).
    DnsResponder silent(true);
    CHECK(ChannDispatcher::setNameServers({silent.address()}, 100, 2));
    const int before = ChannDispatcher::channCount();
    Outcome quiet = resolve("quiet.test");
    CHECK_EQ(quiet.err, ETIMEDOUT);
    CHECK_CONTAINS(quiet.error, "no answer from " + silent.address());
    CHECK_EQ(silent.queries, 4);
    CHECK_EQ(ChannDispatcher::channCount(), before);
    PASS("silent server: ETIMEDOUT after 4 queries, " + check::show(quiet.error) +
         "; channCount() never counted the resolver's sockets");

    CHECK(!ChannDispatcher::setNameServers({"not-an-address"}));
    CHECK_CONTAINS(ChannDispatcher::lastError(), "invalid address");
    CHECK(ChannDispatcher::setNameServers({}));
    PASS("setNameServers: a bad server is refused, an empty list restores /etc/resolv.conf");
    return 0;
}
