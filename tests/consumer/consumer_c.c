/* The consumer checks' C program: a loopback echo through the C API
 * (<mnet/mnet_core.h>), C99. Built against mnet::mnet_c, mnet::mnet_c_shared
 * and pkg-config's flags. Exits 0 when the client gets its bytes back, 1 on
 * any failure or after 10 seconds. */
#include <stdio.h>
#include <string.h>

#include <mnet/mnet_core.h>
#include <mnet/mnet_ext.h>

int main(int argc, char *argv[]) {
    const char *who = argc > 1 ? argv[1] : "consumer_c";
    const char ping[] = "ping from C";
    char got[64];
    int got_len = 0, failed = 0;
    chann_t *listener, *client, *server = NULL;
    chann_addr_t addr;
    int64_t end;

    mnet_init();
    listener = mnet_chann_open(CHANN_TYPE_STREAM);
    client = mnet_chann_open(CHANN_TYPE_STREAM);
    if (mnet_chann_listen(listener, "127.0.0.1", 0, 4) != 1 || mnet_chann_socket_addr(listener, &addr) != 1 ||
        mnet_chann_connect(client, addr.ip, addr.port) != 1) {
        fprintf(stderr, "%s: %s\n", who, mnet_last_error());
        return 1;
    }
    end = mnet_tm_current() + 10 * 1000 * 1000;
    while (got_len < (int)strlen(ping) && !failed && mnet_tm_current() < end && mnet_poll(100) > 0) {
        chann_msg_t *m;
        while ((m = mnet_result_next()) != NULL) {
            char buf[64];
            int n;
            if (m->event == CHANN_EVENT_ACCEPT) {
                server = m->r;
            } else if (m->event == CHANN_EVENT_CONNECTED) {
                mnet_chann_send(m->n, (void *)ping, (int)strlen(ping));
            } else if (m->event == CHANN_EVENT_RECV && m->n == server) {
                if ((n = mnet_chann_recv(m->n, buf, sizeof buf)) > 0) mnet_chann_send(m->n, buf, n);
            } else if (m->event == CHANN_EVENT_RECV) {
                n = mnet_chann_recv(m->n, got + got_len, (int)sizeof got - got_len);
                if (n > 0) got_len += n;
            } else if (m->event == CHANN_EVENT_DISCONNECT) {
                fprintf(stderr, "%s: disconnected, err %d\n", who, m->err);
                failed = 1;
            }
        }
    }
    if (got_len != (int)strlen(ping) || memcmp(got, ping, (size_t)got_len) != 0) {
        fprintf(stderr, "%s: echo failed: got %d bytes\n", who, got_len);
        return 1;
    }
    printf("%s: echo ok (mnet %d, 127.0.0.1:%d)\n", who, mnet_version(), addr.port);
    mnet_fini();
    return 0;
}
