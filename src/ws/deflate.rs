//! permessage-deflate (RFC 7692): the offer and its answer, and the
//! compressor and decompressor of a connection.
//!
//! zlib state is large (zlib-rs with 15-bit windows: about 420 KiB for a
//! connection's compressor and decompressor together, measured by
//! tests/ws_idle.rs), so a side that keeps no context between messages
//! (`*_no_context_takeover`) uses one compressor or decompressor shared by
//! every connection of the endpoint, reset after each message; only a side
//! that keeps context has state of its own, made on its first compressed
//! message.

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

use super::codec::Fail;

/// The tail every compressed message ends with before it is stripped (RFC
/// 7692 §7.2.1), put back before decompressing.
const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// permessage-deflate settings of an endpoint. "Own" is the side this
/// endpoint compresses, "peer" the side it decompresses; each side's
/// parameters go into the offer (client) or the answer (server) under the
/// RFC's `server_*`/`client_*` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeflateOptions {
    /// Offer (client) or accept (server) the extension at all.
    pub enabled: bool,
    /// zlib compression level, 0 to 9.
    pub level: u32,
    /// Messages shorter than this many bytes are sent uncompressed.
    pub threshold: usize,
    /// Compress each message on its own: no per-connection compressor
    /// (zlib keeps a window of `2^own_max_window_bits` bytes and several
    /// times that in tables; most of the 420 KiB a connection otherwise
    /// holds at 15 bits), at some cost in ratio.
    pub own_no_context_takeover: bool,
    /// Ask the peer to compress each message on its own: no
    /// per-connection decompressor (its `2^peer_max_window_bits`-byte
    /// window and state).
    pub peer_no_context_takeover: bool,
    /// The largest window this side compresses with, 9 to 15 (the peer may
    /// ask for less; an offer asking for 8 is declined, zlib cannot
    /// make that window).
    pub own_max_window_bits: u8,
    /// The largest window the peer may compress with, 9 to 15 (asked for
    /// when the peer's offer allows it).
    pub peer_max_window_bits: u8,
}

impl Default for DeflateOptions {
    /// Enabled, level 1, messages of 64 bytes or more compressed, context
    /// kept both ways, 32 KiB windows.
    fn default() -> DeflateOptions {
        DeflateOptions {
            enabled: true,
            level: 1,
            threshold: 64,
            own_no_context_takeover: false,
            peer_no_context_takeover: false,
            own_max_window_bits: 15,
            peer_max_window_bits: 15,
        }
    }
}

/// What was agreed for one connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Params {
    pub own_bits: u8,
    pub own_reset: bool,
    pub peer_bits: u8,
    pub peer_reset: bool,
}

/// One extension of a `Sec-WebSocket-Extensions` list: its name and
/// parameters (values unquoted).
pub(crate) type Extension = (String, Vec<(String, Option<String>)>);

fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

/// Parses `Sec-WebSocket-Extensions` values (RFC 6455 §9.1); `None` when
/// the syntax is broken.
pub(crate) fn parse_extensions<'a>(values: impl IntoIterator<Item = &'a str>) -> Option<Vec<Extension>> {
    let mut out = Vec::new();
    for value in values {
        let mut s = value.trim();
        if s.is_empty() {
            continue;
        }
        loop {
            let (name, rest) = token(s)?;
            let mut params = Vec::new();
            s = rest.trim_start();
            while let Some(rest) = s.strip_prefix(';') {
                let (pname, rest) = token(rest.trim_start())?;
                s = rest.trim_start();
                let mut value = None;
                if let Some(rest) = s.strip_prefix('=') {
                    let rest = rest.trim_start();
                    let (v, rest) = match rest.strip_prefix('"') {
                        Some(q) => {
                            let end = q.find('"')?;
                            let v = &q[..end];
                            // A quoted value must still be a token (RFC 6455 §9.1).
                            if v.is_empty() || !v.chars().all(is_tchar) {
                                return None;
                            }
                            (v, &q[end + 1..])
                        }
                        None => token(rest)?,
                    };
                    value = Some(v.to_owned());
                    s = rest.trim_start();
                }
                params.push((pname.to_ascii_lowercase(), value));
            }
            out.push((name.to_ascii_lowercase(), params));
            match s.strip_prefix(',') {
                Some(rest) => s = rest.trim_start(),
                None if s.is_empty() => break,
                None => return None,
            }
        }
    }
    Some(out)
}

