//! The server's own paths under pipelining: a connection's input moved and
//! grown across reads, the pipeline limit pausing and resuming reading,
//! and answers given out of order going out in order. A client thread on a
//! loopback socket; the server's rounds on the test's thread.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use super::{Event, Server};
use crate::http::Limits;
use crate::Reactor;

/// Sends `req` (in pieces of `piece` bytes, each after a short pause when
/// `piece` is small), reads until `want` responses came, and returns their
/// bodies, while the server answers `/n/:i` with `i` (in reverse order
/// within a round when `reverse`).
fn serve(limits: Limits, req: Vec<u8>, piece: usize, want: usize, reverse: bool) -> Vec<String> {
    let mut r = Reactor::new().unwrap();
    let mut http = Server::new(limits);
    let n = http.route(Some("GET"), "/n/:i").unwrap();
    let l = http.listen(&mut r, "127.0.0.1:0").unwrap();
    let addr = r.local_addr(l).unwrap();
    let (done, bodies) = mpsc::channel();
    let client = thread::spawn(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let mut reader = s.try_clone().unwrap();
        let writer = thread::spawn(move || {
            for chunk in req.chunks(piece) {
                s.write_all(chunk).unwrap();
                if piece < 16 {
                    thread::sleep(Duration::from_micros(200));
                }
            }
        });
        let mut got = Vec::new();
        let mut b = [0u8; 65536];
        while split(&got).len() < want {
            let k = reader.read(&mut b).unwrap();
            assert!(k > 0, "the server closed after {} responses", split(&got).len());
            got.extend_from_slice(&b[..k]);
        }
        writer.join().unwrap();
        done.send(split(&got)).unwrap();
    });
    let end = Instant::now() + Duration::from_secs(20);
    let mut ids = Vec::new();
    loop {
        assert!(Instant::now() < end, "timed out");
        r.poll(10).unwrap();
        while let Some(m) = r.next() {
            http.handle(&mut r, m);
            while let Some(ev) = http.next_event() {
                if let Event::Request(id) = ev {
                    ids.push(id);
                }
            }
            if reverse {
                ids.reverse();
            }
            for id in ids.drain(..) {
                let q = http.request(id).unwrap();
                assert_eq!(q.route(), n);
                let body = q.param("i").unwrap().to_owned();
                http.respond_bytes(&mut r, id, 200, "text/plain", body.as_bytes()).unwrap();
            }
        }
        if let Ok(bodies) = bodies.try_recv() {
            client.join().unwrap();
            return bodies;
        }
    }
}

/// The bodies of the complete responses in `got`.
fn split(got: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(got);
    let mut bodies = Vec::new();
    let mut rest = &text[..];
    while let Some(head_end) = rest.find("\r\n\r\n") {
        let head = &rest[..head_end];
        assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
        let len: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("Content-Length: "))
            .expect("a length")
            .parse()
            .unwrap();
        let body_start = head_end + 4;
        if rest.len() < body_start + len {
            break;
        }
        bodies.push(rest[body_start..body_start + len].to_owned());
        rest = &rest[body_start + len..];
    }
    bodies
}

fn requests(n: usize, pad: usize) -> Vec<u8> {
    let mut req = Vec::new();
    for i in 0..n {
        let x = "x".repeat(pad + i % 7);
        req.extend_from_slice(format!("GET /n/{i} HTTP/1.1\r\nHost: a\r\nX-Pad: {x}\r\n\r\n").as_bytes());
    }
    req
}

fn numbers(n: usize) -> Vec<String> {
    (0..n).map(|i| i.to_string()).collect()
}

#[test]
fn a_pipeline_deeper_than_the_limit_pauses_reading_then_is_answered_in_order() {
    let limits = Limits {
        max_pipelined: 4,
        ..Limits::default()
    };
    assert_eq!(serve(limits, requests(50, 10), usize::MAX, 50, false), numbers(50));
}

#[test]
fn heads_cut_anywhere_across_reads_are_read_whole() {
    for piece in [1, 7, 100] {
        assert_eq!(serve(Limits::default(), requests(6, 3), piece, 6, false), numbers(6), "pieces of {piece}");
    }
}

#[test]
fn a_burst_larger_than_the_read_buffer_is_answered_in_order() {
    // ~600 KiB of heads from 0 to 2,000 bytes each: heads cross every
    // 16 KiB read, the unparsed rest moves to the front of the buffer.
    let mut req = Vec::new();
    for i in 0..600 {
        let x = "x".repeat(i * 37 % 2000);
        req.extend_from_slice(format!("GET /n/{i} HTTP/1.1\r\nHost: a\r\nX-Pad: {x}\r\n\r\n").as_bytes());
    }
    assert_eq!(serve(Limits::default(), req, usize::MAX, 600, false), numbers(600));
}

#[test]
fn answers_given_out_of_order_go_out_in_request_order() {
    assert_eq!(serve(Limits::default(), requests(40, 0), usize::MAX, 40, true), numbers(40));
}

