// Broadcast and multicast from C++ on loopback: a "broadcast" Chann sends
// to 127.255.255.255 and a "udp" Chann bound to 0.0.0.0 on that port gets
// it; a member that joined 239.255.77.2 on 127.0.0.1 gets what a sender
// with setMulticastInterface("127.0.0.1") sends to the group, and stops
// getting it after leaveMulticast. Misuse fails with a clear lastError.
#include "check.hpp"

using mnet::Chann;
using mnet::ChannAddr;
using mnet::ChannDispatcher;

namespace {

// A bound "udp" Chann that keeps the datagrams it receives.
struct Receiver {
    Chann chann{"udp"};
    std::vector<std::string> got;
    explicit Receiver(const std::string &where) {
        CHECK(chann.channListen(where));
        chann.setEventHandler([this](Chann *self, Chann *, chann_event_t event, int) {
            CHECK_EQ(event, CHANN_EVENT_RECV);
            char buf[256];
            ChannAddr from;
            int n;
            while ((n = self->channRecvFrom(buf, sizeof buf, from)) > 0) got.emplace_back(buf, static_cast<size_t>(n));
        });
    }
};

}  // namespace

int main() {
    Receiver wide("0.0.0.0:0");
    const int port = wide.chann.myAddr().addr.port;
    Chann caster("broadcast");
    CHECK_EQ(caster.channSendTo("hear ye", 7, ChannAddr("127.255.255.255:" + std::to_string(port))), 7);
    POLL_UNTIL(!wide.got.empty(), 10);
    CHECK_EQ(wide.got[0], "hear ye");
    Chann plain("udp");
    CHECK_EQ(plain.channSendTo("x", 1, ChannAddr("127.255.255.255:" + std::to_string(port))), -1);
    CHECK_CONTAINS(plain.lastError(), "ermission denied");
    PASS("broadcast to 127.255.255.255 reaches a 0.0.0.0 receiver; a plain udp Chann may not send there: " +
         check::show(plain.lastError()));

    Receiver member("0.0.0.0:0");
    const std::string group = "239.255.77.2:" + std::to_string(member.chann.myAddr().addr.port);
    CHECK(member.chann.joinMulticast("239.255.77.2", "127.0.0.1"));
    Chann sender("udp");
    CHECK(sender.channListen("127.0.0.1:0"));
    CHECK(sender.setMulticastInterface("127.0.0.1"));
    CHECK(sender.setMulticastLoop(true));
    CHECK(sender.setMulticastTtl(1));
    CHECK_EQ(sender.channSendTo("to the group", 12, ChannAddr(group)), 12);
    POLL_UNTIL(!member.got.empty(), 10);
    CHECK_EQ(member.got[0], "to the group");
    PASS("joinMulticast(239.255.77.2 on 127.0.0.1): the member receives what is sent to " + group);

    CHECK(member.chann.leaveMulticast("239.255.77.2", "127.0.0.1"));
    CHECK_EQ(sender.channSendTo("gone", 4, ChannAddr(group)), 4);
    const std::string direct = "127.0.0.1:" + std::to_string(member.chann.myAddr().addr.port);
    CHECK_EQ(sender.channSendTo("direct", 6, ChannAddr(direct)), 6);
    POLL_UNTIL(member.got.size() == 2, 10);
    CHECK_EQ(member.got[1], "direct");
    PASS("after leaveMulticast the group's datagram does not come (a unicast one sent after it does)");

    Chann tcp("tcp");
    CHECK(!tcp.joinMulticast("239.255.77.2"));
    CHECK_CONTAINS(tcp.lastError(), "tcp channel");
    CHECK(!member.chann.joinMulticast("10.0.0.1"));
    CHECK_CONTAINS(member.chann.lastError(), "not an IPv4 multicast group");
    CHECK(!member.chann.joinMulticast("239.1.1.1", "not-an-ip"));
    CHECK_CONTAINS(member.chann.lastError(), "not an IPv4 interface address");
    Chann unbound("udp");
    CHECK(!unbound.setMulticastInterface("127.0.0.1"));
    CHECK_CONTAINS(unbound.lastError(), "disconnected");
    PASS("misuse: " + check::show(tcp.lastError()) + ", " + check::show(unbound.lastError()));
    return 0;
}
