/* ntp: asks an NTP server for the time over a UDP chann and prints how far
 * this machine's clock is from the server's, and the round-trip delay;
 * m_net's examples/ntp.c on mnet's C API (the same as the C++ examples/ntp.cpp).
 *
 *   build/examples/c/ntp host[:port]       (port 123 when none is given)
 *   build/examples/c/ntp pool.ntp.org
 *   -> server 162.159.200.1:123, stratum 3
 *      offset +0.001234 s (the server's clock minus ours), delay 0.012345 s
 *
 * One SNTP exchange (RFC 4330; NTPv4, client mode). The request carries our
 * transmit time T1; the server stamps its receive time T2 and transmit time
 * T3; the answer arrives at T4. Then
 *   offset = ((T2 - T1) + (T3 - T4)) / 2    delay = (T4 - T1) - (T3 - T2).
 * An answer counts only if it comes from the server (the chann is
 * connected), is in server mode, echoes our T1 as its origin (a stray or
 * forged datagram is ignored) and is not a kiss-o'-death (stratum 0). Up to
 * 3 tries, 1 second apart (the chann's timer); exit status 1 when no answer
 * comes or the server cannot be reached. A host name is looked up on the
 * loop (mnet_chann_connect_addr, <mnet/mnet_ext.h>): CONNECTED says it is
 * done. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <mnet/mnet_core.h>
#include <mnet/mnet_ext.h>

#define TRIES 3
#define UNIX_TO_NTP 2208988800ULL /* seconds from 1900 to 1970 */

static uint64_t g_t1;
static int g_tries, g_status = -1;

/* Now, as a 64-bit NTP timestamp (seconds since 1900 . 32-bit fraction). */
static uint64_t ntp_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ((uint64_t)ts.tv_sec + UNIX_TO_NTP) << 32 | ((uint64_t)ts.tv_nsec << 32) / 1000000000u;
}

/* An NTP timestamp in seconds since 1900 (only differences are used). */
static double seconds(uint64_t t) { return (double)(t >> 32) + (double)(t & 0xffffffffu) / 4294967296.0; }

static uint64_t get64(const unsigned char *p) {
    uint64_t v = 0;
    int i;
    for (i = 0; i < 8; i++) v = v << 8 | p[i];
    return v;
}

static void put64(unsigned char *p, uint64_t v) {
    int i;
    for (i = 7; i >= 0; i--, v >>= 8) p[i] = (unsigned char)v;
}

static void finish(chann_t *n, int status) {
    g_status = status;
    mnet_chann_active_event(n, CHANN_EVENT_TIMER, 0);
}

static void send_request(chann_t *n) {
    unsigned char req[48] = {0};
    req[0] = 0x23; /* LI 0, version 4, mode 3 (client) */
    g_t1 = ntp_now();
    put64(req + 40, g_t1); /* transmit time: the server echoes it as origin */
    ++g_tries;
    if (mnet_chann_send(n, req, sizeof req) != (int)sizeof req) {
        fprintf(stderr, "ntp: send: %s\n", mnet_last_error());
        finish(n, 1);
    }
}

static void receive(chann_t *n) {
    unsigned char r[128];
    char peer[64] = "?";
    int len = 0;
    while (g_status < 0 && (len = mnet_chann_recv(n, r, sizeof r)) > 0) {
        const uint64_t t4 = ntp_now();
        double t1, t2, t3, t4s;
        if (len < 48 || (r[0] & 7) != 4 || get64(r + 24) != g_t1) continue; /* not the answer to our request */
        if (r[1] == 0) {
            fprintf(stderr, "ntp: the server sent a kiss-o'-death (%.4s)\n", (const char *)(r + 12));
            finish(n, 1);
            return;
        }
        t1 = seconds(g_t1);
        t2 = seconds(get64(r + 32));
        t3 = seconds(get64(r + 40));
        t4s = seconds(t4);
        mnet_chann_addr_text(n, 1, peer, sizeof peer);
        printf("server %s, stratum %d\n", peer, r[1]);
        printf("offset %+.6f s (the server's clock minus ours), delay %.6f s\n", ((t2 - t1) + (t3 - t4s)) / 2,
               (t4s - t1) - (t3 - t2));
        finish(n, 0);
    }
    if (len < 0 && g_status < 0) { /* e.g. nothing listens there (ICMP port unreachable) */
        fprintf(stderr, "ntp: %s\n", mnet_last_error());
        finish(n, 1);
    }
}

int main(int argc, char *argv[]) {
    char target[300];
    const char *host;
    chann_t *n;
    chann_msg_t *msg;

    if (argc != 2) {
        fprintf(stderr, "usage: ntp host[:port]\n");
        return 2;
    }
    host = argv[1];
    /* "host" -> "host:123", "::1" -> "[::1]:123"; "host:port" and "[v6]:port" as they are. */
    if (strchr(host, ':') == NULL) {
        snprintf(target, sizeof target, "%s:123", host);
    } else if (host[0] != '[' && strchr(host, ':') != strrchr(host, ':')) {
        snprintf(target, sizeof target, "[%s]:123", host);
    } else if (host[0] == '[' && strstr(host, "]:") == NULL) {
        snprintf(target, sizeof target, "%s:123", host);
    } else {
        snprintf(target, sizeof target, "%s", host);
    }

    mnet_init();
    n = mnet_chann_open(CHANN_TYPE_DGRAM);
    if (mnet_chann_connect_addr(n, target) != 1) {
        fprintf(stderr, "ntp: %s\n", mnet_last_error());
        return 1;
    }
    mnet_chann_active_event(n, CHANN_EVENT_TIMER, MNET_MILLI_SECOND);
    if (mnet_chann_state(n) == CHANN_STATE_CONNECTED) send_request(n); /* numeric or /etc/hosts: at once */

    while (g_status < 0 && mnet_poll(1000) >= 0) {
        while ((msg = mnet_result_next()) != NULL) {
            if (g_status >= 0) continue;
            switch (msg->event) {
            case CHANN_EVENT_CONNECTED: /* a host name, resolved by DNS */
                send_request(n);
                break;
            case CHANN_EVENT_RECV:
                receive(n);
                break;
            case CHANN_EVENT_TIMER:
                if (g_tries >= TRIES) {
                    fprintf(stderr, "ntp: no answer from %s after %d tries\n", target, TRIES);
                    finish(n, 1);
                } else if (mnet_chann_state(n) == CHANN_STATE_CONNECTED) {
                    send_request(n);
                }
                break;
            case CHANN_EVENT_DISCONNECT: { /* why: a DNS failure, or the errno */
                const char *why = mnet_chann_error(n);
                fprintf(stderr, "ntp: %s (err %d)\n", why[0] != '\0' ? why : strerror(msg->err), msg->err);
                finish(n, 1);
                break;
            }
            default:
                break;
            }
        }
    }
    mnet_fini();
    return g_status < 0 ? 1 : g_status;
}
