//! Request heads: `httparse` reads the syntax; mnet then applies the framing
//! rules that keep one request from being read as two (request smuggling)
//! and the size limits.
//!
//! Policy, strict where a lenient reading could disagree with another
//! party's:
//! * Content-Length together with Transfer-Encoding: 400. Content-Length
//!   twice (even equal), empty, signed, with anything but digits, or beyond
//!   u64: 400.
//! * Transfer-Encoding other than exactly `chunked` (any other coding, a
//!   list, or the header twice): 501; on an HTTP/1.0 request: 400.
//! * Obsolete line folding, whitespace between a header name and its colon,
//!   a bare CR, control bytes in a value: 400 (httparse refuses them).
//! * HTTP/1.1 without exactly one Host: 400.
//! * Bare LF line endings are accepted (RFC 9112 §2.2 lets a recipient
//!   treat LF as the line terminator); a bare CR never is.
//! * Limits: a head longer than `max_head` bytes: 431 (414 when the request
//!   line alone passes `max_uri`); more than `max_headers` headers: 431.

use std::mem::{self, MaybeUninit};
use std::ops::Range;

/// Why a request is refused: the status to answer with, and a sentence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reject {
    /// The HTTP status sent before closing the connection.
    pub status: u16,
    /// What was wrong, for logs and for the response body.
    pub why: &'static str,
}

const fn reject(status: u16, why: &'static str) -> Reject {
    Reject { status, why }
}

/// How a request's body is delimited.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Framing {
    /// No body.
    #[default]
    None,
    /// Exactly this many bytes.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
}

/// Name and value of each header of a head, as offsets into its bytes.
pub(crate) type Headers = Vec<(Range<u32>, Range<u32>)>;

/// A parsed request head: offsets into the bytes it was parsed from.
#[derive(Clone, Debug, Default)]
pub(crate) struct Head {
    pub method: Range<u32>,
    pub target: Range<u32>,
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    pub minor: u8,
    /// Name and value of each header, in order.
    pub headers: Headers,
    pub framing: Framing,
    /// The connection stays open after the response.
    pub keep_alive: bool,
    /// `Expect: 100-continue` (HTTP/1.1).
    pub expect_continue: bool,
    /// `Connection: upgrade` with an `Upgrade` header.
    pub upgrade: bool,
    /// Bytes the head took, its blank line included.
    pub len: usize,
}

/// What parsing found at the front of a buffer.
#[derive(Debug)]
pub(crate) enum Parsed {
    Complete(Head),
    /// More bytes are needed.
    Partial,
    Refused(Reject),
}

/// The limits heads are held to.
#[derive(Clone, Copy, Debug)]
pub(crate) struct HeadLimits {
    pub max_head: usize,
    pub max_uri: usize,
    pub max_headers: usize,
}

fn range(base: *const u8, s: &[u8]) -> Range<u32> {
    // `s` is a slice of the buffer starting at `base`.
    let start = (s.as_ptr() as usize - base as usize) as u32;
    start..start + s.len() as u32
}

/// Whether `name` equals `want` ignoring ASCII case.
pub(crate) fn eq_ignore_case(name: &[u8], want: &str) -> bool {
    name.eq_ignore_ascii_case(want.as_bytes())
}

