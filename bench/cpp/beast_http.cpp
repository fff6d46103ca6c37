// beast_http.cpp - the Boost.Beast peer of the TechEmpower-style HTTP loads
// (bench/run.sh --only http): what a C++ programmer writes with Beast on one
// thread. One io_context run by the main thread; per connection an
// async_read of a request (a flat_buffer keeps what a pipelined read brought
// beyond it), then an async_write of the response, then the next read.
//
//   GET /plaintext -> "Hello, World!" (text/plain)
//   GET /json      -> {"message":"Hello, World!"} (application/json)
//   else           -> 404
//
// with Server, Date (formatted once a second) and Content-Length; keep-alive
// as the request asks. Boost from Debian (libboost-dev, header-only Beast).
//
// Build: g++ -O2 -std=c++17 -o beast_http beast_http.cpp -pthread
// Usage: beast_http IP:PORT
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <memory>
#include <string>

#include "asio_peer.hpp"
#include "http_peer.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

http_peer::DateCache date;  // one thread: no lock

class Session : public std::enable_shared_from_this<Session> {
 public:
  explicit Session(tcp::socket s) : sock_(std::move(s)) {}
  void start() { read(); }

 private:
  void read() {
    req_ = {};
    http::async_read(sock_, buf_, req_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->close();
      self->answer();
    });
  }

  void answer() {
    res_ = {};
    res_.version(req_.version());
    res_.keep_alive(req_.keep_alive());
    res_.set(http::field::server, "beast");
    res_.set(http::field::date, date.now());
    if (req_.method() == http::verb::get && req_.target() == "/plaintext") {
      res_.result(http::status::ok);
      res_.set(http::field::content_type, "text/plain");
      res_.body() = "Hello, World!";
    } else if (req_.method() == http::verb::get && req_.target() == "/json") {
      res_.result(http::status::ok);
      res_.set(http::field::content_type, "application/json");
      res_.body() = "{\"message\":\"Hello, World!\"}";
    } else {
      res_.result(http::status::not_found);
      res_.set(http::field::content_type, "text/plain");
      res_.body() = "not found\n";
    }
    res_.prepare_payload();
    http::async_write(sock_, res_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec || !self->res_.keep_alive()) return self->close();
      self->read();
    });
  }

  void close() {
    beast::error_code ec;
    sock_.shutdown(tcp::socket::shutdown_send, ec);
  }

  tcp::socket sock_;
  beast::flat_buffer buf_;
  http::request<http::empty_body> req_;
  http::response<http::string_body> res_;
};

}  // namespace

int main(int argc, char** argv) {
  auto [ip, port] = http_peer::address(argc, argv, "IP:PORT");
  asio_peer::serve<Session>(ip, port, std::string("beast_http listening on ") + argv[1]);
}
