// A connect to a port nobody listens on ends in exactly one DISCONNECT with
// err == ECONNREFUSED and no CONNECTED; the Chann can then connect again.
#include <cerrno>

#include "raw_socket.hpp"

using mnet::Chann;
using mnet::ChannDispatcher;

int main() {
    // A bound socket that does not listen keeps the port taken and closed.
    int closed = raw::bound(false);
    const std::string addr = "127.0.0.1:" + std::to_string(raw::portOf(closed));

    int connected = 0, disconnects = 0, other = 0, err = -1;
    Chann c("tcp");
    c.setEventHandler([&](Chann *, Chann *, chann_event_t event, int e) {
        if (event == CHANN_EVENT_CONNECTED) {
            ++connected;
        } else if (event == CHANN_EVENT_DISCONNECT) {
            ++disconnects;
            err = e;
        } else {
            ++other;
        }
    });
    for (int attempt = 1; attempt <= 3; attempt++) {
        CHECK(c.channConnect(addr));
        POLL_UNTIL(disconnects == attempt, 10);
        for (int i = 0; i < 3; i++) CHECK_GE(ChannDispatcher::pollEvent(0), 0);
        CHECK_EQ(disconnects, attempt);
        CHECK_EQ(err, ECONNREFUSED);
        CHECK_EQ(connected, 0);
        CHECK_EQ(other, 0);
        CHECK_EQ(c.state(), CHANN_STATE_DISCONNECT);
    }
    PASS("3 connects to " + addr + ": each exactly one DISCONNECT with err ECONNREFUSED, never CONNECTED");

    // The same object connects fine once someone listens.
    Chann listener("tcp");
    CHECK(listener.channListen("127.0.0.1:0"));
    CHECK(c.channConnect(listener.myAddr().addrString));
    POLL_UNTIL(connected == 1, 10);
    CHECK_EQ(disconnects, 3);
    PASS("after refusals the same Chann connects and gets CONNECTED");
    close(closed);
    return 0;
}
