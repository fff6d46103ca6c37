// Deleting a Chann whose event is already queued in the current round: the
// event is dropped, it never reaches the deleted object. Three ways to get
// two events into one round: two clients both readable (their peers' bytes
// acknowledged before the round runs), two clients both at end of stream,
// two timers both due; and two listeners both with a pending connection,
// where the dropped ACCEPT's connection must be closed, not leaked.
// Deleted objects scribble over their memory, so a stray event would crash.
#include <cstring>

#include "raw_socket.hpp"

using mnet::Chann;
using mnet::ChannDispatcher;

namespace {

int g_events[2];

// One of a pair: on its first event of interest it deletes the other.
class Twin : public Chann {
public:
    Twin(int id) : Chann("tcp"), m_id(id) {}
    ~Twin() override { m_id = -1; }
    Twin *other = nullptr;
    bool deleteOther = false;
    bool connected = false;
    chann_event_t lastEvent = CHANN_EVENT_TIMER;

    static void operator delete(void *p, size_t n) {
        std::memset(p, 0xa5, n);
        ::operator delete(p);
    }

    void defaultEventHandler(Chann *accept, chann_event_t event, int) override {
        CHECK_GE(m_id, 0);
        if (event == CHANN_EVENT_CONNECTED) {
            connected = true;
            return;
        }
        if (event == CHANN_EVENT_ACCEPT) delete accept;
        ++g_events[m_id];
        lastEvent = event;
        if (event == CHANN_EVENT_RECV) {
            char b[16];
            channRecv(b, sizeof b);
        }
        if (deleteOther && other != nullptr) {
            other->other = nullptr;
            delete other;
            other = nullptr;
        }
    }

private:
    int m_id;
};

struct Pair {
    Twin *t[2];
    Pair() {
        t[0] = new Twin(0);
        t[1] = new Twin(1);
        t[0]->other = t[1];
        t[1]->other = t[0];
        g_events[0] = g_events[1] = 0;
    }
    // The survivor (after one deleted the other).
    Twin *survivor() { return g_events[0] ? t[0] : t[1]; }
    void armDeletes() { t[0]->deleteOther = t[1]->deleteOther = true; }
};

// Connects both Twins to a raw listener; returns the accepted raw sockets.
void connectBoth(Pair &p, int listener, int fds[2]) {
    std::string addr = "127.0.0.1:" + std::to_string(raw::portOf(listener));
    for (int i = 0; i < 2; i++) CHECK(p.t[i]->channConnect(addr));
    POLL_UNTIL(p.t[0]->connected && p.t[1]->connected, 10);
    for (int i = 0; i < 2; i++) fds[i] = raw::acceptOne(listener);
}

// Writes to both raw sockets and waits until both Twins' sockets hold the
// bytes, so one round sees both readable.
void sendBoth(int fds[2], const char *what) {
    for (int i = 0; i < 2; i++) raw::sendAll(fds[i], what);
    for (int i = 0; i < 2; i++) raw::waitAcked(fds[i]);
}

void oneRound() { CHECK_GE(ChannDispatcher::pollEvent(0), 0); }

}  // namespace

int main() {
    int listener = raw::bound(true);
    const int base = ChannDispatcher::channCount();

    {
        Pair p;
        int fds[2];
        connectBoth(p, listener, fds);
        sendBoth(fds, "a");
        oneRound();
        CHECK_EQ(g_events[0], 1);
        CHECK_EQ(g_events[1], 1);
        PASS("control: two clients whose peers' bytes were acknowledged both get RECV in one round");

        p.armDeletes();
        sendBoth(fds, "b");
        oneRound();
        CHECK_EQ(g_events[0] + g_events[1], 3);
        Twin *s = p.survivor();
        for (int i = 0; i < 3; i++) oneRound();
        CHECK_EQ(g_events[0] + g_events[1], 3);
        CHECK_EQ(ChannDispatcher::channCount(), base + 1);
        PASS("the first RECV handler deletes the other client: its queued RECV is never delivered");
        delete s;
        close(fds[0]);
        close(fds[1]);
    }
    {
        Pair p;
        int fds[2];
        connectBoth(p, listener, fds);
        p.armDeletes();
        for (int fd : fds) {
            CHECK_EQ(shutdown(fd, SHUT_WR), 0);
            raw::waitAcked(fd);
        }
        oneRound();
        CHECK_EQ(g_events[0] + g_events[1], 1);
        Twin *s = p.survivor();
        CHECK_EQ(s->lastEvent, CHANN_EVENT_DISCONNECT);
        for (int i = 0; i < 3; i++) oneRound();
        CHECK_EQ(g_events[0] + g_events[1], 1);
        PASS("both peers closed: the first handler deletes the other client, which never hears of it");
        delete s;
        close(fds[0]);
        close(fds[1]);
    }
    {
        Pair p;
        p.armDeletes();
        for (Twin *t : p.t) t->channActiveEvent(CHANN_EVENT_TIMER, 1);
        const int64_t due = check::deadlineIn(0.005);
        while (check::before(due)) {
        }
        oneRound();
        CHECK_EQ(g_events[0] + g_events[1], 1);
        Twin *s = p.survivor();
        s->channActiveEvent(CHANN_EVENT_TIMER, 0);
        for (int i = 0; i < 3; i++) oneRound();
        CHECK_EQ(g_events[0] + g_events[1], 1);
        PASS("two timers due in one round: the first handler deletes the other, whose TIMER is dropped");
        delete s;
    }
    {
        Pair p;
        int fds[2];
        for (int i = 0; i < 2; i++) {
            CHECK(p.t[i]->channListen("127.0.0.1:0"));
            close(raw::connectTo(p.t[i]->myAddr().addr.port));
        }
        oneRound();
        CHECK_EQ(g_events[0], 1);
        CHECK_EQ(g_events[1], 1);
        PASS("control: two listeners whose connections completed both get ACCEPT in one round");

        g_events[0] = g_events[1] = 0;
        p.armDeletes();
        for (int i = 0; i < 2; i++) fds[i] = raw::connectTo(p.t[i]->myAddr().addr.port);
        oneRound();
        CHECK_EQ(g_events[0] + g_events[1], 1);
        Twin *s = p.survivor();
        for (int i = 0; i < 3; i++) oneRound();
        CHECK_EQ(g_events[0] + g_events[1], 1);
        CHECK_EQ(ChannDispatcher::channCount(), base + 1);
        PASS("two listeners with pending connections: deleting the other drops its ACCEPT and closes the "
             "connection it carried");
        char b;
        int lost = s == p.t[0] ? fds[1] : fds[0];
        CHECK_EQ(recv(lost, &b, 1, 0), 0);
        PASS("the peer of the dropped connection reads end of stream");
        delete s;
        close(fds[0]);
        close(fds[1]);
    }
    CHECK_EQ(ChannDispatcher::channCount(), base);
    close(listener);
    return 0;
}
