/* NULL pointers, negative lengths and bad addresses are errors (the error
 * value and a sentence in mnet_last_error() that names the problem), never
 * crashes, for every call that takes them; and none leaves a chann half
 * changed: the channs used still work afterwards (an echo goes through). */
#include <errno.h>

#include "check.h"

/* `call` returned `got`, the error value `want`, and mnet_last_error()
 * mentions `part`. */
#define REFUSED(call, want, part)                                          \
    do {                                                                   \
        long long got_ = (long long)(call);                                \
        if (got_ != (long long)(want)) FAIL("%s returned %lld, not %lld", #call, got_, (long long)(want)); \
        CHECK_CONTAINS(mnet_last_error(), part);                           \
        ++g_refusals;                                                      \
    } while (0)

static int g_refusals;
static chann_t *g_server;
static int g_echoed;

static void echo(chann_msg_t *m) {
    char buf[16];
    int n;
    if (m->event == CHANN_EVENT_ACCEPT) g_server = m->r;
    if (m->event != CHANN_EVENT_RECV) return;
    n = mnet_chann_recv(m->n, buf, sizeof buf);
    if (n <= 0) return;
    if (m->n == g_server) CHECK_EQ(mnet_chann_send(m->n, buf, n), n);
    else g_echoed += n;
}

int main(void) {
    char buf[16] = "0123456789";
    char text[4];
    chann_addr_t a;
    mnet_ext_t ext;
    chann_t *listener = check_listen(CHANN_TYPE_STREAM, 4), *client = mnet_chann_open(CHANN_TYPE_STREAM);
    chann_t *udp = mnet_chann_open(CHANN_TYPE_DGRAM);
    int port = check_port(listener);

    /* Types and events. */
    CHECK(mnet_chann_open((chann_type_t)0) == NULL);
    CHECK_CONTAINS(mnet_last_error(), "unknown chann type 0");
    CHECK(mnet_chann_open((chann_type_t)9) == NULL);
    CHECK_CONTAINS(mnet_last_error(), "unknown chann type 9");
    CHECK(mnet_chann_open((chann_type_t)5) == NULL); /* an extension type nobody registered */
    CHECK_CONTAINS(mnet_last_error(), "unknown chann type 5");
    mnet_chann_active_event(client, (chann_event_t)99, 1);
    CHECK_CONTAINS(mnet_last_error(), "only CHANN_EVENT_SEND, CHANN_EVENT_TIMER and CHANN_EVENT_RECV");
    PASS("unknown types (0, 9, an unregistered 5) and events are refused");

    /* Addresses. */
    REFUSED(mnet_chann_connect(client, NULL, port), 0, "NULL");
    REFUSED(mnet_chann_connect(client, "127.0.0.1", -1), 0, "port -1 out of range");
    REFUSED(mnet_chann_connect(client, "127.0.0.1", 65536), 0, "port 65536 out of range");
    REFUSED(mnet_chann_connect(client, "1.2.3.4.5", port), 0, "1.2.3.4.5");
    REFUSED(mnet_chann_listen(udp, "127.0.0.1", 70000, 1), 0, "port 70000 out of range");
    REFUSED(mnet_chann_listen(udp, "not an address", 0, 1), 0, "not an address");
    REFUSED(mnet_chann_listen_addr(udp, NULL, 1), 0, "NULL");
    REFUSED(mnet_chann_listen_addr(udp, "127.0.0.1:99999", 1), 0, "99999");
    REFUSED(mnet_chann_connect_addr(client, "127.0.0.1"), 0, "127.0.0.1");
    CHECK_EQ(mnet_chann_state(client), CHANN_STATE_DISCONNECT);
    CHECK_EQ(mnet_chann_state(udp), CHANN_STATE_DISCONNECT);
    REFUSED(mnet_parse_ipport(NULL, &a), 0, "NULL");
    REFUSED(mnet_parse_ipport("1.2.3.4:80", NULL), 0, "NULL");
    REFUSED(mnet_parse_ipport("1.2.3.4", &a), 0, "missing ':port'");
    REFUSED(mnet_parse_ipport("1.2.3.4:99999", &a), 0, "port");
    REFUSED(mnet_parse_ipport("a-host-name-longer-than-sixteen:80", &a), 0, "does not fit");
    REFUSED(mnet_resolve(NULL, 80, CHANN_TYPE_STREAM, &a), 0, "NULL");
    REFUSED(mnet_resolve("localhost", 80, CHANN_TYPE_STREAM, NULL), 0, "NULL");
    REFUSED(mnet_chann_socket_addr(listener, NULL), 0, "NULL");
    REFUSED(mnet_chann_peer_addr(client, &a), 0, "disconnected");
    REFUSED(mnet_chann_addr_text(listener, 0, NULL, 64), -1, "NULL");
    REFUSED(mnet_chann_addr_text(listener, 0, text, -1), -1, "negative length -1");
    REFUSED(mnet_chann_addr_text(listener, 0, text, sizeof text), -1, "the buffer has 4");
    PASS("NULL hosts, ports out of range, malformed addresses, NULL and short output buffers: refused, "
         "nothing changed");

    /* Buffers and lengths. */
    CHECK_EQ(mnet_chann_connect(client, "127.0.0.1", port), 1);
    POLL_UNTIL(g_server != NULL && mnet_chann_state(client) == CHANN_STATE_CONNECTED, 10, echo);
    REFUSED(mnet_chann_send(client, NULL, 4), -1, "NULL buffer");
    REFUSED(mnet_chann_send(client, buf, -1), -1, "negative length -1");
    REFUSED(mnet_chann_recv(client, NULL, 4), -1, "NULL buffer");
    REFUSED(mnet_chann_recv(client, buf, -5), -1, "negative length -5");
    REFUSED(mnet_dgram_send(udp, NULL, buf, 4), -1, "NULL address");
    REFUSED(mnet_dgram_send(udp, &a, NULL, 4), -1, "NULL buffer");
    REFUSED(mnet_dgram_send(udp, &a, buf, -1), -1, "negative length");
    REFUSED(mnet_dgram_recv(udp, &a, NULL, 4), -1, "NULL buffer");
    REFUSED(mnet_dgram_send_text(udp, NULL, buf, 4), -1, "NULL");
    REFUSED(mnet_dgram_send_text(udp, "nowhere", buf, 4), -1, "nowhere");
    REFUSED(mnet_chann_socket_set_bufsize(client, -1), 0, "negative buffer size -1");
    REFUSED(mnet_chann_set_idle_timeout(client, -1), 0, "negative value -1");
    REFUSED(mnet_chann_set_send_limit(client, -2), 0, "negative value -2");
    REFUSED(mnet_chann_set_multicast_ttl(udp, -3), 0, "negative multicast TTL -3");
    REFUSED(mnet_chann_send(listener, buf, 4), -1, "listening");
    CHECK_EQ(mnet_chann_cached(client), 0);
    CHECK_EQ(mnet_chann_bytes(client, 1), 0);
    PASS("NULL buffers and negative lengths in recv, send and the datagram calls, negative settings: refused");

    /* The extension interface and TLS settings. */
    memset(&ext, 0, sizeof ext);
    REFUSED(mnet_ext_register((chann_type_t)5, NULL), 0, "NULL mnet_ext_t");
    REFUSED(mnet_ext_register((chann_type_t)3, &ext), 0, "not an extension type");
    REFUSED(mnet_ext_register((chann_type_t)8, &ext), 0, "not an extension type");
    REFUSED(mnet_ext_register((chann_type_t)5, &ext), 0, "every hook of mnet_ext_t is required");
    REFUSED(mnet_tls_config_set_cert_file(NULL, "a", "b"), 0, "unknown TLS configuration");
    {
        mnet_tls_config_t *cfg = mnet_tls_config_new();
        REFUSED(mnet_tls_config_set_ca_file(cfg, NULL), 0, "NULL");
        REFUSED(mnet_tls_config_set_ca_file(cfg, "/nonexistent/ca.pem"), 0, "/nonexistent/ca.pem");
        REFUSED(mnet_tls_config_set_ca_pem(cfg, "not PEM"), 0, "TLS: CA certificates: no PEM certificate found");
        CHECK(strstr(mnet_last_error() + 1, "TLS: CA") == NULL); /* said once */
        REFUSED(mnet_tls_config_set_cert_pem(cfg, "not PEM", "nor this"), 0,
                "TLS: certificate chain: no PEM certificate found");
        REFUSED(mnet_chann_set_server_name(client, NULL), 0, "NULL");
        mnet_tls_config_free(cfg);
        mnet_tls_config_free(NULL);
    }
    PASS("mnet_ext_register with NULL, a type outside 4-7 or a NULL hook, and bad TLS settings: refused");

    /* The channs still work. */
    CHECK_EQ(mnet_chann_send(client, buf, 10), 10);
    POLL_UNTIL(g_echoed == 10, 10, echo);
    PASS("after %d refusals the connection still echoes", g_refusals);
    mnet_fini();
    return 0;
}
