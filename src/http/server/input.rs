//! A connection's input: the bytes received and not parsed yet.
//!
//! The buffer is zero-filled once, when it grows, and then read into again
//! and again: zeroing a 16 KiB chunk before every `recv` cost more than the
//! rest of a small request's parsing. A connection holds one only while it
//! has bytes pending; otherwise the server lends it one to read into
//! (`Server::readable`, `Server::give_back`). Parsed bytes are passed over, not
//! shifted out one request at a time; the bytes left move to the front only
//! when the room behind them runs short.

/// Bytes received and not parsed yet (`buf[start..end]`).
#[derive(Debug, Default)]
pub(super) struct Input {
    /// Initialised up to its length, which is the room the buffer has.
    buf: Vec<u8>,
    start: usize,
    end: usize,
}

impl Input {
    /// The bytes not parsed yet.
    pub(super) fn pending(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    pub(super) fn len(&self) -> usize {
        self.end - self.start
    }

    pub(super) fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// The first `n` pending bytes were parsed.
    pub(super) fn consume(&mut self, n: usize) {
        debug_assert!(n <= self.len());
        self.start += n;
        if self.start == self.end {
            self.clear();
        }
    }

    /// Whether it has a buffer to read into (an empty `Input` has none
    /// until [`Input::room`] makes one).
    pub(super) fn holds_buffer(&self) -> bool {
        !self.buf.is_empty()
    }

    /// Drops every pending byte (the buffer stays for the next read).
    pub(super) fn clear(&mut self) {
        self.start = 0;
        self.end = 0;
    }

    /// `n` bytes of room after the pending bytes, to receive into; then
    /// [`Input::filled`] says how many arrived.
    pub(super) fn room(&mut self, n: usize) -> &mut [u8] {
        if self.buf.len() - self.end < n && self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.buf.len() < self.end + n {
            self.buf.resize(self.end + n, 0);
        }
        &mut self.buf[self.end..self.end + n]
    }

    /// `n` bytes were received into the room [`Input::room`] gave.
    pub(super) fn filled(&mut self, n: usize) {
        debug_assert!(self.end + n <= self.buf.len());
        self.end += n;
    }
}

#[cfg(test)]
mod tests {
    use super::Input;

    fn receive(input: &mut Input, bytes: &[u8], room: usize) {
        input.room(room)[..bytes.len()].copy_from_slice(bytes);
        input.filled(bytes.len());
    }

    #[test]
    fn bytes_come_out_in_order_across_reads_and_moves() {
        let mut input = Input::default();
        receive(&mut input, b"abcdef", 8);
        assert_eq!(input.pending(), b"abcdef");
        input.consume(4);
        assert_eq!((input.pending(), input.len()), (&b"ef"[..], 2));
        // Room for 8 more does not fit behind "ef": "ef" moves to the front.
        receive(&mut input, b"ghijklmn", 8);
        assert_eq!(input.pending(), b"efghijklmn");
        assert_eq!(input.buf.len(), 10, "moved, then grown by what was missing");
        input.consume(10);
        assert!(input.is_empty());
        assert_eq!((input.start, input.end), (0, 0), "an emptied buffer starts over at the front");
        receive(&mut input, b"xyz", 8);
        assert_eq!(input.pending(), b"xyz");
        assert_eq!(input.buf.len(), 10, "no growth when the room is there");
        input.clear();
        assert!(input.is_empty() && input.pending().is_empty());
    }
}
