// The ntp example against a tiny NTP responder on 127.0.0.1, run on its own
// thread with its own event loop, whose clock is 2.5 s ahead of ours. The
// responder drops the first request (ntp must try again), and answers the
// second with a forged reply first (wrong origin, 100 s off: ntp must
// ignore it), then the real one: ntp prints an offset of about +2.5 s and a
// delay of at least 0. Then a server that never answers: exit status 1
// after the tries, with a message.
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "check.hpp"

using mnet::Chann;
using mnet::ChannAddr;
using mnet::ChannDispatcher;

namespace {

const double AHEAD = 2.5;

uint64_t ntpAt(double unixSeconds) {
    double ntp = unixSeconds + 2208988800.0;
    uint64_t secs = static_cast<uint64_t>(ntp);
    uint64_t frac = static_cast<uint64_t>((ntp - static_cast<double>(secs)) * 4294967296.0);
    return secs << 32 | frac;
}

double unixNow() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void put64(unsigned char *p, uint64_t v) {
    for (int i = 7; i >= 0; i--, v >>= 8) p[i] = static_cast<unsigned char>(v);
}

// Runs the responder until `stop`; `port` is set once it listens.
void responder(std::atomic<int> *port, std::atomic<bool> *stop, std::atomic<int> *requests, bool silent) {
    Chann udp("udp");
    CHECK(udp.channListen("127.0.0.1:0"));
    udp.setEventHandler([&](Chann *self, Chann *, chann_event_t, int) {
        unsigned char q[128];
        ChannAddr from;
        int n;
        while ((n = self->channRecvFrom(q, sizeof q, from)) > 0) {
            int seen = ++*requests;
            if (silent || seen == 1 || n != 48 || (q[0] & 7) != 3) continue;
            unsigned char r[48] = {0};
            r[0] = 0x24;  // version 4, mode 4 (server)
            r[1] = 1;     // stratum 1
            std::memcpy(r + 12, "TEST", 4);
            const double now = unixNow() + AHEAD;
            put64(r + 16, ntpAt(now));  // reference time
            put64(r + 32, ntpAt(now));  // receive time
            put64(r + 40, ntpAt(now));  // transmit time
            unsigned char forged[48];
            std::memcpy(forged, r, sizeof r);
            put64(forged + 32, ntpAt(now + 100));
            put64(forged + 40, ntpAt(now + 100));
            forged[24] ^= 0xff;  // an origin that is not the client's T1
            CHECK_EQ(self->channSendTo(forged, 48, from), 48);
            std::memcpy(r + 24, q + 40, 8);  // origin: the client's transmit time
            CHECK_EQ(self->channSendTo(r, 48, from), 48);
        }
    });
    *port = udp.myAddr().addr.port;
    while (!*stop) ChannDispatcher::pollEvent(10);
}

// Runs `ntp 127.0.0.1:port` and returns its output; `status` its exit status.
std::string runNtp(const std::string &ntp, int port, int &status) {
    std::string cmd = ntp + " 127.0.0.1:" + std::to_string(port) + " 2>&1";
    FILE *out = popen(cmd.c_str(), "r");
    CHECK(out != nullptr);
    std::string text;
    char buf[256];
    while (std::fgets(buf, sizeof buf, out) != nullptr) text += buf;
    status = pclose(out);
    return text;
}

}  // namespace

int main(int argc, char *argv[]) {
    if (argc < 2) check::fail(__FILE__, __LINE__, "usage: test_ntp <path to ntp>");
    {
        std::atomic<int> port{0}, requests{0};
        std::atomic<bool> stop{false};
        std::thread t(responder, &port, &stop, &requests, false);
        while (port == 0) std::this_thread::yield();
        int status = -1;
        std::string said = runNtp(argv[1], port, status);
        stop = true;
        t.join();
        std::cout << said;
        CHECK_EQ(status, 0);
        CHECK_CONTAINS(said, "server 127.0.0.1:" + std::to_string(port.load()) + ", stratum 1");
        size_t at = said.find("offset ");
        CHECK(at != std::string::npos);
        double offset = std::atof(said.c_str() + at + 7);
        at = said.find("delay ");
        CHECK(at != std::string::npos);
        double delay = std::atof(said.c_str() + at + 6);
        CHECK_GE(delay, 0.0);
        // The server's clock is ours + AHEAD exactly, so the computed offset
        // is off by at most half the round trip, however slow that was
        // (1 ms for the rounding of the timestamps and of the printout).
        CHECK_LE(std::fabs(offset - AHEAD), delay / 2 + 0.001);
        CHECK_EQ(requests.load(), 2);
        PASS("ntp: offset " + std::to_string(offset) + " s for a server 2.5 s ahead, delay " + std::to_string(delay) +
             " s, after a dropped request and a forged reply");
    }
    {
        std::atomic<int> port{0}, requests{0};
        std::atomic<bool> stop{false};
        std::thread t(responder, &port, &stop, &requests, true);
        while (port == 0) std::this_thread::yield();
        int status = -1;
        std::string said = runNtp(argv[1], port, status);
        stop = true;
        t.join();
        CHECK(WIFEXITED(status));
        CHECK_EQ(WEXITSTATUS(status), 1);
        CHECK_CONTAINS(said, "no answer from 127.0.0.1:" + std::to_string(port.load()) + " after 3 tries");
        CHECK_EQ(requests.load(), 3);
        PASS("ntp against a silent server: exit status 1, " + check::show(said.substr(0, said.find('\n'))));
    }
    return 0;
}
