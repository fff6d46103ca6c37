/*
 * mnet_core.h: m_net's C API on mnet's Rust engine.
 *
 * A drop-in for lalawue/m_net's src/mnet_core.h: the same names, values and
 * binary layout, so m_net's C programs compile against it with only their
 * #include line changed (#include <mnet/mnet_core.h>), and programs or
 * bindings built against m_net's header (its LuaJIT FFI binding among them)
 * work against libmnet.so. What mnet adds in C (IPv6 and host names, TLS
 * settings, half-close, idle timeouts, DNS, stats, mnet_last_error) is in
 * <mnet/mnet_ext.h>.
 *
 * The model. A chann_t is one socket: a TCP listener or connection, or a UDP
 * endpoint. mnet_poll(ms) waits for activity (at most ms milliseconds, less
 * when a timer is due) and queues this round's messages; mnet_result_next()
 * hands them out, one chann_msg_t at a time, until it returns NULL. The
 * library never calls back into the program (except the optional log,
 * balancer and extension hooks it was given). The usual loop:
 *
 *     mnet_init();
 *     chann_t *srv = mnet_chann_open(CHANN_TYPE_STREAM);
 *     mnet_chann_listen(srv, "127.0.0.1", 8090, 128);
 *     while (mnet_poll(100) > 0) {
 *         chann_msg_t *msg;
 *         while ((msg = mnet_result_next()) != NULL) {
 *             ... msg->event, msg->n, msg->r, msg->err, msg->opaque ...
 *         }
 *     }
 *     mnet_fini();
 *
 * Threads. The loop is per thread (m_net had one per process): each thread
 * that calls mnet_init gets its own, and a chann_t belongs to the thread
 * that opened it. The C++ face (<mnet/mnet.hpp>) uses the same loop, so one
 * thread may mix both faces.
 *
 * Ownership. Every chann_t is the program's to close with
 * mnet_chann_close(), accepted ones too (msg->r of CHANN_EVENT_ACCEPT).
 * DISCONNECT only ends the connection: the chann stays open and may connect
 * again. A chann_t is a name, never dereferenced as memory: a stale, closed
 * or garbage pointer makes a call fail (-1, 0 or NULL, with a sentence in
 * mnet_last_error()), never crash.
 *
 * Errors. Calls that can fail return -1 (or 0 where m_net returned 0 for
 * failure, as listen and connect do, or NULL) and leave a sentence in
 * mnet_last_error() (<mnet/mnet_ext.h>). NULL arguments, negative lengths and
 * malformed addresses are errors, never crashes.
 */
#ifndef MNET_H
#define MNET_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* m_net's socket buffer size. mnet leaves the kernel's buffer auto-tuning on
 * unless mnet_chann_socket_set_bufsize asks otherwise; the value stays for
 * programs that size their own buffers with it. */
#define MNET_BUF_SIZE (64 * 1024)
/* Milliseconds per second: mnet_chann_active_event(n, CHANN_EVENT_TIMER,
 * 5 * MNET_MILLI_SECOND) fires every 5 seconds. */
#define MNET_MILLI_SECOND (1000)

/* Channel types. 4..7 are extension types (mnet_ext_register); without a
 * registered extension, 4 is TLS on rustls (CHANN_TYPE_TLS, configured with
 * <mnet/mnet_ext.h>). */
typedef enum {
    CHANN_TYPE_STREAM = 1,    /* TCP */
    CHANN_TYPE_DGRAM = 2,     /* UDP */
    CHANN_TYPE_BROADCAST = 3, /* UDP with SO_BROADCAST */
    CHANN_TYPE_TLS = 4        /* TLS over TCP, unless an extension took type 4 */
} chann_type_t;

