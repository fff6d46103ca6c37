//! WebSocket echo load for bench/run.sh's ws section: N client connections
//! on one thread (mio), each keeping K text messages in flight for SECONDS
//! and checking every echo byte for byte. It shares no code with mnet's
//! WebSocket layer (its own handshake, framing and masking; flate2 for
//! permessage-deflate), so a bug on one side cannot hide in the other.
//!
//!     ws_load IP:PORT [--conns N] [--size BYTES] [--secs SECONDS] [--deflate] [--inflight K]
//!
//! Defaults: 100 connections, 64-byte messages, 10 s, no deflate, 1 in
//! flight. Each connection does an RFC 6455 client handshake (checks the
//! 101 and Sec-WebSocket-Accept); with --deflate it offers
//! `permessage-deflate; client_max_window_bits` (a browser's offer: context
//! takeover both ways) and fails unless the server agreed to exactly that
//! with 15-bit windows. Messages are masked text frames of exactly BYTES
//! bytes of JSON-like records (a few non-ASCII names among them), so every
//! server validates UTF-8 and deflate has real text to compress: the bodies
//! come from a pool of 64 (1 MiB at 16 KiB, so no body repeats within a
//! 32 KiB window), and every number in a message's first 512 bytes (all of
//! a 64-byte message) is drawn afresh for each message, as in a feed of
//! small updates. Each message carries its connection's sequence number,
//! and the echo must equal the message sent, so a lost, repeated or
//! reordered echo is caught. With deflate each connection keeps its own
//! compressor (level 1, 15-bit window) and decompressor across messages,
//! and every echo must come back compressed. At the end every connection
//! closes with 1000 and waits for the server's close frame.
//!
//! Any mismatch, unexpected frame, close or error ends the run with a
//! sentence and exit status 1. Otherwise one line:
//!
//!     client messages M timed T seconds S per_s R conns N size B deflate 0|1 inflight K wire_in_b_msg X wire_out_b_msg Y cpu_s C
//!
//! M: echoes checked in all (the server's CPU is divided by this); T of
//! them within the timed S seconds, R = T / S; X, Y: bytes on the wire per
//! message after the handshake, server to client and back.
use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress};
use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};
use mnet_bench::{cpu_seconds, flag, opt, secs};

const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
/// The tail a sender strips from every compressed message (RFC 7692 §7.2.1).
const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];
/// Where the sequence number sits in every message: `{"seq":` then 12 digits.
const SEQ_AT: usize = 7;
const SEQ_LEN: usize = 12;
/// Distinct message bodies the connections cycle through.
const POOL: usize = 64;
/// Numbers in a message's first this many bytes are drawn for each message.
const FRESH: usize = 512;
const OPEN_LIMIT: Duration = Duration::from_secs(10);
const CLOSE_LIMIT: Duration = Duration::from_secs(5);

fn fail(why: String) -> ! {
    eprintln!("ws_load: {why}");
    std::process::exit(1);
}

/// xorshift64*: masks and message contents (a benchmark's masks need not
/// be unpredictable; they only have to vary).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// One message body of exactly `size` bytes of valid UTF-8: records like a
/// trading or chat feed would send, cut at a character boundary and padded
/// with spaces. Bytes SEQ_AT..SEQ_AT+SEQ_LEN are a placeholder for the
/// sequence number.
fn body(rng: &mut Rng, size: usize) -> Vec<u8> {
    const CITIES: [&str; 12] =
        ["Zürich", "São Paulo", "Kraków", "Reykjavík", "Москва", "東京", "München", "Αθήνα", "New York", "London", "Lagos", "Lima"];
    const SIDES: [&str; 2] = ["buy", "sell"];
    let mut s = format!("{{\"seq\":{:0w$},\"ts\":{},\"items\":[", 0, 1_733_241_600_000 + rng.below(1 << 30), w = SEQ_LEN);
    while s.len() < size {
        s.push_str(&format!(
            "{{\"id\":{},\"user\":\"u{}\",\"city\":\"{}\",\"price\":{}.{:02},\"qty\":{},\"side\":\"{}\"}},",
            rng.below(1_000_000),
            rng.below(100_000),
            CITIES[rng.below(CITIES.len() as u64) as usize],
            rng.below(1000),
            rng.below(100),
            1 + rng.below(500),
            SIDES[rng.below(2) as usize]
        ));
    }
    let mut cut = size;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    let mut b = s.as_bytes()[..cut].to_vec();
    b.resize(size, b' ');
    b
}

