// mnet: event-driven TCP and UDP channels with timers, for C++.
//
// The C++ face of a Rust reactor built on mio, compatible with the C++
// wrapper of m_net (mnet_wrapper.h): programs written for it compile against
// this header with only their #include line changed, and behave the same or
// better (IPv6 and host names, exact dataCached(), capturing lambdas, no
// event ever reaching a deleted object).
//
// The model, in one paragraph. A Chann is one socket: a TCP listener or
// connection, or a UDP endpoint. You subclass Chann and override
// defaultEventHandler(), or hand setEventHandler() any callable. Then you run
// the loop: `while (ChannDispatcher::pollEvent(100) > 0) {}`. Each call waits
// for activity (at most the given milliseconds, less when a timer is due),
// then calls the handler of every Chann that has an event, one event at a
// time, on the calling thread. Handlers may do anything, including deleting
// any Chann (itself too): an event queued for a deleted Chann is dropped.
//
// Ownership. Every Chann you create with new is yours to delete. On ACCEPT the
// listener's handler receives `accept`, a temporary Chann holding the new
// connection, which lives until the handler returns: adopt the connection
// into your own subclass with `new MySub(accept)` (then `delete accept`, or
// leave the emptied temporary to mnet), or `delete accept` to refuse it, or
// keep the temporary itself by giving it a handler with
// accept->setEventHandler(). A temporary the handler neither deleted nor
// kept that way is deleted by mnet when the handler returns (or throws),
// which closes the connection if it was not adopted: an ignored ACCEPT
// refuses the connection instead of leaking it. The base
// defaultEventHandler deletes it. Deleting a Chann closes its socket and
// raises no event.
//
// Threads. Each thread has its own event loop: a Chann belongs to the thread
// that created it (an adopted connection, to the thread that accepted it).
// Calls on it from another thread fail with lastError() "Chann used on a
// thread that does not own it" and touch nothing. Deleting it on another
// thread is safe, though rarely wise: the close is handed to the owning
// thread, which applies it before it hands out another event, so no event
// reaches the deleted object (a loop waiting in pollEvent closes the socket
// when it wakes). Deleting it while its own thread is running its handler
// is a data race, as for any object.
//
// Static and global Channs are fine: one destroyed after its thread's event
// loop (at exit, thread-local state goes before static objects) finds its
// socket already closed and does nothing.
//
// Errors. Calls that can fail return false or -1 and leave a sentence in
// lastError() ("invalid address '1.2.3.4:99999': port out of range
// (0-65535)"). mnet's own calls never throw (memory exhaustion aside), and
// misuse (a null buffer, a negative length, a call on a channel that is not
// connected) is an error, never a crash. Should mnet itself fail inside its
// event loop (a bug), that thread's loop stops: its sockets close, and
// every later call on it fails with lastError() "mnet: this thread's event
// loop stopped after an internal error: ..." (pollEvent returns -1).
//
// Exceptions. An exception thrown by your handler (or your setLog callback)
// is not caught: it leaves the mnet call that called it (pollEvent,
// startEventLoop) unchanged. The loop stays consistent: the events of that
// round not yet handed out are delivered by the next pollEvent, and an
// ACCEPT temporary follows the rule above.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

