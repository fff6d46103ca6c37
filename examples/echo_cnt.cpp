// echo_cnt: a TCP client for echo_svr, m_net's example on mnet.
//
//   ./echo_svr &                  (listens on 127.0.0.1:8090)
//   ./echo_cnt [ip:port]          (default 127.0.0.1:8090)
//   printf 'one\ntwo\n' | ./echo_cnt
//
// Prints the server's "Welcome to echoServ", then sends stdin one line at a
// time, printing each answer before sending the next line. Ends at the end
// of stdin (Ctrl-D) or when the server goes away; a failed connect prints
// the reason and exits with status 1.
#include <cstring>
#include <iostream>
#include <string>

#include <mnet/mnet.hpp>

using mnet::Chann;
using mnet::ChannDispatcher;

namespace {

class EchoClient : public Chann {
public:
    EchoClient() : Chann("tcp") {}
    bool done = false;
    bool failed = false;

    void defaultEventHandler(Chann *, chann_event_t event, int err) override {
        if (event == CHANN_EVENT_CONNECTED) {
            std::cout << "cnt connected to " << peerAddr().addrString << " from " << myAddr().addrString
                      << std::endl;
        } else if (event == CHANN_EVENT_RECV) {
            char buf[256];
            int n = channRecv(buf, sizeof buf);
            if (n <= 0) return;  // end of stream or error: DISCONNECT follows
            std::cout.write(buf, n).flush();
            // The server answers line by line: send the next line once the
            // answer to the previous one is complete.
            if (buf[n - 1] == '\n') sendNextLine();
        } else if (event == CHANN_EVENT_DISCONNECT) {
            if (err != 0) {
                std::cerr << "cnt: connection to " << peerAddr().addrString << " lost: " << std::strerror(err)
                          << std::endl;
                failed = true;
            } else {
                std::cout << "cnt: server closed the connection" << std::endl;
            }
            done = true;
        }
    }

private:
    void sendNextLine() {
        std::string line;
        if (!std::getline(std::cin, line)) {
            std::cout << "cnt: end of input, bye" << std::endl;
            channDisconnect();
            done = true;
            return;
        }
        line += '\n';
        channSend(line.data(), static_cast<int>(line.size()));
    }
};

}  // namespace

int main(int argc, char *argv[]) {
    std::string ipaddr = argc > 1 ? argv[1] : "127.0.0.1:8090";
    EchoClient cnt;
    if (!cnt.channConnect(ipaddr)) {
        std::cerr << "cnt: connect to " << ipaddr << " failed: " << cnt.lastError() << std::endl;
        return 1;
    }
    while (!cnt.done && ChannDispatcher::pollEvent(100) >= 0) {
    }
    return cnt.failed ? 1 : 0;
}
