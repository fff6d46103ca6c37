#!/usr/bin/env python3
"""bench/http_idle_mem.py PORT PID N - memory an HTTP server holds per idle
keep-alive connection.

Opens N connections to the server on 127.0.0.1:PORT (process PID), sends
one `GET /json` on each and reads its answer, then keeps them all open and
idle and prints the server's resident memory before and after, and the
difference per connection. Needs `ulimit -n` above N. Bounded: every read
has a 20 s timeout; the connections close when the script ends.

    ulimit -n 20000
    target/release/examples/http_server 127.0.0.1:18555 & pid=$!
    python3 bench/http_idle_mem.py 18555 $pid 5000; kill $pid
"""
import socket
import sys


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS"):
                return int(line.split()[1])
    raise SystemExit(f"no VmRSS for process {pid}")


def main():
    port, pid, n = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    before = rss_kib(pid)
    socks = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=20)
        s.sendall(b"GET /json HTTP/1.1\r\nHost: x\r\n\r\n")
        socks.append(s)
    for s in socks:
        got = b""
        while b"\r\n\r\n" not in got or not got.rstrip().endswith(b"}"):
            d = s.recv(4096)
            if not d:
                raise SystemExit("the server closed a connection")
            got += d
    after = rss_kib(pid)
    print(f"{n} idle keep-alive connections: RSS {before} -> {after} KiB, "
          f"{(after - before) * 1024 / n:.0f} B per connection")


if __name__ == "__main__":
    main()
