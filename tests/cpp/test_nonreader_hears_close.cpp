// An m_net-style client that never reads: it waits for the server to hang
// up, ignoring RECV. It must still hear each close (one DISCONNECT per
// connection, err 0), reconnect, and leave the loop idle afterwards. The
// server greets and deletes each accepted Chann at once.
#include "check.hpp"

using mnet::Chann;
using mnet::ChannDispatcher;

namespace {

const int CONNECTIONS = 5;

struct Counts {
    int accepts = 0, connected = 0, offered = 0, disconnects = 0;
} g;

class NonReader : public Chann {
public:
    explicit NonReader(std::string server) : Chann("tcp"), m_server(std::move(server)) {}

    void start() { CHECK(channConnect(m_server)); }

    void defaultEventHandler(Chann *, chann_event_t event, int err) override {
        switch (event) {
        case CHANN_EVENT_CONNECTED:
            ++g.connected;
            break;
        case CHANN_EVENT_RECV:
            ++g.offered;  // never read: the server's greeting is not wanted
            break;
        case CHANN_EVENT_DISCONNECT:
            CHECK_EQ(err, 0);
            ++g.disconnects;
            if (g.disconnects < CONNECTIONS) start();
            break;
        default:
            check::fail(__FILE__, __LINE__, "unexpected event " + check::show(event));
        }
    }

private:
    std::string m_server;
};

}  // namespace

int main() {
    Chann server("tcp");
    CHECK(server.channListen("127.0.0.1:0", 16));
    server.setEventHandler([](Chann *, Chann *accept, chann_event_t event, int) {
        CHECK_EQ(event, CHANN_EVENT_ACCEPT);
        ++g.accepts;
        const char hello[] = "hello, and goodbye\n";
        CHECK_EQ(accept->channSend(hello, sizeof hello - 1), static_cast<int>(sizeof hello - 1));
        delete accept;  // the greeting goes out, then the FIN
    });
    NonReader client(server.myAddr().addrString);
    client.start();
    POLL_UNTIL(g.disconnects == CONNECTIONS, 20);
    CHECK_EQ(g.accepts, CONNECTIONS);
    CHECK_EQ(g.connected, CONNECTIONS);
    CHECK_GE(g.offered, CONNECTIONS);
    PASS("a client that never reads heard " << CONNECTIONS << " closes and reconnected after each");

    // Idle afterwards: a timer's ticks are the only events (a spinning RECV
    // would show up between them).
    const int offered = g.offered;
    check::watchTicks(5, 10);
    CHECK_EQ(g.offered, offered);
    CHECK_EQ(client.state(), CHANN_STATE_DISCONNECT);
    PASS("the loop stays idle after the last close");
    return 0;
}
