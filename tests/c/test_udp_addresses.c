/* UDP with addresses, m_net's way: mnet_dgram_send from an unbound DGRAM
 * chann (bound to a free port on the fly) to a bound one, mnet_dgram_recv
 * reporting the real sender in a NUL-padded chann_addr_t, replies to that
 * address and to the "stored" last peer with mnet_chann_send (as m_net's
 * echo_udp_cnt does), one datagram per call; a connected DGRAM chann
 * (connected at once, no event) with mnet_chann_send/recv and its peer
 * address; and IPv6 through mnet_ext.h's text addresses, where chann_addr_t
 * (17 bytes of IPv4 text) stays empty but the port is filled. */
#include "check.h"

static chann_t *g_server, *g_client, *g_conn;
static int g_server_recv, g_client_recv, g_conn_recv;

static void count(chann_msg_t *m) {
    CHECK_EQ(m->event, CHANN_EVENT_RECV);
    if (m->n == g_server) ++g_server_recv;
    else if (m->n == g_client) ++g_client_recv;
    else if (m->n == g_conn) ++g_conn_recv;
    else FAIL("RECV for an unknown chann");
}

/* Reads one datagram of `n` and checks its text and its sender (port 0: any). */
static void expect(chann_t *n, const char *text, int from_port, const char *from_ip) {
    char buf[64];
    chann_addr_t from;
    int got;
    memset(&from, 0x55, sizeof from);
    got = mnet_dgram_recv(n, &from, buf, sizeof buf);
    CHECK_EQ(got, (int)strlen(text));
    CHECK(memcmp(buf, text, (size_t)got) == 0);
    CHECK_STR_EQ(from.ip, from_ip);
    for (size_t i = strlen(from_ip); i < sizeof from.ip; i++) CHECK_EQ(from.ip[i], 0);
    if (from_port != 0) CHECK_EQ(from.port, from_port);
}

static void ipv4(void) {
    chann_addr_t server_addr, client_addr, peer;
    char buf[64];
    g_server = mnet_chann_open(CHANN_TYPE_DGRAM);
    CHECK_EQ(mnet_chann_listen(g_server, "127.0.0.1", 0, 0), 1);
    CHECK_EQ(mnet_chann_state(g_server), CHANN_STATE_LISTENING);
    CHECK_EQ(mnet_chann_socket_addr(g_server, &server_addr), 1);
    CHECK_STR_EQ(server_addr.ip, "127.0.0.1");
    CHECK_NE(server_addr.port, 0);

    g_client = mnet_chann_open(CHANN_TYPE_DGRAM);
    CHECK_EQ(mnet_chann_state(g_client), CHANN_STATE_DISCONNECT);
    CHECK_EQ(mnet_dgram_send(g_client, &server_addr, "ping-1", 6), 6);
    CHECK_EQ(mnet_chann_state(g_client), CHANN_STATE_LISTENING);
    CHECK_EQ(mnet_chann_socket_addr(g_client, &client_addr), 1);
    CHECK_NE(client_addr.port, 0);
    CHECK_EQ(mnet_dgram_send(g_client, &server_addr, "ping-2", 6), 6);
    PASS("mnet_dgram_send from an unbound DGRAM chann binds it to a free port (state LISTENING)");

    POLL_UNTIL(g_server_recv > 0, 10, count);
    expect(g_server, "ping-1", client_addr.port, "127.0.0.1");
    expect(g_server, "ping-2", client_addr.port, "127.0.0.1");
    CHECK_EQ(mnet_dgram_recv(g_server, NULL, buf, sizeof buf), 0);
    PASS("mnet_dgram_recv: one datagram per call, the sender 127.0.0.1:%d in a NUL-padded chann_addr_t, 0 when "
         "none is left",
         client_addr.port);

    peer = client_addr;
    strcpy(peer.ip, "127.0.0.1");
    CHECK_EQ(mnet_dgram_send(g_server, &peer, "pong-1", 6), 6);
    CHECK_EQ(mnet_chann_send(g_server, "pong-2", 6), 6); /* to the stored address: the last sender */
    POLL_UNTIL(g_client_recv > 0, 10, count);
    expect(g_client, "pong-1", server_addr.port, "127.0.0.1");
    CHECK_EQ(mnet_chann_recv(g_client, buf, sizeof buf), 6);
    CHECK(memcmp(buf, "pong-2", 6) == 0);
    PASS("replies reach the sender: to its address, and with mnet_chann_send to the last peer");

    CHECK_EQ(mnet_chann_send(g_client, "again", 5), 5); /* the client's last peer: the server */
    g_server_recv = 0;
    POLL_UNTIL(g_server_recv > 0, 10, count);
    expect(g_server, "again", client_addr.port, "127.0.0.1");
    PASS("m_net's echo_udp_cnt: mnet_chann_send on the client goes to the server it last heard from");

    g_conn = mnet_chann_open(CHANN_TYPE_DGRAM);
    CHECK_EQ(mnet_chann_connect(g_conn, "127.0.0.1", server_addr.port), 1);
    CHECK_EQ(mnet_chann_state(g_conn), CHANN_STATE_CONNECTED);
    CHECK_EQ(mnet_chann_peer_addr(g_conn, &peer), 1);
    CHECK_STR_EQ(peer.ip, "127.0.0.1");
    CHECK_EQ(peer.port, server_addr.port);
    CHECK_EQ(mnet_chann_send(g_conn, "connected", 9), 9);
    g_server_recv = 0;
    POLL_UNTIL(g_server_recv > 0, 10, count);
    CHECK_EQ(mnet_chann_socket_addr(g_conn, &client_addr), 1);
    expect(g_server, "connected", client_addr.port, "127.0.0.1");
    CHECK_EQ(mnet_chann_send(g_server, "back", 4), 4);
    POLL_UNTIL(g_conn_recv > 0, 10, count);
    CHECK_EQ(mnet_chann_recv(g_conn, buf, sizeof buf), 4);
    CHECK(memcmp(buf, "back", 4) == 0);
    PASS("a connected DGRAM chann: CONNECTED at once (no event), mnet_chann_send/recv, its peer address");

    mnet_chann_close(g_conn);
    mnet_chann_close(g_client);
    mnet_chann_close(g_server);
}

