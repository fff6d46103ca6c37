// Chann("foo"): an unknown channel type is an error, not a silent broadcast
// socket as in m_net. lastError() names the type; every call fails cleanly
// (false, -1, CLOSED, an empty address) and no channel is opened.
#include "check.hpp"

using mnet::Chann;
using mnet::ChannAddr;
using mnet::ChannDispatcher;

namespace {

// Every call on `c` fails without crashing or opening anything.
void expectInert(Chann &c, const std::string &name) {
    char buf[16] = {};
    ChannAddr from;
    CHECK(!c.channListen("127.0.0.1:0"));
    CHECK(!c.channConnect("127.0.0.1:9"));
    c.channDisconnect();
    CHECK_EQ(c.channRecv(buf, sizeof buf), -1);
    CHECK_EQ(c.channSend(buf, sizeof buf), -1);
    CHECK_EQ(c.channRecvFrom(buf, sizeof buf, from), -1);
    CHECK_EQ(c.channSendTo(buf, sizeof buf, ChannAddr("127.0.0.1:9")), -1);
    c.channActiveEvent(CHANN_EVENT_TIMER, 10);
    c.channActiveEvent(CHANN_EVENT_SEND, 1);
    CHECK_EQ(c.dataCached(), -1);
    CHECK_EQ(c.bytesSent(), -1);
    CHECK_EQ(c.bytesReceived(), -1);
    CHECK(!c.setBufSize(65536));
    CHECK(!c.isConnected());
    CHECK_EQ(c.state(), CHANN_STATE_CLOSED);
    CHECK(!c.myAddr().isValid());
    CHECK_EQ(c.myAddr().addrString, "");
    CHECK(!c.peerAddr().isValid());
    CHECK_EQ(ChannDispatcher::channCount(), 0);
    CHECK_EQ(ChannDispatcher::pollEvent(20), 0);
    PASS(name + ": listen/connect false, recv/send/recvFrom/sendTo/dataCached/bytes -1, state CLOSED, "
                "no channel opened, no event");
}

}  // namespace

int main() {
    Chann foo("foo");
    CHECK_CONTAINS(foo.lastError(), "unknown channel type");
    CHECK_CONTAINS(foo.lastError(), "'foo'");
    PASS("Chann(\"foo\"): lastError() = " + check::show(foo.lastError()));
    expectInert(foo, "Chann(\"foo\")");
    CHECK_CONTAINS(foo.lastError(), "foo");
    PASS("after the failed calls lastError() still names the unknown type");

    Chann empty("");
    CHECK_CONTAINS(empty.lastError(), "unknown channel type");
    expectInert(empty, "Chann(\"\")");

    Chann none;
    CHECK(!none.lastError().empty());
    expectInert(none, "Chann()");

    Chann *heap = new Chann("TCP");  // type names are case-sensitive, as in m_net
    CHECK_CONTAINS(heap->lastError(), "'TCP'");
    delete heap;
    PASS("deleting a Chann without a channel is harmless");
    return 0;
}
