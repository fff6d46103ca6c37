// ChannDispatcher: startEventLoop() runs rounds until stopEventLoop() is
// called from a handler, or until the last Chann is deleted; pollEvent()
// returns the number of open Channs; currentTime() is monotonic
// microseconds; version() is major * 10000 + minor * 100 + patch, the same
// version the CMake project declares.
#include "check.hpp"

using mnet::Chann;
using mnet::ChannDispatcher;

int main() {
    CHECK_EQ(ChannDispatcher::version(), MNET_VERSION_NUMBER);
    PASS("version() = " + std::to_string(ChannDispatcher::version()) + ", the CMake project's version");

    int64_t last = ChannDispatcher::currentTime();
    CHECK_GE(last, 0);
    for (int i = 0; i < 100000; i++) {
        int64_t now = ChannDispatcher::currentTime();
        CHECK_GE(now, last);
        last = now;
    }
    PASS("currentTime() never goes back over 100000 reads");

    CHECK_EQ(ChannDispatcher::pollEvent(0), 0);
    {
        Chann a("tcp"), b("udp");
        CHECK_EQ(ChannDispatcher::pollEvent(0), 2);
        CHECK_EQ(ChannDispatcher::channCount(), 2);
    }
    CHECK_EQ(ChannDispatcher::pollEvent(0), 0);
    PASS("pollEvent() and channCount() count open Channs, Channs without a socket included");

    // stopEventLoop from a handler: the loop returns after that round.
    Chann *ticker = new Chann("udp");
    int ticks = 0;
    ticker->setEventHandler([&ticks](Chann *, Chann *, chann_event_t, int) {
        if (++ticks == 3) ChannDispatcher::stopEventLoop();
    });
    ticker->channActiveEvent(CHANN_EVENT_TIMER, 5);
    ChannDispatcher::startEventLoop();
    CHECK_EQ(ticks, 3);
    PASS("startEventLoop() returns after the round in which a handler called stopEventLoop()");
    delete ticker;

    // With no Chann left, startEventLoop returns on its own.
    Chann *only = new Chann("tcp");
    bool deleted = false;
    only->setEventHandler([&deleted](Chann *self, Chann *, chann_event_t, int) {
        delete self;
        deleted = true;
    });
    only->channActiveEvent(CHANN_EVENT_TIMER, 5);
    ChannDispatcher::startEventLoop();
    CHECK(deleted);
    CHECK_EQ(ChannDispatcher::channCount(), 0);
    PASS("startEventLoop() returns once a handler deleted the last Chann");
    return 0;
}
