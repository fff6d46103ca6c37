// channActiveEvent(CHANN_EVENT_TIMER, 0) stops a timer (from its own
// handler, from outside, and from another Chann's handler in the round where
// both are due: the stopped one's queued TIMER is dropped), and arming again
// restarts the timer from now with the new interval.
#include <vector>

#include "check.hpp"

using mnet::Chann;
using mnet::ChannDispatcher;

namespace {

// Runs rounds for `ms` milliseconds (shows that nothing comes; never that
// something does).
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
        // The one that ran is still armed; the stopped one never fires.
        POLL_UNTIL(a.ticks + b.ticks == 4, 10);
        CHECK((a.ticks == 0) != (b.ticks == 0));
        PASS("stopping another Chann's timer in a round where both are due drops its queued TIMER");
    }
    {
        Counter c;
        // Re-armed every round for two periods: a tick may only come 300 ms
        // after the re-arm before the round it came in (a machine that
        // stalls for 300 ms lets one come, on time; the old schedule would
        // fire 300 ms after the first arm, long before that).
        const int64_t first = ChannDispatcher::currentTime();
        int64_t rearmed = first;
        c.channActiveEvent(CHANN_EVENT_TIMER, 300);
        while (ChannDispatcher::currentTime() < first + 600 * 1000) {
            const size_t seen = c.at.size();
            CHECK_GE(ChannDispatcher::pollEvent(10), 0);
            for (size_t i = seen; i < c.at.size(); i++) CHECK_GE(c.at[i] - rearmed, 300 * 1000);
            rearmed = ChannDispatcher::currentTime();
            c.channActiveEvent(CHANN_EVENT_TIMER, 300);
        }
        // Left alone, it fires on the schedule of the last re-arm.
        const int before = c.ticks;
        POLL_UNTIL(c.ticks == before + 2, 10);
        CHECK_GE(c.at[before] - rearmed, 300 * 1000);
        CHECK_GE(c.at[before + 1] - rearmed, 600 * 1000);
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
