//! Response heads, read by the client: `httparse` for the syntax, then the
//! framing of RFC 9112 §6.3, strictly: a response that could be read two
//! ways (Content-Length with Transfer-Encoding, differing lengths) fails
//! the fetch instead of being guessed at.

use super::super::body::Body;
use super::super::head::{content_length, eq_ignore_case, has_token};

/// A parsed response head.
#[derive(Debug)]
pub(crate) struct RespHead {
    pub status: u16,
    pub reason: String,
    pub minor: u8,
    pub headers: Vec<(String, String)>,
    /// How the body is delimited.
    pub body: Body,
    /// The connection may carry another request afterwards.
    pub keep_alive: bool,
    /// Bytes the head took.
    pub len: usize,
}

#[derive(Debug)]
pub(crate) enum RespParsed {
    Complete(RespHead),
    Partial,
    Bad(&'static str),
}

/// Parses the response head at the front of `buf`. `head_request`: the
/// request was HEAD, so the response has no body whatever it says.
pub(crate) fn parse(buf: &[u8], max_head: usize, max_headers: usize, head_request: bool) -> RespParsed {
    let mut storage = [httparse::EMPTY_HEADER; 128];
    let n = max_headers.min(storage.len());
    let mut resp = httparse::Response::new(&mut storage[..n]);
    let len = match resp.parse(buf) {
        Ok(httparse::Status::Complete(len)) if len <= max_head => len,
        Ok(httparse::Status::Complete(_)) => return RespParsed::Bad("response head larger than the limit"),
        Ok(httparse::Status::Partial) if buf.len() > max_head => {
            return RespParsed::Bad("response head larger than the limit")
        }
        Ok(httparse::Status::Partial) => return RespParsed::Partial,
        Err(httparse::Error::TooManyHeaders) => return RespParsed::Bad("too many header fields in the response"),
        Err(_) => return RespParsed::Bad("malformed response head"),
    };
    let (Some(status), Some(minor)) = (resp.code, resp.version) else {
        return RespParsed::Bad("malformed status line");
    };
    let mut head = RespHead {
        status,
        reason: resp.reason.unwrap_or("").to_owned(),
        minor,
        headers: Vec::with_capacity(resp.headers.len()),
        body: Body::UntilClose,
        keep_alive: minor == 1,
        len,
    };
    let (mut length, mut coding) = (None, None::<bool>);
    for h in resp.headers.iter() {
        let (name, value) = (h.name.as_bytes(), h.value);
        head.headers.push((h.name.to_owned(), String::from_utf8_lossy(value).into_owned()));
        if eq_ignore_case(name, "content-length") {
            match (content_length(value), length) {
                (None, _) => return RespParsed::Bad("Content-Length is not a decimal number of bytes"),
                (Some(a), Some(b)) if a != b => return RespParsed::Bad("two different Content-Lengths"),
                (Some(a), _) => length = Some(a),
            }
        } else if eq_ignore_case(name, "transfer-encoding") {
            // Chunked only when it is the last coding of the last field.
            let last = value.rsplit(|&b| b == b',').next().unwrap_or(b"");
            coding = Some(last.trim_ascii().eq_ignore_ascii_case(b"chunked"));
        } else if eq_ignore_case(name, "connection") {
            if has_token(value, "close") {
                head.keep_alive = false;
            } else if has_token(value, "keep-alive") {
                head.keep_alive = true;
            }
        }
    }
    let no_body = head_request || (100..200).contains(&status) || status == 204 || status == 304;
    head.body = match (coding, length) {
        _ if no_body => Body::Done,
        (Some(_), Some(_)) => return RespParsed::Bad("both Content-Length and Transfer-Encoding in the response"),
        (Some(true), None) => Body::chunked(),
        // Another coding: the body runs to the close, and the connection
        // cannot be used again.
        (Some(false), None) => Body::UntilClose,
        (None, Some(0)) => Body::Done,
        (None, Some(n)) => Body::Length(n),
        (None, None) => Body::UntilClose,
    };
    if head.body == Body::UntilClose {
        head.keep_alive = false;
    }
    RespParsed::Complete(head)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn framing(resp: &str, head_request: bool) -> Result<(Body, bool), &'static str> {
        match parse(resp.as_bytes(), 8192, 64, head_request) {
            RespParsed::Complete(h) => Ok((h.body, h.keep_alive)),
            RespParsed::Partial => Err("partial"),
            RespParsed::Bad(why) => Err(why),
        }
    }

    #[test]
    fn framing_of_responses() {
        assert_eq!(framing("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", false), Ok((Body::Length(5), true)));
        assert_eq!(framing("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", true), Ok((Body::Done, true)));
        assert_eq!(framing("HTTP/1.1 204 No Content\r\n\r\n", false), Ok((Body::Done, true)));
        assert_eq!(framing("HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n", false), Ok((Body::Done, true)));
        assert_eq!(framing("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", false), Ok((Body::chunked(), true)));
        assert_eq!(framing("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", false), Ok((Body::UntilClose, false)));
        assert_eq!(framing("HTTP/1.1 200 OK\r\n\r\n", false), Ok((Body::UntilClose, false)));
        assert_eq!(framing("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n", false), Ok((Body::Length(1), false)));
        assert_eq!(
            framing("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\n", false),
            Ok((Body::Length(1), true))
        );
        assert_eq!(framing("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\n", false), Ok((Body::Length(1), false)));
        assert_eq!(framing("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n", false), Err("partial"));
    }

    #[test]
    fn ambiguous_responses_fail() {
        assert!(framing("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", false).is_err());
        assert!(framing("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", false).is_err());
        assert!(framing("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", false).is_err());
        assert!(framing("HTTP/1.1 2000 OK\r\n\r\n", false).is_err());
        assert!(framing("SMTP ready\r\n\r\n", false).is_err());
        let big = format!("HTTP/1.1 200 OK\r\nX: {}\r\n\r\n", "a".repeat(9000));
        assert!(framing(&big, false).is_err());
    }
}
