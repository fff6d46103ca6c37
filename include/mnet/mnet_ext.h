/*
 * mnet_ext.h: what mnet adds to m_net's C API (<mnet/mnet_core.h>, which
 * this header includes): errors as sentences, addresses of any kind as text
 * (IPv6, host names resolved without blocking), DNS lookups on the loop,
 * TLS settings, half-close, idle timeouts, send limits, SO_REUSEPORT and
 * multicast.
 *
 * Conventions: calls return 1 on success and 0 on failure (counts and
 * lengths: >= 0, or -1), and a failure leaves a sentence in
 * mnet_last_error(). Text arguments are NUL-terminated UTF-8; NULL is an
 * error unless said otherwise. Output buffers take the text and its NUL;
 * one too small is an error (nothing truncated).
 */
#ifndef MNET_EXT_H
#define MNET_EXT_H

#include <stdint.h>

#include "mnet_core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* This thread's last error, as a sentence ("invalid address '1.2.3.4:99999':
 * port out of range (0-65535)"). Valid until the next call of this function
 * (or mnet_chann_error) on the thread; never NULL. */
const char *mnet_last_error(void);

/* Why the chann's last connection failed, when DISCONNECT alone does not
 * say: a TLS handshake or certificate failure ("TLS: invalid peer
 * certificate: UnknownIssuer") or a DNS failure ("cannot resolve 'x': no
 * such host (NXDOMAIN)"); "" otherwise. Valid as mnet_last_error's text. */
const char *mnet_chann_error(chann_t *n);

/* ---- addresses as text: "ip:port", "[v6]:port", ":port", "host:port" ---- */

/* Listens on `addr` (a numeric address, or a name /etc/hosts lists: listening
 * never waits for DNS; port 0 picks a free port). */
int mnet_chann_listen_addr(chann_t *n, const char *addr, int backlog);

/* Connects to `addr`; a host name is looked up on the loop (hosts file, then
 * DNS), never blocking: the chann is CONNECTING meanwhile, and a failed
 * lookup gives one DISCONNECT (err ENXIO, ETIMEDOUT or EAGAIN) with the
 * reason in mnet_chann_error(). */
int mnet_chann_connect_addr(chann_t *n, const char *addr);

/* This end's (peer == 0) or the peer's address as text into `out`; the text
 * length, or -1. */
int mnet_chann_addr_text(chann_t *n, int peer, char *out, int outlen);

/* UDP: one datagram and its sender as text (`from` may be NULL). Returns as
 * mnet_chann_recv; a `from` too small for the sender is -1 with the size
 * it needs in mnet_last_error(), and the datagram stays queued. */
int mnet_dgram_recv_text(chann_t *n, char *from, int fromlen, void *buf, int len);

/* UDP: one datagram to `to` (numeric, IPv4 or IPv6). Returns len or -1. */
int mnet_dgram_send_text(chann_t *n, const char *to, const void *buf, int len);

/* ---- DNS without blocking ---- */

/* Looks "host" or "host:port" up on the loop: CHANN_EVENT_RESOLVED follows on
 * n (err 0, or ENXIO no such host, ETIMEDOUT no answer, EAGAIN the servers
 * failed). A new call replaces one under way. */
int mnet_chann_resolve(chann_t *n, const char *host);

/* After RESOLVED: writes address `i` (text, with the port given) into `out`
 * when i >= 0; returns the number of addresses, or -1 when the lookup failed
 * (mnet_last_error() says why). */
int mnet_chann_resolved(chann_t *n, int i, char *out, int outlen);

/* ---- TLS (CHANN_TYPE_TLS) ----
 * Settings shareable by any number of channs, on any thread. A listener
 * needs a certificate and key; a client verifies the server's certificate
 * (against the system trust store unless CAs are given) and its name (the
 * host given to connect, or mnet_chann_set_server_name). ACCEPT and
 * CONNECTED come after the handshake; a failed handshake gives the client
 * one DISCONNECT (err EPROTO, the reason in mnet_chann_error()) and the
 * server nothing. */
