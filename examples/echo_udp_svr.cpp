// echo_udp_svr: a UDP echo server, m_net's example on mnet.
//
//   ./echo_udp_svr [ip:port]       (default 127.0.0.1:8091; "[::1]:8091" for IPv6)
//   then: ./echo_udp_cnt 127.0.0.1:8091, or nc -u 127.0.0.1 8091
//
// The first datagram from each sender (ip:port) is answered with "Welcome
// to echoServ"; later ones are sent back as they came. Prints each new
// sender, and the time every 5 seconds.
#include <iostream>
#include <set>
#include <string>

#include <mnet/mnet.hpp>

using mnet::Chann;
using mnet::ChannAddr;
using mnet::ChannDispatcher;

int main(int argc, char *argv[]) {
    std::string ipaddr = argc > 1 ? argv[1] : "127.0.0.1:8091";
    Chann udpSvr("udp");
    if (!udpSvr.channListen(ipaddr)) {
        std::cerr << "listen on " << ipaddr << " failed: " << udpSvr.lastError() << std::endl;
        return 1;
    }
    std::cout << "svr version: " << ChannDispatcher::version() << std::endl;
    std::cout << "svr bound to: " << udpSvr.myAddr().addrString << std::endl;
    udpSvr.channActiveEvent(CHANN_EVENT_TIMER, 5 * MNET_MILLI_SECOND);

    std::set<std::string> senders;  // everyone welcomed so far
    udpSvr.setEventHandler([&senders](Chann *self, Chann *, chann_event_t event, int) {
        if (event == CHANN_EVENT_RECV) {
            char buf[2048];
            ChannAddr from;
            int n;
            // One datagram per call; read all that are waiting.
            while ((n = self->channRecvFrom(buf, sizeof buf, from)) > 0) {
                if (senders.insert(from.addrString).second) {
                    std::cout << "svr new sender " << from.addrString << std::endl;
                    const char welcome[] = "Welcome to echoServ\n";
                    self->channSendTo(welcome, sizeof welcome - 1, from);
                } else {
                    self->channSendTo(buf, n, from);
                }
            }
        } else if (event == CHANN_EVENT_TIMER) {
            std::cout << "svr current time: " << ChannDispatcher::currentTime() << " us, " << senders.size()
                      << " sender(s) seen" << std::endl;
        }
    });

    while (ChannDispatcher::pollEvent(100) > 0) {
    }
    return 0;
}
