// echo_udp_cnt: a UDP client for echo_udp_svr, m_net's example on mnet.
//
//   ./echo_udp_svr &               (listens on 127.0.0.1:8091)
//   ./echo_udp_cnt [ip:port]       (default 127.0.0.1:8091)
//   printf 'one\ntwo\n' | ./echo_udp_cnt
//
// Says hello (one datagram) and prints the server's "Welcome to echoServ";
// then sends stdin one line per datagram, printing each answer before
// sending the next. Ends at the end of stdin (Ctrl-D); exits with status 1
// when the server is not there (ICMP port unreachable) or stays silent for
// 3 seconds (UDP may lose datagrams, nothing resends them).
#include <cstring>
#include <iostream>
#include <string>

#include <mnet/mnet.hpp>

using mnet::Chann;
using mnet::ChannDispatcher;

namespace {

const int REPLY_TIMEOUT_MS = 3 * MNET_MILLI_SECOND;

class UdpClient : public Chann {
public:
    UdpClient() : Chann("udp") {}
    bool done = false;
    bool failed = false;

    // Sends one datagram and waits (at most REPLY_TIMEOUT_MS) for the answer.
    void sendDatagram(const std::string &text) {
        channSend(text.data(), static_cast<int>(text.size()));
        channActiveEvent(CHANN_EVENT_TIMER, REPLY_TIMEOUT_MS);  // re-arming restarts it
    }

    void defaultEventHandler(Chann *, chann_event_t event, int err) override {
        if (event == CHANN_EVENT_RECV) {
            char buf[2048];
            int n = channRecv(buf, sizeof buf);  // one datagram
            if (n <= 0) return;
            std::cout.write(buf, n).flush();
            sendNextLine();
        } else if (event == CHANN_EVENT_TIMER) {
            std::cerr << "cnt: no answer from " << peerAddr().addrString << " in "
                      << REPLY_TIMEOUT_MS / MNET_MILLI_SECOND << " s" << std::endl;
            finish(true);
        } else if (event == CHANN_EVENT_DISCONNECT) {
            std::cerr << "cnt: " << peerAddr().addrString << " unreachable: " << std::strerror(err) << std::endl;
            finish(true);
        }
    }

private:
    void sendNextLine() {
        std::string line;
        if (!std::getline(std::cin, line)) {
            std::cout << "cnt: end of input, bye" << std::endl;
            finish(false);
            return;
        }
        sendDatagram(line + '\n');
    }

    void finish(bool failure) {
        channActiveEvent(CHANN_EVENT_TIMER, 0);
        channDisconnect();
        failed = failure;
        done = true;
    }
};

}  // namespace

int main(int argc, char *argv[]) {
    std::string ipaddr = argc > 1 ? argv[1] : "127.0.0.1:8091";
    UdpClient cnt;
    // A UDP connect only fixes the destination: no packet, no event.
    if (!cnt.channConnect(ipaddr)) {
        std::cerr << "cnt: connect to " << ipaddr << " failed: " << cnt.lastError() << std::endl;
        return 1;
    }
    std::cout << "cnt sending from " << cnt.myAddr().addrString << " to " << cnt.peerAddr().addrString
              << std::endl;
    cnt.sendDatagram("hello\n");
    while (!cnt.done && ChannDispatcher::pollEvent(100) >= 0) {
    }
    return cnt.failed ? 1 : 0;
}
