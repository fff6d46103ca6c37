// asio_peer.hpp - what the Boost.Asio peers of the benchmarks
// (beast_http.cpp, beast_ws.cpp) share: a listener on IP:PORT served by one
// io_context on the calling thread, starting a session on every accepted
// socket (TCP_NODELAY on).
#pragma once

#include <boost/asio.hpp>

#include <cstdio>
#include <memory>
#include <string>

namespace asio_peer {

using tcp = boost::asio::ip::tcp;

// Accepts for as long as the loop runs: each socket goes to a new
// Session(tcp::socket), then Session::start().
template <class Session>
void accept(tcp::acceptor& acc) {
  acc.async_accept([&acc](boost::system::error_code ec, tcp::socket s) {
    if (!ec) {
      s.set_option(tcp::no_delay(true), ec);
      std::make_shared<Session>(std::move(s))->start();
    }
    accept<Session>(acc);
  });
}

// Listens on ip:port, prints `banner` once listening, and runs the loop on
// this thread (forever).
template <class Session>
void serve(const std::string& ip, unsigned short port, const std::string& banner) {
  boost::asio::io_context io(1);
  tcp::endpoint ep(boost::asio::ip::make_address(ip), port);
  tcp::acceptor acc(io);
  acc.open(ep.protocol());
  acc.set_option(boost::asio::socket_base::reuse_address(true));
  acc.bind(ep);
  acc.listen(1024);
  accept<Session>(acc);
  std::printf("%s\n", banner.c_str());
  std::fflush(stdout);
  io.run();
}

}  // namespace asio_peer
