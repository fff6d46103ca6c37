// Many repeating timers at once: 60 Channs that never connect (timers work
// in every state), a listener and a connected pair, with intervals from 10
// to 100 ms, run until every one has fired 5 times while the connected pair
// keeps the loop busy with unread data (RECV every round). Checks, per Chann,
// that no TIMER comes before its deadline on the monotonic clock (the n-th
// comes at least n intervals after arming: none early, none extra), at most
// one TIMER per Chann per round, and TIMERs first in every round. How late timers fire is
// a figure for bench/ (timer_accuracy), not a test.
#include <vector>

#include "check.hpp"

using mnet::Chann;
using mnet::ChannDispatcher;

namespace {

int g_round = 0;             // pollEvent calls so far
int g_nonTimerRound = -1;    // last round that delivered a non-TIMER event

struct Ticker {
    Chann *chann = nullptr;
    int64_t intervalMs = 0;
    int64_t armedAt = 0;
    int ticks = 0;
    int lastRound = -1;
};

void onTimer(Ticker &t) {
    CHECK_NE(g_nonTimerRound, g_round);  // TIMERs come first in a round
    CHECK_NE(t.lastRound, g_round);      // at most one per Chann per round
    t.lastRound = g_round;
    ++t.ticks;
    // Not before its deadline: arming happened after armedAt was read.
    CHECK_GE(ChannDispatcher::currentTime(), t.armedAt + t.ticks * t.intervalMs * 1000);
}

void arm(Ticker &t, int64_t ms) {
    t.intervalMs = ms;
    t.armedAt = ChannDispatcher::currentTime();
    t.chann->channActiveEvent(CHANN_EVENT_TIMER, ms);
    CHECK_EQ(t.chann->lastError(), "");
}

}  // namespace

int main() {
    const int64_t intervals[] = {10, 20, 30, 50, 100};
    std::vector<Ticker> tickers(63);

    // Two Channs of the connected pair and the listener take the first three.
    Chann listener("tcp");
    CHECK(listener.channListen("127.0.0.1:0"));
    Chann *accepted = nullptr;
    Chann client("tcp");
    CHECK(client.channConnect(listener.myAddr().addrString));
    bool connected = false;
    listener.setEventHandler([&](Chann *, Chann *accept, chann_event_t event, int) {
        if (event == CHANN_EVENT_TIMER) return onTimer(tickers[0]);
        g_nonTimerRound = g_round;
        CHECK_EQ(event, CHANN_EVENT_ACCEPT);
        accepted = accept;  // kept: it receives RECV every round and never reads
        accepted->setEventHandler([&](Chann *, Chann *, chann_event_t ev, int) {
            if (ev == CHANN_EVENT_TIMER) return onTimer(tickers[1]);
            g_nonTimerRound = g_round;
            CHECK_EQ(ev, CHANN_EVENT_RECV);
        });
    });
    client.setEventHandler([&](Chann *self, Chann *, chann_event_t event, int) {
        if (event == CHANN_EVENT_TIMER) return onTimer(tickers[2]);
        g_nonTimerRound = g_round;
        CHECK_EQ(event, CHANN_EVENT_CONNECTED);
        connected = true;
        CHECK_EQ(self->channSend("x", 1), 1);
    });
    POLL_UNTIL(connected && accepted != nullptr && accepted->dataCached() == 0, 10);
    tickers[0].chann = &listener;
    tickers[1].chann = accepted;
    tickers[2].chann = &client;

    for (size_t i = 3; i < tickers.size(); i++) {
        Ticker &t = tickers[i];
        t.chann = new Chann(i % 2 ? "tcp" : "udp");
        t.chann->setEventHandler([&t](Chann *, Chann *, chann_event_t event, int) {
            CHECK_EQ(event, CHANN_EVENT_TIMER);
            onTimer(t);
        });
    }
    for (size_t i = 0; i < tickers.size(); i++) arm(tickers[i], intervals[i % 5]);

    auto allTicked = [&tickers] {
        for (const Ticker &t : tickers) {
            if (t.ticks < 5) return false;
        }
        return true;
    };
    const int64_t end = check::deadlineIn(60);  // a hang limit, not a timing claim
    int busyRounds = 0;
    while (!allTicked()) {
        if (!check::before(end)) check::fail(__FILE__, __LINE__, "timed out waiting for 5 TIMERs of every Chann");
        ++g_round;
        CHECK_GE(ChannDispatcher::pollEvent(100), 0);
        if (g_nonTimerRound == g_round) ++busyRounds;
    }
    CHECK_GT(busyRounds, 0);
    PASS("at most one TIMER per Chann per round, and TIMERs before other events, over " + std::to_string(g_round) +
         " rounds");
    PASS("63 repeating timers of 10-100 ms, on never-connected, listening and connected Channs: each fired 5 "
         "times or more, the n-th never before n intervals after arming");

    for (size_t i = 3; i < tickers.size(); i++) delete tickers[i].chann;
    delete accepted;
    return 0;
}
