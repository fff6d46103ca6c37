/* m_net's extension interface with an extension written in C: type 5, an
 * XOR stream cipher over a raw STREAM chann (xor_ext.h), carries 1 GiB
 * byte-checked through the SEND pump and back (MNET_RWDATA_BYTES cuts it).
 * Checks that every hook runs where m_net runs it: open_cb after open,
 * listen_cb after listen, connect_cb after a connect starts, accept_cb on
 * the accepted chann before the program sees it (which is then of type 5),
 * disconnect_cb before the socket of a program's disconnect or close
 * closes, close_cb before the chann goes; that recv_fn/send_fn moved every
 * byte (their offsets count the whole transfer on both ends), and that a
 * send_fn taking less than it is offered (one frame per call) still gets the
 * rest at once; that the filter sees each message and
 * can drop one (a muted chann's TIMERs never reach the program); that
 * state_fn answers mnet_chann_state; and that a type registers once. */
#include "pump.h"
#include "xor_ext.h"

#define TYPE ((chann_type_t)5)

static struct {
    int opens, closes, listens, accepts, connects, disconnects, states, filtered, dropped;
    int disconnect_with_fd; /* disconnect_cb calls that found the socket still open */
} g_hooks;
static int g_ctx;

static void on_open(void *ctx, chann_t *n) {
    xor_ud_t *u = calloc(1, sizeof *u);
    CHECK_PTR_EQ(ctx, &g_ctx);
    CHECK_EQ(mnet_chann_type(n), TYPE);
    CHECK_EQ(mnet_chann_fd(n), -1); /* no socket yet */
    u->state = -1;
    mnet_ext_chann_set_ud(n, u);
    ++g_hooks.opens;
}

static void on_accept(void *ctx, chann_t *n) {
    xor_ud_t *u = calloc(1, sizeof *u);
    (void)ctx;
    CHECK_GE(mnet_chann_fd(n), 0);
    CHECK_EQ(mnet_chann_type(n), TYPE);
    u->state = -1;
    mnet_ext_chann_set_ud(n, u);
    ++g_hooks.accepts;
}

static void on_close(void *ctx, chann_t *n) {
    (void)ctx;
    free(mnet_ext_chann_get_ud(n));
    mnet_ext_chann_set_ud(n, NULL);
    ++g_hooks.closes;
}

static void on_listen(void *ctx, chann_t *n) {
    (void)ctx;
    CHECK_EQ(mnet_chann_state(n), CHANN_STATE_LISTENING);
    ++g_hooks.listens;
}

static void on_connect(void *ctx, chann_t *n) {
    (void)ctx;
    CHECK_GE(mnet_chann_fd(n), 0);
    CHECK_EQ(mnet_chann_state(n), CHANN_STATE_CONNECTING);
    ++g_hooks.connects;
}

static void on_disconnect(void *ctx, chann_t *n) {
    xor_ud_t *u = mnet_ext_chann_get_ud(n);
    (void)ctx;
    if (mnet_chann_fd(n) >= 0) ++g_hooks.disconnect_with_fd;
    if (u != NULL) u->sent = u->received = 0; /* a new connection starts a new stream */
    ++g_hooks.disconnects;
}

static int on_state(void *ctx, chann_t *n, int state) {
    xor_ud_t *u = mnet_ext_chann_get_ud(n);
    (void)ctx;
    ++g_hooks.states;
    return u != NULL && u->state >= 0 ? u->state : state;
}

static int on_filter(void *ctx, chann_msg_t *msg) {
    xor_ud_t *u = mnet_ext_chann_get_ud(msg->n);
    (void)ctx;
    ++g_hooks.filtered;
    if (msg->event == CHANN_EVENT_TIMER && u != NULL && u->mute_timer) {
        ++g_hooks.dropped;
        return 0;
    }
    return 1;
}

/* ---- the program: the rwdata pump over type 5 ---- */

static pump_t g;
static chann_t *g_listener, *g_server, *g_client, *g_watch;
static int g_server_lost, g_client_timers, g_watch_ticks;

static void on_msg(chann_msg_t *m) {
    if (m->n == g_watch) {
        ++g_watch_ticks;
    } else if (m->n == g_listener) {
        CHECK_EQ(m->event, CHANN_EVENT_ACCEPT);
        CHECK(g_server == NULL);
        CHECK_EQ(mnet_chann_type(m->r), TYPE);
        CHECK(mnet_ext_chann_get_ud(m->r) != NULL); /* accept_cb ran first */
        g_server = m->r;
    } else if (m->n == g_server) {
        if (m->event == CHANN_EVENT_DISCONNECT) {
            CHECK_EQ(m->err, 0);
            g_server_lost = 1;
            return;
        }
        CHECK_EQ(m->event, CHANN_EVENT_RECV);
        pump_serve(&g, m->n);
    } else if (m->event == CHANN_EVENT_CONNECTED) {
        mnet_chann_active_event(m->n, CHANN_EVENT_SEND, 1);
    } else if (m->event == CHANN_EVENT_SEND) {
        pump_send(&g, m->n);
    } else if (m->event == CHANN_EVENT_RECV) {
        pump_take_echo(&g, m->n);
    } else if (m->event == CHANN_EVENT_TIMER) {
        ++g_client_timers;
    } else {
        FAIL("client got event %d err %d", (int)m->event, m->err);
    }
}

