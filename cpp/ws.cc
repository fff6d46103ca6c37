// mnet::ws: the C++ face of the WebSocket layer. Every rule of the
// protocol lives in Rust (src/ws/); this file maps calls, copies messages
// into C++ strings, and calls the handlers pollEvent() hands it
// (WsAccess::deliver).
#include "mnet/ws.hpp"

#include "bridge.hpp"

namespace mnet {
namespace ws {

namespace {

rust::Slice<const uint8_t> raw(const std::string &s) { return bytes(s); }

std::string str(const rust::Vec<uint8_t> &v) { return std::string(reinterpret_cast<const char *>(v.data()), v.size()); }

}  // namespace

Endpoint::Endpoint(const Options &o) : m_id(0) {
    ffi::WsOptions opts{o.maxFrame, o.maxMessage, o.maxQueue, o.fragmentSize, o.pingIntervalMs,
                        o.pongTimeoutMs, o.idleTimeoutMs, o.closeTimeoutMs, o.handshakeTimeoutMs,
                        o.deflate, o.deflateLevel, o.deflateThreshold, o.ownNoContextTakeover,
                        o.peerNoContextTakeover, o.ownMaxWindowBits, o.peerMaxWindowBits};
    m_id = ffi::ws_new(opts, reinterpret_cast<uintptr_t>(this));
    if (m_id == 0) m_lastError = bridgeError();
}

Endpoint::~Endpoint() {
    if (m_id != 0) ffi::ws_free(m_id);
}

bool Endpoint::fail() {
    m_lastError = m_id == 0 ? (m_lastError.empty() ? std::string("the endpoint could not be made") : m_lastError) : bridgeError();
    return false;
}

std::vector<std::string> Endpoint::offeredProtocols(const http::Server &server, uint64_t request) {
    rust::Vec<rust::String> out;
    std::vector<std::string> list;
    if (ffi::ws_offered_protocols(http::HttpAccess::id(server), request, out) != 0) return list;
    for (const auto &p : out) list.emplace_back(std::string(p));
    return list;
}

uint64_t Endpoint::accept(http::Server &server, uint64_t request, const std::string &protocol) {
    if (m_id == 0) return 0;
    uint64_t conn = ffi::ws_accept(m_id, http::HttpAccess::id(server), request, raw(protocol));
    if (conn == 0) fail();
    return conn;
}

bool Endpoint::setTlsConfig(const TlsConfig &tls) {
    return (m_id != 0 && ffi::ws_set_tls(m_id, TlsAccess::id(tls)) == 0) || fail();
}

uint64_t Endpoint::connect(const std::string &url, const std::vector<std::string> &protocols, const http::Headers &headers) {
    if (m_id == 0) return 0;
    rust::Vec<rust::String> p;
    for (const auto &s : protocols) p.push_back(rust::String(s.data(), s.size()));
    rust::Vec<ffi::HttpHeader> h;
    for (const auto &kv : headers) {
        h.push_back(ffi::HttpHeader{rust::String(kv.first.data(), kv.first.size()), rust::String(kv.second.data(), kv.second.size())});
    }
    uint64_t conn = ffi::ws_connect(m_id, raw(url), rust::Slice<const rust::String>(p.data(), p.size()),
                                    rust::Slice<const ffi::HttpHeader>(h.data(), h.size()));
    if (conn == 0) fail();
    return conn;
}

bool Endpoint::send(uint64_t id, const std::string &data, bool text) {
    return (m_id != 0 && ffi::ws_send(m_id, id, text, raw(data)) == 0) || fail();
}

bool Endpoint::ping(uint64_t id, const std::string &payload) {
    return (m_id != 0 && ffi::ws_ping(m_id, id, raw(payload)) == 0) || fail();
}

bool Endpoint::close(uint64_t id, int code, const std::string &reason) {
    if (code < 0 || code > 65535) {
        m_lastError = "close codes are 1000-1003, 1007-1014 or 3000-4999";
        return false;
    }
    return (m_id != 0 && ffi::ws_close(m_id, id, static_cast<uint16_t>(code), raw(reason)) == 0) || fail();
}

int64_t Endpoint::queued(uint64_t id) const { return m_id == 0 ? -1 : ffi::ws_queued(m_id, id); }

std::string Endpoint::protocol(uint64_t id) const { return m_id == 0 ? std::string() : std::string(ffi::ws_protocol(m_id, id)); }

bool Endpoint::isCompressed(uint64_t id) const { return m_id != 0 && ffi::ws_compressed(m_id, id); }

int64_t Endpoint::connections() const { return m_id == 0 ? 0 : ffi::ws_connections(m_id); }

// ---- events -----------------------------------------------------------------------

void WsAccess::deliver(int32_t event, uint64_t conn, uint64_t object, uint64_t opaque) {
    Endpoint *e = reinterpret_cast<Endpoint *>(static_cast<uintptr_t>(opaque));
    if (e == nullptr || e->m_id != object) return;
    ffi::WsEventData d{};
    if (ffi::ws_take(object, conn, d) != 0) return;
    // Copies of the handlers: a handler may replace itself or delete the
    // endpoint.
    switch (event) {
    case kOpen:
        if (e->m_open) Endpoint::IdHandler(e->m_open)(*e, conn);
        break;
    case kMessage:
        if (e->m_message) Endpoint::MessageHandler(e->m_message)(*e, conn, str(d.data), d.text);
        break;
    case kPing:
        if (e->m_ping) Endpoint::ControlHandler(e->m_ping)(*e, conn, str(d.data));
        break;
    case kPong:
        if (e->m_pong) Endpoint::ControlHandler(e->m_pong)(*e, conn, str(d.data));
        break;
    case kDrain:
        if (e->m_drain) Endpoint::IdHandler(e->m_drain)(*e, conn);
        break;
    case kClose:
        if (e->m_close) Endpoint::CloseHandler(e->m_close)(*e, conn, d.code, std::string(d.reason));
        break;
    default:
        break;
    }
}

}  // namespace ws
}  // namespace mnet
