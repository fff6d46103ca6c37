// `delete this` inside the DISCONNECT handler, on both sides: the server's
// connection deletes itself when the client leaves, and a client deletes
// itself when the server goes away. Nothing reaches the deleted objects
// (they scribble over their memory, so a stray event would crash), the
// channel count drops, and the loop ends with pollEvent() returning 0.
#include <cstring>

#include "check.hpp"

using mnet::Chann;
using mnet::ChannDispatcher;

namespace {

int g_deleted = 0;
int g_disconnects = 0;

class SelfDeleting : public Chann {
public:
    explicit SelfDeleting(Chann *accepted) : Chann(accepted) {}
    SelfDeleting() : Chann("tcp") {}
    ~SelfDeleting() override { ++g_deleted; }

    static void operator delete(void *p, size_t n) {
        std::memset(p, 0xa5, n);
        ::operator delete(p);
    }

    void defaultEventHandler(Chann *, chann_event_t event, int err) override {
        if (event == CHANN_EVENT_RECV) {
            char b[64];
            channRecv(b, sizeof b);
        } else if (event == CHANN_EVENT_DISCONNECT) {
            CHECK_EQ(err, 0);
            ++g_disconnects;
            delete this;
        }
    }
};

}  // namespace

int main() {
    SelfDeleting *server = nullptr;
    Chann *listener = new Chann("tcp");
    CHECK(listener->channListen("127.0.0.1:0"));
    listener->setEventHandler([&server](Chann *, Chann *accept, chann_event_t, int) {
        server = new SelfDeleting(accept);
        delete accept;
    });
    const std::string addr = listener->myAddr().addrString;

    // The client leaves: the server's connection deletes itself.
    Chann *client = new Chann("tcp");
    CHECK(client->channConnect(addr));
    POLL_UNTIL(server != nullptr && client->isConnected(), 10);
    CHECK_EQ(client->channSend("bye", 3), 3);
    POLL_UNTIL(server->bytesReceived() == 3, 10);
    client->channDisconnect();
    POLL_UNTIL(g_deleted == 1, 10);
    for (int i = 0; i < 5; i++) CHECK_GE(ChannDispatcher::pollEvent(0), 0);
    CHECK_EQ(g_disconnects, 1);
    CHECK_EQ(ChannDispatcher::pollEvent(0), 2);
    PASS("server side: delete this in DISCONNECT; no further event, the count drops to 2");

    // The server goes away: the client deletes itself.
    server = nullptr;
    SelfDeleting *c = new SelfDeleting();
    CHECK(c->channConnect(addr));
    POLL_UNTIL(server != nullptr, 10);
    delete server;
    POLL_UNTIL(g_deleted == 3, 10);
    CHECK_EQ(g_disconnects, 2);
    CHECK_EQ(ChannDispatcher::pollEvent(0), 2);
    PASS("client side: delete this in DISCONNECT after the server deleted its end");

    delete client;
    delete listener;
    CHECK_EQ(ChannDispatcher::pollEvent(0), 0);
    PASS("pollEvent returns 0 once the rest are deleted");
    return 0;
}
