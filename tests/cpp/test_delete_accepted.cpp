// Refusing a connection: `delete accept` in the ACCEPT handler (and the base
// defaultEventHandler, which does just that) closes it. The client sees
// CONNECTED then exactly one DISCONNECT with err 0, and no channel leaks.
#include "check.hpp"

using mnet::Chann;
using mnet::ChannDispatcher;

namespace {

struct Client : Chann {
    Client() : Chann("tcp") {}
    int connected = 0, disconnects = 0, other = 0, err = -1;
    void defaultEventHandler(Chann *, chann_event_t event, int e) override {
        if (event == CHANN_EVENT_CONNECTED) {
            ++connected;
        } else if (event == CHANN_EVENT_DISCONNECT) {
            ++disconnects;
            err = e;
        } else {
            ++other;
        }
    }
};

// Connects a client to `listener` and checks that it is turned away.
void expectRefused(Chann &listener, const char *how) {
    const int before = ChannDispatcher::channCount();
    Client c;
    CHECK(c.channConnect(listener.myAddr().addrString));
    POLL_UNTIL(c.disconnects > 0, 10);
    for (int i = 0; i < 5; i++) CHECK_GE(ChannDispatcher::pollEvent(0), 0);
    CHECK_EQ(c.connected, 1);
    CHECK_EQ(c.disconnects, 1);
    CHECK_EQ(c.err, 0);
    CHECK_EQ(c.other, 0);
    CHECK_EQ(c.state(), CHANN_STATE_DISCONNECT);
    CHECK_EQ(ChannDispatcher::channCount(), before + 1);
    PASS(std::string(how) + ": the client sees CONNECTED, then one DISCONNECT with err 0; nothing leaks");
}

}  // namespace

int main() {
    int accepts = 0;
    Chann deleting("tcp");
    CHECK(deleting.channListen("127.0.0.1:0"));
    deleting.setEventHandler([&accepts](Chann *, Chann *accept, chann_event_t event, int) {
        CHECK_EQ(event, CHANN_EVENT_ACCEPT);
        ++accepts;
        delete accept;
    });
    expectRefused(deleting, "delete accept in a lambda handler");
    CHECK_EQ(accepts, 1);

    Chann base("tcp");
    CHECK(base.channListen("127.0.0.1:0"));
    expectRefused(base, "the base defaultEventHandler");
    return 0;
}