fn token(s: &str) -> Option<(&str, &str)> {
    let end = s.find(|c| !is_tchar(c)).unwrap_or(s.len());
    (end > 0).then(|| s.split_at(end))
}

/// Window bits as RFC 7692 writes them: 8 to 15, no leading zero.
fn bits(v: &str) -> Option<u8> {
    if v.starts_with('0') {
        return None;
    }
    v.parse::<u8>().ok().filter(|b| (8..=15).contains(b))
}

fn clamp(b: u8) -> u8 {
    b.clamp(9, 15)
}

/// The parameters of one offer, or `None` for an offer a server must
/// decline (an unknown, repeated or malformed parameter).
#[derive(Default)]
struct Offer {
    server_no_context: bool,
    client_no_context: bool,
    server_bits: Option<u8>,
    /// `Some(None)`: offered without a value.
    client_bits: Option<Option<u8>>,
}

fn read_offer(params: &[(String, Option<String>)]) -> Option<Offer> {
    let mut o = Offer::default();
    let mut seen = Vec::new();
    for (name, value) in params {
        if seen.contains(&name.as_str()) {
            return None;
        }
        seen.push(name.as_str());
        match (name.as_str(), value.as_deref()) {
            ("server_no_context_takeover", None) => o.server_no_context = true,
            ("client_no_context_takeover", None) => o.client_no_context = true,
            ("server_max_window_bits", Some(v)) => o.server_bits = Some(bits(v)?),
            ("client_max_window_bits", None) => o.client_bits = Some(None),
            ("client_max_window_bits", Some(v)) => o.client_bits = Some(Some(bits(v)?)),
            _ => return None,
        }
    }
    Some(o)
}

/// A server's choice among the client's offers: the first it can honour,
/// with the `Sec-WebSocket-Extensions` value that accepts it.
pub(crate) fn server_accept(offers: &[Extension], opts: &DeflateOptions) -> Option<(Params, String)> {
    if !opts.enabled {
        return None;
    }
    for (name, params) in offers {
        if name != "permessage-deflate" {
            continue;
        }
        let Some(o) = read_offer(params) else {
            continue;
        };
        let own_bits = o.server_bits.unwrap_or(15).min(clamp(opts.own_max_window_bits));
        if own_bits < 9 {
            continue; // asked for 8: zlib cannot
        }
        let own_reset = o.server_no_context || opts.own_no_context_takeover;
        let peer_reset = o.client_no_context || opts.peer_no_context_takeover;
        let mut answer = String::from("permessage-deflate");
        if own_reset {
            answer.push_str("; server_no_context_takeover");
        }
        if peer_reset {
            answer.push_str("; client_no_context_takeover");
        }
        if o.server_bits.is_some() || own_bits < 15 {
            answer.push_str(&format!("; server_max_window_bits={own_bits}"));
        }
        let peer_bits = match o.client_bits {
            Some(offered) => {
                let b = offered.unwrap_or(15).min(clamp(opts.peer_max_window_bits));
                if b < 15 || offered.is_some() {
                    answer.push_str(&format!("; client_max_window_bits={b}"));
                }
                b
            }
            None => 15,
        };
        let params = Params {
            own_bits,
            own_reset,
            peer_bits: clamp(peer_bits),
            peer_reset,
        };
        return Some((params, answer));
    }
    None
}

