//! Per-connection deadlines (idle timeouts, TLS handshakes) on a
//! hierarchical timing wheel: arming, moving and cancelling one costs O(1)
//! whatever the number of connections, and touches no memory but the
//! channel's claim and the end of one slot's array.
//!
//! Time moves in ticks of 1 ms. Six levels of 64 slots; a slot of level `l`
//! spans 64^l ticks, so the levels reach 64 ms, 4.1 s, 4.4 min, 4.7 h, 12.4
//! days and 2.2 years ahead. An entry goes to the lowest level whose span
//! still separates its deadline from the wheel's time (the highest group of
//! 6 bits in which the two differ). When the wheel reaches a slot of a
//! higher level, that slot's entries cascade to lower levels, so an entry
//! moves at most once per level however long it waits. Deadlines beyond
//! the top level wait in its farthest slot and are placed again when it
//! comes round. An entry never comes out before its deadline: deadlines
//! round up to whole ticks and the wheel's time rounds down, so it comes out
//! at most a tick (plus the poll's own rounding) late.
//!
//! Each slot is an array of entries, so arming appends, a cascade walks
//! memory in order, and a bit per slot tells which slots hold entries (the
//! next one is found in at most six steps). Cancelling is lazy, as it was
//! on the heap this replaces: a channel's claim carries the sequence number
//! of its live entry, so stopping or moving a deadline only changes the
//! claim; the old entry is skipped when it comes out, and dropped with the
//! others when dead entries outnumber live ones (a pass over the slots,
//! paid for by the cancellations that made them). Following links to
//! unlink an entry at once would cost a cache miss per touch at a million
//! connections (measured: `bench/rust/src/bin/deadline_bench.rs`).

use super::handle::Handle;

/// Microseconds per tick.
pub const TICK_US: u64 = 1000;
const LEVELS: usize = 6;
const SLOT_BITS: u32 = 6;
const SLOTS: usize = 1 << SLOT_BITS;
/// The list of entries due now, after the slots.
const DUE: usize = LEVELS * SLOTS;
/// Ticks the top level reaches ahead.
const REACH: u64 = 1 << (SLOT_BITS * LEVELS as u32);
/// A slot array emptied by a cascade keeps its memory up to this many
/// entries (a burst does not pin its peak).
const KEEP: usize = 1024;

/// A channel's claim on the wheel (one per kind of deadline): the sequence
/// number of its live entry, 0 when stopped.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    seq: u64,
}

impl Deadline {
    /// Whether the claim has a live entry (or one that just fired and that
    /// its owner has not stopped or moved yet).
    pub fn armed(&self) -> bool {
        self.seq != 0
    }

    /// Whether `entry` is this claim's live entry (not one it left behind).
    pub fn is(&self, entry: &Entry) -> bool {
        self.seq != 0 && self.seq == entry.seq
    }
}

/// An entry of the wheel: a deadline, and which arming of which channel's
/// claim made it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// The deadline (µs).
    pub when: u64,
    /// The channel.
    pub chann: Handle,
    /// The claim's sequence number when it was armed.
    pub seq: u64,
}

