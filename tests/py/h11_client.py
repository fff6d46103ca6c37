"""A strict HTTP/1.1 client (h11) against an HTTP server on 127.0.0.1.

    python h11_client.py PORT

Sends, on one keep-alive connection, a series of requests (some pipelined
in one write, a chunked upload, HEAD, a streamed response) and lets h11
check every byte of every response: h11 raises on anything that is not
valid HTTP/1.1. Prints one line per checked exchange; exits 1 on a failure.
"""
import socket
import sys

import h11


def exchange(sock, conn, requests):
    """Sends the requests (each: h11 events) in one write; returns one
    (response, body) per request, in order."""
    out = b""
    for events in requests:
        for ev in events:
            out += conn.send(ev)
    sock.sendall(out)
    results = []
    while len(results) < len(requests):
        response, body = None, b""
        while True:
            ev = conn.next_event()
            if ev is h11.NEED_DATA:
                data = sock.recv(65536)
                conn.receive_data(data)
                continue
            if isinstance(ev, h11.Response):
                response = ev
            elif isinstance(ev, h11.Data):
                body += ev.data
            elif isinstance(ev, h11.EndOfMessage):
                break
            elif isinstance(ev, h11.ConnectionClosed):
                raise SystemExit("the server closed the connection")
        results.append((response, body))
        if conn.our_state is h11.DONE and conn.their_state is h11.DONE:
            conn.start_next_cycle()
    return results


def get(path, method="GET"):
    return [h11.Request(method=method, target=path, headers=[("Host", "localhost")]), h11.EndOfMessage()]


def header(response, name):
    for k, v in response.headers:
        if k == name.encode():
            return v.decode()
    return None


def main():
    port = int(sys.argv[1])
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    conn = h11.Connection(our_role=h11.CLIENT)

    (resp, body), = exchange(sock, conn, [get("/plaintext")])
    assert resp.status_code == 200 and body == b"Hello, World!", (resp, body)
    assert header(resp, "content-type") == "text/plain" and header(resp, "date") and header(resp, "server")
    print("ok: GET /plaintext, Date and Server present")

    (resp, body), = exchange(sock, conn, [get("/plaintext", "HEAD")])
    assert resp.status_code == 200 and body == b"" and header(resp, "content-length") == "13", resp
    print("ok: HEAD: Content-Length without a body")

    upload = bytes(range(256)) * 300
    chunked = [h11.Request(method="POST", target="/echo",
                           headers=[("Host", "localhost"), ("Transfer-Encoding", "chunked")])]
    chunked += [h11.Data(data=upload[i:i + 7000]) for i in range(0, len(upload), 7000)]
    chunked += [h11.EndOfMessage()]
    (resp, body), = exchange(sock, conn, [chunked])
    assert resp.status_code == 200 and body == upload, (resp, len(body))
    print("ok: a chunked upload of %d bytes echoed" % len(upload))

    (resp, body), = exchange(sock, conn, [get("/stream")])
    assert header(resp, "transfer-encoding") == "chunked" and body == b"one,two,three", (resp, body)
    print("ok: a streamed (chunked) response")

    # Pipelining is not h11's to drive (it refuses a second request before the
    # first response); a fresh connection per batch of one keeps it strict.
    for path, want in [("/json", b'{"message":"Hello, World!"}'), ("/later", b"answered later\n"),
                       ("/params/7/x", b"7 x")]:
        (resp, body), = exchange(sock, conn, [get(path)])
        assert resp.status_code == 200 and body == want, (path, resp, body)
    print("ok: three more exchanges on the same keep-alive connection")

    (resp, body), = exchange(sock, conn, [get("/nope")])
    assert resp.status_code == 404, resp
    print("ok: 404 for an unknown route, connection kept")
    sock.close()


if __name__ == "__main__":
    main()