/// A client's offer (the `Sec-WebSocket-Extensions` value).
pub(crate) fn client_offer(opts: &DeflateOptions) -> String {
    let mut s = String::from("permessage-deflate");
    let own = clamp(opts.own_max_window_bits);
    if own < 15 {
        s.push_str(&format!("; client_max_window_bits={own}"));
    } else {
        s.push_str("; client_max_window_bits");
    }
    let peer = clamp(opts.peer_max_window_bits);
    if peer < 15 {
        s.push_str(&format!("; server_max_window_bits={peer}"));
    }
    if opts.own_no_context_takeover {
        s.push_str("; client_no_context_takeover");
    }
    if opts.peer_no_context_takeover {
        s.push_str("; server_no_context_takeover");
    }
    s
}

/// A client's reading of the server's answer to [`client_offer`]: the
/// agreed parameters, `None` when the server declined, or why the answer
/// is unacceptable (the client then fails the connection).
pub(crate) fn client_accept(answer: &[Extension], opts: &DeflateOptions) -> Result<Option<Params>, &'static str> {
    let Some((name, params)) = answer.first() else {
        return Ok(None);
    };
    if answer.len() > 1 || name != "permessage-deflate" || !opts.enabled {
        return Err("the server answered with an extension that was not offered");
    }
    let o = read_offer(params).ok_or("the server's permessage-deflate parameters are malformed")?;
    let offered_own = clamp(opts.own_max_window_bits);
    let own_bits = match o.client_bits {
        None => offered_own,
        Some(None) => return Err("client_max_window_bits needs a value in an answer"),
        Some(Some(b)) if b > offered_own => return Err("the server raised client_max_window_bits"),
        Some(Some(8)) => return Err("client_max_window_bits=8 cannot be honoured (zlib's smallest window is 9 bits)"),
        Some(Some(b)) => b,
    };
    let asked_peer = clamp(opts.peer_max_window_bits);
    let peer_bits = match o.server_bits {
        Some(b) if asked_peer < 15 && b > asked_peer => return Err("the server raised server_max_window_bits"),
        Some(b) => b,
        None if asked_peer < 15 => return Err("the server ignored server_max_window_bits"),
        None => 15,
    };
    if opts.peer_no_context_takeover && !o.server_no_context {
        return Err("the server ignored server_no_context_takeover");
    }
    Ok(Some(Params {
        own_bits,
        own_reset: o.client_no_context || opts.own_no_context_takeover,
        peer_bits: clamp(peer_bits),
        peer_reset: o.server_no_context,
    }))
}

/// Compressors and decompressors that reset after each message, shared by
/// the connections of one endpoint (one compressor per window size).
#[derive(Default)]
pub(crate) struct Shared {
    compress: [Option<Compress>; 7],
    inflate: Option<Decompress>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("deflate::Shared")
    }
}

/// One connection's compression state.
pub(crate) struct State {
    pub params: Params,
    level: u32,
    own: Option<Compress>,
    peer: Option<Decompress>,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("deflate::State").field("params", &self.params).finish()
    }
}

impl State {
    pub fn new(params: Params, level: u32) -> State {
        State {
            params,
            level: level.min(9),
            own: None,
            peer: None,
        }
    }

    /// Compresses one whole message into `out` (appended), the trailing
    /// `00 00 ff ff` removed. False when zlib failed (send it plain).
    pub fn compress(&mut self, input: &[u8], out: &mut Vec<u8>, shared: &mut Shared) -> bool {
        let (bits, level) = (self.params.own_bits, Compression::new(self.level));
        let c = if self.params.own_reset {
            shared.compress[usize::from(bits - 9)].get_or_insert_with(|| Compress::new_with_window_bits(level, false, bits))
        } else {
            self.own.get_or_insert_with(|| Compress::new_with_window_bits(level, false, bits))
        };
        let start = out.len();
        let ok = deflate(c, input, out);
        if self.params.own_reset || !ok {
            c.reset();
        }
        if !ok || !out[start..].ends_with(&TAIL) {
            out.truncate(start);
            return false;
        }
        out.truncate(out.len() - TAIL.len());
        true
    }