/// Whether a comma-separated header value has `token` as an element.
pub(crate) fn has_token(value: &[u8], token: &str) -> bool {
    value
        .split(|&b| b == b',')
        .any(|t| t.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
}

/// Parses the request head at the front of `buf`. The header list is
/// written into `headers` (cleared first), which a complete head takes
/// along: a caller that keeps lists of heads it is done with spares an
/// allocation per request.
pub(crate) fn parse(buf: &[u8], limits: HeadLimits, headers: &mut Headers) -> Parsed {
    headers.clear();
    // Left uninitialised: httparse writes the headers it finds, and
    // initialising 128 entries of 32 bytes cost more than parsing a small head.
    let mut storage = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; 128];
    let n = limits.max_headers.min(storage.len());
    let mut req = httparse::Request::new(&mut []);
    let status = match req.parse_with_uninit_headers(buf, &mut storage[..n]) {
        Ok(s) => s,
        Err(httparse::Error::TooManyHeaders) => return Parsed::Refused(reject(431, "too many header fields")),
        Err(httparse::Error::Version) => {
            return Parsed::Refused(if buf.starts_with(b"PRI * HTTP/2") || looks_like_newer_version(buf) {
                reject(505, "HTTP version not supported")
            } else {
                reject(400, "malformed request line")
            })
        }
        Err(httparse::Error::HeaderName) => return Parsed::Refused(reject(400, "malformed header name")),
        Err(httparse::Error::HeaderValue) => return Parsed::Refused(reject(400, "malformed header value")),
        Err(_) => return Parsed::Refused(reject(400, "malformed request")),
    };
    let len = match status {
        httparse::Status::Complete(len) => len,
        httparse::Status::Partial => return partial(buf, limits),
    };
    if len > limits.max_head {
        return Parsed::Refused(too_long(buf, limits));
    }
    let base = buf.as_ptr();
    let (Some(method), Some(target), Some(minor)) = (req.method, req.path, req.version) else {
        return Parsed::Refused(reject(400, "malformed request line"));
    };
    if target.len() > limits.max_uri {
        return Parsed::Refused(reject(414, "request target too long"));
    }
    let mut head = Head {
        method: range(base, method.as_bytes()),
        target: range(base, target.as_bytes()),
        minor,
        headers: Vec::new(),
        framing: Framing::None,
        keep_alive: minor == 1,
        expect_continue: false,
        upgrade: false,
        len,
    };
    let (mut length, mut chunked, mut hosts, mut upgrade_header) = (None, 0u8, 0u8, false);
    for h in req.headers.iter() {
        // httparse has refused control bytes in values (the fuzz target
        // checks that it does).
        let (name, value) = (h.name.as_bytes(), h.value);
        headers.push((range(base, name), range(base, value)));
        if eq_ignore_case(name, "content-length") {
            if length.is_some() {
                return Parsed::Refused(reject(400, "Content-Length given twice"));
            }
            match content_length(value) {
                Some(n) => length = Some(n),
                None => return Parsed::Refused(reject(400, "Content-Length is not a decimal number of bytes")),
            }
        } else if eq_ignore_case(name, "transfer-encoding") {
            chunked = chunked.saturating_add(1);
            if chunked > 1 || !value.trim_ascii().eq_ignore_ascii_case(b"chunked") {
                return Parsed::Refused(reject(501, "only Transfer-Encoding: chunked is implemented"));
            }
        } else if eq_ignore_case(name, "host") {
            hosts = hosts.saturating_add(1);
        } else if eq_ignore_case(name, "connection") {
            if has_token(value, "close") {
                head.keep_alive = false;
            } else if has_token(value, "keep-alive") {
                head.keep_alive = true;
            }
            if has_token(value, "upgrade") {
                head.upgrade = true;
            }
        } else if eq_ignore_case(name, "expect") {
            if minor == 1 && value.trim_ascii().eq_ignore_ascii_case(b"100-continue") {
                head.expect_continue = true;
            } else {
                return Parsed::Refused(reject(417, "only Expect: 100-continue is understood"));
            }
        } else if eq_ignore_case(name, "upgrade") {
            upgrade_header = true;
        }
    }
    head.upgrade &= upgrade_header;
    if minor == 1 && hosts != 1 {
        return Parsed::Refused(reject(400, if hosts == 0 { "HTTP/1.1 request without Host" } else { "Host given twice" }));
    }
    head.framing = match (length, chunked) {
        (Some(_), 1) => return Parsed::Refused(reject(400, "both Content-Length and Transfer-Encoding")),
        (_, 1) if minor == 0 => return Parsed::Refused(reject(400, "Transfer-Encoding on an HTTP/1.0 request")),
        (_, 1) => Framing::Chunked,
        (Some(0), _) | (None, _) => Framing::None,
        (Some(n), _) => Framing::Length(n),
    };
    if head.framing == Framing::None {
        head.expect_continue = false;
    }
    head.headers = mem::take(headers);
    Parsed::Complete(head)
}

/// A request line naming HTTP/2 or later (505) rather than garbage (400).
fn looks_like_newer_version(buf: &[u8]) -> bool {
    let line = buf.split(|&b| b == b'\n').next().unwrap_or(buf);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    line.rsplit(|&b| b == b' ')
        .next()
        .and_then(|v| v.strip_prefix(b"HTTP/"))
        .is_some_and(|v| v.first().is_some_and(|&d| (b'2'..=b'9').contains(&d)))
}

