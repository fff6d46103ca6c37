// echo_svr: a TCP echo server, m_net's example on mnet.
//
//   build/echo_svr [ip:port]        (default 127.0.0.1:8090)
//   then: build/echo_cnt 127.0.0.1:8090, or nc 127.0.0.1 8090
//
// Each client gets "Welcome to echoServ" and then its own lines back; the
// server prints the time every 5 seconds.
#include <iostream>
#include <string>

#include <mnet/mnet.hpp>

using namespace mnet;

class Client : public Chann {  // one connected client
public:
    Client(Chann *accepted) : Chann(accepted) {}

    void defaultEventHandler(Chann *, chann_event_t event, int err) override {
        if (event == CHANN_EVENT_RECV) {
            char buf[256];
            int n = channRecv(buf, sizeof buf);  // 0: nothing now, -1: error
            if (n > 0) channSend(buf, n);        // queued if the kernel is full
        } else if (event == CHANN_EVENT_DISCONNECT) {
            std::cout << "client " << peerAddr().addrString << " left (err " << err << ")" << std::endl;
            delete this;  // safe inside a handler
        }
    }
};

int main(int argc, char *argv[]) {
    std::string addr = argc > 1 ? argv[1] : "127.0.0.1:8090";
    Chann server("tcp");
    if (!server.channListen(addr, 128)) {
        std::cerr << "listen on " << addr << ": " << server.lastError() << std::endl;
        return 1;
    }
    std::cout << "echo_svr listening on " << server.myAddr().addrString << std::endl;

    int clients = 0;  // lambdas may capture (m_net took function pointers)
    server.setEventHandler([&clients](Chann *, Chann *accept, chann_event_t event, int) {
        if (event == CHANN_EVENT_ACCEPT) {
            Client *client = new Client(accept);  // adopt the accepted channel...
            delete accept;                        // ...and drop the empty temporary
            client->channSend("Welcome to echoServ\n", 20);
            std::cout << "client " << client->peerAddr().addrString << " (" << ++clients << " so far)"
                      << std::endl;
        } else if (event == CHANN_EVENT_TIMER) {
            std::cout << "time " << ChannDispatcher::currentTime() << " us" << std::endl;
        }
    });
    server.channActiveEvent(CHANN_EVENT_TIMER, 5 * MNET_MILLI_SECOND);
    while (ChannDispatcher::pollEvent(100) > 0) {
    }
    return 0;
}