// The enums, chann_addr_t and MNET_MILLI_SECOND are m_net's, from the C
// API's header, in the global namespace as in m_net (and declared in
// namespace mnet below): one set for both faces, so a program may include
// both headers and use both faces on one thread's loop. What the events
// mean for a Chann:
// - CHANN_EVENT_RECV: unread data is waiting. Level-style: raised once per
//   round for as long as data remains, so a handler may read only part of
//   it. Data sent before the peer closed is always delivered before
//   DISCONNECT.
// - CHANN_EVENT_SEND: the send queue is empty and the socket writable: once
//   per round while that holds, after channActiveEvent(CHANN_EVENT_SEND, 1).
// - CHANN_EVENT_ACCEPT: a listener accepted a connection: `accept` is a
//   temporary Chann holding it, alive until the handler returns. Adopt it
//   (`new MySub(accept)`), delete it, or keep it by giving it a handler
//   (setEventHandler); otherwise mnet deletes it after the handler and the
//   connection is closed (see Ownership above).
// - CHANN_EVENT_CONNECTED: channConnect() succeeded; exactly once per
//   successful connect.
// - CHANN_EVENT_DISCONNECT: the connection was lost to an outside cause: end
//   of stream (err 0), reset or other error (err = errno), or a failed
//   connect (err = ECONNREFUSED, ETIMEDOUT, ...). Exactly once per
//   connection; never for your own channDisconnect() or delete. The Chann
//   lives on and may connect again.
// - CHANN_EVENT_TIMER: the Chann's repeating timer fired (channActiveEvent).
// - CHANN_EVENT_EOF: the peer finished sending (its FIN, after all its
//   data); the Chann stays connected for sending. Once, and only after
//   setHalfClose(true); otherwise the FIN gives DISCONNECT with err 0.
// - CHANN_EVENT_RESOLVED: a channResolve() finished: err 0 and the addresses
//   in resolvedAddrs(), or err ENXIO (no such host), ETIMEDOUT (no
//   nameserver answered) or EAGAIN (the nameservers failed) with the reason
//   in lastError(). Once per channResolve().
// chann_addr_t holds IPv4 text (17 bytes, as in m_net); an IPv6 address
// leaves it empty and lives in ChannAddr::addrString.
#include "mnet_core.h"

namespace mnet {

using ::chann_addr_t;
using ::chann_event_t;
using ::chann_state_t;
using ::chann_type_t;
using ::CHANN_TYPE_STREAM;
using ::CHANN_TYPE_DGRAM;
using ::CHANN_TYPE_BROADCAST;
using ::CHANN_TYPE_TLS;
using ::CHANN_STATE_CLOSED;
using ::CHANN_STATE_DISCONNECT;
using ::CHANN_STATE_CONNECTING;
using ::CHANN_STATE_CONNECTED;
using ::CHANN_STATE_LISTENING;
using ::CHANN_EVENT_RECV;
using ::CHANN_EVENT_SEND;
using ::CHANN_EVENT_ACCEPT;
using ::CHANN_EVENT_CONNECTED;
using ::CHANN_EVENT_DISCONNECT;
using ::CHANN_EVENT_TIMER;
using ::CHANN_EVENT_EOF;
using ::CHANN_EVENT_RESOLVED;

class Chann;

// An event handler: (the Chann the event is for, the accepted Chann for
// CHANN_EVENT_ACCEPT or nullptr, the event, the errno for DISCONNECT or 0).
// Any callable fits, lambdas with captures included.
typedef std::function<void(Chann *self, Chann *accept, chann_event_t event, int err)> channEventHandler;

// An IP address and port. Built from "ip:port", "[v6]:port", ":port" (any
// IPv4 address) or "host:port" (resolved now, blocking).
class ChannAddr {
public:
    // An empty address (port 0, empty addrString).
    ChannAddr();
    // Parses, or resolves, `ipPort`. On failure the address is empty,
    // isValid() is false and error() says why.
    ChannAddr(std::string ipPort);

    // Resolves "host:port" (m_net's spelling). `streamType` is accepted for
    // compatibility and ignored. On failure: an empty address.
    static ChannAddr resolveHost(std::string hostPort, std::string streamType = "tcp");

    // Whether this holds an address.
    bool isValid() const { return m_valid; }
    // Whether the address is IPv6.
    bool isIPv6() const { return m_v6; }
    // Why parsing failed (empty when it did not).
    const std::string &error() const { return m_error; }

    // Takes the address of a C `chann_addr_t` (m_net's helper): IPv4 text or
    // a host name, and the port; isValid() says whether it was numeric.
    void copyAddr(chann_addr_t *a);

