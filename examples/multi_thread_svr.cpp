// multi_thread_svr: chann_web on N threads, one event loop per thread, all
// listening on one port with SO_REUSEPORT.
//
//   ./multi_thread_svr [ip:port] [body_file] [threads]
//       (defaults: 127.0.0.1:8080 README.md, one thread per core)
//   curl -i http://127.0.0.1:8080/    -> the body file; "X-Worker: N" says
//                                        which thread answered
//
// How a program scales past one core with mnet: each thread makes its own
// listener, calls setReusePort(true) before channListen, and runs its own
// pollEvent loop. mnet's C++ API keeps one reactor per thread, so the
// threads share nothing and take no lock; the kernel spreads new
// connections over the listeners by a hash of the client's address and
// port, and a connection stays on the thread that accepted it. With port 0
// the first thread picks a free port and the others join it; the line
// "listening on ip:port with N threads" is printed once all listen. Stop it
// with Ctrl-C (or SIGTERM).
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <mnet/mnet.hpp>

#include "web_chann.hpp"

using mnet::Chann;
using mnet::ChannDispatcher;

namespace {

// Start-up: threads report their listen result, main waits for all.
struct Startup {
    std::mutex mutex;
    std::condition_variable changed;
    int listening = 0;
    bool failed = false;
    std::string address;  // the first listener's real address
};

void worker(int index, std::string ipPort, const std::string &body, Startup &startup) {
    const std::string response = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Worker: " +
                                 std::to_string(index) + "\r\nContent-Length: " + std::to_string(body.size()) +
                                 "\r\n\r\n" + body;
    Chann listener("tcp");
    listener.setEventHandler([&response](Chann *, Chann *accept, chann_event_t event, int) {
        if (event == CHANN_EVENT_ACCEPT) {
            new WebChann(accept, response);
            delete accept;
        }
    });
    bool ok = listener.setReusePort(true) && listener.channListen(ipPort, 1024);
    {
        std::lock_guard<std::mutex> lock(startup.mutex);
        if (!ok) {
            std::cerr << "multi_thread_svr: thread " << index << ": listen on " << ipPort
                      << " failed: " << listener.lastError() << std::endl;
            startup.failed = true;
        } else {
            ++startup.listening;
            if (index == 0) startup.address = listener.myAddr().addrString;
        }
    }
    startup.changed.notify_all();
    if (!ok) return;
    while (ChannDispatcher::pollEvent(1000) > 0) {
    }
}

}  // namespace

int main(int argc, char *argv[]) {
    std::string ipaddr = argc > 1 ? argv[1] : "127.0.0.1:8080";
    std::string path = argc > 2 ? argv[2] : "README.md";
    unsigned hw = std::thread::hardware_concurrency();
    int threads = argc > 3 ? std::atoi(argv[3]) : static_cast<int>(hw > 0 ? hw : 2);
    if (threads < 1) {
        std::cerr << "multi_thread_svr: threads must be at least 1" << std::endl;
        return 1;
    }

    std::ifstream in(path, std::ios::binary);
    if (!in) {
        std::cerr << "multi_thread_svr: cannot read body file '" << path << "'" << std::endl;
        return 1;
    }
    const std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());

    Startup startup;
    std::vector<std::thread> pool;
    // The first thread binds (picking the port if it is 0); the rest join it.
    pool.emplace_back(worker, 0, ipaddr, std::cref(body), std::ref(startup));
    std::unique_lock<std::mutex> lock(startup.mutex);
    startup.changed.wait(lock, [&] { return startup.failed || startup.listening == 1; });
    const std::string shared = startup.address;
    lock.unlock();
    for (int i = 1; i < threads && !startup.failed; ++i) {
        pool.emplace_back(worker, i, shared, std::cref(body), std::ref(startup));
    }
    lock.lock();
    startup.changed.wait(lock, [&] {
        return startup.failed || startup.listening == static_cast<int>(pool.size());
    });
    if (startup.failed) {
        std::cerr << "multi_thread_svr: not all threads could listen" << std::endl;
        std::exit(1);
    }
    lock.unlock();
    std::cout << "multi_thread_svr " << ChannDispatcher::version() << " listening on " << shared << " with "
              << threads << " threads, body " << path << " (" << body.size() << " bytes)" << std::endl;
    for (std::thread &t : pool) t.join();
    return 0;
}
