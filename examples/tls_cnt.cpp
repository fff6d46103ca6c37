// tls_cnt: an HTTPS client on a "tls" Chann; prints one response.
//
//   ./tls_cnt [host:port] [ca.pem]      (defaults: localhost:8443 certs/ca.crt; "-" = system trust store)
//
// The server's certificate is checked against the CA and the host name;
// CONNECTED comes after the handshake. A certificate for another name or
// from an unknown CA ends in DISCONNECT (err EPROTO) with the reason.
#include <cstring>
#include <iostream>
#include <string>

#include <mnet/mnet.hpp>

using mnet::Chann;
using mnet::ChannDispatcher;

class HttpsClient : public Chann {
public:
    explicit HttpsClient(std::string host) : Chann("tls"), m_host(std::move(host)) {}

    void defaultEventHandler(Chann *, chann_event_t event, int err) override {
        if (event == CHANN_EVENT_CONNECTED) {
            std::string req = "GET / HTTP/1.1\r\nHost: " + m_host + "\r\n\r\n";
            channSend(req.data(), static_cast<int>(req.size()));
        } else if (event == CHANN_EVENT_RECV) {
            char buf[4096];
            int n = channRecv(buf, sizeof buf);
            if (n > 0) m_reply.append(buf, n);
            if (complete()) {
                std::cout << m_reply;
                m_status = 0;
                delete this;
            }
        } else if (event == CHANN_EVENT_DISCONNECT) {
            std::cerr << "tls_cnt: disconnected (err " << err << "): " << lastError() << std::endl;
            delete this;
        }
    }

    static int m_status;

private:
    // Headers and Content-Length bytes of body have arrived.
    bool complete() const {
        size_t end = m_reply.find("\r\n\r\n");
        if (end == std::string::npos) return false;
        size_t cl = m_reply.find("Content-Length: ");
        size_t len = cl == std::string::npos ? 0 : std::stoul(m_reply.substr(cl + 16));
        return m_reply.size() >= end + 4 + len;
    }

    std::string m_host;
    std::string m_reply;
};

int HttpsClient::m_status = 1;

int main(int argc, char *argv[]) {
    std::string addr = argc > 1 ? argv[1] : "localhost:8443";
    std::string ca = argc > 2 ? argv[2] : "certs/ca.crt";

    mnet::TlsConfig tls;
    if (ca != "-" && !tls.setCaFile(ca)) {
        std::cerr << "tls_cnt: " << tls.lastError() << std::endl;
        return 1;
    }
    HttpsClient *c = new HttpsClient(addr.substr(0, addr.rfind(':')));
    if (!c->setTlsConfig(tls) || !c->channConnect(addr)) {
        std::cerr << "tls_cnt: " << c->lastError() << std::endl;
        delete c;
        return 1;
    }
    int64_t deadline = ChannDispatcher::currentTime() + 10 * 1000000LL;
    while (ChannDispatcher::pollEvent(100) > 0 && ChannDispatcher::currentTime() < deadline) {
    }
    return HttpsClient::m_status;
}
