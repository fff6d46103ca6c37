/* tls_cnt: an HTTPS client on a CHANN_TYPE_TLS chann (rustls); prints one
 * response. m_net's examples/openssl/tls_cnt.c on mnet's C API, with the
 * server's certificate verified.
 *
 *   build/examples/c/tls_svr &                           (see tls_svr.c)
 *   build/examples/c/tls_cnt [host:port] [ca.pem]
 *       (defaults: localhost:8443 certs/ca.crt; "-" = the system trust store)
 *   -> HTTP/1.1 200 OK ... Hello from mnet over TLS
 *
 * The server's certificate is checked against the CA and the host name
 * (the host given is the name sent and checked); CONNECTED comes after the
 * handshake. A certificate for another name or from an unknown CA ends in
 * DISCONNECT (err EPROTO, 71), with the reason from mnet_chann_error, and
 * exit status 1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mnet/mnet_core.h>
#include <mnet/mnet_ext.h>

static char g_reply[65536];
static int g_len, g_status = -1;

/* The headers and Content-Length bytes of body have arrived. */
static int complete(void) {
    const char *end, *cl;
    g_reply[g_len] = '\0';
    end = strstr(g_reply, "\r\n\r\n");
    if (end == NULL) return 0;
    cl = strstr(g_reply, "Content-Length: ");
    return g_len >= (int)(end + 4 - g_reply) + (cl != NULL ? atoi(cl + 16) : 0);
}

int main(int argc, char *argv[]) {
    const char *addr = argc > 1 ? argv[1] : "localhost:8443";
    const char *ca = argc > 2 ? argv[2] : "certs/ca.crt";
    mnet_tls_config_t *tls = mnet_tls_config_new();
    chann_t *cnt;
    chann_msg_t *msg;
    int64_t deadline;

    mnet_init();
    cnt = mnet_chann_open(CHANN_TYPE_TLS);
    if ((strcmp(ca, "-") != 0 && mnet_tls_config_set_ca_file(tls, ca) != 1) || mnet_chann_set_tls(cnt, tls) != 1 ||
        mnet_chann_connect_addr(cnt, addr) != 1) {
        fprintf(stderr, "tls_cnt: %s\n", mnet_last_error());
        return 1;
    }
    mnet_tls_config_free(tls);

    deadline = mnet_tm_current() + 10 * 1000000LL;
    while (g_status < 0 && mnet_tm_current() < deadline && mnet_poll(100) > 0) {
        while ((msg = mnet_result_next()) != NULL) {
            if (msg->event == CHANN_EVENT_CONNECTED) {
                char req[300];
                int n = snprintf(req, sizeof req, "GET / HTTP/1.1\r\nHost: %.*s\r\n\r\n",
                                 (int)(strrchr(addr, ':') - addr), addr);
                mnet_chann_send(msg->n, req, n);
            } else if (msg->event == CHANN_EVENT_RECV) {
                int n = mnet_chann_recv(msg->n, g_reply + g_len, (int)sizeof g_reply - 1 - g_len);
                if (n > 0) g_len += n;
                if (complete()) {
                    fwrite(g_reply, 1, (size_t)g_len, stdout);
                    g_status = 0;
                    mnet_chann_close(msg->n);
                }
            } else if (msg->event == CHANN_EVENT_DISCONNECT) {
                fprintf(stderr, "tls_cnt: disconnected (err %d): %s\n", msg->err, mnet_chann_error(msg->n));
                g_status = 1;
                mnet_chann_close(msg->n);
            }
        }
    }
    mnet_fini();
    return g_status < 0 ? 1 : g_status;
}
