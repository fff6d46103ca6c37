/*
 * lws_ws_echo.c - the libwebsockets peer of the WebSocket benchmark
 * (bench/run.sh --only ws): an echo server on libwebsockets 4.1 (Debian's
 * libwebsockets-dev), one context, one service thread (lws_service on the
 * main thread).
 *
 * Every message comes back whole and as it came (text stays text): the
 * pieces RECEIVE hands over are reassembled into the connection's buffer,
 * a complete message joins the connection's queue, and the writable
 * callback sends the queue one message per lws_write. Buffers are reused
 * from message to message (a sent message's buffer becomes the next one's),
 * so the steady state allocates nothing. lws checks text as UTF-8
 * (LWS_SERVER_OPTION_VALIDATE_UTF8).
 *
 * With --deflate the server accepts permessage-deflate
 * (lws_extension_callback_pm_deflate), set on each connection when it
 * opens: compression_level 1 (like mnet's default; also lws's), mem_level 8,
 * 15-bit windows and context takeover both ways (lws's defaults, what the
 * client offers), and rx_buf_size / tx_buf_size 2^16: lws inflates and
 * deflates through buffers of that size (default 1 KiB), and a compressed
 * message larger than tx_buf_size goes out as several frames, one service
 * round each. lws compresses every message once the extension is agreed.
 *
 * The protocol's rx_buffer_size and the context's pt_serv_buf_size are 64
 * KiB (defaults: 4 KiB), so a 16 KiB frame is read and handed over in one
 * piece.
 *
 * Build: cc -O2 -o lws_ws_echo lws_ws_echo.c $(pkg-config --cflags --libs libwebsockets)
 * Usage: lws_ws_echo IP:PORT [--deflate]
 */
#include <libwebsockets.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUF_SIZE (64 * 1024)

struct msg {
	unsigned char *buf; /* LWS_PRE bytes of headroom, then the payload */
	size_t len, cap;
	int binary;
};

struct conn {
	struct msg rx;     /* the message being reassembled */
	struct msg *queue; /* complete messages to send, oldest at head */
	size_t head, count, size;
	unsigned char *spare; /* a sent message's buffer, for the next one */
	size_t spare_cap;
};

static int deflate_on;

static int grow(struct msg *m, size_t need)
{
	size_t cap = m->cap ? m->cap : 4096;
	unsigned char *p;

	while (cap < need)
		cap *= 2;
	p = realloc(m->buf, LWS_PRE + cap);
	if (!p)
		return -1;
	m->buf = p;
	m->cap = cap;
	return 0;
}

static int append(struct conn *c, const void *in, size_t len)
{
	if (c->rx.len + len > c->rx.cap && grow(&c->rx, c->rx.len + len))
		return -1;
	memcpy(c->rx.buf + LWS_PRE + c->rx.len, in, len);
	c->rx.len += len;
	return 0;
}

/* The reassembled message joins the queue; rx starts afresh on the spare
 * buffer. */
static int enqueue(struct conn *c)
{
	if (!c->rx.buf && grow(&c->rx, 1)) /* an empty first message */
		return -1;
	if (c->count == c->size) {
		size_t n = c->size ? 2 * c->size : 4, i;
		struct msg *q = malloc(n * sizeof(*q));

		if (!q)
			return -1;
		for (i = 0; i < c->count; i++)
			q[i] = c->queue[(c->head + i) % c->size];
		free(c->queue);
		c->queue = q;
		c->head = 0;
		c->size = n;
	}
	c->queue[(c->head + c->count) % c->size] = c->rx;
	c->count++;
	c->rx.buf = c->spare;
	c->rx.cap = c->spare_cap;
	c->rx.len = 0;
	c->spare = NULL;
	c->spare_cap = 0;
	return 0;
}

static void release(struct conn *c)
{
	size_t i;

	free(c->rx.buf);
	for (i = 0; i < c->count; i++)
		free(c->queue[(c->head + i) % c->size].buf);
	free(c->queue);
	free(c->spare);
	memset(c, 0, sizeof(*c));
}

static int callback_echo(struct lws *wsi, enum lws_callback_reasons reason,
			 void *user, void *in, size_t len)
{
	struct conn *c = user;
	struct msg *m;
	int n;

	switch (reason) {
	case LWS_CALLBACK_ESTABLISHED:
		memset(c, 0, sizeof(*c));
		if (deflate_on) {
			/* -1: the extension was not agreed on this connection */
			lws_set_extension_option(wsi, "permessage-deflate", "compression_level", "1");
			lws_set_extension_option(wsi, "permessage-deflate", "mem_level", "8");
			lws_set_extension_option(wsi, "permessage-deflate", "rx_buf_size", "16");
			lws_set_extension_option(wsi, "permessage-deflate", "tx_buf_size", "16");
		}
		break;

	case LWS_CALLBACK_RECEIVE:
		/* rx is empty at a message's start (enqueue leaves it so) */
		c->rx.binary = lws_frame_is_binary(wsi);
		if (len && append(c, in, len))
			return -1;
		if (lws_is_final_fragment(wsi)) {
			if (enqueue(c))
				return -1;
			lws_callback_on_writable(wsi);
		}
		break;

	case LWS_CALLBACK_SERVER_WRITEABLE:
		if (!c->count)
			break;
		m = &c->queue[c->head];
		n = lws_write(wsi, m->buf + LWS_PRE, m->len,
			      m->binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT);
		if (n < (int)m->len)
			return -1;
		if (!c->spare) {
			c->spare = m->buf;
			c->spare_cap = m->cap;
		} else {
			free(m->buf);
		}
		c->head = (c->head + 1) % c->size;
		c->count--;
		if (c->count)
			lws_callback_on_writable(wsi);
		break;

	case LWS_CALLBACK_CLOSED:
		release(c);
		break;

	default:
		break;
	}
	return 0;
}

static const struct lws_protocols protocols[] = {
	{ "echo", callback_echo, sizeof(struct conn), BUF_SIZE, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

static const struct lws_extension extensions[] = {
	{ "permessage-deflate", lws_extension_callback_pm_deflate,
	  "permessage-deflate; client_max_window_bits" },
	{ NULL, NULL, NULL }
};

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

int main(int argc, char **argv)
{
	struct lws_context_creation_info info;
	struct lws_context *context;
	char ip[64];
	const char *colon = argc > 1 ? strrchr(argv[1], ':') : NULL;

	if (!colon || (size_t)(colon - argv[1]) >= sizeof(ip)) {
		fprintf(stderr, "usage: %s IP:PORT [--deflate]\n", argv[0]);
		return 2;
	}
	memcpy(ip, argv[1], (size_t)(colon - argv[1]));
	ip[colon - argv[1]] = '\0';
	deflate_on = argc > 2 && !strcmp(argv[2], "--deflate");

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	lws_set_log_level(LLL_ERR | LLL_WARN, NULL);

	memset(&info, 0, sizeof(info));
	info.port = atoi(colon + 1);
	info.iface = ip;
	info.protocols = protocols;
	if (deflate_on)
		info.extensions = extensions;
	info.pt_serv_buf_size = BUF_SIZE;
	info.count_threads = 1;
	info.options = LWS_SERVER_OPTION_VALIDATE_UTF8;

	context = lws_create_context(&info);
	if (!context) {
		fprintf(stderr, "lws_ws_echo: lws_create_context failed\n");
		return 1;
	}
	printf("lws_ws_echo listening on %s%s\n", argv[1], deflate_on ? " (permessage-deflate)" : "");
	fflush(stdout);
	while (!interrupted && lws_service(context, 1000) >= 0)
		;
	lws_context_destroy(context);
	return 0;
}