/// The deadlines of all channels of one reactor.
#[derive(Debug)]
pub struct Wheel {
    /// Each slot's entries, then the entries due now.
    slots: Vec<Vec<Entry>>,
    /// Per level, a bit for each slot that holds entries.
    occupied: [u64; LEVELS],
    /// The wheel's time in ticks: every slot before it has been handled.
    elapsed: u64,
    next_seq: u64,
    /// Armed claims.
    live: usize,
    /// Entries held, dead ones included.
    held: usize,
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
            slots: (0..=DUE).map(|_| Vec::new()).collect(),
            occupied: [0; LEVELS],
            elapsed: now / TICK_US,
            next_seq: 0,
            live: 0,
            held: 0,
        }
    }

    /// Arms `claim` to come due at `when` (µs), replacing any earlier
    /// deadline of it: O(1).
    pub fn arm(&mut self, claim: &mut Deadline, chann: Handle, when: u64) {
        if !claim.armed() {
            self.live += 1;
        }
        self.schedule(claim, chann, when);
    }

    /// Gives an armed `claim` a new deadline (after its entry came out, or
    /// to move it): O(1); an entry it had is left dead.
    pub fn schedule(&mut self, claim: &mut Deadline, chann: Handle, when: u64) {
        self.next_seq += 1;
        claim.seq = self.next_seq;
        self.held += 1;
        self.place(Entry {
            when,
            chann,
            seq: self.next_seq,
        });
    }

    /// Stops `claim`: O(1); its entry, if still held, is dead.
    pub fn stop(&mut self, claim: &mut Deadline) {
        if claim.armed() {
            self.live -= 1;
            claim.seq = 0;
        }
    }

    /// The time (µs) at which the wheel next has work: an entry's deadline,
    /// or a cascade of a higher level (which only makes a wait end early).
    pub fn next_deadline(&self) -> Option<u64> {
        if !self.slots[DUE].is_empty() {
            return Some(self.elapsed * TICK_US);
        }
        self.next_expiration().map(|(_, tick)| tick.saturating_mul(TICK_US))
    }

    /// Takes out one entry whose deadline is at or before `now` (µs), moving
    /// the wheel's time up to `now` on the way. The entry may be dead: the
    /// caller keeps it only if a claim [`is`](Deadline::is) it.
    pub fn pop_due(&mut self, now: u64) -> Option<Entry> {
        let now_tick = now / TICK_US;
        loop {
            if let Some(e) = self.slots[DUE].pop() {
                self.held -= 1;
                return Some(e);
            }
            match self.next_expiration() {
                Some((slot, tick)) if tick <= now_tick => {
                    self.elapsed = tick;
                    self.cascade(slot);
                }
                _ => {
                    self.elapsed = self.elapsed.max(now_tick);
                    return None;
                }
            }
        }
    }

    /// Drops dead entries once they outnumber live ones, so deadlines moved
    /// or stopped in a loop cannot grow the wheel without bound.
    pub fn compact_if_needed(&mut self, is_live: impl Fn(&Entry) -> bool) {
        if self.held <= 2 * self.live + 64 {
            return;
        }
        self.held = 0;
        for (i, slot) in self.slots.iter_mut().enumerate() {
            slot.retain(&is_live);
            self.held += slot.len();
            if slot.is_empty() && i < DUE {
                self.occupied[i / SLOTS] &= !(1 << (i % SLOTS));
            }
        }
    }

    /// Armed claims.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.live
    }

    /// Entries held, dead ones included.
    #[cfg(test)]
    pub(crate) fn held(&self) -> usize {
        self.held
    }

    /// Puts `e` in the slot its deadline belongs to now.
    fn place(&mut self, e: Entry) {
        let tick = tick_of(e.when);
        if tick <= self.elapsed {
            return self.slots[DUE].push(e);
        }
        let t = tick.min(self.elapsed + REACH - 1);
        let differ = (self.elapsed ^ t) | (SLOTS as u64 - 1);
        let level = ((63 - differ.leading_zeros()) / SLOT_BITS).min(LEVELS as u32 - 1);
        let slot = level as usize * SLOTS + ((t >> (level * SLOT_BITS)) as usize & (SLOTS - 1));
        self.slots[slot].push(e);
        self.occupied[level as usize] |= 1 << (slot % SLOTS);
    }

    /// The next slot to handle and the tick at which it starts. Lower
    /// levels come first: everything in them is due before the next slot
    /// of any higher level starts.
    fn next_expiration(&self) -> Option<(usize, u64)> {
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
            Some((level * SLOTS + slot, tick))
        })
    }

    /// The wheel reached `slot`: its entries go where they belong now (a
    /// lower level, or the due list).
    fn cascade(&mut self, slot: usize) {
        let mut entries = std::mem::take(&mut self.slots[slot]);
        self.occupied[slot / SLOTS] &= !(1 << (slot % SLOTS));
        for e in entries.drain(..) {
            self.place(e);
        }
        if entries.capacity() <= KEEP && self.slots[slot].is_empty() {
            self.slots[slot] = entries;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator (xorshift64*).
    struct Rng(u64);
    impl Rng {
        fn below(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
        }
    }

    const HOUR: u64 = 3_600_000_000;

    fn h(i: usize) -> Handle {
        Handle::new(i, 1)
    }

    /// Moves time to `now`: the live entries that come out are checked
    /// (due, once) and their claims stopped; dead ones are skipped, as the
    /// reactor does. Returns how many live entries came out.
    fn advance(w: &mut Wheel, now: u64, claims: &mut [Deadline], when: &[u64], fired: &mut [u32]) -> usize {
        let mut count = 0;
        while let Some(e) = w.pop_due(now) {
            let i = e.chann.index();
            assert!(tick_of(e.when) <= now / TICK_US, "an entry of {i} came out at {now}, before {}", e.when);
            if claims[i].is(&e) {
                assert_eq!(e.when, when[i]);
                fired[i] += 1;
                assert_eq!(fired[i], 1, "entry {i} fired twice");
                w.stop(&mut claims[i]);
                count += 1;
            }
        }
        w.compact_if_needed(|e| claims[e.chann.index()].is(e));
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
        let mut claims = vec![Deadline::default(); n];
        for i in 0..n {
            w.arm(&mut claims[i], h(i), when[i]);
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
            total += advance(&mut w, now, &mut claims, &when, &mut fired);
            // Exactly the entries whose tick has come are out: none early,
            // none left behind.
            let due = ticks.partition_point(|&t| t <= now / TICK_US);
            assert_eq!(total, due, "at {now}: {total} fired, {due} due");
        }
        assert_eq!((w.len(), w.held()), (0, 0));
        assert_eq!(w.next_deadline(), None);
    }

    #[test]
    fn random_operations_match_a_simple_model() {
        // Deadlines armed, moved and stopped while time moves, checked
        // against a plain list of deadlines.
        for seed in 1..=20u64 {
            let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
            let mut now = rng.below(1 << 40);
            let mut w = Wheel::new(now);
            let n = 300;
            let mut claims = vec![Deadline::default(); n];
            let mut model: Vec<Option<u64>> = vec![None; n];
            let spans = [2_000, 70_000, 5_000_000, 300_000_000, 20 * HOUR];
            for _ in 0..20_000 {
                let i = rng.below(n as u64) as usize;
                let span = spans[rng.below(spans.len() as u64) as usize];
                if rng.below(4) == 0 {
                    w.stop(&mut claims[i]);
                    model[i] = None;
                } else {
                    let when = now + rng.below(span);
                    w.arm(&mut claims[i], h(i), when);
                    model[i] = Some(when);
                }
                if rng.below(3) == 0 {
                    now += rng.below(span / 4);
                    while let Some(e) = w.pop_due(now) {
                        let i = e.chann.index();
                        if claims[i].is(&e) {
                            assert_eq!(model[i].take(), Some(e.when), "only the live deadline fires");
                            assert!(tick_of(e.when) <= now / TICK_US, "fired early");
                            w.stop(&mut claims[i]);
                        }
                    }
                    for (i, m) in model.iter().enumerate() {
                        assert!(m.is_none_or(|t| tick_of(t) > now / TICK_US), "entry {i} left behind");
                    }
                }
                w.compact_if_needed(|e| claims[e.chann.index()].is(e));
                assert_eq!(w.len(), model.iter().filter(|m| m.is_some()).count());
                assert!(w.held() <= 2 * w.len() + 64, "dead entries are compacted: {}", w.held());
            }
        }
    }

    #[test]
    fn a_moved_or_stopped_claim_ignores_its_old_entries() {
        let mut w = Wheel::new(0);
        let (mut a, mut b) = (Deadline::default(), Deadline::default());
        w.arm(&mut a, h(1), 5_000);
        w.arm(&mut a, h(1), 9_000); // moved later
        w.arm(&mut b, h(2), 6_000);
        w.stop(&mut b);
        assert_eq!((w.len(), w.held()), (1, 3));
        let out: Vec<Entry> = std::iter::from_fn(|| w.pop_due(8_000)).collect();
        assert_eq!(out.len(), 2);
        assert!(out.iter().all(|e| !a.is(e) && !b.is(e)), "both are dead");
        let e = w.pop_due(9_000).unwrap();
        assert!(a.is(&e) && e.when == 9_000);
    }

    #[test]
    fn far_deadlines_cascade_down_and_never_fire_early() {
        let mut w = Wheel::new(0);
        let years = 5 * 8766 * HOUR; // beyond the top level's reach
        let (mut far, mut never) = (Deadline::default(), Deadline::default());
        w.arm(&mut far, h(1), years);
        w.arm(&mut never, h(2), u64::MAX);
        let mut now = 0;
        let mut seen = None;
        while now < years + 10 * HOUR {
            now += 10 * HOUR;
            if let Some(e) = w.pop_due(now) {
                assert!(far.is(&e) && seen.is_none() && now >= years);
                seen = Some(now);
            }
            assert!(w.next_deadline().is_some(), "a pending entry keeps the loop waking");
        }
        assert_eq!(seen, Some(years.next_multiple_of(10 * HOUR)));
        assert_eq!(w.held(), 1, "the u64::MAX deadline waits on");
        assert_eq!(w.pop_due(u64::MAX - 1), None);
    }

    #[test]
    fn the_next_deadline_is_never_later_than_the_earliest_entry() {
        let mut rng = Rng(3);
        let mut w = Wheel::new(0);
        let mut claims = vec![Deadline::default(); 500];
        let mut earliest = u64::MAX;
        for (i, c) in claims.iter_mut().enumerate() {
            let when = 1 + rng.below(100 * HOUR);
            earliest = earliest.min(when);
            w.arm(c, h(i), when);
        }
        let next = w.next_deadline().unwrap();
        assert!(next <= earliest.next_multiple_of(TICK_US), "{next} > {earliest}");
    }
}
