// ntp: asks an NTP server for the time over a UDP Chann and prints how far
// this machine's clock is from the server's, and the round-trip delay.
//
//   ./ntp host[:port]            (port 123 when none is given)
//   ./ntp 127.0.0.1:12300
//   -> server 127.0.0.1:12300, stratum 1
//      offset +2.500012 s (the server's clock minus ours), delay 0.000143 s
//
// One SNTP exchange (RFC 4330; NTPv4, client mode). The request carries our
// transmit time T1; the server stamps its receive time T2 and transmit time
// T3; the answer arrives at T4. Then
//   offset = ((T2 - T1) + (T3 - T4)) / 2    delay = (T4 - T1) - (T3 - T2).
// An answer counts only if it comes from the server (the Chann is
// connected), is in server mode, echoes our T1 as its origin (a stray or
// forged datagram is ignored) and is not a kiss-o'-death (stratum 0). Up to
// 3 tries, 1 second apart; exit status 1 when no answer comes or the
// server cannot be reached. A host name is resolved by mnet's asynchronous
// resolver while the Chann is CONNECTING.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

#include <mnet/mnet.hpp>

using mnet::Chann;
using mnet::ChannDispatcher;

namespace {

const int TRIES = 3;
const int TRY_MS = 1000;
const uint64_t UNIX_TO_NTP = 2208988800ULL;  // seconds from 1900 to 1970

// Now, as a 64-bit NTP timestamp (seconds since 1900 . 32-bit fraction).
uint64_t ntpNow() {
    auto since = std::chrono::system_clock::now().time_since_epoch();
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(since).count();
    uint64_t secs = static_cast<uint64_t>(ns / 1000000000) + UNIX_TO_NTP;
    uint64_t frac = (static_cast<uint64_t>(ns % 1000000000) << 32) / 1000000000;
    return (secs << 32) | frac;
}

// An NTP timestamp in seconds since 1900 (only differences are used).
double seconds(uint64_t t) { return static_cast<double>(t >> 32) + static_cast<double>(t & 0xffffffffu) / 4294967296.0; }

uint64_t get64(const unsigned char *p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = v << 8 | p[i];
    return v;
}

void put64(unsigned char *p, uint64_t v) {
    for (int i = 7; i >= 0; i--, v >>= 8) p[i] = static_cast<unsigned char>(v);
}

class NtpClient : public Chann {
public:
    NtpClient() : Chann("udp") {}
    int status = -1;  // exit status once done

    void start() {
        channActiveEvent(CHANN_EVENT_TIMER, TRY_MS);
        if (isConnected()) send();  // numeric or /etc/hosts: connected at once
    }

    void defaultEventHandler(Chann *, chann_event_t event, int) override {
        switch (event) {
        case CHANN_EVENT_CONNECTED:  // a host name, resolved by DNS
            send();
            break;
        case CHANN_EVENT_RECV:
            receive();
            break;
        case CHANN_EVENT_TIMER:
            if (m_tries >= TRIES) {
                std::fprintf(stderr, "ntp: no answer from %s after %d tries\n", peerAddr().addrString.c_str(), TRIES);
                finish(1);
            } else if (isConnected()) {
                send();
            }
            break;
        case CHANN_EVENT_DISCONNECT:
            std::fprintf(stderr, "ntp: %s\n", lastError().c_str());
            finish(1);
            break;
        default:
            break;
        }
    }

private:
    void send() {
        unsigned char req[48] = {0};
        req[0] = 0x23;  // LI 0, version 4, mode 3 (client)
        m_t1 = ntpNow();
        put64(req + 40, m_t1);  // transmit time: the server echoes it as origin
        ++m_tries;
        if (channSend(req, sizeof req) != sizeof req) {
            std::fprintf(stderr, "ntp: send: %s\n", lastError().c_str());
            finish(1);
        }
    }

    void receive() {
        unsigned char r[128];
        int n;
        while (status < 0 && (n = channRecv(r, sizeof r)) > 0) {
            const uint64_t t4 = ntpNow();
            if (n < 48 || (r[0] & 7) != 4 || get64(r + 24) != m_t1) continue;  // not the answer to our request
            if (r[1] == 0) {
                std::fprintf(stderr, "ntp: the server sent a kiss-o'-death (%.4s)\n", reinterpret_cast<char *>(r + 12));
                finish(1);
                return;
            }
            const double t1 = seconds(m_t1), t2 = seconds(get64(r + 32)), t3 = seconds(get64(r + 40)), t4s = seconds(t4);
            const double offset = ((t2 - t1) + (t3 - t4s)) / 2;
            const double delay = (t4s - t1) - (t3 - t2);
            std::printf("server %s, stratum %d\n", peerAddr().addrString.c_str(), r[1]);
            std::printf("offset %+.6f s (the server's clock minus ours), delay %.6f s\n", offset, delay);
            finish(0);
        }
        if (n < 0 && status < 0) {
            std::fprintf(stderr, "ntp: %s\n", lastError().c_str());
            finish(1);
        }
    }

    void finish(int s) {
        status = s;
        channActiveEvent(CHANN_EVENT_TIMER, 0);
    }

    uint64_t m_t1 = 0;
    int m_tries = 0;
};

// "host" -> "host:123", "::1" -> "[::1]:123"; "host:port" and "[v6]:port" as they are.
std::string withPort(std::string s) {
    if (s.find(':') == std::string::npos) return s + ":123";
    if (s[0] != '[' && s.find(':') != s.rfind(':')) return "[" + s + "]:123";
    if (s[0] == '[' && s.find("]:") == std::string::npos) return s + ":123";
    return s;
}

}  // namespace

int main(int argc, char *argv[]) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: ntp host[:port]\n");
        return 2;
    }
    NtpClient client;
    if (!client.channConnect(withPort(argv[1]))) {
        std::fprintf(stderr, "ntp: %s\n", client.lastError().c_str());
        return 1;
    }
    client.start();
    while (client.status < 0 && ChannDispatcher::pollEvent(1000) >= 0) {
    }
    return client.status < 0 ? 1 : client.status;
}
