// mnet::http: the C++ face of the HTTP layer. Every rule about HTTP lives
// in Rust (src/http/); this file maps calls, copies requests and responses
// into C++ types, and calls the handlers pollEvent() hands it
// (HttpAccess::deliver).
#include "mnet/http.hpp"

#include <cctype>
#include <climits>

#include "bridge.hpp"

namespace mnet {
namespace http {

namespace {

bool sameName(const std::string &a, const std::string &b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); i++) {
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
    }
    return true;
}

const std::string *find(const Headers &list, const std::string &name, bool anyCase) {
    for (const auto &h : list) {
        if (anyCase ? sameName(h.first, name) : h.first == name) return &h.second;
    }
    return nullptr;
}

rust::Vec<ffi::HttpHeader> toFfi(const Headers &headers) {
    rust::Vec<ffi::HttpHeader> out;
    out.reserve(headers.size());
    for (const auto &h : headers) {
        out.push_back(ffi::HttpHeader{rust::String(h.first.data(), h.first.size()),
                                      rust::String(h.second.data(), h.second.size())});
    }
    return out;
}

Headers fromFfi(const rust::Vec<ffi::HttpHeader> &list) {
    Headers out;
    out.reserve(list.size());
    for (const auto &h : list) out.emplace_back(std::string(h.name), std::string(h.value));
    return out;
}

rust::Slice<const ffi::HttpHeader> slice(const rust::Vec<ffi::HttpHeader> &v) {
    return rust::Slice<const ffi::HttpHeader>(v.data(), v.size());
}

rust::Slice<const uint8_t> raw(const std::string &s) { return bytes(s); }

bool statusOk(int status, std::string &error) {
    if (status >= 100 && status <= 999) return true;
    error = "an HTTP status is a number from 100 to 999";
    return false;
}

}  // namespace

// ---- Request ------------------------------------------------------------------

bool Request::queryParam(const std::string &name, std::string &value) const {
    rust::String out;
    if (!ffi::http_query_param(raw(m_query), raw(name), out)) return false;
    value.assign(out.data(), out.size());
    return true;
}

std::string Request::queryParam(const std::string &name) const {
    std::string v;
    queryParam(name, v);
    return v;
}

std::string Request::header(const std::string &name) const {
    const std::string *v = find(m_headers, name, true);
    return v ? *v : std::string();
}

bool Request::hasHeader(const std::string &name) const { return find(m_headers, name, true) != nullptr; }

std::string Request::param(const std::string &name) const {
    const std::string *v = find(m_params, name, false);
    return v ? *v : std::string();
}

std::string ClientResponse::header(const std::string &name) const {
    const std::string *v = find(headers, name, true);
    return v ? *v : std::string();
}

// ---- Server ---------------------------------------------------------------------

Server::Server(const Limits &l) : m_id(0) {
    ffi::HttpLimits limits{l.maxHead, l.maxUri, l.maxHeaders, l.maxBody,
                           l.headTimeoutMs, l.bodyTimeoutMs, l.keepAliveMs, l.maxPipelined};
    m_id = ffi::http_server_new(limits, reinterpret_cast<uintptr_t>(this));
    if (m_id == 0) m_lastError = bridgeError();
}

Server::~Server() {
    if (m_id != 0) ffi::http_server_free(m_id);
}

bool Server::fail() {
    m_lastError = m_id == 0 ? (m_lastError.empty() ? std::string("the server could not be made") : m_lastError) : bridgeError();
    return false;
}

bool Server::route(const std::string &method, const std::string &pattern, Handler handler) {
    if (m_id == 0) return fail();
    int64_t n = ffi::http_server_route(m_id, raw(method), raw(pattern));
    if (n < 0) return fail();
    if (static_cast<size_t>(n) >= m_routes.size()) m_routes.resize(static_cast<size_t>(n) + 1);
    m_routes[static_cast<size_t>(n)] = std::move(handler);
    return true;
}

bool Server::routeStream(const std::string &method, const std::string &pattern, Handler handler, BodyHandler body) {
    if (m_id == 0) return fail();
    int64_t n = ffi::http_server_route(m_id, raw(method), raw(pattern));
    if (n < 0 || ffi::http_server_stream_route(m_id, n) != 0) return fail();
    size_t i = static_cast<size_t>(n);
    if (i >= m_routes.size()) m_routes.resize(i + 1);
    if (i >= m_bodies.size()) m_bodies.resize(i + 1);
    m_routes[i] = std::move(handler);
    m_bodies[i] = std::move(body);
    return true;
}