static void ipv6(void) {
    char text[64], buf[64];
    chann_addr_t from;
    int port;
    g_server = mnet_chann_open(CHANN_TYPE_DGRAM);
    if (mnet_chann_listen_addr(g_server, "[::1]:0", 0) != 1) {
        printf("SKIPPED: IPv6 over UDP (no ::1 here: %s)\n", mnet_last_error());
        mnet_chann_close(g_server);
        return;
    }
    CHECK_GT(mnet_chann_addr_text(g_server, 0, text, sizeof text), 0);
    CHECK(strncmp(text, "[::1]:", 6) == 0);
    port = atoi(text + 6);
    CHECK_EQ(mnet_chann_socket_addr(g_server, &from), 0); /* IPv6 does not fit chann_addr_t */
    CHECK_CONTAINS(mnet_last_error(), "mnet_chann_addr_text");

    g_client = mnet_chann_open(CHANN_TYPE_DGRAM);
    CHECK_EQ(mnet_dgram_send_text(g_client, text, "six", 3), 3);
    CHECK_EQ(mnet_dgram_send_text(g_client, text, "more", 4), 4);
    g_server_recv = 0;
    POLL_UNTIL(g_server_recv > 0, 10, count);
    CHECK_EQ(mnet_dgram_recv_text(g_server, text, sizeof text, buf, sizeof buf), 3);
    CHECK(memcmp(buf, "six", 3) == 0);
    CHECK(strncmp(text, "[::1]:", 6) == 0);
    memset(&from, 0x55, sizeof from);
    CHECK_EQ(mnet_dgram_recv(g_server, &from, buf, sizeof buf), 4);
    CHECK_EQ(from.ip[0], 0);
    CHECK_EQ(from.port, atoi(text + 6));
    CHECK_EQ(mnet_chann_send(g_server, "reply", 5), 5);
    g_client_recv = 0;
    POLL_UNTIL(g_client_recv > 0, 10, count);
    CHECK_EQ(mnet_dgram_recv_text(g_client, text, sizeof text, buf, sizeof buf), 5);
    CHECK_EQ(atoi(strrchr(text, ':') + 1), port);
    PASS("IPv6: text addresses ([::1]:port) both ways; chann_addr_t gets the port and an empty ip");
    mnet_chann_close(g_client);
    mnet_chann_close(g_server);
}

int main(void) {
    ipv4();
    ipv6();
    CHECK_EQ(mnet_poll(0), 0);
    mnet_fini();
    return 0;
}