/// The runs of ASCII digits in `b[SEQ_AT + SEQ_LEN..FRESH]`: (start, end).
fn digit_runs(b: &[u8]) -> Vec<(usize, usize)> {
    let mut runs = Vec::new();
    let mut i = SEQ_AT + SEQ_LEN;
    let end = b.len().min(FRESH);
    while i < end {
        if b[i].is_ascii_digit() {
            let start = i;
            while i < end && b[i].is_ascii_digit() {
                i += 1;
            }
            runs.push((start, i));
        } else {
            i += 1;
        }
    }
    runs
}

fn seq_digits(seq: u64) -> [u8; SEQ_LEN] {
    let mut d = [b'0'; SEQ_LEN];
    let mut v = seq;
    for x in d.iter_mut().rev() {
        *x = b'0' + (v % 10) as u8;
        v /= 10;
    }
    d
}

fn apply_mask(data: &mut [u8], mask: [u8; 4]) {
    let wide = u64::from_ne_bytes([mask[0], mask[1], mask[2], mask[3], mask[0], mask[1], mask[2], mask[3]]);
    let mut chunks = data.chunks_exact_mut(8);
    for c in &mut chunks {
        let v = u64::from_ne_bytes(c.try_into().unwrap()) ^ wide;
        c.copy_from_slice(&v.to_ne_bytes());
    }
    for (i, b) in chunks.into_remainder().iter_mut().enumerate() {
        *b ^= mask[i & 3];
    }
}

