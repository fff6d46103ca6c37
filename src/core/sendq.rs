//! The per-channel send queue: bytes the kernel did not take yet, in order.
//!
//! For a stream, consecutive small sends are merged into the tail chunk (so a
//! round of pipelined responses leaves with one `sendmsg`), and the queue is
//! handed to the kernel as an iovec array. For a datagram socket each entry
//! stays one datagram with its own destination. `len` is exact at all times:
//! it is what `cached()` reports. An empty queue owns no heap memory, so an
//! idle connection costs nothing here.
//!
//! A busy server fills and empties queues every round (pipelined responses
//! are gathered, then written at the round's end). So that this costs no
//! allocation per round, emptied small buffers and chunk lists go to a
//! small per-thread pool instead of back to the allocator; the pool is
//! bounded, and idle connections hold nothing.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{self, IoSlice, Write};
use std::net::SocketAddr;

/// A tail chunk grows by merging until it holds this many bytes.
const MERGE_MAX: usize = 64 * 1024;

/// Most iovecs handed to one `sendmsg`.
pub(crate) const MAX_IOV: usize = 64;

/// Small chunks start with this capacity and return to the pool if they
/// never grew past it.
const POOLED_BUF: usize = 4096;
/// Most spare buffers (and spare chunk lists) a thread keeps.
const POOL_MAX: usize = 256;

#[derive(Default)]
struct Pool {
    bufs: Vec<Vec<u8>>,
    lists: Vec<VecDeque<Chunk>>,
}

thread_local! {
    static POOL: RefCell<Pool> = RefCell::new(Pool::default());
}

fn take_buf(data: &[u8]) -> Vec<u8> {
    if data.len() >= POOLED_BUF {
        return data.to_vec();
    }
    let mut buf = POOL
        .with(|p| p.borrow_mut().bufs.pop())
        .unwrap_or_else(|| Vec::with_capacity(POOLED_BUF));
    buf.extend_from_slice(data);
    buf
}

fn give_buf(mut buf: Vec<u8>) {
    if buf.capacity() == POOLED_BUF {
        buf.clear();
        POOL.with(|p| {
            let mut p = p.borrow_mut();
            if p.bufs.len() < POOL_MAX {
                p.bufs.push(buf);
            }
        });
    }
}

#[derive(Debug)]
struct Chunk {
    buf: Vec<u8>,
    off: usize,
    to: Option<SocketAddr>,
}

#[derive(Debug, Default)]
pub(crate) struct SendQueue {
    chunks: VecDeque<Chunk>,
    len: usize,
}