/// A head not complete yet: fine while within the limits.
fn partial(buf: &[u8], limits: HeadLimits) -> Parsed {
    if buf.len() > limits.max_head {
        return Parsed::Refused(too_long(buf, limits));
    }
    let line_end = buf.iter().position(|&b| b == b'\n');
    if line_end.is_none() && buf.len() > limits.max_uri + 64 {
        return Parsed::Refused(reject(414, "request target too long"));
    }
    Parsed::Partial
}

fn too_long(buf: &[u8], limits: HeadLimits) -> Reject {
    let line = buf.iter().position(|&b| b == b'\n').unwrap_or(buf.len());
    if line > limits.max_uri + 64 {
        reject(414, "request target too long")
    } else {
        reject(431, "request header fields too large")
    }
}

/// A Content-Length value: decimal digits only, within u64.
pub(crate) fn content_length(value: &[u8]) -> Option<u64> {
    let v = value.trim_ascii();
    if v.is_empty() || !v.iter().all(u8::is_ascii_digit) {
        return None;
    }
    v.iter()
        .try_fold(0u64, |n, &d| n.checked_mul(10)?.checked_add(u64::from(d - b'0')))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: HeadLimits = HeadLimits {
        max_head: 8192,
        max_uri: 2048,
        max_headers: 64,
    };

    fn status(req: &str) -> u16 {
        match parse(req.as_bytes(), LIMITS, &mut Headers::new()) {
            Parsed::Complete(_) => 200,
            Parsed::Partial => 0,
            Parsed::Refused(r) => r.status,
        }
    }

    #[test]
    fn framing_rules() {
        assert_eq!(status("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), 200);
        assert_eq!(status("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n"), 400);
        assert_eq!(status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n"), 400);
        assert_eq!(status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n\r\n"), 400);
        assert_eq!(status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 2\r\n\r\n"), 400);
        assert_eq!(status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n"), 400);
        assert_eq!(status("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"), 501);
        assert_eq!(status("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"), 501);
        assert_eq!(status("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"), 400);
        assert_eq!(status("GET / HTTP/1.1\r\n\r\n"), 400, "no Host");
        assert_eq!(status("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), 400);
        assert_eq!(status("GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n  folded\r\n\r\n"), 400, "obs-fold");
        assert_eq!(status("GET / HTTP/1.1\r\nHost : a\r\n\r\n"), 400, "space before colon");
        assert_eq!(status("GET / HTTP/1.1\r\nHost: a\rX: 1\r\n\r\n"), 400, "bare CR");
        assert_eq!(status("GET / HTTP/1.1\r\nHost: a\r\nX: 1\x002\r\n\r\n"), 400, "NUL in a value");
        assert_eq!(status("GET / HTTP/1.1\r\nHost: a\r\nX: 1\x012\r\n\r\n"), 400, "control byte in a value");
        assert_eq!(status("GET / HTTP/1.1\r\nHost: a\r\nX: 1\t2\r\n\r\n"), 200, "a tab is fine");
        assert_eq!(status("GET / HTTP/1.1\nHost: a\n\n"), 200, "bare LF is accepted");
        assert_eq!(status("GET / HTTP/2.0\r\nHost: a\r\n\r\n"), 505);
        assert_eq!(status("GET / HTTP/1.1\r\nHost: a\r\n"), 0, "partial");
    }

    #[test]
    fn limits() {
        let long_uri = format!("GET /{} HTTP/1.1\r\nHost: a\r\n\r\n", "a".repeat(3000));
        assert_eq!(status(&long_uri), 414);
        let big = format!("GET / HTTP/1.1\r\nHost: a\r\nX: {}\r\n\r\n", "b".repeat(9000));
        assert_eq!(status(&big), 431);
        let many: String = (0..70).map(|i| format!("X{i}: v\r\n")).collect();
        assert_eq!(status(&format!("GET / HTTP/1.1\r\nHost: a\r\n{many}\r\n")), 431);
    }

    #[test]
    fn keep_alive_and_continue() {
        let Parsed::Complete(h) = parse(b"GET / HTTP/1.0\r\n\r\n", LIMITS, &mut Headers::new()) else { panic!() };
        assert!(!h.keep_alive);
        let Parsed::Complete(h) = parse(b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", LIMITS, &mut Headers::new()) else { panic!() };
        assert!(!h.keep_alive);
        let r = b"POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n";
        let Parsed::Complete(h) = parse(r, LIMITS, &mut Headers::new()) else { panic!() };
        assert!(h.expect_continue && h.keep_alive);
        assert_eq!(h.framing, Framing::Length(5));
    }
}
