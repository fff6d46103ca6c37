/* m_net's multi-process server: a parent listens, forks 2 workers; each
 * worker calls mnet_multi_reset_event() (a fresh event queue with the
 * inherited listener registered again) and mnet_multi_accept_balancer()
 * with hooks over a process-shared semaphore: `before` takes it without
 * waiting (and, so that the test can count on every worker getting turns,
 * refuses while this worker has accepted more than another live one),
 * `after` gives it back. A client process makes 300 connections in waves
 * of 10; each sends a token and gets it back with the pid of the worker that
 * accepted it. After 100 the client kills one worker (SIGKILL); the parent,
 * waiting on its children, restarts it. Checks: every worker (the two
 * first, then the restarted one) accepted some connections, the killed one
 * none after its death, every token came back, the hooks always got the
 * listening socket, and the parent restarted exactly one worker. */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <semaphore.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#define WORKERS 2
#define CONNECTIONS 300
#define WAVE 10
#define BEFORE_KILL 100
#define TOKEN 10

typedef struct {
    sem_t turn;
    int listen_fd;
    volatile int alive[WORKERS];
    volatile int accepts[WORKERS];
    volatile int wrong_fd; /* a hook was given another descriptor */
} shared_t;

static shared_t *g_shared;
static int g_slot; /* this worker's */

static int before_accept(void *ctx, int fd) {
    shared_t *s = ctx;
    int i;
    if (fd != s->listen_fd) s->wrong_fd = 1;
    if (sem_trywait(&s->turn) != 0) return 0;
    for (i = 0; i < WORKERS; i++) {
        if (i != g_slot && s->alive[i] && s->accepts[g_slot] > s->accepts[i]) {
            sem_post(&s->turn); /* another worker is behind: its turn */
            return 0;
        }
    }
    return 1;
}

static int after_accept(void *ctx, int fd) {
    shared_t *s = ctx;
    if (fd != s->listen_fd) s->wrong_fd = 1;
    sem_post(&s->turn);
    return 0;
}

/* ---- a worker: echoes each 10-byte token with its pid ---- */

typedef struct {
    char buf[TOKEN];
    int len;
} token_t;

static chann_t *g_listener;

static void worker_msg(chann_msg_t *m) {
    token_t *t = m->opaque;
    char reply[2 * TOKEN + 1];
    int n;
    if (m->n == g_listener) {
        CHECK_EQ(m->event, CHANN_EVENT_ACCEPT);
        ++g_shared->accepts[g_slot];
        mnet_chann_set_opaque(m->r, calloc(1, sizeof(token_t)));
    } else if (m->event == CHANN_EVENT_RECV) {
        n = mnet_chann_recv(m->n, t->buf + t->len, TOKEN - t->len);
        if (n > 0 && (t->len += n) == TOKEN) {
            memcpy(reply, t->buf, TOKEN);
            snprintf(reply + TOKEN, TOKEN + 1, "%010d", (int)getpid());
            CHECK_EQ(mnet_chann_send(m->n, reply, 2 * TOKEN), 2 * TOKEN);
        }
    } else if (m->event == CHANN_EVENT_DISCONNECT) {
        free(t);
        mnet_chann_close(m->n);
    }
}

static pid_t start_worker(int slot) {
    pid_t pid;
    g_shared->accepts[slot] = 0;
    g_shared->alive[slot] = 1;
    pid = fork();
    CHECK_GE(pid, 0);
    if (pid > 0) return pid;
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the test */
    g_slot = slot;
    mnet_multi_reset_event();
    mnet_multi_accept_balancer(g_shared, before_accept, after_accept);
    for (;;) {
        chann_msg_t *m;
        if (mnet_poll(100) < 0) FAIL("worker: mnet_poll: %s", mnet_last_error());
        while ((m = mnet_result_next()) != NULL) worker_msg(m);
    }
}

/* ---- the client: 300 connections in waves, one token each ---- */

typedef struct {
    char got[2 * TOKEN];
    int len, token;
} conn_t;

static conn_t g_conns[WAVE];
static int g_port, g_next_token, g_wave_done;
static pid_t g_served[CONNECTIONS];

