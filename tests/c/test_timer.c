/* Repeating timers (mnet_chann_active_event(n, CHANN_EVENT_TIMER, ms)):
 * 20 channs that never connect (timers work in every state), a listener, a
 * UDP chann and a connected pair, with intervals from 10 to 48 ms, run until
 * each has fired 5 times while the connected pair keeps the loop busy with
 * unread data (RECV every round). Checks, per chann, that no TIMER comes
 * before its deadline on the monotonic clock (the n-th at least n intervals
 * after arming), at most one TIMER per chann per round, TIMERs first in
 * every round, and msg->opaque is the chann's. Then value 0 stops a timer
 * (from its own message, and from another chann's message in the round where
 * both are due: the stopped one's queued TIMER is dropped), over a stretch
 * counted by a watch timer's ticks; and arming again restarts it. */
#include "check.h"

#define IDLE 20
#define TICKS 5

typedef struct {
    chann_t *n;
    int64_t ms, armed_at;
    int ticks, last_round;
} ticker_t;

static ticker_t g_t[IDLE + 4]; /* IDLE idle channs, listener, UDP, the connected pair's two ends */
static int g_count;
static int g_round, g_non_timer_round = -1;
static chann_t *g_listener, *g_client, *g_server;

static void arm(ticker_t *t, chann_t *n, int64_t ms) {
    t->n = n;
    t->ms = ms;
    t->armed_at = mnet_tm_current();
    t->ticks = 0;
    t->last_round = -1;
    mnet_chann_set_opaque(n, t);
    mnet_chann_active_event(n, CHANN_EVENT_TIMER, ms);
}

static void on_timer(ticker_t *t, chann_msg_t *m) {
    CHECK_PTR_EQ(m->opaque, t);
    CHECK_NE(g_non_timer_round, g_round); /* TIMERs come first in a round */
    CHECK_NE(t->last_round, g_round);     /* at most one per chann per round */
    t->last_round = g_round;
    ++t->ticks;
    CHECK_GE(mnet_tm_current(), t->armed_at + t->ticks * t->ms * 1000); /* never early */
}

static void on_msg(chann_msg_t *m) {
    if (m->event == CHANN_EVENT_TIMER) {
        on_timer((ticker_t *)m->opaque, m);
        return;
    }
    g_non_timer_round = g_round;
    if (m->event == CHANN_EVENT_ACCEPT) {
        CHECK(g_server == NULL);
        g_server = m->r;
        mnet_chann_set_opaque(g_server, NULL);
    }
    /* RECV: left unread on purpose, so it comes every round. */
}

static int all_ticked(void) {
    int i;
    for (i = 0; i < g_count; i++)
        if (g_t[i].ticks < TICKS) return 0;
    return 1;
}

/* One round, counted. */
static void round_once(void (*handler)(chann_msg_t *)) {
    chann_msg_t *m;
    ++g_round;
    CHECK_GE(mnet_poll(5), 0);
    while ((m = mnet_result_next()) != NULL) handler(m);
}

/* ---- stop and rearm ---- */
static ticker_t g_self_stop, g_other, g_stopped_by_other, g_watch;

static void on_stop_msg(chann_msg_t *m) {
    ticker_t *t = (ticker_t *)m->opaque;
    CHECK_EQ(m->event, CHANN_EVENT_TIMER);
    on_timer(t, m);
    if (t == &g_self_stop) mnet_chann_active_event(m->n, CHANN_EVENT_TIMER, 0);
    if (t == &g_other) mnet_chann_active_event(g_stopped_by_other.n, CHANN_EVENT_TIMER, 0);
}

int main(void) {
    int i;
    chann_t *udp;
    g_listener = check_listen(CHANN_TYPE_STREAM, 4);
    g_client = mnet_chann_open(CHANN_TYPE_STREAM);
    CHECK_EQ(mnet_chann_connect(g_client, "127.0.0.1", check_port(g_listener)), 1);
    while (g_server == NULL || mnet_chann_state(g_client) != CHANN_STATE_CONNECTED) round_once(on_msg);
    CHECK_EQ(mnet_chann_send(g_client, "unread", 6), 6);
    CHECK_EQ(mnet_chann_send(g_server, "unread", 6), 6);
    udp = mnet_chann_open(CHANN_TYPE_DGRAM);

    for (i = 0; i < IDLE; i++) arm(&g_t[i], mnet_chann_open(CHANN_TYPE_STREAM), 10 + 2 * i);
    arm(&g_t[IDLE], g_listener, 15);
    arm(&g_t[IDLE + 1], udp, 25);
    arm(&g_t[IDLE + 2], g_client, 12);
    arm(&g_t[IDLE + 3], g_server, 33);
    g_count = IDLE + 4;
    {
        const int64_t end = mnet_tm_current() + 30 * 1000000LL;
        while (!all_ticked()) {
            CHECK_LT(mnet_tm_current(), end);
            round_once(on_msg);
        }
    }
    CHECK_EQ(mnet_chann_state(g_t[0].n), CHANN_STATE_DISCONNECT);
    PASS("%d timers (10-48 ms) on new, listening, UDP and connected channs each fired %d times: none before its "
         "deadline, at most one per chann per round, TIMERs first in the round, opaque the chann's",
         g_count, TICKS);

    for (i = 0; i < g_count; i++) mnet_chann_active_event(g_t[i].n, CHANN_EVENT_TIMER, 0);
    mnet_chann_close(g_client);
    mnet_chann_close(g_server);
    /* `other` and `stopped_by_other` are both due in the first round (it
     * runs once both deadlines have passed), `other` first (armed first):
     * it stops `stopped_by_other`, whose TIMER is queued behind it. */
    arm(&g_other, mnet_chann_open(CHANN_TYPE_STREAM), 10);
    arm(&g_stopped_by_other, mnet_chann_open(CHANN_TYPE_STREAM), 10);
    arm(&g_self_stop, mnet_chann_open(CHANN_TYPE_STREAM), 10);
    {
        const int64_t both_due = mnet_tm_current() + 15000;
        while (mnet_tm_current() < both_due) {
        }
    }
    round_once(on_stop_msg);
    CHECK_EQ(g_other.ticks, 1);
    CHECK_EQ(g_self_stop.ticks, 1);
    CHECK_EQ(g_stopped_by_other.ticks, 0);
    mnet_chann_active_event(g_other.n, CHANN_EVENT_TIMER, 0);
    arm(&g_watch, mnet_chann_open(CHANN_TYPE_DGRAM), 10);
    while (g_watch.ticks < 12) round_once(on_stop_msg);
    CHECK_EQ(g_self_stop.ticks, 1);
    CHECK_EQ(g_other.ticks, 1);
    CHECK_EQ(g_stopped_by_other.ticks, 0);
    PASS("value 0 stops a timer from its own TIMER, from outside, and from another chann's in the round both "
         "are due (its queued TIMER is dropped): nothing more over 12 ticks of a 10 ms watch timer");

    arm(&g_self_stop, g_self_stop.n, 15);
    while (g_self_stop.ticks < 1) round_once(on_stop_msg);
    PASS("arming a stopped timer again restarts it from now (its first TIMER no earlier than 15 ms after)");

    mnet_fini();
    CHECK_EQ(mnet_poll(0), 0);
    PASS("mnet_fini closes every chann; a new loop starts empty");
    return 0;
}
