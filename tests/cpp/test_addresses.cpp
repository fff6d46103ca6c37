// myAddr() and peerAddr() are the socket's real addresses on both ends of a
// connection, the accepted one included: the accepted Chann's myAddr() is
// the listener's address and its peerAddr() the client's myAddr(), and the
// other way round. A listener on port 0 reports the port it got. The text
// form has no stray NULs.
#include <cstring>

#include "check.hpp"

using mnet::Chann;
using mnet::ChannAddr;
using mnet::ChannDispatcher;

namespace {

void checkText(const ChannAddr &a) {
    CHECK(a.isValid());
    CHECK_EQ(a.addrString.find('\0'), std::string::npos);
    CHECK_EQ(a.addrString, std::string(a.addr.ip) + ":" + std::to_string(a.addr.port));
}

}  // namespace

int main() {
    Chann listener("tcp");
    CHECK(!listener.myAddr().isValid());
    CHECK(listener.channListen("127.0.0.1:0"));
    const ChannAddr l = listener.myAddr();
    checkText(l);
    CHECK_EQ(std::string(l.addr.ip), "127.0.0.1");
    CHECK_GT(l.addr.port, 0);
    PASS("a listener on 127.0.0.1:0 reports its real port: " + l.addrString);

    Chann *accepted = nullptr;
    listener.setEventHandler([&accepted](Chann *, Chann *accept, chann_event_t, int) {
        accepted = new Chann(accept);
        delete accept;
    });
    Chann client("tcp");
    CHECK(client.channConnect(l.addrString));
    POLL_UNTIL(accepted != nullptr && client.isConnected(), 10);

    const ChannAddr cMine = client.myAddr(), cPeer = client.peerAddr();
    const ChannAddr aMine = accepted->myAddr(), aPeer = accepted->peerAddr();
    for (const ChannAddr *a : {&cMine, &cPeer, &aMine, &aPeer}) checkText(*a);
    CHECK_EQ(cPeer.addrString, l.addrString);
    CHECK_EQ(aMine.addrString, l.addrString);
    CHECK_EQ(aPeer.addrString, cMine.addrString);
    CHECK_NE(cMine.addr.port, l.addr.port);
    PASS("client " + cMine.addrString + " -> " + cPeer.addrString + "; accepted " + aMine.addrString + " <- " +
         aPeer.addrString);

    // peerAddr() after the connection is gone: the address last connected to.
    client.channDisconnect();
    CHECK_EQ(client.peerAddr().addrString, l.addrString);
    CHECK(!client.myAddr().isValid());
    PASS("after channDisconnect: myAddr() empty, peerAddr() the address given to channConnect");
    delete accepted;
    return 0;
}
