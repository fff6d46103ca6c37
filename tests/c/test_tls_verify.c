/* TLS (CHANN_TYPE_TLS on rustls) from C, verified and refused: a server with
 * the test PKI's certificate (for localhost, 127.0.0.1 and ::1); a client
 * trusting the PKI's CA connects to "localhost" (the name sent and checked),
 * gets CONNECTED after the handshake, and exchanges data. Refused, each with
 * one DISCONNECT on the client (err EPROTO, the reason in mnet_chann_error)
 * and nothing at all for the server's program (no ACCEPT; its side is
 * closed by mnet):
 *   1. the certificate is from the trusted CA but asked for "example.com"
 *      (mnet_chann_set_server_name);
 *   2. the client trusts only another CA (the unrelated PKI);
 *   3. the client trusts the system store, which knows neither.
 * After each refusal the same chann, set up right, connects (the refusal
 * was the check's, not a broken setup).
 *
 *   test_tls_verify <pki dir> <unrelated pki dir>     (CTest's fixture makes them) */
#include <errno.h>

#include "check.h"

static chann_t *g_listener, *g_client, *g_server;
static int g_accepts, g_connected, g_disconnects, g_last_err;
static char g_why[256], g_got[32];
static int g_got_len;

static void on_msg(chann_msg_t *m) {
    int n;
    if (m->n == g_listener) {
        if (m->event != CHANN_EVENT_ACCEPT) FAIL("listener got event %d err %d", (int)m->event, m->err);
        ++g_accepts;
        g_server = m->r;
    } else if (m->n == g_client) {
        if (m->event == CHANN_EVENT_CONNECTED) {
            ++g_connected;
        } else if (m->event == CHANN_EVENT_DISCONNECT) {
            ++g_disconnects;
            g_last_err = m->err;
            snprintf(g_why, sizeof g_why, "%s", mnet_chann_error(m->n));
        } else if (m->event == CHANN_EVENT_RECV) {
            n = mnet_chann_recv(m->n, g_got + g_got_len, (int)sizeof g_got - g_got_len);
            if (n > 0) g_got_len += n;
        }
    } else if (m->n == g_server) {
        if (m->event == CHANN_EVENT_RECV) {
            char buf[32];
            n = mnet_chann_recv(m->n, buf, sizeof buf);
            if (n > 0) CHECK_EQ(mnet_chann_send(m->n, buf, n), n);
        }
    } else {
        FAIL("a message for a chann the program never saw: event %d", (int)m->event);
    }
}

static mnet_tls_config_t *client_trusting(const char *pki) {
    char path[512];
    mnet_tls_config_t *cfg = mnet_tls_config_new();
    snprintf(path, sizeof path, "%s/ca.crt", pki);
    if (mnet_tls_config_set_ca_file(cfg, path) != 1) FAIL("set_ca_file %s: %s", path, mnet_last_error());
    return cfg;
}

static void connect_localhost(int port) {
    char addr[64];
    snprintf(addr, sizeof addr, "localhost:%d", port);
    CHECK_EQ(mnet_chann_connect_addr(g_client, addr), 1);
}

/* One refusal: `reason` must be in mnet_chann_error. */
static void refused(const char *what, const char *reason) {
    int before = g_disconnects;
    POLL_UNTIL(g_disconnects == before + 1, 10, on_msg);
    CHECK_EQ(g_connected, 0);
    CHECK_EQ(g_last_err, EPROTO);
    CHECK_EQ(mnet_chann_state(g_client), CHANN_STATE_DISCONNECT);
    CHECK_CONTAINS(g_why, "TLS: ");
    CHECK_CONTAINS(g_why, reason);
    POLL_UNTIL(mnet_report(0) == 2, 10, on_msg); /* the server's side of it is gone */
    CHECK_EQ(g_accepts, 0);
    PASS("%s: one DISCONNECT, err EPROTO, \"%s\"; no ACCEPT, the server's side closed", what, g_why);
}

