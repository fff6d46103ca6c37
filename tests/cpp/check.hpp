// What every C++ test shares: CHECK macros that print both operands and
// exit(1) on failure, a line per passed check, and a bounded event loop.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>

#include <mnet/mnet.hpp>

namespace check {

template <class T>
std::string show(const T &v) {
    std::ostringstream o;
    o << v;
    return o.str();
}
inline std::string show(const std::string &v) { return "\"" + v + "\""; }
inline std::string show(const char *v) { return v ? "\"" + std::string(v) + "\"" : "(null)"; }
inline std::string show(std::nullptr_t) { return "nullptr"; }

[[noreturn]] inline void fail(const char *file, int line, const std::string &what) {
    std::cerr << file << ":" << line << ": FAILED: " << what << std::endl;
    std::exit(1);
}

// Seconds from now on the event loop's clock.
inline int64_t deadlineIn(double seconds) {
    return mnet::ChannDispatcher::currentTime() + static_cast<int64_t>(seconds * 1e6);
}

inline bool before(int64_t deadline) { return mnet::ChannDispatcher::currentTime() < deadline; }

}  // namespace check

#define CHECK(cond)                                                                     \
    do {                                                                                \
        if (!(cond)) check::fail(__FILE__, __LINE__, "CHECK(" #cond ")");               \
    } while (0)

#define CHECK_OP(a, op, b)                                                              \
    do {                                                                                \
        const auto &check_a_ = (a);                                                     \
        const auto &check_b_ = (b);                                                     \
        if (!(check_a_ op check_b_))                                                    \
            check::fail(__FILE__, __LINE__,                                             \
                        #a " " #op " " #b ": " + check::show(check_a_) + " vs " +       \
                            check::show(check_b_));                                     \
    } while (0)

#define CHECK_EQ(a, b) CHECK_OP(a, ==, b)
#define CHECK_NE(a, b) CHECK_OP(a, !=, b)
#define CHECK_LT(a, b) CHECK_OP(a, <, b)
#define CHECK_LE(a, b) CHECK_OP(a, <=, b)
#define CHECK_GT(a, b) CHECK_OP(a, >, b)
#define CHECK_GE(a, b) CHECK_OP(a, >=, b)

// `text` (a std::string) contains `part`.
#define CHECK_CONTAINS(text, part)                                                      \
    do {                                                                                \
        const std::string check_t_ = (text);                                            \
        const std::string check_p_ = (part);                                            \
        if (check_t_.find(check_p_) == std::string::npos)                               \
            check::fail(__FILE__, __LINE__,                                             \
                        #text " contains " #part ": " + check::show(check_t_) +          \
                            " lacks " + check::show(check_p_));                         \
    } while (0)

// Runs event-loop rounds until `cond` holds; fails if it still does not after
// `seconds` (a bound for a hung test, never a timing claim).
#define POLL_UNTIL(cond, seconds)                                                       \
    do {                                                                                \
        const int64_t check_end_ = check::deadlineIn(seconds);                          \
        while (!(cond)) {                                                               \
            if (!check::before(check_end_))                                             \
                check::fail(__FILE__, __LINE__, "timed out waiting for " #cond);        \
            if (mnet::ChannDispatcher::pollEvent(10) < 0)                               \
                check::fail(__FILE__, __LINE__,                                         \
                            "pollEvent: " + mnet::ChannDispatcher::lastError());       \
        }                                                                               \
    } while (0)

namespace check {

// Runs rounds until a fresh Chann's `ms` timer has fired `ticks` times: a
// stretch of rounds, counted by deadlines (the n-th tick comes no earlier
// than n * ms after arming), over which something must not happen.
inline void watchTicks(int ticks, int ms) {
    mnet::Chann watcher("udp");
    int seen = 0;
    watcher.setEventHandler([&seen](mnet::Chann *, mnet::Chann *, chann_event_t event, int) {
        CHECK_EQ(event, CHANN_EVENT_TIMER);
        ++seen;
    });
    watcher.channActiveEvent(CHANN_EVENT_TIMER, ms);
    POLL_UNTIL(seen == ticks, 10 + ticks * ms / 100);
}

}  // namespace check

// Prints one line per passed check, so the CTest log says what was proven.
#define PASS(what) (std::cout << "ok: " << what << std::endl)