/// Appends a masked frame to `out`.
fn frame(out: &mut Vec<u8>, first: u8, payload: &[u8], rng: &mut Rng) {
    let m = (rng.next() as u32).to_ne_bytes();
    out.push(first);
    let len = payload.len();
    if len < 126 {
        out.push(0x80 | len as u8);
    } else if len <= 0xffff {
        out.push(0x80 | 126);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(0x80 | 127);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
    out.extend_from_slice(&m);
    let start = out.len();
    out.extend_from_slice(payload);
    apply_mask(&mut out[start..], m);
}

fn compress(c: &mut Compress, mut input: &[u8], out: &mut Vec<u8>) {
    out.clear();
    loop {
        out.reserve(input.len() / 2 + 64);
        let before = c.total_in();
        c.compress_vec(input, out, FlushCompress::Sync).unwrap_or_else(|e| fail(format!("deflate failed: {e}")));
        input = &input[(c.total_in() - before) as usize..];
        if input.is_empty() && out.len() < out.capacity() {
            break;
        }
    }
    if !out.ends_with(&TAIL) {
        fail("deflate's sync flush did not end in 00 00 ff ff".into());
    }
    out.truncate(out.len() - TAIL.len());
}

fn inflate(d: &mut Decompress, input: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
    out.clear();
    for mut part in [input, &TAIL[..]] {
        loop {
            if out.capacity() - out.len() < 4096 {
                out.reserve(out.len().max(16 * 1024));
            }
            let before = d.total_in();
            d.decompress_vec(part, out, FlushDecompress::Sync).map_err(|e| format!("an echo is not valid deflate data: {e}"))?;
            part = &part[(d.total_in() - before) as usize..];
            if part.is_empty() && out.len() < out.capacity() {
                break;
            }
        }
    }
    Ok(())
}

#[derive(PartialEq, Eq, Clone, Copy)]
enum Phase {
    /// Request sent (or queued), waiting for the 101.
    Opening,
    Open,
    /// Our close frame went out; waiting for the server's.
    Closing,
    Done,
}

struct Conn {
    sock: TcpStream,
    phase: Phase,
    accept: String,
    out: Vec<u8>,
    out_at: usize,
    inp: Vec<u8>,
    /// Messages sent and not echoed yet, oldest first: sequence number and
    /// the text.
    inflight: VecDeque<(u64, Vec<u8>)>,
    next_seq: u64,
    /// A fragmented message being reassembled: (compressed, bytes so far).
    partial: Option<(bool, Vec<u8>)>,
    z: Option<(Compress, Decompress)>,
}

/// What every connection shares: the settings, the bodies, scratch
/// buffers and the counts.
struct Run {
    size: usize,
    deflate: bool,
    inflight: usize,
    /// Message bodies and where their fresh numbers go.
    pool: Vec<(Vec<u8>, Vec<(usize, usize)>)>,
    rng: Rng,
    /// Buffers of echoed messages, for the next ones.
    spare: Vec<Vec<u8>>,
    zbuf: Vec<u8>,
    stopping: bool,
    timed: bool,
    echoed: u64,
    echoed_timed: u64,
    wire_in: u64,
    wire_out: u64,
    ext_answer: String,
}

impl Run {
    /// Queues the connection's next message.
    fn send_next(&mut self, i: usize, c: &mut Conn) {
        let seq = c.next_seq;
        c.next_seq += 1;
        let mut plain = self.spare.pop().unwrap_or_default();
        plain.clear();
        let (body, runs) = &self.pool[(seq as usize).wrapping_mul(7).wrapping_add(i * 13) % POOL];
        plain.extend_from_slice(body);
        plain[SEQ_AT..SEQ_AT + SEQ_LEN].copy_from_slice(&seq_digits(seq));
        for &(a, b) in runs {
            let mut r = self.rng.next();
            for d in &mut plain[a..b] {
                *d = b'0' + (r % 10) as u8;
                r /= 10;
            }
        }
        let before = c.out.len();
        match c.z.as_mut() {
            Some((comp, _)) => {
                compress(comp, &plain, &mut self.zbuf);
                frame(&mut c.out, 0x80 | 0x40 | 0x1, &self.zbuf, &mut self.rng);
            }
            None => frame(&mut c.out, 0x80 | 0x1, &plain, &mut self.rng),
        }
        self.wire_out += (c.out.len() - before) as u64;
        c.inflight.push_back((seq, plain));
    }

    /// Checks one whole echoed message.
    fn echoed(&mut self, i: usize, c: &mut Conn, compressed: bool, payload: &[u8]) -> Result<(), String> {
        let Some((seq, sent)) = c.inflight.pop_front() else {
            return Err("an echo arrived for a message never sent".into());
        };
        if compressed != self.deflate {
            return Err(if self.deflate {
                format!("the echo of message {seq} came back uncompressed: every message must be compressed")
            } else {
                "an echo has RSV1 set although no extension was agreed".into()
            });
        }
        let mut zbuf = std::mem::take(&mut self.zbuf);
        let plain = match c.z.as_mut() {
            Some((_, d)) => {
                inflate(d, payload, &mut zbuf)?;
                &zbuf[..]
            }
            None => payload,
        };
        if plain != sent {
            let expect = &sent;
            let at = plain.iter().zip(expect).position(|(a, b)| a != b).unwrap_or(plain.len().min(expect.len()));
            let shown = |b: &[u8]| String::from_utf8_lossy(&b[at.saturating_sub(20)..(at + 20).min(b.len())]).into_owned();
            return Err(format!(
                "the echo of message {seq} differs from what was sent at byte {at} ({} bytes back, {} sent): got {:?}, sent {:?}",
                plain.len(),
                expect.len(),
                shown(plain),
                shown(expect)
            ));
        }
        self.zbuf = zbuf;
        self.spare.push(sent);
        self.echoed += 1;
        if self.timed {
            self.echoed_timed += 1;
        }
        if !self.stopping {
            self.send_next(i, c);
        } else if c.inflight.is_empty() && c.phase == Phase::Open {
            close(c, &mut self.rng);
        }
        Ok(())
    }
}

fn close(c: &mut Conn, rng: &mut Rng) {
    frame(&mut c.out, 0x80 | 0x8, &1000u16.to_be_bytes(), rng);
    c.phase = Phase::Closing;
}

/// Writes what is queued until done or the socket is full.
fn flush(c: &mut Conn) -> Result<(), String> {
    while c.out_at < c.out.len() {
        match c.sock.write(&c.out[c.out_at..]) {
            Ok(0) => return Err("the socket accepted no bytes".into()),
            Ok(n) => c.out_at += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock || e.kind() == io::ErrorKind::NotConnected => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("write failed: {e}")),
        }
    }
    c.out.clear();
    c.out_at = 0;
    Ok(())
}

