// mnet/ws.hpp: WebSocket (RFC 6455, permessage-deflate RFC 7692) servers
// and clients on the thread's event loop (the C++ face of the Rust layer
// in src/ws/). C++11.
//
// One Endpoint holds connections of both kinds: those accepted from an
// http::Server (the upgrade is a route like any other: its handler calls
// accept(), or answers over HTTP to refuse) and those opened to ws:// and
// wss:// URLs. ChannDispatcher::pollEvent() calls the endpoint's handlers
// in the same round as the Channs' and the HTTP objects'.
//
//   mnet::http::Server http;
//   mnet::ws::Endpoint ws;
//   ws.onMessage([](mnet::ws::Endpoint &e, uint64_t id, const std::string &data, bool text) {
//       e.send(id, data, text);                       // echo
//   });
//   http.route("GET", "/echo", [&](mnet::http::Server &s, const mnet::http::Request &q) {
//       if (!ws.accept(s, q.id())) { /* not a valid handshake: answered 400/426 */ }
//   });
//   http.listen("127.0.0.1:9001");
//   while (mnet::ChannDispatcher::pollEvent(1000) >= 0) {}
//
// The protocol is strict: frames masked by clients only, control frames
// between fragments, UTF-8 checked as it arrives (1007 at the first bad
// byte), reserved bits and opcodes and invalid close codes 1002, frames
// and messages past the limits 1009. Pings are answered by the endpoint.
// Every connection ends with exactly one close handler call.
//
// Connections are named by 64-bit ids. Errors: calls that can fail return
// false (or 0 for an id) and leave a sentence in lastError(); no call
// throws; a stale id is an error, never a crash. Objects belong to the
// thread that made them: use and delete them there.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "mnet/http.hpp"
#include "mnet/mnet.hpp"

namespace mnet {
namespace ws {

// Limits, timeouts and compression of an Endpoint (defaults as in Rust's
// mnet::ws::Options).
struct Options {
    uint64_t maxFrame = 16u << 20;         // bytes of one frame from the peer (1009)
    uint64_t maxMessage = 16u << 20;       // bytes of one message, decompressed (1009)
    uint64_t maxQueue = 1u << 20;          // queued bytes past which sends fail and reading pauses
    uint64_t fragmentSize = 0;             // split outgoing messages into frames this long (0: no)
    uint64_t pingIntervalMs = 0;           // ping when the peer was silent this long (0: never)
    uint64_t pongTimeoutMs = 10000;        // drop the connection when a ping's pong is this late
    uint64_t idleTimeoutMs = 0;            // close (1001) after this long without messages (0: never)
    uint64_t closeTimeoutMs = 5000;        // the closing handshake and TCP's end may take this long
    uint64_t handshakeTimeoutMs = 10000;   // a client connection must open within this
    bool deflate = true;                   // offer / accept permessage-deflate
    uint32_t deflateLevel = 1;             // zlib level 0-9
    uint64_t deflateThreshold = 64;        // shorter messages are sent uncompressed
    bool ownNoContextTakeover = false;     // compress each message alone (less memory)
    bool peerNoContextTakeover = false;    // ask the peer to do the same
    uint8_t ownMaxWindowBits = 15;         // this side's compression window, 9-15
    uint8_t peerMaxWindowBits = 15;        // the window asked of the peer, 9-15
};

// WebSocket connections on this thread's loop.
class Endpoint {
public:
    // The connection `id` is open (accepted, or a client's handshake done).
    typedef std::function<void(Endpoint &e, uint64_t id)> IdHandler;
    // A whole message: text (valid UTF-8) or binary.
    typedef std::function<void(Endpoint &e, uint64_t id, const std::string &data, bool text)> MessageHandler;
    // A ping (already answered) or a pong, with its payload.
    typedef std::function<void(Endpoint &e, uint64_t id, const std::string &payload)> ControlHandler;
    // The connection is gone: the code and reason of the close that began
    // the closing handshake (the peer's, 1005 when it gave none, or this
    // side's, e.g. 1002 for the fault found), or 1006 with why it ended
    // without one (lost, no pong, a client connection that never opened).
    typedef std::function<void(Endpoint &e, uint64_t id, int code, const std::string &reason)> CloseHandler;

    explicit Endpoint(const Options &options = Options());
    // Drops every connection at once (no closing handshake, no handlers).
    ~Endpoint();
    Endpoint(const Endpoint &) = delete;
    Endpoint &operator=(const Endpoint &) = delete;

    void onOpen(IdHandler h) { m_open = std::move(h); }
    void onMessage(MessageHandler h) { m_message = std::move(h); }
    void onPing(ControlHandler h) { m_ping = std::move(h); }
    void onPong(ControlHandler h) { m_pong = std::move(h); }
    // The send queue emptied after a send failed for a full queue (or
    // reading paused for one): send again.
    void onDrain(IdHandler h) { m_drain = std::move(h); }
    void onClose(CloseHandler h) { m_close = std::move(h); }

    // The subprotocols request `request` of `server` offers, in the
    // client's order (for choosing one to accept with).
    static std::vector<std::string> offeredProtocols(const http::Server &server, uint64_t request);
    // Accepts request `request` of `server` as a WebSocket connection
    // speaking `protocol` (one offered, or "" for none): answers 101 and
    // takes the connection; onOpen follows. Returns the connection's id,
    // or 0: an invalid handshake was answered 400 (426 for another
    // version), or the protocol was not offered (the request is then
    // still the program's to answer).
    uint64_t accept(http::Server &server, uint64_t request, const std::string &protocol = "");

    // The TLS settings for wss:// (a CA with setCaFile); without them the
    // system's roots verify servers.
    bool setTlsConfig(const TlsConfig &tls);
    // Opens a connection to `url` (ws://host[:port]/path or wss://...),
    // offering `protocols`, with more request `headers` (Origin, cookies).
    // Returns its id at once (0 for a malformed URL or header); onOpen
    // follows, or onClose with 1006 and the reason.
    uint64_t connect(const std::string &url, const std::vector<std::string> &protocols = std::vector<std::string>(),
                     const http::Headers &headers = http::Headers());

    // Sends a message (text must be UTF-8). False when the connection is
    // not open, or its queue is full (onDrain follows when it empties).
    bool send(uint64_t id, const std::string &data, bool text);
    bool sendText(uint64_t id, const std::string &text) { return send(id, text, true); }
    bool sendBinary(uint64_t id, const std::string &data) { return send(id, data, false); }
    // Sends a ping with at most 125 bytes.
    bool ping(uint64_t id, const std::string &payload = "");
    // Starts the closing handshake: code 1000-1003, 1007-1014 or
    // 3000-4999, a reason of at most 123 bytes. onClose follows.
    bool close(uint64_t id, int code = 1000, const std::string &reason = "");

    // Bytes queued on connection `id`; -1 for a stale id.
    int64_t queued(uint64_t id) const;
    // The subprotocol agreed ("" for none).
    std::string protocol(uint64_t id) const;
    // Whether permessage-deflate was agreed.
    bool isCompressed(uint64_t id) const;
    // Open connections (opening and closing ones included).
    int64_t connections() const;

    const std::string &lastError() const { return m_lastError; }

private:
    friend struct WsAccess;
    bool fail();
    uint64_t m_id;
    IdHandler m_open, m_drain;
    MessageHandler m_message;
    ControlHandler m_ping, m_pong;
    CloseHandler m_close;
    std::string m_lastError;
};

}  // namespace ws
}  // namespace mnet
