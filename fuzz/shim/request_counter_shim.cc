// C entry points over RequestCounter for the fuzz target.
#include "request_counter.hpp"

extern "C" int mnet_fuzz_count_requests(const char *data, int len, const int *cuts, int ncuts) {
    RequestCounter counter;
    int total = 0, start = 0;
    for (int i = 0; i <= ncuts; i++) {
        int end = i < ncuts ? cuts[i] : len;
        total += counter.feed(data + start, end - start);
        start = end;
    }
    return total;
}
