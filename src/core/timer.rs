//! Repeating per-channel timers: a binary min-heap of deadlines on a monotonic
//! clock, with lazy cancellation.
//!
//! Each channel has at most one timer. Arming it pushes a heap entry tagged
//! with a fresh sequence number; the channel remembers that number, so entries
//! left behind by a re-arm, a stop or a close are recognised and skipped when
//! they reach the top. The heap is rebuilt when such dead entries outnumber the
//! live ones. The next deadline is the previous deadline plus the period (not
//! "now plus the period"), so a timer does not drift; when the loop fell
//! behind by whole periods, the missed ones are skipped rather than fired in a
//! burst.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::OnceLock;
use std::time::Instant;

use super::handle::Handle;

/// Microseconds on the monotonic clock since the first call in this process.
///
/// ```
/// let a = mnet::now_micros();
/// let b = mnet::now_micros();
/// assert!(b >= a);
/// ```
pub fn now_micros() -> u64 {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    ORIGIN.get_or_init(Instant::now).elapsed().as_micros() as u64
}

/// A channel's timer settings.
#[derive(Debug, Default, Clone, Copy)]
pub struct TimerSlot {
    /// Period in microseconds; 0 when stopped.
    pub interval: u64,
    /// The pending deadline (meaningful while `interval != 0`).
    pub deadline: u64,
    /// Sequence number of the live heap entry.
    pub seq: u64,
}

impl TimerSlot {
    /// Whether the timer runs.
    pub fn armed(&self) -> bool {
        self.interval != 0
    }

    /// The first deadline after `now` in this timer's schedule (previous
    /// deadline plus whole periods).
    pub fn next_after(&self, now: u64) -> u64 {
        let next = self.deadline.saturating_add(self.interval);
        if next > now {
            next
        } else {
            let behind = now - self.deadline;
            let periods = behind / self.interval + 1;
            self.deadline.saturating_add(periods.saturating_mul(self.interval))
        }
    }
}

/// A heap entry: when, which arming of which channel's timer.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord, Clone, Copy)]
pub struct Entry {
    /// The deadline (µs).
    pub deadline: u64,
    /// The sequence number of the arming that pushed it.
    pub seq: u64,
    /// The channel.
    pub chann: Handle,
}

/// The heap of pending deadlines of all channels of one reactor.
#[derive(Debug, Default)]
pub struct Timers {
    heap: BinaryHeap<Reverse<Entry>>,
    next_seq: u64,
    live: usize,
}

impl Timers {
    /// Arms `slot` to fire `interval_us` from `now`, replacing any earlier
    /// schedule.
    pub fn arm(&mut self, slot: &mut TimerSlot, chann: Handle, now: u64, interval_us: u64) {
        if !slot.armed() {
            self.live += 1;
        }
        slot.interval = interval_us.max(1);
        self.schedule(slot, chann, now.saturating_add(slot.interval));
    }

    /// Puts `slot` back on the heap at `deadline`.
    pub fn schedule(&mut self, slot: &mut TimerSlot, chann: Handle, deadline: u64) {
        self.next_seq += 1;
        slot.deadline = deadline;
        slot.seq = self.next_seq;
        self.heap.push(Reverse(Entry {
            deadline,
            seq: slot.seq,
            chann,
        }));
    }

    /// Stops `slot`; its heap entry becomes dead.
    pub fn stop(&mut self, slot: &mut TimerSlot) {
        if slot.armed() {
            self.live -= 1;
            slot.interval = 0;
        }
    }

    /// The earliest deadline on the heap (possibly a dead entry, which only
    /// makes a wait end early).
    pub fn next_deadline(&self) -> Option<u64> {
        self.heap.peek().map(|e| e.0.deadline)
    }

    /// Pops the top entry if it is due at `now`.
    pub fn pop_due(&mut self, now: u64) -> Option<Entry> {
        match self.heap.peek() {
            Some(Reverse(e)) if e.deadline <= now => self.heap.pop().map(|e| e.0),
            _ => None,
        }
    }

    /// Drops dead entries once they outnumber live ones, so a timer re-armed
    /// in a loop cannot grow the heap without bound.
    pub fn compact_if_needed(&mut self, is_live: impl Fn(&Entry) -> bool) {
        if self.heap.len() > 2 * self.live + 64 {
            let mut v = std::mem::take(&mut self.heap).into_vec();
            v.retain(|e| is_live(&e.0));
            self.heap = BinaryHeap::from(v);
        }
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.heap.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_does_not_drift_and_skips_missed_periods() {
        let mut s = TimerSlot {
            interval: 10,
            deadline: 100,
            seq: 0,
        };
        assert_eq!(s.next_after(103), 110, "late by 3: next stays on the grid");
        assert_eq!(s.next_after(135), 140, "late by 3 periods: no burst");
        s.deadline = 140;
        assert_eq!(s.next_after(140), 150);
    }

    #[test]
    fn huge_intervals_saturate_instead_of_wrapping() {
        let mut t = Timers::default();
        let mut slot = TimerSlot::default();
        t.arm(&mut slot, Handle::new(1, 1), 1_000, u64::MAX / 2 + 7);
        assert_eq!(slot.deadline, 1_000 + u64::MAX / 2 + 7);
        assert!(t.pop_due(u64::MAX / 4).is_none(), "not due early after a wrap");
        assert_eq!(slot.next_after(slot.deadline), u64::MAX, "the next deadline saturates");
    }

    #[test]
    fn dead_entries_are_skipped_and_compacted() {
        let mut t = Timers::default();
        let mut slot = TimerSlot::default();
        let h = Handle::new(1, 1);
        for _ in 0..1000 {
            t.arm(&mut slot, h, 0, 5);
            let seq = slot.seq;
            t.compact_if_needed(|e| e.seq == seq);
        }
        assert!(t.len() <= 2 + 64 + 1, "heap holds {} entries", t.len());
        let mut live = 0;
        while let Some(e) = t.pop_due(10) {
            live += usize::from(e.seq == slot.seq);
        }
        assert_eq!(live, 1, "exactly one entry is the live one");
        t.stop(&mut slot);
        assert!(!slot.armed());
    }
}
