// chann_web: the benchmark HTTP server, m_net's example on mnet.
//
//   ./chann_web [ip:port] [body_file]      (defaults: 127.0.0.1:8080 README.md)
//   curl http://127.0.0.1:8080/            -> the body file, as text/plain
//
// Every request (anything ending in an empty line) gets the same response,
// built once at start: "HTTP/1.1 200 OK", Content-Type, Content-Length and
// the file. Connections stay open (keep-alive); pipelined requests are
// answered in order. Each connection reads through a 400-byte buffer and
// carries the end-of-request scan from one read to the next, so requests of
// any length, or split across reads, cost no extra memory (web_chann.hpp,
// shared with multi_thread_svr and prefork_svr). A client that
// pipelines requests without reading the answers is not read from while
// more than 256 KiB of answers wait for it (the kernel then slows it down),
// so memory stays bounded whatever a client does.
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>

#include <mnet/mnet.hpp>

#include "web_chann.hpp"

using mnet::Chann;
using mnet::ChannDispatcher;

namespace {

std::string g_response;

class ListenChann : public Chann {
public:
    ListenChann() : Chann("tcp") {}

    void defaultEventHandler(Chann *accept, chann_event_t event, int) override {
        if (event == CHANN_EVENT_ACCEPT) {
            new WebChann(accept, g_response);
            delete accept;
        }
    }
};

}  // namespace

int main(int argc, char *argv[]) {
    std::string ipaddr = argc > 1 ? argv[1] : "127.0.0.1:8080";
    std::string path = argc > 2 ? argv[2] : "README.md";

    std::ifstream in(path, std::ios::binary);
    if (!in) {
        std::cerr << "chann_web: cannot read body file '" << path << "'" << std::endl;
        return 1;
    }
    std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    g_response = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) +
                 "\r\n\r\n" + body;

    ListenChann web;
    if (!web.channListen(ipaddr, 1024)) {
        std::cerr << "chann_web: listen on " << ipaddr << " failed: " << web.lastError() << std::endl;
        return 1;
    }
    std::cout << "chann_web " << ChannDispatcher::version() << " listening on " << web.myAddr().addrString
              << ", body " << path << " (" << body.size() << " bytes)" << std::endl;
    while (ChannDispatcher::pollEvent(1000) > 0) {
    }
    return 0;
}
