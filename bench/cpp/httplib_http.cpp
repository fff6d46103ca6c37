// httplib_http.cpp - the cpp-httplib peer of the TechEmpower-style HTTP loads
// (bench/run.sh --only http), on Debian's libcpp-httplib-dev (0.11).
//
//   GET /plaintext -> "Hello, World!" (text/plain)
//   GET /json      -> {"message":"Hello, World!"} (application/json)
//
// cpp-httplib has no event loop: a thread accepts, and each connection is
// served, blocking, by one thread of a pool for as long as it is kept alive.
// Its default pool (max(8, cores - 1) threads) would leave 92 of wrk's 100
// connections waiting, and its default of 5 requests per connection would
// make wrk reconnect all the time; so this server sizes the pool for the
// load (THREADS, default 128) and lifts the per-connection request count.
// bench/run.sh pins the whole process (every thread) on CPU 0 like every
// other server. cpp-httplib adds neither Date nor Server: the handler sets
// both (Date formatted once a second).
//
// Build: g++ -O2 -std=c++17 -o httplib_http httplib_http.cpp $(pkg-config --cflags --libs cpp-httplib) -pthread
// Usage: httplib_http IP:PORT [THREADS]
#include <httplib.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>

#include "http_peer.hpp"

namespace {

std::string http_date() {  // handlers run on the pool's threads
  static std::mutex mu;
  static http_peer::DateCache date;
  std::lock_guard<std::mutex> lock(mu);
  return date.now();
}

}  // namespace

int main(int argc, char** argv) {
  auto [ip, port] = http_peer::address(argc, argv, "IP:PORT [THREADS]");
  size_t threads = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 128;
  httplib::Server svr;
  svr.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  svr.set_keep_alive_max_count(1u << 30);
  svr.set_tcp_nodelay(true);
  svr.Get("/plaintext", [](const httplib::Request&, httplib::Response& res) {
    res.set_header("Server", "httplib");
    res.set_header("Date", http_date());
    res.set_content("Hello, World!", "text/plain");
  });
  svr.Get("/json", [](const httplib::Request&, httplib::Response& res) {
    res.set_header("Server", "httplib");
    res.set_header("Date", http_date());
    res.set_content("{\"message\":\"Hello, World!\"}", "application/json");
  });
  if (!svr.bind_to_port(ip.c_str(), port)) {
    std::fprintf(stderr, "cannot listen on %s\n", argv[1]);
    return 1;
  }
  std::printf("httplib_http listening on %s, %zu threads\n", argv[1], threads);
  std::fflush(stdout);
  svr.listen_after_bind();
}
