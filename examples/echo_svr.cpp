// echo_svr: a TCP echo server, m_net's example on mnet.
//
//   ./echo_svr [ip:port]        (default 127.0.0.1:8090)
//   then: ./echo_cnt 127.0.0.1:8090, or nc 127.0.0.1 8090
//
// Each client gets "Welcome to echoServ" and then its own lines back. The
// listener uses a lambda handler and prints the time every 5 seconds.
#include <iostream>
#include <string>

#include <mnet/mnet.hpp>

using mnet::Chann;
using mnet::ChannDispatcher;

// A connected client: echo what arrives, go away on disconnect.
class CntChann : public Chann {
public:
    CntChann(Chann *c) : Chann(c) {}

    void defaultEventHandler(Chann *, chann_event_t event, int err) override {
        if (event == CHANN_EVENT_RECV) {
            int n = channRecv(m_buf, sizeof m_buf);
            if (n > 0) channSend(m_buf, n);
        } else if (event == CHANN_EVENT_DISCONNECT) {
            std::cout << "svr disconnect cnt " << peerAddr().addrString << " (err " << err << ")" << std::endl;
            delete this;
        }
    }

private:
    char m_buf[256];
};

int main(int argc, char *argv[]) {
    std::string ipaddr = argc > 1 ? argv[1] : "127.0.0.1:8090";
    Chann echoSvr("tcp");
    if (!echoSvr.channListen(ipaddr, 100)) {
        std::cerr << "listen on " << ipaddr << " failed: " << echoSvr.lastError() << std::endl;
        return 1;
    }
    std::cout << "svr version: " << ChannDispatcher::version() << std::endl;
    std::cout << "svr start listen: " << echoSvr.myAddr().addrString << std::endl;
    echoSvr.channActiveEvent(CHANN_EVENT_TIMER, 5 * MNET_MILLI_SECOND);

    int accepted = 0;  // captured by the handler: m_net's function pointers could not do this
    echoSvr.setEventHandler([&accepted](Chann *, Chann *accept, chann_event_t event, int) {
        if (event == CHANN_EVENT_ACCEPT) {
            CntChann *cnt = new CntChann(accept);
            delete accept;
            const char welcome[] = "Welcome to echoServ\n";
            cnt->channSend(welcome, sizeof welcome - 1);
            std::cout << "svr accept cnt " << cnt->peerAddr().addrString << " (" << ++accepted << " so far)"
                      << std::endl;
        } else if (event == CHANN_EVENT_TIMER) {
            std::cout << "svr current time: " << ChannDispatcher::currentTime() << " us" << std::endl;
        }
    });

    while (ChannDispatcher::pollEvent(100) > 0) {
    }
    return 0;
}
