// Both headers in one translation unit (<mnet/mnet_core.h> and mnet_ext.h
// first, then <mnet/mnet.hpp>): one chann_addr_t, one set of enums, no
// conflicting definitions; and both faces on one thread's loop, driven
// either way:
//   1. by the C loop (mnet_poll + mnet_result_next): a C client talks to a
//      C++ listener and its accepted Chann, whose messages the program hands
//      to Chann::channDispatchEvent (m_net's way; their opaque is the Chann);
//   2. by the C++ loop (ChannDispatcher::pollEvent): a C++ client talks to a
//      C listener; pollEvent sets the C channs' messages aside, and
//      mnet_result_next hands them out after it.
// Also: ChannAddr::copyAddr takes a chann_addr_t from the C API, both
// faces count the same channels, and share one clock.
#include <mnet/mnet_core.h>
#include <mnet/mnet_ext.h>
#include <mnet/mnet.hpp>

#include <cstdio>
#include <cstring>
#include <string>
#include <type_traits>

#include "check.h"

using mnet::Chann;
using mnet::ChannAddr;
using mnet::ChannDispatcher;

static_assert(std::is_same<mnet::chann_addr_t, ::chann_addr_t>::value, "one chann_addr_t");
static_assert(std::is_same<mnet::chann_event_t, ::chann_event_t>::value, "one chann_event_t");
static_assert(mnet::CHANN_EVENT_RECV == ::CHANN_EVENT_RECV && mnet::CHANN_TYPE_TLS == ::CHANN_TYPE_TLS &&
                  mnet::CHANN_STATE_LISTENING == ::CHANN_STATE_LISTENING,
              "one set of enums");

namespace {

// 1. The C loop drives a C++ listener.
void cLoopDrivesCxx() {
    Chann listener("tcp");
    CHECK(listener.channListen("127.0.0.1:0"));
    Chann *server = nullptr;
    int cxxEvents = 0;
    listener.setEventHandler([&](Chann *, Chann *accept, chann_event_t event, int) {
        CHECK(event == CHANN_EVENT_ACCEPT);
        ++cxxEvents;
        server = new Chann(accept);
        delete accept;
        server->setEventHandler([&cxxEvents](Chann *self, Chann *, chann_event_t ev, int) {
            ++cxxEvents;
            char buf[64];
            int n = ev == CHANN_EVENT_RECV ? self->channRecv(buf, sizeof buf) : 0;
            if (n > 0) self->channSend(buf, n);
        });
    });

    ChannAddr copied;
    mnet::chann_addr_t fromCxx = listener.myAddr().addr;
    copied.copyAddr(&fromCxx);
    CHECK(copied.isValid());
    const std::string listening = listener.myAddr().addrString;
    CHECK_STR_EQ(copied.addrString.c_str(), listening.c_str());

    chann_t *client = mnet_chann_open(CHANN_TYPE_STREAM);
    CHECK_EQ(mnet_chann_connect(client, fromCxx.ip, fromCxx.port), 1);
    CHECK_EQ(mnet_report(0), 2);
    CHECK_EQ(ChannDispatcher::channCount(), 2);
    const char ping[] = "C to C++";
    char got[32];
    int gotLen = 0, dispatched = 0;
    const int64_t end = mnet_tm_current() + 10 * 1000000LL;
    while (gotLen < 8) {
        CHECK_LT(mnet_tm_current(), end);
        CHECK_GE(mnet_poll(10), 0);
        while (chann_msg_t *m = mnet_result_next()) {
            if (m->n != client) {  // a C++ Chann's message: its opaque is the Chann
                CHECK(m->opaque == &listener || (server != nullptr && m->opaque == server));
                Chann::channDispatchEvent(m);
                ++dispatched;
            } else if (m->event == CHANN_EVENT_CONNECTED) {
                CHECK_EQ(mnet_chann_send(client, const_cast<char *>(ping), 8), 8);
            } else if (m->event == CHANN_EVENT_RECV) {
                int n = mnet_chann_recv(client, got + gotLen, static_cast<int>(sizeof got) - gotLen);
                if (n > 0) gotLen += n;
            }
        }
    }
    CHECK(std::memcmp(got, ping, 8) == 0);
    CHECK_GE(cxxEvents, 2);
    CHECK_EQ(cxxEvents, dispatched);
    CHECK_EQ(mnet_report(0), 3);
    CHECK_EQ(ChannDispatcher::channCount(), 3);
    PASS("the C loop: a C client echoed by a C++ Chann; the C++ Channs' messages (ACCEPT, RECV) handed to "
         "Chann::channDispatchEvent; both faces count 3 channels");
    delete server;
    mnet_chann_close(client);
    CHECK_EQ(mnet_report(0), 1);
}

// 2. The C++ loop drives a C listener.
void cxxLoopDrivesC() {
    chann_t *listener = check_listen(CHANN_TYPE_STREAM, 4);
    chann_t *server = nullptr;
    chann_addr_t addr;
    CHECK_EQ(mnet_chann_socket_addr(listener, &addr), 1);
    ChannAddr target;
    target.copyAddr(&addr);
    CHECK(target.isValid());

    std::string echoed;
    Chann client("tcp");
    client.setEventHandler([&echoed](Chann *self, Chann *, chann_event_t event, int) {
        if (event == CHANN_EVENT_CONNECTED) {
            self->channSend("C++ to C", 8);
        } else if (event == CHANN_EVENT_RECV) {
            char buf[32];
            int n = self->channRecv(buf, sizeof buf);
            if (n > 0) echoed.append(buf, static_cast<size_t>(n));
        }
    });
    CHECK(client.channConnect(target.addrString));
    int cMessages = 0;
    const int64_t end = ChannDispatcher::currentTime() + 10 * 1000000LL;
    while (echoed.size() < 8) {
        CHECK_LT(ChannDispatcher::currentTime(), end);
        CHECK_GE(ChannDispatcher::pollEvent(10), 0);
        while (chann_msg_t *m = mnet_result_next()) {  // only the C channs' messages are left
            ++cMessages;
            CHECK(m->n == listener || m->n == server);
            if (m->event == CHANN_EVENT_ACCEPT) {
                server = m->r;
            } else if (m->event == CHANN_EVENT_RECV) {
                char buf[32];
                int n = mnet_chann_recv(m->n, buf, sizeof buf);
                if (n > 0) CHECK_EQ(mnet_chann_send(m->n, buf, n), n);
            }
        }
    }
    CHECK_STR_EQ(echoed.c_str(), "C++ to C");
    CHECK_GE(cMessages, 2);
    PASS("the C++ loop: a C++ Chann echoed by a C chann; pollEvent set the C messages aside for "
         "mnet_result_next");
    mnet_chann_close(server);
    mnet_chann_close(listener);
}

}  // namespace

int main() {
    const int64_t t1 = ChannDispatcher::currentTime();
    const int64_t t2 = mnet_tm_current();
    const int64_t t3 = ChannDispatcher::currentTime();
    CHECK(t1 <= t2 && t2 <= t3);
    PASS("ChannDispatcher::currentTime and mnet_tm_current read one clock");
    cLoopDrivesCxx();
    cxxLoopDrivesC();
    CHECK_EQ(ChannDispatcher::pollEvent(0), 0);
    CHECK_EQ(mnet_poll(0), 0);
    PASS("both loops end at 0 channels");
    return 0;
}
