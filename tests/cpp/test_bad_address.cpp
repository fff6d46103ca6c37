// Bad addresses: channConnect and channListen return false with a readable
// lastError() that names the input and what is wrong with it ("port out of
// range", "missing ':port'", "too long"), no event follows, and the Chann
// stays usable. ChannAddr reports the same through isValid() and error().
#include "check.hpp"

using mnet::Chann;
using mnet::ChannAddr;
using mnet::ChannDispatcher;

namespace {

struct Case {
    std::string input;
    std::string quoted;  // the part of the input the message must quote
    std::string reason;
};

}  // namespace

int main() {
    const std::string longest(10000, 'a');
    const Case cases[] = {
        {"1.2.3.4:99999", "'1.2.3.4:99999'", "port out of range"},
        {"nonsense", "'nonsense'", "missing ':port'"},
        {longest, "'aaaa", "too long"},
        {longest + ":80", "'aaaa", "too long"},
        {"127.0.0.1:", "'127.0.0.1:'", "missing port"},
        {"127.0.0.1:http", "'127.0.0.1:http'", "port is not a number"},
        {"300.1.1.1:80", "'300.1.1.1:80'", "not a valid IPv4 address"},
        {"::1:80", "'::1:80'", "need brackets"},
        {"[::1:80", "'[::1:80'", "missing ']'"},
        {"bad host:80", "'bad host:80'", "not an IP address or a valid host name"},
        {"", "''", "missing ':port'"},
    };
    int events = 0;
    for (const Case &k : cases) {
        const std::string label = k.input.size() > 40 ? std::to_string(k.input.size()) + "-char string"
                                                        : "\"" + k.input + "\"";
        for (const char *type : {"tcp", "udp"}) {
            Chann c(type);
            c.setEventHandler([&events](Chann *, Chann *, chann_event_t, int) { ++events; });
            CHECK(!c.channConnect(k.input));
            CHECK_CONTAINS(c.lastError(), k.quoted);
            CHECK_CONTAINS(c.lastError(), k.reason);
            CHECK_LT(c.lastError().size(), 200u);
            CHECK_EQ(c.state(), CHANN_STATE_DISCONNECT);

            Chann l(type);
            CHECK(!l.channListen(k.input));
            CHECK_CONTAINS(l.lastError(), k.quoted);
            CHECK_CONTAINS(l.lastError(), k.reason);
            CHECK_EQ(l.state(), CHANN_STATE_DISCONNECT);

            // Still usable: the failed call left nothing behind.
            CHECK(l.channListen("127.0.0.1:0"));
            CHECK_EQ(l.state(), CHANN_STATE_LISTENING);
        }
        ChannAddr a(k.input);
        CHECK(!a.isValid());
        CHECK_CONTAINS(a.error(), k.reason);
        CHECK_EQ(a.addrString, "");
        Chann shown("tcp");
        CHECK(!shown.channConnect(k.input));
        PASS(label + " -> false, lastError = " + check::show(shown.lastError()));
    }
    for (int i = 0; i < 3; i++) CHECK_GE(ChannDispatcher::pollEvent(0), 0);
    CHECK_EQ(events, 0);
    PASS("no event follows a refused address; the Channs stay usable (listen on 127.0.0.1:0 works after)");

    Chann c("tcp");
    CHECK(!c.channConnect("127.0.0.1:0"));
    CHECK_CONTAINS(c.lastError(), "port 0");
    PASS("connect to port 0: " + check::show(c.lastError()));

    Chann u("udp");
    char b[4] = {};
    CHECK_EQ(u.channSendTo(b, 4, ChannAddr("nonsense")), -1);
    CHECK_CONTAINS(u.lastError(), "invalid destination");
    CHECK_CONTAINS(u.lastError(), "missing ':port'");
    PASS("channSendTo to an invalid ChannAddr: -1, " + check::show(u.lastError()));
    return 0;
}