/// Reads the 101 answer once its head is in; `Ok(false)` while it is not.
fn read_answer(run: &mut Run, c: &mut Conn) -> Result<bool, String> {
    let Some(end) = c.inp.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Ok(false);
    };
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut resp = httparse::Response::new(&mut headers);
    resp.parse(&c.inp[..end + 4]).map_err(|e| format!("the server's answer is not HTTP: {e}"))?;
    if resp.code != Some(101) {
        return Err(format!("the server answered {} {} instead of 101", resp.code.unwrap_or(0), resp.reason.unwrap_or("")));
    }
    let value = |name: &str| -> Vec<String> {
        resp.headers
            .iter()
            .filter(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| String::from_utf8_lossy(h.value).trim().to_owned())
            .collect()
    };
    if !value("upgrade").iter().any(|v| v.eq_ignore_ascii_case("websocket")) {
        return Err("the 101 answer has no `Upgrade: websocket`".into());
    }
    if !value("connection").iter().any(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case("upgrade"))) {
        return Err("the 101 answer has no `Connection: Upgrade`".into());
    }
    let accept = value("sec-websocket-accept");
    if accept.len() != 1 || accept[0] != c.accept {
        return Err(format!("Sec-WebSocket-Accept is {accept:?}, not {:?}", c.accept));
    }
    let ext: Vec<String> = value("sec-websocket-extensions").iter().flat_map(|v| v.split(',').map(|e| e.trim().to_owned())).collect();
    check_extensions(run.deflate, &ext)?;
    run.ext_answer = ext.join(", ");
    c.inp.drain(..end + 4);
    Ok(true)
}

/// The server must agree to permessage-deflate with context takeover both
/// ways and 15-bit windows when it was offered, and to nothing otherwise.
fn check_extensions(deflate: bool, ext: &[String]) -> Result<(), String> {
    if !deflate {
        return match ext.first() {
            None => Ok(()),
            Some(e) => Err(format!("the server agreed to an extension that was not offered: {e}")),
        };
    }
    let [pmd] = ext else {
        return Err(format!(
            "permessage-deflate was offered and the server did not agree to it (its answer: {:?})",
            ext.join(", ")
        ));
    };
    let mut parts = pmd.split(';').map(str::trim);
    if parts.next() != Some("permessage-deflate") {
        return Err(format!("the server answered with another extension: {pmd}"));
    }
    for p in parts {
        let (name, value) = p.split_once('=').map_or((p, None), |(n, v)| (n.trim(), Some(v.trim().trim_matches('"'))));
        match (name, value) {
            ("client_max_window_bits" | "server_max_window_bits", Some("15")) => {}
            _ => {
                return Err(format!(
                    "the server agreed to permessage-deflate with `{p}`: this benchmark needs context takeover both ways and 15-bit windows (answer: {pmd})"
                ))
            }
        }
    }
    Ok(())
}

