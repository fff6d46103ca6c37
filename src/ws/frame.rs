//! Frame headers (RFC 6455 §5.2): reading them a byte at a time as they
//! arrive, writing them, and masking payloads.

/// Continuation of a fragmented message.
pub(crate) const OP_CONT: u8 = 0x0;
/// A text message (UTF-8).
pub(crate) const OP_TEXT: u8 = 0x1;
/// A binary message.
pub(crate) const OP_BINARY: u8 = 0x2;
/// Close.
pub(crate) const OP_CLOSE: u8 = 0x8;
/// Ping.
pub(crate) const OP_PING: u8 = 0x9;
/// Pong.
pub(crate) const OP_PONG: u8 = 0xA;

/// The longest header: 2 bytes, an 8-byte length, a 4-byte mask.
pub(crate) const MAX_HEADER: usize = 14;

/// A parsed frame header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Header {
    pub fin: bool,
    pub rsv1: bool,
    /// RSV2 or RSV3: no extension mnet speaks defines them.
    pub rsv23: bool,
    pub opcode: u8,
    pub mask: Option<[u8; 4]>,
    pub len: u64,
}

impl Header {
    /// Whether the opcode is a control frame's (close, ping, pong, and the
    /// reserved 0xB-0xF).
    pub fn is_control(&self) -> bool {
        self.opcode & 0x8 != 0
    }
}

/// What the bytes so far say about a header.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Parsed {
    /// The header is complete and took this many bytes.
    Header(Header, usize),
    /// This many bytes in all are needed before it can be read.
    Need(usize),
    /// A 64-bit length with its top bit set (RFC 6455 §5.2 forbids it).
    BadLength,
}

/// Reads the header at the front of `b`.
pub(crate) fn parse(b: &[u8]) -> Parsed {
    if b.len() < 2 {
        return Parsed::Need(2);
    }
    let masked = b[1] & 0x80 != 0;
    let (ext, len7) = match b[1] & 0x7f {
        126 => (2, 126),
        127 => (8, 127),
        n => (0, n),
    };
    let total = 2 + ext + if masked { 4 } else { 0 };
    if b.len() < total {
        return Parsed::Need(total);
    }
    let len = match len7 {
        126 => u64::from(u16::from_be_bytes([b[2], b[3]])),
        127 => {
            let n = u64::from_be_bytes([b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9]]);
            if n >> 63 != 0 {
                return Parsed::BadLength;
            }
            n
        }
        n => u64::from(n),
    };
    let mask = masked.then(|| {
        let m = 2 + ext;
        [b[m], b[m + 1], b[m + 2], b[m + 3]]
    });
    Parsed::Header(
        Header {
            fin: b[0] & 0x80 != 0,
            rsv1: b[0] & 0x40 != 0,
            rsv23: b[0] & 0x30 != 0,
            opcode: b[0] & 0x0f,
            mask,
            len,
        },
        total,
    )
}

/// Writes a header into `out`; returns its length.
pub(crate) fn write(out: &mut [u8; MAX_HEADER], fin: bool, rsv1: bool, opcode: u8, len: u64, mask: Option<[u8; 4]>) -> usize {
    out[0] = (u8::from(fin) << 7) | (u8::from(rsv1) << 6) | (opcode & 0x0f);
    let bit = if mask.is_some() { 0x80 } else { 0 };
    let mut n = if len < 126 {
        out[1] = bit | len as u8;
        2
    } else if let Ok(short) = u16::try_from(len) {
        out[1] = bit | 126;
        out[2..4].copy_from_slice(&short.to_be_bytes());
        4
    } else {
        out[1] = bit | 127;
        out[2..10].copy_from_slice(&len.to_be_bytes());
        10
    };
    if let Some(m) = mask {
        out[n..n + 4].copy_from_slice(&m);
        n += 4;
    }
    n
}

/// XORs `data` with `mask`, `offset` bytes into the payload (the same call
/// masks and unmasks).
pub(crate) fn apply_mask(data: &mut [u8], mask: [u8; 4], offset: usize) {
    let mut key = [0u8; 4];
    for (i, k) in key.iter_mut().enumerate() {
        *k = mask[(offset + i) & 3];
    }
    let wide = u64::from_ne_bytes([key[0], key[1], key[2], key[3], key[0], key[1], key[2], key[3]]);
    let mut chunks = data.chunks_exact_mut(8);
    for c in &mut chunks {
        let v = u64::from_ne_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]) ^ wide;
        c.copy_from_slice(&v.to_ne_bytes());
    }
    for (i, b) in chunks.into_remainder().iter_mut().enumerate() {
        *b ^= key[i & 3];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(len: u64, mask: Option<[u8; 4]>) {
        let mut out = [0u8; MAX_HEADER];
        let n = write(&mut out, true, false, OP_BINARY, len, mask);
        for cut in 0..n {
            assert!(matches!(parse(&out[..cut]), Parsed::Need(k) if k > cut), "len {len}, cut {cut}");
        }
        let Parsed::Header(h, used) = parse(&out[..n]) else { panic!("len {len}") };
        assert_eq!((h.len, h.mask, h.opcode, h.fin, used), (len, mask, OP_BINARY, true, n));
    }

    #[test]
    fn lengths_use_7_16_and_64_bits() {
        for len in [0, 1, 125, 126, 65535, 65536, 1 << 40, (1 << 63) - 1] {
            round_trip(len, None);
            round_trip(len, Some([1, 2, 3, 4]));
        }
        let mut out = [0u8; MAX_HEADER];
        assert_eq!(write(&mut out, true, false, OP_TEXT, 125, None), 2);
        assert_eq!(write(&mut out, true, false, OP_TEXT, 126, None), 4);
        assert_eq!(write(&mut out, true, false, OP_TEXT, 65536, Some([0; 4])), 14);
    }

    #[test]
    fn a_64_bit_length_with_the_top_bit_set_is_refused() {
        let b = [0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 1];
        assert_eq!(parse(&b), Parsed::BadLength);
    }

    #[test]
    fn bits_are_read() {
        let Parsed::Header(h, 2) = parse(&[0x71, 0x00]) else { panic!() };
        assert!(!h.fin && h.rsv1 && h.rsv23 && h.opcode == OP_TEXT && h.mask.is_none());
        let Parsed::Header(h, 2) = parse(&[0x89, 0x00]) else { panic!() };
        assert!(h.fin && h.is_control() && h.opcode == OP_PING);
    }

    #[test]
    fn masking_at_any_offset_matches_byte_by_byte() {
        let mask = [0x12, 0x34, 0x56, 0x78];
        let data: Vec<u8> = (0..100u8).collect();
        for offset in 0..4 {
            let mut fast = data.clone();
            apply_mask(&mut fast, mask, offset);
            let slow: Vec<u8> = data.iter().enumerate().map(|(i, b)| b ^ mask[(offset + i) % 4]).collect();
            assert_eq!(fast, slow);
            let mut split = data.clone();
            apply_mask(&mut split[..13], mask, offset);
            apply_mask(&mut split[13..], mask, offset + 13);
            assert_eq!(split, slow, "masking in two pieces");
        }
    }
}