/* Channel states. */
typedef enum {
    CHANN_STATE_CLOSED = 0,     /* closed (or not a channel at all) */
    CHANN_STATE_DISCONNECT = 1, /* open, no socket: new, disconnected or lost; may listen or connect */
    CHANN_STATE_CONNECTING = 2, /* a connect (or a TLS handshake) is under way */
    CHANN_STATE_CONNECTED = 3,  /* connected: recv and send work */
    CHANN_STATE_LISTENING = 4   /* TCP listening, or UDP bound (mnet_dgram_recv/send work) */
} chann_state_t;

/* Events, in the order a round hands them out: TIMERs first, then the rest.
 * The rules (the same for every face of mnet):
 * - RECV: level-style, once per round while unread data remains. Every byte
 *   the kernel holds when the connection ends (FIN, reset, error, failed
 *   send) comes before the DISCONNECT; a program that reads nothing in a
 *   round after the peer finished declines the rest, and DISCONNECT follows.
 * - SEND: after mnet_chann_active_event(n, CHANN_EVENT_SEND, 1), once per
 *   round while the send queue is empty and the socket writable.
 * - ACCEPT: on the listener (msg->n), for every connection in the listen
 *   queue, with the new connected chann in msg->r (TLS: after its handshake).
 * - CONNECTED: once per successful connect; a failed one gives one
 *   DISCONNECT instead, with msg->err the errno (ECONNREFUSED, ...).
 * - DISCONNECT: once per connection lost to an outside cause, msg->err an
 *   errno (0: the peer closed); never for the program's own
 *   mnet_chann_disconnect or mnet_chann_close.
 * - TIMER: the chann's repeating timer; first in the round, at most once per
 *   chann per round, on the monotonic clock, without drift. */
typedef enum {
    CHANN_EVENT_RECV = 1,       /* unread data is waiting */
    CHANN_EVENT_SEND = 2,       /* the send queue is empty and the socket writable */
    CHANN_EVENT_ACCEPT = 3,     /* a listener accepted msg->r */
    CHANN_EVENT_CONNECTED = 4,  /* a connect succeeded */
    CHANN_EVENT_DISCONNECT = 5, /* the connection was lost, msg->err = errno (0: peer closed) */
    CHANN_EVENT_TIMER = 6,      /* the chann's timer fired */
    CHANN_EVENT_EOF = 7,        /* mnet: the peer finished sending, with half-close on (mnet_ext.h) */
    CHANN_EVENT_RESOLVED = 8    /* mnet: a mnet_chann_resolve finished (mnet_ext.h) */
} chann_event_t;

/* One channel (an opaque name: never dereference it). */
typedef struct s_chann chann_t;

/* One message of a round. The pointer returned by mnet_result_next stays
 * valid until the next mnet_result_next or mnet_poll call on the thread. */
typedef struct {
    chann_event_t event; /* what happened */
    int err;             /* DISCONNECT: the errno (0: the peer closed); RESOLVED: 0 or the DNS err; else 0 */
    chann_t *n;          /* the chann the event is for (the listener, for ACCEPT) */
    chann_t *r;          /* ACCEPT: the new connected chann, owned by the program; else NULL */
    void *opaque;        /* n's opaque pointer when the message was handed out */
} chann_msg_t;

/* An IPv4 address as m_net spelled it: dotted-quad text (NUL-padded) and a
 * port. IPv6 addresses do not fit: see mnet_ext.h for calls that take and
 * give any address as text. */
typedef struct {
    char ip[17];
    int port;
} chann_addr_t;

/* m_net's callback-style message handler type (unused by the pull API). */
typedef void (*chann_msg_cb)(chann_msg_t *);
/* Receives one log record: the chann it concerns (or NULL), its level
 * (1 error, 2 info, 3 verbose) and the text. */
typedef void (*mnet_log_cb)(chann_t *, int, const char *log_string);
/* A multi-process accept balancer hook: (context, listening socket fd). */
typedef int (*mnet_balancer_cb)(void *context, int afd);

