// setIdleTimeout: a connection where no byte moves for the given time gets
// DISCONNECT with err ETIMEDOUT (once; the peer then sees the close); one
// that keeps moving bytes well within the timeout stays up; 0 turns it off.
#include <cerrno>

#include "check.hpp"

using mnet::Chann;
using mnet::ChannDispatcher;

int main() {
    Chann listener("tcp");
    CHECK(listener.channListen("127.0.0.1:0"));
    Chann *server = nullptr;
    int serverDisconnects = 0, serverErr = -1;
    listener.setEventHandler([&](Chann *, Chann *accept, chann_event_t, int) {
        server = accept;
        server->setEventHandler([&](Chann *self, Chann *, chann_event_t event, int err) {
            if (event == CHANN_EVENT_RECV) {
                char buf[64];
                self->channRecv(buf, sizeof buf);
            } else if (event == CHANN_EVENT_DISCONNECT) {
                ++serverDisconnects;
                serverErr = err;
                delete self;
                server = nullptr;
            }
        });
    });

    int disconnects = 0, err = -1, ticks = 0;
    Chann client("tcp");
    client.setEventHandler([&](Chann *self, Chann *, chann_event_t event, int e) {
        if (event == CHANN_EVENT_DISCONNECT) {
            ++disconnects;
            err = e;
        } else if (event == CHANN_EVENT_TIMER) {
            ++ticks;
            self->channSend("k", 1);  // keeps the connection busy
        }
    });
    CHECK(client.channConnect(listener.myAddr().addrString));
    POLL_UNTIL(client.isConnected() && server != nullptr, 10);

    // Busy: a byte every 10 ms against a 2 s timeout, for 30 ticks.
    CHECK(client.setIdleTimeout(2000));
    client.channActiveEvent(CHANN_EVENT_TIMER, 10);
    POLL_UNTIL(ticks >= 30, 20);
    CHECK_EQ(disconnects, 0);
    CHECK(client.isConnected());
    PASS("a byte every 10 ms keeps a connection with a 2 s idle timeout up");

    // Idle: no byte moves; the timeout (now 100 ms) ends the connection.
    client.channActiveEvent(CHANN_EVENT_TIMER, 0);
    const int64_t idleFrom = ChannDispatcher::currentTime();
    CHECK(client.setIdleTimeout(100));
    POLL_UNTIL(disconnects == 1, 10);
    CHECK_EQ(err, ETIMEDOUT);
    CHECK_GE(ChannDispatcher::currentTime() - idleFrom, 100 * 1000);
    CHECK_EQ(client.state(), CHANN_STATE_DISCONNECT);
    POLL_UNTIL(serverDisconnects == 1, 10);
    CHECK_EQ(serverErr, 0);
    PASS("idle for 100 ms: one DISCONNECT with err ETIMEDOUT (not before 100 ms); the peer sees a clean close");

    // Off: 0 disables it on the next connection.
    CHECK(client.setIdleTimeout(0));
    CHECK(client.channConnect(listener.myAddr().addrString));
    POLL_UNTIL(client.isConnected() && server != nullptr, 10);
    const int64_t end = check::deadlineIn(0.3);
    while (check::before(end)) CHECK_GE(ChannDispatcher::pollEvent(10), 0);
    CHECK_EQ(disconnects, 1);
    PASS("setIdleTimeout(0): idle for 300 ms and still connected");
    delete server;
    return 0;
}
