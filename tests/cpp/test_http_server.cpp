// mnet::http::Server through the C++ face: routes with parameters and a
// decoded query, the request's fields, answers given later from a timer
// (and still sent in request order on a pipelined connection), a streamed
// response driven by the drain handler, a streamed upload (routeStream),
// the fallback and the default 404,
// errors for stale ids and bad arguments, and a graceful stop. The client
// side is mnet's own HTTP client, and a raw socket where the bytes on the
// wire matter.
#include <sys/socket.h>

#include <string>
#include <vector>

#include <mnet/http.hpp>

#include "check.hpp"
#include "raw_socket.hpp"

using mnet::http::Client;
using mnet::http::ClientResponse;
using mnet::http::Request;
using mnet::http::Server;

namespace {

std::string base(const Server &s) { return "http://" + s.localAddr().addrString; }

// GETs `url` (or sends `method` with `body`) and runs rounds until the answer.
ClientResponse fetch(Client &c, const std::string &method, const std::string &url, const std::string &body = "") {
    ClientResponse got;
    bool done = false;
    uint64_t id = c.fetch(method, url, {}, body, [&](Client &, const ClientResponse &r) {
        got = r;
        done = true;
    });
    if (id == 0) check::fail(__FILE__, __LINE__, "fetch: " + c.lastError());
    POLL_UNTIL(done, 30);
    if (!got.ok()) check::fail(__FILE__, __LINE__, url + ": " + got.error);
    return got;
}

// Reads from a raw socket while the loop runs, until `want` bytes came.
std::string readWhilePolling(int fd, size_t want) {
    std::string got;
    char buf[65536];
    POLL_UNTIL(([&] {
                   ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
                   if (n > 0) got.append(buf, static_cast<size_t>(n));
                   return got.size() >= want || n == 0;
               }()),
               30);
    return got;
}

}  // namespace

