// The multi_thread_svr example as a black box: 4 threads, each with its own
// event loop and its own SO_REUSEPORT listener on one port; 400 connections
// must be answered, and by every thread (the kernel spreads them).
#include <unistd.h>

#include <fstream>

#include "example_process.hpp"
#include "spread_check.hpp"

int main(int argc, char *argv[]) {
    if (argc < 2) check::fail(__FILE__, __LINE__, "usage: test_multi_thread_svr <path to multi_thread_svr>");
    char body[] = "/tmp/mnet_mt_body_XXXXXX";
    int fd = mkstemp(body);
    CHECK_GE(fd, 0);
    close(fd);
    std::ofstream(body) << "hello from a thread\n";
    const std::string line = example::start({argv[1], "127.0.0.1:0", body, "4"}, "listening on");
    CHECK_CONTAINS(line, "with 4 threads");
    spread::expectSpread(example::portIn(line), 4, 400, "multi_thread_svr");
    example::stop();
    unlink(body);
    return 0;
}
