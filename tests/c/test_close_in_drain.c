/* mnet_chann_close inside the mnet_result_next loop is safe and drops every
 * message still queued for the closed chann, nothing else:
 *   1. three accepted channs with unread data get RECV in the same round
 *      (level-style: RECV comes again each round while data remains); the
 *      first RECV handled closes its own chann and a second one: the
 *      second's queued RECV never comes, the third's does;
 *   2. three connections wait in the listen queue (blocking connects, so
 *      they are there before the round), so one round queues three ACCEPTs:
 *      the first closes the listener: the other two are dropped and their
 *      channs closed (their peers read the end), none leaks into
 *      mnet_poll's count. */
#define _POSIX_C_SOURCE 200809L
#include "raw_socket.h"

static chann_t *g_listener, *g_accepted[3];
static int g_accepts, g_recv_seen[3], g_round_recvs[3];

static int which(chann_t *n) {
    int i;
    for (i = 0; i < g_accepts; i++)
        if (g_accepted[i] == n) return i;
    return -1;
}

static void collect(chann_msg_t *m) {
    int i;
    if (m->event == CHANN_EVENT_ACCEPT) {
        g_accepted[g_accepts++] = m->r;
        return;
    }
    i = which(m->n);
    if (i >= 0 && m->event == CHANN_EVENT_RECV) ++g_recv_seen[i]; /* left unread */
}

static void closer(chann_msg_t *m) {
    int i = which(m->n);
    CHECK_EQ(m->event, CHANN_EVENT_RECV);
    CHECK_GE(i, 0);
    ++g_round_recvs[i];
    if (i == 0) {
        mnet_chann_close(g_accepted[0]);
        mnet_chann_close(g_accepted[0]); /* twice: harmless */
        mnet_chann_close(g_accepted[1]);
        CHECK_EQ(m->event, CHANN_EVENT_RECV); /* the message itself stays readable until the next call */
    }
}

static int g_listener_accepts;
static void accept_then_close_listener(chann_msg_t *m) {
    CHECK_EQ(m->event, CHANN_EVENT_ACCEPT);
    CHECK_PTR_EQ(m->n, g_listener);
    ++g_listener_accepts;
    g_accepted[0] = m->r;
    mnet_chann_close(g_listener);
}

int main(void) {
    int fds[3], i, port, ended;
    chann_addr_t kept;
    chann_msg_t *m;
    char c;

    g_listener = check_listen(CHANN_TYPE_STREAM, 8);
    port = check_port(g_listener);
    for (i = 0; i < 3; i++) fds[i] = raw_connect(port);
    POLL_UNTIL(g_accepts == 3, 10, collect);
    for (i = 0; i < 3; i++) CHECK_EQ(write(fds[i], "x", 1), 1);
    POLL_UNTIL(g_recv_seen[0] && g_recv_seen[1] && g_recv_seen[2], 10, collect);
    /* All three still hold their byte: the next round raises RECV for each. */
    CHECK_GE(mnet_poll(10), 0);
    while ((m = mnet_result_next()) != NULL) closer(m);
    CHECK_EQ(g_round_recvs[0], 1);
    CHECK_EQ(g_round_recvs[1], 0);
    CHECK_EQ(g_round_recvs[2], 1);
    CHECK_EQ(mnet_poll(0), 2); /* the listener and the third */
    PASS("closing its own chann and another inside the drain: the other's queued RECV is dropped, a third's "
         "comes; mnet_poll counts 2");
    /* The closed channs held an unread byte: the kernel resets instead of FIN. */
    for (i = 0; i < 2; i++) CHECK_LE(read(fds[i], &c, 1), 0);
    PASS("the peers of the closed channs read the end of the stream (a reset: their byte was unread)");
    mnet_chann_close(g_accepted[2]);
    for (i = 0; i < 3; i++) close(fds[i]);

    g_accepts = 0;
    for (i = 0; i < 3; i++) fds[i] = raw_connect(port);
    CHECK_GE(mnet_poll(1000), 0);
    while ((m = mnet_result_next()) != NULL) accept_then_close_listener(m);
    CHECK_EQ(g_listener_accepts, 1);
    CHECK_EQ(mnet_poll(0), 1); /* only the accepted chann the program got */
    CHECK_EQ(mnet_chann_peer_addr(g_accepted[0], &kept), 1);
    ended = 0;
    for (i = 0; i < 3; i++) {
        struct sockaddr_in a;
        socklen_t len = sizeof a;
        CHECK_EQ(getsockname(fds[i], (struct sockaddr *)&a, &len), 0);
        if (ntohs(a.sin_port) == kept.port) {
            CHECK_EQ(recv(fds[i], &c, 1, MSG_DONTWAIT), -1); /* still open: nothing to read */
        } else {
            ended += read(fds[i], &c, 1) == 0;
        }
    }
    CHECK_EQ(ended, 2);
    PASS("closing the listener on the first of three ACCEPTs of a round drops the other two and closes their "
         "channs (their peers read the end); the one handed out is the program's");
    mnet_chann_close(g_accepted[0]);
    CHECK_EQ(mnet_poll(0), 0);
    for (i = 0; i < 3; i++) close(fds[i]);
    mnet_fini();
    return 0;
}
