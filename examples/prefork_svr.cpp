// prefork_svr: chann_web in N worker processes sharing one port with
// SO_REUSEPORT, under a parent that restarts workers that die.
//
//   ./prefork_svr [ip:port] [body_file] [workers]
//       (defaults: 127.0.0.1:8080 README.md, one worker per core)
//   curl -i http://127.0.0.1:8080/    -> the body file; "X-Worker: N" says
//                                        which worker answered
//
// The rule for fork: fork before the first Chann. mnet makes a thread's
// reactor (an epoll instance) on the first Chann call; a child that
// inherited it would share that epoll instance with its parent, so events
// for one process's sockets could wake the other. Here the parent never
// makes a Chann: it forks the workers first, and each makes its own
// listener with setReusePort(true) and runs its own loop; the kernel then
// spreads connections over the workers (no accept lock, no thundering
// herd, unlike m_net's semaphore balancer). With port 0 the parent reserves
// a free port with a plain socket (bound with SO_REUSEPORT, never listening,
// so it gets no connections) and the workers join it. The line "listening
// on ip:port with N workers" is printed once every worker listens. SIGTERM
// or Ctrl-C stops the parent and its workers.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include <mnet/mnet.hpp>

#include "web_chann.hpp"

using mnet::Chann;
using mnet::ChannAddr;
using mnet::ChannDispatcher;

namespace {

std::string g_response;

// A worker process: its own reactor, its own listener on the shared port.
// Writes one byte to `readyFd` once it listens.
int runWorker(int index, const std::string &ipPort, const std::string &body, int readyFd) {
    g_response = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Worker: " + std::to_string(index) +
                 "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    Chann listener("tcp");
    listener.setEventHandler([](Chann *, Chann *accept, chann_event_t event, int) {
        if (event == CHANN_EVENT_ACCEPT) {
            new WebChann(accept, g_response);
            delete accept;
        }
    });
    if (!listener.setReusePort(true) || !listener.channListen(ipPort, 1024)) {
        std::cerr << "prefork_svr: worker " << index << ": listen on " << ipPort
                  << " failed: " << listener.lastError() << std::endl;
        return 1;
    }
    if (write(readyFd, "r", 1) != 1) return 1;
    close(readyFd);
    while (ChannDispatcher::pollEvent(1000) > 0) {
    }
    return 0;
}

// Binds (without listening) a plain socket with SO_REUSEPORT to `a`, so the
// port stays ours while workers come and go; returns the bound port or -1.
int reservePort(const ChannAddr &a, int &fd) {
    sockaddr_storage ss{};
    socklen_t len;
    if (a.isIPv6()) {
        auto *s6 = reinterpret_cast<sockaddr_in6 *>(&ss);
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(static_cast<uint16_t>(a.addr.port));
        if (inet_pton(AF_INET6, a.addr.ip, &s6->sin6_addr) != 1) return -1;
        len = sizeof *s6;
    } else {
        auto *s4 = reinterpret_cast<sockaddr_in *>(&ss);
        s4->sin_family = AF_INET;
        s4->sin_port = htons(static_cast<uint16_t>(a.addr.port));
        if (inet_pton(AF_INET, a.addr.ip, &s4->sin_addr) != 1) return -1;
        len = sizeof *s4;
    }
    fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0 ||
        bind(fd, reinterpret_cast<sockaddr *>(&ss), len) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr *>(&ss), &len) != 0) {
        return -1;
    }
    return ntohs(a.isIPv6() ? reinterpret_cast<sockaddr_in6 *>(&ss)->sin6_port
                            : reinterpret_cast<sockaddr_in *>(&ss)->sin_port);
}

volatile sig_atomic_t g_stop = 0;

void onStop(int) { g_stop = 1; }

