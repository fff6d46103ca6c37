// channActiveEvent(CHANN_EVENT_TIMER, 0) stops a timer (from its own
// handler, from outside, and from another Chann's handler in the round where
// both are due: the stopped one's queued TIMER is dropped), and arming again
// restarts the timer from now with the new interval.
#include <vector>

#include "check.hpp"

using mnet::Chann;
using mnet::ChannDispatcher;

namespace {

// Runs rounds for `ms` milliseconds.
void pollFor(int ms) {
    const int64_t end = check::deadlineIn(ms / 1000.0);
    while (check::before(end)) CHECK_GE(ChannDispatcher::pollEvent(5), 0);
}

// Waits, without running a round, until `ms` milliseconds have passed.
void spinFor(int ms) {
    const int64_t end = check::deadlineIn(ms / 1000.0);
    while (check::before(end)) {
    }
}

struct Counter : Chann {
    int ticks = 0;
    std::vector<int64_t> at;
    int stopAfter = -1;
    Counter *stopOther = nullptr;
    Counter() : Chann("tcp") {}
    void defaultEventHandler(Chann *, chann_event_t event, int) override {
        CHECK_EQ(event, CHANN_EVENT_TIMER);
        ++ticks;
        at.push_back(ChannDispatcher::currentTime());
        if (ticks == stopAfter) channActiveEvent(CHANN_EVENT_TIMER, 0);
        if (stopOther) stopOther->channActiveEvent(CHANN_EVENT_TIMER, 0);
    }
};

}  // namespace

int main() {
    {
        Counter c;
        c.stopAfter = 3;
        c.channActiveEvent(CHANN_EVENT_TIMER, 5);
        POLL_UNTIL(c.ticks == 3, 10);
        pollFor(100);
        CHECK_EQ(c.ticks, 3);
        PASS("a timer stopped with 0 inside its own handler fires no more (3 ticks, then none for 100 ms)");
    }
    {
        Counter c;
        c.channActiveEvent(CHANN_EVENT_TIMER, 5);
        POLL_UNTIL(c.ticks == 2, 10);
        c.channActiveEvent(CHANN_EVENT_TIMER, 0);
        pollFor(100);
        CHECK_EQ(c.ticks, 2);
        PASS("a timer stopped with 0 between rounds fires no more");
    }
    {
        // Both due in the same round: whichever runs first stops the other,
        // whose TIMER is already queued and must be dropped.
        Counter a, b;
        a.stopOther = &b;
        b.stopOther = &a;
        a.channActiveEvent(CHANN_EVENT_TIMER, 1);
        b.channActiveEvent(CHANN_EVENT_TIMER, 1);
        spinFor(5);
        CHECK_GE(ChannDispatcher::pollEvent(0), 0);
        CHECK_EQ(a.ticks + b.ticks, 1);
        pollFor(50);
        // The one that ran is still armed; the stopped one never fired.
        CHECK_GT(a.ticks + b.ticks, 1);
        CHECK((a.ticks == 0) != (b.ticks == 0));
        PASS("stopping another Chann's timer in a round where both are due drops its queued TIMER");
    }
    {
        Counter c;
        c.channActiveEvent(CHANN_EVENT_TIMER, 300);
        pollFor(100);
        CHECK_EQ(c.ticks, 0);
        const int64_t rearmed = ChannDispatcher::currentTime();
        c.channActiveEvent(CHANN_EVENT_TIMER, 300);
        POLL_UNTIL(c.ticks == 2, 10);
        CHECK_GE(c.at[0] - rearmed, 300 * 1000);
        CHECK_GE(c.at[1] - rearmed, 600 * 1000);
        PASS("re-arming restarts the timer from now: no tick before re-arm time + interval");
    }
    {
        Counter c;
        c.channActiveEvent(CHANN_EVENT_TIMER, 60 * 1000);
        const int64_t rearmed = ChannDispatcher::currentTime();
        c.channActiveEvent(CHANN_EVENT_TIMER, 10);
        POLL_UNTIL(c.ticks == 5, 10);
        CHECK_GE(c.at[4] - rearmed, 50 * 1000);
        PASS("re-arming with a shorter interval takes the new interval (5 ticks of 10 ms, not one of 60 s)");
    }
    return 0;
}
