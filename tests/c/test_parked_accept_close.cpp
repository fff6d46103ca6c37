// A C listener's ACCEPT set aside by the C++ loop, then the listener closed:
// ChannDispatcher::pollEvent runs the round in which a C listener accepts a
// connection and parks the ACCEPT for mnet_result_next; the program closes
// the C listener before draining it. The ACCEPT goes with the listener, and
// so does the chann it carried (as when an ACCEPT's listener is closed before
// the message is handed out): no open chann nobody can name stays counted by
// mnet_poll and pollEvent, and the client sees its connection closed.
#include <mnet/mnet_core.h>
#include <mnet/mnet_ext.h>
#include <mnet/mnet.hpp>

#include "check.h"

using mnet::Chann;
using mnet::ChannAddr;
using mnet::ChannDispatcher;

int main() {
    chann_t *listener = check_listen(CHANN_TYPE_STREAM, 4);
    chann_addr_t addr;
    CHECK_EQ(mnet_chann_socket_addr(listener, &addr), 1);
    ChannAddr target;
    target.copyAddr(&addr);

    bool connected = false;
    int lost = 0, lostErr = -1;
    Chann *client = new Chann("tcp");
    client->setEventHandler([&](Chann *, Chann *, chann_event_t event, int err) {
        if (event == CHANN_EVENT_CONNECTED) {
            connected = true;
        } else if (event == CHANN_EVENT_DISCONNECT) {
            ++lost;
            lostErr = err;
        }
    });
    CHECK(client->channConnect(target.addrString));

    // Only the C++ loop runs: the listener's ACCEPT is parked, its chann open.
    const int64_t end = ChannDispatcher::currentTime() + 10 * 1000000LL;
    while (!connected || ChannDispatcher::channCount() < 3) {
        CHECK_LT(ChannDispatcher::currentTime(), end);
        CHECK_GE(ChannDispatcher::pollEvent(10), 0);
    }
    CHECK_EQ(ChannDispatcher::channCount(), 3);
    PASS("pollEvent ran the round of the C listener's accept: 3 channels open (listener, client, accepted)");

    mnet_chann_close(listener);
    CHECK(mnet_result_next() == nullptr);
    CHECK_EQ(ChannDispatcher::channCount(), 1);
    PASS("closing the C listener drops its parked ACCEPT and closes the accepted chann: 1 channel left");

    while (lost == 0) {
        CHECK_LT(ChannDispatcher::currentTime(), end);
        CHECK_GE(ChannDispatcher::pollEvent(10), 0);
    }
    CHECK_EQ(lost, 1);
    CHECK_EQ(lostErr, 0);
    CHECK_EQ(mnet_poll(0), 1);
    PASS("the client sees its connection closed (one DISCONNECT, err 0); mnet_poll counts only the client");

    delete client;
    CHECK_EQ(mnet_poll(0), 0);
    CHECK_EQ(ChannDispatcher::pollEvent(0), 0);
    return 0;
}
