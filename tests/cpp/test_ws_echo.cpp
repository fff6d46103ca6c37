// mnet::ws::Endpoint through the C++ face: a server (upgraded from an
// http::Server route, choosing a subprotocol) and a client on the same
// loop: text and binary echoed, permessage-deflate agreed, a refused
// upgrade reported to the client as a close with 1006, pings answered,
// and close codes both ways.
#include <string>
#include <vector>

#include <mnet/http.hpp>
#include <mnet/ws.hpp>

#include "check.hpp"

using mnet::http::Request;
using mnet::http::Server;
using mnet::ws::Endpoint;

int main() {
    Server http;
    Endpoint server;
    server.onMessage([](Endpoint &e, uint64_t id, const std::string &data, bool text) { e.send(id, data, text); });
    int serverCloseCode = 0;
    std::string serverCloseReason;
    server.onClose([&](Endpoint &, uint64_t, int code, const std::string &reason) {
        serverCloseCode = code;
        serverCloseReason = reason;
    });
    CHECK(http.route("GET", "/chat", [&server](Server &s, const Request &q) {
        std::vector<std::string> offered = Endpoint::offeredProtocols(s, q.id());
        bool chat = false;
        for (const auto &p : offered) chat |= p == "chat";
        CHECK_NE(server.accept(s, q.id(), chat ? "chat" : ""), 0u);
    }));
    CHECK(http.route("GET", "/refuse", [](Server &s, const Request &q) { s.respond(q.id(), 403, "text/plain", "no\n"); }));
    CHECK(http.listen("127.0.0.1:0"));
    const std::string base = "ws://" + http.localAddr().addrString;

    Endpoint client;
    uint64_t opened = 0;
    std::vector<std::pair<std::string, bool>> got;
    std::string pong;
    int closeCode = 0;
    std::string closeReason;
    client.onOpen([&](Endpoint &, uint64_t id) { opened = id; });
    client.onMessage([&](Endpoint &, uint64_t, const std::string &data, bool text) { got.emplace_back(data, text); });
    client.onPong([&](Endpoint &, uint64_t, const std::string &p) { pong = p; });
    client.onClose([&](Endpoint &, uint64_t, int code, const std::string &reason) {
        closeCode = code;
        closeReason = reason;
    });

    uint64_t id = client.connect(base + "/chat", {"superchat", "chat"});
    CHECK_NE(id, 0u);
    POLL_UNTIL(opened != 0 || closeCode != 0, 30);
    CHECK_EQ(opened, id);
    CHECK_EQ(client.protocol(id), std::string("chat"));
    CHECK(client.isCompressed(id));
    PASS("the client opened, with subprotocol chat and permessage-deflate");

    std::string text(5000, 'a');
    std::string binary("\x00\x01\xff", 3);
    CHECK(client.sendText(id, text));
    CHECK(client.sendBinary(id, binary));
    POLL_UNTIL(got.size() == 2, 30);
    CHECK(got[0].first == text && got[0].second);
    CHECK(got[1].first == binary && !got[1].second);
    CHECK(!client.sendText(id, std::string("\xff", 1)));
    CHECK(!client.lastError().empty());
    PASS("text and binary echoed; text that is not UTF-8 refused with a reason");

    CHECK(client.ping(id, "hi"));
    POLL_UNTIL(pong == "hi", 30);
    CHECK(!client.ping(id, std::string(126, 'x')));
    PASS("a ping answered by the server's endpoint");

    CHECK(!client.close(id, 1005, ""));
    CHECK(client.close(id, 4000, "bye"));
    POLL_UNTIL(closeCode != 0 && serverCloseCode != 0, 30);
    CHECK_EQ(closeCode, 4000);
    CHECK_EQ(serverCloseCode, 4000);
    CHECK_EQ(serverCloseReason, std::string("bye"));
    CHECK_EQ(client.connections(), 0);
    CHECK_EQ(server.connections(), 0);
    CHECK(!client.sendText(id, "stale"));
    PASS("the closing handshake: 4000 'bye' reported on both sides; 1005 never sent");

    closeCode = 0;
    opened = 0;
    uint64_t refused = client.connect(base + "/refuse");
    POLL_UNTIL(closeCode != 0, 30);
    CHECK_EQ(opened, 0u);
    CHECK_EQ(closeCode, 1006);
    CHECK(closeReason.find("403") != std::string::npos);
    CHECK_NE(refused, 0u);
    CHECK_EQ(client.connect("http://x/"), 0u);
    PASS("a refused upgrade closes with 1006 and the status; a bad URL fails at once");
    return 0;
}
