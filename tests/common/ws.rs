//! WebSocket test helpers: a loop that runs rounds of a reactor for an
//! [`Endpoint`] and hands its events to the test, and a Python process
//! (tests/py/ws_server.py, the `websockets` library) as the server.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use mnet::ws::{Endpoint, Event};
use mnet::Reactor;

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