int main() {
    Server http;
    std::vector<uint64_t> later;
    size_t streamed = 0;
    const size_t streamTotal = 4u << 20;
    const std::string piece(256 * 1024, 's');

    CHECK(http.route("GET", "/users/:id/:tab", [](Server &s, const Request &q) {
        CHECK_EQ(q.method(), std::string("GET"));
        CHECK_EQ(q.path(), std::string("/users/42/posts"));
        CHECK_EQ(q.query(), std::string("x=a%20b&y=c+d"));
        CHECK_EQ(q.queryParam("x"), std::string("a b"));
        CHECK_EQ(q.queryParam("y"), std::string("c d"));
        std::string none;
        CHECK(!q.queryParam("z", none));
        CHECK_EQ(q.param("id"), std::string("42"));
        CHECK_EQ(q.param("tab"), std::string("posts"));
        CHECK(q.hasHeader("HOST") && !q.header("host").empty());
        CHECK_CONTAINS(q.peer().addrString, "127.0.0.1:");
        CHECK_EQ(q.minorVersion(), 1);
        CHECK_EQ(q.route(), 0);
        s.respond(q.id(), 200, {{"Content-Type", "text/plain"}, {"X-Id", q.param("id")}}, "user " + q.param("id"));
    }));
    CHECK(http.route("GET", "/later", [&later](Server &, const Request &q) { later.push_back(q.id()); }));
    CHECK(http.route("GET", "/now", [](Server &s, const Request &q) { s.respond(q.id(), 200, "text/plain", "now"); }));
    CHECK(http.route("GET", "/stream", [&](Server &s, const Request &q) {
        CHECK(s.respondStream(q.id(), 200, {{"Content-Type", "application/octet-stream"}}));
        CHECK(s.writeChunk(q.id(), piece));
        streamed = piece.size();
    }));
    http.setDrainHandler([&](Server &s, uint64_t id) {
        if (streamed >= streamTotal) return;
        CHECK(s.writeChunk(id, piece));
        streamed += piece.size();
        if (streamed >= streamTotal) CHECK(s.endStream(id));
    });
    CHECK(!http.route("GET", "no-slash", [](Server &, const Request &) {}));
    CHECK(!http.lastError().empty());
    CHECK(!http.listen("127.0.0.1:99999"));
    CHECK_CONTAINS(http.lastError(), "99999");
    CHECK(http.listen("127.0.0.1:0"));
    CHECK_NE(http.localAddr().addr.port, 0);
    PASS("routes added, a bad pattern and a bad address refused with a sentence");

    // Answers from a timer, a round or more after their requests.
    mnet::Chann ticker("udp");
    ticker.setEventHandler([&](mnet::Chann *, mnet::Chann *, chann_event_t, int) {
        for (uint64_t id : later) CHECK(http.respond(id, 200, "text/plain", "later"));
        later.clear();
    });
    ticker.channActiveEvent(CHANN_EVENT_TIMER, 20);

    Client client;
    ClientResponse r = fetch(client, "GET", base(http) + "/users/42/posts?x=a%20b&y=c+d");
    CHECK_EQ(r.status, 200);
    CHECK_EQ(r.body, std::string("user 42"));
    CHECK_EQ(r.header("x-id"), std::string("42"));
    CHECK(!r.header("Date").empty());
    CHECK_EQ(r.header("Server"), std::string("mnet"));
    PASS("a route's parameters, decoded query, headers and peer reach the handler");

    r = fetch(client, "GET", base(http) + "/later");
    CHECK_EQ(r.body, std::string("later"));
    PASS("a request answered later, from a timer");

    // A streamed upload: the head first, then the body in parts, whole at
    // the end and never in Request::body().
    std::string upload(3u << 20, '\0');
    for (size_t i = 0; i < upload.size(); i++) upload[i] = static_cast<char>(i * 7 % 251);
    std::string received;
    int parts = 0;
    bool headSeen = false;
    CHECK(http.routeStream(
        "POST", "/upload",
        [&](Server &, const Request &q) {
            CHECK(q.body().empty());
            headSeen = true;
        },
        [&](Server &s, uint64_t id, const std::string &data, bool end) {
            received += data;
            parts++;
            if (end) CHECK(s.respond(id, 200, "text/plain", std::to_string(received.size())));
        }));
    r = fetch(client, "POST", base(http) + "/upload", upload);
    CHECK_EQ(r.status, 200);
    CHECK_EQ(r.body, std::to_string(upload.size()));
    CHECK(headSeen);
    CHECK(received == upload);
    CHECK(parts > 1);
    PASS("a streamed upload reaches the body handler in parts, whole and in order");

    // Pipelined: /later (answered by the timer) then /now (answered at once):
    // the responses leave in request order all the same.
    int fd = raw::connectTo(http.localAddr().addr.port);
    raw::sendAll(fd, "GET /later HTTP/1.1\r\nHost: t\r\n\r\nGET /now HTTP/1.1\r\nHost: t\r\n\r\n");
    std::string wire;
    while (wire.find("\r\n\r\nnow") == std::string::npos) wire += readWhilePolling(fd, 1);
    size_t first = wire.find("later"), second = wire.find("\r\n\r\nnow");
    CHECK(first != std::string::npos && first < second);
    close(fd);
    PASS("pipelined responses leave in request order though the first was answered last");

    r = fetch(client, "GET", base(http) + "/stream");
    CHECK_EQ(r.header("Transfer-Encoding"), std::string("chunked"));
    CHECK_EQ(r.body.size(), streamTotal);
    CHECK(r.body.find_first_not_of('s') == std::string::npos);
    PASS("4 MiB streamed in chunks as the drain handler asked for them");

    r = fetch(client, "GET", base(http) + "/nothing");
    CHECK_EQ(r.status, 404);
    http.setFallback([](Server &s, const Request &q) {
        CHECK_EQ(q.route(), -1);
        s.respond(q.id(), 410, "text/plain", "gone: " + q.path());
    });
    r = fetch(client, "GET", base(http) + "/nothing");
    CHECK_EQ(r.status, 410);
    CHECK_EQ(r.body, std::string("gone: /nothing"));
    PASS("404 without a fallback, the fallback's answer with one");

    CHECK(!http.respond(12345, 200, "text/plain", "x"));
    CHECK_CONTAINS(http.lastError(), "stale");
    CHECK(!http.writeChunk(0, "x"));
    CHECK_EQ(http.queued(999), -1);
    bool answeredBadly = false;
    CHECK(http.route("GET", "/bad-status", [&](Server &s, const Request &q) {
        CHECK(!s.respond(q.id(), 42, "text/plain", "x"));
        CHECK_CONTAINS(s.lastError(), "100 to 999");
        answeredBadly = true;
        CHECK(s.respond(q.id(), 500, "text/plain", "bad status refused"));
    }));
    r = fetch(client, "GET", base(http) + "/bad-status");
    CHECK(answeredBadly && r.status == 500);
    PASS("stale ids and bad statuses are refused with a sentence");

    // Graceful stop: a request in progress is answered (with Connection:
    // close), then the server has no connection left and refuses new ones.
    std::vector<uint64_t> held;
    CHECK(http.route("GET", "/hold", [&held](Server &, const Request &q) { held.push_back(q.id()); }));
    ClientResponse last;
    bool done = false;
    client.get(base(http) + "/hold", [&](Client &, const ClientResponse &resp) {
        last = resp;
        done = true;
    });
    POLL_UNTIL(!held.empty(), 30);
    http.stop();
    CHECK(!http.stopped());
    CHECK(http.respond(held[0], 200, "text/plain", "finished"));
    POLL_UNTIL(done && http.stopped(), 30);
    CHECK_EQ(last.body, std::string("finished"));
    CHECK_EQ(last.header("Connection"), std::string("close"));
    CHECK_EQ(http.connections(), 0);
    PASS("stop() finishes the request in progress, then closes");
    return 0;
}
