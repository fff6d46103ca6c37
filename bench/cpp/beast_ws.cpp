// beast_ws.cpp - the Boost.Beast peer of the WebSocket benchmark
// (bench/run.sh --only ws): an echo server the way Beast's own examples
// write one, on one thread. One io_context run by the main thread; per
// connection an async_accept of the upgrade, then async_read of a whole
// message into a flat_buffer and async_write of it back (text stays text;
// Beast checks text as UTF-8 when it reads it), then the next read.
//
// With --deflate the server accepts permessage-deflate: compLevel 1 (like
// mnet's default), memLevel 8 (zlib's default, as mnet and libwebsockets
// use), 15-bit windows, context takeover both ways. Beast 1.74 compresses
// every message once the extension is agreed.
//
// Two settings keep Beast from splitting messages into frames, so every
// server sends an echo as one frame: auto_fragment off (by default Beast
// splits an uncompressed message into frames of its write buffer, 4 KiB)
// and a 64 KiB write buffer (a compressed message is always sent in frames
// of at most the write buffer).
//
// Build: g++ -O2 -std=c++17 -o beast_ws beast_ws.cpp -pthread
// Usage: beast_ws IP:PORT [--deflate]
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <cstring>
#include <memory>
#include <string>

#include "asio_peer.hpp"
#include "http_peer.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace {

bool deflate = false;

class Session : public std::enable_shared_from_this<Session> {
 public:
  explicit Session(tcp::socket s) : ws_(std::move(s)) {}

  void start() {
    if (deflate) {
      websocket::permessage_deflate pmd;
      pmd.server_enable = true;
      pmd.server_max_window_bits = 15;
      pmd.client_max_window_bits = 15;
      pmd.server_no_context_takeover = false;
      pmd.client_no_context_takeover = false;
      pmd.compLevel = 1;
      pmd.memLevel = 8;
      ws_.set_option(pmd);
    }
    ws_.auto_fragment(false);
    ws_.write_buffer_bytes(64 * 1024);
    ws_.async_accept([self = shared_from_this()](beast::error_code ec) {
      if (!ec) self->read();
    });
  }

 private:
  void read() {
    ws_.async_read(buf_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (!ec) self->echo();
    });
  }

  void echo() {
    ws_.text(ws_.got_text());
    ws_.async_write(buf_.data(), [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return;
      self->buf_.consume(self->buf_.size());
      self->read();
    });
  }

  websocket::stream<tcp::socket> ws_;
  beast::flat_buffer buf_;
};

}  // namespace

int main(int argc, char** argv) {
  auto [ip, port] = http_peer::address(argc, argv, "IP:PORT [--deflate]");
  deflate = argc > 2 && std::strcmp(argv[2], "--deflate") == 0;
  asio_peer::serve<Session>(ip, port, std::string("beast_ws listening on ") + argv[1] + (deflate ? " (permessage-deflate)" : ""));
}