void Server::setFallback(Handler handler) { m_fallback = std::move(handler); }
void Server::setDrainHandler(IdHandler handler) { m_drain = std::move(handler); }
void Server::setAbortHandler(IdHandler handler) { m_abort = std::move(handler); }

bool Server::setName(const std::string &name) {
    return (m_id != 0 && ffi::http_server_set_name(m_id, raw(name)) == 0) || fail();
}

bool Server::listen(const std::string &addr) {
    ffi::Addr out{};
    if (m_id == 0 || ffi::http_server_listen(m_id, raw(addr), 0, out) != 0) return fail();
    AddrAccess::fromFfi(m_local, out);
    return true;
}

bool Server::listenTls(const std::string &addr, const TlsConfig &tls) {
    ffi::Addr out{};
    if (m_id == 0 || ffi::http_server_listen(m_id, raw(addr), TlsAccess::id(tls), out) != 0) return fail();
    AddrAccess::fromFfi(m_local, out);
    return true;
}

bool Server::respond(uint64_t id, int status, const std::string &contentType, const std::string &body) {
    Headers h;
    if (!contentType.empty()) h.emplace_back("Content-Type", contentType);
    return respond(id, status, h, body);
}

bool Server::respond(uint64_t id, int status, const Headers &headers, const std::string &body) {
    if (!statusOk(status, m_lastError)) return false;
    rust::Vec<ffi::HttpHeader> h = toFfi(headers);
    return (m_id != 0 && ffi::http_respond(m_id, id, static_cast<uint16_t>(status), slice(h), raw(body)) == 0) || fail();
}

bool Server::respondFile(uint64_t id, const std::string &path, const std::string &contentType) {
    return (m_id != 0 && ffi::http_respond_file(m_id, id, raw(path), raw(contentType)) == 0) || fail();
}

bool Server::respondStream(uint64_t id, int status, const Headers &headers) {
    if (!statusOk(status, m_lastError)) return false;
    rust::Vec<ffi::HttpHeader> h = toFfi(headers);
    return (m_id != 0 && ffi::http_respond_stream(m_id, id, static_cast<uint16_t>(status), slice(h)) == 0) || fail();
}

bool Server::writeChunk(uint64_t id, const std::string &data) {
    return (m_id != 0 && ffi::http_write_chunk(m_id, id, raw(data)) == 0) || fail();
}

bool Server::endStream(uint64_t id) { return (m_id != 0 && ffi::http_end_stream(m_id, id) == 0) || fail(); }

int64_t Server::queued(uint64_t id) const { return m_id == 0 ? -1 : ffi::http_queued(m_id, id); }

void Server::stop() {
    if (m_id != 0) ffi::http_server_stop(m_id);
}

bool Server::stopped() const { return m_id == 0 || ffi::http_server_stopped(m_id); }

int64_t Server::connections() const { return m_id == 0 ? 0 : ffi::http_server_connections(m_id); }

// ---- Client ---------------------------------------------------------------------

Client::Client(const ClientOptions &o) : m_id(0) {
    ffi::HttpClientOptions opts{o.maxBody, o.maxHead, o.maxHeaders, o.connectTimeoutMs,
                                o.responseTimeoutMs, o.idleTimeoutMs, o.maxPerOrigin};
    m_id = ffi::http_client_new(opts, reinterpret_cast<uintptr_t>(this));
    if (m_id == 0) m_lastError = bridgeError();
}

Client::~Client() {
    if (m_id != 0) ffi::http_client_free(m_id);
}

bool Client::setTlsConfig(const TlsConfig &tls) {
    if (m_id != 0 && ffi::http_client_set_tls(m_id, TlsAccess::id(tls)) == 0) return true;
    if (m_id != 0) m_lastError = bridgeError();
    return false;
}

uint64_t Client::fetch(const std::string &method, const std::string &url, const Headers &headers,
                       const std::string &body, Callback callback) {
    if (m_id == 0) return 0;
    rust::Vec<ffi::HttpHeader> h = toFfi(headers);
    uint64_t id = ffi::http_client_fetch(m_id, raw(method), raw(url), slice(h), raw(body));
    if (id == 0) {
        m_lastError = bridgeError();
        return 0;
    }
    m_callbacks.emplace_back(id, std::move(callback));
    return id;
}

