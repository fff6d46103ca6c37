//! The opening handshake (RFC 6455 §4): the server's reading of an upgrade
//! request and its 101 answer, the client's request and its check of the
//! answer.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ring::rand::{SecureRandom, SystemRandom};

use super::deflate::{self, DeflateOptions, Params};
use crate::http::Request;

/// The GUID of RFC 6455 §1.3.
const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key`.
pub(crate) fn accept_key(key: &str) -> String {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY);
    ctx.update(key.as_bytes());
    ctx.update(GUID.as_bytes());
    STANDARD.encode(ctx.finish().as_ref())
}

/// Fills `buf` from the system's random source.
pub(crate) fn random(buf: &mut [u8]) {
    if SystemRandom::new().fill(buf).is_err() {
        // getrandom does not fail on Linux once the pool is ready; should
        // it, masks must still differ from frame to frame.
        log::error!("WebSocket: the system's random source failed; using the clock");
        let mut x = crate::now_micros() | 1;
        for b in buf.iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *b = x as u8;
        }
    }
}

/// A fresh `Sec-WebSocket-Key`: 16 random bytes in base64.
pub(crate) fn new_key() -> String {
    let mut k = [0u8; 16];
    random(&mut k);
    STANDARD.encode(k)
}

/// Whether a comma-separated header value lists `token` (any case).
fn lists(value: &str, token: &str) -> bool {
    value.split(',').any(|t| t.trim().eq_ignore_ascii_case(token))
}

/// Every value of the headers named `name`, as one list of elements.
fn elements<'a>(headers: impl Iterator<Item = (&'a str, &'a str)>, name: &str) -> Vec<&'a str> {
    headers
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .flat_map(|(_, v)| v.split(','))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect()
}

/// Why an upgrade request is not a WebSocket handshake: the status to
/// answer and a sentence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub status: u16,
    pub why: &'static str,
}

/// A valid WebSocket upgrade request, as the server reads it.
#[derive(Debug)]
pub(crate) struct Upgrade {
    pub key: String,
    pub protocols: Vec<String>,
    pub extensions: Vec<deflate::Extension>,
}

/// Reads a request as a WebSocket handshake.
pub(crate) fn read_request(q: &Request<'_>) -> Result<Upgrade, Refusal> {
    let refuse = |status, why| Err(Refusal { status, why });
    if q.method() != "GET" || q.minor_version() != 1 {
        return refuse(400, "a WebSocket handshake is an HTTP/1.1 GET");
    }
    if !q.headers().any(|(n, v)| n.eq_ignore_ascii_case("upgrade") && lists(v, "websocket")) {
        return refuse(400, "no 'Upgrade: websocket'");
    }
    if !q.headers().any(|(n, v)| n.eq_ignore_ascii_case("connection") && lists(v, "upgrade")) {
        return refuse(400, "no 'Connection: Upgrade'");
    }
    if q.header("sec-websocket-version").map(str::trim) != Some("13") {
        return refuse(426, "only WebSocket version 13 is spoken");
    }
    let key = q.header("sec-websocket-key").unwrap_or("").trim();
    if STANDARD.decode(key).map(|k| k.len()) != Ok(16) {
        return refuse(400, "Sec-WebSocket-Key is not 16 bytes in base64");
    }
    let protocols = elements(q.headers(), "sec-websocket-protocol").into_iter().map(str::to_owned).collect();
    let ext_values = q.headers().filter(|(n, _)| n.eq_ignore_ascii_case("sec-websocket-extensions")).map(|(_, v)| v);
    // A malformed extension list is ignored rather than refused: the
    // connection then simply runs without extensions.
    let extensions = deflate::parse_extensions(ext_values).unwrap_or_default();
    Ok(Upgrade {
        key: key.to_owned(),
        protocols,
        extensions,
    })
}

/// The headers of the server's 101 answer (the HTTP layer adds the status
/// line, `Date` and `Server`).
pub(crate) fn answer_headers(up: &Upgrade, protocol: Option<&str>, deflate: Option<&str>) -> Vec<(&'static str, String)> {
    let mut h = vec![
        ("Upgrade", "websocket".to_owned()),
        ("Connection", "Upgrade".to_owned()),
        ("Sec-WebSocket-Accept", accept_key(&up.key)),
    ];
    if let Some(p) = protocol {
        h.push(("Sec-WebSocket-Protocol", p.to_owned()));
    }
    if let Some(d) = deflate {
        h.push(("Sec-WebSocket-Extensions", d.to_owned()));
    }
    h
}

/// The client's request.
pub(crate) fn client_request(target: &str, host: &str, key: &str, protocols: &[&str], deflate: Option<&DeflateOptions>, extra: &[(&str, &str)]) -> Vec<u8> {
    let mut s = format!(
        "GET {target} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
    );
    if !protocols.is_empty() {
        s.push_str(&format!("Sec-WebSocket-Protocol: {}\r\n", protocols.join(", ")));
    }
    if let Some(d) = deflate.filter(|d| d.enabled) {
        s.push_str(&format!("Sec-WebSocket-Extensions: {}\r\n", deflate::client_offer(d)));
    }
    for (n, v) in extra {
        s.push_str(&format!("{n}: {v}\r\n"));
    }
    s.push_str("\r\n");
    s.into_bytes()
}

/// What the client learned from a 101 answer.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Answer {
    /// Bytes of the head (what follows is WebSocket frames).
    pub len: usize,
    pub protocol: Option<String>,
    pub deflate: Option<Params>,
}

/// Reads the server's answer at the front of `buf`: `Ok(None)` while it is
/// incomplete; an error says why the connection must fail.
pub(crate) fn read_answer(buf: &[u8], key: &str, protocols: &[String], deflate: &DeflateOptions) -> Result<Option<Answer>, String> {
    let mut storage = [httparse::EMPTY_HEADER; 64];
    let mut resp = httparse::Response::new(&mut storage);
    let len = match resp.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) if buf.len() > 16 * 1024 => return Err("the handshake answer is longer than 16 KiB".into()),
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => return Err(format!("malformed handshake answer: {e}")),
    };
    let code = resp.code.unwrap_or(0);
    if code != 101 {
        return Err(format!("the server answered {code} {} instead of 101", resp.reason.unwrap_or("")));
    }
    let headers = || resp.headers.iter().map(|h| (h.name, std::str::from_utf8(h.value).unwrap_or("")));
    let one = |name: &str| headers().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.trim());
    if !one("upgrade").is_some_and(|v| v.eq_ignore_ascii_case("websocket")) {
        return Err("the answer has no 'Upgrade: websocket'".into());
    }
    if !headers().any(|(n, v)| n.eq_ignore_ascii_case("connection") && lists(v, "upgrade")) {
        return Err("the answer has no 'Connection: Upgrade'".into());
    }
    if one("sec-websocket-accept") != Some(accept_key(key).as_str()) {
        return Err("Sec-WebSocket-Accept does not match the key sent".into());
    }
    let chosen = elements(headers(), "sec-websocket-protocol");
    let protocol = match chosen.as_slice() {
        [] => None,
        [p] if protocols.iter().any(|o| o == p) => Some((*p).to_owned()),
        _ => return Err("the server chose a subprotocol that was not offered".into()),
    };
    let ext_values = headers().filter(|(n, _)| n.eq_ignore_ascii_case("sec-websocket-extensions")).map(|(_, v)| v);
    let exts = deflate::parse_extensions(ext_values).ok_or("malformed Sec-WebSocket-Extensions in the answer")?;
    let deflate = deflate::client_accept(&exts, deflate)?;
    Ok(Some(Answer { len, protocol, deflate }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_accept_key_of_rfc_6455() {
        assert_eq!(accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    }

    #[test]
    fn keys_are_random_and_16_bytes() {
        let (a, b) = (new_key(), new_key());
        assert_ne!(a, b);
        assert_eq!(STANDARD.decode(&a).unwrap().len(), 16);
    }

    fn answer(extra: &str) -> String {
        format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n{extra}\r\n"
        )
    }

    #[test]
    fn the_client_checks_the_answer() {
        let key = "dGhlIHNhbXBsZSBub25jZQ==";
        let offered = vec!["chat".to_owned(), "superchat".to_owned()];
        let d = DeflateOptions::default();
        let ok = answer("Sec-WebSocket-Protocol: chat\r\n");
        let a = read_answer(ok.as_bytes(), key, &offered, &d).unwrap().unwrap();
        assert_eq!((a.len, a.protocol.as_deref(), a.deflate), (ok.len(), Some("chat"), None));
        assert_eq!(read_answer(&ok.as_bytes()[..20], key, &offered, &d), Ok(None));
        assert!(read_answer(answer("Sec-WebSocket-Protocol: other\r\n").as_bytes(), key, &offered, &d).is_err());
        assert!(read_answer(answer("").as_bytes(), "AAAAAAAAAAAAAAAAAAAAAA==", &offered, &d).is_err(), "wrong accept key");
        assert!(read_answer(b"HTTP/1.1 403 Forbidden\r\n\r\n", key, &offered, &d).unwrap_err().contains("403"));
        let with_deflate = answer("Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n");
        let a = read_answer(with_deflate.as_bytes(), key, &offered, &d).unwrap().unwrap();
        assert!(a.deflate.is_some_and(|p| p.peer_reset));
        let unasked = answer("Sec-WebSocket-Extensions: x-foo\r\n");
        assert!(read_answer(unasked.as_bytes(), key, &offered, &d).is_err());
    }

    #[test]
    fn the_request_offers_what_was_asked() {
        let req = client_request("/chat?x=1", "h:9", "k", &["a", "b"], Some(&DeflateOptions::default()), &[("Origin", "http://h")]);
        let s = String::from_utf8(req).unwrap();
        assert!(s.starts_with("GET /chat?x=1 HTTP/1.1\r\nHost: h:9\r\n"));
        assert!(s.contains("Sec-WebSocket-Protocol: a, b\r\n"));
        assert!(s.contains("Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"));
        assert!(s.ends_with("Origin: http://h\r\n\r\n"));
    }
}