static void client_msg(chann_msg_t *m) {
    conn_t *c = m->opaque;
    char token[TOKEN + 1];
    int n;
    if (m->event == CHANN_EVENT_CONNECTED) {
        snprintf(token, sizeof token, "%010d", c->token);
        CHECK_EQ(mnet_chann_send(m->n, token, TOKEN), TOKEN);
    } else if (m->event == CHANN_EVENT_RECV) {
        n = mnet_chann_recv(m->n, c->got + c->len, 2 * TOKEN - c->len);
        if (n > 0 && (c->len += n) == 2 * TOKEN) {
            snprintf(token, sizeof token, "%010d", c->token);
            CHECK(memcmp(c->got, token, TOKEN) == 0);
            g_served[c->token] = (pid_t)atoi(c->got + TOKEN);
            ++g_wave_done;
            mnet_chann_close(m->n);
        }
    } else {
        FAIL("client: connection %d got event %d err %d", c->token, (int)m->event, m->err);
    }
}

static void wave(void) {
    int i;
    g_wave_done = 0;
    for (i = 0; i < WAVE; i++) {
        chann_t *n = mnet_chann_open(CHANN_TYPE_STREAM);
        memset(&g_conns[i], 0, sizeof g_conns[i]);
        g_conns[i].token = g_next_token++;
        mnet_chann_set_opaque(n, &g_conns[i]);
        CHECK_EQ(mnet_chann_connect(n, "127.0.0.1", g_port), 1);
    }
    POLL_UNTIL(g_wave_done == WAVE, 30, client_msg);
}

static int run_client(void) {
    pid_t first, second = 0, victim, restarted = 0;
    int i;
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    mnet_fini(); /* the parent's loop (its listener) is not the client's */
    while (g_next_token < BEFORE_KILL) wave();
    first = g_served[0];
    for (i = 0; i < BEFORE_KILL; i++) {
        if (g_served[i] != first && second == 0) second = g_served[i];
        CHECK(g_served[i] == first || g_served[i] == second);
    }
    CHECK_NE(second, 0);
    PASS("%d connections: both workers (%d and %d) accepted some, taking turns under the semaphore", BEFORE_KILL,
         (int)first, (int)second);

    victim = first;
    CHECK_EQ(kill(victim, SIGKILL), 0);
    while (g_next_token < CONNECTIONS) wave();
    for (i = BEFORE_KILL; i < CONNECTIONS; i++) {
        CHECK_NE(g_served[i], victim);
        if (g_served[i] != second) {
            CHECK(restarted == 0 || restarted == g_served[i]);
            restarted = g_served[i];
        }
    }
    CHECK_NE(restarted, 0);
    PASS("worker %d killed after %d connections: the next %d were all answered, none by it, some by its "
         "replacement %d",
         (int)victim, BEFORE_KILL, CONNECTIONS - BEFORE_KILL, (int)restarted);
    mnet_fini();
    return 0;
}

int main(void) {
    pid_t workers[WORKERS], client, dead;
    int i, status, restarts = 0;

    g_shared = mmap(NULL, sizeof *g_shared, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(g_shared != MAP_FAILED);
    CHECK_EQ(sem_init(&g_shared->turn, 1, 1), 0);
    g_listener = check_listen(CHANN_TYPE_STREAM, 128);
    g_port = check_port(g_listener);
    g_shared->listen_fd = mnet_chann_fd(g_listener);
    CHECK_GE(g_shared->listen_fd, 0);
    fflush(stdout);

    for (i = 0; i < WORKERS; i++) workers[i] = start_worker(i);
    client = fork();
    CHECK_GE(client, 0);
    if (client == 0) _exit(run_client());

    /* The parent: restarts a worker that dies, until the client is done. */
    for (;;) {
        dead = waitpid(-1, &status, 0);
        if (dead < 0 && errno == EINTR) continue;
        CHECK_GT(dead, 0);
        if (dead == client) break;
        for (i = 0; i < WORKERS && workers[i] != dead; i++) {
        }
        CHECK_LT(i, WORKERS);
        CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL); /* the client's kill, not a crash */
        g_shared->alive[i] = 0;
        workers[i] = start_worker(i);
        ++restarts;
    }
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK_EQ(restarts, 1);
    CHECK_EQ(g_shared->wrong_fd, 0);
    for (i = 0; i < WORKERS; i++) CHECK_GT(g_shared->accepts[i], 0);
    PASS("the parent restarted the killed worker once; the balancer hooks always got the listening socket (fd %d)",
         g_shared->listen_fd);

    for (i = 0; i < WORKERS; i++) {
        CHECK_EQ(waitpid(workers[i], &status, WNOHANG), 0); /* still running */
        CHECK_EQ(kill(workers[i], SIGTERM), 0);
        CHECK_EQ(waitpid(workers[i], &status, 0), workers[i]);
        CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
    }
    PASS("both workers were still running at the end");
    mnet_fini();
    return 0;
}
