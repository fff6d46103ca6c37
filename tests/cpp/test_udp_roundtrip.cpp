// UDP from C++: channSendTo from an unbound "udp" Chann (bound on the fly)
// to a listening one, channRecvFrom reporting the real sender, a reply sent
// back to that sender, over IPv4 and IPv6; then a connected UDP Chann using
// channSend/channRecv, and a "broadcast" one. One datagram per call,
// boundaries kept.
#include "check.hpp"

using mnet::Chann;
using mnet::ChannAddr;
using mnet::ChannDispatcher;

namespace {

void roundTrip(const std::string &any, const std::string &loopbackIp) {
    Chann server("udp");
    CHECK(server.channListen(any));
    CHECK_EQ(server.state(), CHANN_STATE_LISTENING);
    const ChannAddr serverAddr = server.myAddr();
    CHECK(serverAddr.isValid());
    CHECK_NE(serverAddr.addr.port, 0);
    CHECK_EQ(std::string(serverAddr.addr.ip), loopbackIp);

    std::string serverGot;
    ChannAddr serverSawFrom;
    server.setEventHandler([&](Chann *self, Chann *, chann_event_t event, int) {
        CHECK_EQ(event, CHANN_EVENT_RECV);
        char buf[64];
        ChannAddr from;
        int n;
        while ((n = self->channRecvFrom(buf, sizeof buf, from)) > 0) {
            serverGot.append(buf, static_cast<size_t>(n)).append("|");
            serverSawFrom = from;
            std::string reply = "re:" + std::string(buf, static_cast<size_t>(n));
            CHECK_EQ(self->channSendTo(reply.data(), static_cast<int>(reply.size()), from),
                     static_cast<int>(reply.size()));
        }
    });

    Chann client("udp");
    std::string clientGot;
    ChannAddr clientSawFrom;
    client.setEventHandler([&](Chann *self, Chann *, chann_event_t event, int) {
        CHECK_EQ(event, CHANN_EVENT_RECV);
        char buf[64];
        ChannAddr from;
        int n;
        while ((n = self->channRecvFrom(buf, sizeof buf, from)) > 0) {
            clientGot.append(buf, static_cast<size_t>(n)).append("|");
            clientSawFrom = from;
        }
    });
    const ChannAddr to(serverAddr.addrString);
    CHECK_EQ(client.channSendTo("one", 3, to), 3);
    CHECK_EQ(client.channSendTo("two!", 4, to), 4);
    CHECK_EQ(client.state(), CHANN_STATE_LISTENING);
    POLL_UNTIL(clientGot == "re:one|re:two!|", 10);
    CHECK_EQ(serverGot, "one|two!|");

    const ChannAddr clientAddr = client.myAddr();
    CHECK_EQ(serverSawFrom.addr.port, clientAddr.addr.port);
    CHECK_EQ(std::string(serverSawFrom.addr.ip), loopbackIp);
    CHECK_EQ(serverSawFrom.isIPv6(), serverAddr.isIPv6());
    CHECK_EQ(clientSawFrom.addrString, serverAddr.addrString);
    CHECK_EQ(client.bytesSent(), 7);
    CHECK_EQ(client.bytesReceived(), 13);
    PASS(any + ": sendTo/recvFrom round trip, datagrams kept whole, sender " + serverSawFrom.addrString +
         " is the client's own address, reply from " + clientSawFrom.addrString);

    // A connected UDP Chann: no event on connect, plain send/recv.
    Chann connected("udp");
    std::string got;
    connected.setEventHandler([&](Chann *self, Chann *, chann_event_t event, int) {
        CHECK_EQ(event, CHANN_EVENT_RECV);
        char buf[64];
        int n = self->channRecv(buf, sizeof buf);
        if (n > 0) got.assign(buf, static_cast<size_t>(n));
    });
    CHECK(connected.channConnect(serverAddr.addrString));
    CHECK(connected.isConnected());
    CHECK_EQ(connected.channSend("three", 5), 5);
    POLL_UNTIL(got == "re:three", 10);
    CHECK_EQ(connected.peerAddr().addrString, serverAddr.addrString);
    CHECK_EQ(serverSawFrom.addrString, connected.myAddr().addrString);
    PASS(any + ": a connected UDP Chann sends with channSend and reads the reply with channRecv");

    if (serverAddr.isIPv6()) return;  // SO_BROADCAST is IPv4 only
    Chann broadcast("broadcast");
    CHECK_EQ(broadcast.channType(), CHANN_TYPE_BROADCAST);
    std::string bGot;
    broadcast.setEventHandler([&](Chann *self, Chann *, chann_event_t, int) {
        char buf[64];
        ChannAddr from;
        int n = self->channRecvFrom(buf, sizeof buf, from);
        if (n > 0) bGot.assign(buf, static_cast<size_t>(n));
    });
    CHECK_EQ(broadcast.channSendTo("four", 4, to), 4);
    POLL_UNTIL(bGot == "re:four", 10);
    PASS(any + ": a \"broadcast\" Chann is a UDP Chann too (unicast round trip)");
}

}  // namespace

int main() {
    roundTrip("127.0.0.1:0", "127.0.0.1");
    roundTrip("[::1]:0", "::1");
    return 0;
}
