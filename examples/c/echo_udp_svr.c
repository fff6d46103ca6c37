/* echo_udp_svr: a UDP echo server, m_net's examples/echo_udp_svr.c on mnet's
 * C API.
 *
 *   build/examples/c/echo_udp_svr [ip:port]      (default 127.0.0.1:8091)
 *   then: build/examples/c/echo_udp_cnt 127.0.0.1:8091, or nc -u 127.0.0.1 8091
 *
 * The first datagram from each sender (ip:port) is answered with "Welcome
 * to UDP echoServ"; later ones are sent back as they came (up to 64 senders
 * are remembered). Prints each new sender, and the time every 5 seconds. */
#include <stdio.h>
#include <string.h>

#include <mnet/mnet_core.h>
#include <mnet/mnet_ext.h>

#define MAX_SENDERS 64

static chann_addr_t g_senders[MAX_SENDERS];
static int g_count;

/* Whether `a` sent before; remembers it if not. */
static int known(const chann_addr_t *a) {
    int i;
    for (i = 0; i < g_count; i++)
        if (g_senders[i].port == a->port && strcmp(g_senders[i].ip, a->ip) == 0) return 1;
    if (g_count < MAX_SENDERS) g_senders[g_count++] = *a;
    return 0;
}

int main(int argc, char *argv[]) {
    const char *ipport = argc > 1 ? argv[1] : "127.0.0.1:8091";
    chann_addr_t addr;
    chann_t *svr;
    chann_msg_t *msg;

    if (mnet_parse_ipport(ipport, &addr) != 1) {
        fprintf(stderr, "echo_udp_svr: %s\n", mnet_last_error());
        return 1;
    }
    mnet_init();
    svr = mnet_chann_open(CHANN_TYPE_DGRAM);
    if (mnet_chann_listen(svr, addr.ip, addr.port, 0) != 1) {
        fprintf(stderr, "echo_udp_svr: bind %s: %s\n", ipport, mnet_last_error());
        return 1;
    }
    mnet_chann_socket_addr(svr, &addr);
    printf("echo_udp_svr bound to %s:%d\n", addr.ip, addr.port);
    fflush(stdout);
    mnet_chann_active_event(svr, CHANN_EVENT_TIMER, 5 * MNET_MILLI_SECOND);

    while (mnet_poll(100) > 0) {
        while ((msg = mnet_result_next()) != NULL) {
            if (msg->event == CHANN_EVENT_RECV) {
                char buf[1500];
                chann_addr_t from;
                int n;
                /* One datagram per call, with its sender; 0 once none is left. */
                while ((n = mnet_dgram_recv(msg->n, &from, buf, sizeof buf)) > 0) {
                    if (known(&from)) {
                        mnet_dgram_send(msg->n, &from, buf, n);
                    } else {
                        printf("new sender %s:%d\n", from.ip, from.port);
                        mnet_dgram_send(msg->n, &from, "Welcome to UDP echoServ\n", 24);
                    }
                }
            } else if (msg->event == CHANN_EVENT_TIMER) {
                printf("time %lld us\n", (long long)mnet_tm_current());
            }
            fflush(stdout);
        }
    }
    mnet_fini();
    return 0;
}
