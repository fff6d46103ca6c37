// ChannAddr: address text <-> the binary form the bridge speaks.
#include <cstring>

#include "bridge.hpp"

namespace mnet {

std::string bridgeError() {
    rust::String e = ffi::last_error();
    return std::string(e.data(), e.size());
}

ffi::Addr AddrAccess::toFfi(const ChannAddr &a) {
    ffi::Addr raw{};
    raw.v6 = a.m_v6;
    std::memcpy(raw.ip.data(), a.m_ip, sizeof a.m_ip);
    raw.port = static_cast<uint16_t>(a.addr.port);
    raw.scope_id = a.m_scope;
    return raw;
}

void AddrAccess::fromFfi(ChannAddr &a, const ffi::Addr &raw) {
    a.m_valid = true;
    a.m_v6 = raw.v6;
    std::memcpy(a.m_ip, raw.ip.data(), sizeof a.m_ip);
    a.m_scope = raw.scope_id;
    a.m_error.clear();
    rust::String text = ffi::format_address(raw);
    a.addrString.assign(text.data(), text.size());
    // "ip:port" or "[ip]:port" -> the bare IP for chann_addr_t.
    std::string ip = a.addrString.substr(0, a.addrString.rfind(':'));
    if (raw.v6 && ip.size() >= 2) ip = ip.substr(1, ip.size() - 2);
    std::memset(a.addr.ip, 0, sizeof a.addr.ip);
    if (ip.size() < sizeof a.addr.ip) std::memcpy(a.addr.ip, ip.data(), ip.size());  // IPv6 does not fit
    a.addr.port = raw.port;
}

void AddrAccess::clear(ChannAddr &a, std::string error) {
    a.m_valid = false;
    a.m_v6 = false;
    std::memset(a.m_ip, 0, sizeof a.m_ip);
    a.m_scope = 0;
    std::memset(a.addr.ip, 0, sizeof a.addr.ip);
    a.addr.port = 0;
    a.addrString.clear();
    a.m_error = std::move(error);
}

ChannAddr::ChannAddr() { AddrAccess::clear(*this, std::string()); }

ChannAddr::ChannAddr(std::string ipPort) {
    ffi::Addr raw{};
    if (ffi::parse_address(bytes(ipPort), true, raw) == 0) {
        AddrAccess::fromFfi(*this, raw);
    } else {
        AddrAccess::clear(*this, bridgeError());
    }
}

void ChannAddr::copyAddr(chann_addr_t *a) {
    if (a == nullptr) {
        AddrAccess::clear(*this, "copyAddr: null chann_addr_t");
        return;
    }
    std::string ip(a->ip, strnlen(a->ip, sizeof a->ip));
    std::string text = (ip.find(':') != std::string::npos ? "[" + ip + "]" : ip) + ":" + std::to_string(a->port);
    ffi::Addr raw{};
    if (ffi::parse_address(bytes(text), false, raw) == 0) {
        AddrAccess::fromFfi(*this, raw);
    } else {
        AddrAccess::clear(*this, bridgeError());
        addr = *a;  // a host name, as m_net kept it
        addrString = text;
    }
}

ChannAddr ChannAddr::resolveHost(std::string hostPort, std::string) { return ChannAddr(std::move(hostPort)); }

}  // namespace mnet
