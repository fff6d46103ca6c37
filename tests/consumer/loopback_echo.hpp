// What every consumer check runs, from an executable or from a shared
// library: a loopback echo through a listener on a free port. Returns 0 when
// the client gets its bytes back, 1 on any failure or after 10 seconds.
// C++11 on purpose: the consumers build with CMAKE_CXX_STANDARD 11.
#ifndef MNET_CONSUMER_LOOPBACK_ECHO_HPP
#define MNET_CONSUMER_LOOPBACK_ECHO_HPP

#include <iostream>
#include <string>

#include <mnet/mnet.hpp>

// The server side: `listener` adopts the connection it accepts into
// `server` (the caller deletes it), which echoes what it receives.
inline void serve_echo(mnet::Chann &listener, mnet::Chann *&server) {
    using mnet::Chann;
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
}

inline int loopback_echo(const char *who) {
    using mnet::Chann;
    using mnet::ChannDispatcher;

    Chann listener("tcp");
    if (!listener.channListen("127.0.0.1:0")) {
        std::cerr << who << ": listen: " << listener.lastError() << std::endl;
        return 1;
    }
    Chann *server = nullptr;
    serve_echo(listener, server);

    const std::string ping = std::string("ping from ") + who;
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
            std::cerr << who << ": client disconnected, err " << err << std::endl;
            failed = true;
        }
    });
    const std::string addr = listener.myAddr().addrString;
    if (!client.channConnect(addr)) {
        std::cerr << who << ": connect: " << client.lastError() << std::endl;
        return 1;
    }
    const int64_t end = ChannDispatcher::currentTime() + 10 * 1000 * 1000;
    while (got.size() < ping.size() && !failed && ChannDispatcher::currentTime() < end) {
        ChannDispatcher::pollEvent(100);
    }
    delete server;
    if (got != ping) {
        std::cerr << who << ": echo failed: got '" << got << "'" << std::endl;
        return 1;
    }
    std::cout << who << ": echo ok (mnet " << ChannDispatcher::version() << ", " << addr << ")" << std::endl;
    return 0;
}

#endif
