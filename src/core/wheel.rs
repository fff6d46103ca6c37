//! Per-connection deadlines (idle timeouts, TLS handshakes) on a
//! hierarchical timing wheel: arming, moving and cancelling one is O(1)
//! whatever the number of connections.
//!
//! Time moves in ticks of 1 ms. Six levels of 64 slots; a slot of level `l`
//! spans 64^l ticks, so the levels reach 64 ms, 4.1 s, 4.4 min, 4.7 h, 12.4
//! days and 2.2 years ahead. An entry sits in the lowest level whose span
//! still separates its deadline from the wheel's time (the highest group of
//! 6 bits in which the two differ). When the wheel reaches a slot of a
//! higher level, that slot's entries cascade to lower levels, so an entry
//! moves at most once per level however long it waits, and one cancelled
//! before (most idle timeouts, every finished handshake) never moves at all.
//! Deadlines beyond the top level wait in its farthest slot and are placed
//! again when it comes round.
//!
//! An entry never comes out before its deadline: deadlines round up to
//! whole ticks and the wheel's time rounds down, so it comes out at most a
//! tick (plus the poll's own rounding) late. Entries are nodes of one
//! arena, each in a doubly linked list of its slot by index, so removing one
//! takes no search and leaves nothing behind; a bit per slot tells which
//! slots hold entries, so the next one is found in at most six steps.
//!
//! The binary heap that held these deadlines before (`timer.rs`, still used
//! for repeating timers) paid O(log n) per arm and kept cancelled entries
//! until they surfaced; `bench/rust/src/bin/deadline_bench.rs` measures both.

use super::handle::Handle;

/// Microseconds per tick.
pub const TICK_US: u64 = 1000;
const LEVELS: usize = 6;
const SLOT_BITS: u32 = 6;
const SLOTS: usize = 1 << SLOT_BITS;
/// The list of entries due now, after the slots' lists.
const DUE: usize = LEVELS * SLOTS;
/// Ticks the top level reaches ahead.
const REACH: u64 = 1 << (SLOT_BITS * LEVELS as u32);
const NIL: u32 = u32::MAX;
/// A node's `list` while it is on the free list.
const FREE: u16 = u16::MAX;

/// A channel's claim on one entry of the wheel (one per kind of deadline).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    node: u32,
    seq: u32,
}

impl Default for Deadline {
    fn default() -> Deadline {
        Deadline { node: NIL, seq: 0 }
    }
}

impl Deadline {
    /// Whether an entry is pending (cleared by [`Wheel::stop`], and by the
    /// caller when [`Deadline::is`] says it fired).
    #[cfg(any(test, feature = "internals"))]
    pub fn armed(&self) -> bool {
        self.node != NIL
    }

    /// Whether `fired` is this claim's entry (which is then gone from the
    /// wheel: the caller schedules again or resets the claim).
    pub fn is(&self, fired: &Fired) -> bool {
        self.node == fired.node && self.seq == fired.seq
    }
}

/// An entry that came due: the channel it was armed for and which claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fired {
    /// The channel the entry was armed for.
    pub chann: Handle,
    node: u32,
    seq: u32,
}

#[derive(Debug, Clone, Copy)]
struct Node {
    /// The deadline in µs.
    when: u64,
    chann: Handle,
    prev: u32,
    next: u32,
    seq: u32,
    /// The list the node is in: a slot (`level * 64 + slot`), `DUE`, or `FREE`.
    list: u16,
}

/// The deadlines of all channels of one reactor.
#[derive(Debug)]
pub struct Wheel {
    nodes: Vec<Node>,
    /// Head of the free list of nodes.
    free: u32,
    /// Head of each slot's list, then of the due list.
    heads: Box<[u32]>,
    /// Per level, a bit for each slot that holds entries.
    occupied: [u64; LEVELS],
    /// The wheel's time in ticks: every slot before it has been handled.
    elapsed: u64,
    next_seq: u32,
    live: usize,
}

impl Default for Wheel {
    fn default() -> Wheel {
        Wheel::new(0)
    }
}

fn tick_of(when_us: u64) -> u64 {
    when_us.div_ceil(TICK_US)
}

impl Wheel {
    /// An empty wheel whose time is `now` (µs).
    pub fn new(now: u64) -> Wheel {
        Wheel {
            nodes: Vec::new(),
            free: NIL,
            heads: vec![NIL; DUE + 1].into_boxed_slice(),
            occupied: [0; LEVELS],
            elapsed: now / TICK_US,
            next_seq: 0,
            live: 0,
        }
    }

