//! The protocol without I/O (RFC 6455 §5-7, RFC 7692 §6-7): bytes in,
//! messages and control frames out; messages in, frames out. The reader
//! takes bytes in any pieces and keeps at most a partial header of its own
//! (payloads go straight into the message being built); the writer hands
//! its frames to a sink piece by piece, so a server's unmasked payload is
//! not copied, unless the frame is small enough that one piece costs less.

use super::deflate::{Shared, State};
use super::frame::{self, Header, Parsed, MAX_HEADER, OP_BINARY, OP_CLOSE, OP_CONT, OP_PING, OP_PONG, OP_TEXT};
use super::utf8::Utf8;

/// Why the connection fails: the close code to send and a sentence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Fail {
    pub code: u16,
    pub why: &'static str,
}

impl Fail {
    pub const fn new(code: u16, why: &'static str) -> Fail {
        Fail { code, why }
    }
}

const fn protocol(why: &'static str) -> Fail {
    Fail::new(1002, why)
}

/// Which end of the connection this is: a server reads masked frames and
/// writes unmasked ones, a client the other way round.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    Server,
    Client,
}

/// Size limits on what the peer sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Limits {
    pub max_frame: u64,
    pub max_message: usize,
}

/// What the reader found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Incoming {
    /// A whole message (text is valid UTF-8).
    Message { text: bool, data: Vec<u8> },
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    /// The peer's close: its code (1005 when it gave none) and reason.
    Close { code: u16, reason: String },
}

