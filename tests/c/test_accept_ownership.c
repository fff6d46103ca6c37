/* ACCEPT hands the program a new connected chann in msg->r, and it is the
 * program's (m_net's rule; the C++ face's ACCEPT temporaries work
 * otherwise): it stays open however the program treats the message, counts
 * in mnet_poll's return, carries the opaque the program gives it into its
 * own messages, and closes only with mnet_chann_close (the peer then sees
 * the end) or mnet_fini. msg->r is NULL on every other message. */
#include "check.h"

static chann_t *g_listener, *g_accepted[3];
static int g_accepts, g_client_recv, g_client_lost[3], g_server_recv;
static chann_t *g_clients[3];
static int g_tag;

static void on_msg(chann_msg_t *m) {
    int i;
    if (m->event != CHANN_EVENT_ACCEPT) CHECK(m->r == NULL);
    if (m->n == g_listener) {
        CHECK_EQ(m->event, CHANN_EVENT_ACCEPT);
        CHECK(m->r != NULL);
        CHECK_EQ(mnet_chann_state(m->r), CHANN_STATE_CONNECTED);
        CHECK_EQ(mnet_chann_type(m->r), CHANN_TYPE_STREAM);
        CHECK(mnet_chann_get_opaque(m->r) == NULL);
        g_accepted[g_accepts++] = m->r; /* kept, nothing else done with it now */
        return;
    }
    if (m->opaque == &g_tag) {
        CHECK_EQ(m->event, CHANN_EVENT_RECV);
        ++g_server_recv;
        return;
    }
    for (i = 0; i < 3; i++) {
        if (m->n != g_clients[i]) continue;
        if (m->event == CHANN_EVENT_RECV) ++g_client_recv;
        else if (m->event == CHANN_EVENT_DISCONNECT) ++g_client_lost[i];
        else CHECK_EQ(m->event, CHANN_EVENT_CONNECTED);
        return;
    }
}

int main(void) {
    char buf[16];
    int i, port;
    g_listener = check_listen(CHANN_TYPE_STREAM, 8);
    port = check_port(g_listener);
    for (i = 0; i < 3; i++) {
        g_clients[i] = mnet_chann_open(CHANN_TYPE_STREAM);
        CHECK_EQ(mnet_chann_connect(g_clients[i], "127.0.0.1", port), 1);
    }
    POLL_UNTIL(g_accepts == 3, 10, on_msg);
    CHECK_EQ(mnet_poll(0), 7);
    CHECK_EQ(mnet_report(0), 7);
    PASS("three ACCEPTs: each msg->r a connected STREAM chann; mnet_poll counts them (listener + 3 + 3)");

    /* Rounds go by; the accepted channs stay, their peers hear nothing. */
    {
        const int64_t until = mnet_tm_current() + 100 * 1000;
        while (mnet_tm_current() < until) {
            chann_msg_t *m;
            CHECK_GE(mnet_poll(10), 0);
            while ((m = mnet_result_next()) != NULL) on_msg(m);
        }
    }
    for (i = 0; i < 3; i++) {
        CHECK_EQ(g_client_lost[i], 0);
        CHECK_EQ(mnet_chann_state(g_accepted[i]), CHANN_STATE_CONNECTED);
    }
    CHECK_EQ(mnet_poll(0), 7);
    PASS("an accepted chann left alone stays open: no close, no DISCONNECT at its peer");

    mnet_chann_set_opaque(g_accepted[0], &g_tag);
    CHECK_EQ(mnet_chann_send(g_clients[0], "to-0", 4), 4);
    POLL_UNTIL(g_server_recv > 0, 10, on_msg);
    CHECK_EQ(mnet_chann_recv(g_accepted[0], buf, sizeof buf), 4);
    CHECK_EQ(mnet_chann_send(g_accepted[0], "back", 4), 4);
    POLL_UNTIL(g_client_recv > 0, 10, on_msg);
    CHECK_EQ(mnet_chann_recv(g_clients[0], buf, sizeof buf), 4);
    CHECK(memcmp(buf, "back", 4) == 0);
    PASS("the program's opaque on msg->r comes back in its messages; it receives and sends");

    mnet_chann_close(g_accepted[1]);
    CHECK_EQ(mnet_chann_state(g_accepted[1]), CHANN_STATE_CLOSED);
    POLL_UNTIL(g_client_lost[1] == 1, 10, on_msg);
    CHECK_EQ(g_client_lost[0] + g_client_lost[2], 0);
    CHECK_EQ(mnet_poll(0), 6);
    PASS("mnet_chann_close(msg->r) ends that connection: its peer, and only it, gets DISCONNECT");

    mnet_fini();
    CHECK_EQ(mnet_poll(0), 0);
    PASS("mnet_fini closes the accepted channs with the rest");
    return 0;
}
