// An exception thrown by a handler is not caught by mnet: it leaves
// pollEvent as thrown. The loop stays consistent: the events of that round
// not yet handed out are delivered by the next pollEvent, once each, and
// the ACCEPT temporary of the throwing handler is closed, not leaked.
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "loopback_listener.hpp"

using mnet::Chann;
using mnet::ChannDispatcher;

namespace {

// Connections waiting in the accept queue of the IPv4 listener on `port`
// (the rx_queue of a LISTEN row in /proc/net/tcp).
int backlogOf(int port) {
    std::ifstream in("/proc/net/tcp");
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
        std::istringstream row(line);
        std::string slot, local, remote, state, queues;
        row >> slot >> local >> remote >> state >> queues;
        if (state != "0A" || std::stoi(local.substr(local.find(':') + 1), nullptr, 16) != port) continue;
        return std::stoi(queues.substr(queues.find(':') + 1), nullptr, 16);
    }
    return -1;
}

}  // namespace

int main() {
    Chann listener("tcp");
    const int port = listenLoopback(listener);
    int accepts = 0;
    listener.setEventHandler([&](Chann *, Chann *accept, chann_event_t event, int) {
        CHECK_EQ(event, CHANN_EVENT_ACCEPT);
        if (++accepts == 1) throw std::runtime_error("the first ACCEPT throws");
        delete accept;
    });

    int clients[3];
    for (int &fd : clients) fd = raw::connectTo(port);
    const int64_t end = check::deadlineIn(10);
    while (backlogOf(port) != 3) CHECK(check::before(end));
    PASS("three connections wait in the listen queue: one round accepts them all");

    bool thrown = false;
    try {
        ChannDispatcher::pollEvent(0);
    } catch (const std::runtime_error &e) {
        thrown = true;
        CHECK_EQ(std::string(e.what()), "the first ACCEPT throws");
    }
    CHECK(thrown);
    CHECK_EQ(accepts, 1);
    CHECK_EQ(ChannDispatcher::channCount(), 3);  // the listener and two connections whose ACCEPT waits
    PASS("the handler's exception left pollEvent after the first of three ACCEPTs");

    CHECK_EQ(ChannDispatcher::pollEvent(0), 1);
    CHECK_EQ(accepts, 3);
    for (int i = 0; i < 3; i++) CHECK_EQ(ChannDispatcher::pollEvent(0), 1);
    CHECK_EQ(accepts, 3);
    PASS("the next pollEvent delivered the other two ACCEPTs of that round, once each");

    for (int fd : clients) {
        char b;
        CHECK_EQ(recv(fd, &b, 1, 0), 0);
        close(fd);
    }
    PASS("all three connections were closed, the thrown-on temporary's too");
    return 0;
}
