// A TCP listener on a free loopback port, for tests whose clients are plain
// sockets, and the check that a listener still accepts.
#pragma once

#include "raw_socket.hpp"

// Makes `listener` listen on 127.0.0.1, on a free port; returns the port.
inline int listenLoopback(mnet::Chann &listener) {
    CHECK(listener.channListen("127.0.0.1:0"));
    return listener.myAddr().addr.port;
}

// Checks that `listener` (this thread's) still accepts: a plain socket
// connects and the loop hands the listener its ACCEPT. Replaces the
// listener's handler with one that refuses connections.
inline void checkAccepts(mnet::Chann &listener) {
    bool accepted = false;
    listener.setEventHandler([&accepted](mnet::Chann *, mnet::Chann *accept, chann_event_t, int) {
        accepted = true;
        delete accept;
    });
    int fd = raw::connectTo(listener.myAddr().addr.port);
    POLL_UNTIL(accepted, 10);
    close(fd);
}