/* m_net swapped its allocator here. mnet's memory comes from the Rust
 * allocator, which cannot be replaced at run time: the call is accepted
 * (NULLs or not) and changes nothing; it exists so m_net programs link. */
void mnet_allocator(void *(*new_malloc)(int), void *(*new_realloc)(void *, int), void (*new_free)(void *));

/* Log level (0 off, 1 error, 2 info, 3 verbose) and receiver, process-wide.
 * Without a callback records go to stderr. Records are handed to the
 * callback on the thread that made them, at the end of each mnet_poll and
 * of this call. */
void mnet_setlog(int level, mnet_log_cb cb);

/* Makes this thread's loop. Returns 1 the first time on the thread, 0
 * after. Never changes the process's signal handlers (mnet uses
 * MSG_NOSIGNAL, so no SIGPIPE is raised). Optional: every call makes the
 * loop when it is missing. */
int mnet_init(void);

/* Closes every chann of this thread (no events; an extension's
 * disconnect_cb and close_cb run for its channs, as mnet_chann_close runs
 * them) and drops the loop. */
void mnet_fini(void);

/* The library version, major * 10000 + minor * 100 + patch. */
int mnet_version(void);

/* The number of open channs of this thread; with level > 0 it also logs one
 * line per chann (info level). -1 on error. */
int mnet_report(int level);

/* Resolves host (a name or numeric IPv4) to its first IPv4 address and
 * fills out (ip and port). Blocks in getaddrinfo: for a loop that must not
 * block, use mnet_chann_resolve (mnet_ext.h). `ctype` is accepted and not
 * needed. Returns 1, or 0 with mnet_last_error() when it cannot. */
int mnet_resolve(const char *host, int port, chann_type_t ctype, chann_addr_t *out);

/* Multi-process accept balancing: before each batch of accepts on a
 * listener, ac_before(ac_context, listening_fd) runs, and only if it
 * returns > 0 does this process accept (then ac_after runs the same way).
 * A refused listener is tried again a few milliseconds later, without
 * spinning, while the connection waits in the listen queue for whichever
 * process accepts it. NULL hooks restore plain accepting (one NULL hook
 * says yes). Per thread. The hooks run inside mnet_poll: calls into mnet
 * from them fail (mnet is not re-entrant). */
void mnet_multi_accept_balancer(void *ac_context, mnet_balancer_cb ac_before, mnet_balancer_cb ac_after);

/* In a child after fork: gives this thread's loop a fresh event queue and
 * registers every inherited chann in it again (the parent's queue is left
 * to the parent). */
void mnet_multi_reset_event(void);

/* Runs one round: waits up to `milliseconds` (cut short for the nearest
 * timer), queues the round's messages. Returns the number of open channs of
 * this thread (so `while (mnet_poll(100) > 0)` ends when the last is
 * closed), or -1 on error. */
int mnet_poll(uint32_t milliseconds);

/* The next message of the round, or NULL when the round is over. Messages
 * for channs closed or reconnected since they were queued are dropped. */
chann_msg_t *mnet_result_next(void);

/* Opens a chann of `type`, without a socket (state DISCONNECT). NULL for an
 * unknown type (mnet_last_error() says so). */
chann_t *mnet_chann_open(chann_type_t type);

/* Closes the chann: its socket (queued bytes get one last non-blocking
 * write; TLS sends close_notify), its timer, and every message still queued
 * for it. No event. Safe inside the mnet_result_next loop, and harmless on a
 * chann already closed. */
void mnet_chann_close(chann_t *n);

/* The chann's socket descriptor, -1 without one. */
int mnet_chann_fd(chann_t *n);

/* The chann's type (as opened), or 0 (as in m_net) for something that is
 * not a chann. */
chann_type_t mnet_chann_type(chann_t *n);

/* Listens (TCP) or binds (UDP) on host:port (host NULL or "": every IPv4
 * address; a numeric address or a name in /etc/hosts; port 0 picks a free
 * one). Returns 1, or 0 with mnet_last_error(). */
