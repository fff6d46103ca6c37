//! Channel handles: a slab index plus a generation.

use std::fmt;

/// Names one channel of a [`Reactor`](crate::Reactor).
///
/// The low 32 bits are the channel's slot in the reactor's table, the high 32
/// bits a generation number that changes every time a slot is reused. A handle
/// kept after its channel was closed therefore never reaches the channel that
/// later took the same slot: every call with it returns
/// [`Error::StaleHandle`](crate::Error::StaleHandle). The raw value 0 is never
/// a valid handle.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Handle(u64);

impl Handle {
    /// The handle that names no channel (raw value 0).
    pub const NONE: Handle = Handle(0);

    pub(crate) fn new(index: usize, gen: u32) -> Handle {
        debug_assert!(index <= u32::MAX as usize && gen != 0);
        Handle((u64::from(gen) << 32) | index as u64)
    }

    /// Rebuilds a handle from [`Handle::to_raw`], e.g. after it crossed into C++.
    pub const fn from_raw(raw: u64) -> Handle {
        Handle(raw)
    }

    /// The 64-bit value of this handle.
    pub const fn to_raw(self) -> u64 {
        self.0
    }

    /// Whether this is [`Handle::NONE`].
    pub const fn is_none(self) -> bool {
        self.0 == 0
    }

    pub(crate) fn index(self) -> usize {
        (self.0 & 0xffff_ffff) as usize
    }

    pub(crate) fn gen(self) -> u32 {
        (self.0 >> 32) as u32
    }

    /// The mio token a socket of this channel is registered under: the whole
    /// handle where `usize` holds 64 bits, so a readiness report for a socket
    /// closed earlier in the same batch never reaches the channel that took
    /// its slot. Narrower targets keep the index only and check the
    /// registration round instead (`Chann::registered`).
    pub(crate) fn token(self) -> mio::Token {
        #[cfg(target_pointer_width = "64")]
        return mio::Token(self.0 as usize);
        #[cfg(not(target_pointer_width = "64"))]
        return mio::Token(self.index());
    }

    /// The handle (or, on narrow targets, the slot with generation 0) a
    /// token was made from.
    pub(crate) fn from_token(t: mio::Token) -> Handle {
        Handle(t.0 as u64)
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Handle({}#{})", self.index(), self.gen())
    }
}