/// Whether a close code may be sent on the wire (RFC 6455 §7.4; 1004,
/// 1005, 1006 and 1015 are reserved, 1016-2999 unassigned, 5000 and up
/// undefined).
pub(crate) fn valid_close_code(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

#[derive(Debug)]
struct Frame {
    opcode: u8,
    fin: bool,
    mask: Option<[u8; 4]>,
    /// Payload bytes read so far (the mask's phase).
    done: u64,
    left: u64,
}

#[derive(Debug)]
struct Message {
    text: bool,
    compressed: bool,
    data: Vec<u8>,
}

/// The reading half.
#[derive(Debug)]
pub(crate) struct Reader {
    role: Role,
    limits: Limits,
    head: [u8; MAX_HEADER],
    head_len: usize,
    frame: Option<Frame>,
    msg: Option<Message>,
    utf8: Utf8,
    control: Vec<u8>,
    /// A close frame arrived: nothing after it is read.
    closed: bool,
}

impl Reader {
    pub fn new(role: Role, limits: Limits) -> Reader {
        Reader {
            role,
            limits,
            head: [0; MAX_HEADER],
            head_len: 0,
            frame: None,
            msg: None,
            utf8: Utf8::default(),
            control: Vec::new(),
            closed: false,
        }
    }

    /// Reads `input` (unmasked in place), handing what it completes to
    /// `out` in order. After an error nothing more may be read; after a
    /// close, the rest is ignored.
    pub fn read(
        &mut self,
        mut input: &mut [u8],
        mut deflate: Option<&mut State>,
        shared: &mut Shared,
        out: &mut impl FnMut(Incoming),
    ) -> Result<(), Fail> {
        loop {
            if self.closed {
                return Ok(());
            }
            let Some(f) = self.frame.as_mut() else {
                if input.is_empty() {
                    return Ok(());
                }
                input = self.read_header(input, deflate.as_deref())?;
                continue;
            };
            if f.left > 0 && input.is_empty() {
                return Ok(());
            }
            let take = usize::try_from(f.left).map_or(input.len(), |l| l.min(input.len()));
            let (chunk, rest) = std::mem::take(&mut input).split_at_mut(take);
            input = rest;
            if let Some(m) = f.mask {
                frame::apply_mask(chunk, m, (f.done & 3) as usize);
            }
            f.done += take as u64;
            f.left -= take as u64;
            let end = f.left == 0;
            self.payload(chunk, deflate.as_deref_mut(), shared)?;
            if end {
                self.end_frame(deflate.as_deref_mut(), shared, out)?;
            }
        }
    }

    /// Reads (the rest of) a header from the front of `input`; returns what
    /// follows it.
    fn read_header<'a>(&mut self, input: &'a mut [u8], deflate: Option<&State>) -> Result<&'a mut [u8], Fail> {
        if self.head_len == 0 {
            match frame::parse(input) {
                Parsed::Header(h, used) => {
                    self.start_frame(h, deflate)?;
                    return Ok(&mut input[used..]);
                }
                Parsed::BadLength => return Err(protocol("a 64-bit frame length has its top bit set")),
                Parsed::Need(_) => {}
            }
        }
        let mut input = input;
        loop {
            let need = match frame::parse(&self.head[..self.head_len]) {
                Parsed::Header(h, _) => {
                    self.head_len = 0;
                    self.start_frame(h, deflate)?;
                    return Ok(input);
                }
                Parsed::BadLength => return Err(protocol("a 64-bit frame length has its top bit set")),
                Parsed::Need(n) => n,
            };
            if input.is_empty() {
                return Ok(input);
            }
            let take = (need - self.head_len).min(input.len());
            self.head[self.head_len..self.head_len + take].copy_from_slice(&input[..take]);
            self.head_len += take;
            input = &mut input[take..];
        }
    }

    /// Checks a header against the rules and limits, and starts its frame.
    fn start_frame(&mut self, h: Header, deflate: Option<&State>) -> Result<(), Fail> {
        if h.rsv23 {
            return Err(protocol("RSV2 or RSV3 is set and no extension defines them"));
        }
        match (self.role, h.mask.is_some()) {
            (Role::Server, false) => return Err(protocol("a client frame is not masked")),
            (Role::Client, true) => return Err(protocol("a server frame is masked")),
            _ => {}
        }
        match h.opcode {
            OP_CLOSE | OP_PING | OP_PONG => {
                if !h.fin {
                    return Err(protocol("a control frame is fragmented"));
                }
                if h.len > 125 {
                    return Err(protocol("a control frame is longer than 125 bytes"));
                }
                if h.rsv1 {
                    return Err(protocol("RSV1 is set on a control frame"));
                }
            }
            OP_CONT => {
                if self.msg.is_none() {
                    return Err(protocol("a continuation frame without a message to continue"));
                }
                if h.rsv1 {
                    return Err(protocol("RSV1 is set on a continuation frame"));
                }
            }
            OP_TEXT | OP_BINARY => {
                if self.msg.is_some() {
                    return Err(protocol("a new message began before the previous one ended"));
                }
                if h.rsv1 && deflate.is_none() {
                    return Err(protocol("RSV1 is set and permessage-deflate was not agreed"));
                }
            }
            _ => return Err(protocol("a reserved opcode")),
        }
        if h.len > self.limits.max_frame {
            return Err(Fail::new(1009, "a frame is larger than the limit"));
        }
        if !h.is_control() {
            let so_far = self.msg.as_ref().map_or(0, |m| m.data.len() as u64);
            let compressed = h.rsv1 || self.msg.as_ref().is_some_and(|m| m.compressed);
            if !compressed && so_far + h.len > self.limits.max_message as u64 {
                return Err(Fail::new(1009, "a message is larger than the limit"));
            }
            if h.opcode != OP_CONT {
                // Room for the whole payload when it comes in one frame (up
                // to 256 KiB: a header alone must not reserve megabytes).
                let hint = if h.fin && !h.rsv1 { h.len.min(256 * 1024) as usize } else { 0 };
                self.msg = Some(Message {
                    text: h.opcode == OP_TEXT,
                    compressed: h.rsv1,
                    data: Vec::with_capacity(hint),
                });
            }
        }
        self.frame = Some(Frame {
            opcode: h.opcode,
            fin: h.fin,
            mask: h.mask,
            done: 0,
            left: h.len,
        });
        Ok(())
    }

    fn payload(&mut self, chunk: &[u8], deflate: Option<&mut State>, shared: &mut Shared) -> Result<(), Fail> {
        let Some(f) = &self.frame else {
            return Ok(());
        };
        if f.opcode & 0x8 != 0 {
            self.control.extend_from_slice(chunk);
            return Ok(());
        }
        let Some(m) = self.msg.as_mut() else {
            return Ok(());
        };
        let start = m.data.len();
        match deflate {
            Some(d) if m.compressed => d.inflate(chunk, false, &mut m.data, self.limits.max_message, shared)?,
            _ => m.data.extend_from_slice(chunk),
        }
        if m.text && !self.utf8.feed(&m.data[start..]) {
            return Err(Fail::new(1007, "a text message is not valid UTF-8"));
        }
        Ok(())
    }

    fn end_frame(&mut self, deflate: Option<&mut State>, shared: &mut Shared, out: &mut impl FnMut(Incoming)) -> Result<(), Fail> {
        let Some(f) = self.frame.take() else {
            return Ok(());
        };
        match f.opcode {
            OP_PING => out(Incoming::Ping(std::mem::take(&mut self.control))),
            OP_PONG => out(Incoming::Pong(std::mem::take(&mut self.control))),
            OP_CLOSE => {
                let body = std::mem::take(&mut self.control);
                let (code, reason) = match body.len() {
                    0 => (1005, String::new()),
                    1 => return Err(protocol("a close frame with a one-byte body")),
                    _ => {
                        let code = u16::from_be_bytes([body[0], body[1]]);
                        if !valid_close_code(code) {
                            return Err(protocol("a close frame with an invalid code"));
                        }
                        let reason = String::from_utf8(body[2..].to_vec())
                            .map_err(|_| Fail::new(1007, "a close reason is not valid UTF-8"))?;
                        (code, reason)
                    }
                };
                self.closed = true;
                out(Incoming::Close { code, reason });
            }
            _ if f.fin => {
                let Some(mut m) = self.msg.take() else {
                    return Ok(());
                };
                if let Some(d) = deflate.filter(|_| m.compressed) {
                    let start = m.data.len();
                    d.inflate(&[], true, &mut m.data, self.limits.max_message, shared)?;
                    if m.text && !self.utf8.feed(&m.data[start..]) {
                        return Err(Fail::new(1007, "a text message is not valid UTF-8"));
                    }
                }
                if m.text && !self.utf8.finish() {
                    return Err(Fail::new(1007, "a text message ends inside a UTF-8 character"));
                }
                out(Incoming::Message { text: m.text, data: m.data });
            }
            _ => {}
        }
        Ok(())
    }
}

