// ChannDispatcher: startEventLoop() runs rounds until stopEventLoop() is
// called from a handler (the rest of that round is still delivered, and no
// further round runs), or until the last Chann is deleted; pollEvent()
// returns the number of open Channs; currentTime() is monotonic
// microseconds on the same clock as std::chrono::steady_clock; version() is
// major * 10000 + minor * 100 + patch, the same version the CMake project
// declares. A loop that does not stop fails the test (an alarm), rather than
// hanging it.
#include <signal.h>
#include <unistd.h>

#include <chrono>

#include "check.hpp"

using mnet::Chann;
using mnet::ChannDispatcher;

namespace {

void onAlarm(int) {
    const char msg[] = "FAILED: startEventLoop() did not return within 60 s\n";
    ssize_t ignored = write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)ignored;
    _exit(1);
}

int64_t steadyMicros() {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// Two Channs whose timers are due in the same round; the one handled first
// calls stopEventLoop().
void stopsAfterTheRound() {
    Chann a("udp"), b("tcp");
    int ticksA = 0, ticksB = 0, stops = 0;
    auto handler = [&stops](int *mine) {
        return [&stops, mine](Chann *, Chann *, chann_event_t event, int) {
            CHECK_EQ(event, CHANN_EVENT_TIMER);
            ++*mine;
            if (stops++ == 0) ChannDispatcher::stopEventLoop();
        };
    };
    a.setEventHandler(handler(&ticksA));
    b.setEventHandler(handler(&ticksB));
    a.channActiveEvent(CHANN_EVENT_TIMER, 5);
    b.channActiveEvent(CHANN_EVENT_TIMER, 5);
    const int64_t due = check::deadlineIn(0.010);
    while (check::before(due)) {
    }
    ChannDispatcher::startEventLoop();
    CHECK_EQ(ticksA, 1);
    CHECK_EQ(ticksB, 1);
    PASS("stopEventLoop() from a handler: the rest of that round is delivered, then startEventLoop() returns");

    // The stop does not stick: the next startEventLoop() runs until the next
    // stopEventLoop().
    stops = -2;  // the third TIMER from now stops the loop
    ChannDispatcher::startEventLoop();
    CHECK_GE(ticksA + ticksB, 2 + 3);
    PASS("a later startEventLoop() runs again until stopEventLoop() is called again");
}

}  // namespace

int main() {
    signal(SIGALRM, onAlarm);
    alarm(60);

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

    // The unit and the clock: between two reads of currentTime() at least as
    // many microseconds pass as steady_clock counts between them, and no
    // more than it counts around them (1 us for rounding).
    const int64_t s0 = steadyMicros();
    const int64_t a = ChannDispatcher::currentTime();
    const int64_t s1 = steadyMicros();
    while (steadyMicros() < s1 + 20000) {
    }
    const int64_t s2 = steadyMicros();
    const int64_t b = ChannDispatcher::currentTime();
    const int64_t s3 = steadyMicros();
    CHECK_GE(b - a, s2 - s1 - 1);
    CHECK_LE(b - a, s3 - s0 + 1);
    PASS("currentTime() counts microseconds of the monotonic clock: " + std::to_string(b - a) + " us between reads " +
         std::to_string(s2 - s1) + " to " + std::to_string(s3 - s0) + " us apart by steady_clock");

    CHECK_EQ(ChannDispatcher::pollEvent(0), 0);
    {
        Chann a("tcp"), b("udp");
        CHECK_EQ(ChannDispatcher::pollEvent(0), 2);
        CHECK_EQ(ChannDispatcher::channCount(), 2);
    }
    CHECK_EQ(ChannDispatcher::pollEvent(0), 0);
    PASS("pollEvent() and channCount() count open Channs, Channs without a socket included");

    stopsAfterTheRound();
    CHECK_EQ(ChannDispatcher::channCount(), 0);

    // With no Chann left, startEventLoop returns on its own.
    Chann *only = new Chann("tcp");
    int events = 0;
    only->setEventHandler([&events](Chann *self, Chann *, chann_event_t event, int) {
        CHECK_EQ(event, CHANN_EVENT_TIMER);
        if (++events == 2) delete self;
    });
    only->channActiveEvent(CHANN_EVENT_TIMER, 5);
    ChannDispatcher::startEventLoop();
    CHECK_EQ(events, 2);
    CHECK_EQ(ChannDispatcher::channCount(), 0);
    PASS("startEventLoop() returns once a handler deleted the last Chann");
    alarm(0);
    return 0;
}
