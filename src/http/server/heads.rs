//! The parts of response heads that repeat, formatted once per Date rather
//! than once per response: the status line, Server and Date every head
//! starts with, and the head of a [`Server::respond_bytes`] response up to
//! its Content-Length value (the same for every response of that status
//! and type).
//!
//! [`Server::respond_bytes`]: super::Server::respond_bytes

use super::super::date::DateCache;

/// The status line [`Heads::start`] begins with.
const STATUS_200: &[u8] = b"HTTP/1.1 200 OK\r\n";

#[derive(Debug)]
pub(super) struct Heads {
    /// The Server header's value (empty: no Server header).
    name: String,
    date: DateCache,
    /// The 200 status line, Server and Date (empty: to be built).
    start: Vec<u8>,
    /// The status, Content-Type and length `typed` was built for.
    typed_for: (u16, String, u64),
    /// Where the length's digits start in `typed`.
    typed_digits: usize,
    /// A status line, Server, Date, Content-Type and Content-Length
    /// (empty: to be built).
    typed: Vec<u8>,
}

impl Heads {
    pub(super) fn new(name: &str) -> Heads {
        Heads {
            name: name.to_owned(),
            date: DateCache::default(),
            start: Vec::new(),
            typed_for: (0, String::new(), 0),
            typed_digits: 0,
            typed: Vec::new(),
        }
    }

    pub(super) fn set_name(&mut self, name: &str) {
        name.clone_into(&mut self.name);
        self.start.clear();
        self.typed.clear();
    }

    /// The lines a head starts with, as of `now` (the round's time on
    /// [`crate::now_micros`]'s clock): `HTTP/1.1 200 OK`, Server and Date.
    pub(super) fn start(&mut self, now: u64) -> &[u8] {
        if self.date.refresh(now) {
            self.start.clear();
            self.typed.clear();
        }
        if self.start.is_empty() {
            self.start.extend_from_slice(STATUS_200);
            if !self.name.is_empty() {
                self.start.extend_from_slice(b"Server: ");
                self.start.extend_from_slice(self.name.as_bytes());
                self.start.extend_from_slice(b"\r\n");
            }
            self.start.extend_from_slice(b"Date: ");
            self.start.extend_from_slice(self.date.text());
            self.start.extend_from_slice(b"\r\n");
        }
        &self.start
    }

    /// Writes the status line of `status`, Server and Date.
    pub(super) fn write_start(&mut self, now: u64, buf: &mut Vec<u8>, status: u16) {
        let start = self.start(now);
        if status == 200 {
            buf.extend_from_slice(start);
        } else {
            buf.extend_from_slice(b"HTTP/1.1 ");
            push_num(buf, u64::from(status));
            buf.push(b' ');
            buf.extend_from_slice(crate::http::reason(status).as_bytes());
            buf.extend_from_slice(b"\r\n");
            buf.extend_from_slice(&start[STATUS_200.len()..]);
        }
    }

    /// The head of a response of `status` with a body of `len` bytes of
    /// `content_type` (none when empty), but for `Connection` and the
    /// blank line: [`Heads::write_start`], then `Content-Type` and
    /// `Content-Length`. Only the digits are written again for another
    /// length.
    pub(super) fn typed(&mut self, now: u64, status: u16, content_type: &str, len: u64) -> &[u8] {
        self.start(now);
        if self.typed.is_empty() || self.typed_for.0 != status || self.typed_for.1 != content_type {
            let mut typed = std::mem::take(&mut self.typed);
            typed.clear();
            self.write_start(now, &mut typed, status);
            if !content_type.is_empty() {
                typed.extend_from_slice(b"Content-Type: ");
                typed.extend_from_slice(content_type.as_bytes());
                typed.extend_from_slice(b"\r\n");
            }
            typed.extend_from_slice(b"Content-Length: ");
            self.typed_digits = typed.len();
            push_num(&mut typed, len);
            typed.extend_from_slice(b"\r\n");
            self.typed = typed;
            self.typed_for = (status, content_type.to_owned(), len);
        } else if self.typed_for.2 != len {
            self.typed.truncate(self.typed_digits);
            push_num(&mut self.typed, len);
            self.typed.extend_from_slice(b"\r\n");
            self.typed_for.2 = len;
        }
        &self.typed
    }
}

/// Appends `n` in decimal.
pub(super) fn push_num(buf: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    // Byte by byte: lengths are a few digits, less than a memcpy call costs.
    for &d in &digits[i..] {
        buf.push(d);
    }
}

#[cfg(test)]
mod tests {
    use super::{push_num, Heads};

    #[test]
    fn heads_are_rebuilt_for_a_new_status_type_or_name() {
        let mut h = Heads::new("mnet");
        let now = crate::now_micros();
        let start = String::from_utf8(h.start(now).to_vec()).unwrap();
        assert!(start.starts_with("HTTP/1.1 200 OK\r\nServer: mnet\r\nDate: ") && start.ends_with(" GMT\r\n"), "{start}");
        let date_line = &start[start.find("Date").unwrap()..];
        let typed = |h: &mut Heads, status, ct, len| String::from_utf8(h.typed(now, status, ct, len).to_vec()).unwrap();
        let a = typed(&mut h, 200, "text/plain", 13);
        assert_eq!(a, format!("{start}Content-Type: text/plain\r\nContent-Length: 13\r\n"));
        assert_eq!(typed(&mut h, 200, "text/plain", 13), a);
        assert_eq!(typed(&mut h, 200, "text/plain", 7), format!("{start}Content-Type: text/plain\r\nContent-Length: 7\r\n"));
        let b = typed(&mut h, 404, "application/json", 1234);
        assert_eq!(b, format!("HTTP/1.1 404 Not Found\r\nServer: mnet\r\n{date_line}Content-Type: application/json\r\nContent-Length: 1234\r\n"));
        assert_eq!(typed(&mut h, 201, "", 0), format!("HTTP/1.1 201 Created\r\nServer: mnet\r\n{date_line}Content-Length: 0\r\n"));
        h.set_name("");
        assert_eq!(typed(&mut h, 201, "", 0), format!("HTTP/1.1 201 Created\r\n{date_line}Content-Length: 0\r\n"));
        let mut buf = Vec::new();
        h.write_start(now, &mut buf, 200);
        assert_eq!(buf, format!("HTTP/1.1 200 OK\r\n{date_line}").as_bytes());
    }

    #[test]
    fn numbers() {
        for n in [0, 7, 13, 100, 65_535, u64::MAX] {
            let mut buf = b"x".to_vec();
            push_num(&mut buf, n);
            assert_eq!(buf, format!("x{n}").as_bytes());
        }
    }
}
