// http_server: an HTTP/1.1 server on mnet's C++ face (mnet/http.hpp).
//
//   build/http_server [ip:port] [file]      (default 127.0.0.1:8080 README.md)
//   curl http://127.0.0.1:8080/plaintext          Hello, World!
//   curl http://127.0.0.1:8080/json               {"message":"Hello, World!"}
//   curl --data-binary @README.md http://127.0.0.1:8080/echo
//   curl http://127.0.0.1:8080/stream             ten chunks, one per 100 ms
//   curl http://127.0.0.1:8080/file               the file given
//   curl 'http://127.0.0.1:8080/hello/ann?greeting=good+day'
//
// /plaintext and /json answer as TechEmpower specifies them. /stream
// answers later, from a timer: handlers need not answer at once. Prints
// "listening on http://ip:port/" when ready (port 0 picks a free port).
#include <cstdio>
#include <map>
#include <string>

#include <mnet/http.hpp>

using mnet::http::Request;
using mnet::http::Server;

int main(int argc, char *argv[]) {
    std::string addr = argc > 1 ? argv[1] : "127.0.0.1:8080";
    std::string file = argc > 2 ? argv[2] : "README.md";

    Server http;
    http.route("GET", "/plaintext", [](Server &s, const Request &q) {
        s.respond(q.id(), 200, "text/plain", "Hello, World!");
    });
    http.route("GET", "/json", [](Server &s, const Request &q) {
        s.respond(q.id(), 200, "application/json", "{\"message\":\"Hello, World!\"}");
    });
    http.route("POST", "/echo", [](Server &s, const Request &q) {
        std::string type = q.hasHeader("Content-Type") ? q.header("Content-Type") : "application/octet-stream";
        s.respond(q.id(), 200, type, q.body());
    });
    http.route("GET", "/file", [&file](Server &s, const Request &q) { s.respondFile(q.id(), file, "text/plain"); });
    http.route("GET", "/hello/:name", [](Server &s, const Request &q) {
        std::string greeting = q.queryParam("greeting");
        s.respond(q.id(), 200, "text/plain", (greeting.empty() ? "hello" : greeting) + ", " + q.param("name") + "\n");
    });

    // /stream: ten chunks written from a timer, one per tick; a request
    // whose client leaves is dropped (the abort handler).
    std::map<uint64_t, int> streams;  // request id -> chunks written
    mnet::Chann ticker("udp");
    http.route("GET", "/stream", [&streams](Server &s, const Request &q) {
        if (s.respondStream(q.id(), 200, {{"Content-Type", "text/plain"}})) streams[q.id()] = 0;
    });
    http.setAbortHandler([&streams](Server &, uint64_t id) { streams.erase(id); });
    ticker.setEventHandler([&](mnet::Chann *, mnet::Chann *, chann_event_t, int) {
        for (auto it = streams.begin(); it != streams.end();) {
            int n = ++it->second;
            http.writeChunk(it->first, "chunk " + std::to_string(n) + "\n");
            if (n == 10) {
                http.endStream(it->first);
                it = streams.erase(it);
            } else {
                ++it;
            }
        }
    });
    ticker.channActiveEvent(CHANN_EVENT_TIMER, 100);

    if (!http.listen(addr)) {
        std::fprintf(stderr, "http_server: %s\n", http.lastError().c_str());
        return 1;
    }
    std::printf("listening on http://%s/\n", http.localAddr().addrString.c_str());
    std::fflush(stdout);
    while (mnet::ChannDispatcher::pollEvent(1000) >= 0) {
    }
    std::fprintf(stderr, "http_server: %s\n", mnet::ChannDispatcher::lastError().c_str());
    return 1;
}
