// A Chann belongs to the thread that made it. Two threads' loops hand out
// the same raw handles (each counts from 1), so a call from the wrong thread
// must be refused, not run on that thread's own channel; and deleting a
// Chann on the wrong thread hands the close to its owner, whose loop never
// dispatches to the freed object (the ASan run would see it). Both ways:
// main's Chann deleted on a worker, a worker's Chann deleted on main.
#include <future>
#include <thread>

#include "loopback_listener.hpp"

using mnet::Chann;
using mnet::ChannDispatcher;

namespace {

const char *const kRefused = "Chann used on a thread that does not own it";

// On the calling thread: a listener and an accepted connection that has
// unread data, so its loop raises RECV for it every round.
struct Site {
    Chann listener{"tcp"};
    Chann *server = nullptr;
    int recvs = 0;
    int client = -1;

    void open() {
        const int port = listenLoopback(listener);
        listener.setEventHandler([this](Chann *, Chann *accept, chann_event_t, int) {
            server = accept;  // kept; never reads
            server->setEventHandler([this](Chann *, Chann *, chann_event_t ev, int) { recvs += ev == CHANN_EVENT_RECV; });
        });
        client = raw::connectTo(port);
        raw::sendAll(client, "never read");
        POLL_UNTIL(server != nullptr && recvs >= 2, 10);
    }

    // After `server` was deleted on another thread: its RECV stops, the
    // channel is closed, the peer sees the close.
    void checkClosedByOwner() {
        const int before = recvs;
        POLL_UNTIL(ChannDispatcher::channCount() == 1, 10);
        for (int i = 0; i < 3; i++) CHECK_EQ(ChannDispatcher::pollEvent(0), 1);
        CHECK_EQ(recvs, before);
        char b;
        ssize_t n = recv(client, &b, 1, 0);
        CHECK(n == 0 || (n < 0 && errno == ECONNRESET));
        close(client);
    }
};

// On a thread that does not own `other`: every call is refused, adoption
// too, and deleting it leaves this thread's own channels alone, although
// the first two have the raw handles of a fresh loop's listener and
// connection.
void refuseThenDelete(Chann *other, const char *who) {
    Chann mine1("tcp"), mine2("tcp");
    listenLoopback(mine1);
    listenLoopback(mine2);

    char buf[8];
    CHECK_EQ(other->channSend("x", 1), -1);
    CHECK_CONTAINS(other->lastError(), kRefused);
    CHECK_EQ(other->channRecv(buf, sizeof buf), -1);
    CHECK(!other->channConnect("127.0.0.1:1"));
    CHECK(!other->setIdleTimeout(1000));
    CHECK(!other->myAddr().isValid());
    CHECK_EQ(other->dataCached(), -1);
    CHECK_CONTAINS(other->lastError(), kRefused);
    Chann adopter(other);
    CHECK_EQ(adopter.state(), CHANN_STATE_CLOSED);
    CHECK_CONTAINS(adopter.lastError(), kRefused);
    PASS(std::string(who) + ": every call on another thread's Chann is refused: " + check::show(kRefused));

    delete other;
    CHECK_EQ(ChannDispatcher::channCount(), 2);
    CHECK_EQ(mine1.state(), CHANN_STATE_LISTENING);
    CHECK_EQ(mine2.state(), CHANN_STATE_LISTENING);
    checkAccepts(mine2);
    PASS(std::string(who) + ": deleting it left this thread's channels (same raw handles) open and working");
}

}  // namespace

int main() {
    // Main's Chann, deleted on a worker.
    {
        Site site;
        site.open();
        std::thread worker([&] { refuseThenDelete(site.server, "worker"); });
        worker.join();
        site.checkClosedByOwner();
        PASS("main's loop closed its Chann deleted by the worker and raised nothing more for it");
    }

    // A worker's Chann, deleted on main.
    std::promise<Site *> opened;
    std::promise<void> deleted;
    std::thread owner([&] {
        Site site;
        site.open();
        opened.set_value(&site);
        deleted.get_future().wait();
        site.checkClosedByOwner();
        PASS("the worker's loop closed its Chann deleted by main and raised nothing more for it");
    });
    Site *theirs = opened.get_future().get();
    refuseThenDelete(theirs->server, "main");
    deleted.set_value();
    owner.join();
    return 0;
}