    // The numeric IPv4 text and the port (m_net's field); for IPv6 the text
    // is empty (it does not fit m_net's 17 bytes): use addrString.
    chann_addr_t addr;
    // "ip:port", or "[ip]:port" for IPv6 (no stray NULs, unlike m_net).
    std::string addrString;

private:
    friend struct AddrAccess;
    bool m_valid;
    bool m_v6;
    unsigned char m_ip[16];
    uint32_t m_scope;
    std::string m_error;
};

// TLS settings for "tls" channels, shareable: copies refer to the same
// settings, and any number of Channs may use them, on any threads (the
// settings are process-wide, behind a lock). One TlsConfig object must not
// be changed from two threads at once (its lastError() is its own): give
// each thread its own copy. A listener needs a
// certificate and key; a client verifies the server's certificate, against
// the system trust store unless setCaFile/setCaPem names other CAs, and
// checks it is valid for the host given to channConnect (or setServerName).
// Setters return false with lastError() on bad input (unreadable file,
// malformed PEM); changes apply to Channs that call setTlsConfig afterwards.
class TlsConfig {
public:
    // Client settings with the system trust store.
    TlsConfig();
    // The server's certificate chain (leaf first) and private key, PEM files.
    bool setCertificate(const std::string &certFile, const std::string &keyFile);
    // The same from PEM text.
    bool setCertificatePem(const std::string &certPem, const std::string &keyPem);
    // Trust the CA certificates in this PEM file (instead of the system store).
    bool setCaFile(const std::string &caFile);
    // Trust the CA certificates in this PEM text.
    bool setCaPem(const std::string &caPem);
    // ALPN protocols to offer or accept, by preference (e.g. {"h2", "http/1.1"}).
    bool setAlpn(const std::vector<std::string> &protocols);
    // Accept any server certificate for any name. For tests against throw-away
    // certificates only: it removes all protection against an attacker in the
    // middle.
    void dangerousSkipVerify();
    // The last error of a setter.
    const std::string &lastError() const { return m_lastError; }

private:
    friend class Chann;
    friend struct TlsAccess;
    struct Impl;
    bool set(int what, const std::string &value);
    std::shared_ptr<Impl> m_impl;
    std::string m_lastError;
};

// One channel. Lifecycle: Chann(type) makes it (state DISCONNECT); then
// channListen() or channConnect(); events arrive through pollEvent(); after
// DISCONNECT or channDisconnect() it may connect again; delete closes it.
// Not copyable.
class Chann {
public:
    // An object without a channel: every call fails. Exists so m_net
    // subclasses with a default constructor still compile.
    Chann();
    // A channel of type "tcp", "udp", "broadcast" or "tls". An unknown type
    // makes an object without a channel: lastError() says so and every call
    // fails cleanly.
    Chann(std::string streamType);
    // Adopts the channel of `accepted` (normally the temporary handed to an
    // ACCEPT handler): from now on its events come to this object. The
    // emptied `accepted` may then be deleted harmlessly (an ACCEPT temporary
    // is deleted by mnet when the handler returns, unless it was given a
    // handler). Only on the thread that owns `accepted`; elsewhere nothing
    // is adopted and lastError() says why.
    Chann(Chann *accepted);
    // Closes the channel. No event is raised, and none queued for it is
    // delivered afterwards. On another thread than the owner's, the close is
    // handed to the owner (see Threads above).
    virtual ~Chann();

    Chann(const Chann &) = delete;
    Chann &operator=(const Chann &) = delete;

    // Listens on "ip:port" ("[v6]:port", ":port", "host:port"; port 0 picks a
    // free port that myAddr() reports). TCP listeners raise ACCEPT; a UDP
    // channel is bound and raises RECV (read with channRecvFrom).
    bool channListen(std::string ipPort, int backlog = 16);
    // Connects to "ip:port" or "host:port". TCP: true means the attempt
    // started and ends in CONNECTED or DISCONNECT (a name with several
    // addresses tries each). UDP: connected at once, no event. False: failed
    // now, see lastError(), no event follows. Turns the SEND event off.
    // A host name never blocks: /etc/hosts is read, then the thread's
    // asynchronous resolver asks DNS while the Chann is CONNECTING (a UDP
    // Chann too, which then gets CONNECTED); a failed lookup gives one
    // DISCONNECT with err ENXIO, ETIMEDOUT or EAGAIN and the reason in
    // lastError() ("cannot resolve 'x.example': no such host (NXDOMAIN)").
    bool channConnect(std::string ipPort);
    // Closes the socket but keeps the Chann, which may listen or connect
    // again. No event. Queued bytes get one last write; the rest is dropped.
    void channDisconnect();

