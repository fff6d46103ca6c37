/* m_net's binary layout, as programs and bindings built against its header
 * read it (its LuaJIT binding declares the structs itself): enum values,
 * chann_msg_t (32 bytes: event@0 err@4 n@8 r@16 opaque@24), chann_addr_t
 * (24 bytes: ip[17]@0 port@20) and mnet_ext_t, asserted at compile time
 * (the Rust side asserts the same with const asserts); then at run time, that
 * a chann_addr_t filled by mnet is NUL-padded to its 17 bytes, and that
 * the message mnet_result_next hands out has its fields where m_net's
 * offsets say. */
#include <stddef.h>

#include "check.h"

_Static_assert(sizeof(chann_msg_t) == 32, "chann_msg_t is 32 bytes");
_Static_assert(offsetof(chann_msg_t, event) == 0, "event@0");
_Static_assert(offsetof(chann_msg_t, err) == 4, "err@4");
_Static_assert(offsetof(chann_msg_t, n) == 8, "n@8");
_Static_assert(offsetof(chann_msg_t, r) == 16, "r@16");
_Static_assert(offsetof(chann_msg_t, opaque) == 24, "opaque@24");
_Static_assert(sizeof(chann_addr_t) == 24, "chann_addr_t is 24 bytes");
_Static_assert(offsetof(chann_addr_t, ip) == 0, "ip@0");
_Static_assert(sizeof(((chann_addr_t *)0)->ip) == 17, "ip is 17 bytes");
_Static_assert(offsetof(chann_addr_t, port) == 20, "port@20");
_Static_assert(sizeof(chann_event_t) == 4 && sizeof(chann_type_t) == 4 && sizeof(chann_state_t) == 4,
               "the enums are int-sized");
_Static_assert(offsetof(mnet_ext_t, reserved) == 0 && offsetof(mnet_ext_t, ext_ctx) == 8 &&
                   offsetof(mnet_ext_t, type_fn) == 16 && offsetof(mnet_ext_t, filter_fn) == 24 &&
                   offsetof(mnet_ext_t, open_cb) == 32 && offsetof(mnet_ext_t, close_cb) == 40 &&
                   offsetof(mnet_ext_t, listen_cb) == 48 && offsetof(mnet_ext_t, accept_cb) == 56 &&
                   offsetof(mnet_ext_t, connect_cb) == 64 && offsetof(mnet_ext_t, disconnect_cb) == 72 &&
                   offsetof(mnet_ext_t, state_fn) == 80 && offsetof(mnet_ext_t, recv_fn) == 88 &&
                   offsetof(mnet_ext_t, send_fn) == 96 && sizeof(mnet_ext_t) == 104,
               "mnet_ext_t: a byte, then 12 pointers");
_Static_assert(CHANN_TYPE_STREAM == 1 && CHANN_TYPE_DGRAM == 2 && CHANN_TYPE_BROADCAST == 3 && CHANN_TYPE_TLS == 4,
               "m_net's types");
_Static_assert(CHANN_STATE_CLOSED == 0 && CHANN_STATE_DISCONNECT == 1 && CHANN_STATE_CONNECTING == 2 &&
                   CHANN_STATE_CONNECTED == 3 && CHANN_STATE_LISTENING == 4,
               "m_net's states");
_Static_assert(CHANN_EVENT_RECV == 1 && CHANN_EVENT_SEND == 2 && CHANN_EVENT_ACCEPT == 3 &&
                   CHANN_EVENT_CONNECTED == 4 && CHANN_EVENT_DISCONNECT == 5 && CHANN_EVENT_TIMER == 6,
               "m_net's events");
_Static_assert(MNET_MILLI_SECOND == 1000 && MNET_BUF_SIZE == 64 * 1024, "m_net's constants");

static chann_t *g_listener;
static unsigned char g_raw[32]; /* the ACCEPT message, as bytes */
static chann_t *g_accepted;

static void on_msg(chann_msg_t *m) {
    if (m->n == g_listener && m->event == CHANN_EVENT_ACCEPT) {
        memcpy(g_raw, m, sizeof g_raw);
        g_accepted = m->r;
    }
}

int main(void) {
    unsigned char opaque_tag;
    chann_addr_t a;
    size_t i;
    int32_t event, err;
    chann_t *n, *r;
    void *opaque;
    chann_t *client;

    PASS("sizes and offsets of chann_msg_t, chann_addr_t and mnet_ext_t, and m_net's enum values (compile time)");

    memset(&a, 0xff, sizeof a);
    CHECK_EQ(mnet_parse_ipport("1.2.3.4:80", &a), 1);
    CHECK_STR_EQ(a.ip, "1.2.3.4");
    for (i = strlen("1.2.3.4"); i < sizeof a.ip; i++) CHECK_EQ(a.ip[i], 0);
    CHECK_EQ(a.port, 80);
    PASS("mnet_parse_ipport NUL-pads chann_addr_t.ip to its 17 bytes");

    g_listener = check_listen(CHANN_TYPE_STREAM, 4);
    mnet_chann_set_opaque(g_listener, &opaque_tag);
    memset(&a, 0xff, sizeof a);
    CHECK_EQ(mnet_chann_socket_addr(g_listener, &a), 1);
    CHECK_STR_EQ(a.ip, "127.0.0.1");
    for (i = strlen("127.0.0.1"); i < sizeof a.ip; i++) CHECK_EQ(a.ip[i], 0);
    PASS("mnet_chann_socket_addr NUL-pads chann_addr_t.ip to its 17 bytes");

    client = mnet_chann_open(CHANN_TYPE_STREAM);
    CHECK_EQ(mnet_chann_connect(client, "127.0.0.1", a.port), 1);
    POLL_UNTIL(g_accepted != NULL, 10, on_msg);
    memcpy(&event, g_raw + 0, 4);
    memcpy(&err, g_raw + 4, 4);
    memcpy(&n, g_raw + 8, 8);
    memcpy(&r, g_raw + 16, 8);
    memcpy(&opaque, g_raw + 24, 8);
    CHECK_EQ(event, CHANN_EVENT_ACCEPT);
    CHECK_EQ(err, 0);
    CHECK_PTR_EQ(n, g_listener);
    CHECK_PTR_EQ(r, g_accepted);
    CHECK(r != NULL);
    CHECK_PTR_EQ(opaque, &opaque_tag);
    PASS("an ACCEPT message read at m_net's byte offsets: event, err, n (the listener), r, opaque");

    mnet_chann_close(g_accepted);
    mnet_chann_close(client);
    mnet_chann_close(g_listener);
    CHECK_EQ(mnet_poll(0), 0);
    mnet_fini();
    return 0;
}