impl SendQueue {
    /// Exact number of bytes queued.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0 && self.chunks.is_empty()
    }

    /// Appends stream bytes, merging into the tail chunk when it is small.
    pub fn push_stream(&mut self, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        self.len += data.len();
        if let Some(tail) = self.chunks.back_mut() {
            if tail.buf.len() + data.len() <= MERGE_MAX {
                tail.buf.extend_from_slice(data);
                return;
            }
        }
        if self.chunks.capacity() == 0 {
            if let Some(list) = POOL.with(|p| p.borrow_mut().lists.pop()) {
                self.chunks = list;
            }
        }
        self.chunks.push_back(Chunk {
            buf: take_buf(data),
            off: 0,
            to: None,
        });
    }

    /// Appends one datagram (kept whole, with its destination if any).
    pub fn push_datagram(&mut self, data: &[u8], to: Option<SocketAddr>) {
        self.len += data.len();
        self.chunks.push_back(Chunk {
            buf: data.to_vec(),
            off: 0,
            to,
        });
    }

    /// The queued stream bytes when they are one chunk (the usual case: a
    /// round's sends merge into the tail chunk), for a plain `send`.
    pub fn single(&self) -> Option<&[u8]> {
        match self.chunks.len() {
            1 => self.chunks.front().map(|c| &c.buf[c.off..]),
            _ => None,
        }
    }

    /// Fills `out` with the queued stream bytes, oldest first; returns how
    /// many slices were filled.
    pub fn iovecs<'a>(&'a self, out: &mut [IoSlice<'a>]) -> usize {
        let mut n = 0;
        for (slot, c) in out.iter_mut().zip(self.chunks.iter()) {
            *slot = IoSlice::new(&c.buf[c.off..]);
            n += 1;
        }
        n
    }

    /// Drops `n` written stream bytes from the front.
    pub fn consume(&mut self, mut n: usize) {
        debug_assert!(n <= self.len);
        self.len -= n;
        while n > 0 {
            let Some(front) = self.chunks.front_mut() else {
                break;
            };
            let left = front.buf.len() - front.off;
            if n < left {
                front.off += n;
                return;
            }
            n -= left;
            if let Some(c) = self.chunks.pop_front() {
                give_buf(c.buf);
            }
        }
        if self.chunks.is_empty() {
            self.release();
        }
    }

    /// The oldest queued datagram and its destination.
    pub fn front_datagram(&self) -> Option<(&[u8], Option<SocketAddr>)> {
        self.chunks.front().map(|c| (&c.buf[c.off..], c.to))
    }

    /// Drops the oldest datagram (sent, or refused by the kernel).
    pub fn pop_datagram(&mut self) {
        if let Some(c) = self.chunks.pop_front() {
            self.len -= c.buf.len() - c.off;
        }
        if self.chunks.is_empty() {
            self.release();
        }
    }

    /// Drops everything and frees the memory.
    pub fn clear(&mut self) {
        self.len = 0;
        self.release();
    }

    fn release(&mut self) {
        let mut list = std::mem::take(&mut self.chunks);
        if list.capacity() == 0 || list.capacity() > 16 {
            return;
        }
        while let Some(c) = list.pop_front() {
            give_buf(c.buf);
        }
        POOL.with(|p| {
            let mut p = p.borrow_mut();
            if p.lists.len() < POOL_MAX {
                p.lists.push(list);
            }
        });
    }
}

/// A TLS session writes its records straight into the queue.
impl Write for SendQueue {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.push_stream(buf);
        Ok(buf.len())
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let mut n = 0;
        for b in bufs {
            self.push_stream(b);
            n += b.len();
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_small_sends_and_counts_exactly() {
        let mut q = SendQueue::default();
        for _ in 0..8 {
            q.push_stream(b"0123456789");
        }
        assert_eq!(q.len(), 80);
        let mut iov = [IoSlice::new(&[]); MAX_IOV];
        assert_eq!(q.iovecs(&mut iov), 1, "merged into one chunk");
        q.consume(75);
        assert_eq!(q.len(), 5);
        let mut iov = [IoSlice::new(&[]); MAX_IOV];
        assert_eq!(q.iovecs(&mut iov), 1);
        assert_eq!(&*iov[0], b"56789");
        q.consume(5);
        assert!(q.is_empty());
    }

    #[test]
    fn large_sends_stay_separate_chunks() {
        let mut q = SendQueue::default();
        q.push_stream(&vec![1u8; MERGE_MAX]);
        q.push_stream(&[2u8; 10]);
        let mut iov = [IoSlice::new(&[]); MAX_IOV];
        assert_eq!(q.iovecs(&mut iov), 2);
        q.consume(MERGE_MAX + 3);
        assert_eq!(q.len(), 7);
    }

    #[test]
    fn datagrams_keep_boundaries() {
        let mut q = SendQueue::default();
        q.push_datagram(b"ab", None);
        q.push_datagram(b"cde", None);
        assert_eq!(q.len(), 5);
        assert_eq!(q.front_datagram().unwrap().0, b"ab");
        q.pop_datagram();
        assert_eq!(q.front_datagram().unwrap().0, b"cde");
        q.pop_datagram();
        assert!(q.is_empty());
    }
}
