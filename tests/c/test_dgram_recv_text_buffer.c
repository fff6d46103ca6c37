/* mnet_dgram_recv_text checks the sender's buffer before it takes the
 * datagram: one too small for the sender's text (or a negative length) is
 * -1 with "needs N bytes" in mnet_last_error(), and the datagram stays
 * queued, so a retry with a big enough buffer gets it and its sender. A
 * buffer of exactly the text and its NUL is enough; with nothing waiting a
 * small buffer still reads 0, and a NULL `from` skips the sender. */
#include "check.h"

static chann_t *g_server;
static int g_recv;

static void count(chann_msg_t *m) {
    if (m->n == g_server && m->event == CHANN_EVENT_RECV) ++g_recv;
}

int main(void) {
    char to[64], sender[64], from[64], buf[16], needs[32];
    chann_t *client;
    int need;
    g_server = check_listen(CHANN_TYPE_DGRAM, 0);
    snprintf(to, sizeof to, "127.0.0.1:%d", check_port(g_server));
    client = mnet_chann_open(CHANN_TYPE_DGRAM);
    CHECK_EQ(mnet_dgram_send_text(client, to, "first", 5), 5);
    CHECK_EQ(mnet_dgram_send_text(client, to, "second", 6), 6);
    snprintf(sender, sizeof sender, "127.0.0.1:%d", check_port(client));
    need = (int)strlen(sender) + 1;
    snprintf(needs, sizeof needs, "needs %d bytes", need);
    POLL_UNTIL(g_recv > 0, 10, count);

    CHECK_EQ(mnet_dgram_recv_text(g_server, from, need - 1, buf, sizeof buf), -1);
    CHECK_CONTAINS(mnet_last_error(), needs);
    memset(from, 0x55, sizeof from);
    CHECK_EQ(mnet_dgram_recv_text(g_server, from, need, buf, sizeof buf), 5);
    CHECK(memcmp(buf, "first", 5) == 0);
    CHECK_STR_EQ(from, sender);
    PASS("a sender buffer one byte short: -1, \"%s\"; the datagram stays queued and a retry with %d bytes "
         "(the text and its NUL) gets \"first\" from %s",
         needs, need, sender);

    CHECK_EQ(mnet_dgram_recv_text(g_server, from, 4, buf, sizeof buf), -1);
    CHECK_CONTAINS(mnet_last_error(), needs);
    CHECK_EQ(mnet_dgram_recv_text(g_server, from, -1, buf, sizeof buf), -1);
    CHECK_CONTAINS(mnet_last_error(), "negative length");
    CHECK_EQ(mnet_dgram_recv_text(g_server, NULL, 0, buf, sizeof buf), 6);
    CHECK(memcmp(buf, "second", 6) == 0);
    PASS("refused again (4 bytes, a negative length), the datagram is still the next one: a NULL sender "
         "buffer reads \"second\"");

    CHECK_EQ(mnet_dgram_recv_text(g_server, from, 4, buf, sizeof buf), 0);
    CHECK_EQ(mnet_dgram_recv_text(g_server, from, (int)sizeof from, buf, sizeof buf), 0);
    PASS("with nothing waiting a small sender buffer reads 0, like a big one");

    mnet_chann_close(client);
    mnet_chann_close(g_server);
    CHECK_EQ(mnet_poll(0), 0);
    mnet_fini();
    return 0;
}
