//! Message bodies: Content-Length and chunked framing, read incrementally
//! from whatever bytes have arrived, with a size limit. Written once, used
//! by the server for requests and by the client for responses, and fuzzed
//! (`fuzz/fuzz_targets/http_request.rs`).
//!
//! Chunked bodies: a size of 1-16 hex digits (more, or a value past u64,
//! is refused), extensions after `;` ignored, CRLF (or a bare LF, as for
//! heads) after the size and after each chunk's data, trailer fields read
//! and dropped. A chunk line longer than 4 KiB is refused.

use super::head::Reject;

/// The longest chunk-size or trailer line accepted.
const MAX_LINE: usize = 4096;

const BAD_CHUNK: Reject = Reject {
    status: 400,
    why: "malformed chunked body",
};
const TOO_LARGE: Reject = Reject {
    status: 413,
    why: "body larger than the limit",
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Chunk {
    /// Reading a chunk-size line.
    Size,
    /// Inside a chunk: bytes left.
    Data(u64),
    /// After a chunk's data: its CRLF.
    DataEnd,
    /// After the last chunk: trailer lines until an empty one.
    Trailer,
}

/// Where a body stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Body {
    /// Exactly this many bytes are left.
    Length(u64),
    Chunked(ChunkedState),
    /// Everything until the connection closes (a response without framing).
    UntilClose,
    Done,
}

/// A chunked body in progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ChunkedState {
    at: Chunk,
}

impl Body {
    pub(crate) fn chunked() -> Body {
        Body::Chunked(ChunkedState { at: Chunk::Size })
    }

    /// Takes body bytes from the front of `input`, appending the content to
    /// `out` (whose length counts against `max`). Returns how many bytes of
    /// `input` were used; `self` is `Done` once the body is complete.
    pub(crate) fn feed(&mut self, input: &[u8], out: &mut Vec<u8>, max: u64) -> Result<usize, Reject> {
        match self {
            Body::Done => Ok(0),
            Body::Length(left) => {
                let take = input.len().min(usize::try_from(*left).unwrap_or(usize::MAX));
                push(out, &input[..take], max)?;
                *left -= take as u64;
                if *left == 0 {
                    *self = Body::Done;
                }
                Ok(take)
            }
            Body::UntilClose => {
                push(out, input, max)?;
                Ok(input.len())
            }
            Body::Chunked(state) => {
                let (used, done) = state.feed(input, out, max)?;
                if done {
                    *self = Body::Done;
                }
                Ok(used)
            }
        }
    }
}

fn push(out: &mut Vec<u8>, data: &[u8], max: u64) -> Result<(), Reject> {
    if (out.len() + data.len()) as u64 > max {
        return Err(TOO_LARGE);
    }
    out.extend_from_slice(data);
    Ok(())
}

/// One line (without its CRLF or LF) at the front of `input`, and the bytes
/// it took; `None` when it is not complete yet.
fn line(input: &[u8]) -> Result<Option<(&[u8], usize)>, Reject> {
    match input.iter().position(|&b| b == b'\n') {
        Some(i) => {
            if i > MAX_LINE {
                return Err(BAD_CHUNK);
            }
            let l = &input[..i];
            let l = l.strip_suffix(b"\r").unwrap_or(l);
            if l.contains(&b'\r') {
                return Err(BAD_CHUNK);
            }
            Ok(Some((l, i + 1)))
        }
        None if input.len() > MAX_LINE => Err(BAD_CHUNK),
        None => Ok(None),
    }
}

/// A chunk-size line's size: hex digits, then nothing or `;extensions`.
fn chunk_size(l: &[u8]) -> Result<u64, Reject> {
    let digits = l.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    if digits == 0 || digits > 16 {
        return Err(BAD_CHUNK);
    }
    let rest = &l[digits..];
    let rest = rest.trim_ascii_start();
    if !rest.is_empty() && rest[0] != b';' {
        return Err(BAD_CHUNK);
    }
    let mut n = 0u64;
    for &d in &l[..digits] {
        let v = (d as char).to_digit(16).ok_or(BAD_CHUNK)?;
        n = n.checked_mul(16).and_then(|n| n.checked_add(u64::from(v))).ok_or(BAD_CHUNK)?;
    }
    Ok(n)
}

/// The outcome of one step of the chunked decoder.
enum Step {
    /// Used this many bytes; more may follow.
    Used(usize),
    /// Needs more input.
    More,
    /// The body is complete after this many bytes.
    Done(usize),
}

