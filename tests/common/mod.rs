//! Helpers shared by the integration tests: a reactor with a listener on an
//! ephemeral loopback port, and a loop that runs rounds until a condition
//! holds (bounded by a deadline, so a broken rule fails instead of hanging).
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use mnet::{Handle, Kind, Msg, Reactor};

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

pub mod certs;
