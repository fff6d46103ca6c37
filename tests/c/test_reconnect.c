/* 256 client channs connect, exchange one message and reconnect the same
 * chann 5 times. The server echoes on RECV, turns SEND on, and closes the
 * accepted chann on SEND (its echo has left): so every round proves ACCEPT,
 * CONNECTED, RECV, SEND and DISCONNECT exactly once per connection, data
 * before the FIN, a chann reconnecting after DISCONNECT (it stays open: the
 * program closes it), and mnet_poll() reaching 0 once every chann is closed. */
#include "check.h"
#include "fd_limit.h"

#define CLIENTS 256
#define ROUNDS 5

typedef struct {
    chann_t *n;
    int id, round;
    int state; /* 0 connecting, 1 sent, 2 echo received */
    char msg[64];
    int msg_len;
    char got[64];
    int got_len;
} client_t;

static client_t g_clients[CLIENTS];
static chann_t *g_listener;
static int g_port;
static int g_server_tag; /* the opaque of the server's accepted channs */
static struct {
    int accepts, server_recvs, server_sends, connected, echoes, disconnects, finished;
} g;

static void start(client_t *c) {
    CHECK_EQ(mnet_chann_connect(c->n, "127.0.0.1", g_port), 1);
    CHECK_EQ(mnet_chann_state(c->n), CHANN_STATE_CONNECTING);
}

static void on_server_conn(chann_msg_t *m) {
    char buf[64];
    int n;
    if (m->event == CHANN_EVENT_RECV) {
        n = mnet_chann_recv(m->n, buf, sizeof buf);
        if (n <= 0) return; /* the end of the stream: DISCONNECT follows */
        ++g.server_recvs;
        CHECK_EQ(mnet_chann_send(m->n, buf, n), n);
        mnet_chann_active_event(m->n, CHANN_EVENT_SEND, 1);
    } else if (m->event == CHANN_EVENT_SEND) {
        ++g.server_sends;
        CHECK_EQ(mnet_chann_cached(m->n), 0);
        mnet_chann_close(m->n);
    } else {
        FAIL("server connection got event %d err %d", (int)m->event, m->err);
    }
}

static void on_client(client_t *c, chann_msg_t *m) {
    int n;
    switch (m->event) {
    case CHANN_EVENT_CONNECTED:
        ++g.connected;
        CHECK_EQ(c->state, 0);
        c->state = 1;
        c->msg_len = snprintf(c->msg, sizeof c->msg, "client %d round %d", c->id, c->round);
        CHECK_EQ(mnet_chann_send(m->n, c->msg, c->msg_len), c->msg_len);
        break;
    case CHANN_EVENT_RECV:
        n = mnet_chann_recv(m->n, c->got + c->got_len, (int)sizeof c->got - c->got_len);
        if (n <= 0) return;
        c->got_len += n;
        if (c->got_len == c->msg_len) {
            CHECK(memcmp(c->got, c->msg, (size_t)c->msg_len) == 0);
            ++g.echoes;
            c->state = 2;
        }
        break;
    case CHANN_EVENT_DISCONNECT:
        ++g.disconnects;
        CHECK_EQ(m->err, 0);
        CHECK_EQ(c->state, 2); /* the echo arrived before the FIN */
        CHECK_EQ(mnet_chann_state(m->n), CHANN_STATE_DISCONNECT);
        c->state = 0;
        c->got_len = 0;
        if (++c->round < ROUNDS) {
            start(c);
        } else {
            ++g.finished;
            mnet_chann_close(m->n);
        }
        break;
    default:
        FAIL("client %d got event %d", c->id, (int)m->event);
    }
}

static void on_msg(chann_msg_t *m) {
    if (m->n == g_listener) {
        CHECK_EQ(m->event, CHANN_EVENT_ACCEPT);
        CHECK(m->r != NULL);
        ++g.accepts;
        mnet_chann_set_opaque(m->r, &g_server_tag);
    } else if (m->opaque == &g_server_tag) {
        on_server_conn(m);
    } else {
        CHECK(m->opaque != NULL);
        on_client((client_t *)m->opaque, m);
    }
}

int main(void) {
    int i, total;
    /* Both ends of every client's connection live in this process. */
    if (!fd_limit_raise((rlim_t)(fd_limit_open() + 2 * CLIENTS + 64), "256 reconnecting clients")) return 0;
    CHECK_EQ(mnet_init(), 1);
    CHECK_EQ(mnet_init(), 0);

    g_listener = check_listen(CHANN_TYPE_STREAM, 1024);
    g_port = check_port(g_listener);
    CHECK_NE(g_port, 0);
    for (i = 0; i < CLIENTS; i++) {
        g_clients[i].id = i;
        g_clients[i].n = mnet_chann_open(CHANN_TYPE_STREAM);
        CHECK(g_clients[i].n != NULL);
        mnet_chann_set_opaque(g_clients[i].n, &g_clients[i]);
        start(&g_clients[i]);
    }
    POLL_UNTIL(g.finished == CLIENTS, 120, on_msg);

    total = CLIENTS * ROUNDS;
    CHECK_EQ(g.accepts, total);
    CHECK_EQ(g.connected, total);
    CHECK_EQ(g.server_recvs, total);
    CHECK_EQ(g.server_sends, total);
    CHECK_EQ(g.echoes, total);
    CHECK_EQ(g.disconnects, total);
    PASS("256 clients x 5 rounds: exactly one ACCEPT, CONNECTED, echo, SEND and DISCONNECT per connection");

    CHECK_EQ(mnet_poll(0), 1); /* the listener */
    mnet_chann_close(g_listener);
    CHECK_EQ(mnet_poll(0), 0);
    PASS("mnet_poll returns 0 once every chann is closed");
    mnet_fini();
    return 0;
}
