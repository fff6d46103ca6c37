/*
 * epoll_http.c - the raw-epoll limit for the TechEmpower-style HTTP loads
 * (bench/run.sh --only http). A sibling of ../shared/bench/peers/epoll_web.c
 * in its "et batch" mode, answering the two TechEmpower routes with their
 * exact bytes instead of one fixed response:
 *
 *   GET /plaintext  ->  200, Content-Type: text/plain, "Hello, World!"
 *   GET /json       ->  200, Content-Type: application/json, {"message":"Hello, World!"}
 *   anything else   ->  404
 *
 * each with Server, a Date that changes every second (IMF-fixdate, formatted
 * once per second) and Content-Length, on keep-alive connections.
 *
 * The work per request is the least a correct answer needs: find the end of
 * the head ("\r\n\r\n"), look at the request line, copy the response template
 * and the current Date into the connection's output. No header parsing and
 * no body support (a request with a body is not something these loads send).
 * Edge-triggered, TCP_NODELAY, read until a short read, and all responses owed
 * after a read go out in one write() - the same shape as epoll_web et batch.
 *
 * Build: cc -O2 -o epoll_http epoll_http.c
 * Usage: epoll_http IP:PORT
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RB_LEN 4096      /* unparsed input kept per connection */
#define MAX_EVENTS 256

typedef struct {
    int fd;
    int rlen;            /* bytes in rbuf */
    char *out;           /* responses not yet written */
    size_t olen, ocap, ooff;
    char rbuf[RB_LEN];
} conn_t;

typedef struct {
    char *bytes;
    size_t len, date_at;  /* where the 29 date bytes go */
} resp_t;

static resp_t plaintext, json, notfound;
static char date[30];
static time_t date_sec = -1;
static int epfd;

static void die(const char *what) { perror(what); exit(1); }

static void refresh_date(void) {
    time_t now = time(NULL);
    if (now == date_sec) return;
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    date_sec = now;
}

static void make(resp_t *r, const char *status, const char *type, const char *body) {
    char buf[512];
    int n = snprintf(buf, sizeof(buf), "HTTP/1.1 %s\r\nServer: epoll\r\nDate: %29s\r\n"
                     "Content-Type: %s\r\nContent-Length: %zu\r\n\r\n%s",
                     status, "", type, strlen(body), body);
    r->bytes = malloc(n);
    memcpy(r->bytes, buf, n);
    r->len = n;
    r->date_at = strstr(buf, "Date: ") + 6 - buf;
}

static void conn_close(conn_t *c) {
    close(c->fd);        /* close() also removes the fd from the epoll set */
    free(c->out);
    free(c);
}

static int append(conn_t *c, const resp_t *r) {
    if (c->olen + r->len > c->ocap) {
        size_t cap = c->ocap ? c->ocap * 2 : 4096;
        while (cap < c->olen + r->len) cap *= 2;
        char *p = realloc(c->out, cap);
        if (!p) return -1;
        c->out = p;
        c->ocap = cap;
    }
    memcpy(c->out + c->olen, r->bytes, r->len);
    memcpy(c->out + c->olen + r->date_at, date, 29);
    c->olen += r->len;
    return 0;
}

/* Write what is owed until done or EAGAIN. -1: the peer is gone. */
static int flush(conn_t *c) {
    while (c->ooff < c->olen) {
        ssize_t n = write(c->fd, c->out + c->ooff, c->olen - c->ooff);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
            if (errno == EINTR) continue;
            return -1;
        }
        c->ooff += n;
    }
    c->ooff = c->olen = 0;
    return 0;
}

/* Answers every complete request in rbuf, keeps the unterminated tail. */
static int consume(conn_t *c) {
    char *p = c->rbuf, *end = c->rbuf + c->rlen;
    for (;;) {
        char *e = memmem(p, end - p, "\r\n\r\n", 4);
        if (!e) break;
        const resp_t *r = &notfound;
        size_t len = e - p;
        if (len >= 15 && memcmp(p, "GET /plaintext ", 15) == 0) r = &plaintext;
        else if (len >= 10 && memcmp(p, "GET /json ", 10) == 0) r = &json;
        if (append(c, r) < 0) return -1;
        p = e + 4;
    }
    c->rlen = end - p;
    if (c->rlen == RB_LEN) return -1;  /* a head longer than the buffer: drop the peer */
    memmove(c->rbuf, p, c->rlen);
    return 0;
}

/* Read until a short read, answer, write once. -1: close. */
static int on_read(conn_t *c) {
    for (;;) {
        int want = RB_LEN - c->rlen;
        ssize_t n = read(c->fd, c->rbuf + c->rlen, want);
        if (n == 0) return -1;
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) break;
            if (errno == EINTR) continue;
            return -1;
        }
        c->rlen += n;
        if (consume(c) < 0) return -1;
        if (n < want) break;
    }
    return c->olen > c->ooff ? flush(c) : 0;
}

static void on_accept(int lfd) {
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            return;      /* EAGAIN, or EMFILE etc.: try again on the next event */
        }
        conn_t *c = calloc(1, sizeof(*c));
        if (!c) { close(fd); continue; }
        c->fd = fd;
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.ptr = c };
        if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) conn_close(c);
    }
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s IP:PORT\n", argv[0]);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    make(&plaintext, "200 OK", "text/plain", "Hello, World!");
    make(&json, "200 OK", "application/json", "{\"message\":\"Hello, World!\"}");
    make(&notfound, "404 Not Found", "text/plain", "not found\n");

    char ip[64];
    const char *colon = strrchr(argv[1], ':');
    if (!colon || colon - argv[1] >= (long)sizeof(ip)) { fprintf(stderr, "bad ip:port\n"); return 2; }
    memcpy(ip, argv[1], colon - argv[1]);
    ip[colon - argv[1]] = 0;
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(atoi(colon + 1)) };
    if (inet_pton(AF_INET, ip, &sa.sin_addr) != 1) { fprintf(stderr, "bad ip\n"); return 2; }

    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
    if (lfd < 0) die("socket");
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0) die("bind");
    if (listen(lfd, 1024) < 0) die("listen");
    if ((epfd = epoll_create1(0)) < 0) die("epoll_create1");
    struct epoll_event lev = { .events = EPOLLIN, .data.ptr = NULL };
    epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &lev);
    printf("epoll_http listening on %s\n", argv[1]);
    fflush(stdout);

    struct epoll_event evs[MAX_EVENTS];
    for (;;) {
        int n = epoll_wait(epfd, evs, MAX_EVENTS, -1);
        if (n < 0) { if (errno == EINTR) continue; die("epoll_wait"); }
        refresh_date();  /* one time() per wake-up (vDSO); formatting once a second */
        for (int i = 0; i < n; i++) {
            conn_t *c = evs[i].data.ptr;
            if (!c) { on_accept(lfd); continue; }
            uint32_t e = evs[i].events;
            int bad = 0;
            if (e & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP)) bad = on_read(c) < 0;
            if (!bad && (e & EPOLLOUT) && c->olen > c->ooff) bad = flush(c) < 0;
            if (e & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) bad = 1;
            if (bad) conn_close(c);
        }
    }
}
