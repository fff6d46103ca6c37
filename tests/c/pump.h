/* The bulk transfer of test_rwdata and test_ext_framing, m_net's
 * test_rwdata: the client sends one 256 KiB chunk per CHANN_EVENT_SEND (queue
 * empty and writable); the server checks every byte and echoes it; the
 * client checks every echoed byte. Byte i of the stream is i & 0xff, so a
 * lost, doubled or reordered byte shows at once. MNET_RWDATA_BYTES sets the
 * size (default 1 GiB; the sanitizer run uses 64 MiB). */
#ifndef MNET_TEST_PUMP_H
#define MNET_TEST_PUMP_H

#include "check.h"

#define PUMP_CHUNK (256 * 1024)
/* The server stops reading while this much echo is still queued, so memory
 * stays bounded however the two ends are scheduled. */
#define PUMP_ECHO_BACKLOG (4 * 1024 * 1024)

typedef struct {
    long long total;                     /* the bytes to send */
    long long sent, received, echoed;    /* by the client, at the server, back at the client */
    int send_events;
    int one_way;                         /* the server checks without echoing */
} pump_t;

static unsigned char pump_chunk[PUMP_CHUNK], pump_sbuf[PUMP_CHUNK], pump_cbuf[PUMP_CHUNK];

/* MNET_RWDATA_BYTES, or 1 GiB. */
static inline long long pump_total(void) {
    const char *env = getenv("MNET_RWDATA_BYTES");
    long long total = env != NULL ? atoll(env) : 1LL << 30;
    CHECK_GT(total, 0);
    return total;
}

/* Checks that buf[0..n) continues the pattern at stream offset `off`. */
static inline void pump_check(const unsigned char *buf, int n, long long off, const char *who) {
    int i;
    for (i = 0; i < n; i++) {
        if (buf[i] != (unsigned char)(off + i))
            FAIL("%s: byte at offset %lld is %d, expected %d", who, off + i, buf[i], (int)((off + i) & 0xff));
    }
}

/* The server's RECV: reads, checks and echoes. */
static inline void pump_serve(pump_t *p, chann_t *n) {
    int got;
    while (mnet_chann_cached(n) < PUMP_ECHO_BACKLOG && (got = mnet_chann_recv(n, pump_sbuf, PUMP_CHUNK)) > 0) {
        pump_check(pump_sbuf, got, p->received, "server");
        p->received += got;
        if (!p->one_way) CHECK_EQ(mnet_chann_send(n, pump_sbuf, got), got);
    }
}

/* The client's SEND: the next chunk of the pattern; SEND off after the last. */
static inline void pump_send(pump_t *p, chann_t *n) {
    int i, len = p->total - p->sent < PUMP_CHUNK ? (int)(p->total - p->sent) : PUMP_CHUNK;
    ++p->send_events;
    CHECK_EQ(mnet_chann_cached(n), 0);
    CHECK_GT(len, 0);
    for (i = 0; i < len; i++) pump_chunk[i] = (unsigned char)(p->sent + i);
    CHECK_EQ(mnet_chann_send(n, pump_chunk, len), len);
    p->sent += len;
    if (p->sent == p->total) mnet_chann_active_event(n, CHANN_EVENT_SEND, 0);
}

/* The client's RECV: reads and checks the echo. */
static inline void pump_take_echo(pump_t *p, chann_t *n) {
    int got;
    while ((got = mnet_chann_recv(n, pump_cbuf, PUMP_CHUNK)) > 0) {
        pump_check(pump_cbuf, got, p->echoed, "client");
        p->echoed += got;
    }
}

#endif
