// The services beyond channels: asynchronous DNS, multicast and
// SO_REUSEPORT, logging, and the stats report. Thin, like chann.cc: the work
// is in the Rust core (src/dns.rs, src/sockopt.rs, src/logging.rs,
// src/stats.rs).
#include <cstdio>
#include <mutex>
#include <sstream>

#include "bridge.hpp"

namespace mnet {

// ---- DNS ----

bool Chann::channResolve(std::string host) {
    if (!usable()) return false;
    return ffi::chann_lookup(m_owner, m_handle, bytes(host)) == 0 || fail();
}

std::vector<ChannAddr> Chann::resolvedAddrs() {
    std::vector<ChannAddr> out;
    if (!usable()) return out;
    rust::Vec<ffi::Addr> raw;
    if (ffi::chann_lookup_result(m_owner, m_handle, raw) < 0) return out;
    for (const ffi::Addr &a : raw) {
        out.emplace_back();
        AddrAccess::fromFfi(out.back(), a);
    }
    return out;
}

void Chann::noteLookupFailure() {
    rust::Vec<ffi::Addr> raw;
    if (ffi::chann_lookup_result(m_owner, m_handle, raw) < 0) m_lastError = bridgeError();
}

bool ChannDispatcher::setNameServers(const std::vector<std::string> &servers, int timeoutMs, int attempts) {
    std::string list;
    for (const std::string &s : servers) {
        if (!list.empty()) list += ',';
        list += s;
    }
    if (ffi::set_resolver(bytes(list), timeoutMs, attempts) == 0) return true;
    dispatcherError() = bridgeError();
    return false;
}

// ---- SO_REUSEPORT and multicast ----

bool Chann::setReusePort(bool on) {
    if (!usable()) return false;
    return ffi::chann_set_reuse_port(m_owner, m_handle, on) == 0 || fail();
}

bool Chann::joinMulticast(const std::string &group, const std::string &iface) {
    if (!usable()) return false;
    return ffi::chann_multicast_membership(m_owner, m_handle, bytes(group), bytes(iface), true) == 0 || fail();
}

bool Chann::leaveMulticast(const std::string &group, const std::string &iface) {
    if (!usable()) return false;
    return ffi::chann_multicast_membership(m_owner, m_handle, bytes(group), bytes(iface), false) == 0 || fail();
}

bool Chann::setMulticastInterface(const std::string &iface) {
    if (!usable()) return false;
    return ffi::chann_set_multicast_if(m_owner, m_handle, bytes(iface)) == 0 || fail();
}

bool Chann::setMulticastLoop(bool on) {
    if (!usable()) return false;
    return ffi::chann_set_multicast_loop(m_owner, m_handle, on) == 0 || fail();
}

bool Chann::setMulticastTtl(int ttl) {
    if (!usable()) return false;
    return ffi::chann_set_multicast_ttl(m_owner, m_handle, ttl) == 0 || fail();
}

// ---- logging ----

namespace {

// Process-wide, like the level; each thread drains its own records.
std::mutex g_logMutex;
LogCallback g_logCallback;

void toStderr(LogLevel level, const std::string &message) {
    static const char tags[] = "-EIV";
    std::fprintf(stderr, "mnet: [%c] %s\n", tags[level & 3], message.c_str());
}

}  // namespace

void drainLog() {
    int32_t level = 0;
    rust::String text;
    LogCallback callback;
    bool fetched = false;
    while (ffi::log_next(level, text)) {
        if (!fetched) {
            std::lock_guard<std::mutex> lock(g_logMutex);
            callback = g_logCallback;
            fetched = true;
        }
        LogLevel l = static_cast<LogLevel>(level);
        std::string message(text.data(), text.size());
        if (callback) {
            callback(l, message);
        } else {
            toStderr(l, message);
        }
    }
}

bool setLog(LogLevel level, LogCallback callback) {
    {
        std::lock_guard<std::mutex> lock(g_logMutex);
        g_logCallback = std::move(callback);
    }
    bool ok = ffi::log_set_level(static_cast<int32_t>(level)) == 0;
    drainLog();
    return ok;
}

// ---- stats ----

std::vector<ChannInfo> ChannDispatcher::stats() {
    std::vector<ChannInfo> out;
    rust::Vec<ffi::ChannStat> raw = ffi::reactor_stats();
    out.reserve(raw.size());
    for (const ffi::ChannStat &s : raw) {
        ChannInfo info;
        info.chann = reinterpret_cast<Chann *>(static_cast<uintptr_t>(s.opaque));
        info.type = static_cast<chann_type_t>(s.kind);
        info.state = static_cast<chann_state_t>(s.state);
        if (s.has_local) AddrAccess::fromFfi(info.local, s.local);
        if (s.has_peer) AddrAccess::fromFfi(info.peer, s.peer);
        info.bytesSent = static_cast<int64_t>(s.sent);
        info.bytesReceived = static_cast<int64_t>(s.received);
        info.dataCached = static_cast<int64_t>(s.queued);
        out.push_back(info);
    }
    return out;
}

std::string ChannDispatcher::report() {
    static const char *const types[] = {"?", "tcp", "udp", "broadcast", "tls"};
    static const char *const states[] = {"closed", "disconnected", "connecting", "connected", "listening"};
    std::vector<ChannInfo> all = stats();
    int connected = 0, listening = 0;
    int64_t queued = 0;
    for (const ChannInfo &c : all) {
        connected += c.state == CHANN_STATE_CONNECTED;
        listening += c.state == CHANN_STATE_LISTENING;
        queued += c.dataCached;
    }
    std::ostringstream o;
    o << all.size() << " channels (" << connected << " connected, " << listening << " listening), " << queued
      << " bytes queued\n";
    for (const ChannInfo &c : all) {
        o << "  " << static_cast<const void *>(c.chann) << " " << types[c.type >= 1 && c.type <= 4 ? c.type : 0]
          << " " << states[c.state >= 0 && c.state <= 4 ? c.state : 0] << " local "
          << (c.local.isValid() ? c.local.addrString : "-") << " peer "
          << (c.peer.isValid() ? c.peer.addrString : "-") << " sent " << c.bytesSent << " received "
          << c.bytesReceived << " queued " << c.dataCached << "\n";
    }
    return o.str();
}

// ---- testing ----

int testing::panicInEventLoop() { return ffi::test_only_panic_in_event_loop(); }

}  // namespace mnet
