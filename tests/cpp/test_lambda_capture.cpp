// setEventHandler takes any callable: lambdas capturing by reference, by
// value (a std::string and a shared_ptr), and mutable state. Each Chann keeps
// its own copy of the callable; the copy is destroyed with the Chann and when
// the handler is replaced (the shared_ptr's count shows both).
#include <memory>
#include <vector>

#include "check.hpp"

using mnet::Chann;
using mnet::ChannDispatcher;

int main() {
    std::vector<std::string> log;  // captured by reference
    auto token = std::make_shared<int>(7);

    Chann listener("tcp");
    CHECK(listener.channListen("127.0.0.1:0"));
    Chann *server = nullptr;
    const std::string tag = "srv";  // captured by value
    listener.setEventHandler([&log, &server, tag, token](Chann *, Chann *accept, chann_event_t event, int) {
        CHECK_EQ(event, CHANN_EVENT_ACCEPT);
        CHECK_EQ(*token, 7);
        log.push_back(tag + ":accept");
        server = accept;
        int n = 0;  // a mutable counter owned by the inner lambda
        accept->setEventHandler([&log, n](Chann *self, Chann *, chann_event_t ev, int) mutable {
            if (ev != CHANN_EVENT_RECV) return;
            char buf[32];
            int got = self->channRecv(buf, sizeof buf);
            if (got <= 0) return;
            ++n;
            std::string reply = "reply " + std::to_string(n);
            self->channSend(reply.data(), static_cast<int>(reply.size()));
            log.push_back("srv:recv " + std::to_string(n));
        });
    });
    CHECK_EQ(token.use_count(), 2);
    PASS("the listener's handler holds its own copy of a captured shared_ptr");

    Chann client("tcp");
    std::string got;
    int sends = 0;
    client.setEventHandler([&](Chann *self, Chann *, chann_event_t event, int) {
        if (event == CHANN_EVENT_CONNECTED || event == CHANN_EVENT_RECV) {
            if (event == CHANN_EVENT_RECV) {
                char buf[32];
                int n = self->channRecv(buf, sizeof buf);
                if (n <= 0) return;
                got.assign(buf, static_cast<size_t>(n));
                log.push_back("cnt:" + got);
            }
            if (sends < 3) {
                ++sends;
                self->channSend("ping", 4);
            }
        }
    });
    CHECK(client.channConnect(listener.myAddr().addrString));
    POLL_UNTIL(got == "reply 3", 10);

    const std::vector<std::string> want = {"srv:accept", "srv:recv 1", "cnt:reply 1", "srv:recv 2",
                                           "cnt:reply 2", "srv:recv 3", "cnt:reply 3"};
    CHECK_EQ(log.size(), want.size());
    for (size_t i = 0; i < want.size(); i++) CHECK_EQ(log[i], want[i]);
    PASS("captures by reference, by value and mutable state work across events, in order");

    listener.setEventHandler([](Chann *, Chann *accept, chann_event_t, int) { delete accept; });
    CHECK_EQ(token.use_count(), 1);
    PASS("replacing a handler destroys the old callable and its captures");

    Chann *other = new Chann("udp");
    other->setEventHandler([token](Chann *, Chann *, chann_event_t, int) {});
    CHECK_EQ(token.use_count(), 2);
    delete other;
    CHECK_EQ(token.use_count(), 1);
    PASS("deleting a Chann destroys its callable and its captures");

    delete server;
    return 0;
}
