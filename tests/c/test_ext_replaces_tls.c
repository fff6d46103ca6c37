/* Registering extension type 4 replaces mnet's built-in TLS for that type,
 * and an extension shaped like m_net's OpenSSL one (extension/openssl/
 * mnet_tls.c) works: its handshake runs in the filter on the raw socket,
 * holding back CONNECTED and ACCEPT until it is done and rewriting messages
 * (an accepted chann's RECV becomes the listener's ACCEPT, with n and r
 * swapped, as SSL_accept's completion does there). The "handshake" is a
 * 4-byte hello each way, then the XOR stream of xor_ext.h. Checks:
 *   - mnet_chann_open(CHANN_TYPE_TLS) makes the extension's chann: the TLS
 *     settings of mnet_ext.h do not apply to it;
 *   - state_fn's view: CONNECTING until the handshake is done, recv and
 *     send refused meanwhile;
 *   - ACCEPT and CONNECTED reach the program only after the handshake, once;
 *     data goes both ways;
 *   - on the wire (a plain socket as the peer, both ways): the hello, then
 *     XORed bytes, no TLS record. */
#define _POSIX_C_SOURCE 200809L
#include "raw_socket.h"
#include "xor_ext.h"

#define HELLO "MNX1"

/* ---- the extension ---- */

static int g_hellos_sent; /* by clients */

static void on_open(void *ctx, chann_t *n) {
    xor_ud_t *u = calloc(1, sizeof *u);
    (void)ctx;
    u->state = CHANN_STATE_DISCONNECT;
    mnet_ext_chann_set_ud(n, u);
}

static void on_close(void *ctx, chann_t *n) {
    (void)ctx;
    free(mnet_ext_chann_get_ud(n));
    mnet_ext_chann_set_ud(n, NULL);
}

static void on_listen(void *ctx, chann_t *n) { /* a listener has no handshake: no ud, its raw state */
    (void)ctx;
    free(mnet_ext_chann_get_ud(n));
    mnet_ext_chann_set_ud(n, NULL);
}

static void on_accept(void *ctx, chann_t *n) {
    xor_ud_t *u = calloc(1, sizeof *u);
    (void)ctx;
    u->state = CHANN_STATE_CONNECTING; /* the server side of a handshake */
    mnet_ext_chann_set_ud(n, u);
}

static void on_connect(void *ctx, chann_t *n) {
    xor_ud_t *u = mnet_ext_chann_get_ud(n);
    (void)ctx;
    u->state = CHANN_STATE_CONNECTING;
    u->sent = u->received = 0;
    u->hello = 0;
    u->listener = NULL;
}

static void on_disconnect(void *ctx, chann_t *n) {
    xor_ud_t *u = mnet_ext_chann_get_ud(n);
    (void)ctx;
    if (u != NULL) u->state = CHANN_STATE_DISCONNECT;
}

static int on_state(void *ctx, chann_t *n, int state) {
    xor_ud_t *u = mnet_ext_chann_get_ud(n);
    (void)ctx;
    return u != NULL ? u->state : state;
}

/* Reads what is left of the peer's hello from the raw socket: 1 when it is
 * complete, 0 for more later, -1 when it is wrong. */
static int read_hello(chann_t *n, xor_ud_t *u) {
    char buf[4];
    ssize_t r = recv(mnet_chann_fd(n), buf, (size_t)(4 - u->hello), MSG_DONTWAIT);
    if (r <= 0) return r == 0 ? -1 : 0;
    if (memcmp(buf, HELLO + u->hello, (size_t)r) != 0) return -1;
    u->hello += (int)r;
    return u->hello == 4;
}

