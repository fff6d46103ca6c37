// The chann_web example as a black box: started (path from argv, given by
// CMake) on 127.0.0.1 port 0 with a generated body file, it must answer
//   (a) a plain GET,
//   (b) a request split across several writes,
//   (c) 8 pipelined requests sent in one write,
//   (d) a request with a 5 KiB header (far past its 400-byte reads),
//   (e) requests whose "\r\n\r\n" straddles a 400-byte read, or follows
//       stray '\r's,
// each with exactly one byte-exact response per request: every connection
// reads exactly the expected bytes, then half-closes and must see end of
// stream with nothing more. The server is stopped by its PID at the end.
#include "chann_web_proc.hpp"

using namespace webproc;

namespace {

// One connection: `writes` are sent one after another (each acknowledged
// before the next, so the server may see them in separate reads), and
// `requests` responses must come back.
void exchange(int port, const std::vector<std::string> &writes, int requests, const std::string &response,
              const std::string &what) {
    int fd = raw::connectTo(port);
    for (const std::string &w : writes) {
        raw::sendAll(fd, w);
        raw::waitAcked(fd);
    }
    std::string all;
    for (int i = 0; i < requests; i++) all += response;
    std::string got = readExactly(fd, all.size());
    if (got != all) check::fail(__FILE__, __LINE__, what + ": responses differ from the expected bytes");
    expectNothingMore(fd);
    PASS(what + ": " + std::to_string(requests) + " byte-exact response(s), nothing more");
}

}  // namespace

int main(int argc, char *argv[]) {
    if (argc < 2) check::fail(__FILE__, __LINE__, "usage: test_chann_web <path to chann_web>");

    char tmpl[] = "/tmp/mnet_chann_web_body_XXXXXX";
    int bodyFd = mkstemp(tmpl);
    CHECK_GE(bodyFd, 0);
    close(bodyFd);
    g_bodyPath = tmpl;
    std::atexit(stopServer);
    std::string body;
    for (int i = 0; body.size() < 3000; i++) body += "line " + std::to_string(i) + " of the body\r\n";
    std::ofstream(g_bodyPath, std::ios::binary) << body;
    const std::string response = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " +
                                 std::to_string(body.size()) + "\r\n\r\n" + body;

    const int port = startServer(argv[1]);
    CHECK_GT(port, 0);
    const std::string get = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

    exchange(port, {get}, 1, response, "(a) GET");
    exchange(port, {"GET / HT", "TP/1.1\r\nHost: 127.0.0.1\r", "\n", "\r", "\n"}, 1, response,
             "(b) one request split over 5 writes");
    std::string eight;
    for (int i = 0; i < 8; i++) eight += get;
    exchange(port, {eight}, 8, response, "(c) 8 pipelined requests in one write");
    const std::string big = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Filler: " + std::string(5 * 1024, 'x') + "\r\n\r\n";
    exchange(port, {big, get}, 2, response, "(d) a request with a 5 KiB header, then a GET");

    // The terminator at bytes 398-401, across the first 400-byte read.
    std::string straddle = "GET / HTTP/1.1\r\nX-Pad: ";
    straddle += std::string(398 - straddle.size(), 'p') + "\r\n\r\n";
    CHECK_EQ(straddle.find("\r\n\r\n"), 398u);
    std::string tricky = "GET / HTTP/1.1\r\nX: a\r\r\n\r\nGET / HTTP/1.1\r\nX: \r\n\r\r\n\r\n";
    exchange(port, {straddle + tricky + get}, 4, response,
             "(e) a terminator across a 400-byte read and after stray '\\r's");

    // Many connections at once, each pipelining requests of varied lengths.
    std::vector<int> fds;
    std::string mixed;
    int mixedCount = 0;
    for (int len = 0; len < 1200; len += 97, mixedCount++) {
        mixed += "GET /" + std::string(static_cast<size_t>(len), 'a') + " HTTP/1.1\r\n\r\n";
    }
    for (int i = 0; i < 20; i++) {
        fds.push_back(raw::connectTo(port));
        raw::sendAll(fds.back(), mixed);
    }
    std::string all;
    for (int i = 0; i < mixedCount; i++) all += response;
    for (int fd : fds) {
        CHECK(readExactly(fd, all.size()) == all);
        expectNothingMore(fd);
    }
    PASS("20 connections at once, each " + std::to_string(mixedCount) +
         " pipelined requests of 16-1.2k bytes: byte-exact responses");

    int status = 0;
    CHECK_EQ(waitpid(g_server, &status, WNOHANG), 0);  // still running
    CHECK_EQ(kill(g_server, SIGTERM), 0);
    CHECK_EQ(waitpid(g_server, &status, 0), g_server);
    g_server = -1;
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
    PASS("chann_web served every case and stopped on SIGTERM to its PID");
    return 0;
}
