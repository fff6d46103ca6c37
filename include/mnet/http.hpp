// mnet/http.hpp: HTTP/1.1 servers and clients on the thread's event loop
// (the C++ face of the Rust layer in src/http/). C++11.
//
// A Server and a Client run on the loop of the thread that made them, like
// a Chann: ChannDispatcher::pollEvent() reads their connections and calls
// their handlers, in the same round as the Channs' handlers. Handlers may
// answer at once or later (from any handler or timer of the same thread),
// by the request's id.
//
//   mnet::http::Server http;
//   http.route("GET", "/hello/:name", [](mnet::http::Server &s, const mnet::http::Request &q) {
//       s.respond(q.id(), 200, "text/plain", "hello " + q.param("name") + "\n");
//   });
//   if (!http.listen("127.0.0.1:8080")) { /* http.lastError() says why */ }
//   while (mnet::ChannDispatcher::pollEvent(1000) >= 0) {}
//
// The server is strict (request smuggling is the threat): Content-Length
// with Transfer-Encoding, repeated or malformed lengths, folded headers, a
// missing Host are answered 400 and the connection closes; codings other
// than chunked 501; limits (Limits below) 413, 414, 431, and 408 for slow
// clients. Keep-alive and pipelining are handled (responses leave in
// request order whatever order the program answers in); HEAD gets the head
// of the GET; `Expect: 100-continue` is answered when the request is read;
// `Date` and `Server` are added to every response.
//
// Errors: calls that can fail return false (or 0 for an id) and leave a
// sentence in lastError(); no call throws, and a stale request id (answered
// already, or its client went away) is an error, never a crash. Exceptions
// thrown by a handler leave pollEvent(), like a Chann handler's.
//
// Objects belong to the thread that made them: use and delete them there.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "mnet/mnet.hpp"

namespace mnet {
namespace http {

// Header fields, in order: (name, value).
typedef std::vector<std::pair<std::string, std::string>> Headers;

// The limits and timeouts of a Server. A request past a size limit is
// answered with the status named and its connection closes.
struct Limits {
    size_t maxHead = 16 * 1024;       // bytes of a request head (431)
    size_t maxUri = 8 * 1024;         // bytes of the request target (414)
    size_t maxHeaders = 100;          // header fields in a head (431)
    uint64_t maxBody = 8u << 20;      // bytes of a request body (413)
    uint64_t headTimeoutMs = 10000;   // a head must arrive within this once begun (408)
    uint64_t bodyTimeoutMs = 60000;   // a body must arrive within this after its head (408)
    uint64_t keepAliveMs = 30000;     // an idle keep-alive connection closes after this
    size_t maxPipelined = 64;         // requests waiting for answers on one connection
                                      // before the server stops reading from it
};

class Server;

// A request, as a handler sees it: a copy, valid as long as the program
// keeps it (the request id is what later answers name).
class Request {
public:
    // The id to answer with (Server::respond and the others).
    uint64_t id() const { return m_id; }
    // The route that matched, in the order routes were added (0, 1, ...),
    // or -1 for the fallback.
    int route() const { return m_route; }
    const std::string &method() const { return m_method; }
    // The target as sent ("/path?query").
    const std::string &target() const { return m_target; }
    // The path part of the target, as sent (percent-encoded).
    const std::string &path() const { return m_path; }
    // The query after '?', as sent ("" without one).
    const std::string &query() const { return m_query; }
    // The first query parameter `name`, percent-decoded ('+' a space);
    // false when there is none.
    bool queryParam(const std::string &name, std::string &value) const;
    // The same, "" when there is none.
    std::string queryParam(const std::string &name) const;
    // The first header named `name` (any case); "" when there is none.
    std::string header(const std::string &name) const;
    bool hasHeader(const std::string &name) const;
    const Headers &headers() const { return m_headers; }
    // The value of route parameter `name` (":name" in the pattern); "" when
    // the route has none.
    std::string param(const std::string &name) const;
    // The body (empty without one).
    const std::string &body() const { return m_body; }
    // The client's address.
    const ChannAddr &peer() const { return m_peer; }
    // 0 for HTTP/1.0, 1 for HTTP/1.1.
    int minorVersion() const { return m_minor; }
    // Whether the client asked to switch protocols (Connection: upgrade).
    bool isUpgrade() const { return m_upgrade; }

private:
    friend class Server;
    friend struct HttpAccess;
    uint64_t m_id = 0;
    int m_route = -1;
    int m_minor = 1;
    bool m_upgrade = false;
    std::string m_method, m_target, m_path, m_query, m_body;
    Headers m_headers, m_params;
    ChannAddr m_peer;
};

// An HTTP/1.1 server on this thread's loop.
class Server {
public:
    // Called for each complete request (head and body).
    typedef std::function<void(Server &server, const Request &request)> Handler;
    // Called with a request's id: a streamed response's queue emptied
    // (write more), or its client went away before the response was
    // complete (the id is stale from then on).
    typedef std::function<void(Server &server, uint64_t id)> IdHandler;
    // Called with the body of a request on a streamed route as it arrives:
    // `data` the bytes since the last call, `end` true on the last call
    // (its data may be empty). See routeStream().
    typedef std::function<void(Server &server, uint64_t id, const std::string &data, bool end)> BodyHandler;

    explicit Server(const Limits &limits = Limits());
    // Closes the listeners and every connection at once (stop() first for
    // a graceful end).
    ~Server();
    Server(const Server &) = delete;
    Server &operator=(const Server &) = delete;

