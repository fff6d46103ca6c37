//! How accurate mnet's timers and timeouts are, and how quiet the loop is
//! once idle: the figures the tests used to assert as bands (a loaded
//! machine broke them) and now only measure. The tests check order and
//! "never before the deadline"; this program says how late, on this machine,
//! now. Prints one line per figure:
//!
//!     timer_accuracy [SECONDS]        (default 3: the many-timers run)
//!
//! * `timers`: 64 repeating timers of 10-40 ms for SECONDS while a connected
//!   pair keeps every round busy: lateness of each TIMER behind the latest
//!   deadline of its grid (p50, p99, max), and TIMERs counted over expected
//!   (elapsed / interval), the lowest and highest channel.
//! * `rearm`: a 300 ms timer re-armed every 10 ms for 600 ms, then left
//!   alone: how long after the last re-arm + 300 ms it fired (5 runs).
//! * `missed`: a 1 ms timer after a 50 ms stall: TIMERs in the round after
//!   the stall, and TIMERs until a 20 ms marker fires (about 20; a burst
//!   replaying the missed periods would give about 70).
//! * `idle_timeout`: a 50 ms idle timeout on a quiet connection: lateness of
//!   its DISCONNECT behind the deadline (10 runs).
//! * `idle_cpu`: CPU time of the loop's thread over 500 ms of idle rounds
//!   after 5,000 connections were opened and closed at once.
use std::net::TcpStream;
use std::time::{Duration, Instant};

use mnet::{now_micros, Event, Handle, Kind, Reactor};

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn listener(r: &mut Reactor) -> (Handle, std::net::SocketAddr) {
    let l = r.open(Kind::Stream);
    r.listen(l, "127.0.0.1:0", 4096).expect("listen");
    (l, r.local_addr(l).expect("local_addr"))
}

/// A listener and one connection to it: (listener, client socket, the
/// accepted channel).
fn accepted_pair(r: &mut Reactor) -> (Handle, TcpStream, Handle) {
    let (l, addr) = listener(r);
    let peer = TcpStream::connect(addr).unwrap();
    let mut srv = Handle::NONE;
    run_until(r, |_, m| {
        srv = m.accepted;
        m.event == Event::Accept
    });
    (l, peer, srv)
}

/// Runs rounds until `f` returns true for a message (a 60 s hang limit).
fn run_until(r: &mut Reactor, mut f: impl FnMut(&mut Reactor, mnet::Msg) -> bool) {
    let end = Instant::now() + Duration::from_secs(60);
    loop {
        assert!(Instant::now() < end, "hung");
        r.poll(1000).expect("poll");
        let mut done = false;
        while let Some(m) = r.next() {
            done |= f(r, m);
        }
        if done {
            return;
        }
    }
}

fn spin(d: Duration) {
    let end = Instant::now() + d;
    while Instant::now() < end {
        std::hint::spin_loop();
    }
}

fn timers(secs: u64) {
    const N: usize = 64;
    let mut r = Reactor::new().unwrap();
    let (l, peer, srv) = accepted_pair(&mut r);
    let mut w = &peer;
    std::io::Write::write_all(&mut w, b"unread: RECV every round").unwrap();
    let chans: Vec<(u64, u64)> = (0..N)
        .map(|i| {
            let h = r.open(Kind::Stream);
            let interval = (10 + (i % 31) as u64) * 1000;
            r.set_opaque(h, i as u64 + 1).unwrap();
            let armed = now_micros();
            r.set_timer(h, interval / 1000).unwrap();
            (interval, armed)
        })
        .collect();
    let mut late = Vec::new();
    let mut counts = [0u64; N];
    let end = now_micros() + secs * 1_000_000;
    while now_micros() < end {
        r.poll(1000).unwrap();
        while let Some(m) = r.next() {
            if m.event != Event::Timer {
                continue;
            }
            let i = m.opaque as usize - 1;
            let (interval, armed) = chans[i];
            let now = now_micros();
            late.push((now - armed) % interval);
            counts[i] += 1;
        }
    }
    late.sort_unstable();
    let ratios: Vec<f64> = chans
        .iter()
        .zip(counts)
        .map(|(&(interval, armed), n)| n as f64 / ((end - armed) as f64 / interval as f64))
        .collect();
    let lo = ratios.iter().cloned().fold(f64::MAX, f64::min);
    let hi = ratios.iter().cloned().fold(0.0, f64::max);
    println!(
        "timers        {} TIMERs of 64 timers in {secs} s: late p50 {} us, p99 {} us, max {} us; count / expected {lo:.3} .. {hi:.3}",
        late.len(),
        percentile(&late, 0.5),
        percentile(&late, 0.99),
        late.last().copied().unwrap_or(0)
    );
    drop(peer);
    r.close(srv).unwrap();
    r.close(l).unwrap();
}

