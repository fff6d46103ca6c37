// ChannDispatcher::stats() and report(): every open Chann of the thread
// with its type, state, addresses, byte counts and queued bytes, and the
// text form; accepted and closed Channs come and go from the list.
#include "check.hpp"

using mnet::Chann;
using mnet::ChannDispatcher;
using mnet::ChannInfo;

namespace {

const ChannInfo *find(const std::vector<ChannInfo> &all, const Chann *c) {
    for (const ChannInfo &i : all) {
        if (i.chann == c) return &i;
    }
    return nullptr;
}

}  // namespace

int main() {
    CHECK(ChannDispatcher::stats().empty());
    CHECK_EQ(ChannDispatcher::report(), "0 channels (0 connected, 0 listening), 0 bytes queued\n");

    Chann server("tcp");
    CHECK(server.channListen("127.0.0.1:0"));
    Chann *peer = nullptr;
    std::string got;
    server.setEventHandler([&](Chann *, Chann *accept, chann_event_t event, int) {
        if (event != CHANN_EVENT_ACCEPT) return;
        peer = accept;  // kept, by giving it a handler; deleted below
        peer->setEventHandler([&](Chann *self, Chann *, chann_event_t ev, int) {
            if (ev == CHANN_EVENT_RECV) {
                char buf[16];
                int n = self->channRecv(buf, sizeof buf);
                if (n > 0) got.append(buf, static_cast<size_t>(n));
            }
        });
    });
    Chann client("tcp");
    bool connected = false;
    client.setEventHandler([&](Chann *, Chann *, chann_event_t event, int) { connected |= event == CHANN_EVENT_CONNECTED; });
    CHECK(client.channConnect(server.myAddr().addrString));
    Chann udp("udp");
    POLL_UNTIL(connected && peer != nullptr, 10);
    CHECK_EQ(client.channSend("hello", 5), 5);
    POLL_UNTIL(got == "hello", 10);

    std::vector<ChannInfo> all = ChannDispatcher::stats();
    CHECK_EQ(all.size(), 4u);
    CHECK_EQ(static_cast<int>(all.size()), ChannDispatcher::channCount());
    const ChannInfo *s = find(all, &server), *c = find(all, &client), *p = find(all, peer), *u = find(all, &udp);
    CHECK(s && c && p && u);
    CHECK_EQ(s->type, CHANN_TYPE_STREAM);
    CHECK_EQ(s->state, CHANN_STATE_LISTENING);
    CHECK_EQ(s->local.addrString, server.myAddr().addrString);
    CHECK(!s->peer.isValid());
    CHECK_EQ(c->state, CHANN_STATE_CONNECTED);
    CHECK_EQ(c->peer.addrString, server.myAddr().addrString);
    CHECK_EQ(c->local.addrString, p->peer.addrString);
    CHECK_EQ(c->bytesSent, 5);
    CHECK_EQ(p->bytesReceived, 5);
    CHECK_EQ(c->dataCached, 0);
    CHECK_EQ(u->type, CHANN_TYPE_DGRAM);
    CHECK_EQ(u->state, CHANN_STATE_DISCONNECT);
    CHECK(!u->local.isValid());
    PASS("stats(): 4 Channs with type, state, both addresses, bytes sent/received and queued");

    const std::string text = ChannDispatcher::report();
    CHECK_EQ(text.substr(0, text.find('\n')), "4 channels (2 connected, 1 listening), 0 bytes queued");
    CHECK_CONTAINS(text, "tcp listening local " + server.myAddr().addrString + " peer -");
    CHECK_CONTAINS(text, "tcp connected local " + client.myAddr().addrString + " peer " + server.myAddr().addrString +
                             " sent 5 received 0 queued 0");
    CHECK_CONTAINS(text, "udp disconnected local - peer -");
    std::cout << text;
    PASS("report(): a header line and one line per Chann");

    delete peer;
    CHECK_EQ(ChannDispatcher::stats().size(), 3u);
    PASS("a deleted Chann leaves the list");
    return 0;
}
