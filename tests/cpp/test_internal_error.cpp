// After an internal error (a Rust panic inside the reactor, caused here on
// purpose through the test-only hook), the thread's event loop stops: its
// sockets close, and every later call on it fails at once with a sentence
// that says so, pollEvent with -1. Other threads' loops go on.
#include <thread>

#include "loopback_listener.hpp"

using mnet::Chann;
using mnet::ChannDispatcher;

namespace {

const char *const kStopped = "mnet: this thread's event loop stopped after an internal error: deliberate panic";

}  // namespace

int main() {
    Chann listener("tcp");
    const int port = listenLoopback(listener);
    Chann *server = nullptr;
    listener.setEventHandler([&](Chann *, Chann *accept, chann_event_t, int) {
        server = accept;
        server->setEventHandler([](Chann *, Chann *, chann_event_t, int) {});
    });
    int client = raw::connectTo(port);
    POLL_UNTIL(server != nullptr, 10);
    PASS("a listener and a connection, working");

    CHECK_EQ(mnet::testing::panicInEventLoop(), -1);

    CHECK_EQ(ChannDispatcher::pollEvent(0), -1);
    CHECK_CONTAINS(ChannDispatcher::lastError(), kStopped);
    CHECK_EQ(ChannDispatcher::pollEvent(100), -1);
    CHECK_EQ(ChannDispatcher::channCount(), -1);
    CHECK(ChannDispatcher::stats().empty());
    CHECK(!ChannDispatcher::setNameServers({"127.0.0.1:53"}));
    CHECK_CONTAINS(ChannDispatcher::lastError(), kStopped);
    PASS("pollEvent returns -1 at once, with " + check::show(ChannDispatcher::lastError()));

    char buf[8];
    CHECK_EQ(server->channSend("x", 1), -1);
    CHECK_CONTAINS(server->lastError(), kStopped);
    CHECK_EQ(server->channRecv(buf, sizeof buf), -1);
    CHECK_CONTAINS(server->lastError(), kStopped);
    CHECK(!listener.channListen("127.0.0.1:0"));
    CHECK_CONTAINS(listener.lastError(), kStopped);
    CHECK(!listener.myAddr().isValid());
    CHECK_CONTAINS(listener.myAddr().error(), kStopped);
    Chann fresh("tcp");
    CHECK_EQ(fresh.state(), CHANN_STATE_CLOSED);
    CHECK_CONTAINS(fresh.lastError(), kStopped);
    CHECK(!fresh.channConnect("127.0.0.1:1"));
    PASS("every call on the thread's Channs, and a new Chann, fail with the same sentence");

    ssize_t n = recv(client, buf, sizeof buf, 0);
    CHECK_EQ(n, 0);
    close(client);
    PASS("the stopped loop's sockets were closed: the peer saw the end");

    bool otherWorks = false;
    std::thread other([&] {
        Chann l("tcp");
        listenLoopback(l);
        checkAccepts(l);
        otherWorks = true;
    });
    other.join();
    CHECK(otherWorks);
    PASS("another thread's loop is untouched");

    delete server;  // harmless on a stopped loop
    return 0;
}
