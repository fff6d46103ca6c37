/* chann_web: the benchmark HTTP server, m_net's examples/chann_web.c on
 * mnet's C API (the same work as the C++ examples/chann_web.cpp).
 *
 *   build/examples/c/chann_web [ip:port] [body_file]   (defaults: 127.0.0.1:8080 README.md)
 *   curl http://127.0.0.1:8080/                        -> the body file, as text/plain
 *
 * Every request (anything ending in an empty line) gets the same response,
 * built once at start: "HTTP/1.1 200 OK", Content-Type, Content-Length and
 * the file. Connections stay open (keep-alive); pipelined requests are
 * answered in order. Each connection reads through a 400-byte buffer and
 * carries the end-of-request scan from one read to the next (how much of
 * "\r\n\r\n" the last read ended with), so requests of any length, or split
 * across reads, cost no extra memory. A client that pipelines requests
 * without reading the answers is not read from while more than 256 KiB of
 * answers wait for it (RECV paused, resumed on SEND), so memory stays
 * bounded whatever a client does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mnet/mnet_core.h>
#include <mnet/mnet_ext.h>

#define RB_LEN 400
#define MAX_QUEUED (256 * 1024)

/* One connection: the read buffer and the scan state between reads. */
typedef struct {
    int matched; /* how much of "\r\n\r\n" the previous reads ended with (0-3) */
    char rb[RB_LEN];
} web_conn_t;

static char *g_response;
static int g_response_len;

/* Counts the request ends completed by these `n` bytes. */
static int count_requests(web_conn_t *c, const char *p, int n) {
    static const char end[4] = {'\r', '\n', '\r', '\n'};
    int i, count = 0;
    for (i = 0; i < n; i++) {
        if (c->matched == 0) {
            /* Only a '\r' can start a match: skip to the next one. */
            const char *r = memchr(p + i, '\r', (size_t)(n - i));
            if (r == NULL) break;
            i = (int)(r - p);
        }
        if (p[i] == end[c->matched]) {
            if (++c->matched == 4) {
                ++count;
                c->matched = 0;
            }
        } else {
            c->matched = p[i] == '\r' ? 1 : 0;
        }
    }
    return count;
}

/* The response: the headers and the whole body file. */
static int load_response(const char *path) {
    FILE *f = fopen(path, "rb");
    long len;
    int head;
    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        if (f != NULL) fclose(f);
        return 0;
    }
    g_response = malloc((size_t)len + 128);
    if (g_response == NULL) {
        fclose(f);
        return 0;
    }
    head = snprintf(g_response, 128, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %ld\r\n\r\n", len);
    g_response_len = head + (int)fread(g_response + head, 1, (size_t)len, f);
    fclose(f);
    return g_response_len == head + len;
}

static void on_conn(chann_msg_t *msg) {
    web_conn_t *c = msg->opaque;
    int n, count;
    if (msg->event == CHANN_EVENT_RECV) {
        n = mnet_chann_recv(msg->n, c->rb, RB_LEN);
        for (count = count_requests(c, c->rb, n); count > 0; --count) {
            mnet_chann_send(msg->n, g_response, g_response_len);
        }
        if (mnet_chann_cached(msg->n) > MAX_QUEUED) {
            /* Backpressure: stop reading until the answers are out. */
            mnet_chann_active_event(msg->n, CHANN_EVENT_RECV, 0);
            mnet_chann_active_event(msg->n, CHANN_EVENT_SEND, 1);
        }
    } else if (msg->event == CHANN_EVENT_SEND) {
        mnet_chann_active_event(msg->n, CHANN_EVENT_SEND, 0);
        mnet_chann_active_event(msg->n, CHANN_EVENT_RECV, 1);
    } else if (msg->event == CHANN_EVENT_DISCONNECT) {
        free(c);
        mnet_chann_close(msg->n);
    }
}

int main(int argc, char *argv[]) {
    const char *ipport = argc > 1 ? argv[1] : "127.0.0.1:8080";
    const char *path = argc > 2 ? argv[2] : "README.md";
    chann_t *web;
    chann_msg_t *msg;
    char where[64];

    if (!load_response(path)) {
        fprintf(stderr, "chann_web: cannot read body file '%s'\n", path);
        return 1;
    }
    mnet_init();
    web = mnet_chann_open(CHANN_TYPE_STREAM);
    if (mnet_chann_listen_addr(web, ipport, 1024) != 1) {
        fprintf(stderr, "chann_web: listen on %s failed: %s\n", ipport, mnet_last_error());
        return 1;
    }
    mnet_chann_addr_text(web, 0, where, sizeof where);
    printf("chann_web %d listening on %s, body %s (%d bytes)\n", mnet_version(), where, path,
           g_response_len - (int)(strstr(g_response, "\r\n\r\n") + 4 - g_response));
    fflush(stdout);

    while (mnet_poll(1000) > 0) {
        while ((msg = mnet_result_next()) != NULL) {
            if (msg->n != web) {
                on_conn(msg);
            } else if (msg->event == CHANN_EVENT_ACCEPT) {
                web_conn_t *c = calloc(1, sizeof *c);
                if (c == NULL) {
                    mnet_chann_close(msg->r);
                    continue;
                }
                mnet_chann_set_opaque(msg->r, c);
            }
        }
    }
    mnet_fini();
    return 0;
}
