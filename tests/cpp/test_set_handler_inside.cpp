// setEventHandler called from inside the running handler: the running
// callable (and its captures) stays intact until it returns, the new one
// takes the next event, and a handler may replace itself and then delete its
// Chann in the same call, still using its captures afterwards, without
// leaking or touching freed memory.
#include <memory>
#include <vector>

#include "check.hpp"

using mnet::Chann;
using mnet::ChannDispatcher;

int main() {
    std::vector<std::string> seen;
    Chann c("udp");

    // Each generation replaces itself with the next one, then keeps using
    // its own captures, which must still be alive.
    std::function<mnet::channEventHandler(int)> make = [&](int gen) -> mnet::channEventHandler {
        auto name = std::make_shared<std::string>("gen" + std::to_string(gen));
        return [&, gen, name](Chann *self, Chann *, chann_event_t event, int) {
            CHECK_EQ(event, CHANN_EVENT_TIMER);
            if (gen < 3) self->setEventHandler(make(gen + 1));
            else self->channActiveEvent(CHANN_EVENT_TIMER, 0);
            seen.push_back(*name);  // after the replacement: still this handler's capture
        };
    };
    c.setEventHandler(make(1));
    c.channActiveEvent(CHANN_EVENT_TIMER, 1);
    POLL_UNTIL(seen.size() == 3, 10);
    for (int i = 0; i < 20; i++) CHECK_GE(ChannDispatcher::pollEvent(1), 0);
    CHECK_EQ(seen.size(), 3u);
    CHECK_EQ(seen[0], "gen1");
    CHECK_EQ(seen[1], "gen2");
    CHECK_EQ(seen[2], "gen3");
    PASS("a handler that replaces itself keeps running with its captures; the new one gets the next event");

    // Replace, then delete this: the pending replacement goes with the Chann.
    auto token = std::make_shared<int>(1);
    bool ran = false;
    Chann *d = new Chann("tcp");
    d->setEventHandler([&ran, token](Chann *self, Chann *, chann_event_t, int) {
        self->setEventHandler([token](Chann *, Chann *, chann_event_t, int) {});
        delete self;
        ran = *token == 1;  // this handler's captures live until it returns
    });
    CHECK_EQ(token.use_count(), 2);
    d->channActiveEvent(CHANN_EVENT_TIMER, 1);
    const int before = ChannDispatcher::channCount();
    POLL_UNTIL(ran, 10);
    CHECK_EQ(ChannDispatcher::channCount(), before - 1);
    CHECK_EQ(token.use_count(), 1);
    PASS("setEventHandler then delete self in the same call: the running lambda keeps its captures until it "
         "returns, then both callables are destroyed");

    // Replacing another Chann's handler from inside a handler takes effect
    // at once.
    Chann a("udp"), b("udp");
    bool aRan = false;
    std::string bSaw;
    a.setEventHandler([&](Chann *self, Chann *, chann_event_t, int) {
        b.setEventHandler([&](Chann *, Chann *, chann_event_t, int) { bSaw = "new"; });
        self->channActiveEvent(CHANN_EVENT_TIMER, 0);
        aRan = true;
    });
    b.setEventHandler([&](Chann *, Chann *, chann_event_t, int) { bSaw = "old"; });
    a.channActiveEvent(CHANN_EVENT_TIMER, 1);
    POLL_UNTIL(aRan, 10);
    b.channActiveEvent(CHANN_EVENT_TIMER, 1);
    POLL_UNTIL(!bSaw.empty(), 10);
    CHECK_EQ(bSaw, "new");
    PASS("a handler replacing another Chann's handler: the other's next event goes to the new one");
    return 0;
}
