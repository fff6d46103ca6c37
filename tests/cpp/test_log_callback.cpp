// mnet::setLog: records of mnet's Rust core reach the C++ callback with
// their level, on the polling thread, filtered by the level set. The record
// used: accepting at the descriptor limit (EMFILE), which mnet logs as an
// ERROR ("accept: ...; retrying every 100 ms") and its end as INFO
// ("accept: descriptors available again, accepting").
#include <dirent.h>
#include <sys/resource.h>

#include <memory>
#include <vector>

#include "raw_socket.hpp"

using mnet::Chann;
using mnet::ChannDispatcher;

namespace {

struct Record {
    mnet::LogLevel level;
    std::string text;
};
std::vector<Record> g_records;

int openFds() {
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    CHECK(d != nullptr);
    while (readdir(d) != nullptr) ++n;
    closedir(d);
    return n - 3;  // ".", ".." and the directory's own descriptor
}

bool seen(mnet::LogLevel level, const std::string &part) {
    for (const Record &r : g_records) {
        if (r.level == level && r.text.find(part) != std::string::npos) return true;
    }
    return false;
}

// One episode: 10 clients while only a few descriptors are free, then the
// limit back up; returns when every client was accepted.
void emfileEpisode() {
    Chann server("tcp");
    CHECK(server.channListen("127.0.0.1:0", 64));
    std::vector<std::unique_ptr<Chann>> accepted;
    server.setEventHandler([&](Chann *, Chann *accept, chann_event_t event, int) {
        if (event != CHANN_EVENT_ACCEPT) return;
        accepted.emplace_back(accept);  // kept, by giving it a handler: their fds stay used
        accept->setEventHandler([](Chann *, Chann *, chann_event_t, int) {});
    });
    std::vector<int> clients;
    for (int i = 0; i < 10; i++) clients.push_back(raw::connectTo(server.myAddr().addr.port));
    rlimit saved{};
    CHECK_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
    rlimit tight = saved;
    tight.rlim_cur = static_cast<rlim_t>(openFds() + 3);
    CHECK_EQ(setrlimit(RLIMIT_NOFILE, &tight), 0);
    POLL_UNTIL(!accepted.empty() && ChannDispatcher::channCount() < 12, 10);
    POLL_UNTIL(accepted.size() >= 1, 10);
    const size_t before = accepted.size();
    CHECK_LT(before, 10u);
    CHECK_EQ(setrlimit(RLIMIT_NOFILE, &saved), 0);
    POLL_UNTIL(accepted.size() == 10, 10);
    for (int fd : clients) close(fd);
}

}  // namespace

int main() {
    auto keep = [](mnet::LogLevel level, const std::string &text) { g_records.push_back({level, text}); };

    CHECK(mnet::setLog(mnet::MNET_LOG_INFO, keep));
    emfileEpisode();
    CHECK(seen(mnet::MNET_LOG_ERROR, "accept: Too many open files"));
    CHECK(seen(mnet::MNET_LOG_INFO, "accept: descriptors available again"));
    PASS("INFO: the callback got " + std::to_string(g_records.size()) + " records, among them ERROR " +
         check::show(g_records.front().text) + " and INFO " + check::show(g_records.back().text));

    g_records.clear();
    CHECK(mnet::setLog(mnet::MNET_LOG_ERROR, keep));
    emfileEpisode();
    CHECK(seen(mnet::MNET_LOG_ERROR, "accept: Too many open files"));
    CHECK(!seen(mnet::MNET_LOG_INFO, "descriptors available again"));
    PASS("ERROR: the EMFILE record came, the INFO one was filtered out");

    g_records.clear();
    CHECK(mnet::setLog(mnet::MNET_LOG_OFF, keep));
    emfileEpisode();
    CHECK(g_records.empty());
    PASS("OFF: no record at all");
    return 0;
}
