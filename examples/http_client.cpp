// http_client: fetches URLs with mnet's C++ HTTP client (mnet/http.hpp)
// and prints each response: status line, headers, a blank line, the body.
//
//   build/http_client http://127.0.0.1:8080/json [URL...]
//   build/http_client --ca ca.crt https://localhost:8443/
//
// The URLs are fetched at once (a connection per origin, reused when they
// share one). https:// is verified against the system's roots, or the CA
// file given with --ca. Exits 1 if any request failed, 2 on bad usage.
#include <cstdio>
#include <string>
#include <vector>

#include <mnet/http.hpp>

int main(int argc, char *argv[]) {
    std::vector<std::string> urls(argv + 1, argv + argc);
    mnet::http::Client client;
    if (urls.size() >= 2 && urls[0] == "--ca") {
        mnet::TlsConfig tls;
        if (!tls.setCaFile(urls[1]) || !client.setTlsConfig(tls)) {
            std::fprintf(stderr, "http_client: %s%s\n", tls.lastError().c_str(), client.lastError().c_str());
            return 2;
        }
        urls.erase(urls.begin(), urls.begin() + 2);
    }
    if (urls.empty()) {
        std::fprintf(stderr, "usage: http_client [--ca ca.crt] URL...\n");
        return 2;
    }
    int failed = 0;
    for (const std::string &url : urls) {
        uint64_t id = client.get(url, [url, &failed](mnet::http::Client &, const mnet::http::ClientResponse &r) {
            if (!r.ok()) {
                std::fprintf(stderr, "%s: %s\n", url.c_str(), r.error.c_str());
                failed = 1;
                return;
            }
            std::printf("== %s\nHTTP/1.%d %d %s\n", url.c_str(), r.minorVersion, r.status, r.reason.c_str());
            for (const auto &h : r.headers) std::printf("%s: %s\n", h.first.c_str(), h.second.c_str());
            std::printf("\n");
            std::fwrite(r.body.data(), 1, r.body.size(), stdout);
            std::printf("\n");
        });
        if (id == 0) {
            std::fprintf(stderr, "%s: %s\n", url.c_str(), client.lastError().c_str());
            failed = 1;
        }
    }
    while (client.pending() > 0) {
        if (mnet::ChannDispatcher::pollEvent(1000) < 0) {
            std::fprintf(stderr, "http_client: %s\n", mnet::ChannDispatcher::lastError().c_str());
            return 1;
        }
    }
    return failed;
}
