// The end-of-request scan of chann_web: counts "\r\n\r\n" in a byte stream
// that arrives in pieces of any size. The whole state between pieces is how
// much of "\r\n\r\n" the previous piece ended with (0-3), so requests of any
// length, split anywhere, are counted with no buffering at all. Fuzzed
// against a whole-stream count (fuzz/fuzz_targets/request_counter.rs).
#pragma once

#include <cstring>

struct RequestCounter {
    unsigned char matched = 0;

    // Counts the request ends completed by these `n` bytes.
    int feed(const char *p, int n) {
        static const char end[4] = {'\r', '\n', '\r', '\n'};
        int count = 0;
        for (int i = 0; i < n; i++) {
            if (matched == 0) {
                // Nothing matched: only a '\r' can start a match, so skip
                // to the next one (memchr scans many bytes at a time).
                const void *r = std::memchr(p + i, '\r', static_cast<size_t>(n - i));
                if (r == nullptr) break;
                i = static_cast<int>(static_cast<const char *>(r) - p);
            }
            char b = p[i];
            if (b == end[matched]) {
                if (++matched == 4) {
                    ++count;
                    matched = 0;
                }
            } else {
                // The only way to restart a match is a new '\r'.
                matched = b == '\r' ? 1 : 0;
            }
        }
        return count;
    }
};
