//! What one touch of an idle-timeout deadline costs, in ns, for the binary
//! heap that held mnet's idle timeouts before (`src/core/timer.rs`, lazy
//! cancellation: a cancelled or moved entry stays until it surfaces or a
//! compaction drops it) and the timing wheel that holds them now
//! (`src/core/wheel.rs`, also lazy, with the same compaction rule), at
//! 10,000 / 100,000 / 1,000,000 entries.
//!
//!     CARGO_TARGET_DIR=bench/out/cargo cargo run --release --locked \
//!         --manifest-path bench/rust/Cargo.toml --bin deadline_bench [ROUNDS]
//!
//! Deadlines are idle timeouts of 1 s to 10 min, touched in a random order
//! (as connections are):
//!
//! - arm: a new entry (an accepted connection sets its idle timeout).
//! - refresh: what mnet does for a connection that had traffic: nothing
//!   per byte, and when its deadline comes the entry comes out and goes
//!   back in at the new deadline (here 10 min later), the clock jumping to
//!   each next deadline the structure reports, as the reactor's wait does.
//! - move: a pending entry moved 1-60 s later (a program setting the
//!   timeout again); both push a new entry and leave the old one dead,
//!   their share of the compactions included.
//! - cancel: a pending entry removed (the connection closed): marked dead,
//!   the share of the compactions included.
//! - expire: every entry taken out when due (the connections timed out),
//!   the dead entries from the other steps gone by then.
//!
//! Each figure is thread CPU time, the best of ROUNDS runs (default 3): the
//! machine is shared.
use std::hint::black_box;

use mnet::internals::{Deadline, Entry, TimerSlot, Timers, Wheel};
use mnet::Handle;

const SECOND: u64 = 1_000_000;

/// Nanoseconds of CPU time of this thread: on a machine shared with other
/// work, the time the thread spent waiting for a core is not counted.
fn cpu_ns() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: a plain system call filling a local struct.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

struct Rng(u64);
impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn handle(i: usize) -> Handle {
    Handle::from_raw((1 << 32) | i as u64)
}

fn index(h: Handle) -> usize {
    (h.to_raw() & 0xffff_ffff) as usize
}

/// The operations of a deadline structure, as the reactor uses them.
trait Structure {
    const NAME: &'static str;
    type Slot: Default + Clone;
    fn new(now: u64) -> Self;
    fn arm(&mut self, slots: &mut [Self::Slot], i: usize, now: u64, when: u64);
    fn refresh(&mut self, slots: &mut [Self::Slot], i: usize, when: u64);
    fn cancel(&mut self, slots: &mut [Self::Slot], i: usize);
    fn next(&self) -> Option<u64>;
    /// Takes out what is due at `now`: the live entries (their claims
    /// stopped).
    fn expire(&mut self, slots: &mut [Self::Slot], now: u64) -> Vec<usize>;
}

struct Heap(Timers);

fn live(slots: &[TimerSlot], e: &Entry) -> bool {
    let s = &slots[index(e.chann)];
    s.armed() && s.seq == e.seq
}

impl Structure for Heap {
    const NAME: &'static str = "heap";
    type Slot = TimerSlot;
    fn new(_: u64) -> Heap {
        Heap(Timers::default())
    }
    fn arm(&mut self, slots: &mut [TimerSlot], i: usize, now: u64, when: u64) {
        self.0.arm(&mut slots[i], handle(i), now, when - now);
    }
    fn refresh(&mut self, slots: &mut [TimerSlot], i: usize, when: u64) {
        self.0.schedule(&mut slots[i], handle(i), when);
        self.0.compact_if_needed(|e| live(slots, e));
    }
    fn cancel(&mut self, slots: &mut [TimerSlot], i: usize) {
        self.0.stop(&mut slots[i]);
        self.0.compact_if_needed(|e| live(slots, e));
    }
    fn next(&self) -> Option<u64> {
        self.0.next_deadline()
    }
    fn expire(&mut self, slots: &mut [TimerSlot], now: u64) -> Vec<usize> {
        let mut fired = Vec::new();
        while let Some(e) = self.0.pop_due(now) {
            if live(slots, &e) {
                self.0.stop(&mut slots[index(e.chann)]);
                fired.push(index(e.chann));
            }
        }
        self.0.compact_if_needed(|e| live(slots, e));
        fired
    }
}

