// Private to the C++ face: the cxx-generated declarations of src/ffi/mod.rs and
// the helpers shared by the .cc files. Never installed.
#pragma once

#include <cstdint>
#include <string>

#include "mnet/mnet.hpp"
#include "mnet/src/ffi/mod.rs.h"

namespace mnet {

// Reads and writes the binary part of a ChannAddr.
struct AddrAccess {
    static ffi::Addr toFfi(const ChannAddr &a);
    static void fromFfi(ChannAddr &a, const ffi::Addr &raw);
    static void clear(ChannAddr &a, std::string error);
};

// The bridge's number of a TlsConfig's settings.
struct TlsAccess {
    static uint64_t id(const TlsConfig &config);
};

namespace http {
class Server;
// Hands pollEvent's HTTP messages (src/ffi/http.rs) to mnet/http.hpp's
// objects; event numbers as there.
struct HttpAccess {
    static const int32_t kRequest = 101, kDrain = 102, kAborted = 103, kBody = 104, kBodyEnd = 105, kResponse = 111,
                         kFailed = 112;
    static bool isHttp(int32_t event) { return event > 100 && event < 120; }
    static void deliver(int32_t event, uint64_t id, uint64_t object, uint64_t opaque);
    // The bridge's number of a server (for a WebSocket upgrade).
    static uint64_t id(const Server &server);
};
}  // namespace http

namespace ws {
// Hands pollEvent's WebSocket messages (src/ffi/ws.rs) to mnet/ws.hpp's
// endpoints; event numbers as there.
struct WsAccess {
    static const int32_t kOpen = 121, kMessage = 122, kPing = 123, kPong = 124, kDrain = 125, kClose = 126;
    static bool isWs(int32_t event) { return event >= kOpen && event <= kClose; }
    static void deliver(int32_t event, uint64_t conn, uint64_t object, uint64_t opaque);
};
}  // namespace ws

// The bridge's last error as a std::string.
std::string bridgeError();

// The text ChannDispatcher::lastError() returns (this thread's).
std::string &dispatcherError();

// Hands this thread's queued log records to the setLog callback (or stderr).
void drainLog();

// A std::string as the byte slice the bridge takes.
inline rust::Slice<const uint8_t> bytes(const std::string &s) {
    return rust::Slice<const uint8_t>(reinterpret_cast<const uint8_t *>(s.data()), s.size());
}

}  // namespace mnet
