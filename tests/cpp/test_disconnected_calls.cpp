// Calls on a Chann that is not connected (never connected, lost its
// connection, or disconnected by the program) return -1 or false with a
// lastError() and never crash; a null buffer or a negative length is -1 in
// every state, connected included, and leaves the connection intact.
#include <climits>

#include "check.hpp"

using mnet::Chann;
using mnet::ChannAddr;
using mnet::ChannDispatcher;

namespace {

void expectNoIo(Chann &c, const std::string &what) {
    char buf[8] = {};
    CHECK(!c.isConnected());
    CHECK_EQ(c.channRecv(buf, sizeof buf), -1);
    CHECK(!c.lastError().empty());
    CHECK_EQ(c.channSend(buf, sizeof buf), -1);
    CHECK_CONTAINS(c.lastError(), "send");
    ChannAddr from;
    CHECK_EQ(c.channRecvFrom(buf, sizeof buf, from), -1);
    CHECK_EQ(c.dataCached(), 0);
    c.channActiveEvent(CHANN_EVENT_SEND, 1);
    CHECK_CONTAINS(c.lastError(), "SEND");
    c.channDisconnect();  // a no-op without a socket
    PASS(what + ": recv/send/recvFrom -1, dataCached 0, SEND event refused (" + check::show(c.lastError()) + ")");
}

void expectBadArgs(Chann &c, const std::string &what) {
    char buf[8] = {};
    ChannAddr from;
    const ChannAddr to("127.0.0.1:9");
    CHECK_EQ(c.channRecv(nullptr, 8), -1);
    CHECK_CONTAINS(c.lastError(), "null buffer");
    CHECK_EQ(c.channSend(nullptr, 8), -1);
    CHECK_CONTAINS(c.lastError(), "null buffer");
    CHECK_EQ(c.channRecv(buf, -1), -1);
    CHECK_CONTAINS(c.lastError(), "negative length");
    CHECK_EQ(c.channSend(buf, INT_MIN), -1);
    CHECK_CONTAINS(c.lastError(), "negative length");
    CHECK_EQ(c.channRecvFrom(nullptr, 8, from), -1);
    CHECK_EQ(c.channRecvFrom(buf, -8, from), -1);
    CHECK_EQ(c.channSendTo(nullptr, 8, to), -1);
    CHECK_EQ(c.channSendTo(buf, -8, to), -1);
    CHECK_CONTAINS(c.lastError(), "negative length");
    PASS(what + ": null buffer and negative length give -1 with a message");
}

}  // namespace

int main() {
    Chann never("tcp");
    CHECK_EQ(never.state(), CHANN_STATE_DISCONNECT);
    expectNoIo(never, "never connected");
    expectBadArgs(never, "never connected");

    Chann listener("tcp");
    CHECK(listener.channListen("127.0.0.1:0"));
    Chann *server = nullptr;
    listener.setEventHandler([&server](Chann *, Chann *accept, chann_event_t, int) {
        server = accept;  // kept, by giving it a handler; read from outside the loop
        server->setEventHandler([](Chann *, Chann *, chann_event_t, int) {});
    });
    char one[1];
    CHECK_EQ(listener.channSend("x", 1), -1);
    CHECK_EQ(listener.channRecv(one, 1), -1);
    PASS("a listener refuses recv and send: " + check::show(listener.lastError()));

    Chann client("tcp");
    int disconnects = 0;
    client.setEventHandler([&disconnects](Chann *, Chann *, chann_event_t event, int) {
        if (event == CHANN_EVENT_DISCONNECT) ++disconnects;
    });
    CHECK(client.channConnect(listener.myAddr().addrString));
    POLL_UNTIL(server != nullptr && client.isConnected(), 10);
    expectBadArgs(client, "connected");
    char zero;
    CHECK_EQ(client.channRecv(&zero, 0), 0);
    CHECK_EQ(client.channSend(&zero, 0), 0);
    CHECK_EQ(client.channSend("ok", 2), 2);
    char two[2];
    POLL_UNTIL(server->channRecv(two, 2) == 2, 10);
    CHECK(client.isConnected());
    PASS("connected: zero-length recv/send return 0, the bad calls left the connection working");

    delete server;
    server = nullptr;
    POLL_UNTIL(disconnects == 1, 10);
    expectNoIo(client, "after DISCONNECT");

    CHECK(client.channConnect(listener.myAddr().addrString));
    POLL_UNTIL(client.isConnected() && server != nullptr, 10);
    client.channDisconnect();
    CHECK_EQ(client.state(), CHANN_STATE_DISCONNECT);
    expectNoIo(client, "after channDisconnect");
    for (int i = 0; i < 3; i++) CHECK_GE(ChannDispatcher::pollEvent(0), 0);
    CHECK_EQ(disconnects, 1);
    PASS("channDisconnect raises no DISCONNECT");
    delete server;
    return 0;
}
