/* Bulk data through the SEND pump, m_net's test_rwdata (pump.h): 1 GiB in
 * 256 KiB chunks, one per CHANN_EVENT_SEND, checked at the server and after
 * the echo; the byte counters and the queues agree; then the client's
 * disconnect is the server's DISCONNECT (err 0). */
#include "pump.h"

static pump_t g;
static chann_t *g_listener, *g_server, *g_client;
static int g_server_lost;

static void on_server(chann_msg_t *m) {
    if (m->event == CHANN_EVENT_RECV) {
        pump_serve(&g, m->n);
    } else if (m->event == CHANN_EVENT_DISCONNECT) {
        CHECK_EQ(m->err, 0);
        g_server_lost = 1;
    } else {
        FAIL("server got event %d err %d", (int)m->event, m->err);
    }
}

static void on_client(chann_msg_t *m) {
    if (m->event == CHANN_EVENT_CONNECTED) {
        mnet_chann_active_event(m->n, CHANN_EVENT_SEND, 1);
    } else if (m->event == CHANN_EVENT_SEND) {
        pump_send(&g, m->n);
    } else if (m->event == CHANN_EVENT_RECV) {
        pump_take_echo(&g, m->n);
    } else {
        FAIL("client got event %d err %d", (int)m->event, m->err);
    }
}

static void on_msg(chann_msg_t *m) {
    if (m->n == g_listener) {
        CHECK_EQ(m->event, CHANN_EVENT_ACCEPT);
        CHECK(g_server == NULL);
        g_server = m->r;
    } else if (m->n == g_server) {
        on_server(m);
    } else {
        CHECK_PTR_EQ(m->n, g_client);
        on_client(m);
    }
}

int main(void) {
    g.total = pump_total();

    g_listener = check_listen(CHANN_TYPE_STREAM, 4);
    g_client = mnet_chann_open(CHANN_TYPE_STREAM);
    CHECK_EQ(mnet_chann_connect(g_client, "127.0.0.1", check_port(g_listener)), 1);
    POLL_UNTIL(g.echoed == g.total, 240, on_msg);

    CHECK_EQ(g.sent, g.total);
    CHECK_EQ(g.received, g.total);
    CHECK_EQ(mnet_chann_bytes(g_client, 1), g.total);
    CHECK_EQ(mnet_chann_bytes(g_client, 0), g.total);
    CHECK_EQ(mnet_chann_bytes(g_server, 0), g.total);
    CHECK_EQ(mnet_chann_bytes(g_server, 1), g.total);
    CHECK_EQ(g.send_events, (g.total + PUMP_CHUNK - 1) / PUMP_CHUNK);
    CHECK_EQ(mnet_chann_cached(g_client), 0);
    CHECK_EQ(mnet_chann_cached(g_server), 0);
    PASS("%lld bytes pumped by SEND in 256 KiB chunks, byte-checked at the server and after the echo", g.total);

    mnet_chann_disconnect(g_client);
    CHECK_EQ(mnet_chann_state(g_client), CHANN_STATE_DISCONNECT);
    POLL_UNTIL(g_server_lost, 10, on_msg);
    PASS("the server sees DISCONNECT (err 0) after the client's mnet_chann_disconnect; the client sees nothing");
    mnet_chann_close(g_server);
    mnet_chann_close(g_client);
    mnet_chann_close(g_listener);
    CHECK_EQ(mnet_poll(0), 0);
    mnet_fini();
    return 0;
}
