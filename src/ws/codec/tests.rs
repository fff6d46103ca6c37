//! One test per protocol rule: frames built by hand (or by the writer),
//! read whole and one byte at a time.

use super::*;
use crate::ws::deflate::Params;

const LIMITS: Limits = Limits {
    max_frame: 1 << 20,
    max_message: 1 << 20,
};
const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// A frame: `bits` are FIN/RSV in the first byte's top nibble.
fn frame(bits: u8, opcode: u8, payload: &[u8], mask: Option<[u8; 4]>) -> Vec<u8> {
    let mut head = [0u8; MAX_HEADER];
    let n = frame::write(&mut head, false, false, opcode, payload.len() as u64, mask);
    head[0] |= bits;
    let mut out = head[..n].to_vec();
    let start = out.len();
    out.extend_from_slice(payload);
    if let Some(m) = mask {
        frame::apply_mask(&mut out[start..], m, 0);
    }
    out
}

const FIN: u8 = 0x80;
const RSV1: u8 = 0x40;

/// A client's frame (masked), as a server reads it.
fn c(bits: u8, opcode: u8, payload: &[u8]) -> Vec<u8> {
    frame(bits, opcode, payload, Some(MASK))
}

fn concat(frames: &[Vec<u8>]) -> Vec<u8> {
    frames.concat()
}

/// Reads `bytes` as `role`, whole and then byte by byte; both readings
/// must agree. Returns what came out and the failure, if any.
fn read_as(role: Role, bytes: &[u8], params: Option<Params>, limits: Limits) -> (Vec<Incoming>, Option<Fail>) {
    let once = |pieces: &mut dyn Iterator<Item = Vec<u8>>| {
        let mut r = Reader::new(role, limits);
        let mut d = params.map(|p| State::new(p, 6));
        let mut shared = Shared::default();
        let mut got = Vec::new();
        for mut piece in pieces {
            if let Err(f) = r.read(&mut piece, d.as_mut(), &mut shared, &mut |i| got.push(i)) {
                return (got, Some(f));
            }
        }
        (got, None)
    };
    let whole = once(&mut std::iter::once(bytes.to_vec()));
    let split = once(&mut bytes.iter().map(|&b| vec![b]));
    assert_eq!(whole, split, "the same reading whole and byte by byte");
    whole
}

fn server_reads(bytes: &[u8]) -> (Vec<Incoming>, Option<Fail>) {
    read_as(Role::Server, bytes, None, LIMITS)
}

fn fails_with(bytes: &[u8], code: u16) {
    let (_, f) = server_reads(bytes);
    assert_eq!(f.map(|f| f.code), Some(code), "{bytes:x?}");
}

fn text(s: &str) -> Incoming {
    Incoming::Message {
        text: true,
        data: s.as_bytes().to_vec(),
    }
}

#[test]
fn a_masked_text_message_is_read() {
    let (got, f) = server_reads(&c(FIN, OP_TEXT, b"Hello"));
    assert_eq!((got, f), (vec![text("Hello")], None));
    let (got, _) = server_reads(&c(FIN, OP_BINARY, &[]));
    assert_eq!(got, vec![Incoming::Message { text: false, data: vec![] }], "an empty message");
    let big = vec![7u8; 70_000];
    let (got, _) = server_reads(&c(FIN, OP_BINARY, &big));
    assert_eq!(got, vec![Incoming::Message { text: false, data: big }], "a 64-bit length");
}

#[test]
fn masking_follows_the_role() {
    fails_with(&frame(FIN, OP_TEXT, b"Hello", None), 1002);
    let (_, f) = read_as(Role::Client, &frame(FIN, OP_TEXT, b"Hello", Some(MASK)), None, LIMITS);
    assert_eq!(f.map(|f| f.code), Some(1002), "a client refuses masked server frames");
    let (got, f) = read_as(Role::Client, &frame(FIN, OP_TEXT, b"Hello", None), None, LIMITS);
    assert_eq!((got, f), (vec![text("Hello")], None));
}