    // Adds a route: a method ("GET"; "" for any) and a path pattern of
    // literal segments, ":name" parameters and a trailing "*" ("/users/:id",
    // "/static/*"). The first route that matches gets the request. False on
    // a malformed pattern.
    bool route(const std::string &method, const std::string &pattern, Handler handler);
    // A route whose request bodies come as they arrive instead of whole
    // (uploads larger than memory should hold): `handler` is called once
    // the head is in (Request::body() empty), then `body` with each part
    // and once with end = true. Reading pauses while 64 KiB wait in a
    // handler's return; Limits::maxBody still bounds the whole body (an
    // over-long body gets 413 and the abort handler). Answering before the
    // end closes the connection after the answer. A request without a body
    // gets one body call, with end = true and no data.
    bool routeStream(const std::string &method, const std::string &pattern, Handler handler, BodyHandler body);
    // Requests no route matched. Without one they get 404.
    void setFallback(Handler handler);
    void setDrainHandler(IdHandler handler);
    void setAbortHandler(IdHandler handler);
    // The Server header's value (default "mnet"; "" leaves it out).
    bool setName(const std::string &name);

    // Listens on "ip:port" ("127.0.0.1:8080", "[::1]:0"; port 0 picks a free
    // one, see localAddr()). May be called more than once.
    bool listen(const std::string &addr);
    // Listens for HTTPS with a TlsConfig holding a certificate and key.
    bool listenTls(const std::string &addr, const TlsConfig &tls);
    // The address of the last listener.
    const ChannAddr &localAddr() const { return m_local; }

    // Answers request `id` with `body` (Content-Type `contentType`; "" for
    // none). The response leaves in request order on its connection.
    bool respond(uint64_t id, int status, const std::string &contentType, const std::string &body);
    // The same with any headers (the server adds Date, Server,
    // Content-Length and, when the connection closes, Connection: close).
    bool respond(uint64_t id, int status, const Headers &headers, const std::string &body);
    // Answers with the file at `path` (404 if it cannot be opened), read as
    // the connection drains.
    bool respondFile(uint64_t id, const std::string &path, const std::string &contentType);
    // Starts a chunked response: then writeChunk() as data comes (the
    // drain handler says when the queue emptied) and endStream().
    bool respondStream(uint64_t id, int status, const Headers &headers);
    bool writeChunk(uint64_t id, const std::string &data);
    bool endStream(uint64_t id);
    // Bytes queued on the connection of `id` and not yet sent; -1 for a
    // stale id.
    int64_t queued(uint64_t id) const;

    // Stops gracefully: listeners close, idle connections close, requests
    // in progress are answered (with Connection: close), then their
    // connections close. stopped() says when none is left.
    void stop();
    bool stopped() const;
    // Open connections.
    int64_t connections() const;

    const std::string &lastError() const { return m_lastError; }

private:
    friend struct HttpAccess;
    bool fail();
    uint64_t m_id;
    std::vector<Handler> m_routes;
    std::vector<BodyHandler> m_bodies;
    Handler m_fallback;
    IdHandler m_drain, m_abort;
    ChannAddr m_local;
    std::string m_lastError;
};

// The limits and timeouts of a Client.
struct ClientOptions {
    uint64_t maxBody = 64u << 20;        // bytes of a response body
    size_t maxHead = 64 * 1024;          // bytes of a response head
    size_t maxHeaders = 100;             // header fields in a response head
    uint64_t connectTimeoutMs = 10000;   // DNS, TCP and TLS handshake
    uint64_t responseTimeoutMs = 30000;  // from the request sent to the last byte
    uint64_t idleTimeoutMs = 30000;      // an idle keep-alive connection is kept this long
    size_t maxPerOrigin = 8;             // connections at once to one scheme://host:port
};

// What a request got: a response (ok() true), or a failure with a sentence
// (connection refused, name not found, certificate not trusted, timed out,
// closed early, a malformed or oversized response).
struct ClientResponse {
    uint64_t id = 0;
    int status = 0;          // 0 when the request failed
    std::string reason;
    int minorVersion = 1;
    Headers headers;
    std::string body;        // its chunked framing removed
    std::string error;       // why it failed; "" for a response
    bool ok() const { return status != 0; }
    // The first header named `name` (any case); "" when there is none.
    std::string header(const std::string &name) const;
};

// An HTTP/1.1 client on this thread's loop: http:// and https:// URLs
// (verified against the system's roots, or setTlsConfig's CA), keep-alive
// connections reused per origin, names resolved on the loop.
class Client {
public:
    // Called once per request, from pollEvent().
    typedef std::function<void(Client &client, const ClientResponse &response)> Callback;

    explicit Client(const ClientOptions &options = ClientOptions());
    // Closes every connection; requests not answered get no callback.
    ~Client();
    Client(const Client &) = delete;
    Client &operator=(const Client &) = delete;

    // The TLS settings for https:// (a CA with setCaFile, ALPN).
    bool setTlsConfig(const TlsConfig &tls);

    // Sends `method url` with `headers` and `body` (Content-Length framed).
    // Host and User-Agent are added unless given; Content-Length,
    // Transfer-Encoding and Connection are refused (the client frames the
    // request). Returns the request's id, or 0 with lastError() for a
    // malformed URL, method or header.
    uint64_t fetch(const std::string &method, const std::string &url, const Headers &headers,
                   const std::string &body, Callback callback);
    uint64_t get(const std::string &url, Callback callback) { return fetch("GET", url, Headers(), "", callback); }
    // Forgets request `id`: no callback comes, its connection closes.
    void cancel(uint64_t id);
    // Requests whose callback has not run yet.
    int64_t pending() const;

    const std::string &lastError() const { return m_lastError; }

private:
    friend struct HttpAccess;
    uint64_t m_id;
    std::vector<std::pair<uint64_t, Callback>> m_callbacks;
    std::string m_lastError;
};

}  // namespace http
}  // namespace mnet