// Forks worker `index`. SIGTERM and SIGINT stay blocked across fork until
// the child has its default handlers back, so a stop that comes at that
// moment still ends the child.
pid_t startWorker(int index, const std::string &ipPort, const std::string &body, int readyFd) {
    sigset_t stops, old;
    sigemptyset(&stops);
    sigaddset(&stops, SIGTERM);
    sigaddset(&stops, SIGINT);
    sigprocmask(SIG_BLOCK, &stops, &old);
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGTERM, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        prctl(PR_SET_PDEATHSIG, SIGTERM);  // never outlive the parent
        sigprocmask(SIG_SETMASK, &old, nullptr);
        std::exit(runWorker(index, ipPort, body, readyFd));
    }
    sigprocmask(SIG_SETMASK, &old, nullptr);
    return pid;
}

// Waits until `workers` workers said they listen; false if one failed.
bool awaitListening(int readyFd, int workers) {
    int ready = 0;
    while (ready < workers && !g_stop) {
        pollfd p{readyFd, POLLIN, 0};
        if (poll(&p, 1, 100) > 0) {
            char b;
            if (read(readyFd, &b, 1) == 1) ++ready;
        }
        int status;
        if (waitpid(-1, &status, WNOHANG) > 0) return false;  // a worker ended before listening
    }
    return ready == workers;
}

}  // namespace

int main(int argc, char *argv[]) {
    std::string ipaddr = argc > 1 ? argv[1] : "127.0.0.1:8080";
    std::string path = argc > 2 ? argv[2] : "README.md";
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int workers = argc > 3 ? std::atoi(argv[3]) : static_cast<int>(cores > 0 ? cores : 2);
    if (workers < 1) {
        std::cerr << "prefork_svr: workers must be at least 1" << std::endl;
        return 1;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        std::cerr << "prefork_svr: cannot read body file '" << path << "'" << std::endl;
        return 1;
    }
    const std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());

    // ChannAddr only parses: it makes no reactor, so forking later is safe.
    ChannAddr where(ipaddr);
    int reserved = -1;
    int port = where.isValid() ? reservePort(where, reserved) : -1;
    if (port < 0) {
        std::cerr << "prefork_svr: cannot use address '" << ipaddr << "': "
                  << (where.isValid() ? std::strerror(errno) : where.error()) << std::endl;
        return 1;
    }
    const std::string shared = (where.isIPv6() ? "[" + std::string(where.addr.ip) + "]" : std::string(where.addr.ip)) +
                               ":" + std::to_string(port);

    struct sigaction sa {};
    sa.sa_handler = onStop;  // no SA_RESTART: waitpid returns EINTR
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);

    int ready[2];
    if (pipe(ready) != 0) {
        std::perror("prefork_svr: pipe");
        return 1;
    }
    std::vector<pid_t> pids;
    for (int i = 0; i < workers; ++i) pids.push_back(startWorker(i, shared, body, ready[1]));
    if (!awaitListening(ready[0], workers)) {
        std::cerr << "prefork_svr: a worker could not start" << std::endl;
        for (pid_t p : pids) kill(p, SIGTERM);
        for (pid_t p : pids) waitpid(p, nullptr, 0);
        return 1;
    }
    std::cout << "prefork_svr " << ChannDispatcher::version() << " listening on " << shared << " with " << workers
              << " workers, body " << path << " (" << body.size() << " bytes)" << std::endl;

    int exitCode = 0;
    while (!g_stop) {
        int status;
        pid_t gone = waitpid(-1, &status, 0);
        if (gone < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (WIFEXITED(status) && WEXITSTATUS(status) == 1) {
            exitCode = 1;  // could not listen: restarting would not help
            break;
        }
        for (int i = 0; i < workers; ++i) {
            if (pids[i] == gone && !g_stop) {
                std::cerr << "prefork_svr: worker " << i << " (pid " << gone << ") ended; restarting it"
                          << std::endl;
                pids[i] = startWorker(i, shared, body, ready[1]);
            }
        }
    }
    for (pid_t p : pids) kill(p, SIGTERM);
    for (pid_t p : pids) waitpid(p, nullptr, 0);
    close(reserved);
    return exitCode;
}
