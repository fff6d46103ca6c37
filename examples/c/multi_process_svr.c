/* multi_process_svr: m_net's examples/process/multi_process_svr.c on mnet's
 * C API: worker processes share one listening socket and take turns
 * accepting under a semaphore; a monitor restarts workers that die.
 *
 *   build/examples/c/multi_process_svr [ip:port] [workers]   (defaults: 127.0.0.1:8090 2)
 *   nc 127.0.0.1 8090          (in a few terminals: each line comes back as
 *                               "worker <pid>: <line>")
 *   kill <a worker's pid>      (the monitor prints it and starts a new one)
 *
 * The monitor listens, then forks the workers. Each worker calls
 * mnet_multi_reset_event() (its own event queue, with the inherited
 * listener registered again: the one inherited is the monitor's) and
 * mnet_multi_accept_balancer(): before accepting, the worker takes the
 * semaphore without waiting (sem_trywait) and accepts only when it got it;
 * after, it gives it back; a worker that did not get it is asked again a few
 * milliseconds later, and the connection waits in the listen queue for
 * whoever gets it. The monitor never runs its loop (so never accepts): it
 * waits for workers to die and forks new ones. Ctrl-C or SIGTERM stops the
 * monitor, and the workers with it. (mnet's other way, one listener per
 * process with SO_REUSEPORT and the kernel spreading connections, is
 * examples/prefork_svr.cpp.) */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mnet/mnet_core.h>
#include <mnet/mnet_ext.h>

#define MAX_WORKERS 64

/* Shared by the monitor and every worker (MAP_SHARED memory). */
typedef struct {
    sem_t accept_turn;
} shared_t;

static shared_t *g_shared;
static volatile sig_atomic_t g_stop;

static int before_accept(void *ctx, int listen_fd) {
    (void)listen_fd;
    return sem_trywait(&((shared_t *)ctx)->accept_turn) == 0 ? 1 : 0;
}

static int after_accept(void *ctx, int listen_fd) {
    (void)listen_fd;
    sem_post(&((shared_t *)ctx)->accept_turn);
    return 0;
}

/* A worker: accepts in turn, echoes lines with its pid in front. */
static void worker(chann_t *listener) {
    char prefix[32];
    int prefix_len = snprintf(prefix, sizeof prefix, "worker %d: ", (int)getpid());
    chann_msg_t *msg;
    prctl(PR_SET_PDEATHSIG, SIGTERM); /* the monitor's end is ours */
    mnet_multi_reset_event();
    mnet_multi_accept_balancer(g_shared, before_accept, after_accept);
    printf("worker %d accepting\n", (int)getpid());
    fflush(stdout);
    while (mnet_poll(1000) > 0) {
        while ((msg = mnet_result_next()) != NULL) {
            if (msg->n == listener) {
                if (msg->event == CHANN_EVENT_ACCEPT) mnet_chann_set_opaque(msg->r, calloc(1, 1)); /* 1: at a line start */
            } else if (msg->event == CHANN_EVENT_RECV) {
                char *at_start = msg->opaque, buf[1024];
                int i, from = 0, n = mnet_chann_recv(msg->n, buf, sizeof buf);
                for (i = 0; i < n; i++) {
                    if (*at_start == 0) {
                        mnet_chann_send(msg->n, prefix, prefix_len);
                        *at_start = 1;
                    }
                    if (buf[i] == '\n') {
                        mnet_chann_send(msg->n, buf + from, i + 1 - from);
                        from = i + 1;
                        *at_start = 0;
                    }
                }
                if (n > from) mnet_chann_send(msg->n, buf + from, n - from);
            } else if (msg->event == CHANN_EVENT_DISCONNECT) {
                free(msg->opaque);
                mnet_chann_close(msg->n);
            }
        }
    }
}

static pid_t start_worker(chann_t *listener) {
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGINT, SIG_DFL); /* the monitor's handlers are the monitor's */
        signal(SIGTERM, SIG_DFL);
        worker(listener);
        mnet_fini();
        _exit(0);
    }
    if (pid < 0) perror("multi_process_svr: fork");
    return pid;
}

static void on_signal(int sig) {
    (void)sig;
    g_stop = 1;
}

int main(int argc, char *argv[]) {
    const char *ipport = argc > 1 ? argv[1] : "127.0.0.1:8090";
    int i, count = argc > 2 ? atoi(argv[2]) : 2;
    pid_t pids[MAX_WORKERS];
    chann_addr_t addr;
    chann_t *listener;
    struct sigaction sa;

    if (count < 1 || count > MAX_WORKERS || mnet_parse_ipport(ipport, &addr) != 1) {
        fprintf(stderr, "usage: multi_process_svr [ip:port] [workers 1-%d]\n", MAX_WORKERS);
        return 2;
    }
    g_shared = mmap(NULL, sizeof *g_shared, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (g_shared == MAP_FAILED || sem_init(&g_shared->accept_turn, 1, 1) != 0) {
        perror("multi_process_svr: shared semaphore");
        return 1;
    }
    mnet_init();
    listener = mnet_chann_open(CHANN_TYPE_STREAM);
    if (mnet_chann_listen(listener, addr.ip, addr.port, 128) != 1) {
        fprintf(stderr, "multi_process_svr: listen on %s: %s\n", ipport, mnet_last_error());
        return 1;
    }
    mnet_chann_socket_addr(listener, &addr);
    printf("multi_process_svr listening on %s:%d with %d workers\n", addr.ip, addr.port, count);
    fflush(stdout);

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    for (i = 0; i < count; i++) pids[i] = start_worker(listener);
    while (!g_stop) {
        int status;
        pid_t dead = waitpid(-1, &status, 0);
        if (dead < 0) {
            if (errno == EINTR) continue;
            perror("multi_process_svr: waitpid");
            break;
        }
        for (i = 0; i < count; i++) {
            if (pids[i] != dead) continue;
            printf("worker %d ended (%s %d); starting another\n", (int)dead,
                   WIFSIGNALED(status) ? "signal" : "status", WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
            fflush(stdout);
            pids[i] = start_worker(listener);
        }
    }
    for (i = 0; i < count; i++) {
        if (pids[i] > 0) kill(pids[i], SIGTERM);
    }
    while (wait(NULL) > 0) {
    }
    mnet_fini();
    return 0;
}
