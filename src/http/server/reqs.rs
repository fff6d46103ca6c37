//! The requests the server has taken in and not finished, by
//! [`RequestId`].
//!
//! Requests live in slots that are reused in place: a finished request's
//! slot keeps its buffers (head and body bytes, header list, route
//! parameters) for the request that takes it next, so taking a request in
//! costs no allocation and no move of its record. The buffers kept in free
//! slots are bounded in bytes, so a burst of requests, or one large body,
//! does not leave its memory behind.

use std::mem::size_of;

use super::super::head::Head;
use super::super::route::{Params, RouteId};
use super::{Out, RequestId};
use crate::Handle;

/// Bytes of buffers the free slots may keep.
const KEEP_BYTES: usize = 4 << 20;

#[derive(Debug)]
pub(super) struct Req {
    live: bool,
    gen: u32,
    /// Bytes of buffers this slot keeps while free (counted in
    /// `Reqs::kept`).
    kept: usize,
    pub(super) conn: Handle,
    /// The head, then the body.
    pub(super) buf: Vec<u8>,
    pub(super) head: Head,
    pub(super) route: RouteId,
    pub(super) params: Params,
    pub(super) out: Out,
    /// A HEAD request: the response has no body.
    pub(super) head_only: bool,
    /// The connection closes after this response.
    pub(super) close: bool,
    /// Made by the server itself (an error response): the program never
    /// heard of it.
    pub(super) internal: bool,
    /// Its body is handed over as it arrives (`Server::stream_body`).
    pub(super) streamed: bool,
    /// The whole body arrived (a streamed request).
    pub(super) body_done: bool,
    /// An `Event::Body` is out and not answered by `take_body` yet.
    pub(super) body_event: bool,
    /// Body bytes `take_body` handed out so far.
    pub(super) taken: u64,
}

/// What is left of a request that ended.
#[derive(Clone, Copy, Debug)]
pub(super) struct Ended {
    pub(super) conn: Handle,
    pub(super) close: bool,
    pub(super) internal: bool,
}

#[derive(Debug, Default)]
pub(super) struct Reqs {
    slots: Vec<Req>,
    /// Free slots, the last freed last.
    free: Vec<u32>,
    next_gen: u32,
    /// Bytes of buffers the free slots keep.
    kept: usize,
}

impl Reqs {
    pub(super) fn get(&self, id: RequestId) -> Option<&Req> {
        self.slots.get(id.slot as usize).filter(|q| q.live && q.gen == id.gen)
    }

    pub(super) fn get_mut(&mut self, id: RequestId) -> Option<&mut Req> {
        self.slots.get_mut(id.slot as usize).filter(|q| q.live && q.gen == id.gen)
    }

    /// Takes in a request on connection `conn`: a slot with empty buffers
    /// and `out` Waiting; the caller fills in the rest (the head's fields
    /// are the last request's).
    pub(super) fn insert(&mut self, conn: Handle) -> (RequestId, &mut Req) {
        // Never 0: a raw id of 0 (`RequestId::to_raw`) names no request.
        self.next_gen = self.next_gen.wrapping_add(1).max(1);
        let gen = self.next_gen;
        let slot = match self.free.pop() {
            Some(slot) => slot as usize,
            None => {
                self.slots.push(Req {
                    live: false,
                    gen: 0,
                    kept: 0,
                    conn,
                    buf: Vec::new(),
                    head: Head::default(),
                    route: RouteId::FALLBACK,
                    params: Params::new(),
                    out: Out::Waiting,
                    head_only: false,
                    close: false,
                    internal: false,
                    streamed: false,
                    body_done: false,
                    body_event: false,
                    taken: 0,
                });
                self.slots.len() - 1
            }
        };
        let q = &mut self.slots[slot];
        self.kept -= q.kept;
        q.kept = 0;
        q.live = true;
        q.gen = gen;
        q.conn = conn;
        q.route = RouteId::FALLBACK;
        q.head_only = false;
        q.close = false;
        q.internal = false;
        q.streamed = false;
        q.body_done = false;
        q.body_event = false;
        q.taken = 0;
        let id = RequestId {
            slot: u32::try_from(slot).expect("fewer than 2^32 requests"),
            gen,
        };
        (id, q)
    }