#[test]
fn idle_keep_alive_connections_hold_no_read_buffer_and_a_partial_head_keeps_its_bytes() {
    let mut r = Reactor::new().unwrap();
    let mut http = Server::new(Limits::default());
    http.route(Some("GET"), "/n/:i").unwrap();
    let l = http.listen(&mut r, "127.0.0.1:0").unwrap();
    let addr = r.local_addr(l).unwrap();
    let (step_tx, step_rx) = mpsc::channel::<()>();
    let (done_tx, done_rx) = mpsc::channel::<&'static str>();
    let client = thread::spawn(move || {
        let read_one = |s: &mut TcpStream| {
            let mut got = Vec::new();
            let mut b = [0u8; 4096];
            while split(&got).is_empty() {
                let k = s.read(&mut b).unwrap();
                assert!(k > 0, "closed");
                got.extend_from_slice(&b[..k]);
            }
            split(&got)
        };
        let mut idle: Vec<TcpStream> = (0..20).map(|_| TcpStream::connect(addr).unwrap()).collect();
        for (i, s) in idle.iter_mut().enumerate() {
            s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
            s.write_all(format!("GET /n/{i} HTTP/1.1\r\nHost: a\r\n\r\n").as_bytes()).unwrap();
            assert_eq!(read_one(s), vec![i.to_string()]);
        }
        let mut half = TcpStream::connect(addr).unwrap();
        half.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        half.write_all(b"GET /n/77 HTTP/1.1\r\nHo").unwrap();
        // The server says when it holds the half head, then it is finished.
        done_tx.send("half sent").unwrap();
        step_rx.recv().unwrap();
        half.write_all(b"st: a\r\n\r\n").unwrap();
        assert_eq!(read_one(&mut half), vec!["77".to_owned()]);
        done_tx.send("done").unwrap();
        step_rx.recv().unwrap();
        drop(idle);
    });
    let end = Instant::now() + Duration::from_secs(20);
    let mut stage = 0;
    loop {
        assert!(Instant::now() < end, "timed out at stage {stage}");
        r.poll(10).unwrap();
        while let Some(m) = r.next() {
            http.handle(&mut r, m);
            while let Some(ev) = http.next_event() {
                if let Event::Request(id) = ev {
                    let body = http.request(id).unwrap().param("i").unwrap().to_owned();
                    http.respond_bytes(&mut r, id, 200, "text/plain", body.as_bytes()).unwrap();
                }
            }
        }
        let holding: Vec<usize> = http.conns.iter().map(|(_, c)| c.input.len()).collect();
        let buffers = http.conns.iter().filter(|(_, c)| c.input.holds_buffer()).count();
        match (stage, done_rx.try_recv()) {
            (0, Ok("half sent")) => stage = 1,
            (1, _) if holding.contains(&22) => {
                // 20 answered connections and one with 22 bytes of a head:
                // only that one holds a read buffer.
                assert_eq!(http.connections(), 21);
                assert_eq!(buffers, 1, "idle connections gave their read buffers back");
                step_tx.send(()).unwrap();
                stage = 2;
            }
            (2, Ok("done")) => {
                assert_eq!(buffers, 0, "every connection is idle: no read buffer held");
                step_tx.send(()).unwrap();
                client.join().unwrap();
                return;
            }
            _ => {}
        }
    }
}

/// Runs a server with route `/up` streamed (and `max_body`), while `client`
/// runs on a thread against it, until the client is done; `on` sees every
/// event (and `None` once per round) with the server.
fn streamed(max_body: u64, client: impl FnOnce(std::net::SocketAddr) + Send + 'static, mut on: impl FnMut(&mut Reactor, &mut Server, Option<Event>)) {
    let mut r = Reactor::new().unwrap();
    let mut http = Server::new(Limits { max_body, ..Limits::default() });
    let up = http.route(Some("POST"), "/up").unwrap();
    http.stream_body(up).unwrap();
    let l = http.listen(&mut r, "127.0.0.1:0").unwrap();
    let addr = r.local_addr(l).unwrap();
    let client = thread::spawn(move || client(addr));
    let end = Instant::now() + Duration::from_secs(30);
    while !client.is_finished() {
        assert!(Instant::now() < end, "timed out");
        r.poll(10).unwrap();
        while let Some(m) = r.next() {
            http.handle(&mut r, m);
            while let Some(ev) = http.next_event() {
                on(&mut r, &mut http, Some(ev));
            }
        }
        on(&mut r, &mut http, None);
    }
    client.join().unwrap();
}

fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 % 251) as u8).collect()
}

/// Sends `head` then `body` and returns the whole response (read to the end).
fn upload(addr: std::net::SocketAddr, head: String, body: Vec<u8>) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut w = s.try_clone().unwrap();
    let writer = thread::spawn(move || {
        w.write_all(head.as_bytes()).unwrap();
        // Fails once the server answered early and closed: expected there.
        let _ = w.write_all(&body);
    });
    let mut got = Vec::new();
    let _ = s.read_to_end(&mut got);
    writer.join().unwrap();
    String::from_utf8_lossy(&got).into_owned()
}

