// `delete this` inside the DISCONNECT handler, on both sides: the server's
// connection deletes itself when the client leaves, and a client deletes
// itself when the server goes away. Each hears the other's last bytes
// (RECV) before its DISCONNECT (err 0), its destructor runs once, nothing
// reaches it afterwards although it had a 1 ms timer and SEND turned on
// (deleted objects scribble over their memory, so a stray event would
// crash), its socket is closed (the descriptor count returns to where it
// was), and the loop ends with pollEvent() returning 0.
#include <cstring>
#include <vector>

#include "check.hpp"
#include "fd_limit.hpp"

using mnet::Chann;
using mnet::ChannDispatcher;

namespace {

std::vector<std::string> g_log;  // what happened to the SelfDeleting objects, in order

class SelfDeleting : public Chann {
public:
    SelfDeleting(Chann *accepted, std::string name) : Chann(accepted), m_name(std::move(name)) { busy(); }
    explicit SelfDeleting(std::string name) : Chann("tcp"), m_name(std::move(name)) {}
    ~SelfDeleting() override { g_log.push_back(m_name + " deleted"); }

    static void operator delete(void *p, size_t n) {
        std::memset(p, 0xa5, n);
        ::operator delete(p);
    }

    // A 1 ms timer and SEND on: events for this object come every round.
    void busy() {
        channActiveEvent(CHANN_EVENT_TIMER, 1);
        channActiveEvent(CHANN_EVENT_SEND, 1);
    }

    void defaultEventHandler(Chann *, chann_event_t event, int err) override {
        if (event == CHANN_EVENT_RECV) {
            char b[64];
            int n = channRecv(b, sizeof b);
            CHECK_GE(n, 0);
            m_got.append(b, static_cast<size_t>(n));
        } else if (event == CHANN_EVENT_DISCONNECT) {
            g_log.push_back(m_name + " DISCONNECT err " + std::to_string(err) + " after " + check::show(m_got));
            delete this;
        } else if (event == CHANN_EVENT_CONNECTED) {
            busy();
        } else {
            CHECK(event == CHANN_EVENT_TIMER || event == CHANN_EVENT_SEND);
        }
    }

private:
    std::string m_name;
    std::string m_got;
};

void expectLog(const std::vector<std::string> &want) {
    CHECK_EQ(g_log.size(), want.size());
    for (size_t i = 0; i < want.size(); i++) CHECK_EQ(g_log[i], want[i]);
}

}  // namespace

int main() {
    Chann *listener = new Chann("tcp");
    CHECK(listener->channListen("127.0.0.1:0"));
    SelfDeleting *server = nullptr;
    Chann *plain = nullptr;  // the second part's server end: a plain Chann
    bool plainServer = false;
    listener->setEventHandler([&](Chann *, Chann *accept, chann_event_t event, int) {
        CHECK_EQ(event, CHANN_EVENT_ACCEPT);
        if (plainServer) {
            plain = new Chann(accept);
        } else {
            server = new SelfDeleting(accept, "server");
        }
        delete accept;
    });
    const std::string addr = listener->myAddr().addrString;
    const int fds = fdlimit::openFds();

    // The client sends its last bytes and leaves at once: the server's
    // connection reads them, hears the close, and deletes itself.
    Chann *client = new Chann("tcp");
    CHECK(client->channConnect(addr));
    POLL_UNTIL(server != nullptr && client->isConnected(), 10);
    CHECK_EQ(client->channSend("bye", 3), 3);
    client->channDisconnect();
    POLL_UNTIL(g_log.size() == 2, 10);
    for (int i = 0; i < 5; i++) CHECK_GE(ChannDispatcher::pollEvent(1), 0);
    expectLog({"server DISCONNECT err 0 after \"bye\"", "server deleted"});
    CHECK_EQ(ChannDispatcher::pollEvent(0), 2);
    CHECK_EQ(fdlimit::openFds(), fds);  // the client's socket went with its disconnect, the server's with delete
    PASS("server side: \"bye\" read, then one DISCONNECT (err 0), delete this; no further event, the count drops "
         "to 2 and both sockets are closed");

    // The server says its last words and goes away: the client reads them,
    // hears the close, and deletes itself.
    g_log.clear();
    plainServer = true;
    SelfDeleting *c = new SelfDeleting("client");
    CHECK(c->channConnect(addr));
    POLL_UNTIL(plain != nullptr && plain->isConnected(), 10);
    CHECK_EQ(plain->channSend("last words", 10), 10);
    delete plain;
    POLL_UNTIL(g_log.size() == 2, 10);
    for (int i = 0; i < 5; i++) CHECK_GE(ChannDispatcher::pollEvent(1), 0);
    expectLog({"client DISCONNECT err 0 after \"last words\"", "client deleted"});
    CHECK_EQ(ChannDispatcher::pollEvent(0), 2);
    CHECK_EQ(fdlimit::openFds(), fds);
    PASS("client side: the server's last words read, then one DISCONNECT (err 0), delete this; both sockets closed");

    delete client;
    delete listener;
    CHECK_EQ(ChannDispatcher::pollEvent(0), 0);
    PASS("pollEvent returns 0 once the rest are deleted");
    return 0;
}
