//! An HTTP server fixture for the HTTP tests: mnet's `http::Server` on a
//! reactor, with a few routes that exercise it, served round by round from
//! the test's thread while a client (curl, Python, a raw socket) runs.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use mnet::http::{Event, Limits, RequestId, Response, RouteId, Server};
use mnet::Reactor;

pub struct Web {
    pub r: Reactor,
    pub http: Server,
    pub addr: SocketAddr,
    routes: Vec<(RouteId, &'static str)>,
    /// Requests of /later, answered one round after they came.
    later: VecDeque<RequestId>,
    /// /upload's streamed bodies so far: bytes, their sum, parts taken.
    uploads: HashMap<RequestId, (usize, u64, usize)>,
    /// Requests the program heard of, and those aborted.
    pub requests: usize,
    pub aborted: usize,
}

impl Web {
    pub fn new(limits: Limits) -> Web {
        Web::with_tls(limits, None)
    }

    pub fn with_tls(limits: Limits, tls: Option<mnet::TlsConfig>) -> Web {
        let mut r = Reactor::new().unwrap();
        let mut http = Server::new(limits);
        let mut routes = Vec::new();
        for (method, pattern, name) in [
            (Some("GET"), "/plaintext", "plaintext"),
            (Some("GET"), "/json", "json"),
            (Some("POST"), "/echo", "echo"),
            (Some("PUT"), "/echo", "echo"),
            (Some("GET"), "/stream", "stream"),
            (Some("GET"), "/later", "later"),
            (Some("GET"), "/params/:id/:name", "params"),
            (None, "/query", "query"),
            (Some("PUT"), "/upload", "upload"),
        ] {
            routes.push((http.route(method, pattern).unwrap(), name));
        }
        // /upload's body comes part by part (Event::Body, Event::BodyEnd).
        let upload = routes.last().unwrap().0;
        http.stream_body(upload).unwrap();
        let l = match tls {
            Some(cfg) => http.listen_tls(&mut r, "127.0.0.1:0", cfg).unwrap(),
            None => http.listen(&mut r, "127.0.0.1:0").unwrap(),
        };
        let addr = r.local_addr(l).unwrap();
        Web {
            r,
            http,
            addr,
            routes,
            later: VecDeque::new(),
            uploads: HashMap::new(),
            requests: 0,
            aborted: 0,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// One round: poll, hand every message to the server, answer what it
    /// asks.
    pub fn round(&mut self, timeout_ms: i32) {
        self.round_with(timeout_ms, |_, m| Some(m));
    }

    /// One round in which `other` (a client on the same reactor) sees each
    /// message first and gives back those that are not its own.
    pub fn round_with(&mut self, timeout_ms: i32, mut other: impl FnMut(&mut Reactor, mnet::Msg) -> Option<mnet::Msg>) {
        self.r.poll(timeout_ms).unwrap();
        while let Some(id) = self.later.pop_front() {
            let _ = self.http.respond_bytes(&mut self.r, id, 200, "text/plain", b"answered later\n");
        }
        while let Some(m) = self.r.next() {
            let Some(m) = other(&mut self.r, m) else {
                continue;
            };
            assert!(self.http.handle(&mut self.r, m).is_none(), "every message is the server's: {m:?}");
            self.answer();
        }
        self.answer();
    }

    fn answer(&mut self) {
        while let Some(ev) = self.http.next_event() {
            match ev {
                Event::Request(id) => {
                    self.requests += 1;
                    self.respond(id);
                }
                Event::Aborted(_) => self.aborted += 1,
                Event::Body(id) => self.take_upload(id),
                Event::BodyEnd(id) => {
                    self.take_upload(id);
                    let (n, sum, parts) = self.uploads.remove(&id).unwrap_or_default();
                    let body = format!("{n} {sum} {parts}");
                    self.http.respond_bytes(&mut self.r, id, 200, "text/plain", body.as_bytes()).unwrap();
                }
                Event::Drain(_) => {}
            }
        }
    }

    /// Takes what arrived of /upload's body `id`: counted, summed, dropped.
    fn take_upload(&mut self, id: RequestId) {
        let part = self.http.take_body(&mut self.r, id).unwrap();
        let u = self.uploads.entry(id).or_default();
        u.0 += part.len();
        u.1 += part.iter().map(|&b| u64::from(b)).sum::<u64>();
        u.2 += usize::from(!part.is_empty());
    }

    fn respond(&mut self, id: RequestId) {
        let q = self.http.request(id).unwrap();
        let name = self.routes.iter().find(|(r, _)| *r == q.route()).map_or("", |(_, n)| *n);
        let r = &mut self.r;
        let res = match name {
            "plaintext" => self.http.respond_bytes(r, id, 200, "text/plain", b"Hello, World!"),
            "json" => self.http.respond_bytes(r, id, 200, "application/json", br#"{"message":"Hello, World!"}"#),
            "echo" => {
                let body = q.body().to_vec();
                let ct = q.header("content-type").unwrap_or("application/octet-stream").to_owned();
                self.http.respond(r, id, Response::new(200).header("Content-Type", &ct).body(body))
            }
            "stream" => self
                .http
                .respond_stream(r, id, 200, &[("Content-Type", "text/plain")])
                .and_then(|()| self.http.write_chunk(r, id, b"one,"))
                .and_then(|()| self.http.write_chunk(r, id, b"two,"))
                .and_then(|()| self.http.write_chunk(r, id, b"three"))
                .and_then(|()| self.http.end_stream(r, id)),
            "later" => {
                self.later.push_back(id);
                Ok(())
            }
            "upload" => Ok(()), // answered at BodyEnd
            "params" => {
                let body = format!("{} {}", q.param("id").unwrap_or("?"), q.param("name").unwrap_or("?"));
                self.http.respond_bytes(r, id, 200, "text/plain", body.as_bytes())
            }
            "query" => {
                let body = format!("{}|{}", q.query_param("a").unwrap_or_default(), q.query_param("b").unwrap_or_default());
                self.http.respond_bytes(r, id, 200, "text/plain", body.as_bytes())
            }
            _ => self.http.respond_bytes(r, id, 404, "text/plain", b"not found\n"),
        };
        res.unwrap();
    }

    /// Serves rounds until `done` holds (bounded).
    pub fn serve_until(&mut self, what: &str, mut done: impl FnMut(&mut Web) -> bool) {
        let end = Instant::now() + Duration::from_secs(30);
        while !done(self) {
            assert!(Instant::now() < end, "timed out waiting for {what}");
            self.round(10);
        }
    }

    /// Runs `cmd` to its end while serving; its output (read by threads,
    /// so a large output cannot block the child).
    pub fn run(&mut self, cmd: &mut Command) -> Output {
        let mut child: Child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
        let drain = |mut pipe: Box<dyn std::io::Read + Send>| {
            std::thread::spawn(move || {
                let mut all = Vec::new();
                let _ = pipe.read_to_end(&mut all);
                all
            })
        };
        let out = drain(Box::new(child.stdout.take().unwrap()));
        let err = drain(Box::new(child.stderr.take().unwrap()));
        let end = Instant::now() + Duration::from_secs(60);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            assert!(Instant::now() < end, "{cmd:?} did not finish");
            self.round(5);
        };
        Output {
            status,
            stdout: out.join().unwrap(),
            stderr: err.join().unwrap(),
        }
    }
}

/// The Python with the test tools (h11, websockets, kosoku): MNET_PYTHON,
/// set by scripts/test.sh. Without it the caller skips, saying so; with
/// MNET_REQUIRE_TOOLS=1 (as CI runs) its absence is a failure.
pub fn python() -> Option<String> {
    if let Ok(p) = std::env::var("MNET_PYTHON") {
        return Some(p);
    }
    assert!(
        std::env::var("MNET_REQUIRE_TOOLS").is_err(),
        "MNET_PYTHON is not set: scripts/pyenv.sh makes the Python these tests need"
    );
    eprintln!("SKIPPED: set MNET_PYTHON to a Python with h11, websockets and kosoku (scripts/pyenv.sh)");
    None
}
