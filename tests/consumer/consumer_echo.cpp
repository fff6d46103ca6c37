// The consumer checks' program: what any project linking mnet::mnet can do.
// A loopback echo through a listener on a free port; exits 0 when the
// client gets its bytes back, 1 on any failure or after 10 seconds.
#include <iostream>
#include <string>

#include <mnet/mnet.hpp>

using mnet::Chann;
using mnet::ChannDispatcher;

int main() {
    Chann listener("tcp");
    if (!listener.channListen("127.0.0.1:0")) {
        std::cerr << "listen: " << listener.lastError() << std::endl;
        return 1;
    }
    Chann *server = nullptr;
    listener.setEventHandler([&server](Chann *, Chann *accept, chann_event_t event, int) {
        if (event != CHANN_EVENT_ACCEPT) return;
        server = new Chann(accept);
        delete accept;
        server->setEventHandler([](Chann *self, Chann *, chann_event_t ev, int) {
            char buf[64];
            int n = ev == CHANN_EVENT_RECV ? self->channRecv(buf, sizeof buf) : 0;
            if (n > 0) self->channSend(buf, n);
        });
    });

    const std::string ping = "ping from a consumer of mnet::mnet";
    std::string got;
    bool failed = false;
    Chann client("tcp");
    client.setEventHandler([&](Chann *self, Chann *, chann_event_t event, int err) {
        if (event == CHANN_EVENT_CONNECTED) {
            self->channSend(ping.data(), static_cast<int>(ping.size()));
        } else if (event == CHANN_EVENT_RECV) {
            char buf[64];
            int n = self->channRecv(buf, sizeof buf);
            if (n > 0) got.append(buf, static_cast<size_t>(n));
        } else if (event == CHANN_EVENT_DISCONNECT) {
            std::cerr << "client: disconnected, err " << err << std::endl;
            failed = true;
        }
    });
    if (!client.channConnect(listener.myAddr().addrString)) {
        std::cerr << "connect: " << client.lastError() << std::endl;
        return 1;
    }
    const int64_t end = ChannDispatcher::currentTime() + 10 * 1000 * 1000;
    while (got.size() < ping.size() && !failed && ChannDispatcher::currentTime() < end) {
        ChannDispatcher::pollEvent(100);
    }
    delete server;
    if (got != ping) {
        std::cerr << "echo failed: got '" << got << "'" << std::endl;
        return 1;
    }
    std::cout << "consumer echo ok (mnet " << ChannDispatcher::version() << ", " << listener.myAddr().addrString
              << ")" << std::endl;
    return 0;
}
