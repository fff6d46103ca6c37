//! The server's connections, found by their channel's handle without
//! hashing: a handle's slot index (the reactor's own table slot) leads to
//! the connection, and the handle kept with it must match the whole handle,
//! generation included, so a stale handle finds nothing.
//!
//! A connection is looked up several times per request; SipHash of a
//! `HashMap<Handle, _>` made that a fifth of the server's instructions on
//! pipelined requests.

use slab::Slab;

use super::Conn;
use crate::Handle;

/// Connections by handle.
#[derive(Debug, Default)]
pub(super) struct Conns {
    /// For each reactor slot index, 1 + the key in `conns` of the
    /// connection on that slot, or 0. One `u32` per slot the reactor has
    /// used, whatever kind of channel took it: the reactor reuses its slots,
    /// so this grows with its largest table, not with traffic.
    by_slot: Vec<u32>,
    conns: Slab<(Handle, Conn)>,
}

impl Conns {
    fn key(&self, h: Handle) -> Option<usize> {
        let key = (*self.by_slot.get(h.index())? as usize).checked_sub(1)?;
        (self.conns.get(key)?.0 == h).then_some(key)
    }

    pub(super) fn contains(&self, h: Handle) -> bool {
        self.key(h).is_some()
    }

    pub(super) fn get(&self, h: Handle) -> Option<&Conn> {
        self.key(h).map(|k| &self.conns[k].1)
    }

    pub(super) fn get_mut(&mut self, h: Handle) -> Option<&mut Conn> {
        self.key(h).map(|k| &mut self.conns[k].1)
    }

    /// Adds the connection of `h` (a channel the reactor just accepted, so
    /// none is there yet).
    pub(super) fn insert(&mut self, h: Handle, c: Conn) {
        let slot = h.index();
        if let Some(old) = self.key(h) {
            self.conns[old].1 = c;
            return;
        }
        let key = self.conns.insert((h, c));
        if self.by_slot.len() <= slot {
            self.by_slot.resize(slot + 1, 0);
        }
        // A connection still filed under this slot belonged to a channel
        // that is gone (its handle's generation is older): it is forgotten.
        if let Some(stale) = (self.by_slot[slot] as usize).checked_sub(1) {
            self.conns.remove(stale);
        }
        self.by_slot[slot] = u32::try_from(key + 1).expect("fewer than 2^32 connections");
    }

    pub(super) fn remove(&mut self, h: Handle) -> Option<Conn> {
        let key = self.key(h)?;
        self.by_slot[h.index()] = 0;
        Some(self.conns.remove(key).1)
    }

    /// Takes every connection out.
    pub(super) fn drain(&mut self) -> impl Iterator<Item = (Handle, Conn)> + '_ {
        self.by_slot.clear();
        self.conns.drain()
    }

    pub(super) fn len(&self) -> usize {
        self.conns.len()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.conns.is_empty()
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = (Handle, &Conn)> {
        self.conns.iter().map(|(_, (h, c))| (*h, c))
    }

    pub(super) fn values_mut(&mut self) -> impl Iterator<Item = &mut Conn> {
        self.conns.iter_mut().map(|(_, (_, c))| c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_handle_finds_its_connection_and_a_stale_one_finds_nothing() {
        let mut t = Conns::default();
        let (a, b) = (Handle::new(3, 1), Handle::new(7, 1));
        t.insert(a, Conn::new(10, None));
        t.insert(b, Conn::new(20, None));
        assert_eq!(t.get(a).map(|c| c.deadline), Some(10));
        assert_eq!(t.get(b).map(|c| c.deadline), Some(20));
        let a_later = Handle::new(3, 2);
        assert!(!t.contains(a_later), "same slot, another generation");
        assert!(!t.contains(Handle::new(4, 1)) && !t.contains(Handle::new(1000, 1)));
        assert!(t.remove(a).is_some() && t.remove(a).is_none());
        t.insert(a_later, Conn::new(30, None));
        assert!(!t.contains(a));
        assert_eq!(t.get_mut(a_later).map(|c| c.deadline), Some(30));
        assert_eq!(t.len(), 2);
        // A slot whose channel went without a word is taken over.
        let a_third = Handle::new(3, 3);
        t.insert(a_third, Conn::new(40, None));
        assert_eq!((t.len(), t.contains(a_later)), (2, false));
        assert_eq!(t.iter().map(|(h, _)| h.index()).sum::<usize>(), 10);
        assert_eq!(t.drain().count(), 2);
        assert!(t.is_empty() && !t.contains(b));
    }
}
