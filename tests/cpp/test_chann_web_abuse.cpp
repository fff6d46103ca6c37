// chann_web under abuse (what m_net's chann_web fails): after each of
//   (1) 16 KiB of garbage,
//   (2) a 1 MiB request line,
//   (3) a request trickled one byte at a time,
//   (4) 5,000 connections opened and closed at once,
//   (5) a client that pipelines requests for 2 s and never reads,
// the server answers a normal request, goes idle (a window without a CPU
// tick comes, within a hang limit), and its memory stays bounded. Case (4)
// needs 5,000 descriptors in this process and in the server: the soft limit
// is raised before the server starts, or the case is skipped with a line
// saying so. The server is stopped by its PID at the end.
#include <string>

#include "chann_web_proc.hpp"
#include "fd_limit.hpp"

using mnet::ChannDispatcher;
using namespace webproc;

namespace {

const std::string kGet = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
std::string g_response;

long statusKb(const char *key) {
    std::ifstream f("/proc/" + std::to_string(g_server) + "/status");
    std::string line;
    while (std::getline(f, line)) {
        if (line.rfind(key, 0) == 0) return std::atol(line.c_str() + std::string(key).size() + 1);
    }
    return -1;
}

// utime + stime of the server, in clock ticks.
long cpuTicks() {
    std::ifstream f("/proc/" + std::to_string(g_server) + "/stat");
    std::string all((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    std::istringstream rest(all.substr(all.rfind(')') + 2));
    std::string field;
    long utime = 0, stime = 0;
    for (int i = 3; rest >> field; i++) {
        if (i == 14) utime = std::atol(field.c_str());
        if (i == 15) {
            stime = std::atol(field.c_str());
            break;
        }
    }
    return utime + stime;
}

// Waits (bounded by a hang limit) until the server spends a whole window of
// 300 ms without a single clock tick of CPU: an idle server gets there as
// soon as it has finished what the last case left it, a spinning loop never
// does. Returns how long that took, in milliseconds.
long waitsUntilIdle() {
    const int64_t start = ChannDispatcher::currentTime();
    const int64_t end = check::deadlineIn(60);
    for (;;) {
        const long t0 = cpuTicks();
        pollfd none{-1, 0, 0};
        poll(&none, 0, 300);
        if (cpuTicks() == t0) return static_cast<long>((ChannDispatcher::currentTime() - start) / 1000);
        if (!check::before(end)) check::fail(__FILE__, __LINE__, "the server never went idle: it spins");
    }
}

// A normal request on a fresh connection is answered, byte-exact, and the
// server then goes idle.
void answersNormally(int port, const std::string &after) {
    int fd = raw::connectTo(port);
    raw::sendAll(fd, kGet);
    CHECK(readExactly(fd, g_response.size()) == g_response);
    close(fd);
    const long settled = waitsUntilIdle();
    PASS("after " + after + ": a normal request is answered, then 300 ms without a CPU tick (reached after " +
         std::to_string(settled) + " ms), RSS " + std::to_string(statusKb("VmRSS")) + " KB");
}

}  // namespace

int main(int argc, char *argv[]) {
    if (argc < 2) check::fail(__FILE__, __LINE__, "usage: test_chann_web_abuse <path to chann_web>");
    char tmpl[] = "/tmp/mnet_chann_web_abuse_XXXXXX";
    int bodyFd = mkstemp(tmpl);
    CHECK_GE(bodyFd, 0);
    close(bodyFd);
    g_bodyPath = tmpl;
    std::atexit(stopServer);
    // Before the server starts: it inherits the limit.
    const bool storm = fdlimit::raise(static_cast<rlim_t>(fdlimit::openFds() + 5000 + 128), "case (4), 5,000 connections");
    const std::string body = "hello\n";
    std::ofstream(g_bodyPath, std::ios::binary) << body;
    g_response = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) +
                 "\r\n\r\n" + body;
    const int port = startServer(argv[1]);
    answersNormally(port, "start");
    const long rssStart = statusKb("VmRSS");

    {  // (1) garbage: no request end in it, so no answer; the connection stays usable.
        std::string garbage;
        uint32_t x = 12345;
        while (garbage.size() < 16 * 1024) {
            x = x * 1103515245u + 12345u;
            char c = static_cast<char>(x >> 24);
            if (c == '\n') c = 'n';  // never "\r\n\r\n"
            garbage += c;
        }
        int fd = raw::connectTo(port);
        raw::sendAll(fd, garbage);
        raw::waitAcked(fd);
        answersNormally(port, "16 KiB of garbage");
        close(fd);
    }
    {  // (2) a 1 MiB request line is one request.
        int fd = raw::connectTo(port);
        raw::sendAll(fd, "GET /" + std::string(1 << 20, 'a') + " HTTP/1.1\r\n\r\n");
        CHECK(readExactly(fd, g_response.size()) == g_response);
        expectNothingMore(fd);
        answersNormally(port, "a 1 MiB request line (answered once)");
    }
    {  // (3) one byte at a time, each acknowledged before the next.
        int fd = raw::connectTo(port);
        for (char c : kGet) {
            raw::sendAll(fd, std::string(1, c));
            raw::waitAcked(fd);
        }
        CHECK(readExactly(fd, g_response.size()) == g_response);
        expectNothingMore(fd);
        answersNormally(port, "a request trickled one byte at a time (answered)");
    }
    if (storm) {  // (4) 5,000 connections at once, then all closed.
        std::vector<int> fds;
        for (int i = 0; i < 5000; i++) fds.push_back(raw::connectTo(port));
        for (int fd : fds) close(fd);
        answersNormally(port, "5,000 connections opened and closed at once");
    }
    {  // (5) pipelining for 2 s without ever reading.
        int fd = raw::connectTo(port);
        int flags = fcntl(fd, F_GETFL);
        CHECK_EQ(fcntl(fd, F_SETFL, flags | O_NONBLOCK), 0);
        std::string burst;
        for (int i = 0; i < 256; i++) burst += kGet;
        size_t sent = 0;
        const int64_t end = check::deadlineIn(2);
        while (check::before(end)) {
            ssize_t n = send(fd, burst.data(), burst.size(), MSG_NOSIGNAL);
            if (n > 0) {
                sent += static_cast<size_t>(n);
            } else {
                pollfd p{fd, POLLOUT, 0};
                poll(&p, 1, 10);
            }
        }
        long rss = statusKb("VmRSS");
        std::cout << "non-reader pushed " << sent / 1024 << " KiB of requests; server RSS " << rss << " KB" << std::endl;
        CHECK_LT(rss - rssStart, 32 * 1024L);
        answersNormally(port, "a client pipelining for 2 s without reading (RSS grew " +
                                  std::to_string(rss - rssStart) + " KB)");
        close(fd);
    }
    CHECK_LT(statusKb("VmHWM") - rssStart, 64 * 1024L);
    PASS("peak RSS stayed within 64 MiB of the start through every case");
    return 0;
}
