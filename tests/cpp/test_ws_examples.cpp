// The C++ WebSocket examples, black-box: examples/ws_echo_server.cpp
// started on a free port, examples/ws_client.cpp fed lines on stdin
// (ASCII, UTF-8, an empty line, a 100 KiB one): it prints each echoed
// line and exits 0 after its closing handshake.
#include <cstdio>
#include <string>

#include "check.hpp"
#include "example_process.hpp"

int main(int argc, char **argv) {
    CHECK_EQ(argc, 3);
    std::string line = example::start({argv[1], "127.0.0.1:0"}, "listening on ws://");
    std::string addr = line.substr(line.find("ws://"));
    std::string big(100 * 1024, 'z');
    std::string input = "hello\nκόσμε\n\n" + big + "\n";
    // The input from a file, the client bounded by timeout(1).
    char path[] = "/tmp/mnet-ws-input-XXXXXX";
    int fd = mkstemp(path);
    CHECK_GE(fd, 0);
    CHECK_EQ(write(fd, input.data(), input.size()), static_cast<ssize_t>(input.size()));
    close(fd);
    std::string cmd = std::string("timeout 20 '") + argv[2] + "' " + addr + " < " + path;
    FILE *p = popen(cmd.c_str(), "r");
    CHECK(p != nullptr);
    std::string out;
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    int status = pclose(p);
    unlink(path);
    CHECK_EQ(status, 0);
    CHECK(out == input);
    PASS("four lines (UTF-8, empty, 100 KiB) echoed in order; the client closed cleanly and exited 0");
    return 0;
}
