// tls_svr: an HTTPS "hello" server on a "tls" Chann.
//
//   cargo run --example gen_certs -- certs        (a throw-away CA and certificate)
//   ./tls_svr [ip:port] [cert.pem] [key.pem]      (defaults: 127.0.0.1:8443 certs/server.crt certs/server.key)
//   curl --cacert certs/ca.crt https://localhost:8443/   -> "Hello from mnet over TLS"
//
// ACCEPT arrives once the handshake is done; a client that fails it (wrong
// CA, plain HTTP) never reaches the handler. Requests are counted like
// chann_web does, and each gets the same response; connections stay open.
#include <iostream>
#include <string>

#include <mnet/mnet.hpp>

using mnet::Chann;
using mnet::ChannDispatcher;

namespace {

const std::string kBody = "Hello from mnet over TLS\n";
const std::string kResponse = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " +
                              std::to_string(kBody.size()) + "\r\n\r\n" + kBody;

class HttpsChann : public Chann {
public:
    HttpsChann(Chann *c) : Chann(c) {}

    void defaultEventHandler(Chann *, chann_event_t event, int) override {
        if (event == CHANN_EVENT_RECV) {
            char buf[1024];
            int n = channRecv(buf, sizeof buf);
            for (int i = 0; i < n; i++) {
                // Count "\r\n\r\n" across reads: one response per request.
                m_matched = buf[i] == "\r\n\r\n"[m_matched] ? m_matched + 1 : (buf[i] == '\r' ? 1 : 0);
                if (m_matched == 4) {
                    m_matched = 0;
                    channSend(kResponse.data(), static_cast<int>(kResponse.size()));
                }
            }
        } else if (event == CHANN_EVENT_DISCONNECT) {
            delete this;
        }
    }

private:
    int m_matched = 0;
};

}  // namespace

int main(int argc, char *argv[]) {
    std::string ipaddr = argc > 1 ? argv[1] : "127.0.0.1:8443";
    std::string certFile = argc > 2 ? argv[2] : "certs/server.crt";
    std::string keyFile = argc > 3 ? argv[3] : "certs/server.key";

    mnet::TlsConfig tls;
    if (!tls.setCertificate(certFile, keyFile)) {
        std::cerr << "tls_svr: " << tls.lastError() << std::endl;
        return 1;
    }
    Chann svr("tls");
    if (!svr.setTlsConfig(tls) || !svr.channListen(ipaddr, 128)) {
        std::cerr << "tls_svr: " << svr.lastError() << std::endl;
        return 1;
    }
    std::cout << "tls_svr listening on " << svr.myAddr().addrString << std::endl;
    svr.setEventHandler([](Chann *, Chann *accept, chann_event_t event, int) {
        if (event == CHANN_EVENT_ACCEPT) {
            new HttpsChann(accept);
            delete accept;
        }
    });
    while (ChannDispatcher::pollEvent(1000) > 0) {
    }
    return 0;
}
