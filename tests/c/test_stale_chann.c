/* A chann_t* is a name, never memory mnet reads: a closed chann, one whose
 * slot was reused by a newer chann, one of another thread's loop, NULL and
 * made-up pointers all make every call fail cleanly (-1, 0, NULL or
 * CHANN_STATE_CLOSED, with a sentence in mnet_last_error()), never crash and
 * never touch another chann. m_net dereferenced the pointer. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdint.h>

#include "check.h"

/* Every call on `n` fails, and nothing happens to the live chann `other`. */
static void all_fail(chann_t *n, const char *what, chann_t *other) {
    char buf[8] = "abcdefg";
    chann_addr_t a;
    char text[64];
    CHECK_EQ(mnet_chann_state(n), CHANN_STATE_CLOSED);
    CHECK_EQ(mnet_chann_type(n), 0);
    CHECK_EQ(mnet_chann_fd(n), -1);
    CHECK_EQ(mnet_chann_recv(n, buf, sizeof buf), -1);
    CHECK_GT(strlen(mnet_last_error()), 0);
    CHECK_EQ(mnet_chann_send(n, buf, sizeof buf), -1);
    CHECK_GT(strlen(mnet_last_error()), 0);
    CHECK_EQ(mnet_dgram_recv(n, &a, buf, sizeof buf), -1);
    CHECK_EQ(mnet_dgram_send(n, &a, buf, sizeof buf), -1);
    CHECK_EQ(mnet_chann_cached(n), -1);
    CHECK_EQ(mnet_chann_bytes(n, 0), -1);
    CHECK_EQ(mnet_chann_bytes(n, 1), -1);
    CHECK_EQ(mnet_chann_listen(n, "127.0.0.1", 0, 1), 0);
    CHECK_EQ(mnet_chann_connect(n, "127.0.0.1", 9), 0);
    CHECK_EQ(mnet_chann_socket_addr(n, &a), 0);
    CHECK_EQ(mnet_chann_peer_addr(n, &a), 0);
    CHECK_EQ(mnet_chann_socket_set_bufsize(n, 4096), 0);
    CHECK(mnet_chann_get_opaque(n) == NULL);
    CHECK_EQ(mnet_chann_addr_text(n, 0, text, sizeof text), -1);
    CHECK_EQ(mnet_chann_listen_addr(n, "127.0.0.1:0", 1), 0);
    CHECK_EQ(mnet_chann_set_idle_timeout(n, 1000), 0);
    CHECK_EQ(mnet_chann_resolve(n, "localhost"), 0);
    mnet_chann_set_opaque(n, &buf);
    mnet_chann_active_event(n, CHANN_EVENT_TIMER, 10);
    mnet_chann_active_event(n, CHANN_EVENT_SEND, 1);
    mnet_chann_disconnect(n);
    mnet_chann_close(n);
    CHECK_STR_EQ(mnet_chann_error(n), "");
    if (other != NULL) {
        CHECK_EQ(mnet_chann_state(other), CHANN_STATE_LISTENING);
        CHECK(mnet_chann_get_opaque(other) == NULL);
        CHECK_GT(mnet_chann_fd(other), 0);
    }
    PASS("%s: every call fails cleanly, and the live chann is untouched", what);
}

static chann_t *g_foreign;
static pthread_barrier_t g_opened, g_checked;

static void *other_thread(void *arg) {
    (void)arg;
    g_foreign = mnet_chann_open(CHANN_TYPE_STREAM);
    CHECK(g_foreign != NULL);
    CHECK_EQ(mnet_chann_listen(g_foreign, "127.0.0.1", 0, 1), 1);
    pthread_barrier_wait(&g_opened);
    pthread_barrier_wait(&g_checked); /* the main thread tried it meanwhile */
    CHECK_EQ(mnet_chann_state(g_foreign), CHANN_STATE_LISTENING);
    CHECK_EQ(mnet_poll(0), 1);
    return NULL; /* the thread's loop ends with it */
}

int main(void) {
    chann_t *closed, *live, *reused;
    pthread_t t;
    int local;
    size_t i;
    chann_t *garbage[] = {NULL, (chann_t *)1, (chann_t *)&local, (chann_t *)(intptr_t)-1,
                          (chann_t *)(uintptr_t)0x7fffdeadbeefULL, (chann_t *)(uintptr_t)0xffffffff00000001ULL};

    closed = mnet_chann_open(CHANN_TYPE_STREAM);
    CHECK(closed != NULL);
    mnet_chann_close(closed);
    live = check_listen(CHANN_TYPE_STREAM, 1);
    all_fail(closed, "a closed chann", live);

    /* The closed chann's slot is taken by a new one: the old name stays dead. */
    reused = mnet_chann_open(CHANN_TYPE_DGRAM);
    CHECK(reused != NULL);
    CHECK(reused != closed);
    all_fail(closed, "a closed chann whose slot a newer chann took", live);
    CHECK_EQ(mnet_chann_state(reused), CHANN_STATE_DISCONNECT);
    CHECK_EQ(mnet_chann_type(reused), CHANN_TYPE_DGRAM);
    mnet_chann_close(reused);

    for (i = 0; i < sizeof garbage / sizeof garbage[0]; i++) {
        char what[64];
        snprintf(what, sizeof what, "the made-up pointer %p", (void *)garbage[i]);
        all_fail(garbage[i], what, live);
    }

    CHECK_EQ(pthread_barrier_init(&g_opened, NULL, 2), 0);
    CHECK_EQ(pthread_barrier_init(&g_checked, NULL, 2), 0);
    CHECK_EQ(pthread_create(&t, NULL, other_thread, NULL), 0);
    pthread_barrier_wait(&g_opened);
    all_fail(g_foreign, "a chann of another thread's running loop", live);
    pthread_barrier_wait(&g_checked);
    CHECK_EQ(pthread_join(t, NULL), 0);
    PASS("the other thread's chann is still listening in its own loop afterwards");
    all_fail(g_foreign, "a chann of another thread's loop (that thread has ended)", live);

    CHECK_EQ(mnet_poll(0), 1);
    mnet_chann_close(live);
    CHECK_EQ(mnet_poll(0), 0);
    mnet_fini();
    mnet_chann_close(live); /* after mnet_fini too */
    PASS("mnet_poll still counts only the live chann; closing after mnet_fini is harmless");
    return 0;
}
