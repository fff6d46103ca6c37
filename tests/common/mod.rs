//! Helpers shared by the integration tests: a reactor with a listener on an
//! ephemeral loopback port, and a loop that runs rounds until a condition
//! holds (bounded by a deadline, so a broken rule fails instead of hanging).
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use mnet::{Event, Handle, Kind, Msg, Reactor};

/// Listens on `ip:0` and returns the listener and its address.
pub fn listener(r: &mut Reactor, kind: Kind, ip: &str) -> (Handle, SocketAddr) {
    let l = r.open(kind);
    let addr = if ip.contains(':') { format!("[{ip}]:0") } else { format!("{ip}:0") };
    r.listen(l, &addr, 512).expect("listen");
    let a = r.local_addr(l).expect("local_addr");
    (l, a)
}

/// Runs rounds, handing each message to `f`, until `f` returns true for a
/// message or `limit` passes (then panics with `what`).
pub fn run_until(r: &mut Reactor, limit: Duration, what: &str, mut f: impl FnMut(&mut Reactor, Msg) -> bool) {
    let end = Instant::now() + limit;
    loop {
        assert!(Instant::now() < end, "timed out waiting for: {what}");
        r.poll(50).expect("poll");
        let mut done = false;
        while let Some(m) = r.next() {
            if f(r, m) {
                done = true;
            }
        }
        if done {
            return;
        }
    }
}

/// The rwdata pattern: the byte at stream offset `o` is `o & 0xff`.
pub fn fill_pattern(buf: &mut [u8], offset: u64) {
    for (i, b) in buf.iter_mut().enumerate() {
        *b = (offset + i as u64) as u8;
    }
}

/// Checks the rwdata pattern; returns the first bad offset.
pub fn check_pattern(buf: &[u8], offset: u64) -> Option<u64> {
    buf.iter()
        .enumerate()
        .find(|&(i, &b)| b != (offset + i as u64) as u8)
        .map(|(i, _)| offset + i as u64)
}

/// Opens a stream client, connects it to `addr`, and runs rounds until the
/// listener `l` has accepted it and the client saw CONNECTED. Any other
/// message fails the test. Returns (client, accepted).
pub fn connect_pair(r: &mut Reactor, l: Handle, addr: SocketAddr) -> (Handle, Handle) {
    let c = r.open(Kind::Stream);
    r.connect(c, &addr.to_string()).expect("connect");
    let (mut accepted, mut connected) = (None, false);
    run_until(r, Duration::from_secs(5), "accept and connect", |_, m| {
        match m.event {
            Event::Accept if m.chann == l => accepted = Some(m.accepted),
            Event::Connected if m.chann == c => connected = true,
            _ => panic!("unexpected {m:?} while connecting a pair"),
        }
        connected && accepted.is_some()
    });
    (c, accepted.unwrap())
}

/// Runs one round: `poll(timeout_ms)`, then every message of the round,
/// in order, to `f`. Returns how many messages the round handed out.
pub fn round(r: &mut Reactor, timeout_ms: i32, mut f: impl FnMut(&mut Reactor, Msg)) -> usize {
    r.poll(timeout_ms).expect("poll");
    let mut n = 0;
    while let Some(m) = r.next() {
        n += 1;
        f(r, m);
    }
    n
}

/// A count-based observation window: opens a channel with a `interval_ms`
/// timer and runs rounds until it has fired `ticks` times, handing every
/// other message to `f`; then closes the watcher. Used to show that
/// something does *not* happen over a stretch of rounds, without sleeping.
pub fn watch_ticks(r: &mut Reactor, ticks: usize, interval_ms: u64, mut f: impl FnMut(&mut Reactor, Msg)) {
    let w = r.open(Kind::Stream);
    r.set_timer(w, interval_ms).expect("set_timer");
    let mut seen = 0;
    let limit = Duration::from_millis(interval_ms * ticks as u64 * 20 + 5000);
    run_until(r, limit, "the watcher's ticks", |r, m| {
        if m.chann == w {
            assert_eq!(m.event, Event::Timer);
            seen += 1;
        } else {
            f(r, m);
        }
        seen == ticks
    });
    r.close(w).expect("close the watcher");
}

/// Runs one round in which a TIMER (handled first: TIMERs come first) and
/// the messages of whatever is already pending, such as the ACCEPTs of
/// clients whose connect() returned, are both due; the TIMER handler calls
/// `on_timer`. Returns the messages handed out after the TIMER.
pub fn timer_then_rest(r: &mut Reactor, on_timer: impl Fn(&mut Reactor)) -> Vec<Msg> {
    let w = r.open(Kind::Stream);
    r.set_timer(w, 1).expect("set_timer");
    busy_for(Duration::from_millis(5));
    let mut after = Vec::new();
    let mut timers = 0;
    round(r, 1000, |r, m| {
        if m.event == Event::Timer {
            assert_eq!(m.chann, w, "a TIMER of another channel: {m:?}");
            timers += 1;
            on_timer(r);
        } else {
            after.push(m);
        }
    });
    assert_eq!(timers, 1);
    r.close(w).expect("close the timer's channel");
    after
}

/// Keeps the thread busy (no sleep, no reactor call) for `d`: stands in for
/// a handler that holds the loop up, so that deadlines pass between rounds.
pub fn busy_for(d: Duration) {
    let end = Instant::now() + d;
    while Instant::now() < end {
        std::hint::spin_loop();
    }
}

/// A byte count from the environment variable `name`, or `default`.
pub fn env_bytes(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => v.trim().parse().unwrap_or_else(|_| panic!("{name}={v:?} is not a byte count")),
        Err(_) => default,
    }
}

pub mod bystander;
pub mod certs;
pub mod dns;
pub mod peer;
pub mod web;
pub mod ws;