/// Random bytes for client masks, drawn from the system 4 KiB at a time
/// (made on the first masked frame).
#[derive(Debug, Default)]
struct Masks {
    pool: Vec<u8>,
    used: usize,
}

impl Masks {
    fn next(&mut self) -> [u8; 4] {
        if self.used + 4 > self.pool.len() {
            self.pool.resize(4096, 0);
            super::handshake::random(&mut self.pool);
            self.used = 0;
        }
        let m = [self.pool[self.used], self.pool[self.used + 1], self.pool[self.used + 2], self.pool[self.used + 3]];
        self.used += 4;
        m
    }
}

/// What writers use while framing, shared by the connections of an
/// endpoint (a connection keeps no output buffer of its own): the
/// compressed message, a frame built in one piece (a client's masked one,
/// or a small one), and the random pool for masks.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    compressed: Vec<u8>,
    whole: Vec<u8>,
    masks: Masks,
}

/// Unmasked frames with a payload up to this size go to the sink in one
/// piece, header and payload copied together: a send through the reactor
/// costs more than copying a few hundred bytes (the reactor copies a small
/// send into its queue anyway), and an echo of 64-byte messages spent 6 %
/// of its instructions on the second send.
const ONE_PIECE_MAX: usize = 1024;

/// The writing half.
#[derive(Debug)]
pub(crate) struct Writer {
    /// A client's: every frame is masked.
    mask: bool,
    /// Split outgoing messages into frames of at most this many bytes (0:
    /// one frame per message).
    fragment: usize,
    threshold: usize,
}

impl Writer {
    pub fn new(role: Role, fragment: usize, threshold: usize) -> Writer {
        Writer {
            mask: role == Role::Client,
            fragment,
            threshold,
        }
    }

    /// Frames `payload` as `opcode` (compressed when agreed and long
    /// enough, fragmented when asked, masked for a client) and hands the
    /// bytes to `sink`, which stops at its first `false`.
    pub fn write(
        &self,
        opcode: u8,
        payload: &[u8],
        deflate: Option<&mut State>,
        shared: &mut Shared,
        scratch: &mut Scratch,
        sink: &mut impl FnMut(&[u8]) -> bool,
    ) -> bool {
        let Scratch { compressed, whole, masks } = scratch;
        let mut rsv1 = false;
        let mut body = payload;
        if let Some(d) = deflate {
            if opcode & 0x8 == 0 && payload.len() >= self.threshold {
                compressed.clear();
                if d.compress(payload, compressed, shared) {
                    rsv1 = true;
                    body = compressed;
                }
            }
        }
        let step = if self.fragment == 0 || opcode & 0x8 != 0 { usize::MAX } else { self.fragment };
        let mut first = true;
        let mut rest = body;
        let sent = loop {
            let n = rest.len().min(step);
            let (piece, after) = rest.split_at(n);
            rest = after;
            let fin = rest.is_empty();
            let op = if first { opcode } else { OP_CONT };
            let mask = self.mask.then(|| masks.next());
            let mut head = [0u8; MAX_HEADER];
            let hl = frame::write(&mut head, fin, rsv1 && first, op, piece.len() as u64, mask);
            first = false;
            let ok = match mask {
                Some(m) => {
                    // One buffer, one send: the header and the masked copy.
                    whole.clear();
                    whole.extend_from_slice(&head[..hl]);
                    whole.extend_from_slice(piece);
                    frame::apply_mask(&mut whole[hl..], m, 0);
                    sink(whole)
                }
                None if piece.len() <= ONE_PIECE_MAX => {
                    whole.clear();
                    whole.extend_from_slice(&head[..hl]);
                    whole.extend_from_slice(piece);
                    sink(whole)
                }
                None => sink(&head[..hl]) && sink(piece),
            };
            if !ok || fin {
                break ok;
            }
        };
        // Shared buffers, but no need to keep a huge one.
        for b in [compressed, whole] {
            if b.capacity() > 1 << 20 {
                *b = Vec::new();
            }
        }
        sent
    }
}

/// A close frame's body: the code and up to 123 bytes of reason (cut at a
/// character boundary).
pub(crate) fn close_body(code: u16, reason: &str) -> Vec<u8> {
    let mut cut = reason.len().min(123);
    while !reason.is_char_boundary(cut) {
        cut -= 1;
    }
    let mut b = Vec::with_capacity(2 + cut);
    b.extend_from_slice(&code.to_be_bytes());
    b.extend_from_slice(&reason.as_bytes()[..cut]);
    b
}

#[cfg(test)]
mod tests;