static int on_filter(void *ctx, chann_msg_t *msg) {
    xor_ud_t *u;
    int done;
    (void)ctx;
    switch (msg->event) {
    case CHANN_EVENT_ACCEPT: /* held back until the new chann's handshake is done */
        u = mnet_ext_chann_get_ud(msg->r);
        u->listener = msg->n;
        return 0;
    case CHANN_EVENT_CONNECTED: /* the socket connected: say hello, then wait for the answer */
        u = mnet_ext_chann_get_ud(msg->n);
        CHECK_EQ(send(mnet_chann_fd(msg->n), HELLO, 4, MSG_NOSIGNAL), 4);
        ++g_hellos_sent;
        return 0;
    case CHANN_EVENT_RECV:
        u = mnet_ext_chann_get_ud(msg->n);
        if (u == NULL || u->state == CHANN_STATE_CONNECTED) return 1;
        done = read_hello(msg->n, u);
        if (done == 0) return 0;
        if (done < 0) {
            mnet_chann_disconnect(msg->n);
            if (u->listener != NULL) return 0; /* a failed accept is nobody's business */
            msg->event = CHANN_EVENT_DISCONNECT;
            msg->err = EPROTO;
            return 1;
        }
        u->state = CHANN_STATE_CONNECTED;
        if (u->listener != NULL) { /* the server side: answer, and now it is an ACCEPT */
            CHECK_EQ(send(mnet_chann_fd(msg->n), HELLO, 4, MSG_NOSIGNAL), 4);
            msg->event = CHANN_EVENT_ACCEPT;
            msg->r = msg->n;
            msg->n = u->listener;
            msg->opaque = mnet_chann_get_opaque(u->listener);
            u->listener = NULL;
        } else {
            msg->event = CHANN_EVENT_CONNECTED;
        }
        return 1;
    default:
        return 1;
    }
}

/* ---- plain sockets as the peer ---- */

/* Reads exactly n bytes (blocking), after a round that writes what the
 * program sent (small sends leave at the end of a round). */
static void on_msg(chann_msg_t *m);
static void read_all(int fd, void *buf, int n) {
    chann_msg_t *m;
    int got = 0;
    CHECK_GE(mnet_poll(0), 0);
    while ((m = mnet_result_next()) != NULL) on_msg(m);
    while (got < n) {
        ssize_t r = read(fd, (char *)buf + got, (size_t)(n - got));
        CHECK_GT(r, 0);
        got += (int)r;
    }
}

/* ---- the program ---- */

static chann_t *g_listener, *g_client, *g_server;
static int g_accepts, g_connected, g_server_recv, g_client_recv;
static char g_got[64];
static int g_got_len;

static void on_msg(chann_msg_t *m) {
    int n;
    if (m->n == g_listener) {
        CHECK_EQ(m->event, CHANN_EVENT_ACCEPT);
        CHECK(m->r != NULL);
        CHECK_EQ(mnet_chann_state(m->r), CHANN_STATE_CONNECTED);
        ++g_accepts;
        g_server = m->r;
    } else if (m->n == g_server) {
        if (m->event == CHANN_EVENT_DISCONNECT) return; /* the plain client went away */
        CHECK_EQ(m->event, CHANN_EVENT_RECV);
        n = mnet_chann_recv(m->n, g_got + g_got_len, (int)sizeof g_got - g_got_len);
        if (n > 0) g_got_len += n;
        ++g_server_recv;
    } else if (m->n == g_client) {
        if (m->event == CHANN_EVENT_CONNECTED) {
            CHECK_EQ(mnet_chann_state(m->n), CHANN_STATE_CONNECTED);
            ++g_connected;
        } else {
            CHECK_EQ(m->event, CHANN_EVENT_RECV);
            n = mnet_chann_recv(m->n, g_got + g_got_len, (int)sizeof g_got - g_got_len);
            if (n > 0) g_got_len += n;
            ++g_client_recv;
        }
    } else {
        FAIL("a message for a chann the program does not know yet: event %d", (int)m->event);
    }
}

