// A handler may run pollEvent itself (a nested round), and a handler in that
// nested round may delete the Chann whose handler is still running outside
// it. After the nested round returns, the outer handler still has its
// captures, the dispatch does not touch the deleted object (its memory is
// scribbled over, so it would crash), and the replacement handler the outer
// one had set is freed with the Chann.
#include <cstring>
#include <memory>

#include "check.hpp"

using mnet::Chann;
using mnet::ChannDispatcher;

namespace {

class Scribbled : public Chann {
public:
    Scribbled() : Chann("udp") {}
    static void operator delete(void *p, size_t n) {
        std::memset(p, 0xa5, n);
        ::operator delete(p);
    }
};

}  // namespace

int main() {
    auto token = std::make_shared<int>(1);
    Scribbled *outer = new Scribbled();
    Chann inner("udp");
    bool outerRan = false, innerRan = false, survived = false;

    inner.setEventHandler([&](Chann *self, Chann *, chann_event_t, int) {
        self->channActiveEvent(CHANN_EVENT_TIMER, 0);
        innerRan = true;
        delete outer;
        outer = nullptr;
    });
    outer->setEventHandler([&](Chann *self, Chann *, chann_event_t, int) {
        self->channActiveEvent(CHANN_EVENT_TIMER, 0);
        outerRan = true;
        // Queue a replacement, then let a nested round delete this Chann.
        self->setEventHandler([token](Chann *, Chann *, chann_event_t, int) {});
        inner.channActiveEvent(CHANN_EVENT_TIMER, 1);
        const int64_t end = check::deadlineIn(10);
        while (!innerRan) {
            CHECK(check::before(end));
            CHECK_GE(ChannDispatcher::pollEvent(10), 0);
        }
        survived = true;  // `self` is gone, this lambda's captures are not
    });
    outer->channActiveEvent(CHANN_EVENT_TIMER, 1);
    POLL_UNTIL(survived, 10);
    CHECK(outerRan);
    CHECK(outer == nullptr);
    CHECK_EQ(token.use_count(), 1);
    CHECK_EQ(ChannDispatcher::channCount(), 1);
    PASS("a Chann deleted in a nested pollEvent while its own handler runs: the outer dispatch leaves it alone "
         "and its queued replacement handler is freed");
    return 0;
}