    // Reads up to `len` bytes: the count read, 0 when nothing is waiting
    // now, -1 on error or when not connected. Reading the end of the stream
    // (0) or an error (-1) is followed by DISCONNECT in the same round. On
    // UDP one call reads one datagram.
    int channRecv(void *buf, int len);
    // Sends `len` bytes and returns `len` (-1 on error or when not
    // connected): what the kernel does not take now is copied to the
    // channel's queue and sent in order; `buf` is free again on return.
    // Small sends made in one round leave together in one system call at its
    // end.
    int channSend(const void *buf, int len);
    // UDP: reads one datagram and its sender. Returns as channRecv.
    int channRecvFrom(void *buf, int len, ChannAddr &from);
    // UDP: sends one datagram to `to` (binding a new channel to a free port
    // first). Returns `len`, or -1.
    int channSendTo(const void *buf, int len, const ChannAddr &to);

    // CHANN_EVENT_SEND, non-zero: raise SEND once per round while the queue
    // is empty and the socket writable (a pump for bulk data); 0: stop. Needs
    // a connecting or connected channel; reset by channConnect().
    // CHANN_EVENT_TIMER, value in milliseconds: a repeating timer, re-armed
    // from now when set again; 0 stops it. Works in every state. The wait of
    // pollEvent is cut short for it, and it does not drift.
    // CHANN_EVENT_RECV, 0: pause reading (backpressure: nothing is read, the
    // kernel slows the peer down, no RECV is raised); non-zero: resume (data
    // that arrived meanwhile raises RECV at once). channRecv works while paused.
    void channActiveEvent(chann_event_t event, int64_t value);

    // A high-water mark on the send queue: a channSend that would take
    // dataCached() past `bytes` returns -1 (lastError() says so) and queues
    // nothing. 0 (the default) means no limit.
    bool setSendLimit(int64_t bytes);
    // Half-close on: the peer's FIN arrives as CHANN_EVENT_EOF (the Chann
    // can still send) instead of DISCONNECT.
    bool setHalfClose(bool on);
    // Ends sending: FIN (after close_notify for TLS) goes out once the queue
    // is written; receiving goes on. Later channSend calls fail.
    bool channShutdownWrite();
    // DISCONNECT with err ETIMEDOUT after `ms` milliseconds without a byte
    // moving either way; 0 turns it off.
    bool setIdleTimeout(int64_t ms);

    // Replaces defaultEventHandler for this Chann (an empty one restores
    // it). Any callable, with captures. A running handler and its captures
    // live until it returns, even if it replaces itself or deletes its Chann
    // (or another handler does, in a nested pollEvent): the next event goes
    // to the new handler. Given to an ACCEPT temporary, it keeps the
    // temporary: it is then yours to delete.
    void setEventHandler(channEventHandler handler);
    // Called for each event when no handler was set. The base version
    // deletes `accept` (refusing the connection).
    virtual void defaultEventHandler(Chann *accept, chann_event_t event, int err);

    // This end's address (getsockname): the bound address of a listener, the
    // local address of a connection. Empty when there is no socket. Returned
    // by value (m_net returned a reference that the next call overwrote):
    // `c->myAddr().addrString` works as before; keep it in a ChannAddr or a
    // const reference.
    ChannAddr myAddr();
    // The other end's address (getpeername) while connected. Otherwise the
    // last one known: what an earlier call returned while connected, or the
    // numeric address given to channConnect() (empty for a host name).
    // Returned by value, as myAddr().
    ChannAddr peerAddr();
    // Exact number of bytes queued and not yet handed to the kernel.
    int dataCached();
    // Whether the state is CHANN_STATE_CONNECTED.
    bool isConnected();
    // The current state (CHANN_STATE_CLOSED for an object without a channel).
    chann_state_t state();
    // The channel type.
    chann_type_t channType() const { return m_type; }
    // Bytes sent (handed to the kernel) and received, over the channel's life.
    int64_t bytesSent();
    int64_t bytesReceived();
    // Fixes SO_SNDBUF and SO_RCVBUF (turns off kernel auto-tuning; rarely
    // wanted). Applies now and to later sockets of this Chann.
    bool setBufSize(int bytes);

