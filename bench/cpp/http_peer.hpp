// http_peer.hpp - what the C++ peers of the HTTP benchmark (beast_http.cpp,
// httplib_http.cpp) share: the IP:PORT argument and the Date header.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <utility>

namespace http_peer {

// IP and port of argv[1] ("IP:PORT"); exits with `usage` when it is missing
// or has no port.
inline std::pair<std::string, unsigned short> address(int argc, char** argv, const char* usage) {
  std::string a = argc > 1 ? argv[1] : "";
  auto colon = a.rfind(':');
  if (colon == std::string::npos) {
    std::fprintf(stderr, "usage: %s %s\n", argv[0], usage);
    std::exit(2);
  }
  return {a.substr(0, colon), static_cast<unsigned short>(std::atoi(a.c_str() + colon + 1))};
}

// The Date header (IMF-fixdate), formatted again only when the second
// changes. Not thread-safe: a threaded server locks around it.
class DateCache {
 public:
  const char* now() {
    std::time_t t = std::time(nullptr);
    if (t != last_) {
      std::tm tm;
      gmtime_r(&t, &tm);
      std::strftime(text_, sizeof(text_), "%a, %d %b %Y %H:%M:%S GMT", &tm);
      last_ = t;
    }
    return text_;
  }

 private:
  std::time_t last_ = -1;
  char text_[32] = {};
};

}  // namespace http_peer