    /// Arms `slot` to come due at `when` (µs), or moves its pending entry
    /// there: O(1).
    pub fn schedule(&mut self, slot: &mut Deadline, chann: Handle, when: u64) {
        self.next_seq = self.next_seq.wrapping_add(1);
        let n = if self.owns(slot) {
            self.unlink(slot.node);
            slot.node
        } else {
            self.live += 1;
            self.alloc()
        };
        self.nodes[n as usize] = Node {
            when,
            chann,
            prev: NIL,
            next: NIL,
            seq: self.next_seq,
            list: FREE,
        };
        self.place(n);
        *slot = Deadline {
            node: n,
            seq: self.next_seq,
        };
    }

    /// Cancels `slot`'s pending entry, if any: O(1).
    pub fn stop(&mut self, slot: &mut Deadline) {
        if self.owns(slot) {
            self.unlink(slot.node);
            self.release(slot.node);
            self.live -= 1;
        }
        *slot = Deadline::default();
    }

    /// The time (µs) at which the wheel next has work: an entry's deadline,
    /// or a cascade of a higher level (which only makes a wait end early).
    pub fn next_deadline(&self) -> Option<u64> {
        if self.heads[DUE] != NIL {
            return Some(self.elapsed * TICK_US);
        }
        self.next_expiration().map(|(_, _, tick)| tick.saturating_mul(TICK_US))
    }

    /// Takes out one entry whose deadline is at or before `now` (µs), moving
    /// the wheel's time up to `now` on the way.
    pub fn pop_due(&mut self, now: u64) -> Option<Fired> {
        let now_tick = now / TICK_US;
        loop {
            let n = self.heads[DUE];
            if n != NIL {
                self.unlink(n);
                let node = self.nodes[n as usize];
                self.release(n);
                self.live -= 1;
                return Some(Fired {
                    chann: node.chann,
                    node: n,
                    seq: node.seq,
                });
            }
            match self.next_expiration() {
                Some((level, slot, tick)) if tick <= now_tick => {
                    self.elapsed = tick;
                    self.cascade(level * SLOTS + slot);
                }
                _ => {
                    self.elapsed = self.elapsed.max(now_tick);
                    return None;
                }
            }
        }
    }

    /// Entries pending.
    #[cfg(any(test, feature = "internals"))]
    pub fn len(&self) -> usize {
        self.live
    }

    /// Whether no entry is pending.
    #[cfg(any(test, feature = "internals"))]
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    fn owns(&self, slot: &Deadline) -> bool {
        self.nodes
            .get(slot.node as usize)
            .is_some_and(|n| n.seq == slot.seq && n.list != FREE)
    }

    fn alloc(&mut self) -> u32 {
        if self.free != NIL {
            let n = self.free;
            self.free = self.nodes[n as usize].next;
            return n;
        }
        let n = u32::try_from(self.nodes.len()).ok().filter(|&n| n != NIL).expect("fewer than 2^32 deadlines");
        self.nodes.push(Node {
            when: 0,
            chann: Handle::NONE,
            prev: NIL,
            next: NIL,
            seq: 0,
            list: FREE,
        });
        n
    }

    fn release(&mut self, n: u32) {
        let node = &mut self.nodes[n as usize];
        node.list = FREE;
        node.next = self.free;
        self.free = n;
    }

    /// Puts node `n` in the list its deadline belongs to now.
    fn place(&mut self, n: u32) {
        let tick = tick_of(self.nodes[n as usize].when);
        if tick <= self.elapsed {
            return self.link(n, DUE);
        }
        let t = tick.min(self.elapsed + REACH - 1);
        let differ = (self.elapsed ^ t) | (SLOTS as u64 - 1);
        let level = ((63 - differ.leading_zeros()) / SLOT_BITS).min(LEVELS as u32 - 1);
        let slot = (t >> (level * SLOT_BITS)) as usize & (SLOTS - 1);
        self.link(n, level as usize * SLOTS + slot);
    }

    /// The next slot to handle: (level, slot, tick at which it starts).
    /// Lower levels come first: everything in them is due before the next
    /// slot of any higher level starts.
    fn next_expiration(&self) -> Option<(usize, usize, u64)> {
        (0..LEVELS).find_map(|level| {
            let occupied = self.occupied[level];
            if occupied == 0 {
                return None;
            }
            // The slots after the current one first: the current slot of a
            // level holds nothing due in this round of it (the top level
            // parks entries for its next round there, and before it).
            let shift = level as u32 * SLOT_BITS;
            let after = ((self.elapsed >> shift) as u32 + 1) & (SLOTS as u32 - 1);
            let slot = (after + occupied.rotate_right(after).trailing_zeros()) as usize & (SLOTS - 1);
            let span = 1u64 << (shift + SLOT_BITS);
            let mut tick = (self.elapsed & !(span - 1)) + ((slot as u64) << shift);
            if tick <= self.elapsed {
                tick += span;
            }
            Some((level, slot, tick))
        })
    }