void Client::cancel(uint64_t id) {
    if (m_id == 0) return;
    ffi::http_client_cancel(m_id, id);
    for (size_t i = 0; i < m_callbacks.size(); i++) {
        if (m_callbacks[i].first == id) {
            m_callbacks.erase(m_callbacks.begin() + static_cast<std::ptrdiff_t>(i));
            break;
        }
    }
}

int64_t Client::pending() const { return static_cast<int64_t>(m_callbacks.size()); }

uint64_t HttpAccess::id(const Server &server) { return server.m_id; }

// ---- events -----------------------------------------------------------------------

void HttpAccess::deliver(int32_t event, uint64_t id, uint64_t object, uint64_t opaque) {
    if (event == kRequest || event == kDrain || event == kAborted || event == kBody || event == kBodyEnd) {
        Server *s = reinterpret_cast<Server *>(static_cast<uintptr_t>(opaque));
        if (s == nullptr || s->m_id != object) return;
        if (event == kBody || event == kBodyEnd) {
            rust::Vec<uint8_t> data;
            int64_t route = -1;
            if (ffi::http_take_body(object, id, data, route) != 0) return;
            if (route < 0 || static_cast<size_t>(route) >= s->m_bodies.size() || !s->m_bodies[static_cast<size_t>(route)]) return;
            // A copy: the handler may add routes or delete the server.
            Server::BodyHandler call = s->m_bodies[static_cast<size_t>(route)];
            call(*s, id, std::string(reinterpret_cast<const char *>(data.data()), data.size()), event == kBodyEnd);
            return;
        }
        if (event == kDrain) {
            if (s->m_drain) s->m_drain(*s, id);
            return;
        }
        if (event == kAborted) {
            if (s->m_abort) s->m_abort(*s, id);
            return;
        }
        ffi::HttpRequestData d{};
        if (ffi::http_request(object, id, d) != 0) return;
        Request q;
        q.m_id = id;
        q.m_route = d.route < 0 || d.route > INT_MAX ? -1 : static_cast<int>(d.route);
        q.m_method = std::string(d.method);
        q.m_target = std::string(d.target);
        q.m_path = std::string(d.path);
        q.m_query = std::string(d.query);
        q.m_minor = d.minor;
        q.m_upgrade = d.upgrade;
        q.m_headers = fromFfi(d.headers);
        q.m_params = fromFfi(d.params);
        q.m_body.assign(reinterpret_cast<const char *>(d.body.data()), d.body.size());
        AddrAccess::fromFfi(q.m_peer, d.peer);
        Server::Handler *h = nullptr;
        if (q.m_route >= 0 && static_cast<size_t>(q.m_route) < s->m_routes.size() && s->m_routes[static_cast<size_t>(q.m_route)]) {
            h = &s->m_routes[static_cast<size_t>(q.m_route)];
        } else if (s->m_fallback) {
            h = &s->m_fallback;
        }
        if (h == nullptr) {
            s->respond(id, 404, "text/plain", "not found\n");
            return;
        }
        // A copy: the handler may add routes (moving the vector) or delete
        // the server.
        Server::Handler call = *h;
        call(*s, q);
        return;
    }
    if (event == kResponse || event == kFailed) {
        Client *c = reinterpret_cast<Client *>(static_cast<uintptr_t>(opaque));
        if (c == nullptr || c->m_id != object) return;
        ffi::HttpResponseData d{};
        if (ffi::http_client_take(object, id, d) != 0) return;
        Client::Callback cb;
        for (size_t i = 0; i < c->m_callbacks.size(); i++) {
            if (c->m_callbacks[i].first == id) {
                cb = std::move(c->m_callbacks[i].second);
                c->m_callbacks.erase(c->m_callbacks.begin() + static_cast<std::ptrdiff_t>(i));
                break;
            }
        }
        ClientResponse r;
        r.id = id;
        r.status = d.status;
        r.reason = std::string(d.reason);
        r.minorVersion = d.minor;
        r.headers = fromFfi(d.headers);
        r.body.assign(reinterpret_cast<const char *>(d.body.data()), d.body.size());
        r.error = std::string(d.error);
        if (cb) cb(*c, r);
    }
}

}  // namespace http
}  // namespace mnet
