// A WebSocket echo server on mnet (C++): every message comes back as it
// came, text or binary, compressed when the client offers
// permessage-deflate. The upgrade is taken on any path; a plain HTTP
// request gets a line of text.
//
//   cmake --build build --target ws_echo_server
//   build/ws_echo_server 127.0.0.1:9001
//   build/ws_client ws://127.0.0.1:9001/     (type lines; they come back)
//
// It prints "listening on ws://ADDR/" once listening (port 0 picks a free
// port, and the line says which).
#include <cstdio>
#include <string>

#include <mnet/http.hpp>
#include <mnet/ws.hpp>

int main(int argc, char **argv) {
    std::string addr = argc > 1 ? argv[1] : "127.0.0.1:9001";
    mnet::http::Server http;
    mnet::ws::Endpoint ws;
    ws.onMessage([](mnet::ws::Endpoint &e, uint64_t id, const std::string &data, bool text) {
        if (!e.send(id, data, text)) std::fprintf(stderr, "echo not sent: %s\n", e.lastError().c_str());
    });
    http.setFallback([&ws](mnet::http::Server &s, const mnet::http::Request &q) {
        if (!q.isUpgrade()) {
            s.respond(q.id(), 200, "text/plain", "a WebSocket echo server: connect with ws://\n");
        } else if (ws.accept(s, q.id()) == 0) {
            std::fprintf(stderr, "refused an upgrade: %s\n", ws.lastError().c_str());
        }
    });
    if (!http.listen(addr)) {
        std::fprintf(stderr, "listen %s: %s\n", addr.c_str(), http.lastError().c_str());
        return 1;
    }
    std::printf("listening on ws://%s/\n", http.localAddr().addrString.c_str());
    std::fflush(stdout);
    while (mnet::ChannDispatcher::pollEvent(1000) >= 0) {
    }
    return 0;
}