/// Reads every frame that is whole in `c.inp`.
fn read_frames(run: &mut Run, i: usize, c: &mut Conn) -> Result<(), String> {
    let inp = std::mem::take(&mut c.inp);
    let mut at = 0;
    let res = loop {
        let b = &inp[at..];
        if b.len() < 2 {
            break Ok(());
        }
        let (fin, rsv1, op) = (b[0] & 0x80 != 0, b[0] & 0x40 != 0, b[0] & 0x0f);
        if b[0] & 0x30 != 0 {
            break Err("a frame from the server has RSV2 or RSV3 set".into());
        }
        if b[1] & 0x80 != 0 {
            break Err("a frame from the server is masked".into());
        }
        let (hl, len) = match b[1] & 0x7f {
            126 if b.len() >= 4 => (4, u16::from_be_bytes([b[2], b[3]]) as usize),
            127 if b.len() >= 10 => (10, u64::from_be_bytes(b[2..10].try_into().unwrap()) as usize),
            126 | 127 => break Ok(()),
            n => (2, n as usize),
        };
        if b.len() < hl + len {
            break Ok(());
        }
        let payload = &b[hl..hl + len];
        at += hl + len;
        run.wire_in += (hl + len) as u64;
        let r = match op {
            0x1 if c.partial.is_some() => Err("a new message began inside a fragmented one".into()),
            0x1 if fin => run.echoed(i, c, rsv1, payload),
            0x1 => {
                c.partial = Some((rsv1, payload.to_vec()));
                Ok(())
            }
            0x0 => match c.partial.as_mut() {
                None => Err("a continuation frame without a message".into()),
                Some(_) if rsv1 => Err("RSV1 on a continuation frame".into()),
                Some((_, buf)) => {
                    buf.extend_from_slice(payload);
                    if fin {
                        let (z, buf) = c.partial.take().unwrap();
                        run.echoed(i, c, z, &buf)
                    } else {
                        Ok(())
                    }
                }
            },
            0x2 => Err("a text message came back as binary".into()),
            0x9 => {
                frame(&mut c.out, 0x80 | 0xA, payload, &mut run.rng);
                Ok(())
            }
            0xA => Ok(()),
            0x8 if c.phase == Phase::Closing => {
                c.phase = Phase::Done;
                break Ok(());
            }
            0x8 => {
                let code = if len >= 2 { u16::from_be_bytes([payload[0], payload[1]]) } else { 1005 };
                let reason = String::from_utf8_lossy(payload.get(2..).unwrap_or_default()).into_owned();
                Err(format!("the server closed the connection with {code} {reason:?}"))
            }
            op => Err(format!("a frame with opcode {op:#x}")),
        };
        if let Err(e) = r {
            break Err(e);
        }
    };
    c.inp = inp;
    c.inp.drain(..at);
    res
}

/// Reads what the socket has; `Ok(true)` at the end of the stream.
fn read_socket(c: &mut Conn, buf: &mut [u8]) -> Result<bool, String> {
    loop {
        match c.sock.read(buf) {
            Ok(0) => return Ok(true),
            Ok(n) => c.inp.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock || e.kind() == io::ErrorKind::NotConnected => return Ok(false),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("read failed: {e}")),
        }
    }
}