fn rearm() {
    let mut late = Vec::new();
    for _ in 0..5 {
        let mut r = Reactor::new().unwrap();
        let a = r.open(Kind::Stream);
        let driver = r.open(Kind::Stream);
        let first = now_micros();
        r.set_timer(a, 300).unwrap();
        r.set_timer(driver, 10).unwrap();
        let mut rearmed = first;
        while rearmed < first + 600_000 {
            r.poll(1000).unwrap();
            while let Some(m) = r.next() {
                if m.chann == driver {
                    rearmed = now_micros();
                    r.set_timer(a, 300).unwrap();
                }
            }
        }
        r.close(driver).unwrap();
        run_until(&mut r, |_, m| m.chann == a);
        late.push(now_micros() - (rearmed + 300_000));
    }
    println!("rearm         fired after the last re-arm + 300 ms by (us): {late:?}");
}

fn missed() {
    let mut r = Reactor::new().unwrap();
    let fast = r.open(Kind::Stream);
    r.set_timer(fast, 1).unwrap();
    run_until(&mut r, |_, m| m.chann == fast);
    spin(Duration::from_millis(50));
    r.poll(0).unwrap();
    let mut in_round = 0;
    while r.next().is_some() {
        in_round += 1;
    }
    let marker = r.open(Kind::Stream);
    r.set_timer(marker, 20).unwrap();
    let mut ticks = 0;
    run_until(&mut r, |_, m| {
        if m.chann == fast {
            ticks += 1;
        }
        m.chann == marker
    });
    println!("missed        after a 50 ms stall: {in_round} TIMER in the late round, {ticks} of a 1 ms timer until a 20 ms marker");
}

fn idle_timeout() {
    let mut late = Vec::new();
    for _ in 0..10 {
        let mut r = Reactor::new().unwrap();
        let (_l, _peer, srv) = accepted_pair(&mut r);
        let set = now_micros();
        r.set_idle_timeout(srv, 50).unwrap();
        run_until(&mut r, |_, m| m.event == Event::Disconnect);
        late.push(now_micros() - (set + 50_000));
    }
    println!("idle_timeout  DISCONNECT after the 50 ms deadline by (us): {late:?}");
}

fn thread_cpu_us() -> u64 {
    // SAFETY: rusage is plain integers, for which all zeroes is a valid
    // value; getrusage writes into the struct we own.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    assert_eq!(unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut u) }, 0);
    let us = |t: libc::timeval| t.tv_sec as u64 * 1_000_000 + t.tv_usec as u64;
    us(u.ru_utime) + us(u.ru_stime)
}

fn idle_cpu() {
    const N: usize = 5000;
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit/setrlimit use the struct we own.
    unsafe {
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
        if lim.rlim_cur < (2 * N + 100) as u64 && lim.rlim_max >= (2 * N + 100) as u64 {
            lim.rlim_cur = (2 * N + 100) as u64;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
    if lim.rlim_cur < (2 * N + 100) as u64 {
        println!("idle_cpu      skipped: needs {} descriptors, ulimit -Hn is {}", 2 * N + 100, lim.rlim_max);
        return;
    }
    let mut r = Reactor::new().unwrap();
    let (_l, addr) = listener(&mut r);
    let mut conns = Vec::with_capacity(N);
    let mut open = 0usize;
    while conns.len() < N {
        for _ in 0..500 {
            conns.push(TcpStream::connect(addr).unwrap());
        }
        while open < conns.len() {
            r.poll(50).unwrap();
            while let Some(m) = r.next() {
                if m.event == Event::Accept {
                    open += 1;
                }
            }
        }
    }
    drop(conns);
    while open > 0 {
        r.poll(50).unwrap();
        while let Some(m) = r.next() {
            if m.event == Event::Disconnect {
                r.close(m.chann).unwrap();
                open -= 1;
            }
        }
    }
    let (cpu0, t0) = (thread_cpu_us(), Instant::now());
    while t0.elapsed() < Duration::from_millis(500) {
        r.poll(100).unwrap();
        while r.next().is_some() {}
    }
    println!(
        "idle_cpu      after {N} connections opened and closed: {} us of CPU in {} ms of idle rounds",
        thread_cpu_us() - cpu0,
        t0.elapsed().as_millis()
    );
}

fn main() {
    let secs = std::env::args().nth(1).map_or(3, |s| s.parse().expect("SECONDS"));
    timers(secs);
    rearm();
    missed();
    idle_timeout();
    idle_cpu();
}
