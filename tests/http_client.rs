//! The HTTP client against mnet's own server, against Python's http.server
//! (an independent implementation) and against raw sockets that misbehave:
//! keep-alive reuse, framings, HTTPS verified with the test CA, names
//! resolved on the loop, limits and timeouts, and every failure an event
//! with a sentence.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use common::certs;
use common::dns::{Mode, Responder};
use common::web::Web;
use mnet::http::{Client, ClientEvent, ClientOptions, ClientResponse, FetchId, Limits};
use mnet::{Reactor, ResolverConfig};

/// Runs `web`'s rounds with `client` on its reactor until `client` has no
/// request left; returns the events in the order they came.
fn drive(web: &mut Web, client: &mut Client) -> Vec<ClientEvent> {
    let mut events = Vec::new();
    let end = Instant::now() + Duration::from_secs(30);
    while client.pending() > 0 {
        assert!(Instant::now() < end, "the client's requests did not finish");
        web.round_with(10, |r, m| client.handle(r, m));
        events.extend(std::iter::from_fn(|| client.next_event()));
    }
    events
}

/// The same on a reactor of the client's own.
fn drive_alone(r: &mut Reactor, client: &mut Client) -> Vec<ClientEvent> {
    let mut events = Vec::new();
    let end = Instant::now() + Duration::from_secs(30);
    while client.pending() > 0 {
        assert!(Instant::now() < end, "the client's requests did not finish");
        r.poll(10).unwrap();
        while let Some(m) = r.next() {
            assert!(client.handle(r, m).is_none(), "every message is the client's: {m:?}");
        }
        events.extend(std::iter::from_fn(|| client.next_event()));
    }
    events
}

fn url(a: SocketAddr, path: &str) -> String {
    format!("http://{a}{path}")
}

fn response(ev: &ClientEvent) -> &ClientResponse {
    match ev {
        ClientEvent::Response(_, resp) => resp,
        ClientEvent::Failed(_, why) => panic!("the request failed: {why}"),
    }
}

fn failure(ev: &ClientEvent) -> &str {
    match ev {
        ClientEvent::Failed(_, why) => why,
        ClientEvent::Response(_, resp) => panic!("expected a failure, got {} {:?}", resp.status, resp.body),
    }
}

fn id_of(ev: &ClientEvent) -> FetchId {
    match ev {
        ClientEvent::Response(id, _) | ClientEvent::Failed(id, _) => *id,
    }
}