#[test]
fn reserved_bits_fail_the_connection() {
    fails_with(&c(FIN | 0x20, OP_TEXT, b"x"), 1002);
    fails_with(&c(FIN | 0x10, OP_TEXT, b"x"), 1002);
    fails_with(&c(FIN | RSV1, OP_TEXT, b"x"), 1002); // no deflate agreed
    fails_with(&c(FIN | RSV1, OP_PING, b""), 1002);
    let p = Params { own_bits: 15, own_reset: false, peer_bits: 15, peer_reset: false };
    let bytes = concat(&[c(RSV1, OP_TEXT, b""), c(FIN | RSV1, OP_CONT, b"")]);
    let (_, f) = read_as(Role::Server, &bytes, Some(p), LIMITS);
    assert_eq!(f.map(|f| f.code), Some(1002), "RSV1 on a continuation");
}

#[test]
fn reserved_opcodes_fail_the_connection() {
    for op in [3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf] {
        fails_with(&c(FIN, op, b""), 1002);
    }
}

#[test]
fn control_frames_are_short_and_whole() {
    fails_with(&c(0, OP_PING, b"x"), 1002);
    fails_with(&c(FIN, OP_PING, &[0; 126]), 1002);
    let (got, f) = server_reads(&c(FIN, OP_PING, &[1; 125]));
    assert_eq!((got, f), (vec![Incoming::Ping(vec![1; 125])], None));
    let (got, _) = server_reads(&c(FIN, OP_PONG, b"p"));
    assert_eq!(got, vec![Incoming::Pong(b"p".to_vec())]);
}

#[test]
fn fragments_join_with_control_frames_between() {
    let bytes = concat(&[
        c(0, OP_TEXT, b"frag"),
        c(FIN, OP_PING, b"in between"),
        c(0, OP_CONT, b"men"),
        c(0, OP_CONT, b""),
        c(FIN, OP_CONT, b"ted"),
    ]);
    let (got, f) = server_reads(&bytes);
    assert_eq!((got, f), (vec![Incoming::Ping(b"in between".to_vec()), text("fragmented")], None));
}

#[test]
fn fragments_out_of_order_fail() {
    fails_with(&c(FIN, OP_CONT, b"x"), 1002);
    fails_with(&concat(&[c(0, OP_TEXT, b"a"), c(FIN, OP_TEXT, b"b")]), 1002);
    fails_with(&concat(&[c(0, OP_BINARY, b"a"), c(FIN, OP_BINARY, b"b")]), 1002);
}

#[test]
fn invalid_utf8_fails_at_the_fragment_that_has_it() {
    // Autobahn 6.4.1: the bad byte is in the second fragment; the third
    // never needs to arrive.
    let bytes = concat(&[
        c(0, OP_TEXT, "κόσμε".as_bytes()),
        c(0, OP_CONT, b"\xf4\x90\x80\x80"),
    ]);
    fails_with(&bytes, 1007);
    // A character split across fragments is fine.
    let s = "κόσμε".as_bytes();
    let (got, f) = server_reads(&concat(&[c(0, OP_TEXT, &s[..1]), c(FIN, OP_CONT, &s[1..])]));
    assert_eq!((got, f), (vec![text("κόσμε")], None));
    // A message that ends inside a character.
    fails_with(&c(FIN, OP_TEXT, b"ok\xe2\x82"), 1007);
    // Binary messages are not checked.
    assert_eq!(server_reads(&c(FIN, OP_BINARY, b"\xff")).1, None);
}

