// HTTPS through the C++ face: a Server listening with the test PKI's
// certificate, a Client trusting its CA gets the answer by name and by
// address; a Client trusting only an unrelated CA is refused with a
// sentence naming TLS, and the server is no worse for it.
//
//   test_tls_http <pki dir> <unrelated pki dir>
#include <string>

#include <mnet/http.hpp>

#include "check.hpp"
#include "tls_pki.hpp"

using mnet::http::Client;
using mnet::http::ClientResponse;
using mnet::http::Request;
using mnet::http::Server;

namespace {

ClientResponse get(Client &c, const std::string &url) {
    ClientResponse got;
    bool done = false;
    CHECK_NE(c.get(url, [&](Client &, const ClientResponse &r) {
        got = r;
        done = true;
    }),
             0u);
    POLL_UNTIL(done, 30);
    return got;
}

}  // namespace

int main(int argc, char **argv) {
    TlsPki pki = tlsPki(argc, argv, 1), other = tlsPki(argc, argv, 2);
    Server https;
    CHECK(https.route("GET", "/secret", [](Server &s, const Request &q) { s.respond(q.id(), 200, "text/plain", "over TLS"); }));
    CHECK(https.listenTls("127.0.0.1:0", pki.server()));
    const std::string port = std::to_string(https.localAddr().addr.port);

    Client trusting;
    CHECK(trusting.setTlsConfig(pki.client()));
    ClientResponse r = get(trusting, "https://localhost:" + port + "/secret");
    CHECK(r.ok());
    CHECK_EQ(r.body, std::string("over TLS"));
    r = get(trusting, "https://127.0.0.1:" + port + "/secret");
    CHECK_EQ(r.body, std::string("over TLS"));
    PASS("HTTPS verified against the test CA, by name and by address");

    Client wary;
    CHECK(wary.setTlsConfig(other.client()));
    r = get(wary, "https://localhost:" + port + "/secret");
    CHECK(!r.ok());
    CHECK_CONTAINS(r.error, "TLS");
    PASS("a server the client's CA did not sign is refused: " + r.error);

    r = get(trusting, "https://localhost:" + port + "/secret");
    CHECK_EQ(r.body, std::string("over TLS"));
    PASS("the server still answers afterwards");
    return 0;
}
