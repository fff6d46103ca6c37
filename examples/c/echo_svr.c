/* echo_svr: a TCP echo server, m_net's examples/echo_svr.c on mnet's C API.
 *
 *   build/examples/c/echo_svr [ip:port]        (default 127.0.0.1:8090)
 *   then: build/examples/c/echo_cnt 127.0.0.1:8090, or nc 127.0.0.1 8090
 *
 * Prints "echo_svr listening on ip:port"; each client gets "Welcome to
 * echoServ" and then its own lines back; the server prints the time every 5
 * seconds. Every chann is the program's, accepted ones (msg->r) too: closed
 * here when their client leaves. */
#include <stdio.h>

#include <mnet/mnet_core.h>
#include <mnet/mnet_ext.h>

int main(int argc, char *argv[]) {
    const char *ipport = argc > 1 ? argv[1] : "127.0.0.1:8090";
    chann_addr_t addr;
    chann_t *svr;
    chann_msg_t *msg;

    if (mnet_parse_ipport(ipport, &addr) != 1) {
        fprintf(stderr, "echo_svr: %s\n", mnet_last_error());
        return 1;
    }
    mnet_init();
    svr = mnet_chann_open(CHANN_TYPE_STREAM);
    if (mnet_chann_listen(svr, addr.ip, addr.port, 128) != 1) {
        fprintf(stderr, "echo_svr: listen on %s: %s\n", ipport, mnet_last_error());
        return 1;
    }
    mnet_chann_socket_addr(svr, &addr); /* the port, when 0 asked for a free one */
    printf("echo_svr listening on %s:%d\n", addr.ip, addr.port);
    fflush(stdout);
    mnet_chann_active_event(svr, CHANN_EVENT_TIMER, 5 * MNET_MILLI_SECOND);

    while (mnet_poll(100) > 0) {
        while ((msg = mnet_result_next()) != NULL) {
            if (msg->n == svr) {
                if (msg->event == CHANN_EVENT_ACCEPT) { /* msg->r: the new client, ours to close */
                    chann_addr_t peer;
                    mnet_chann_send(msg->r, "Welcome to echoServ\n", 20);
                    mnet_chann_peer_addr(msg->r, &peer);
                    printf("client %s:%d\n", peer.ip, peer.port);
                } else if (msg->event == CHANN_EVENT_TIMER) {
                    printf("time %lld us\n", (long long)mnet_tm_current());
                }
                fflush(stdout);
            } else if (msg->event == CHANN_EVENT_RECV) {
                char buf[256];
                int n = mnet_chann_recv(msg->n, buf, sizeof buf); /* 0: nothing now, -1: error */
                if (n > 0) mnet_chann_send(msg->n, buf, n);       /* queued if the kernel is full */
            } else if (msg->event == CHANN_EVENT_DISCONNECT) {
                printf("client left (err %d)\n", msg->err);
                fflush(stdout);
                mnet_chann_close(msg->n); /* safe inside the loop */
            }
        }
    }
    mnet_fini();
    return 0;
}
