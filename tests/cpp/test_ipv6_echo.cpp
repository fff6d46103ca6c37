// TCP over IPv6: listen on [::1]:0, connect by the "[v6]:port" text that
// myAddr() gives, echo 64 KiB, and see IPv6 addresses on both ends.
#include "check.hpp"

using mnet::Chann;
using mnet::ChannDispatcher;

int main() {
    Chann listener("tcp");
    CHECK(listener.channListen("[::1]:0"));
    const std::string addr = listener.myAddr().addrString;
    CHECK(listener.myAddr().isIPv6());
    CHECK_EQ(addr.rfind("[::1]:", 0), 0u);

    Chann *server = nullptr;
    listener.setEventHandler([&server](Chann *, Chann *accept, chann_event_t event, int) {
        CHECK_EQ(event, CHANN_EVENT_ACCEPT);
        server = accept;
        server->setEventHandler([](Chann *self, Chann *, chann_event_t ev, int) {
            if (ev != CHANN_EVENT_RECV) return;
            char buf[8192];
            int n;
            while ((n = self->channRecv(buf, sizeof buf)) > 0) CHECK_EQ(self->channSend(buf, n), n);
        });
    });

    std::string sent(64 * 1024, '\0');
    for (size_t i = 0; i < sent.size(); i++) sent[i] = static_cast<char>(i * 7);
    std::string got;
    Chann client("tcp");
    client.setEventHandler([&](Chann *self, Chann *, chann_event_t event, int) {
        if (event == CHANN_EVENT_CONNECTED) {
            CHECK_EQ(self->channSend(sent.data(), static_cast<int>(sent.size())), static_cast<int>(sent.size()));
        } else if (event == CHANN_EVENT_RECV) {
            char buf[8192];
            int n;
            while ((n = self->channRecv(buf, sizeof buf)) > 0) got.append(buf, static_cast<size_t>(n));
        }
    });
    CHECK(client.channConnect(addr));
    POLL_UNTIL(got.size() == sent.size(), 20);
    CHECK(got == sent);
    PASS("64 KiB echoed byte-exactly over TCP on " + addr);

    CHECK(client.myAddr().isIPv6());
    CHECK(client.peerAddr().isIPv6());
    CHECK_EQ(client.peerAddr().addrString, addr);
    CHECK(server->myAddr().isIPv6());
    CHECK_EQ(server->myAddr().addrString, addr);
    CHECK_EQ(server->peerAddr().addrString, client.myAddr().addrString);
    PASS("both ends report IPv6 addresses: client " + client.myAddr().addrString + ", server " +
         server->myAddr().addrString);
    delete server;
    return 0;
}
