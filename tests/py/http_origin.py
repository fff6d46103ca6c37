"""An origin server for the HTTP client tests, on Python's http.server
(an implementation independent of mnet's): HTTP/1.1 with keep-alive.

    python3 http_origin.py     prints "port N" once listening on 127.0.0.1;
                               serves until its stdin closes.

GET /hello      200, Content-Length, keep-alive; X-Peer-Port: the client's
                port (a reused connection shows the same one)
GET /chunked    200, chunked in three chunks, a trailer field
GET /close      200 without a length: the body ends with the close
GET /nolength   HTTP/1.0 200 with Content-Length, then the close
HEAD /hello     the head of GET /hello
POST /echo      the request body back
"""
import http.server
import socketserver
import sys
import threading


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _hello(self, body_too):
        body = b"hello from python\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Peer-Port", str(self.client_address[1]))
        self.end_headers()
        if body_too:
            self.wfile.write(body)

    def do_HEAD(self):
        self._hello(False)

    def do_GET(self):
        if self.path == "/hello":
            self._hello(True)
        elif self.path == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for part in (b"alpha,", b"beta,", b"gamma"):
                self.wfile.write(b"%x;ext=1\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\nX-Trailer: dropped\r\n\r\n")
        elif self.path == "/close":
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b"until the close" * 1000)
            self.close_connection = True
        elif self.path == "/nolength":
            self.protocol_version = "HTTP/1.0"
            body = b"one-shot"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            self.close_connection = True
        else:
            self.send_error(404)

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        self.send_response(200)
        self.send_header("Content-Type", self.headers.get("Content-Type", "application/octet-stream"))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


def main():
    srv = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    print("port", srv.server_address[1], flush=True)
    sys.stdin.read()
    srv.shutdown()


if __name__ == "__main__":
    main()
