// The prefork_svr example as a black box: 3 worker processes forked before
// any Chann, each with its own reactor and SO_REUSEPORT listener on the
// port the parent reserved; 300 connections must be answered, and by every
// worker. Stopping the parent (SIGTERM) stops the workers too.
#include <unistd.h>

#include <fstream>

#include "example_process.hpp"
#include "spread_check.hpp"

int main(int argc, char *argv[]) {
    if (argc < 2) check::fail(__FILE__, __LINE__, "usage: test_prefork_svr <path to prefork_svr>");
    char body[] = "/tmp/mnet_pf_body_XXXXXX";
    int fd = mkstemp(body);
    CHECK_GE(fd, 0);
    close(fd);
    std::ofstream(body) << "hello from a process\n";
    const std::string line = example::start({argv[1], "127.0.0.1:0", body, "3"}, "listening on");
    CHECK_CONTAINS(line, "with 3 workers");
    const int port = example::portIn(line);
    spread::expectSpread(port, 3, 300, "prefork_svr");
    example::stop();
    // The parent waited for its workers: nobody listens on the port now.
    int probe = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a = raw::loopback(port);
    CHECK_EQ(connect(probe, reinterpret_cast<sockaddr *>(&a), sizeof a), -1);
    CHECK_EQ(errno, ECONNREFUSED);
    close(probe);
    PASS("after SIGTERM to the parent no worker is left listening");
    unlink(body);
    return 0;
}
