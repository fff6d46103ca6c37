// 256 client Channs connect, exchange one message and reconnect the same
// object 5 times. The server echoes on RECV, turns SEND on, and deletes the
// accepted Chann on SEND (its echo has left): so every round proves ACCEPT,
// CONNECTED, RECV, SEND and DISCONNECT exactly once per connection, data
// before FIN, reconnecting after DISCONNECT, and pollEvent() reaching 0 once
// every Chann is deleted.
#include <cstring>

#include "check.hpp"
#include "fd_limit.hpp"

using mnet::Chann;
using mnet::ChannDispatcher;

namespace {

const int CLIENTS = 256;
const int ROUNDS = 5;

struct Counts {
    int accepts = 0, serverRecvs = 0, serverSends = 0;
    int connected = 0, echoes = 0, disconnects = 0, finished = 0;
} g;

class ServerConn : public Chann {
public:
    explicit ServerConn(Chann *accepted) : Chann(accepted) {}

    void defaultEventHandler(Chann *, chann_event_t event, int err) override {
        if (event == CHANN_EVENT_RECV) {
            char buf[64];
            int n = channRecv(buf, sizeof buf);
            if (n <= 0) return;  // the end of the stream: DISCONNECT follows
            ++g.serverRecvs;
            CHECK_EQ(channSend(buf, n), n);
            channActiveEvent(CHANN_EVENT_SEND, 1);
        } else if (event == CHANN_EVENT_SEND) {
            ++g.serverSends;
            CHECK_EQ(dataCached(), 0);
            delete this;
        } else {
            check::fail(__FILE__, __LINE__, "server connection got event " + check::show(event) + " err " +
                                                check::show(err));
        }
    }
};

class Client : public Chann {
public:
    Client(int id, std::string server) : Chann("tcp"), m_id(id), m_server(std::move(server)) {}

    void start() { CHECK(channConnect(m_server)); }

    void defaultEventHandler(Chann *, chann_event_t event, int err) override {
        switch (event) {
        case CHANN_EVENT_CONNECTED: {
            ++g.connected;
            CHECK_EQ(m_state, 0);
            m_state = 1;
            m_msg = "client " + std::to_string(m_id) + " round " + std::to_string(m_round);
            CHECK_EQ(channSend(m_msg.data(), static_cast<int>(m_msg.size())), static_cast<int>(m_msg.size()));
            break;
        }
        case CHANN_EVENT_RECV: {
            char buf[64];
            int n = channRecv(buf, sizeof buf);
            if (n <= 0) return;
            m_got.append(buf, static_cast<size_t>(n));
            if (m_got.size() == m_msg.size()) {
                CHECK_EQ(m_got, m_msg);
                ++g.echoes;
                m_state = 2;
            }
            break;
        }
        case CHANN_EVENT_DISCONNECT:
            ++g.disconnects;
            CHECK_EQ(err, 0);
            CHECK_EQ(m_state, 2);  // the echo arrived before the FIN
            CHECK_EQ(state(), CHANN_STATE_DISCONNECT);
            m_state = 0;
            m_got.clear();
            if (++m_round < ROUNDS) {
                start();
            } else {
                ++g.finished;
                delete this;
            }
            break;
        default:
            check::fail(__FILE__, __LINE__, "client got event " + check::show(event));
        }
    }

private:
    int m_id;
    int m_round = 0;
    int m_state = 0;  // 0 connecting, 1 sent, 2 echo received
    std::string m_server;
    std::string m_msg;
    std::string m_got;
};

}  // namespace

int main() {
    // Both ends of every client's connection live in this process.
    if (!fdlimit::raise(static_cast<rlim_t>(fdlimit::openFds() + 2 * CLIENTS + 64), "256 reconnecting clients")) {
        return 0;
    }
    Chann *listener = new Chann("tcp");
    CHECK(listener->channListen("127.0.0.1:0", 1024));
    listener->setEventHandler([](Chann *, Chann *accept, chann_event_t event, int) {
        CHECK_EQ(event, CHANN_EVENT_ACCEPT);
        ++g.accepts;
        new ServerConn(accept);
        delete accept;
    });
    std::string server = listener->myAddr().addrString;
    CHECK_NE(listener->myAddr().addr.port, 0);

    for (int i = 0; i < CLIENTS; i++) (new Client(i, server))->start();
    POLL_UNTIL(g.finished == CLIENTS, 120);

    const int total = CLIENTS * ROUNDS;
    CHECK_EQ(g.accepts, total);
    CHECK_EQ(g.connected, total);
    CHECK_EQ(g.serverRecvs, total);
    CHECK_EQ(g.serverSends, total);
    CHECK_EQ(g.echoes, total);
    CHECK_EQ(g.disconnects, total);
    PASS("256 clients x 5 rounds: exactly one ACCEPT, CONNECTED, echo, SEND and DISCONNECT per connection");

    CHECK_EQ(ChannDispatcher::pollEvent(0), 1);  // the listener
    delete listener;
    CHECK_EQ(ChannDispatcher::pollEvent(0), 0);
    PASS("pollEvent returns 0 once every Chann is deleted");
    return 0;
}
