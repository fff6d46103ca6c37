//! WebSocket test helpers: a loop that runs rounds of a reactor for an
//! [`Endpoint`] and hands its events to the test; a Python process
//! (tests/py/ws_server.py, the `websockets` library) as the server; an
//! mnet echo server ([`Srv`]) and raw clients ([`Raw`]) that write frames
//! by hand.

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use mnet::http::{self, Limits};
use mnet::ws::{offered_protocols, Endpoint, Event, Options};
use mnet::{Handle, Reactor};

/// Runs rounds, handing every message to `ws` and every event of it to
/// `f`, until `f` returns true (or 20 s pass: then the test fails with
/// `what`). Messages the endpoint gives back go to `other`.
pub fn run_ws(
    r: &mut Reactor,
    ws: &mut Endpoint,
    what: &str,
    mut other: impl FnMut(&mut Reactor, &mut Endpoint, mnet::Msg),
    mut f: impl FnMut(&mut Reactor, &mut Endpoint, Event) -> bool,
) {
    let end = Instant::now() + Duration::from_secs(20);
    loop {
        assert!(Instant::now() < end, "timed out waiting for: {what}");
        r.poll(20).unwrap();
        let mut done = false;
        while let Some(m) = r.next() {
            if let Some(m) = ws.handle(r, m) {
                other(r, ws, m);
            }
            while let Some(ev) = ws.next_event() {
                done |= f(r, ws, ev);
            }
        }
        while let Some(ev) = ws.next_event() {
            done |= f(r, ws, ev);
        }
        if done {
            return;
        }
    }
}

/// Runs rounds until `f` returns true for an event; messages not the
/// endpoint's fail the test.
pub fn until(r: &mut Reactor, ws: &mut Endpoint, what: &str, f: impl FnMut(&mut Reactor, &mut Endpoint, Event) -> bool) {
    run_ws(r, ws, what, |_, _, m| panic!("a message not the endpoint's: {m:?}"), f);
}

/// tests/py/ws_server.py, running; killed (by its PID) when dropped.
pub struct PyServer {
    child: Child,
    pub port: u16,
}

impl PyServer {
    /// Starts the server with `args`; `None` (the test skips) without
    /// MNET_PYTHON.
    pub fn start(args: &[&str]) -> Option<PyServer> {
        let python = super::web::python()?;
        let mut child = Command::new(python)
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/py/ws_server.py"))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start tests/py/ws_server.py");
        let out = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(out).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx.recv_timeout(Duration::from_secs(20)).expect("ws_server.py prints its port");
        let port = line.trim().strip_prefix("PORT ").and_then(|p| p.parse().ok());
        let Some(port) = port else {
            let _ = child.kill();
            panic!("ws_server.py said {line:?}");
        };
        Some(PyServer { child, port })
    }

    pub fn url(&self, path: &str) -> String {
        format!("ws://127.0.0.1:{}{path}", self.port)
    }
}

