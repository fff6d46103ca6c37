/* tls_svr: an HTTPS "hello" server on a CHANN_TYPE_TLS chann (rustls), m_net's
 * examples/openssl/tls_svr.c on mnet's C API: the TLS settings come from
 * <mnet/mnet_ext.h> instead of an OpenSSL SSL_CTX.
 *
 *   cargo run --example gen_certs -- certs          (a throw-away CA and certificate)
 *   build/examples/c/tls_svr [ip:port] [cert.pem] [key.pem]
 *       (defaults: 127.0.0.1:8443 certs/server.crt certs/server.key)
 *   build/examples/c/tls_cnt, or curl --cacert certs/ca.crt https://localhost:8443/
 *   -> "Hello from mnet over TLS"
 *
 * ACCEPT arrives once the handshake is done; a client that fails it (wrong
 * CA, plain HTTP) never reaches the program. Each request (up to an empty
 * line) gets the same response; connections stay open. */
#include <stdio.h>
#include <stdlib.h>

#include <mnet/mnet_core.h>
#include <mnet/mnet_ext.h>

static const char k_response[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 25\r\n\r\n"
                                 "Hello from mnet over TLS\n";

int main(int argc, char *argv[]) {
    const char *ipport = argc > 1 ? argv[1] : "127.0.0.1:8443";
    const char *cert = argc > 2 ? argv[2] : "certs/server.crt";
    const char *key = argc > 3 ? argv[3] : "certs/server.key";
    mnet_tls_config_t *tls = mnet_tls_config_new();
    chann_t *svr;
    chann_msg_t *msg;
    char where[64];

    mnet_init();
    svr = mnet_chann_open(CHANN_TYPE_TLS);
    if (mnet_tls_config_set_cert_file(tls, cert, key) != 1 || mnet_chann_set_tls(svr, tls) != 1 ||
        mnet_chann_listen_addr(svr, ipport, 128) != 1) {
        fprintf(stderr, "tls_svr: %s\n", mnet_last_error());
        return 1;
    }
    mnet_tls_config_free(tls); /* the chann keeps its copy */
    mnet_chann_addr_text(svr, 0, where, sizeof where);
    printf("tls_svr listening on %s\n", where);
    fflush(stdout);

    while (mnet_poll(1000) > 0) {
        while ((msg = mnet_result_next()) != NULL) {
            if (msg->n == svr) {
                if (msg->event == CHANN_EVENT_ACCEPT) { /* after the handshake */
                    int *matched = calloc(1, sizeof *matched); /* the "\r\n\r\n" scan across reads */
                    mnet_chann_addr_text(msg->r, 1, where, sizeof where);
                    printf("client %s\n", where);
                    fflush(stdout);
                    mnet_chann_set_opaque(msg->r, matched);
                }
            } else if (msg->event == CHANN_EVENT_RECV) {
                int *matched = msg->opaque;
                char buf[1024];
                int i, n = mnet_chann_recv(msg->n, buf, sizeof buf);
                for (i = 0; i < n; i++) {
                    *matched = buf[i] == "\r\n\r\n"[*matched] ? *matched + 1 : (buf[i] == '\r' ? 1 : 0);
                    if (*matched == 4) {
                        *matched = 0;
                        mnet_chann_send(msg->n, (void *)k_response, (int)sizeof k_response - 1);
                    }
                }
            } else if (msg->event == CHANN_EVENT_DISCONNECT) {
                free(msg->opaque);
                mnet_chann_close(msg->n);
            }
        }
    }
    mnet_fini();
    return 0;
}