int mnet_chann_listen(chann_t *n, const char *host, int port, int backlog);

/* Connects to host:port. TCP: 1 means it started and ends in one CONNECTED
 * or one DISCONNECT; a host name is resolved on the loop, never blocking.
 * UDP: the destination of mnet_chann_send, at once (no event). Returns 1,
 * or 0 with mnet_last_error() (no event follows). */
int mnet_chann_connect(chann_t *n, const char *host, int port);

/* Closes the socket, keeps the chann (it may listen or connect again). No
 * event. */
void mnet_chann_disconnect(chann_t *n);

/* A pointer of the program's, handed back in every chann_msg_t of n. */
void mnet_chann_set_opaque(chann_t *n, void *opaque);
void *mnet_chann_get_opaque(chann_t *n);

/* CHANN_EVENT_SEND, value != 0: SEND once per round while the send queue is
 * empty and the socket writable; 0 stops it (a new connect stops it too).
 * CHANN_EVENT_TIMER, value in milliseconds: a repeating timer, restarted
 * from now when set again; 0 stops it. Works in every state.
 * CHANN_EVENT_RECV (mnet), value 0: pause reading (backpressure); != 0
 * resume. */
void mnet_chann_active_event(chann_t *n, chann_event_t et, int64_t value);

/* Reads up to len bytes: the count, 0 when nothing is waiting now (or the
 * peer closed: DISCONNECT follows in the round), -1 on error. On UDP one
 * datagram. */
int mnet_chann_recv(chann_t *n, void *buf, int len);

/* Sends len bytes: what the kernel does not take now is copied to the
 * chann's queue and sent in order, so it returns len; -1 on error (a send
 * limit reached, not connected, or the connection failed: DISCONNECT
 * follows). buf is free again on return. Small sends (under 4 KiB queued)
 * are gathered and leave in one system call per chann when the round's
 * messages run out (mnet_result_next returns NULL) or at the next
 * mnet_poll: a program that sends and then blocks outside mnet runs
 * mnet_poll(0) first. */
int mnet_chann_send(chann_t *n, void *buf, int len);

/* UDP: reads one datagram and its sender (a bound or connected chann). Returns as
 * mnet_chann_recv; `addr_in` may be NULL. */
int mnet_dgram_recv(chann_t *n, chann_addr_t *addr_in, void *buf, int len);

/* UDP: sends one datagram to addr_out (binding the chann to a free port
 * first when it has no socket). Returns len or -1. */
int mnet_dgram_send(chann_t *n, chann_addr_t *addr_out, void *buf, int len);

/* Exact number of bytes queued and not yet handed to the kernel, or -1. */
int mnet_chann_cached(chann_t *n);

/* The chann's state (chann_state_t); CHANN_STATE_CLOSED for a closed or
 * invalid chann. */
int mnet_chann_state(chann_t *n);

/* Bytes sent (be_send != 0) or received over the chann's life, or -1. */
long long mnet_chann_bytes(chann_t *n, int be_send);

/* This end's address (getsockname): the bound address of a listener, the
 * local address of a connection. Returns 1, or 0 without a socket or for an
 * IPv6 address (mnet_ext.h has a call for any address). */
int mnet_chann_socket_addr(chann_t *n, chann_addr_t *out);

/* The peer's address (getpeername) while connected. Returns 1 or 0. */
int mnet_chann_peer_addr(chann_t *n, chann_addr_t *out);

/* Fixes SO_SNDBUF and SO_RCVBUF now and for later sockets of the chann
 * (turns kernel auto-tuning off). Returns 1 or 0. */
int mnet_chann_socket_set_bufsize(chann_t *n, int bufsize);

/* Microseconds on the monotonic clock (m_net's was the wall clock; only
 * differences are meaningful). Needs no mnet_init. */
int64_t mnet_tm_current(void);