fn on_event(run: &mut Run, i: usize, c: &mut Conn, buf: &mut [u8]) -> Result<(), String> {
    if c.phase == Phase::Done {
        return Ok(());
    }
    let eof = read_socket(c, buf)?;
    if c.phase == Phase::Opening {
        if !read_answer(run, c)? {
            if eof {
                return Err("the server closed TCP during the handshake".into());
            }
            return flush(c);
        }
        c.phase = Phase::Open;
    }
    read_frames(run, i, c)?;
    if eof && c.phase != Phase::Done {
        return Err("the server closed TCP without a close frame".into());
    }
    flush(c)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 2 || args[1].starts_with('-') {
        eprintln!("usage: ws_load IP:PORT [--conns N] [--size BYTES] [--secs SECONDS] [--deflate] [--inflight K]");
        std::process::exit(2);
    }
    let addr: SocketAddr = args[1].parse().unwrap_or_else(|_| fail(format!("invalid address {:?}", args[1])));
    let num = |name: &str, default: f64| -> f64 {
        opt(&args, name).map_or(default, |v| v.parse().unwrap_or_else(|_| fail(format!("{name} needs a number, not {v:?}"))))
    };
    let conns = num("--conns", 100.0) as usize;
    let size = num("--size", 64.0) as usize;
    let dur = Duration::from_secs_f64(num("--secs", 10.0));
    let inflight = (num("--inflight", 1.0) as usize).max(1);
    let deflate = flag(&args, "--deflate");
    if size < SEQ_AT + SEQ_LEN + 1 {
        fail(format!("--size must be at least {} bytes", SEQ_AT + SEQ_LEN + 1));
    }
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let pool = (0..POOL)
        .map(|_| {
            let b = body(&mut rng, size);
            let runs = digit_runs(&b);
            (b, runs)
        })
        .collect();
    let mut run = Run {
        size,
        deflate,
        inflight,
        pool,
        rng,
        spare: Vec::new(),
        zbuf: Vec::new(),
        stopping: false,
        timed: false,
        echoed: 0,
        echoed_timed: 0,
        wire_in: 0,
        wire_out: 0,
        ext_answer: String::new(),
    };

    let mut poll = Poll::new().unwrap_or_else(|e| fail(format!("epoll: {e}")));
    let mut events = Events::with_capacity(1024);
    let mut cs: Vec<Conn> = (0..conns)
        .map(|i| {
            let mut sock = TcpStream::connect(addr).unwrap_or_else(|e| fail(format!("connect to {addr}: {e}")));
            let _ = sock.set_nodelay(true);
            poll.registry()
                .register(&mut sock, Token(i), Interest::READABLE | Interest::WRITABLE)
                .unwrap_or_else(|e| fail(format!("epoll register: {e}")));
            let mut k = [0u8; 16];
            k.iter_mut().for_each(|b| *b = run.rng.next() as u8);
            let key = STANDARD.encode(k);
            let digest = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, format!("{key}{GUID}").as_bytes());
            let ext = if deflate { "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" } else { "" };
            let req = format!(
                "GET / HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n{ext}\r\n"
            );
            Conn {
                sock,
                phase: Phase::Opening,
                accept: STANDARD.encode(digest.as_ref()),
                out: req.into_bytes(),
                out_at: 0,
                inp: Vec::with_capacity(64 * 1024),
                inflight: VecDeque::new(),
                next_seq: 0,
                partial: None,
                z: deflate.then(|| {
                    (Compress::new_with_window_bits(Compression::new(1), false, 15), Decompress::new_with_window_bits(false, 15))
                }),
            }
        })
        .collect();

    let mut buf = vec![0u8; 256 * 1024];
    let mut pump = |run: &mut Run, cs: &mut [Conn], events: &mut Events, poll: &mut Poll| {
        poll.poll(events, Some(Duration::from_millis(20))).unwrap_or_else(|e| fail(format!("epoll_wait: {e}")));
        for ev in events.iter() {
            let i = ev.token().0;
            if let Err(e) = on_event(run, i, &mut cs[i], &mut buf) {
                fail(format!("connection {i}: {e}"));
            }
        }
    };

    let t_open = Instant::now();
    while cs.iter().any(|c| c.phase == Phase::Opening) {
        if t_open.elapsed() > OPEN_LIMIT {
            let n = cs.iter().filter(|c| c.phase == Phase::Opening).count();
            fail(format!("{n} of {conns} connections did not open within {} s", OPEN_LIMIT.as_secs()));
        }
        pump(&mut run, &mut cs, &mut events, &mut poll);
    }

    run.timed = true;
    let t0 = Instant::now();
    for (i, c) in cs.iter_mut().enumerate() {
        for _ in 0..run.inflight {
            run.send_next(i, c);
        }
        if let Err(e) = flush(c) {
            fail(format!("connection {i}: {e}"));
        }
    }
    while t0.elapsed() < dur {
        pump(&mut run, &mut cs, &mut events, &mut poll);
    }
    let dt = secs(t0);
    run.timed = false;
    run.stopping = true;
    for (i, c) in cs.iter_mut().enumerate() {
        if c.inflight.is_empty() {
            close(c, &mut run.rng);
        }
        if let Err(e) = flush(c) {
            fail(format!("connection {i}: {e}"));
        }
    }
    let t_close = Instant::now();
    while cs.iter().any(|c| c.phase != Phase::Done) {
        if t_close.elapsed() > CLOSE_LIMIT {
            let n = cs.iter().filter(|c| c.phase != Phase::Done).count();
            fail(format!("{n} of {conns} connections did not finish the closing handshake within {} s", CLOSE_LIMIT.as_secs()));
        }
        pump(&mut run, &mut cs, &mut events, &mut poll);
    }
    if !run.ext_answer.is_empty() {
        eprintln!("ws_load: the server agreed to: {}", run.ext_answer);
    }
    let per = |b: u64| b as f64 / run.echoed.max(1) as f64;
    println!(
        "client messages {} timed {} seconds {dt:.3} per_s {:.1} conns {conns} size {} deflate {} inflight {} wire_in_b_msg {:.1} wire_out_b_msg {:.1} cpu_s {:.3}",
        run.echoed,
        run.echoed_timed,
        run.echoed_timed as f64 / dt,
        run.size,
        u8::from(deflate),
        run.inflight,
        per(run.wire_in),
        per(run.wire_out),
        cpu_seconds()
    );
}
