// The ACCEPT temporary lives until the handler returns. A handler that
// ignores it, or throws before adopting it, leaves no connection open (the
// peer sees it closed, no channel is left to spin on) and no object behind
// (the ASan run checks for leaks); an adopted temporary left undeleted is
// freed; one given a handler is kept and works.
#include <stdexcept>

#include "loopback_listener.hpp"

using mnet::Chann;
using mnet::ChannDispatcher;

namespace {

// Whether the server closed the connection `fd` (EOF or reset), reading
// whatever came first.
bool closedByPeer(int fd) {
    char buf[64];
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n == 0 || (n < 0 && errno == ECONNRESET)) return true;
        if (n < 0 && errno != EINTR) return false;  // timed out: still open
    }
}

// Runs rounds until a handler's std::runtime_error leaves pollEvent.
void pollUntilThrown() {
    const int64_t end = check::deadlineIn(10);
    for (;;) {
        CHECK(check::before(end));
        try {
            CHECK_GE(ChannDispatcher::pollEvent(10), 0);
        } catch (const std::runtime_error &e) {
            CHECK_EQ(std::string(e.what()), "handler gave up");
            return;
        }
    }
}

}  // namespace

int main() {
    Chann listener("tcp");
    const int port = listenLoopback(listener);
    int accepts = 0;

    listener.setEventHandler([&](Chann *, Chann *, chann_event_t event, int) {
        CHECK_EQ(event, CHANN_EVENT_ACCEPT);
        ++accepts;  // neither adopts, deletes nor keeps `accept`
    });
    int fd = raw::connectTo(port);
    raw::sendAll(fd, "data that nobody will read");
    POLL_UNTIL(accepts == 1, 10);
    CHECK_EQ(ChannDispatcher::channCount(), 1);
    CHECK_EQ(ChannDispatcher::stats().size(), 1u);
    CHECK(closedByPeer(fd));
    close(fd);
    PASS("an ignored ACCEPT closes the connection: the peer sees the close, only the listener is left");

    listener.setEventHandler([&](Chann *, Chann *, chann_event_t, int) {
        ++accepts;
        throw std::runtime_error("handler gave up");
    });
    fd = raw::connectTo(port);
    raw::sendAll(fd, "more data");
    pollUntilThrown();
    CHECK_EQ(accepts, 2);
    CHECK_EQ(ChannDispatcher::channCount(), 1);
    CHECK(closedByPeer(fd));
    close(fd);
    PASS("a handler that throws before adopting: the exception leaves pollEvent, the connection is closed");

    Chann *adopted = nullptr;
    std::string got;
    listener.setEventHandler([&](Chann *, Chann *accept, chann_event_t, int) {
        ++accepts;
        adopted = new Chann(accept);  // the emptied temporary is left to mnet
        adopted->setEventHandler([&](Chann *self, Chann *, chann_event_t ev, int) {
            char buf[64];
            int n = ev == CHANN_EVENT_RECV ? self->channRecv(buf, sizeof buf) : 0;
            if (n > 0) got.append(buf, static_cast<size_t>(n));
        });
    });
    fd = raw::connectTo(port);
    raw::sendAll(fd, "adopted");
    POLL_UNTIL(got == "adopted", 10);
    CHECK_EQ(ChannDispatcher::channCount(), 2);
    delete adopted;
    CHECK(closedByPeer(fd));
    close(fd);
    PASS("adopted without deleting the temporary: the connection works, the empty temporary is freed by mnet");

    Chann *kept = nullptr;
    listener.setEventHandler([&](Chann *, Chann *accept, chann_event_t, int) {
        ++accepts;
        kept = accept;
        kept->setEventHandler([](Chann *self, Chann *, chann_event_t ev, int) {
            char buf[64];
            int n = ev == CHANN_EVENT_RECV ? self->channRecv(buf, sizeof buf) : 0;
            if (n > 0) self->channSend(buf, n);
        });
    });
    fd = raw::connectTo(port);
    raw::sendAll(fd, "echo me");
    POLL_UNTIL(kept != nullptr && kept->bytesSent() == 7, 10);
    char echo[7];
    CHECK_EQ(recv(fd, echo, sizeof echo, MSG_WAITALL), 7);
    CHECK_EQ(std::string(echo, 7), "echo me");
    CHECK_EQ(ChannDispatcher::channCount(), 2);
    delete kept;
    CHECK(closedByPeer(fd));
    close(fd);
    CHECK_EQ(accepts, 4);
    CHECK_EQ(ChannDispatcher::channCount(), 1);
    PASS("a temporary given a handler is kept: it echoes until deleted");
    return 0;
}
