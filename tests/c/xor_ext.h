/* The byte layer of the C tests' extensions (mnet_ext_t written in C): a
 * stream cipher of XOR with a key that depends on the stream offset, so a
 * byte lost, doubled, reordered or passed around the hooks garbles what
 * follows. recv_fn and send_fn do the socket I/O themselves on
 * mnet_chann_fd(n), as m_net's OpenSSL extension does with SSL_read and
 * SSL_write; each chann's offsets live in its extension pointer
 * (mnet_ext_chann_get_ud), which the test's hooks allocate. */
#ifndef MNET_TEST_XOR_EXT_H
#define MNET_TEST_XOR_EXT_H

#include <errno.h>
#include <stdint.h>
#include <sys/socket.h>

#include "check.h"

typedef struct {
    uint64_t sent, received; /* stream offsets, in plaintext bytes */
    int state;               /* what state_fn reports (the handshake's view), or -1: the raw state */
    chann_t *listener;       /* the handshake test: the listener of an accepted chann */
    int hello;               /* the handshake test: bytes of the peer's hello read so far */
    int mute_timer;          /* the framing test: the filter drops this chann's TIMERs */
    int send_cap;            /* the framing test: send_fn takes at most this much per call (0: all) */
} xor_ud_t;

static unsigned char xor_scratch[256 * 1024];

/* The key byte at stream offset `off`. */
static inline unsigned char xor_key(uint64_t off) { return (unsigned char)((off * 167u + 13u) ^ (off >> 11)); }

static inline void xor_apply(unsigned char *p, int n, uint64_t off) {
    int i;
    for (i = 0; i < n; i++) p[i] ^= xor_key(off + (uint64_t)i);
}

/* recv_fn: > 0 bytes read and decoded, 0 nothing now (or the peer's end:
 * mnet sees it on the socket), -1 an error (errno set). */
static int xor_recv(void *ctx, chann_t *n, void *buf, int len) {
    xor_ud_t *u = mnet_ext_chann_get_ud(n);
    ssize_t r;
    (void)ctx;
    if (u == NULL) return -1;
    r = recv(mnet_chann_fd(n), buf, (size_t)len, MSG_DONTWAIT);
    if (r < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
    xor_apply(buf, (int)r, u->received);
    u->received += (uint64_t)r;
    return (int)r;
}

/* send_fn: encodes and writes what the socket takes now (mnet queues the
 * rest and offers it again). */
static int xor_send(void *ctx, chann_t *n, void *buf, int len) {
    xor_ud_t *u = mnet_ext_chann_get_ud(n);
    ssize_t r;
    (void)ctx;
    if (u == NULL) return -1;
    if (len > (int)sizeof xor_scratch) len = (int)sizeof xor_scratch;
    if (u->send_cap > 0 && len > u->send_cap) len = u->send_cap;
    memcpy(xor_scratch, buf, (size_t)len);
    xor_apply(xor_scratch, len, u->sent);
    r = send(mnet_chann_fd(n), xor_scratch, (size_t)len, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (r < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
    u->sent += (uint64_t)r;
    return (int)r;
}

static int xor_raw_type(void *ctx, chann_type_t ctype) {
    (void)ctx;
    (void)ctype;
    return CHANN_TYPE_STREAM;
}

#endif
