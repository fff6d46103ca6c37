/* echo_cnt: a TCP client for echo_svr, m_net's examples/echo_cnt.c on mnet's
 * C API.
 *
 *   build/examples/c/echo_svr &               (listens on 127.0.0.1:8090)
 *   build/examples/c/echo_cnt [ip:port]       (default 127.0.0.1:8090)
 *   printf 'one\ntwo\n' | build/examples/c/echo_cnt
 *
 * Prints the server's "Welcome to echoServ", then sends stdin one line at a
 * time, printing each answer before sending the next line. Ends at the end
 * of stdin (Ctrl-D) or when the server goes away; a failed connect prints
 * the reason (e.g. err 111, ECONNREFUSED) and exits with status 1. */
#include <stdio.h>
#include <string.h>

#include <mnet/mnet_core.h>
#include <mnet/mnet_ext.h>

static int g_status = -1; /* the exit status, once known */
static int g_connected;

/* Sends the next line of stdin; closes the chann at its end. */
static void send_line(chann_t *n) {
    char line[256];
    if (fgets(line, sizeof line, stdin) != NULL) {
        mnet_chann_send(n, line, (int)strlen(line));
    } else {
        mnet_chann_close(n);
        g_status = 0;
    }
}

int main(int argc, char *argv[]) {
    const char *ipport = argc > 1 ? argv[1] : "127.0.0.1:8090";
    chann_addr_t addr;
    chann_t *cnt;
    chann_msg_t *msg;

    if (mnet_parse_ipport(ipport, &addr) != 1) {
        fprintf(stderr, "echo_cnt: %s\n", mnet_last_error());
        return 1;
    }
    mnet_init();
    cnt = mnet_chann_open(CHANN_TYPE_STREAM);
    if (mnet_chann_connect(cnt, addr.ip, addr.port) != 1) {
        fprintf(stderr, "echo_cnt: connect to %s: %s\n", ipport, mnet_last_error());
        return 1;
    }
    printf("echo_cnt connecting to %s:%d\n", addr.ip, addr.port);
    while (g_status < 0 && mnet_poll(1000) > 0) {
        while ((msg = mnet_result_next()) != NULL) {
            if (msg->event == CHANN_EVENT_CONNECTED) {
                chann_addr_t peer;
                mnet_chann_peer_addr(msg->n, &peer);
                printf("connected to %s:%d\n", peer.ip, peer.port);
                g_connected = 1;
            } else if (msg->event == CHANN_EVENT_RECV) {
                char buf[257];
                int n = mnet_chann_recv(msg->n, buf, sizeof buf - 1);
                if (n > 0) {
                    buf[n] = '\0';
                    printf("%s", buf);
                    fflush(stdout);
                    send_line(msg->n);
                }
            } else if (msg->event == CHANN_EVENT_DISCONNECT) {
                if (!g_connected) {
                    fprintf(stderr, "echo_cnt: connect failed, err %d\n", msg->err);
                    g_status = 1;
                } else {
                    printf("the server left (err %d)\n", msg->err);
                    g_status = 0;
                }
                mnet_chann_close(msg->n);
            }
        }
    }
    mnet_fini();
    return g_status < 0 ? 1 : g_status;
}
