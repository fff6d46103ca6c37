// mnet::http::Client through the C++ face, against mnet's own server on the
// same loop: keep-alive reuse, a 1 MiB POST echoed, many requests at once
// within the per-origin cap, failures as callbacks with a sentence,
// malformed requests refused at once, cancel, and a client deleted inside
// its own callback.
#include <algorithm>
#include <memory>
#include <string>

#include <mnet/http.hpp>

#include "check.hpp"
#include "raw_socket.hpp"

using mnet::http::Client;
using mnet::http::ClientOptions;
using mnet::http::ClientResponse;
using mnet::http::Request;
using mnet::http::Server;

int main() {
    Server http;
    CHECK(http.route("GET", "/n/:i", [](Server &s, const Request &q) { s.respond(q.id(), 200, "text/plain", q.param("i")); }));
    CHECK(http.route("POST", "/echo", [](Server &s, const Request &q) {
        s.respond(q.id(), 200, q.header("Content-Type"), q.body());
    }));
    CHECK(http.listen("127.0.0.1:0"));
    const std::string base = "http://" + http.localAddr().addrString;

    Client client;
    for (int i = 0; i < 3; i++) {
        ClientResponse got;
        client.get(base + "/n/" + std::to_string(i), [&got](Client &, const ClientResponse &r) { got = r; });
        POLL_UNTIL(got.status != 0 || !got.error.empty(), 30);
        CHECK_EQ(got.status, 200);
        CHECK_EQ(got.body, std::to_string(i));
        CHECK_EQ(http.connections(), 1);
    }
    PASS("three requests in turn share one keep-alive connection");

    std::string big(1 << 20, '\0');
    for (size_t i = 0; i < big.size(); i++) big[i] = static_cast<char>(i * 31 % 251);
    ClientResponse echoed;
    CHECK_NE(client.fetch("POST", base + "/echo", {{"Content-Type", "application/x-bytes"}}, big,
                          [&echoed](Client &, const ClientResponse &r) { echoed = r; }),
             0u);
    POLL_UNTIL(echoed.ok() || !echoed.error.empty(), 30);
    CHECK(echoed.body == big);
    CHECK_EQ(echoed.header("content-type"), std::string("application/x-bytes"));
    PASS("1 MiB POSTed and echoed byte for byte");

    ClientOptions few;
    few.maxPerOrigin = 2;
    Client pooled(few);
    int answered = 0, wrong = 0;
    for (int i = 0; i < 40; i++) {
        pooled.get(base + "/n/" + std::to_string(i), [&, i](Client &, const ClientResponse &r) {
            ++answered;
            if (r.body != std::to_string(i)) ++wrong;
        });
    }
    int64_t most = 0;
    POLL_UNTIL((most = std::max<int64_t>(most, http.connections()), answered == 40), 30);
    CHECK_EQ(wrong, 0);
    CHECK_LE(most, 3);  // 2 of this client's, 1 of the first client's
    CHECK_EQ(pooled.pending(), 0);
    PASS("40 requests at once over at most 2 connections, each its own answer");

    // A port bound but not listening: connects to it are refused.
    int holder = raw::bound(false);
    int closedPort = raw::portOf(holder);
    ClientResponse refused;
    client.get("http://127.0.0.1:" + std::to_string(closedPort) + "/", [&refused](Client &, const ClientResponse &r) { refused = r; });
    POLL_UNTIL(!refused.error.empty() || refused.ok(), 30);
    CHECK(!refused.ok());
    CHECK_CONTAINS(refused.error, "refused");
    PASS("a refused connection is a callback with a sentence");

    auto ignore = [](Client &, const ClientResponse &) { check::fail(__FILE__, __LINE__, "no callback expected"); };
    CHECK_EQ(client.get("ftp://example/", ignore), 0u);
    CHECK_CONTAINS(client.lastError(), "http://");
    CHECK_EQ(client.fetch("GET", base + "/", {{"X", "a\r\nInjected: 1"}}, "", ignore), 0u);
    CHECK_CONTAINS(client.lastError(), "CR");
    CHECK_EQ(client.fetch("BAD METHOD", base + "/", {}, "", ignore), 0u);
    CHECK_EQ(client.fetch("POST", base + "/", {{"Content-Length", "1"}}, "x", ignore), 0u);
    PASS("malformed URLs, methods and headers are refused at once");

    uint64_t gone = client.get(base + "/n/9", ignore);
    CHECK_NE(gone, 0u);
    client.cancel(gone);
    CHECK_EQ(client.pending(), 0);
    check::watchTicks(3, 20);
    PASS("a cancelled request gets no callback");

    std::unique_ptr<Client> owned(new Client());
    bool called = false;
    owned->get(base + "/n/1", [&](Client &self, const ClientResponse &r) {
        CHECK_EQ(&self, owned.get());
        CHECK_EQ(r.body, std::string("1"));
        called = true;
        owned.reset();  // deleting the client inside its own callback
    });
    POLL_UNTIL(called, 30);
    check::watchTicks(2, 20);
    PASS("a client deleted inside its callback");
    return 0;
}
