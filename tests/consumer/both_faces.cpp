// Both faces in one program: a C++ echo listener (mnet::Chann) and a C
// client chann (mnet_chann_*) on one thread's loop, driven by the C++
// ChannDispatcher. With a shared mnet this shows there is one Rust core in
// the process (libmnet_cxx.so uses libmnet.so): a second core would have a
// loop of its own, and the C chann's messages would never come.
#include <cstring>
#include <iostream>

#include <mnet/mnet_ext.h>

#include "loopback_echo.hpp"

int main() {
    using mnet::Chann;
    using mnet::ChannDispatcher;
    Chann listener("tcp");
    if (!listener.channListen("127.0.0.1:0")) return 1;
    Chann *server = nullptr;
    serve_echo(listener, server);
    chann_t *client = mnet_chann_open(CHANN_TYPE_STREAM);
    if (mnet_chann_connect(client, "127.0.0.1", listener.myAddr().addr.port) != 1) return 1;
    const char ping[] = "both faces";
    char got[64];
    int got_len = 0;
    const int64_t end = mnet_tm_current() + 10 * 1000 * 1000;
    while (got_len < static_cast<int>(sizeof ping - 1) && mnet_tm_current() < end) {
        ChannDispatcher::pollEvent(100);
        while (chann_msg_t *m = mnet_result_next()) {
            if (m->n != client) continue;
            if (m->event == CHANN_EVENT_CONNECTED) mnet_chann_send(client, const_cast<char *>(ping), sizeof ping - 1);
            if (m->event == CHANN_EVENT_RECV) {
                int n = mnet_chann_recv(client, got + got_len, static_cast<int>(sizeof got) - got_len);
                if (n > 0) got_len += n;
            }
        }
    }
    delete server;
    mnet_chann_close(client);
    if (got_len != static_cast<int>(sizeof ping - 1) || std::memcmp(got, ping, sizeof ping - 1) != 0) {
        std::cerr << "both_faces: the C client got " << got_len << " bytes back" << std::endl;
        return 1;
    }
    std::cout << "both_faces: a C chann and C++ Channs on one loop: echo ok" << std::endl;
    return 0;
}