    /// Decompresses the next piece of a compressed message into `out`,
    /// failing with 1009 past `max` bytes; `last` puts back the stripped
    /// tail and ends the message.
    pub fn inflate(&mut self, input: &[u8], last: bool, out: &mut Vec<u8>, max: usize, shared: &mut Shared) -> Result<(), Fail> {
        let bits = self.params.peer_bits;
        let d = if self.params.peer_reset {
            shared.inflate.get_or_insert_with(|| Decompress::new_with_window_bits(false, 15))
        } else {
            self.peer.get_or_insert_with(|| Decompress::new_with_window_bits(false, bits))
        };
        let mut res = inflate(d, input, out, max);
        if last && res.is_ok() {
            res = inflate(d, &TAIL, out, max);
        }
        if (last && self.params.peer_reset) || res.is_err() {
            d.reset(false);
        }
        res
    }
}

/// Runs `input` through `c` with a sync flush, growing `out`.
fn deflate(c: &mut Compress, mut input: &[u8], out: &mut Vec<u8>) -> bool {
    loop {
        out.reserve(input.len() / 2 + 64);
        let before = c.total_in();
        if c.compress_vec(input, out, FlushCompress::Sync).is_err() {
            return false;
        }
        input = &input[(c.total_in() - before) as usize..];
        if input.is_empty() && out.len() < out.capacity() {
            return true;
        }
    }
}

/// Output room kept free before each call to zlib, so that a call that
/// makes no progress with this much room is bad data, not a full buffer
/// (and nothing is held back in zlib for want of room at the end).
const MIN_ROOM: usize = 1024;