    // Looks up "host" or "host:port" without blocking (hosts file, then
    // DNS): CHANN_EVENT_RESOLVED follows, then resolvedAddrs() has the
    // addresses. Works in any state; a new call replaces one under way.
    // False: refused now (bad name), see lastError(), no event follows.
    bool channResolve(std::string host);
    // The addresses of the last finished channResolve() (IPv4 first, each
    // with the port given, or 0); empty after a failure.
    std::vector<ChannAddr> resolvedAddrs();

    // SO_REUSEPORT for the next channListen (call before it): several
    // listeners, on several threads (each with its own loop) or processes,
    // share one port and the kernel spreads connections among them.
    bool setReusePort(bool on);
    // UDP, bound (after channListen): joins the IPv4 multicast group
    // ("239.1.2.3") on the interface with address `iface` (empty: the
    // kernel's choice); datagrams to group:port then raise RECV. On loopback
    // use "127.0.0.1" here and in setMulticastInterface.
    bool joinMulticast(const std::string &group, const std::string &iface = "");
    // Leaves a group joined with joinMulticast (delete leaves them all).
    bool leaveMulticast(const std::string &group, const std::string &iface = "");
    // UDP with a socket: the interface multicast datagrams leave by, named
    // by its IPv4 address (IP_MULTICAST_IF).
    bool setMulticastInterface(const std::string &iface);
    // UDP with a socket: whether this host's members hear what it sends
    // (IP_MULTICAST_LOOP, on by default).
    bool setMulticastLoop(bool on);
    // UDP with a socket: routers a multicast datagram may cross (default 1).
    bool setMulticastTtl(int ttl);

    // "tls" channels: the settings for the next channListen/channConnect
    // (accepted channels inherit the listener's). ACCEPT and CONNECTED come
    // after the handshake; a failed handshake gives the client one DISCONNECT
    // with err EPROTO and the reason in lastError(), and the server nothing.
    // DISCONNECT err 0 is a close with close_notify, ECONNABORTED a TCP close
    // without it.
    bool setTlsConfig(const TlsConfig &config);
    // "tls" clients: the name sent in SNI and checked against the server's
    // certificate (default: the host given to channConnect).
    bool setServerName(const std::string &name);
    // "tls": how long a handshake may take, in milliseconds (default
    // 10000; 0 is refused). On a listener, for the connections it accepts
    // from now on: one whose handshake does not finish in time is closed
    // silently (no ACCEPT). On a client, for its next connects: the
    // handshake that does not finish in time ends with DISCONNECT, err
    // ETIMEDOUT.
    bool setHandshakeTimeout(int64_t ms);
    // "tls" listeners: the most handshakes run at once (default 256). A
    // connection accepted past the cap closes the oldest handshake in
    // flight, so peers that connect and never speak cannot keep real
    // clients out or use up the descriptors.
    bool setMaxHandshakes(int n);

    // The last error on this Chann, as a sentence.
    const std::string &lastError() const { return m_lastError; }

    // m_net's way to drive Channs from a C loop: hands a message from
    // mnet_result_next() (<mnet/mnet_core.h>) to the Chann in its opaque, as
    // pollEvent does. For a program that runs `mnet_poll` and
    // `mnet_result_next` itself and mixes C channs with Channs: a message
    // whose opaque is not a Chann (a C chann's) must not be given here.
    static void channDispatchEvent(chann_msg_t *m);

private:
    friend class ChannDispatcher;
    struct Adopt {};
    Chann(Adopt, uint32_t owner, uint64_t handle, chann_type_t type);
    static void deliver(Chann *c, chann_event_t event, uint64_t accepted, int err);
    bool usable();
    bool fail();
    void noteLoss(int err);
    void noteLookupFailure();
    void dispatch(chann_event_t event, Chann *accept, int err);