impl Structure for Wheel {
    const NAME: &'static str = "wheel";
    type Slot = Deadline;
    fn new(now: u64) -> Wheel {
        Wheel::new(now)
    }
    fn arm(&mut self, slots: &mut [Deadline], i: usize, _: u64, when: u64) {
        Wheel::arm(self, &mut slots[i], handle(i), when);
    }
    fn refresh(&mut self, slots: &mut [Deadline], i: usize, when: u64) {
        self.schedule(&mut slots[i], handle(i), when);
        self.compact_if_needed(|e| slots[index(e.chann)].is(e));
    }
    fn cancel(&mut self, slots: &mut [Deadline], i: usize) {
        self.stop(&mut slots[i]);
        self.compact_if_needed(|e| slots[index(e.chann)].is(e));
    }
    fn next(&self) -> Option<u64> {
        self.next_deadline()
    }
    fn expire(&mut self, slots: &mut [Deadline], now: u64) -> Vec<usize> {
        let mut fired = Vec::new();
        while let Some(e) = self.pop_due(now) {
            let i = index(e.chann);
            if slots[i].is(&e) {
                self.stop(&mut slots[i]);
                fired.push(i);
            }
        }
        self.compact_if_needed(|e| slots[index(e.chann)].is(e));
        fired
    }
}

/// ns per entry of [arm, refresh, move, cancel, expire].
fn run<S: Structure>(n: usize, seed: u64) -> [f64; 5] {
    let mut rng = Rng(seed);
    let now = 1000 * SECOND;
    let mut s = S::new(now);
    let mut slots = vec![S::Slot::default(); n];
    let mut order: Vec<usize> = (0..n).collect();
    let shuffle = |order: &mut Vec<usize>, rng: &mut Rng| {
        for i in (1..order.len()).rev() {
            order.swap(i, rng.below(i as u64 + 1) as usize);
        }
    };
    let mut when: Vec<u64> = (0..n).map(|_| now + SECOND + rng.below(600 * SECOND)).collect();
    let per = |t: u64| (cpu_ns() - t) as f64 / n as f64;

    shuffle(&mut order, &mut rng);
    let t = cpu_ns();
    for &i in &order {
        s.arm(&mut slots, i, now, when[i]);
    }
    let arm = per(t);

    // Every entry comes out at its deadline and goes back in 10 min later
    // (after all the others), as an idle timeout does after traffic.
    let t = cpu_ns();
    let mut refreshed = 0;
    while refreshed < n {
        let at = s.next().expect("entries are pending");
        for i in s.expire(&mut slots, at) {
            when[i] += 600 * SECOND;
            s.arm(&mut slots, i, at, when[i]);
            refreshed += 1;
        }
    }
    let refresh = per(t);

    shuffle(&mut order, &mut rng);
    for w in when.iter_mut() {
        *w += SECOND + rng.below(60 * SECOND);
    }
    let t = cpu_ns();
    for &i in &order {
        s.refresh(&mut slots, i, when[i]);
    }
    let moved = per(t);

    shuffle(&mut order, &mut rng);
    let t = cpu_ns();
    for &i in &order {
        s.cancel(&mut slots, i);
    }
    let cancel = per(t);

    for (i, &w) in when.iter().enumerate() {
        s.arm(&mut slots, i, now, w);
    }
    let t = cpu_ns();
    let mut fired = 0;
    while fired < n {
        let at = s.next().expect("entries are pending");
        fired += s.expire(&mut slots, at).len();
    }
    let expire = per(t);
    black_box(&slots);
    [arm, refresh, moved, cancel, expire]
}

fn best<S: Structure>(n: usize, rounds: usize) -> [f64; 5] {
    let mut b = [f64::MAX; 5];
    for r in 0..rounds {
        let got = run::<S>(n, 0x9e37_79b9 + r as u64);
        for k in 0..5 {
            b[k] = b[k].min(got[k]);
        }
    }
    b
}

fn main() {
    let rounds = std::env::args().nth(1).map_or(3, |a| a.parse().expect("ROUNDS"));
    println!("ns per entry, best of {rounds} rounds");
    println!("{:>9}  {:<6} {:>8} {:>8} {:>8} {:>8} {:>8}", "entries", "", "arm", "refresh", "move", "cancel", "expire");
    for n in [10_000, 100_000, 1_000_000] {
        for (name, f) in [(Heap::NAME, best::<Heap> as fn(usize, usize) -> [f64; 5]), (Wheel::NAME, best::<Wheel>)] {
            let [a, r, m, c, e] = f(n, rounds);
            println!("{n:>9}  {name:<6} {a:>8.1} {r:>8.1} {m:>8.1} {c:>8.1} {e:>8.1}");
        }
    }
}
