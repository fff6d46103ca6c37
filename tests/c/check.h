/* What every C test shares: CHECK macros that print both operands and
 * exit(1) on failure, a line per passed check, and a bounded event loop
 * that hands each message to the test's handler. C99. */
#ifndef MNET_TEST_CHECK_H
#define MNET_TEST_CHECK_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mnet/mnet_core.h>
#include <mnet/mnet_ext.h>

#define FAIL(...)                                                          \
    do {                                                                   \
        fflush(stdout);                                                    \
        fprintf(stderr, "%s:%d: FAILED: ", __FILE__, __LINE__);           \
        fprintf(stderr, __VA_ARGS__);                                      \
        fprintf(stderr, "\n");                                             \
        exit(1);                                                           \
    } while (0)

#define CHECK(cond)                                                        \
    do {                                                                   \
        if (!(cond)) FAIL("CHECK(%s)", #cond);                             \
    } while (0)

/* Integers (and enums) compared as long long, both printed on failure. */
#define CHECK_OP(a, op, b)                                                 \
    do {                                                                   \
        long long check_a_ = (long long)(a), check_b_ = (long long)(b);    \
        if (!(check_a_ op check_b_))                                       \
            FAIL("%s %s %s: %lld vs %lld", #a, #op, #b, check_a_, check_b_); \
    } while (0)
#define CHECK_EQ(a, b) CHECK_OP(a, ==, b)
#define CHECK_NE(a, b) CHECK_OP(a, !=, b)
#define CHECK_LT(a, b) CHECK_OP(a, <, b)
#define CHECK_LE(a, b) CHECK_OP(a, <=, b)
#define CHECK_GT(a, b) CHECK_OP(a, >, b)
#define CHECK_GE(a, b) CHECK_OP(a, >=, b)

#define CHECK_PTR_EQ(a, b)                                                 \
    do {                                                                   \
        const void *check_a_ = (const void *)(a), *check_b_ = (const void *)(b); \
        if (check_a_ != check_b_) FAIL("%s == %s: %p vs %p", #a, #b, check_a_, check_b_); \
    } while (0)

#define CHECK_STR_EQ(a, b)                                                 \
    do {                                                                   \
        const char *check_a_ = (a), *check_b_ = (b);                       \
        if (check_a_ == NULL || check_b_ == NULL || strcmp(check_a_, check_b_) != 0) \
            FAIL("%s == %s: \"%s\" vs \"%s\"", #a, #b, check_a_ ? check_a_ : "(null)", \
                 check_b_ ? check_b_ : "(null)");                          \
    } while (0)

/* `text` contains `part`. */
#define CHECK_CONTAINS(text, part)                                         \
    do {                                                                   \
        const char *check_t_ = (text), *check_p_ = (part);                 \
        if (check_t_ == NULL || strstr(check_t_, check_p_) == NULL)        \
            FAIL("%s contains %s: \"%s\" lacks \"%s\"", #text, #part,      \
                 check_t_ ? check_t_ : "(null)", check_p_);                \
    } while (0)

/* Prints one line per passed check, so the CTest log says what was proven. */
#define PASS(...)                                                          \
    do {                                                                   \
        printf("ok: ");                                                    \
        printf(__VA_ARGS__);                                               \
        printf("\n");                                                      \
        fflush(stdout);                                                    \
    } while (0)

/* Runs rounds (mnet_poll, then every message to `handler`) until `cond`
 * holds; fails if it still does not after `seconds` (a bound for a hung
 * test, never a timing claim). */
#define POLL_UNTIL(cond, seconds, handler)                                 \
    do {                                                                   \
        const int64_t check_end_ = mnet_tm_current() + (int64_t)((seconds) * 1000000.0); \
        while (!(cond)) {                                                  \
            chann_msg_t *check_m_;                                         \
            if (mnet_tm_current() >= check_end_) FAIL("timed out waiting for %s", #cond); \
            if (mnet_poll(10) < 0) FAIL("mnet_poll: %s", mnet_last_error()); \
            while ((check_m_ = mnet_result_next()) != NULL) handler(check_m_); \
        }                                                                  \
    } while (0)

/* The port a chann listens on (or is bound to). */
static inline int check_port(chann_t *n) {
    chann_addr_t a;
    if (mnet_chann_socket_addr(n, &a) != 1) FAIL("mnet_chann_socket_addr: %s", mnet_last_error());
    return a.port;
}

/* A TCP (or TLS, or extension) listener on 127.0.0.1, port 0. */
static inline chann_t *check_listen(chann_type_t type, int backlog) {
    chann_t *l = mnet_chann_open(type);
    if (l == NULL) FAIL("mnet_chann_open(%d): %s", (int)type, mnet_last_error());
    if (mnet_chann_listen(l, "127.0.0.1", 0, backlog) != 1) FAIL("mnet_chann_listen: %s", mnet_last_error());
    return l;
}

#endif
