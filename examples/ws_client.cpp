// A WebSocket client on mnet (C++): sends each line of stdin as a text
// message and prints every message that comes back; closes (1000) at the
// end of stdin once the answers to all lines came.
//
//   build/ws_echo_server 127.0.0.1:9001 &
//   printf 'hello\nworld\n' | build/ws_client ws://127.0.0.1:9001/
//   # hello
//   # world
//
// wss:// URLs are verified against the system's roots.
#include <poll.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include <mnet/ws.hpp>

int main(int argc, char **argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s ws://host:port/path\n", argv[0]);
        return 2;
    }
    mnet::ws::Endpoint ws;
    bool open = false, done = false, inputEnded = false;
    int waiting = 0, status = 0;
    ws.onOpen([&open](mnet::ws::Endpoint &, uint64_t) { open = true; });
    ws.onMessage([&waiting](mnet::ws::Endpoint &, uint64_t, const std::string &data, bool) {
        std::printf("%s\n", data.c_str());
        std::fflush(stdout);
        --waiting;
    });
    ws.onClose([&done, &status](mnet::ws::Endpoint &, uint64_t, int code, const std::string &reason) {
        if (code != 1000) {
            std::fprintf(stderr, "closed: %d %s\n", code, reason.c_str());
            status = 1;
        }
        done = true;
    });
    uint64_t id = ws.connect(argv[1]);
    if (id == 0) {
        std::fprintf(stderr, "%s\n", ws.lastError().c_str());
        return 1;
    }
    std::string pending;
    bool closing = false;
    while (!done && mnet::ChannDispatcher::pollEvent(open && !inputEnded ? 10 : 100) >= 0) {
        if (open && !inputEnded) {
            // Lines from stdin, read as they come without blocking the loop.
            pollfd in{0, POLLIN, 0};
            while (::poll(&in, 1, 0) > 0) {
                char buf[4096];
                ssize_t n = ::read(0, buf, sizeof buf);
                if (n <= 0) {
                    inputEnded = true;
                    break;
                }
                pending.append(buf, static_cast<size_t>(n));
                size_t nl;
                while ((nl = pending.find('\n')) != std::string::npos) {
                    if (ws.sendText(id, pending.substr(0, nl))) ++waiting;
                    pending.erase(0, nl + 1);
                }
            }
        }
        if (inputEnded && !pending.empty()) {
            if (ws.sendText(id, pending)) ++waiting;
            pending.clear();
        }
        if (inputEnded && waiting == 0 && !closing) {
            closing = ws.close(id, 1000, "done");
        }
    }
    return status;
}
