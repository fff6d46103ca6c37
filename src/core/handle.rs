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
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Handle({}#{})", self.index(), self.gen())
    }
}