/* Splits "ip:port" into out (IPv4 text and port; ":port" or a short host
 * gives "0.0.0.0"). Returns 1, or 0 for text without a port or a host that
 * does not fit (never writes past ip[17]). Needs no mnet_init. */
int mnet_parse_ipport(const char *ipport, chann_addr_t *out);

/* Extension interface (m_net's): a new chann type 4..7 built on a raw
 * STREAM, DGRAM or BROADCAST chann. The hooks run on the thread of the
 * chann, inside mnet calls:
 * - type_fn: the raw type the extension type is built on;
 * - filter_fn: sees every message of the type's channs before the program;
 *   it may rewrite msg->event, msg->n and msg->r, and returns 0 to drop it;
 * - open_cb after mnet_chann_open, close_cb before mnet_chann_close,
 *   listen_cb after listen, accept_cb on the new chann of an ACCEPT before
 *   the message is filtered, connect_cb after a connect starts,
 *   disconnect_cb before the socket closes;
 * - state_fn: the state the program sees (given the raw one);
 * - recv_fn / send_fn: replace the raw reads and writes of the socket
 *   (mnet_chann_fd(n) is the socket): > 0 bytes moved, 0 would block, < 0 an
 *   error that ends the connection (errno says which). send_fn may take
 *   less than it is given (mnet offers the rest again at once); after a 0
 *   the rest is queued and offered again when the socket drains. recv_fn
 *   should not keep bytes back: RECV is raised again only while the socket
 *   holds input (or recv_fn keeps returning data).
 * Registering type 4 replaces the built-in TLS for that type. */
typedef int (*mnet_ext_chann_raw_type)(void *ext_ctx, chann_type_t ctype);
typedef int (*mnet_ext_chann_msg_filter)(void *ext_ctx, chann_msg_t *msg);
typedef void (*mnet_ext_chann_op_cb)(void *ext_ctx, chann_t *n);
typedef int (*mnet_ext_chann_state_wrapper)(void *ext_ctx, chann_t *n, int state);
typedef int (*mnet_ext_chann_data_wrapper)(void *ext_ctx, chann_t *n, void *buf, int len);

/* An extension type's hooks, all required. Copied by mnet_ext_register. */
typedef struct {
    uint8_t reserved;                      /* used internally by m_net; ignored */
    void *ext_ctx;                         /* handed to every hook; may be NULL */
    mnet_ext_chann_raw_type type_fn;       /* the raw type: STREAM, DGRAM or BROADCAST */
    mnet_ext_chann_msg_filter filter_fn;   /* filters the type's messages */
    mnet_ext_chann_op_cb open_cb;          /* after open */
    mnet_ext_chann_op_cb close_cb;         /* before close */
    mnet_ext_chann_op_cb listen_cb;        /* after listen */
    mnet_ext_chann_op_cb accept_cb;        /* on the accepted chann */
    mnet_ext_chann_op_cb connect_cb;       /* after a connect starts */
    mnet_ext_chann_op_cb disconnect_cb;    /* before the socket closes */
    mnet_ext_chann_state_wrapper state_fn; /* the state the program sees */
    mnet_ext_chann_data_wrapper recv_fn;   /* replaces the socket read */
    mnet_ext_chann_data_wrapper send_fn;   /* replaces the socket write */
} mnet_ext_t;

/* Registers extension type ctype (4..7), process-wide; ext is copied.
 * Returns 1, or 0 (a type out of range or taken, a NULL hook, a raw type
 * that is not STREAM, DGRAM or BROADCAST) with mnet_last_error(). */
int mnet_ext_register(chann_type_t ctype, mnet_ext_t *ext);

/* A pointer reserved for the extension, beside the program's opaque. */
void mnet_ext_chann_set_ud(chann_t *n, void *ext_ud);
void *mnet_ext_chann_get_ud(chann_t *n);

#ifdef __cplusplus
}
#endif

#endif
