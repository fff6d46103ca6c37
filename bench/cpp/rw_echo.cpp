// rw_echo: the mnet echo server of the rwdata and TLS benchmarks (bench/run.sh).
//
//   rw_echo IP:PORT [--once] [--limit BYTES] [--chunk BYTES] [--tls CERT KEY]
//
// Echoes every connection back to itself, the way a user of the C++ face
// writes it: on RECV read --chunk bytes (default 256 KiB, as the blocking pair) at a time and channSend() what was read.
// The echo queue is kept bounded: once dataCached() reaches --limit (default
// 4 MiB) the handler pauses RECV (channActiveEvent(CHANN_EVENT_RECV, 0)) and
// asks for SEND, which comes when the queue is written out and resumes
// reading; meanwhile the kernel's flow control slows the client down. With --once the server stops after the first
// connection ends and prints its peak RSS (VmHWM) and CPU time, so the
// benchmark needs no signal to collect them.
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>

#include <mnet/mnet.hpp>

using mnet::Chann;
using mnet::ChannDispatcher;

namespace {

int g_chunk = 256 * 1024;
int g_limit = 4 << 20;
bool g_once = false;
bool g_stop = false;
std::string g_buf;  // one buffer for every connection: a handler reads and echoes at once
long long g_pauses = 0;  // times reading was paused because the queue was full

long statusKb(const char *key) {
    std::ifstream in("/proc/self/status");
    std::string line;
    size_t n = std::strlen(key);
    while (std::getline(in, line)) {
        if (line.compare(0, n, key) == 0 && line.size() > n && line[n] == ':') return std::atol(line.c_str() + n + 1);
    }
    return -1;
}

class EchoChann : public Chann {
public:
    EchoChann(Chann *c) : Chann(c) {}

    void defaultEventHandler(Chann *, chann_event_t event, int err) override {
        if (event == CHANN_EVENT_RECV) {
            for (;;) {
                if (dataCached() >= g_limit) {
                    // Backpressure: stop reading until the queue is written out.
                    channActiveEvent(CHANN_EVENT_RECV, 0);
                    channActiveEvent(CHANN_EVENT_SEND, 1);
                    ++g_pauses;
                    break;
                }
                int n = channRecv(&g_buf[0], g_chunk);
                if (n <= 0) break;
                channSend(g_buf.data(), n);
            }
        } else if (event == CHANN_EVENT_SEND) {
            // The queue is empty and the socket writable: read again.
            channActiveEvent(CHANN_EVENT_SEND, 0);
            channActiveEvent(CHANN_EVENT_RECV, 1);
        } else if (event == CHANN_EVENT_DISCONNECT) {
            if (g_once) {
                struct rusage ru;
                getrusage(RUSAGE_SELF, &ru);
                double cpu = ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
                std::printf("server peak_rss_kb %ld cpu_s %.3f bytes_in %lld bytes_out %lld err %d recv_pauses %lld\n",
                            statusKb("VmHWM"), cpu, static_cast<long long>(bytesReceived()),
                            static_cast<long long>(bytesSent()), err, g_pauses);
                std::fflush(stdout);
                g_stop = true;
            }
            delete this;
        }
    }
};

}  // namespace

int main(int argc, char *argv[]) {
    if (argc < 2) {
        std::cerr << "usage: rw_echo IP:PORT [--once] [--limit BYTES] [--chunk BYTES] [--tls CERT KEY]" << std::endl;
        return 2;
    }
    std::string addr = argv[1];
    std::string cert, key;
    for (int i = 2; i < argc; i++) {
        std::string a = argv[i];
        if (a == "--once") {
            g_once = true;
        } else if (a == "--limit" && i + 1 < argc) {
            g_limit = std::atoi(argv[++i]);
        } else if (a == "--chunk" && i + 1 < argc) {
            g_chunk = std::atoi(argv[++i]);
        } else if (a == "--tls" && i + 2 < argc) {
            cert = argv[++i];
            key = argv[++i];
        } else {
            std::cerr << "rw_echo: bad argument " << a << std::endl;
            return 2;
        }
    }
    g_buf.resize(g_chunk > 0 ? g_chunk : 1);
    mnet::TlsConfig tls;
    Chann svr(cert.empty() ? "tcp" : "tls");
    if (!cert.empty() && (!tls.setCertificate(cert, key) || !svr.setTlsConfig(tls))) {
        std::cerr << "rw_echo: " << tls.lastError() << svr.lastError() << std::endl;
        return 1;
    }
    if (!svr.channListen(addr, 1024)) {
        std::cerr << "rw_echo: listen on " << addr << " failed: " << svr.lastError() << std::endl;
        return 1;
    }
    std::cout << "rw_echo listening on " << svr.myAddr().addrString << (cert.empty() ? " (tcp)" : " (tls)")
              << std::endl;
    svr.setEventHandler([](Chann *, Chann *accept, chann_event_t event, int) {
        if (event == CHANN_EVENT_ACCEPT) {
            new EchoChann(accept);
            delete accept;
        }
    });
    while (!g_stop && ChannDispatcher::pollEvent(1000) > 0) {
    }
    return 0;
}