#[test]
fn sequential_requests_reuse_one_connection() {
    let mut web = Web::new(Limits::default());
    let mut client = Client::default();
    for _ in 0..3 {
        client.get(&mut web.r, &url(web.addr, "/json")).unwrap();
        let events = drive(&mut web, &mut client);
        let resp = response(&events[0]);
        assert_eq!((resp.status, resp.minor_version), (200, 1));
        assert_eq!(resp.body, br#"{"message":"Hello, World!"}"#);
        assert_eq!(resp.header("content-type"), Some("application/json"));
        assert!(resp.header("Date").is_some());
        assert_eq!(client.connections(), 1, "the connection went back to the pool");
    }
    assert_eq!((web.requests, web.http.connections()), (3, 1), "three requests on one connection");
}

#[test]
fn bodies_both_ways_streamed_responses_head_and_404() {
    let mut web = Web::new(Limits::default());
    let mut client = Client::default();
    let big: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let post = client
        .fetch(&mut web.r, "POST", &url(web.addr, "/echo"), &[("Content-Type", "application/x-test")], &big)
        .unwrap();
    let stream = client.get(&mut web.r, &url(web.addr, "/stream")).unwrap();
    let head = client.fetch(&mut web.r, "HEAD", &url(web.addr, "/json"), &[], b"").unwrap();
    let missing = client.get(&mut web.r, &url(web.addr, "/missing")).unwrap();
    let events = drive(&mut web, &mut client);
    assert_eq!(events.len(), 4);
    for ev in &events {
        let resp = response(ev);
        let id = id_of(ev);
        if id == post {
            assert_eq!(resp.status, 200);
            assert_eq!(resp.header("content-type"), Some("application/x-test"));
            assert!(resp.body == big, "300 kB echoed byte for byte");
        } else if id == stream {
            assert_eq!(resp.header("transfer-encoding"), Some("chunked"));
            assert_eq!(resp.body, b"one,two,three");
        } else if id == head {
            assert_eq!((resp.status, resp.body.len()), (200, 0));
            assert_eq!(resp.header("content-length"), Some("27"), "HEAD shows the length a GET would have");
        } else {
            assert_eq!(id, missing);
            assert_eq!(resp.status, 404);
        }
    }
}

#[test]
fn many_requests_at_once_stay_within_the_connections_per_origin() {
    let mut web = Web::new(Limits::default());
    let mut client = Client::new(ClientOptions {
        max_per_origin: 3,
        ..ClientOptions::default()
    });
    let ids: Vec<FetchId> = (0..60)
        .map(|i| client.get(&mut web.r, &url(web.addr, &format!("/query?a={i}&b=x"))).unwrap())
        .collect();
    let (mut events, mut most) = (Vec::new(), 0);
    let end = Instant::now() + Duration::from_secs(30);
    while client.pending() > 0 {
        assert!(Instant::now() < end, "the requests did not finish");
        web.round_with(10, |r, m| client.handle(r, m));
        most = most.max(client.connections()).max(web.http.connections());
        events.extend(std::iter::from_fn(|| client.next_event()));
    }
    assert_eq!(events.len(), 60);
    for ev in &events {
        let i = ids.iter().position(|&id| id == id_of(ev)).unwrap();
        assert_eq!(response(ev).body, format!("{i}|x").as_bytes(), "each answer is its own request's");
    }
    assert!(most <= 3, "at most 3 connections at once, saw {most}");
    assert_eq!(web.requests, 60);
}

#[test]
fn https_is_verified_with_the_given_ca() {
    let pki = certs::pki(&["localhost", "127.0.0.1"]);
    let mut web = Web::with_tls(Limits::default(), Some(certs::server_config(&pki)));
    let port = web.addr.port();
    let mut client = Client::default();
    client.set_tls_config(certs::client_config(&pki)).unwrap();
    client.get(&mut web.r, &format!("https://localhost:{port}/plaintext")).unwrap();
    client.get(&mut web.r, &format!("https://127.0.0.1:{port}/json")).unwrap();
    for ev in drive(&mut web, &mut client) {
        assert_eq!(response(&ev).status, 200);
    }
    // The system's roots do not know the test CA.
    let mut untrusting = Client::default();
    untrusting.get(&mut web.r, &format!("https://localhost:{port}/plaintext")).unwrap();
    let events = drive(&mut web, &mut untrusting);
    let why = failure(&events[0]);
    assert!(why.contains("TLS") && why.contains("localhost"), "{why}");
    assert!(client.set_tls_config(certs::server_config(&pki)).is_err(), "a server configuration is refused");
}

#[test]
fn names_are_resolved_on_the_loop() {
    let dns = Responder::start(Mode::Answer, &[("web.test", "127.0.0.1")]);
    let mut web = Web::new(Limits::default());
    web.r.set_resolver(ResolverConfig::with_nameservers(&[dns.addr])).unwrap();
    let port = web.addr.port();
    let mut client = Client::default();
    let found = client.get(&mut web.r, &format!("http://web.test:{port}/plaintext")).unwrap();
    client.get(&mut web.r, &format!("http://missing.test:{port}/plaintext")).unwrap();
    for ev in drive(&mut web, &mut client) {
        if id_of(&ev) == found {
            let resp = response(&ev);
            assert_eq!(resp.body, b"Hello, World!");
        } else {
            let why = failure(&ev);
            assert!(why.contains("missing.test"), "{why}");
        }
    }
}

/// Python's http.server, started for one test and stopped by its PID when
/// dropped (its stdin closes, then it is killed if still there).
struct Origin {
    child: Child,
    port: u16,
}

impl Origin {
    fn start() -> Origin {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/py/http_origin.py");
        let mut child = Command::new("python3")
            .arg(script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs tests/py/http_origin.py");
        let mut out = child.stdout.take().unwrap();
        let mut line = Vec::new();
        let mut byte = [0u8; 1];
        while out.read(&mut byte).unwrap() == 1 && byte[0] != b'\n' {
            line.push(byte[0]);
        }
        let line = String::from_utf8(line).unwrap();
        let port = line.strip_prefix("port ").and_then(|p| p.parse().ok()).unwrap_or_else(|| panic!("origin said {line:?}"));
        Origin { child, port }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

impl Drop for Origin {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let end = Instant::now() + Duration::from_secs(5);
        while Instant::now() < end {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn python_http_server_every_framing() {
    let origin = Origin::start();
    let mut r = Reactor::new().unwrap();
    let mut client = Client::default();
    let one = |client: &mut Client, r: &mut Reactor, method: &str, path: &str, body: &[u8]| {
        client.fetch(r, method, &origin.url(path), &[], body).unwrap();
        let events = drive_alone(r, client);
        assert_eq!(events.len(), 1);
        response(&events[0]).clone()
    };
    let a = one(&mut client, &mut r, "GET", "/hello", b"");
    let b = one(&mut client, &mut r, "GET", "/hello", b"");
    assert_eq!((a.status, a.body.as_slice()), (200, &b"hello from python\n"[..]));
    assert_eq!(a.header("x-peer-port"), b.header("x-peer-port"), "the second request reused the connection");
    let head = one(&mut client, &mut r, "HEAD", "/hello", b"");
    assert_eq!((head.status, head.body.len()), (200, 0));
    assert_eq!(head.header("x-peer-port"), a.header("x-peer-port"), "a HEAD response leaves the connection usable");
    let chunked = one(&mut client, &mut r, "GET", "/chunked", b"");
    assert_eq!(chunked.body, b"alpha,beta,gamma", "extensions and trailer dropped");
    let close = one(&mut client, &mut r, "GET", "/close", b"");
    assert_eq!(close.body, "until the close".repeat(1000).as_bytes(), "a body ended by the close");
    let old = one(&mut client, &mut r, "GET", "/nolength", b"");
    assert_eq!((old.minor_version, old.body.as_slice()), (0, &b"one-shot"[..]));
    let payload = vec![b'p'; 70_000];
    let echo = one(&mut client, &mut r, "POST", "/echo", &payload);
    assert_eq!(echo.body, payload);
    let missing = one(&mut client, &mut r, "GET", "/nothing", b"");
    assert_eq!(missing.status, 404);
}

/// A one-connection-at-a-time raw server running `script` for each
/// accepted connection, `n` of them, on a thread.
fn raw_server(n: usize, script: impl Fn(usize, TcpStream) + Send + 'static) -> (SocketAddr, thread::JoinHandle<()>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let t = thread::spawn(move || {
        for i in 0..n {
            let (s, _) = l.accept().unwrap();
            s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
            script(i, s);
        }
    });
    (addr, t)
}

/// Reads one request head (and no body) from `s`.
fn read_head(s: &mut TcpStream) -> Vec<u8> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match s.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => break,
        }
    }
    head
}

fn one_failure(r: &mut Reactor, client: &mut Client, url: &str) -> String {
    client.get(r, url).unwrap();
    let events = drive_alone(r, client);
    failure(&events[0]).to_owned()
}

#[test]
fn failures_are_events_with_a_sentence() {
    let mut r = Reactor::new().unwrap();
    let mut client = Client::new(ClientOptions {
        response_timeout_ms: 300,
        max_body: 1000,
        ..ClientOptions::default()
    });
    // Refused: a port nothing listens on any more.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let why = one_failure(&mut r, &mut client, &format!("http://{closed}/"));
    assert!(why.contains("refused") && why.contains(&closed.to_string()), "{why}");

    let (addr, t) = raw_server(5, |i, mut s| {
        read_head(&mut s);
        match i {
            0 => {
                // Silent: the client gives up; wait for its close.
                let _ = s.read(&mut [0u8; 16]);
            }
            1 => s.write_all(b"SMTP ready\r\n\r\n").unwrap(),
            2 => s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n").unwrap(),
            3 => {
                // Half a body, then the close.
                s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf").unwrap();
                return;
            }
            _ => s
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n")
                .unwrap(),
        }
        let _ = s.read(&mut [0u8; 16]); // until the client closes
    });
    let base = format!("http://{addr}/");
    let why = one_failure(&mut r, &mut client, &base);
    assert!(why.contains("no complete response") && why.contains("300 ms"), "{why}");
    let why = one_failure(&mut r, &mut client, &base);
    assert!(why.contains("malformed"), "{why}");
    let why = one_failure(&mut r, &mut client, &base);
    assert!(why.contains("larger than the limit of 1000 bytes"), "{why}");
    let why = one_failure(&mut r, &mut client, &base);
    assert!(why.contains("closed the connection before the response was complete"), "{why}");
    let why = one_failure(&mut r, &mut client, &base);
    assert!(why.contains("both Content-Length and Transfer-Encoding"), "{why}");
    t.join().unwrap();
    assert_eq!(client.connections(), 0, "failed connections are closed");
}

#[test]
fn a_reused_connection_closed_by_the_server_is_retried_once_for_get_only() {
    // Connection 0 answers one request, then closes on the next without a
    // byte (an idle timeout racing the request); connection 1 answers.
    let script = |i: usize, mut s: TcpStream| {
        if i == 0 {
            read_head(&mut s);
            s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst").unwrap();
            read_head(&mut s);
        } else {
            read_head(&mut s);
            s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond").unwrap();
            let _ = s.read(&mut [0u8; 16]);
        }
    };
    let (addr, t) = raw_server(2, script);
    let mut r = Reactor::new().unwrap();
    let mut client = Client::default();
    let url = format!("http://{addr}/");
    client.get(&mut r, &url).unwrap();
    assert_eq!(response(&drive_alone(&mut r, &mut client)[0]).body, b"first");
    client.get(&mut r, &url).unwrap();
    assert_eq!(response(&drive_alone(&mut r, &mut client)[0]).body, b"second", "sent again on a new connection");
    client.close(&mut r);
    t.join().unwrap();

    // A POST is not sent twice: it fails.
    let (addr, t) = raw_server(1, script);
    let url = format!("http://{addr}/");
    client.get(&mut r, &url).unwrap();
    drive_alone(&mut r, &mut client);
    client.fetch(&mut r, "POST", &url, &[], b"once").unwrap();
    let why = failure(&drive_alone(&mut r, &mut client)[0]).to_owned();
    // The server closed without reading the body: a close or a reset.
    assert!(why.contains(&addr.to_string()) && (why.contains("closed") || why.contains("reset")), "{why}");
    t.join().unwrap();
}

#[test]
fn cancelled_requests_are_forgotten() {
    let mut web = Web::new(Limits::default());
    let mut client = Client::default();
    let gone = client.get(&mut web.r, &url(web.addr, "/later")).unwrap();
    let kept = client.get(&mut web.r, &url(web.addr, "/json")).unwrap();
    client.cancel(&mut web.r, gone);
    client.cancel(&mut web.r, gone); // stale: ignored
    let events = drive(&mut web, &mut client);
    assert_eq!(events.len(), 1);
    assert_eq!(id_of(&events[0]), kept);
}

#[test]
fn bad_arguments_are_refused_at_once() {
    let mut r = Reactor::new().unwrap();
    let mut client = Client::default();
    for url in ["ftp://x/", "http://", "http://x:99999/", "http://[::1/", "http://a b/", "mailto:x"] {
        assert!(client.get(&mut r, url).is_err(), "{url}");
    }
    let url = "http://127.0.0.1:9/";
    assert!(client.fetch(&mut r, "GE T", url, &[], b"").is_err());
    assert!(client.fetch(&mut r, "", url, &[], b"").is_err());
    assert!(client.fetch(&mut r, "GET", url, &[("X", "a\r\nInjected: 1")], b"").is_err());
    assert!(client.fetch(&mut r, "GET", url, &[("Bad Name", "v")], b"").is_err());
    assert!(client.fetch(&mut r, "POST", url, &[("Content-Length", "3")], b"abc").is_err());
    assert!(client.set_user_agent("x\r\ny").is_err());
    assert_eq!(client.pending(), 0, "nothing was started");
    let msg = client.get(&mut r, "ftp://x/").unwrap_err().to_string();
    assert!(msg.contains("http://"), "{msg}");
}