impl Drop for PyServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A frame as a raw client writes it: FIN/RSV bits in `bits`, masked with
/// a fixed key unless `mask` is false.
pub fn frame(bits: u8, opcode: u8, payload: &[u8], mask: bool) -> Vec<u8> {
    let mut f = vec![bits | opcode];
    let m = if mask { 0x80 } else { 0 };
    match payload.len() {
        n if n < 126 => f.push(m | n as u8),
        n if n < 65536 => {
            f.push(m | 126);
            f.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            f.push(m | 127);
            f.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    if mask {
        let key = [0x11, 0x22, 0x33, 0x44];
        f.extend_from_slice(&key);
        f.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    } else {
        f.extend_from_slice(payload);
    }
    f
}

/// FIN.
pub const FIN: u8 = 0x80;

/// A frame from the front of `buf` (unmasked, as a server sends them):
/// (first byte, payload, bytes taken), or `None` while incomplete.
pub fn parse_frame(buf: &[u8]) -> Option<(u8, Vec<u8>, usize)> {
    if buf.len() < 2 {
        return None;
    }
    assert_eq!(buf[1] & 0x80, 0, "a server frame is never masked");
    let (len, at) = match buf[1] & 0x7f {
        126 => (u16::from_be_bytes([*buf.get(2)?, *buf.get(3)?]) as usize, 4),
        127 => (u64::from_be_bytes(buf.get(2..10)?.try_into().unwrap()) as usize, 10),
        n => (n as usize, 2),
    };
    let payload = buf.get(at..at + len)?;
    Some((buf[0], payload.to_vec(), at + len))
}

/// The upgrade request a raw client sends (RFC 6455's sample key).
pub fn upgrade_request(path: &str, extra: &str) -> String {
    format!(
        "GET {path} HTTP/1.1\r\nHost: test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{extra}\r\n"
    )
}

/// An echo server: upgrades on any path but `/refuse` (403), choosing
/// `chat` when offered; records every event.
pub struct Srv {
    pub r: Reactor,
    pub web: http::Server,
    pub ws: Endpoint,
    pub addr: SocketAddr,
    pub events: Vec<Event>,
    pub echo: bool,
}

impl Srv {
    pub fn new(opts: Options) -> Srv {
        Srv::with_tls(opts, None)
    }

    /// The server over TLS with `tls` (a certificate and key), or plain.
    pub fn with_tls(opts: Options, tls: Option<mnet::TlsConfig>) -> Srv {
        let mut r = Reactor::new().unwrap();
        let mut web = http::Server::new(Limits::default());
        let l = match tls {
            Some(cfg) => web.listen_tls(&mut r, "127.0.0.1:0", cfg).unwrap(),
            None => web.listen(&mut r, "127.0.0.1:0").unwrap(),
        };
        let addr = r.local_addr(l).unwrap();
        Srv {
            r,
            web,
            ws: Endpoint::new(opts),
            addr,
            events: Vec::new(),
            echo: true,
        }
    }

    pub fn round(&mut self) {
        self.r.poll(5).unwrap();
        while let Some(m) = self.r.next() {
            if let Some(m) = self.ws.handle(&mut self.r, m) {
                assert!(self.web.handle(&mut self.r, m).is_none());
            }
            self.serve_events();
        }
        self.serve_events();
    }

    pub fn serve_events(&mut self) {
        let r = &mut self.r;
        while let Some(ev) = self.web.next_event() {
            let http::Event::Request(id) = ev else { continue };
            let q = self.web.request(id).unwrap();
            let (upgrade, path) = (q.is_upgrade(), q.path().to_owned());
            let chat = offered_protocols(&q).contains(&"chat");
            if !upgrade {
                self.web.respond_bytes(r, id, 200, "text/plain", b"plain HTTP").unwrap();
            } else if path == "/refuse" {
                self.web.respond_bytes(r, id, 403, "text/plain", b"no").unwrap();
            } else {
                let _ = self.ws.accept(r, &mut self.web, id, chat.then_some("chat"));
            }
        }
        while let Some(ev) = self.ws.next_event() {
            if let (true, Event::Message { id, text, data }) = (self.echo, &ev) {
                let _ = self.ws.send(r, *id, *text, data);
            }
            self.events.push(ev);
        }
    }

    /// Serves rounds until `done` (bounded).
    pub fn until(&mut self, what: &str, mut done: impl FnMut(&mut Srv) -> bool) {
        let end = Instant::now() + Duration::from_secs(20);
        while !done(self) {
            assert!(Instant::now() < end, "timed out waiting for {what}");
            self.round();
        }
    }

    pub fn opened(&self) -> Option<Handle> {
        self.events.iter().rev().find_map(|e| match e {
            Event::Open(h) => Some(*h),
            _ => None,
        })
    }

    pub fn closed(&self) -> Option<(u16, String)> {
        self.events.iter().find_map(|e| match e {
            Event::Close { code, reason, .. } => Some((*code, reason.clone())),
            _ => None,
        })
    }
}

/// A raw client: a socket and what it read and has not used yet.
pub struct Raw {
    pub s: TcpStream,
    pub buf: Vec<u8>,
}

impl Raw {
    pub fn connect(srv: &Srv) -> Raw {
        let s = TcpStream::connect(srv.addr).unwrap();
        s.set_nonblocking(true).unwrap();
        Raw { s, buf: Vec::new() }
    }

    /// Connects and upgrades; returns the 101 head.
    pub fn open(srv: &mut Srv, path: &str, extra: &str) -> (Raw, String) {
        let mut c = Raw::connect(srv);
        c.send(srv, upgrade_request(path, extra).as_bytes());
        let head = c.head(srv);
        assert!(head.starts_with("HTTP/1.1 101 "), "{head}");
        (c, head)
    }

    pub fn send(&mut self, srv: &mut Srv, bytes: &[u8]) {
        let mut at = 0;
        while at < bytes.len() {
            match self.s.write(&bytes[at..]) {
                Ok(n) => at += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => srv.round(),
                Err(e) => panic!("write: {e}"),
            }
        }
    }

    /// Reads what is there; false at the end of the stream.
    pub fn pull(&mut self) -> bool {
        let mut b = [0u8; 65536];
        loop {
            match self.s.read(&mut b) {
                Ok(0) => return false,
                Ok(n) => self.buf.extend_from_slice(&b[..n]),
                Err(e) if e.kind() == ErrorKind::WouldBlock => return true,
                Err(e) if e.kind() == ErrorKind::ConnectionReset => return false,
                Err(e) => panic!("read: {e}"),
            }
        }
    }

    /// An HTTP head from the server.
    pub fn head(&mut self, srv: &mut Srv) -> String {
        let mut end = None;
        srv.until("an HTTP head", |_| {
            self.pull();
            end = self.buf.windows(4).position(|w| w == b"\r\n\r\n");
            end.is_some()
        });
        let end = end.unwrap() + 4;
        let head = String::from_utf8(self.buf.drain(..end).collect()).unwrap();
        head
    }

    /// The next frame: (first byte, payload).
    pub fn frame(&mut self, srv: &mut Srv) -> (u8, Vec<u8>) {
        let mut got = None;
        srv.until("a frame", |_| {
            self.pull();
            got = parse_frame(&self.buf);
            got.is_some()
        });
        let (b0, payload, used) = got.unwrap();
        self.buf.drain(..used);
        (b0, payload)
    }

    /// The next frame, which must be a close: its code.
    pub fn close_code(&mut self, srv: &mut Srv) -> u16 {
        let (b0, p) = self.frame(srv);
        assert_eq!(b0, FIN | 0x8, "a close frame");
        u16::from_be_bytes([p[0], p[1]])
    }

    /// Serves until the server ended TCP.
    pub fn eof(&mut self, srv: &mut Srv) {
        srv.until("the server's end of TCP", |_| !self.pull());
    }
}


/// One round for a server and a client on the same reactor; the client's
/// events go to `f`.
pub fn both_round(srv: &mut Srv, client: &mut Endpoint, f: &mut impl FnMut(&mut Reactor, &mut Endpoint, Event)) {
    srv.r.poll(5).unwrap();
    while let Some(m) = srv.r.next() {
        if let Some(m) = client.handle(&mut srv.r, m) {
            if let Some(m) = srv.ws.handle(&mut srv.r, m) {
                srv.web.handle(&mut srv.r, m);
            }
        }
        srv.serve_events();
        while let Some(ev) = client.next_event() {
            f(&mut srv.r, client, ev);
        }
    }
}