/* The control after a refusal: the same chann, set up right, connects. */
static void control(const char *pki, int port) {
    mnet_tls_config_t *good = client_trusting(pki);
    CHECK_EQ(mnet_chann_set_tls(g_client, good), 1);
    mnet_tls_config_free(good);
    CHECK_EQ(mnet_chann_set_server_name(g_client, "localhost"), 1);
    connect_localhost(port);
    POLL_UNTIL(g_connected == 1 && g_accepts == 1, 10, on_msg);
    CHECK_EQ(mnet_chann_type(g_server), CHANN_TYPE_TLS);
    mnet_chann_close(g_server);
    mnet_chann_disconnect(g_client);
    g_server = NULL;
    g_connected = g_accepts = 0;
    PASS("  then the same chann, set up right, connects to the same listener");
}

int main(int argc, char *argv[]) {
    char cert[512], key[512];
    mnet_tls_config_t *cfg;
    int port;
    if (argc != 3) FAIL("usage: test_tls_verify <pki dir> <unrelated pki dir> (CTest's fixture makes them)");
    snprintf(cert, sizeof cert, "%s/server.crt", argv[1]);
    snprintf(key, sizeof key, "%s/server.key", argv[1]);

    cfg = mnet_tls_config_new();
    CHECK_EQ(mnet_tls_config_set_cert_file(cfg, cert, key), 1);
    g_listener = mnet_chann_open(CHANN_TYPE_TLS);
    CHECK_EQ(mnet_chann_set_tls(g_listener, cfg), 1);
    mnet_tls_config_free(cfg); /* the chann keeps its copy */
    CHECK_EQ(mnet_chann_listen(g_listener, "127.0.0.1", 0, 16), 1);
    port = check_port(g_listener);

    g_client = mnet_chann_open(CHANN_TYPE_TLS);
    cfg = client_trusting(argv[1]);
    CHECK_EQ(mnet_chann_set_tls(g_client, cfg), 1);
    mnet_tls_config_free(cfg);
    connect_localhost(port);
    CHECK_EQ(mnet_chann_state(g_client), CHANN_STATE_CONNECTING);
    POLL_UNTIL(g_connected == 1 && g_accepts == 1, 10, on_msg);
    CHECK_EQ(mnet_chann_state(g_client), CHANN_STATE_CONNECTED);
    CHECK_EQ(mnet_chann_send(g_client, "over TLS", 8), 8);
    POLL_UNTIL(g_got_len == 8, 10, on_msg);
    CHECK(memcmp(g_got, "over TLS", 8) == 0);
    CHECK_STR_EQ(mnet_chann_error(g_client), "");
    PASS("verified: CONNECTED and ACCEPT after the handshake, the certificate checked for \"localhost\"; an echo");
    mnet_chann_close(g_server);
    mnet_chann_disconnect(g_client);
    g_server = NULL;
    g_connected = g_accepts = 0;

    CHECK_EQ(mnet_chann_set_server_name(g_client, "example.com"), 1);
    connect_localhost(port);
    refused("a certificate for other names (asked for example.com)", "not valid for name");
    control(argv[1], port);

    cfg = client_trusting(argv[2]);
    CHECK_EQ(mnet_chann_set_tls(g_client, cfg), 1);
    mnet_tls_config_free(cfg);
    connect_localhost(port);
    refused("a certificate from a CA the client does not trust", "UnknownIssuer");
    control(argv[1], port);

    cfg = mnet_tls_config_new(); /* the system trust store */
    CHECK_EQ(mnet_chann_set_tls(g_client, cfg), 1);
    mnet_tls_config_free(cfg);
    connect_localhost(port);
    refused("the system trust store", "UnknownIssuer");
    control(argv[1], port);

    mnet_chann_close(g_client);
    mnet_chann_close(g_listener);
    CHECK_EQ(mnet_poll(0), 0);
    mnet_fini();
    return 0;
}
