//! Accepting at the descriptor limit: with EMFILE the listener backs off
//! (no busy loop), says so once, and accepts everything once descriptors
//! are available again. Its own test binary: RLIMIT_NOFILE is per process.

mod common;

use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

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

fn open_fds() -> u64 {
    std::fs::read_dir("/proc/self/fd").unwrap().count() as u64
}

#[test]
fn accept_storm_past_the_fd_limit_recovers_without_spinning() {
    const CLIENTS: usize = 100;
    log::set_logger(&CountAcceptErrors).unwrap();
    log::set_max_level(log::LevelFilter::Info);

    let mut r = Reactor::new().unwrap();
    let (_l, addr) = listener(&mut r, Kind::Stream, "127.0.0.1");
    let clients: Vec<TcpStream> = (0..CLIENTS).map(|_| TcpStream::connect(addr).unwrap()).collect();
    let saved = nofile();
    // Room for a handful of accepts only.
    set_nofile(open_fds() + 5, saved.rlim_max);

    let mut accepted = 0usize;
    let mut rounds = 0usize;
    let start = Instant::now();
    while start.elapsed() < Duration::from_millis(500) {
        rounds += round(&mut r, 1000, |_, m| {
            if m.event == Event::Accept {
                accepted += 1;
            }
        });
        rounds += 1;
    }
    assert!(accepted < CLIENTS, "the limit must have stopped accepts ({accepted})");
    // Retries every 100 ms: a spinning listener would run thousands of rounds.
    assert!(rounds < 50, "{rounds} rounds in 500 ms: the listener spins");
    assert_eq!(ACCEPT_ERRORS.load(Ordering::SeqCst), 1, "EMFILE is reported once");

    set_nofile(saved.rlim_cur, saved.rlim_max);
    run_until(&mut r, Duration::from_secs(5), "the rest accepted", |_, m| {
        if m.event == Event::Accept {
            accepted += 1;
        }
        accepted == CLIENTS
    });
    assert_eq!(accepted, CLIENTS);
    drop(clients);
}
