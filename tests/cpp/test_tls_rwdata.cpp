// Bulk data through TLS and the SEND pump: a "tls" client (verifying the
// server against the test CA and the name "localhost") writes 1 GiB in
// 256 KiB chunks, one chunk per CHANN_EVENT_SEND (queue empty and writable);
// the TLS server checks every decrypted byte and echoes it; the client checks
// every echoed byte. Byte i of the stream is i & 0xff, so a lost, doubled or
// reordered byte shows at once. MNET_RWDATA_BYTES lowers the size for quick
// local runs (and sanitized builds).
//
//   test_tls_rwdata <pki dir> [<unrelated pki dir>]
#include <algorithm>
#include <cstring>
#include <vector>

#include "check.hpp"
#include "tls_pki.hpp"

using mnet::Chann;
using mnet::ChannDispatcher;

namespace {

const int CHUNK = 256 * 1024;
// The server stops reading while this much echo is still queued, so memory
// stays bounded however the two ends are scheduled (the unread plaintext
// then waits in the TLS session and the socket, and RECV keeps coming).
const int ECHO_BACKLOG = 4 * 1024 * 1024;

int64_t g_total = int64_t(1) << 30;

// Checks that buf[0..n) continues the pattern at stream offset `off`.
void checkPattern(const unsigned char *buf, int n, int64_t off, const char *who) {
    for (int i = 0; i < n; i++) {
        if (buf[i] != static_cast<unsigned char>(off + i)) {
            check::fail(__FILE__, __LINE__,
                        std::string(who) + ": byte at offset " + std::to_string(off + i) + " is " +
                            std::to_string(buf[i]) + ", expected " + std::to_string((off + i) & 0xff));
        }
    }
}

class EchoConn : public Chann {
public:
    explicit EchoConn(Chann *accepted) : Chann(accepted), m_buf(CHUNK) {}
    int64_t received = 0;
    bool lost = false;
    int lostErr = -1;

    void defaultEventHandler(Chann *, chann_event_t event, int err) override {
        if (event == CHANN_EVENT_RECV) {
            while (dataCached() < ECHO_BACKLOG) {
                int n = channRecv(m_buf.data(), CHUNK);
                if (n <= 0) break;
                checkPattern(m_buf.data(), n, received, "server");
                received += n;
                CHECK_EQ(channSend(m_buf.data(), n), n);
            }
        } else if (event == CHANN_EVENT_DISCONNECT) {
            CHECK(!lost);
            lost = true;
            lostErr = err;
        } else {
            check::fail(__FILE__, __LINE__, "server got event " + check::show(event) + " err " + check::show(err));
        }
    }

private:
    std::vector<unsigned char> m_buf;
};

class Pump : public Chann {
public:
    Pump() : Chann("tls"), m_chunk(CHUNK), m_buf(CHUNK) {}
    int64_t sent = 0, echoed = 0;
    int sendEvents = 0;
    bool connected = false;

    void defaultEventHandler(Chann *, chann_event_t event, int err) override {
        if (event == CHANN_EVENT_CONNECTED) {
            CHECK(!connected);
            connected = true;
            channActiveEvent(CHANN_EVENT_SEND, 1);
        } else if (event == CHANN_EVENT_SEND) {
            ++sendEvents;
            CHECK_EQ(dataCached(), 0);
            CHECK_LT(sent, g_total);
            int n = static_cast<int>(std::min<int64_t>(CHUNK, g_total - sent));
            for (int i = 0; i < n; i++) m_chunk[static_cast<size_t>(i)] = static_cast<unsigned char>(sent + i);
            CHECK_EQ(channSend(m_chunk.data(), n), n);
            sent += n;
            if (sent == g_total) channActiveEvent(CHANN_EVENT_SEND, 0);
        } else if (event == CHANN_EVENT_RECV) {
            for (;;) {
                int n = channRecv(m_buf.data(), CHUNK);
                if (n <= 0) break;
                checkPattern(m_buf.data(), n, echoed, "client");
                echoed += n;
            }
        } else {
            check::fail(__FILE__, __LINE__,
                        "client got event " + check::show(event) + " err " + check::show(err) + ": " + lastError());
        }
    }

private:
    std::vector<unsigned char> m_chunk, m_buf;
};

}  // namespace

int main(int argc, char **argv) {
    const TlsPki pki = tlsPki(argc, argv);
    if (const char *env = std::getenv("MNET_RWDATA_BYTES")) g_total = std::atoll(env);
    CHECK_GT(g_total, 0);

    EchoConn *server = nullptr;
    Chann listener("tls");
    tlsListen(listener, pki);
    listener.setEventHandler([&server](Chann *, Chann *accept, chann_event_t event, int) {
        CHECK_EQ(event, CHANN_EVENT_ACCEPT);
        CHECK(server == nullptr);
        CHECK_EQ(accept->channType(), CHANN_TYPE_TLS);
        server = new EchoConn(accept);
        delete accept;
    });

    Pump client;
    CHECK(client.setTlsConfig(pki.client()));
    CHECK(client.channConnect(localhostOf(listener)));
    POLL_UNTIL(client.echoed == g_total, 240);

    CHECK_EQ(client.sent, g_total);
    CHECK_EQ(server->received, g_total);
    CHECK_EQ(client.sendEvents, static_cast<int>((g_total + CHUNK - 1) / CHUNK));
    CHECK_EQ(client.dataCached(), 0);
    CHECK_EQ(server->dataCached(), 0);
    PASS(std::to_string(g_total) + " bytes pumped by SEND in 256 KiB chunks through TLS, byte-checked at the "
         "server and after the echo");

    // bytesSent/bytesReceived count what crossed the socket: ciphertext,
    // records and handshake included. Everything either end wrote has been
    // read by the other (all plaintext arrived, and nothing follows it).
    CHECK_GT(client.bytesSent(), g_total);
    CHECK_GT(server->bytesSent(), g_total);
    CHECK_EQ(client.bytesSent(), server->bytesReceived());
    CHECK_EQ(server->bytesSent(), client.bytesReceived());
    PASS("byte counters count ciphertext, and both ends agree to the byte (" +
         std::to_string(client.bytesSent()) + " up, " + std::to_string(server->bytesSent()) + " down)");

    client.channDisconnect();
    POLL_UNTIL(server->lost, 10);
    CHECK_EQ(server->lostErr, 0);
    PASS("the server sees one DISCONNECT with err 0 (close_notify) after the client's channDisconnect");
    delete server;
    CHECK_EQ(ChannDispatcher::channCount(), 2);  // the listener and the client
    return 0;
}