typedef struct mnet_tls_config mnet_tls_config_t;

/* New settings (client settings with the system trust store until changed);
 * free them with mnet_tls_config_free (channs keep what they were given). */
mnet_tls_config_t *mnet_tls_config_new(void);
void mnet_tls_config_free(mnet_tls_config_t *cfg);
/* The server's certificate chain (leaf first) and private key: PEM files. */
int mnet_tls_config_set_cert_file(mnet_tls_config_t *cfg, const char *cert_file, const char *key_file);
/* The same from PEM text. */
int mnet_tls_config_set_cert_pem(mnet_tls_config_t *cfg, const char *cert_pem, const char *key_pem);
/* Trust these CA certificates (PEM file, or text) instead of the system store. */
int mnet_tls_config_set_ca_file(mnet_tls_config_t *cfg, const char *ca_file);
int mnet_tls_config_set_ca_pem(mnet_tls_config_t *cfg, const char *ca_pem);
/* One more ALPN protocol to offer or accept, by preference ("http/1.1"). */
int mnet_tls_config_add_alpn(mnet_tls_config_t *cfg, const char *protocol);
/* Accept any server certificate for any name: for tests against throw-away
 * certificates only (it removes all protection against a man in the middle). */
int mnet_tls_config_dangerous_skip_verify(mnet_tls_config_t *cfg);

/* The settings of a CHANN_TYPE_TLS chann for its next listen or connect
 * (accepted channs take their listener's). */
int mnet_chann_set_tls(chann_t *n, mnet_tls_config_t *cfg);
/* The name a client sends (SNI) and checks the certificate against. */
int mnet_chann_set_server_name(chann_t *n, const char *name);
/* How long a handshake may take (ms, default 10000): a client's ends with
 * DISCONNECT ETIMEDOUT, an accepted one is closed silently. */
int mnet_chann_set_handshake_timeout(chann_t *n, int64_t ms);
/* The most handshakes a listener runs at once (default 256); past it the
 * oldest is closed. */
int mnet_chann_set_max_handshakes(chann_t *n, int64_t count);

/* ---- flow and lifetime ---- */

/* Half-close on: the peer's FIN arrives as CHANN_EVENT_EOF (the chann can
 * still send) instead of DISCONNECT. */
int mnet_chann_set_half_close(chann_t *n, int on);
/* Ends sending: the FIN (after close_notify for TLS) goes out once the queue
 * is written; receiving goes on; later sends fail. */
int mnet_chann_shutdown_write(chann_t *n);
/* DISCONNECT with err ETIMEDOUT after `ms` without a byte moving either way
 * (0: off). */
int mnet_chann_set_idle_timeout(chann_t *n, int64_t ms);
/* A high-water mark on the send queue: a send that would take
 * mnet_chann_cached() past `bytes` fails and queues nothing (0: none). */
int mnet_chann_set_send_limit(chann_t *n, int64_t bytes);
/* SO_REUSEPORT for the next listen: several processes or threads share one
 * port, and the kernel spreads the connections. */
int mnet_chann_set_reuse_port(chann_t *n, int on);
/* RECV pause and resume is mnet_chann_active_event(n, CHANN_EVENT_RECV, 0|1). */

/* ---- multicast (IPv4, bound UDP channs) ---- */

/* Joins (join != 0) or leaves `group` on the interface with address `iface`
 * (NULL or "": the kernel's choice; on loopback use "127.0.0.1"). */
int mnet_chann_multicast(chann_t *n, const char *group, const char *iface, int join);
/* The interface multicast datagrams leave by, its loop-back and TTL. */
int mnet_chann_set_multicast_if(chann_t *n, const char *iface);
int mnet_chann_set_multicast_loop(chann_t *n, int on);
int mnet_chann_set_multicast_ttl(chann_t *n, int ttl);

/* The clock m_net's LuaJIT binding calls: mnet_tm_current(). */
int64_t mnet_current(void);

#ifdef __cplusplus
}
#endif

#endif