impl ChunkedState {
    /// Decodes from `input`: the bytes used, and whether the body ended.
    fn feed(&mut self, input: &[u8], out: &mut Vec<u8>, max: u64) -> Result<(usize, bool), Reject> {
        let mut used = 0;
        loop {
            match self.step(&input[used..], out, max)? {
                Step::Used(n) => used += n,
                Step::More => return Ok((used, false)),
                Step::Done(n) => return Ok((used + n, true)),
            }
        }
    }

    fn step(&mut self, input: &[u8], out: &mut Vec<u8>, max: u64) -> Result<Step, Reject> {
        if input.is_empty() {
            return Ok(Step::More);
        }
        match self.at {
            Chunk::Size => {
                let Some((l, n)) = line(input)? else {
                    return Ok(Step::More);
                };
                let size = chunk_size(l)?;
                self.at = if size == 0 { Chunk::Trailer } else { Chunk::Data(size) };
                Ok(Step::Used(n))
            }
            Chunk::Data(left) => {
                let take = input.len().min(usize::try_from(left).unwrap_or(usize::MAX));
                push(out, &input[..take], max)?;
                self.at = if left == take as u64 { Chunk::DataEnd } else { Chunk::Data(left - take as u64) };
                Ok(Step::Used(take))
            }
            Chunk::DataEnd => {
                let Some((l, n)) = line(input)? else {
                    return Ok(Step::More);
                };
                if !l.is_empty() {
                    return Err(BAD_CHUNK);
                }
                self.at = Chunk::Size;
                Ok(Step::Used(n))
            }
            Chunk::Trailer => {
                let Some((l, n)) = line(input)? else {
                    return Ok(Step::More);
                };
                if l.is_empty() {
                    return Ok(Step::Done(n));
                }
                // A trailer field: read and dropped (mnet exposes none).
                Ok(Step::Used(n))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `wire` one byte at a time (the worst split) and whole.
    fn decode(wire: &[u8]) -> Result<Vec<u8>, Reject> {
        let mut whole = Vec::new();
        let mut b = Body::chunked();
        let used = b.feed(wire, &mut whole, 1 << 20)?;
        assert_eq!(b, Body::Done, "complete when fed whole");
        assert_eq!(used, wire.len(), "the whole body, nothing after it");
        let mut bytewise = Vec::new();
        let mut b = Body::chunked();
        let mut pending = Vec::new();
        for &byte in wire {
            pending.push(byte);
            let n = b.feed(&pending, &mut bytewise, 1 << 20)?;
            pending.drain(..n);
        }
        assert_eq!(b, Body::Done);
        assert_eq!(whole, bytewise, "the same content however it arrives");
        Ok(whole)
    }

    #[test]
    fn chunked_bodies() {
        assert_eq!(decode(b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-T: 1\r\n\r\n").unwrap(), b"hello world");
        assert_eq!(decode(b"0\r\n\r\n").unwrap(), b"");
        assert_eq!(decode(b"3\nabc\n0\n\n").unwrap(), b"abc", "bare LF");
        for bad in [&b"x\r\n"[..], b"5\r\nhelloX\r\n", b"11111111111111111\r\n", b"-1\r\n", b"5 5\r\n"] {
            let mut b = Body::chunked();
            assert_eq!(b.feed(bad, &mut Vec::new(), 1 << 20), Err(BAD_CHUNK), "{:?}", String::from_utf8_lossy(bad));
        }
        let mut b = Body::chunked();
        assert_eq!(b.feed(b"ffffffffffffffff\r\n", &mut Vec::new(), 100).unwrap(), 18, "a size is only a promise");
        assert_eq!(b.feed(&[0u8; 200], &mut Vec::new(), 100), Err(TOO_LARGE));
    }

    #[test]
    fn length_bodies() {
        let mut b = Body::Length(5);
        let mut out = Vec::new();
        assert_eq!(b.feed(b"hel", &mut out, 10).unwrap(), 3);
        assert_eq!(b.feed(b"loEXTRA", &mut out, 10).unwrap(), 2);
        assert_eq!((b, out.as_slice()), (Body::Done, &b"hello"[..]));
        assert_eq!(Body::Length(20).feed(&[0; 20], &mut Vec::new(), 10), Err(TOO_LARGE));
    }
}