int main(void) {
    mnet_ext_t ext = {0, NULL, xor_raw_type, on_filter, on_open, on_close, on_listen, on_accept, on_connect,
                      on_disconnect, on_state, xor_recv, xor_send};
    mnet_tls_config_t *tls = mnet_tls_config_new();
    unsigned char wire[32], expect[32];
    char buf[16];
    int port, fd, i, lfd, raw_port;

    CHECK_EQ(mnet_ext_register(CHANN_TYPE_TLS, &ext), 1);
    g_listener = mnet_chann_open(CHANN_TYPE_TLS);
    CHECK(g_listener != NULL);
    CHECK_EQ(mnet_chann_type(g_listener), CHANN_TYPE_TLS);
    CHECK_EQ(mnet_chann_set_tls(g_listener, tls), 0); /* rustls is not behind type 4 any more */
    mnet_tls_config_free(tls);
    CHECK_EQ(mnet_chann_listen(g_listener, "127.0.0.1", 0, 8), 1); /* no certificate needed */
    port = check_port(g_listener);
    PASS("type 4 registered: a CHANN_TYPE_TLS chann is the extension's (mnet_chann_set_tls refuses it: \"%s\")",
         mnet_last_error());

    g_client = mnet_chann_open(CHANN_TYPE_TLS);
    CHECK_EQ(mnet_chann_connect(g_client, "127.0.0.1", port), 1);
    CHECK_EQ(mnet_chann_state(g_client), CHANN_STATE_CONNECTING);
    CHECK_EQ(mnet_chann_send(g_client, "early", 5), -1);
    CHECK_CONTAINS(mnet_last_error(), "state 2");
    POLL_UNTIL(g_accepts == 1 && g_connected == 1, 10, on_msg);
    CHECK_EQ(mnet_chann_type(g_server), CHANN_TYPE_TLS);
    PASS("CONNECTED and ACCEPT (rewritten from the accepted chann's RECV) came once each, after the hellos; "
         "CONNECTING and send refused before");

    CHECK_EQ(mnet_chann_send(g_client, "to server", 9), 9);
    POLL_UNTIL(g_got_len == 9, 10, on_msg);
    CHECK(memcmp(g_got, "to server", 9) == 0);
    g_got_len = 0;
    CHECK_EQ(mnet_chann_send(g_server, "to client", 9), 9);
    POLL_UNTIL(g_got_len == 9, 10, on_msg);
    CHECK(memcmp(g_got, "to client", 9) == 0);
    PASS("data both ways through the extension once the handshake is done");
    mnet_chann_close(g_client);
    mnet_chann_close(g_server);
    g_server = NULL;
    g_got_len = 0;

    /* A plain socket as the client: what the extension's server sends on the wire. */
    fd = raw_connect(port);
    CHECK_EQ(write(fd, HELLO, 4), 4);
    memcpy(wire, "plain text", 10);
    xor_apply(wire, 10, 0);
    CHECK_EQ(write(fd, wire, 10), 10);
    POLL_UNTIL(g_accepts == 2 && g_got_len == 10, 10, on_msg);
    CHECK(memcmp(g_got, "plain text", 10) == 0);
    CHECK_EQ(mnet_chann_send(g_server, "answer", 6), 6);
    read_all(fd, wire, 4 + 6);
    CHECK(memcmp(wire, HELLO, 4) == 0);
    memcpy(expect, "answer", 6);
    xor_apply(expect, 6, 0);
    CHECK(memcmp(wire + 4, expect, 6) == 0);
    CHECK(memcmp(wire + 4, "answer", 6) != 0);
    close(fd);
    PASS("on the wire from the server: the hello, then the XORed answer (no TLS record)");

    /* A plain listening socket as the server: what the extension's client sends. */
    lfd = raw_listen(&raw_port);
    g_client = mnet_chann_open(CHANN_TYPE_TLS);
    g_connected = 0;
    CHECK_EQ(mnet_chann_connect(g_client, "127.0.0.1", raw_port), 1);
    i = g_hellos_sent;
    POLL_UNTIL(g_hellos_sent == i + 1, 10, on_msg); /* the connect completes, the hello goes out */
    CHECK_EQ(mnet_chann_state(g_client), CHANN_STATE_CONNECTING);
    fd = accept(lfd, NULL, NULL);
    CHECK_GE(fd, 0);
    read_all(fd, buf, 4);
    CHECK(memcmp(buf, HELLO, 4) == 0); /* not 0x16 0x03: a TLS ClientHello */
    CHECK_EQ(write(fd, HELLO, 4), 4);
    POLL_UNTIL(g_connected == 1, 10, on_msg);
    CHECK_EQ(mnet_chann_send(g_client, "request", 7), 7);
    read_all(fd, wire, 7);
    memcpy(expect, "request", 7);
    xor_apply(expect, 7, 0);
    CHECK(memcmp(wire, expect, 7) == 0);
    close(fd);
    close(lfd);
    PASS("on the wire from the client: the hello (no TLS ClientHello), then XORed bytes");
    mnet_fini();
    return 0;
}