fn inflate(d: &mut Decompress, mut input: &[u8], out: &mut Vec<u8>, max: usize) -> Result<(), Fail> {
    loop {
        if out.capacity() - out.len() < MIN_ROOM {
            let room = (max + 1).saturating_sub(out.len()).max(1);
            out.reserve((input.len() * 4).clamp(4096, 1 << 20).min(room));
        }
        let (in0, out0) = (d.total_in(), out.len());
        let status = d
            .decompress_vec(input, out, FlushDecompress::None)
            .map_err(|_| Fail::new(1007, "a compressed message is not valid deflate data"))?;
        input = &input[(d.total_in() - in0) as usize..];
        if out.len() > max {
            return Err(Fail::new(1009, "a message is larger than the limit once decompressed"));
        }
        let progressed = d.total_in() != in0 || out.len() != out0;
        if status == Status::StreamEnd {
            // The peer ended the stream with a final block; what follows
            // starts afresh.
            d.reset(false);
        }
        let roomy = out.capacity() - out.len() >= MIN_ROOM;
        if input.is_empty() {
            if roomy || !progressed {
                return Ok(()); // all read, and nothing held back for want of room
            }
            continue;
        }
        if !progressed {
            if roomy {
                return Err(Fail::new(1007, "a compressed message is not valid deflate data"));
            }
            if out.capacity() > max {
                return Err(Fail::new(1009, "a message is larger than the limit once decompressed"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ext(s: &str) -> Vec<Extension> {
        parse_extensions([s]).unwrap()
    }

    #[test]
    fn extension_lists_are_parsed() {
        let e = ext("permessage-deflate; client_max_window_bits, permessage-deflate; server_max_window_bits=\"10\" , x-foo");
        assert_eq!(e.len(), 3);
        assert_eq!(e[0].1, vec![("client_max_window_bits".into(), None)]);
        assert_eq!(e[1].1, vec![("server_max_window_bits".into(), Some("10".into()))]);
        assert_eq!(e[2], ("x-foo".into(), vec![]));
        for bad in ["permessage-deflate;", "a b", "a; b=\"c d\"", "a; b=\"", ",", "a,,b"] {
            assert!(parse_extensions([bad]).is_none(), "{bad}");
        }
        assert!(parse_extensions(["a", "b; c=1"]).is_some_and(|v| v.len() == 2), "values of several header lines");
    }

    #[test]
    fn the_server_takes_the_first_offer_it_can_honour() {
        let o = DeflateOptions::default();
        let (p, a) = server_accept(&ext("permessage-deflate; client_max_window_bits"), &o).unwrap();
        assert_eq!(a, "permessage-deflate");
        assert_eq!((p.own_bits, p.peer_bits, p.own_reset, p.peer_reset), (15, 15, false, false));
        // 8 bits for the server: zlib cannot, so the next offer is taken.
        let offers = ext("permessage-deflate; server_max_window_bits=8, permessage-deflate; server_no_context_takeover; server_max_window_bits=9");
        let (p, a) = server_accept(&offers, &o).unwrap();
        assert_eq!(a, "permessage-deflate; server_no_context_takeover; server_max_window_bits=9");
        assert_eq!((p.own_bits, p.own_reset), (9, true));
        // Unknown or repeated parameters decline an offer.
        assert!(server_accept(&ext("permessage-deflate; foo"), &o).is_none());
        assert!(server_accept(&ext("permessage-deflate; server_no_context_takeover; server_no_context_takeover"), &o).is_none());
        assert!(server_accept(&ext("permessage-deflate; server_max_window_bits=16"), &o).is_none());
        assert!(server_accept(&ext("permessage-deflate; server_max_window_bits"), &o).is_none());
        assert!(server_accept(&ext("permessage-deflate; client_max_window_bits=010"), &o).is_none());
        assert!(server_accept(&ext("x-webkit-deflate-frame"), &o).is_none());
        let off = DeflateOptions { enabled: false, ..o };
        assert!(server_accept(&ext("permessage-deflate"), &off).is_none());
    }

    #[test]
    fn the_server_asks_for_what_its_options_say() {
        let o = DeflateOptions {
            peer_no_context_takeover: true,
            peer_max_window_bits: 10,
            own_max_window_bits: 12,
            ..DeflateOptions::default()
        };
        let (p, a) = server_accept(&ext("permessage-deflate; client_max_window_bits"), &o).unwrap();
        assert_eq!(
            a,
            "permessage-deflate; client_no_context_takeover; server_max_window_bits=12; client_max_window_bits=10"
        );
        assert_eq!(p, Params { own_bits: 12, own_reset: false, peer_bits: 10, peer_reset: true });
        // Without client_max_window_bits in the offer the client's window
        // cannot be limited.
        let (p, a) = server_accept(&ext("permessage-deflate"), &o).unwrap();
        assert_eq!(a, "permessage-deflate; client_no_context_takeover; server_max_window_bits=12");
        assert_eq!(p.peer_bits, 15);
    }

    #[test]
    fn the_client_checks_the_answer() {
        let o = DeflateOptions::default();
        assert_eq!(client_offer(&o), "permessage-deflate; client_max_window_bits");
        assert_eq!(client_accept(&[], &o), Ok(None));
        let p = client_accept(&ext("permessage-deflate; server_no_context_takeover; client_max_window_bits=10"), &o).unwrap().unwrap();
        assert_eq!(p, Params { own_bits: 10, own_reset: false, peer_bits: 15, peer_reset: true });
        assert!(client_accept(&ext("permessage-deflate; client_max_window_bits=8"), &o).is_err());
        assert!(client_accept(&ext("permessage-deflate; client_max_window_bits"), &o).is_err());
        assert!(client_accept(&ext("x-other"), &o).is_err());
        assert!(client_accept(&ext("permessage-deflate, permessage-deflate"), &o).is_err());
        let asks = DeflateOptions { peer_max_window_bits: 10, peer_no_context_takeover: true, ..o };
        assert_eq!(
            client_offer(&asks),
            "permessage-deflate; client_max_window_bits; server_max_window_bits=10; server_no_context_takeover"
        );
        assert!(client_accept(&ext("permessage-deflate; server_no_context_takeover; server_max_window_bits=11"), &asks).is_err());
        assert!(client_accept(&ext("permessage-deflate; server_max_window_bits=10"), &asks).is_err());
        assert!(client_accept(&ext("permessage-deflate; server_no_context_takeover; server_max_window_bits=9"), &asks).is_ok());
    }

    fn pair(params: Params) -> (State, State, Shared) {
        let flipped = Params {
            own_bits: params.peer_bits,
            own_reset: params.peer_reset,
            peer_bits: params.own_bits,
            peer_reset: params.own_reset,
        };
        (State::new(params, 6), State::new(flipped, 6), Shared::default())
    }

    #[test]
    fn messages_survive_compression_with_and_without_context() {
        let text: Vec<u8> = (0..20_000).map(|i| b"the quick brown fox "[i % 20]).collect();
        for (bits, reset) in [(15, false), (9, false), (15, true), (9, true)] {
            let (mut a, mut b, mut shared) = pair(Params { own_bits: bits, own_reset: reset, peer_bits: bits, peer_reset: reset });
            let mut sizes = Vec::new();
            for _ in 0..3 {
                let mut wire = Vec::new();
                assert!(a.compress(&text, &mut wire, &mut shared));
                sizes.push(wire.len());
                let mut back = Vec::new();
                // In pieces, as frames bring it.
                let (x, y) = wire.split_at(wire.len() / 3);
                b.inflate(x, false, &mut back, 1 << 20, &mut shared).unwrap();
                b.inflate(y, true, &mut back, 1 << 20, &mut shared).unwrap();
                assert_eq!(back, text, "bits {bits}, reset {reset}");
            }
            if !reset {
                assert!(sizes[1] < sizes[0], "context taken over makes the second message smaller: {sizes:?}");
            }
        }
    }

    #[test]
    fn a_final_block_then_more_reads_the_same_in_any_pieces() {
        // 03 00: an empty fixed block with BFINAL set; fd: the start of a
        // new stream. Found by the ws_frames fuzz target: read at once, the
        // reset after the final block looked like a stall.
        let (_, mut b, mut shared) = pair(Params { own_bits: 15, own_reset: false, peer_bits: 15, peer_reset: false });
        let mut out = Vec::new();
        b.inflate(&[0x03, 0x00, 0xfd], false, &mut out, 1 << 20, &mut shared).unwrap();
        let (_, mut b, mut shared) = pair(Params { own_bits: 15, own_reset: false, peer_bits: 15, peer_reset: false });
        b.inflate(&[0x03, 0x00], false, &mut out, 1 << 20, &mut shared).unwrap();
        b.inflate(&[0xfd], false, &mut out, 1 << 20, &mut shared).unwrap();
        assert!(out.is_empty());
    }

    #[test]
    fn decompression_stops_at_the_limit_and_at_garbage() {
        let (mut a, mut b, mut shared) = pair(Params { own_bits: 15, own_reset: false, peer_bits: 15, peer_reset: false });
        let mut wire = Vec::new();
        assert!(a.compress(&vec![0u8; 1 << 20], &mut wire, &mut shared));
        assert!(wire.len() < 2000, "a megabyte of zeros compresses well");
        let mut out = Vec::new();
        let err = b.inflate(&wire, true, &mut out, 64 * 1024, &mut shared).unwrap_err();
        assert_eq!(err.code, 1009);
        assert!(out.len() <= 2 * 64 * 1024 + 4096, "stopped near the limit, not after the whole megabyte");
        let err = b.inflate(&[0xff, 0xff, 0xff], true, &mut Vec::new(), 1 << 20, &mut shared).unwrap_err();
        assert_eq!(err.code, 1007);
    }
}