    /// The wheel reached slot `list`: its entries go where they belong now
    /// (a lower level, or the due list).
    fn cascade(&mut self, list: usize) {
        let mut n = self.heads[list];
        self.heads[list] = NIL;
        self.occupied[list / SLOTS] &= !(1 << (list % SLOTS));
        while n != NIL {
            let next = self.nodes[n as usize].next;
            self.place(n);
            n = next;
        }
    }

    fn link(&mut self, n: u32, list: usize) {
        let head = self.heads[list];
        let node = &mut self.nodes[n as usize];
        node.prev = NIL;
        node.next = head;
        node.list = list as u16;
        if head != NIL {
            self.nodes[head as usize].prev = n;
        }
        self.heads[list] = n;
        if list < DUE {
            self.occupied[list / SLOTS] |= 1 << (list % SLOTS);
        }
    }

    fn unlink(&mut self, n: u32) {
        let Node { prev, next, list, .. } = self.nodes[n as usize];
        let list = list as usize;
        if prev != NIL {
            self.nodes[prev as usize].next = next;
        } else {
            self.heads[list] = next;
            if next == NIL && list < DUE {
                self.occupied[list / SLOTS] &= !(1 << (list % SLOTS));
            }
        }
        if next != NIL {
            self.nodes[next as usize].prev = prev;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator (xorshift64*).
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

    const HOUR: u64 = 3_600_000_000;

    fn h(i: usize) -> Handle {
        Handle::new(i, 1)
    }

    /// Moves time to `now`; checks that what fires is due and fires once.
    fn advance(w: &mut Wheel, now: u64, when: &[u64], fired: &mut [u32]) -> usize {
        let mut count = 0;
        while let Some(f) = w.pop_due(now) {
            let i = f.chann.index();
            assert!(tick_of(when[i]) <= now / TICK_US, "entry {i} fired at {now}, before its deadline {}", when[i]);
            fired[i] += 1;
            assert_eq!(fired[i], 1, "entry {i} fired twice");
            count += 1;
        }
        count
    }

    #[test]
    fn every_entry_fires_once_never_early_and_at_most_a_tick_late() {
        // Also from just before the top level's slots turn over, and before
        // its whole reach does.
        for start in [5 * HOUR + 123_456, ((1 << 30) - 3) * TICK_US, ((1 << 36) - 7) * TICK_US + 5] {
            fires_once_each(0x9e37_79b9_7f4a_7c15 ^ start, start);
        }
    }

    fn fires_once_each(seed: u64, start: u64) {
        let mut rng = Rng(seed);
        let mut w = Wheel::new(start);
        let n = 10_000;
        // Deadlines from "now" to three years ahead: the due list, every
        // level, and beyond the top level's reach.
        let ranges = [0, 1_000, 64_000, 4_100_000, 262_000_000, 4 * HOUR, 300 * HOUR, 3 * 8766 * HOUR];
        let when: Vec<u64> = (0..n).map(|i| start + rng.below(ranges[i % ranges.len()] + 1)).collect();
        let mut slots = vec![Deadline::default(); n];
        for i in 0..n {
            w.schedule(&mut slots[i], h(i), when[i]);
        }
        assert_eq!(w.len(), n);
        let mut ticks: Vec<u64> = when.iter().map(|&t| tick_of(t)).collect();
        ticks.sort_unstable();
        let mut fired = vec![0u32; n];
        let (mut total, mut now) = (0, start);
        while total < n {
            // Small steps for the first 10 s (a loop that polls often), then
            // up to an hour at a time (one that sleeps long).
            now += if now < start + 10_000_000 { 1 + rng.below(700) } else { 1 + rng.below(HOUR) };
            total += advance(&mut w, now, &when, &mut fired);
            // Exactly the entries whose tick has come are out: none early,
            // none left behind.
            let due = ticks.partition_point(|&t| t <= now / TICK_US);
            assert_eq!(total, due, "at {now}: {total} fired, {due} due");
        }
        assert!(w.is_empty());
        assert_eq!(w.next_deadline(), None);
    }

    #[test]
    fn random_operations_match_a_simple_model() {
        // Entries armed, moved and cancelled while time moves, checked
        // against a plain list of deadlines.
        for seed in 1..=20u64 {
            let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
            let mut now = rng.below(1 << 40);
            let mut w = Wheel::new(now);
            let n = 300;
            let mut slots = vec![Deadline::default(); n];
            let mut model: Vec<Option<u64>> = vec![None; n];
            let spans = [2_000, 70_000, 5_000_000, 300_000_000, 20 * HOUR];
            for _ in 0..20_000 {
                let i = rng.below(n as u64) as usize;
                match rng.below(4) {
                    0 => {
                        w.stop(&mut slots[i]);
                        model[i] = None;
                    }
                    _ => {
                        let span = spans[rng.below(spans.len() as u64) as usize];
                        let when = now + rng.below(span);
                        w.schedule(&mut slots[i], h(i), when);
                        model[i] = Some(when);
                    }
                }
                if rng.below(3) == 0 {
                    let span = spans[rng.below(spans.len() as u64) as usize];
                    now += rng.below(span / 4);
                    while let Some(f) = w.pop_due(now) {
                        let i = f.chann.index();
                        assert!(slots[i].is(&f), "a stale entry fired");
                        let when = model[i].take().expect("only pending entries fire");
                        assert!(tick_of(when) <= now / TICK_US, "fired early");
                        slots[i] = Deadline::default();
                    }
                    for (i, m) in model.iter().enumerate() {
                        assert!(m.is_none_or(|t| tick_of(t) > now / TICK_US), "entry {i} left behind");
                    }
                    assert_eq!(w.len(), model.iter().filter(|m| m.is_some()).count());
                }
            }
        }
    }

    #[test]
    fn cancelled_and_moved_entries_fire_only_as_they_are_now() {
        let mut rng = Rng(42);
        let start = 0;
        let mut w = Wheel::new(start);
        let n = 10_000;
        let mut when: Vec<u64> = (0..n).map(|_| 1 + rng.below(600_000_000)).collect();
        let mut slots = vec![Deadline::default(); n];
        for i in 0..n {
            w.schedule(&mut slots[i], h(i), when[i]);
        }
        for i in 0..n {
            match i % 3 {
                0 => {
                    w.stop(&mut slots[i]);
                    assert!(!slots[i].armed());
                    when[i] = u64::MAX;
                }
                1 => {
                    when[i] += 1 + rng.below(HOUR); // moved later
                    w.schedule(&mut slots[i], h(i), when[i]);
                }
                _ => {
                    when[i] = 1 + rng.below(when[i]); // moved earlier
                    w.schedule(&mut slots[i], h(i), when[i]);
                }
            }
        }
        assert_eq!(w.len(), n - n.div_ceil(3));
        let mut fired = vec![0u32; n];
        let mut now = 0;
        while !w.is_empty() {
            now += 1 + rng.below(5_000_000);
            advance(&mut w, now, &when, &mut fired);
        }
        for i in 0..n {
            assert_eq!(fired[i], u32::from(i % 3 != 0), "entry {i}");
        }
    }

    #[test]
    fn far_deadlines_cascade_down_and_never_fire_early() {
        let mut w = Wheel::new(0);
        let years = 5 * 8766 * HOUR; // beyond the top level's reach
        let (mut far, mut never) = (Deadline::default(), Deadline::default());
        w.schedule(&mut far, h(1), years);
        w.schedule(&mut never, h(2), u64::MAX);
        let mut now = 0;
        let mut seen = None;
        while now < years + 10 * HOUR {
            now += 10 * HOUR;
            if let Some(f) = w.pop_due(now) {
                assert!(far.is(&f) && seen.is_none() && now >= years);
                seen = Some(now);
            }
            assert!(w.next_deadline().is_some(), "a pending entry keeps the loop waking");
        }
        assert_eq!(seen, Some(years.next_multiple_of(10 * HOUR)));
        assert_eq!(w.len(), 1, "the u64::MAX deadline waits on");
        assert_eq!(w.pop_due(u64::MAX - 1), None);
    }

    #[test]
    fn a_fired_claim_no_longer_reaches_a_reused_node() {
        let mut w = Wheel::new(0);
        let (mut a, mut b) = (Deadline::default(), Deadline::default());
        w.schedule(&mut a, h(1), 5_000);
        let f = w.pop_due(5_000).unwrap();
        assert!(a.is(&f));
        w.schedule(&mut b, h(2), 9_000); // takes a's node
        w.stop(&mut a); // a stale claim: must leave b alone
        assert_eq!(w.len(), 1);
        assert!(w.pop_due(9_000).is_some_and(|f| b.is(&f)));
    }

    #[test]
    fn the_next_deadline_is_never_later_than_the_earliest_entry() {
        let mut rng = Rng(3);
        let mut w = Wheel::new(0);
        let mut slots = vec![Deadline::default(); 500];
        let mut earliest = u64::MAX;
        for (i, s) in slots.iter_mut().enumerate() {
            let when = 1 + rng.below(100 * HOUR);
            earliest = earliest.min(when);
            w.schedule(s, h(i), when);
        }
        let next = w.next_deadline().unwrap();
        assert!(next <= earliest.next_multiple_of(TICK_US), "{next} > {earliest}");
    }
}
