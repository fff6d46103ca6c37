// myAddr() and peerAddr() return values: an address kept from an earlier
// call stays what it was when the Chann changes (m_net returned references
// into storage the next call overwrote). m_net's spellings still compile.
#include <type_traits>
#include <utility>

#include "check.hpp"

using mnet::Chann;
using mnet::ChannAddr;
using mnet::ChannDispatcher;

static_assert(std::is_same<decltype(std::declval<Chann &>().myAddr()), ChannAddr>::value, "myAddr() is a value");
static_assert(std::is_same<decltype(std::declval<Chann &>().peerAddr()), ChannAddr>::value, "peerAddr() is a value");

int main() {
    Chann a("tcp"), b("tcp");
    CHECK(a.channListen("127.0.0.1:0"));
    CHECK(b.channListen("127.0.0.1:0"));
    CHECK_NE(a.myAddr().addr.port, b.myAddr().addr.port);  // m_net's spellings

    const ChannAddr &held = a.myAddr();  // a const reference keeps the value alive
    const std::string text = held.addrString;
    a.channDisconnect();
    CHECK(!a.myAddr().isValid());
    CHECK(held.isValid());
    CHECK_EQ(held.addrString, text);
    PASS("an address kept from myAddr() survives the Chann's disconnect: " + text);

    Chann client("tcp");
    CHECK(client.channConnect(b.myAddr().addrString));
    POLL_UNTIL(client.isConnected(), 10);
    const ChannAddr first = client.peerAddr();
    CHECK_EQ(first.addrString, b.myAddr().addrString);
    CHECK(a.channListen("127.0.0.1:0"));
    client.channDisconnect();
    CHECK(client.channConnect(a.myAddr().addrString));
    POLL_UNTIL(client.isConnected(), 10);
    CHECK_EQ(client.peerAddr().addrString, a.myAddr().addrString);
    CHECK_EQ(first.addrString, b.myAddr().addrString);
    PASS("peerAddr() of the first connection is still its own after reconnecting elsewhere");
    return 0;
}
