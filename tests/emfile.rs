//! Accepting at the descriptor limit: with EMFILE the listener backs off
//! (no busy loop), says so once, keeps serving the connections it has, and
//! accepts everything once descriptors are available again. Its own test
//! binary: RLIMIT_NOFILE is per process.

mod common;

use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::bystander::Bystander;
use common::peer::open_fds;
use common::*;
use mnet::{Event, Kind, Reactor};

static ACCEPT_ERRORS: AtomicUsize = AtomicUsize::new(0);

struct CountAcceptErrors;

impl log::Log for CountAcceptErrors {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, rec: &log::Record<'_>) {
        if rec.level() == log::Level::Error && rec.args().to_string().starts_with("accept") {
            ACCEPT_ERRORS.fetch_add(1, Ordering::SeqCst);
        }
    }
    fn flush(&self) {}
}

fn nofile() -> libc::rlimit {
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit writes into the struct we own.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) }, 0);
    lim
}

fn set_nofile(cur: u64, max: u64) {
    let lim = libc::rlimit { rlim_cur: cur, rlim_max: max };
    // SAFETY: setrlimit reads the struct we own.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) }, 0);
}

/// Whether `r` stays quiet for a retry period: runs rounds, counting those
/// that hand out nothing. EMFILE leaves the connection in the backlog and
/// the listener readable for ever, so a listener that does not back off
/// wakes the loop again at once; this one retries every 100 ms. Runs until
/// `span` has passed (a span, not a deadline: it is only ever exceeded),
/// and returns (rounds with no message, milliseconds it took).
fn quiet_rounds(r: &mut Reactor, span: Duration, accepted: &mut usize) -> (u64, u64) {
    let start = Instant::now();
    let mut empty = 0u64;
    while start.elapsed() < span {
        if round(r, 1000, |_, m| {
            assert_eq!(m.event, Event::Accept, "{m:?}");
            *accepted += 1;
        }) == 0
        {
            empty += 1;
        }
    }
    (empty, start.elapsed().as_millis() as u64)
}

#[test]
fn accept_storm_past_the_fd_limit_recovers_without_spinning() {
    const CLIENTS: usize = 100;
    log::set_logger(&CountAcceptErrors).unwrap();
    log::set_max_level(log::LevelFilter::Info);

    let mut r = Reactor::new().unwrap();
    let (_l, addr) = listener(&mut r, Kind::Stream, "127.0.0.1");
    // A connection made before the limit bites: it must keep echoing
    // through the whole episode.
    let mut bystander = Bystander::new(&mut r, addr);
    bystander.still_echoes(&mut r);
    let clients: Vec<TcpStream> = (0..CLIENTS).map(|_| TcpStream::connect(addr).unwrap()).collect();
    let saved = nofile();
    // Room for a handful of accepts only.
    set_nofile(open_fds() as u64 + 5, saved.rlim_max);

    // Retries no more often than every 100 ms: over a span of 500 ms at
    // most 500 / 100 of them (plus a few wake-ups for the new sockets); a
    // listener that spins would run thousands of rounds. A loaded machine
    // only ever runs fewer.
    let mut accepted = 0usize;
    let (empty, ms) = quiet_rounds(&mut r, Duration::from_millis(500), &mut accepted);
    assert!(accepted < CLIENTS, "the limit must have stopped accepts ({accepted})");
    assert!(empty <= ms / 100 + 5, "{empty} empty rounds in {ms} ms: the listener spins");
    assert_eq!(ACCEPT_ERRORS.load(Ordering::SeqCst), 1, "EMFILE is reported once");

    // Still at the limit: the bystander is served, nothing new is accepted.
    let at_limit = accepted;
    for _ in 0..3 {
        bystander.still_echoes(&mut r);
    }
    let (empty, ms) = quiet_rounds(&mut r, Duration::from_millis(300), &mut accepted);
    assert!(empty <= ms / 100 + 5, "{empty} empty rounds in {ms} ms: the listener spins");
    assert_eq!(accepted, at_limit, "nothing accepted while the limit holds");
    assert_eq!(ACCEPT_ERRORS.load(Ordering::SeqCst), 1, "EMFILE is reported once");

    set_nofile(saved.rlim_cur, saved.rlim_max);
    run_until(&mut r, Duration::from_secs(20), "the rest accepted", |_, m| {
        if m.event == Event::Accept {
            accepted += 1;
        }
        accepted == CLIENTS
    });
    assert_eq!(accepted, CLIENTS);
    bystander.still_echoes(&mut r);
    drop(clients);
}
