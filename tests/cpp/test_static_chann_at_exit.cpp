// Global and static Channs: their destructors run after main returns, when
// the thread's event loop (thread-local state) is already gone. They must
// close nothing and abort nothing: this program's exit status is the test.
#include <memory>

#include "check.hpp"

using mnet::Chann;
using mnet::ChannDispatcher;

namespace {

// Destroyed after the Channs below (built before them): says the statics'
// destructors all returned.
struct Epilogue {
    ~Epilogue() { std::cout << "ok: the global and static Channs were destroyed without aborting" << std::endl; }
} g_epilogue;

Chann g_listener("tcp");
std::unique_ptr<Chann> g_accepted;

Chann &client() {
    static Chann c("tcp");
    return c;
}

}  // namespace

int main() {
    CHECK(g_listener.channListen("127.0.0.1:0"));
    g_listener.setEventHandler([](Chann *, Chann *accept, chann_event_t, int) {
        accept->setEventHandler([](Chann *, Chann *, chann_event_t, int) {});  // kept
        g_accepted.reset(accept);
    });
    CHECK(client().channConnect(g_listener.myAddr().addrString));
    POLL_UNTIL(client().isConnected() && g_accepted != nullptr, 10);
    CHECK_EQ(ChannDispatcher::channCount(), 3);
    CHECK_EQ(g_listener.channSend("x", 1), -1);  // an error leaves a message in the thread's state
    PASS("a global listener, its accepted connection and a static client, all open as main returns");
    return 0;
}