    struct Handler;
    static void dropHandler(Handler *h);

    ChannAddr &lastPeer();  // m_peer, allocated on first use

    // Kept small: a server holds one of these per idle connection.
    uint64_t m_handle;
    chann_type_t m_type;
    uint32_t m_owner;    // the event loop (thread) the channel belongs to
    Handler *m_handler;  // set by setEventHandler, or null
    ChannAddr *m_peer;   // the last peer address known (peerAddr), or null
    std::string m_lastError;
};

// One channel in ChannDispatcher::stats().
struct ChannInfo {
    Chann *chann;             // its Chann (nullptr for an accepted one not yet handed out)
    chann_type_t type;
    chann_state_t state;
    ChannAddr local;          // empty without a socket
    ChannAddr peer;           // empty unless connected
    int64_t bytesSent;
    int64_t bytesReceived;
    int64_t dataCached;       // bytes queued, not yet handed to the kernel
};

// The event loop of the calling thread. All static.
class ChannDispatcher {
public:
    // Runs one round: waits up to `milliseconds` (negative: no limit; the
    // wait is cut short for the nearest timer), then calls the handler of
    // every event. Returns the number of open channels after the round (so
    // `while (pollEvent(100) > 0) {}` ends when the last Chann is deleted),
    // or -1 if waiting failed or the loop stopped after an internal error
    // (see lastError()). A handler's exception leaves pollEvent; the rest
    // of the round comes with the next call (see Exceptions above).
    static int pollEvent(int milliseconds);
    // Runs rounds until stopEventLoop() is called (from a handler) or no
    // channel is left.
    static void startEventLoop();
    // Makes startEventLoop() return after the current round.
    static void stopEventLoop();
    // Microseconds on the monotonic clock.
    static int64_t currentTime();
    // The library version: major * 10000 + minor * 100 + patch.
    static int32_t version();
    // Number of open channels on this thread.
    static int channCount();
    // The last error of pollEvent() or setNameServers().
    static const std::string &lastError();

    // Every open Chann of this thread: type, state, addresses, bytes.
    static std::vector<ChannInfo> stats();
    // The same as text, one line per channel (m_net's mnet_report), e.g.
    // "2 channels (1 connected, 1 listening), 0 bytes queued".
    static std::string report();
    // The asynchronous resolver of this thread asks these nameservers
    // ("ip:port", tried in turn), waits `timeoutMs` for each answer, and
    // makes `attempts` rounds. An empty list goes back to /etc/resolv.conf
    // (the default). /etc/hosts is read first either way.
    static bool setNameServers(const std::vector<std::string> &servers, int timeoutMs = 5000, int attempts = 2);

private:
    ChannDispatcher() = delete;
};

// Log levels, as m_net numbers them.
enum LogLevel {
    MNET_LOG_OFF = 0,
    MNET_LOG_ERROR = 1,      // failures mnet handled itself (EMFILE on accept, ...)
    MNET_LOG_INFO = 2,       // plus notable events (a TLS handshake an accepted client failed, ...)
    MNET_LOG_VERBOSE = 3,    // plus debugging detail (rustls' own records too)
};

// Receives one log record: its level and the text (no newline).
typedef std::function<void(LogLevel level, const std::string &message)> LogCallback;

// Sets the level of mnet's log records (process-wide) and who gets them:
// `callback`, or when it is empty, stderr as "mnet: [E] text". The default
// before any call: errors to stderr. Records are kept per thread and handed
// to the callback on the thread that made them, at the end of each
// pollEvent() and of setLog() itself; a thread that never polls keeps only
// its last 1024. Returns false if another Rust log backend owns the process.
bool setLog(LogLevel level, LogCallback callback = LogCallback());

// For mnet's own tests only: not part of the API, may change at any time.
namespace testing {

// Makes this thread's event loop fail as a bug inside mnet would (a Rust
// panic inside the reactor), so a test can check what follows: the loop
// stops, its sockets close, and every later call on it fails with a clear
// lastError(). Other threads' loops are untouched. Returns -1.
int panicInEventLoop();

}  // namespace testing

}  // namespace mnet
