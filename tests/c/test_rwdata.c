/* Bulk data through the SEND pump, m_net's test_rwdata: a client writes
 * 1 GiB in 256 KiB chunks, one chunk per CHANN_EVENT_SEND (queue empty and
 * writable); the server checks every byte and echoes it; the client checks
 * every echoed byte. Byte i of the stream is i & 0xff, so a lost, doubled
 * or reordered byte shows at once. MNET_RWDATA_BYTES lowers the size (the
 * sanitizer run uses 64 MiB). */
#include "check.h"

#define CHUNK (256 * 1024)
/* The server stops reading while this much echo is still queued, so memory
 * stays bounded however the two ends are scheduled. */
#define ECHO_BACKLOG (4 * 1024 * 1024)

static long long g_total = 1LL << 30;
static chann_t *g_listener, *g_server, *g_client;
static unsigned char g_chunk[CHUNK], g_sbuf[CHUNK], g_cbuf[CHUNK];
static long long g_sent, g_echoed, g_received;
static int g_send_events, g_server_lost;

/* Checks that buf[0..n) continues the pattern at stream offset `off`. */
static void check_pattern(const unsigned char *buf, int n, long long off, const char *who) {
    int i;
    for (i = 0; i < n; i++) {
        if (buf[i] != (unsigned char)(off + i))
            FAIL("%s: byte at offset %lld is %d, expected %d", who, off + i, buf[i], (int)((off + i) & 0xff));
    }
}

static void on_server(chann_msg_t *m) {
    int n;
    if (m->event == CHANN_EVENT_RECV) {
        while (mnet_chann_cached(m->n) < ECHO_BACKLOG) {
            n = mnet_chann_recv(m->n, g_sbuf, CHUNK);
            if (n <= 0) break;
            check_pattern(g_sbuf, n, g_received, "server");
            g_received += n;
            CHECK_EQ(mnet_chann_send(m->n, g_sbuf, n), n);
        }
    } else if (m->event == CHANN_EVENT_DISCONNECT) {
        CHECK_EQ(m->err, 0);
        g_server_lost = 1;
    } else {
        FAIL("server got event %d err %d", (int)m->event, m->err);
    }
}

static void on_client(chann_msg_t *m) {
    int i, n;
    if (m->event == CHANN_EVENT_CONNECTED) {
        mnet_chann_active_event(m->n, CHANN_EVENT_SEND, 1);
    } else if (m->event == CHANN_EVENT_SEND) {
        ++g_send_events;
        CHECK_EQ(mnet_chann_cached(m->n), 0);
        CHECK_LT(g_sent, g_total);
        n = g_total - g_sent < CHUNK ? (int)(g_total - g_sent) : CHUNK;
        for (i = 0; i < n; i++) g_chunk[i] = (unsigned char)(g_sent + i);
        CHECK_EQ(mnet_chann_send(m->n, g_chunk, n), n);
        g_sent += n;
        if (g_sent == g_total) mnet_chann_active_event(m->n, CHANN_EVENT_SEND, 0);
    } else if (m->event == CHANN_EVENT_RECV) {
        while ((n = mnet_chann_recv(m->n, g_cbuf, CHUNK)) > 0) {
            check_pattern(g_cbuf, n, g_echoed, "client");
            g_echoed += n;
        }
    } else {
        FAIL("client got event %d err %d", (int)m->event, m->err);
    }
}

static void on_msg(chann_msg_t *m) {
    if (m->n == g_listener) {
        CHECK_EQ(m->event, CHANN_EVENT_ACCEPT);
        CHECK(g_server == NULL);
        g_server = m->r;
    } else if (m->n == g_server) {
        on_server(m);
    } else {
        CHECK_PTR_EQ(m->n, g_client);
        on_client(m);
    }
}

int main(void) {
    const char *env = getenv("MNET_RWDATA_BYTES");
    if (env != NULL) g_total = atoll(env);
    CHECK_GT(g_total, 0);

    g_listener = check_listen(CHANN_TYPE_STREAM, 4);
    g_client = mnet_chann_open(CHANN_TYPE_STREAM);
    CHECK_EQ(mnet_chann_connect(g_client, "127.0.0.1", check_port(g_listener)), 1);
    POLL_UNTIL(g_echoed == g_total, 240, on_msg);

    CHECK_EQ(g_sent, g_total);
    CHECK_EQ(g_received, g_total);
    CHECK_EQ(mnet_chann_bytes(g_client, 1), g_total);
    CHECK_EQ(mnet_chann_bytes(g_client, 0), g_total);
    CHECK_EQ(mnet_chann_bytes(g_server, 0), g_total);
    CHECK_EQ(mnet_chann_bytes(g_server, 1), g_total);
    CHECK_EQ(g_send_events, (g_total + CHUNK - 1) / CHUNK);
    CHECK_EQ(mnet_chann_cached(g_client), 0);
    CHECK_EQ(mnet_chann_cached(g_server), 0);
    PASS("%lld bytes pumped by SEND in 256 KiB chunks, byte-checked at the server and after the echo", g_total);

    mnet_chann_disconnect(g_client);
    CHECK_EQ(mnet_chann_state(g_client), CHANN_STATE_DISCONNECT);
    POLL_UNTIL(g_server_lost, 10, on_msg);
    PASS("the server sees DISCONNECT (err 0) after the client's mnet_chann_disconnect; the client sees nothing");
    mnet_chann_close(g_server);
    mnet_chann_close(g_client);
    mnet_chann_close(g_listener);
    CHECK_EQ(mnet_poll(0), 0);
    mnet_fini();
    return 0;
}
