// The m_net idiom `new Sub(accept); delete accept;` inside an ACCEPT
// handler: the subclass takes over the connection (its handler gets the
// events, it echoes), the emptied temporary fails every call cleanly and
// deletes harmlessly, and adopting it a second time gives an object without
// a channel.
#include "check.hpp"

using mnet::Chann;
using mnet::ChannDispatcher;

namespace {

class Echo : public Chann {
public:
    explicit Echo(Chann *accepted) : Chann(accepted) {}
    int recvs = 0;
    bool lost = false;

    void defaultEventHandler(Chann *, chann_event_t event, int err) override {
        if (event == CHANN_EVENT_RECV) {
            char buf[256];
            int n = channRecv(buf, sizeof buf);
            if (n > 0) {
                ++recvs;
                CHECK_EQ(channSend(buf, n), n);
            }
        } else {
            CHECK_EQ(event, CHANN_EVENT_DISCONNECT);
            CHECK_EQ(err, 0);
            lost = true;
        }
    }
};

}  // namespace

int main() {
    Echo *echo = nullptr;
    Chann listener("tcp");
    CHECK(listener.channListen("127.0.0.1:0"));
    listener.setEventHandler([&echo](Chann *, Chann *accept, chann_event_t event, int) {
        CHECK_EQ(event, CHANN_EVENT_ACCEPT);
        CHECK(accept != nullptr);
        CHECK_EQ(accept->state(), CHANN_STATE_CONNECTED);
        echo = new Echo(accept);
        CHECK_EQ(echo->state(), CHANN_STATE_CONNECTED);
        CHECK_EQ(echo->channType(), CHANN_TYPE_STREAM);

        CHECK_EQ(accept->state(), CHANN_STATE_CLOSED);
        CHECK(!accept->isConnected());
        char b[4] = {};
        CHECK_EQ(accept->channSend(b, 4), -1);
        CHECK_EQ(accept->channRecv(b, 4), -1);
        CHECK_CONTAINS(accept->lastError(), "adopted");
        Chann twice(accept);
        CHECK_EQ(twice.state(), CHANN_STATE_CLOSED);
        CHECK_CONTAINS(twice.lastError(), "already adopted");
        delete accept;
    });

    std::string got;
    bool connected = false;
    Chann client("tcp");
    client.setEventHandler([&](Chann *self, Chann *, chann_event_t event, int) {
        if (event == CHANN_EVENT_CONNECTED) {
            connected = true;
            CHECK_EQ(self->channSend("hello", 5), 5);
        } else {
            CHECK_EQ(event, CHANN_EVENT_RECV);
            char buf[64];
            int n = self->channRecv(buf, sizeof buf);
            if (n > 0) got.append(buf, static_cast<size_t>(n));
        }
    });
    CHECK(client.channConnect(listener.myAddr().addrString));
    POLL_UNTIL(got == "hello", 10);
    CHECK(connected);
    CHECK_EQ(echo->recvs, 1);
    CHECK_EQ(ChannDispatcher::channCount(), 3);
    PASS("new Sub(accept); delete accept: the subclass gets the connection's events and echoes");
    PASS("the emptied temporary: state CLOSED, send/recv -1, lastError says it was adopted; adopting it again "
         "fails cleanly");

    client.channDisconnect();
    POLL_UNTIL(echo->lost, 10);
    CHECK_EQ(echo->state(), CHANN_STATE_DISCONNECT);
    delete echo;
    CHECK_EQ(ChannDispatcher::channCount(), 2);
    PASS("the adopted connection sees DISCONNECT (err 0) when the client leaves; deleting it closes the channel");
    return 0;
}