#[test]
fn a_streamed_body_comes_in_parts_bounded_while_not_taken_and_whole_at_the_end() {
    const N: usize = 1 << 20;
    let body = pattern(N);
    let mut chunked = Vec::new();
    for part in body.chunks(10_000) {
        chunked.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
        chunked.extend_from_slice(part);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    for framing in ["length", "chunked"] {
        let (head, wire) = if framing == "length" {
            (format!("POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: {N}\r\nConnection: close\r\n\r\n"), body.clone())
        } else {
            ("POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n".to_owned(), chunked.clone())
        };
        let (got_tx, got_rx) = mpsc::channel();
        let (mut seen, mut parts, mut held_max, mut rounds_held) = (Vec::new(), 0, 0usize, 0);
        let mut pending = None;
        streamed(
            u64::MAX,
            move |addr| got_tx.send(upload(addr, head, wire)).unwrap(),
            |r, http, ev| match ev {
                Some(Event::Request(id)) => assert!(http.request(id).unwrap().body().is_empty(), "a streamed body only comes from take_body"),
                Some(Event::Body(id)) => pending = Some(id),
                Some(Event::BodyEnd(id)) => {
                    pending = None;
                    seen.extend(http.take_body(r, id).unwrap());
                    http.respond_bytes(r, id, 200, "text/plain", seen.len().to_string().as_bytes()).unwrap();
                }
                Some(ev) => panic!("{ev:?}"),
                None => {
                    let Some(id) = pending else { return };
                    // The first part waits untaken for 50 rounds: reading
                    // pauses rather than buffering the whole upload.
                    rounds_held += 1;
                    if parts > 0 || rounds_held > 50 {
                        let part = http.take_body(r, id).unwrap();
                        held_max = held_max.max(part.len());
                        parts += 1;
                        seen.extend(part);
                        pending = None;
                    }
                }
            },
        );
        let resp = got_rx.recv().unwrap();
        assert!(resp.starts_with("HTTP/1.1 200 OK\r\n") && resp.ends_with(&format!("\r\n\r\n{N}")), "{framing}: {resp}");
        assert!(seen == body, "{framing}: the body arrived whole and in order");
        assert!(parts > 1, "{framing}: the body came in parts ({parts})");
        assert!(held_max <= 160 * 1024, "{framing}: about 64 KiB (plus a read) waited untaken, not {held_max}");
    }
}

#[test]
fn a_streamed_body_answered_early_closes_and_one_past_the_limit_is_refused() {
    // Answered at its head: the answer says Connection: close and the rest
    // of the upload is never read.
    let (tx, rx) = mpsc::channel();
    let head = "POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 4000000\r\n\r\n".to_owned();
    streamed(
        u64::MAX,
        move |addr| tx.send(upload(addr, head, pattern(4_000_000))).unwrap(),
        |r, http, ev| {
            if let Some(Event::Request(id)) = ev {
                http.respond_bytes(r, id, 403, "text/plain", b"no").unwrap();
            }
        },
    );
    let resp = rx.recv().unwrap();
    assert!(resp.starts_with("HTTP/1.1 403 Forbidden\r\n") && resp.contains("Connection: close\r\n"), "{resp}");
    // Past max_body: 413 to the client, Aborted to the program.
    let (tx, rx) = mpsc::channel();
    let head = "POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n".to_owned();
    let wire = b"3e8\r\n".iter().copied().chain(pattern(1000)).chain(b"\r\n3e8\r\n".iter().copied()).chain(pattern(1000)).chain(b"\r\n0\r\n\r\n".iter().copied()).collect();
    let mut aborted = false;
    streamed(
        1500,
        move |addr| tx.send(upload(addr, head, wire)).unwrap(),
        |r, http, ev| match ev {
            Some(Event::Body(id)) => drop(http.take_body(r, id).unwrap()),
            Some(Event::Aborted(_)) => aborted = true,
            Some(Event::BodyEnd(_)) => panic!("a body past the limit ended"),
            _ => {}
        },
    );
    let resp = rx.recv().unwrap();
    assert!(resp.starts_with("HTTP/1.1 413 "), "{resp}");
    assert!(aborted, "the program heard the request was aborted");
}

#[test]
fn a_request_without_a_body_on_a_streamed_route_still_ends_with_body_end() {
    let (tx, rx) = mpsc::channel();
    let head = "POST /up HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n".to_owned();
    let mut events = Vec::new();
    streamed(
        u64::MAX,
        move |addr| tx.send(upload(addr, head, Vec::new())).unwrap(),
        |r, http, ev| match ev {
            Some(Event::Request(_)) => events.push("request"),
            Some(Event::BodyEnd(id)) => {
                events.push("end");
                assert!(http.take_body(r, id).unwrap().is_empty());
                http.respond_bytes(r, id, 200, "text/plain", b"none").unwrap();
            }
            Some(ev) => panic!("{ev:?}"),
            None => {}
        },
    );
    assert_eq!(events, ["request", "end"]);
    assert!(rx.recv().unwrap().ends_with("\r\n\r\nnone"));
}