    /// Ends request `id` (None when it is not live): a file being sent
    /// closes, and the slot's buffers are emptied, kept while the free
    /// slots keep less than [`KEEP_BYTES`].
    pub(super) fn remove(&mut self, id: RequestId) -> Option<Ended> {
        let kept = self.kept;
        let q = self.get_mut(id)?;
        let ended = Ended {
            conn: q.conn,
            close: q.close,
            internal: q.internal,
        };
        q.live = false;
        if !matches!(q.out, Out::Waiting) {
            q.out = Out::Waiting;
        }
        q.buf.clear();
        q.head.headers.clear();
        q.params.clear();
        let bytes = q.buf.capacity()
            + q.head.headers.capacity() * size_of::<(std::ops::Range<u32>, std::ops::Range<u32>)>()
            + q.params.capacity() * size_of::<(u16, std::ops::Range<u32>)>();
        if kept + bytes <= KEEP_BYTES {
            q.kept = bytes;
        } else {
            q.buf = Vec::new();
            q.head.headers = Vec::new();
            q.params = Params::new();
        }
        self.kept += q.kept;
        self.free.push(id.slot);
        Some(ended)
    }

    /// Drops every request (their ids stay stale: generations go on).
    pub(super) fn clear(&mut self) {
        self.slots.clear();
        self.free.clear();
        self.kept = 0;
    }

    /// Every live request.
    pub(super) fn iter_mut(&mut self) -> impl Iterator<Item = &mut Req> {
        self.slots.iter_mut().filter(|q| q.live)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slot_is_reused_with_its_buffers_and_a_new_generation() {
        let mut reqs = Reqs::default();
        let conn = Handle::new(1, 1);
        let (a, q) = reqs.insert(conn);
        q.buf.extend_from_slice(b"GET / HTTP/1.1\r\n\r\n");
        q.close = true;
        let cap = q.buf.capacity();
        let ended = reqs.remove(a).expect("live");
        assert_eq!((ended.conn, ended.close, ended.internal), (conn, true, false));
        assert!(reqs.get(a).is_none() && reqs.remove(a).is_none(), "an ended request is stale");
        assert_eq!(reqs.kept, cap);
        let (b, q) = reqs.insert(conn);
        assert_eq!(b.slot, a.slot);
        assert_ne!(b.gen, a.gen);
        assert!(q.buf.is_empty() && q.buf.capacity() == cap && !q.close, "emptied, capacity kept");
        assert_eq!(reqs.kept, 0, "a taken slot's buffers are no longer counted as kept");
        assert!(reqs.get(a).is_none() && reqs.get(b).is_some());
        assert_eq!(reqs.iter_mut().count(), 1);
        reqs.clear();
        let (c, _) = reqs.insert(conn);
        assert_eq!(c.slot, b.slot);
        assert!(reqs.get(b).is_none(), "an id from before clear() names nothing");
    }

    #[test]
    fn free_slots_keep_a_bounded_number_of_bytes() {
        let mut reqs = Reqs::default();
        let conn = Handle::new(1, 1);
        let ids: Vec<RequestId> = (0..3)
            .map(|_| {
                let (id, q) = reqs.insert(conn);
                q.buf.reserve_exact(KEEP_BYTES / 2 + 1);
                id
            })
            .collect();
        for id in ids {
            reqs.remove(id);
        }
        assert!(reqs.kept <= KEEP_BYTES);
        let with_buffers = reqs.slots.iter().filter(|q| q.buf.capacity() > 0).count();
        assert_eq!(with_buffers, 1, "the first half fits, the second would pass the bound");
    }
}
