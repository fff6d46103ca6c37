/* echo_udp_cnt: a UDP client for echo_udp_svr, m_net's
 * examples/echo_udp_cnt.c on mnet's C API.
 *
 *   build/examples/c/echo_udp_svr &              (bound to 127.0.0.1:8091)
 *   build/examples/c/echo_udp_cnt [ip:port]      (default 127.0.0.1:8091)
 *   printf 'one\ntwo\n' | build/examples/c/echo_udp_cnt
 *
 * Sends "." to say hello (an unbound DGRAM chann is bound to a free port by
 * its first mnet_dgram_send), prints the welcome, then sends stdin one line
 * at a time, each as one datagram to the last peer (mnet_chann_send), and
 * prints each answer. Ends at the end of stdin; exits with status 1 when no
 * answer comes within 3 seconds (UDP: nothing says the server is not
 * there). */
#include <stdio.h>
#include <string.h>

#include <mnet/mnet_core.h>
#include <mnet/mnet_ext.h>

int main(int argc, char *argv[]) {
    const char *ipport = argc > 1 ? argv[1] : "127.0.0.1:8091";
    chann_addr_t addr;
    chann_t *cnt;
    chann_msg_t *msg;
    int status = -1;

    if (mnet_parse_ipport(ipport, &addr) != 1) {
        fprintf(stderr, "echo_udp_cnt: %s\n", mnet_last_error());
        return 1;
    }
    mnet_init();
    cnt = mnet_chann_open(CHANN_TYPE_DGRAM);
    if (mnet_dgram_send(cnt, &addr, ".", 1) != 1) {
        fprintf(stderr, "echo_udp_cnt: send to %s: %s\n", ipport, mnet_last_error());
        return 1;
    }
    /* The timer is the answer's deadline: restarted by every answer. */
    mnet_chann_active_event(cnt, CHANN_EVENT_TIMER, 3 * MNET_MILLI_SECOND);
    while (status < 0 && mnet_poll(1000) > 0) {
        while (status < 0 && (msg = mnet_result_next()) != NULL) {
            if (msg->event == CHANN_EVENT_RECV) {
                char buf[1500];
                int n = mnet_chann_recv(msg->n, buf, sizeof buf - 1); /* one datagram */
                if (n <= 0) continue;
                buf[n] = '\0';
                printf("%s", buf);
                fflush(stdout);
                mnet_chann_active_event(msg->n, CHANN_EVENT_TIMER, 3 * MNET_MILLI_SECOND);
                if (fgets(buf, sizeof buf, stdin) != NULL) {
                    mnet_chann_send(msg->n, buf, (int)strlen(buf)); /* to the server it heard from */
                } else {
                    status = 0;
                }
            } else if (msg->event == CHANN_EVENT_TIMER) {
                fprintf(stderr, "echo_udp_cnt: no answer from %s:%d within 3 s\n", addr.ip, addr.port);
                status = 1;
            }
        }
    }
    mnet_fini();
    return status < 0 ? 1 : status;
}
