// mnet::Chann: ownership and argument checks over the bridge. Every rule
// about events lives in the Rust reactor; this file only maps calls and
// errors, and finds the object an event belongs to.
#include <climits>
#include <cstring>

#include "bridge.hpp"

namespace mnet {

namespace {

// Converts a C++ type name to the reactor's kind; 0 when unknown.
int32_t kindOf(const std::string &type, chann_type_t &out) {
    if (type == "tcp") return out = CHANN_TYPE_STREAM, 1;
    if (type == "udp") return out = CHANN_TYPE_DGRAM, 2;
    if (type == "broadcast") return out = CHANN_TYPE_BROADCAST, 3;
    if (type == "tls") return out = CHANN_TYPE_TLS, 4;
    return 0;
}

int clampInt(int64_t v) { return v > INT_MAX ? INT_MAX : static_cast<int>(v); }

// The temporaries handed to ACCEPT handlers now running on this thread,
// innermost first (more than one with a nested pollEvent). A plain pointer,
// so ~Chann may look at it at any time, during exit too.
struct AcceptTemp {
    Chann *temp;  // null once the handler deleted it
    AcceptTemp *outer;
};
thread_local AcceptTemp *t_acceptTemps = nullptr;

}  // namespace

ChannAddr &Chann::lastPeer() {
    if (m_peer == nullptr) m_peer = new ChannAddr();
    return *m_peer;
}

Chann::Chann()
    : m_handle(0), m_type(CHANN_TYPE_STREAM), m_owner(0), m_handler(nullptr), m_peer(nullptr),
      m_lastError("this Chann was built without a type; use Chann(\"tcp\"), Chann(\"udp\") or Chann(\"broadcast\")") {}

Chann::Chann(std::string streamType)
    : m_handle(0), m_type(CHANN_TYPE_STREAM), m_owner(0), m_handler(nullptr), m_peer(nullptr) {
    int32_t kind = kindOf(streamType, m_type);
    if (kind == 0) {
        m_lastError = "unknown channel type '" + streamType.substr(0, 40) +
                      "' (expected \"tcp\", \"udp\", \"broadcast\" or \"tls\")";
        return;
    }
    m_handle = ffi::chann_open(kind, m_owner);
    if (m_handle == 0) {
        m_lastError = bridgeError();
        return;
    }
    ffi::chann_set_opaque(m_owner, m_handle, reinterpret_cast<uintptr_t>(this));
}

Chann::Chann(Chann *accepted) : m_handle(0), m_type(CHANN_TYPE_STREAM), m_owner(0), m_handler(nullptr), m_peer(nullptr) {
    if (accepted == nullptr || accepted->m_handle == 0) {
        m_lastError = accepted ? "the Chann to adopt has no channel (already adopted or closed)" : "cannot adopt a null Chann";
        return;
    }
    // Refused on a thread that does not own `accepted`, which then keeps it.
    if (ffi::chann_set_opaque(accepted->m_owner, accepted->m_handle, reinterpret_cast<uintptr_t>(this)) != 0) {
        m_lastError = bridgeError();
        return;
    }
    m_handle = accepted->m_handle;
    m_type = accepted->m_type;
    m_owner = accepted->m_owner;
    accepted->m_handle = 0;
    accepted->m_lastError = "this Chann's channel was adopted by another object";
}

Chann::Chann(Adopt, uint32_t owner, uint64_t handle, chann_type_t type)
    : m_handle(handle), m_type(type), m_owner(owner), m_handler(nullptr), m_peer(nullptr) {
    ffi::chann_set_opaque(m_owner, m_handle, reinterpret_cast<uintptr_t>(this));
}

Chann::~Chann() {
    for (AcceptTemp *t = t_acceptTemps; t != nullptr; t = t->outer) {
        if (t->temp == this) t->temp = nullptr;
    }
    dropHandler(m_handler);
    delete m_peer;
    if (m_handle != 0) ffi::chann_close(m_owner, m_handle);
}

bool Chann::usable() {
    if (m_handle != 0) return true;
    if (m_lastError.empty()) m_lastError = "this Chann has no channel";
    return false;
}

bool Chann::fail() {
    m_lastError = bridgeError();
    return false;
}

void Chann::noteLoss(int err) {
    rust::String why = ffi::chann_tls_error(m_owner, m_handle);
    rust::String dns = ffi::chann_dns_error(m_owner, m_handle);
    if (why.size() > 0) {
        m_lastError = "TLS: " + std::string(why.data(), why.size());
    } else if (dns.size() > 0) {
        m_lastError = std::string(dns.data(), dns.size());
    } else {
        m_lastError = std::string("connection lost: ") + std::strerror(err);
    }
}

bool Chann::channListen(std::string ipPort, int backlog) {
    if (!usable()) return false;
    bool ok = ffi::chann_listen(m_owner, m_handle, bytes(ipPort), backlog) == 0 || fail();
    drainLog();
    return ok;
}

bool Chann::channConnect(std::string ipPort) {
    if (!usable()) return false;
    // Numeric only: a host name is resolved by the reactor, without blocking.
    ffi::Addr raw{};
    if (ffi::parse_address(bytes(ipPort), false, raw) == 0) {
        AddrAccess::fromFfi(lastPeer(), raw);
    } else {
        AddrAccess::clear(lastPeer(), "'" + ipPort + "' has no address until connected");
    }
    bool ok = ffi::chann_connect(m_owner, m_handle, bytes(ipPort)) == 0 || fail();
    drainLog();
    return ok;
}

void Chann::channDisconnect() {
    if (usable() && ffi::chann_disconnect(m_owner, m_handle) != 0) fail();
}

int Chann::channRecv(void *buf, int len) {
    if (!usable()) return -1;
    if (buf == nullptr || len < 0) {
        m_lastError = buf == nullptr ? "channRecv: null buffer" : "channRecv: negative length";
        return -1;
    }
    int64_t n = ffi::chann_recv(m_owner, m_handle, rust::Slice<uint8_t>(static_cast<uint8_t *>(buf), static_cast<size_t>(len)));
    if (n < 0) fail();
    return static_cast<int>(n);
}

int Chann::channSend(const void *buf, int len) {
    if (!usable()) return -1;
    if (buf == nullptr || len < 0) {
        m_lastError = buf == nullptr ? "channSend: null buffer" : "channSend: negative length";
        return -1;
    }
    int64_t n = ffi::chann_send(
        m_owner, m_handle, rust::Slice<const uint8_t>(static_cast<const uint8_t *>(buf), static_cast<size_t>(len)));
    if (n < 0) fail();
    return static_cast<int>(n);
}

int Chann::channRecvFrom(void *buf, int len, ChannAddr &from) {
    if (!usable()) return -1;
    if (buf == nullptr || len < 0) {
        m_lastError = buf == nullptr ? "channRecvFrom: null buffer" : "channRecvFrom: negative length";
        return -1;
    }
    ffi::Addr raw{};
    int64_t n = ffi::chann_recv_from(
        m_owner, m_handle, rust::Slice<uint8_t>(static_cast<uint8_t *>(buf), static_cast<size_t>(len)), raw);
    if (n < 0) {
        fail();
        return -1;
    }
    if (n > 0 || raw.port != 0) AddrAccess::fromFfi(from, raw);
    return static_cast<int>(n);
}

int Chann::channSendTo(const void *buf, int len, const ChannAddr &to) {
    if (!usable()) return -1;
    if (buf == nullptr || len < 0) {
        m_lastError = buf == nullptr ? "channSendTo: null buffer" : "channSendTo: negative length";
        return -1;
    }
    if (!to.isValid()) {
        m_lastError = "channSendTo: invalid destination address" + (to.error().empty() ? std::string() : ": " + to.error());
        return -1;
    }
    int64_t n = ffi::chann_send_to(
        m_owner, m_handle, rust::Slice<const uint8_t>(static_cast<const uint8_t *>(buf), static_cast<size_t>(len)),
        AddrAccess::toFfi(to));
    if (n < 0) fail();
    return static_cast<int>(n);
}

void Chann::channActiveEvent(chann_event_t event, int64_t value) {
    if (!usable()) return;
    int32_t r;
    switch (event) {
    case CHANN_EVENT_SEND:
        r = ffi::chann_set_send_event(m_owner, m_handle, value != 0);
        break;
    case CHANN_EVENT_TIMER:
        r = ffi::chann_set_timer(m_owner, m_handle, value);
        break;
    case CHANN_EVENT_RECV:
        r = ffi::chann_set_recv_event(m_owner, m_handle, value != 0);
        break;
    default:
        m_lastError = "channActiveEvent: only CHANN_EVENT_SEND, CHANN_EVENT_TIMER and CHANN_EVENT_RECV can be set";
        return;
    }
    if (r != 0) fail();
}

// The callable given to setEventHandler, on the heap and counted: a handler
// that is running (and its captures) outlives its Chann's deletion or its
// own replacement until it returns, so a lambda may `delete self` or call
// setEventHandler and then keep using what it captured.
struct Chann::Handler {
    explicit Handler(channEventHandler f) : fn(std::move(f)) {}
    channEventHandler fn;
    int running = 0;        // calls under way (more than 1 with nested pollEvent)
    bool dropped = false;   // no longer its Chann's: freed when the last call returns
};

void Chann::dropHandler(Handler *h) {
    if (h == nullptr) return;
    if (h->running > 0) {
        h->dropped = true;
    } else {
        delete h;
    }
}

void Chann::setEventHandler(channEventHandler handler) {
    if (m_handler != nullptr && m_handler->running == 0 && handler) {
        m_handler->fn = std::move(handler);
        return;
    }
    dropHandler(m_handler);
    m_handler = handler ? new Handler(std::move(handler)) : nullptr;
}

void Chann::defaultEventHandler(Chann *accept, chann_event_t, int) { delete accept; }

ChannAddr Chann::myAddr() {
    ChannAddr mine;
    ffi::Addr raw{};
    if (m_handle != 0 && ffi::chann_local_addr(m_owner, m_handle, raw) == 0) {
        AddrAccess::fromFfi(mine, raw);
    } else {
        AddrAccess::clear(mine, m_handle ? bridgeError() : std::string("no channel"));
    }
    return mine;
}

ChannAddr Chann::peerAddr() {
    ffi::Addr raw{};
    if (m_handle != 0 && ffi::chann_state(m_owner, m_handle) == CHANN_STATE_CONNECTED &&
        ffi::chann_peer_addr(m_owner, m_handle, raw) == 0) {
        AddrAccess::fromFfi(lastPeer(), raw);
    }
    return m_peer ? *m_peer : ChannAddr();
}

int Chann::dataCached() {
    if (!usable()) return -1;
    int64_t n = ffi::chann_cached(m_owner, m_handle);
    if (n < 0) fail();
    return clampInt(n);
}

bool Chann::isConnected() { return state() == CHANN_STATE_CONNECTED; }

chann_state_t Chann::state() {
    return m_handle ? static_cast<chann_state_t>(ffi::chann_state(m_owner, m_handle)) : CHANN_STATE_CLOSED;
}

int64_t Chann::bytesSent() {
    if (!usable()) return -1;
    int64_t n = ffi::chann_bytes(m_owner, m_handle, true);
    if (n < 0) fail();
    return n;
}

int64_t Chann::bytesReceived() {
    if (!usable()) return -1;
    int64_t n = ffi::chann_bytes(m_owner, m_handle, false);
    if (n < 0) fail();
    return n;
}

bool Chann::setBufSize(int bytes) {
    if (!usable()) return false;
    return ffi::chann_set_bufsize(m_owner, m_handle, bytes) == 0 || fail();
}

bool Chann::setSendLimit(int64_t bytes) {
    if (!usable()) return false;
    return ffi::chann_set_send_limit(m_owner, m_handle, bytes) == 0 || fail();
}

bool Chann::setHalfClose(bool on) {
    if (!usable()) return false;
    return ffi::chann_set_half_close(m_owner, m_handle, on) == 0 || fail();
}

bool Chann::channShutdownWrite() {
    if (!usable()) return false;
    return ffi::chann_shutdown_write(m_owner, m_handle) == 0 || fail();
}

bool Chann::setIdleTimeout(int64_t ms) {
    if (!usable()) return false;
    return ffi::chann_set_idle_timeout(m_owner, m_handle, ms) == 0 || fail();
}

// ---- TLS ----

// The Rust-side settings this object (and its copies) refers to.
struct TlsConfig::Impl {
    uint64_t id = ffi::tls_config_new();
    ~Impl() { ffi::tls_config_free(id); }
};

TlsConfig::TlsConfig() : m_impl(std::make_shared<Impl>()) {}

uint64_t TlsAccess::id(const TlsConfig &config) { return config.m_impl->id; }

bool TlsConfig::set(int what, const std::string &value) {
    if (ffi::tls_config_set(m_impl->id, what, bytes(value)) == 0) return true;
    m_lastError = bridgeError();
    return false;
}

bool TlsConfig::setCertificate(const std::string &certFile, const std::string &keyFile) {
    return set(1, certFile) && set(3, keyFile);
}

bool TlsConfig::setCertificatePem(const std::string &certPem, const std::string &keyPem) {
    return set(2, certPem) && set(4, keyPem);
}

bool TlsConfig::setCaFile(const std::string &caFile) { return set(5, caFile); }

bool TlsConfig::setCaPem(const std::string &caPem) { return set(6, caPem); }

bool TlsConfig::setAlpn(const std::vector<std::string> &protocols) {
    if (!set(8, std::string())) return false;
    for (const std::string &p : protocols) {
        if (!set(7, p)) return false;
    }
    return true;
}

void TlsConfig::dangerousSkipVerify() { set(9, std::string()); }

bool Chann::setTlsConfig(const TlsConfig &config) {
    if (!usable()) return false;
    return ffi::chann_set_tls_config(m_owner, m_handle, config.m_impl->id) == 0 || fail();
}

bool Chann::setServerName(const std::string &name) {
    if (!usable()) return false;
    return ffi::chann_set_server_name(m_owner, m_handle, bytes(name)) == 0 || fail();
}

bool Chann::setHandshakeTimeout(int64_t ms) {
    if (!usable()) return false;
    return ffi::chann_set_handshake_timeout(m_owner, m_handle, ms) == 0 || fail();
}

bool Chann::setMaxHandshakes(int n) {
    if (!usable()) return false;
    return ffi::chann_set_max_handshakes(m_owner, m_handle, n) == 0 || fail();
}

void Chann::dispatch(chann_event_t event, Chann *accept, int err) {
    // Nothing here touches `this` after the handler returns: it may have
    // deleted this Chann, or another handler in a nested pollEvent may have.
    Handler *h = m_handler;
    if (h == nullptr) {
        defaultEventHandler(accept, event, err);
        return;
    }
    ++h->running;
    struct Call {  // the decrement runs even if the handler throws
        Handler *h;
        ~Call() {
            if (--h->running == 0 && h->dropped) delete h;
        }
    } call{h};
    h->fn(this, accept, event, err);
}

// ---- ChannDispatcher ----

namespace {
thread_local bool t_loopRunning = false;
thread_local std::string t_dispatcherError;
}  // namespace

int ChannDispatcher::pollEvent(int milliseconds) {
    if (ffi::poll(milliseconds) < 0) {
        t_dispatcherError = bridgeError();
        return -1;
    }
    ffi::Message m{};
    while (ffi::next(m)) {
        if (ws::WsAccess::isWs(m.event)) {
            ws::WsAccess::deliver(m.event, m.chann, m.accepted, m.opaque);
            continue;
        }
        if (http::HttpAccess::isHttp(m.event)) {
            http::HttpAccess::deliver(m.event, m.chann, m.accepted, m.opaque);
            continue;
        }
        Chann *c = reinterpret_cast<Chann *>(static_cast<uintptr_t>(m.opaque));
        if (c != nullptr) Chann::deliver(c, static_cast<chann_event_t>(m.event), m.accepted, m.err);
    }
    drainLog();
    return ffi::chann_count();
}

void Chann::deliver(Chann *c, chann_event_t event, uint64_t accepted, int err) {
    if (event == CHANN_EVENT_ACCEPT) {
        // The temporary lives until the handler returns or throws; then,
        // unless the handler deleted it or gave it a handler of its own,
        // nobody would hear its events: it is deleted, closing the
        // connection if it was not adopted (CHANN_EVENT_ACCEPT in mnet.hpp).
        struct Temp : AcceptTemp {
            explicit Temp(Chann *t) : AcceptTemp{t, t_acceptTemps} { t_acceptTemps = this; }
            ~Temp() {
                t_acceptTemps = outer;
                if (temp != nullptr && temp->m_handler == nullptr) delete temp;
            }
        } temp(new Chann(Chann::Adopt{}, c->m_owner, accepted, c->m_type));
        c->dispatch(event, temp.temp, 0);
    } else {
        if (event == CHANN_EVENT_DISCONNECT && err != 0) c->noteLoss(err);
        if (event == CHANN_EVENT_RESOLVED && err != 0) c->noteLookupFailure();
        c->dispatch(event, nullptr, err);
    }
}

void Chann::channDispatchEvent(chann_msg_t *m) {
    if (m == nullptr || m->opaque == nullptr) return;
    deliver(static_cast<Chann *>(m->opaque), m->event, static_cast<uint64_t>(reinterpret_cast<uintptr_t>(m->r)), m->err);
    drainLog();
}

void ChannDispatcher::startEventLoop() {
    t_loopRunning = true;
    while (t_loopRunning && pollEvent(-1) > 0) {
    }
    t_loopRunning = false;
}

void ChannDispatcher::stopEventLoop() { t_loopRunning = false; }

int64_t ChannDispatcher::currentTime() { return ffi::now_micros(); }

int32_t ChannDispatcher::version() { return ffi::version(); }

int ChannDispatcher::channCount() { return ffi::chann_count(); }

const std::string &ChannDispatcher::lastError() { return t_dispatcherError; }

std::string &dispatcherError() { return t_dispatcherError; }

}  // namespace mnet
