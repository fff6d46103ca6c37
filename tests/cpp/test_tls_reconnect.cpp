// 64 "tls" client Channs connect (verifying "localhost" against the test
// CA), exchange one message and reconnect the same object 5 times. The TLS
// server answers on RECV, turns SEND on, and deletes the accepted Chann on
// SEND (its answer has left, close_notify follows it). So every round proves,
// over TLS: ACCEPT and CONNECTED after the handshake, exactly once; one RECV
// with the message and one SEND per server connection; the answer before
// the close; a DISCONNECT with err 0 (close_notify, not a truncation) per
// connection; a new handshake when a Chann reconnects; and nothing left over
// (pollEvent() reaching 0 once every Chann is deleted).
//
//   test_tls_reconnect <pki dir> [<unrelated pki dir>]
#include <cstring>

#include "check.hpp"
#include "tls_pki.hpp"

using mnet::Chann;
using mnet::ChannDispatcher;

namespace {

const int CLIENTS = 64;
const int ROUNDS = 5;

struct Counts {
    int accepts = 0, serverRecvs = 0, serverSends = 0;
    int connected = 0, answers = 0, disconnects = 0, finished = 0;
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
            CHECK_EQ(m_recvs++, 0);
            std::string msg(buf, static_cast<size_t>(n));
            CHECK_EQ(msg.compare(0, 7, "client "), 0);
            std::string answer = "answer to " + msg;
            CHECK_EQ(channSend(answer.data(), static_cast<int>(answer.size())), static_cast<int>(answer.size()));
            channActiveEvent(CHANN_EVENT_SEND, 1);
        } else if (event == CHANN_EVENT_SEND) {
            ++g.serverSends;
            CHECK_EQ(dataCached(), 0);
            delete this;
        } else {
            check::fail(__FILE__, __LINE__, "server connection got event " + check::show(event) + " err " +
                                                check::show(err) + ": " + lastError());
        }
    }

private:
    int m_recvs = 0;
};

class Client : public Chann {
public:
    Client(int id, std::string server, const mnet::TlsConfig &tls)
        : Chann("tls"), m_id(id), m_server(std::move(server)) {
        CHECK(setTlsConfig(tls));
    }

    void start() {
        if (!channConnect(m_server)) check::fail(__FILE__, __LINE__, "channConnect: " + lastError());
    }

    void defaultEventHandler(Chann *, chann_event_t event, int err) override {
        switch (event) {
        case CHANN_EVENT_CONNECTED: {
            ++g.connected;
            CHECK_EQ(m_state, 0);
            CHECK_EQ(state(), CHANN_STATE_CONNECTED);
            m_state = 1;
            m_msg = "client " + std::to_string(m_id) + " round " + std::to_string(m_round);
            CHECK_EQ(channSend(m_msg.data(), static_cast<int>(m_msg.size())), static_cast<int>(m_msg.size()));
            break;
        }
        case CHANN_EVENT_RECV: {
            char buf[64];
            int n = channRecv(buf, sizeof buf);
            if (n <= 0) return;
            CHECK_EQ(m_state, 1);
            m_got.append(buf, static_cast<size_t>(n));
            if (m_got.size() == m_msg.size() + 10) {
                CHECK_EQ(m_got, "answer to " + m_msg);
                ++g.answers;
                m_state = 2;
            }
            break;
        }
        case CHANN_EVENT_DISCONNECT:
            ++g.disconnects;
            if (err != 0) check::fail(__FILE__, __LINE__, "client DISCONNECT err " + check::show(err) + ": " + lastError());
            CHECK_EQ(m_state, 2);  // the answer arrived before the close
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
            check::fail(__FILE__, __LINE__, "client got event " + check::show(event) + " err " + check::show(err));
        }
    }

private:
    int m_id;
    int m_round = 0;
    int m_state = 0;  // 0 connecting, 1 sent, 2 answer received
    std::string m_server;
    std::string m_msg;
    std::string m_got;
};

}  // namespace

int main(int argc, char **argv) {
    const TlsPki pki = tlsPki(argc, argv);
    Chann *listener = new Chann("tls");
    tlsListen(*listener, pki, 256);
    listener->setEventHandler([](Chann *, Chann *accept, chann_event_t event, int) {
        CHECK_EQ(event, CHANN_EVENT_ACCEPT);
        CHECK_EQ(accept->state(), CHANN_STATE_CONNECTED);  // the handshake is done
        ++g.accepts;
        new ServerConn(accept);
        delete accept;
    });
    const std::string server = localhostOf(*listener);

    const mnet::TlsConfig tls = pki.client();  // one configuration shared by every client
    for (int i = 0; i < CLIENTS; i++) (new Client(i, server, tls))->start();
    POLL_UNTIL(g.finished == CLIENTS, 120);

    const int total = CLIENTS * ROUNDS;
    CHECK_EQ(g.accepts, total);
    CHECK_EQ(g.connected, total);
    CHECK_EQ(g.serverRecvs, total);
    CHECK_EQ(g.serverSends, total);
    CHECK_EQ(g.answers, total);
    CHECK_EQ(g.disconnects, total);
    PASS("64 TLS clients x 5 rounds: exactly one ACCEPT, CONNECTED, message, answer, SEND and DISCONNECT "
         "(err 0: close_notify) per connection, reconnecting the same objects");

    CHECK_EQ(ChannDispatcher::pollEvent(0), 1);  // the listener
    delete listener;
    CHECK_EQ(ChannDispatcher::pollEvent(0), 0);
    PASS("pollEvent returns 0 once every Chann is deleted: no TLS connection left behind");
    return 0;
}
