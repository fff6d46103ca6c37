// Half-close: with setHalfClose(true), the peer's FIN arrives as one
// CHANN_EVENT_EOF after all its data, and the Chann can still send; the
// client's channShutdownWrite sends FIN after its queued data and it still
// receives. Without setHalfClose the FIN is DISCONNECT err 0, as in m_net.
#include <cerrno>

#include "check.hpp"

using mnet::Chann;
using mnet::ChannDispatcher;

int main() {
    Chann listener("tcp");
    CHECK(listener.channListen("127.0.0.1:0"));
    Chann *server = nullptr;
    std::string serverGot;
    int eofs = 0, serverDisconnects = 0;
    listener.setEventHandler([&](Chann *, Chann *accept, chann_event_t, int) {
        server = accept;
        CHECK(server->setHalfClose(true));
        server->setEventHandler([&](Chann *self, Chann *, chann_event_t event, int) {
            if (event == CHANN_EVENT_RECV) {
                char buf[64];
                int n = self->channRecv(buf, sizeof buf);
                if (n > 0) serverGot.append(buf, static_cast<size_t>(n));
            } else if (event == CHANN_EVENT_EOF) {
                ++eofs;
                CHECK_EQ(serverGot, "question");  // all data before the EOF
                CHECK(self->isConnected());
                const std::string answer = "answer after your FIN";
                CHECK_EQ(self->channSend(answer.data(), static_cast<int>(answer.size())),
                         static_cast<int>(answer.size()));
                CHECK(self->channShutdownWrite());
            } else if (event == CHANN_EVENT_DISCONNECT) {
                ++serverDisconnects;
            }
        });
    });

    std::string clientGot;
    int clientDisconnects = 0, clientErr = -1;
    Chann client("tcp");
    client.setEventHandler([&](Chann *self, Chann *, chann_event_t event, int err) {
        if (event == CHANN_EVENT_CONNECTED) {
            CHECK_EQ(self->channSend("question", 8), 8);
            CHECK(self->channShutdownWrite());
            CHECK_EQ(self->channSend("more", 4), -1);
            CHECK_CONTAINS(self->lastError(), "shutdown");
        } else if (event == CHANN_EVENT_RECV) {
            char buf[64];
            int n = self->channRecv(buf, sizeof buf);
            if (n > 0) clientGot.append(buf, static_cast<size_t>(n));
        } else if (event == CHANN_EVENT_DISCONNECT) {
            ++clientDisconnects;
            clientErr = err;
        }
    });
    CHECK(client.channConnect(listener.myAddr().addrString));
    POLL_UNTIL(clientDisconnects == 1, 10);
    for (int i = 0; i < 5; i++) CHECK_GE(ChannDispatcher::pollEvent(0), 0);
    CHECK_EQ(serverGot, "question");
    CHECK_EQ(eofs, 1);
    CHECK_EQ(clientGot, "answer after your FIN");
    CHECK_EQ(clientErr, 0);
    PASS("client: send + channShutdownWrite; server (half-close on): data, then one EOF, still connected, answers "
         "and shuts down; the client receives the answer, then DISCONNECT err 0");
    CHECK_EQ(clientDisconnects, 1);
    // The server had its EOF and shut its own side: with both FINs out the
    // connection is over, and it is told so exactly once.
    POLL_UNTIL(serverDisconnects == 1, 10);
    for (int i = 0; i < 5; i++) CHECK_GE(ChannDispatcher::pollEvent(0), 0);
    CHECK_EQ(serverDisconnects, 1);
    CHECK(!server->isConnected());
    PASS("the server gets one DISCONNECT once both sides finished; nothing after the client's DISCONNECT");
    delete server;
    return 0;
}