int main(void) {
    xor_ud_t *cu, *su;
    mnet_ext_t ext = {0, &g_ctx, xor_raw_type, on_filter, on_open, on_close, on_listen, on_accept, on_connect,
                      on_disconnect, on_state, xor_recv, xor_send};
    g.total = pump_total();

    CHECK_EQ(mnet_ext_register(TYPE, &ext), 1);
    CHECK_EQ(mnet_ext_register(TYPE, &ext), 0);
    CHECK_CONTAINS(mnet_last_error(), "registered already");
    g_listener = check_listen(TYPE, 4);
    CHECK_EQ(mnet_chann_type(g_listener), TYPE);
    g_client = mnet_chann_open(TYPE);
    CHECK_EQ(mnet_chann_connect(g_client, "127.0.0.1", check_port(g_listener)), 1);
    CHECK_EQ(g_hooks.opens, 2);
    CHECK_EQ(g_hooks.listens, 1);
    CHECK_EQ(g_hooks.connects, 1);
    PASS("type 5 registered once; open_cb, listen_cb and connect_cb ran at open, listen and connect");

    POLL_UNTIL(g.echoed == g.total, 240, on_msg);
    cu = mnet_ext_chann_get_ud(g_client);
    su = mnet_ext_chann_get_ud(g_server);
    CHECK_EQ(g_hooks.accepts, 1);
    CHECK_EQ(cu->sent, g.total);
    CHECK_EQ(cu->received, g.total);
    CHECK_EQ(su->sent, g.total);
    CHECK_EQ(su->received, g.total);
    CHECK_EQ(g.received, g.total);
    CHECK_EQ(mnet_chann_bytes(g_client, 1), g.total);
    CHECK_EQ(mnet_chann_bytes(g_server, 0), g.total);
    CHECK_EQ(mnet_chann_cached(g_client), 0);
    CHECK_EQ(mnet_chann_cached(g_server), 0);
    CHECK_GT(g_hooks.filtered, 0);
    PASS("%lld bytes through the XOR extension and back, byte-checked: its recv_fn/send_fn moved every byte on "
         "both ends; accept_cb ran on the accepted chann first",
         g.total);

    g_hooks.states = 0;
    CHECK_EQ(mnet_chann_state(g_client), CHANN_STATE_CONNECTED);
    cu->state = CHANN_STATE_CONNECTING;
    CHECK_EQ(mnet_chann_state(g_client), CHANN_STATE_CONNECTING);
    cu->state = -1;
    CHECK_EQ(g_hooks.states, 2);
    PASS("state_fn answers mnet_chann_state");

    cu->mute_timer = 1;
    mnet_chann_active_event(g_client, CHANN_EVENT_TIMER, 10);
    g_watch = mnet_chann_open(CHANN_TYPE_STREAM); /* a plain chann: its timer is not filtered */
    mnet_chann_active_event(g_watch, CHANN_EVENT_TIMER, 10);
    POLL_UNTIL(g_watch_ticks >= 10, 10, on_msg);
    CHECK_EQ(g_client_timers, 0);
    CHECK_GT(g_hooks.dropped, 0);
    cu->mute_timer = 0;
    POLL_UNTIL(g_client_timers > 0, 10, on_msg);
    mnet_chann_active_event(g_client, CHANN_EVENT_TIMER, 0);
    PASS("the filter dropped %d TIMERs of the muted chann (none reached the program), then let them through",
         g_hooks.dropped);

    /* A send_fn that takes less than it is offered while the socket could take
     * more (one frame per call): the rest must go at once, not wait for the
     * socket to report writable again (it will not: it never filled, and
     * nothing comes back to wake the chann up: the server does not echo). */
    cu->send_cap = 7;
    g.one_way = 1;
    g.total = g.sent + 100;
    mnet_chann_active_event(g_client, CHANN_EVENT_SEND, 1); /* one SEND: the last 100 bytes */
    POLL_UNTIL(g.received == g.total, 10, on_msg);
    CHECK_EQ(mnet_chann_cached(g_client), 0);
    cu->send_cap = 0;
    PASS("a send_fn taking 7 bytes per call: a 100-byte send arrives whole, with nothing coming back");

    mnet_chann_disconnect(g_client);
    CHECK_EQ(g_hooks.disconnects, 1);
    CHECK_EQ(g_hooks.disconnect_with_fd, 1);
    POLL_UNTIL(g_server_lost, 10, on_msg);
    CHECK_EQ(g_hooks.disconnects, 2); /* the server's lost connection too */
    PASS("disconnect_cb before the socket of mnet_chann_disconnect closes, and for the peer's lost connection");

    mnet_chann_close(g_server);
    mnet_chann_close(g_client);
    mnet_chann_close(g_listener);
    mnet_chann_close(g_watch);
    CHECK_EQ(g_hooks.closes, 3);
    CHECK_EQ(g_hooks.disconnects, 3); /* the listener's socket */
    CHECK_EQ(mnet_poll(0), 0);
    PASS("close_cb for each of the three type 5 channs, disconnect_cb for the listener's socket");

    g_listener = check_listen(TYPE, 1);
    g_client = mnet_chann_open(TYPE);
    mnet_fini();
    CHECK_EQ(g_hooks.closes, 5);
    CHECK_EQ(g_hooks.disconnects, 4); /* the listener had a socket, the client none */
    PASS("mnet_fini runs close_cb (and disconnect_cb for a socket) for the type 5 channs still open");
    return 0;
}