#[test]
fn close_codes_are_checked() {
    let (got, _) = server_reads(&c(FIN, OP_CLOSE, b""));
    assert_eq!(got, vec![Incoming::Close { code: 1005, reason: String::new() }]);
    fails_with(&c(FIN, OP_CLOSE, b"\x03"), 1002);
    for code in [0u16, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535] {
        fails_with(&c(FIN, OP_CLOSE, &code.to_be_bytes()), 1002);
    }
    for code in [1000u16, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999] {
        let (got, f) = server_reads(&c(FIN, OP_CLOSE, &close_body(code, "bye")));
        assert_eq!((got, f), (vec![Incoming::Close { code, reason: "bye".into() }], None));
    }
    let mut bad = 1000u16.to_be_bytes().to_vec();
    bad.extend_from_slice(b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80");
    fails_with(&c(FIN, OP_CLOSE, &bad), 1007);
}

#[test]
fn nothing_is_read_after_a_close() {
    let bytes = concat(&[c(FIN, OP_CLOSE, &close_body(1000, "")), c(FIN, OP_TEXT, b"late"), vec![0xff; 3]]);
    let (got, f) = server_reads(&bytes);
    assert_eq!((got, f), (vec![Incoming::Close { code: 1000, reason: String::new() }], None));
}

#[test]
fn lengths_are_checked() {
    let mut top = vec![0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0];
    top.extend_from_slice(&MASK);
    fails_with(&top, 1002);
    let limits = Limits { max_frame: 100, max_message: 150 };
    let (_, f) = read_as(Role::Server, &c(FIN, OP_BINARY, &[0; 101]), None, limits);
    assert_eq!(f.map(|f| f.code), Some(1009), "a frame past the frame limit");
    // The message limit fails at the header of the frame that passes it,
    // before its payload arrives.
    let mut bytes = concat(&[c(0, OP_BINARY, &[0; 100])]);
    bytes.extend_from_slice(&c(FIN, OP_CONT, &[0; 51])[..6]);
    let (_, f) = read_as(Role::Server, &bytes, None, limits);
    assert_eq!(f.map(|f| f.code), Some(1009));
    // A header claiming 2^62 bytes.
    let mut huge = vec![0x82, 0xff, 0x40, 0, 0, 0, 0, 0, 0, 0];
    huge.extend_from_slice(&MASK);
    fails_with(&huge, 1009);
}

fn params() -> Params {
    Params { own_bits: 15, own_reset: false, peer_bits: 15, peer_reset: false }
}

/// What a writer of `role` puts on the wire for these messages.
fn written(role: Role, msgs: &[(u8, &[u8])], params: Option<Params>, fragment: usize) -> Vec<u8> {
    let w = Writer::new(role, fragment, 16);
    let mut d = params.map(|p| State::new(p, 6));
    let mut shared = Shared::default();
    let mut scratch = Scratch::default();
    let mut wire = Vec::new();
    for (op, m) in msgs {
        assert!(w.write(*op, m, d.as_mut(), &mut shared, &mut scratch, &mut |b| {
            wire.extend_from_slice(b);
            true
        }));
    }
    wire
}

#[test]
fn compressed_messages_round_trip_in_fragments() {
    let long = "permessage-deflate ".repeat(200);
    let msgs: [(u8, &[u8]); 4] = [(OP_TEXT, long.as_bytes()), (OP_BINARY, &[9; 5000]), (OP_TEXT, b"short"), (OP_TEXT, long.as_bytes())];
    for fragment in [0, 7, 1000] {
        let wire = written(Role::Client, &msgs, Some(params()), fragment);
        assert!(wire.len() < long.len(), "compressed");
        let (got, f) = read_as(Role::Server, &wire, Some(params()), LIMITS);
        assert_eq!(f, None);
        let want: Vec<Incoming> = msgs.iter().map(|(op, m)| Incoming::Message { text: *op == OP_TEXT, data: m.to_vec() }).collect();
        assert_eq!(got, want, "fragment {fragment}");
    }
}

#[test]
fn a_compressed_message_is_limited_once_decompressed() {
    let wire = written(Role::Client, &[(OP_BINARY, &vec![0; 200_000])], Some(params()), 0);
    let limits = Limits { max_frame: 1 << 20, max_message: 100_000 };
    let (_, f) = read_as(Role::Server, &wire, Some(params()), limits);
    assert_eq!(f.map(|f| f.code), Some(1009));
}

#[test]
fn compressed_invalid_utf8_fails() {
    let mut d = State::new(params(), 6);
    let mut body = Vec::new();
    assert!(d.compress(b"valid until \xff here", &mut body, &mut Shared::default()));
    let (_, f) = read_as(Role::Server, &c(FIN | RSV1, OP_TEXT, &body), Some(params()), LIMITS);
    assert_eq!(f.map(|f| f.code), Some(1007));
}

#[test]
fn a_server_writes_unmasked_frames_without_copying_the_payload() {
    let payload = vec![5u8; 3000];
    let w = Writer::new(Role::Server, 0, 16);
    let mut pieces: Vec<(usize, usize)> = Vec::new();
    assert!(w.write(OP_BINARY, &payload, None, &mut Shared::default(), &mut Scratch::default(), &mut |b| {
        pieces.push((b.as_ptr() as usize, b.len()));
        true
    }));
    assert_eq!(pieces.len(), 2);
    assert_eq!(pieces[0].1, 4, "a 16-bit length header");
    assert_eq!(pieces[1], (payload.as_ptr() as usize, 3000), "the caller's own bytes");
}

#[test]
fn a_server_writes_a_small_frame_in_one_piece() {
    for len in [0, 300, 1024] {
        let payload = vec![5u8; len];
        let w = Writer::new(Role::Server, 0, 16);
        let mut pieces: Vec<Vec<u8>> = Vec::new();
        assert!(w.write(OP_BINARY, &payload, None, &mut Shared::default(), &mut Scratch::default(), &mut |b| {
            pieces.push(b.to_vec());
            true
        }));
        assert_eq!(pieces.len(), 1, "{len} bytes: header and payload in one send");
        let hl = if len < 126 { 2 } else { 4 };
        assert_eq!((pieces[0].len(), &pieces[0][hl..]), (hl + len, &payload[..]));
    }
}

#[test]
fn a_client_masks_every_frame_with_a_fresh_key() {
    let wire = written(Role::Client, &[(OP_TEXT, b"same"), (OP_TEXT, b"same")], None, 0);
    let (a, b) = wire.split_at(wire.len() / 2);
    assert_eq!(a[1] & 0x80, 0x80);
    assert_ne!(a[2..6], b[2..6], "two keys");
    assert_ne!(&a[6..], b"same", "the payload is masked");
    let (got, _) = server_reads(&wire);
    assert_eq!(got, vec![text("same"), text("same")]);
}

#[test]
fn fragmented_writes_are_read_back() {
    let msg = vec![3u8; 1000];
    let wire = written(Role::Server, &[(OP_BINARY, &msg)], None, 300);
    assert_eq!(wire[0], OP_BINARY, "first frame: not FIN");
    let (got, f) = read_as(Role::Client, &wire, None, LIMITS);
    assert_eq!((got, f), (vec![Incoming::Message { text: false, data: msg }], None));
}

#[test]
fn close_reasons_are_cut_at_a_character() {
    let reason = "é".repeat(100);
    let b = close_body(1000, &reason);
    assert_eq!(b.len(), 2 + 122);
    assert!(std::str::from_utf8(&b[2..]).is_ok());
}

#[test]
fn fuzz_cases_read_the_same_in_any_pieces() {
    // Inputs the ws_frames fuzz target found (fuzz/corpus/ws_frames):
    // readings that differed with how the bytes were cut (a final block
    // then more; a stream reaching past a 9-bit window, now read with 15;
    // a message both too long and corrupt).
    for name in ["final_block_then_more", "past_the_window", "long_and_corrupt"] {
        let path = format!("{}/fuzz/corpus/ws_frames/{name}", env!("CARGO_MANIFEST_DIR"));
        let data = std::fs::read(&path).unwrap();
        let (first, rest) = data.split_first().unwrap();
        for split in 1..=32 {
            crate::ws::fuzz_frames(rest, split, first & 0x80 != 0);
        }
    }
}
