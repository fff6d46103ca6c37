//! One TLS session over a non-blocking socket: ciphertext in from the
//! socket, plaintext out to the program, the program's bytes encrypted into
//! records for whatever queue the caller writes them to.
//!
//! The session knows nothing of channels or events. Each call does one
//! step and says what happened; the channel (`core/tls.rs`) decides what
//! that means for the program. Following rustls 0.23: every `read_tls` is
//! followed by `process_new_packets`; reading stops at the session's
//! plaintext limit ("received plaintext buffer full" is backpressure, not an
//! error); `Ok(0)` from the plaintext reader is close_notify and
//! `UnexpectedEof` a TCP close without it.

use std::io::{self, Read, Write};

use rustls::Connection;

/// How a session step failed.
#[derive(Debug)]
pub(crate) enum TlsFail {
    /// The socket failed (reset, timeout, ...).
    Io(io::Error),
    /// The TLS protocol failed (handshake, certificate, bad record); the
    /// alert telling the peer why is already queued.
    Protocol(String),
}

/// Where reading ciphertext stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pulled {
    /// The socket is empty for now.
    Drained,
    /// The session holds as much plaintext as it takes: the socket may hold
    /// more, and reading resumes once the program drains plaintext.
    Full,
    /// The socket reached its end (or the peer's close_notify came: rustls
    /// reads nothing after it).
    Eof,
}

/// What the session holds for the program right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Input {
    /// Plaintext is waiting.
    Data,
    /// Nothing now.
    Empty,
    /// The peer closed: `true` with close_notify, `false` by a bare TCP
    /// close (possible truncation).
    Closed(bool),
}

/// Outcome of reading plaintext.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PlainRead {
    Data(usize),
    Empty,
    Closed(bool),
}

/// A rustls connection and what the channel needs to know about it.
#[derive(Debug)]
pub(crate) struct Session {
    conn: Connection,
    /// The peer's close_notify arrived: whatever happens to the socket
    /// afterwards, the session ended cleanly.
    close_notify: bool,
}

impl Session {
    pub(crate) fn new(conn: Connection) -> Session {
        Session {
            conn,
            close_notify: false,
        }
    }

    /// Whether the handshake is still under way.
    pub fn is_handshaking(&self) -> bool {
        self.conn.is_handshaking()
    }

    /// Whether the peer's close_notify has arrived.
    pub fn peer_closed(&self) -> bool {
        self.close_notify
    }

    /// The ALPN protocol agreed in the handshake.
    pub fn alpn(&self) -> Option<&[u8]> {
        self.conn.alpn_protocol()
    }

    /// Reads ciphertext from `sock` into the session until the socket is
    /// empty (edge-triggered readiness: every byte must be pulled), ends, or
    /// the session's plaintext buffer is full. `received` counts the
    /// ciphertext read; responses (handshake messages, alerts) go to `out`.
    /// A socket error after some reads leaves the plaintext already
    /// decrypted in the session, for the program to read.
    pub fn pull(&mut self, mut sock: impl Read, out: &mut dyn Write, received: &mut u64) -> Result<Pulled, TlsFail> {
        let pulled = loop {
            match self.conn.read_tls(&mut sock) {
                Ok(0) => break Pulled::Eof,
                Ok(n) => {
                    *received += n as u64;
                    match self.conn.process_new_packets() {
                        Ok(state) => self.close_notify |= state.peer_has_closed(),
                        Err(e) => {
                            self.write_records(out); // the alert, so the peer learns why
                            return Err(TlsFail::Protocol(e.to_string()));
                        }
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break Pulled::Drained,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                // "received plaintext buffer full": backpressure, not an error.
                Err(e) if e.raw_os_error().is_none() && e.kind() == io::ErrorKind::Other => break Pulled::Full,
                Err(e) => {
                    self.write_records(out);
                    return Err(TlsFail::Io(e));
                }
            }
        };
        self.write_records(out);
        Ok(pulled)
    }

    /// Looks at the plaintext side without consuming anything.
    pub fn input(&mut self) -> Input {
        match self.conn.reader().into_first_chunk() {
            Ok(chunk) if !chunk.is_empty() => Input::Data,
            Ok(_) => Input::Closed(true),
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Input::Closed(false),
            Err(_) => Input::Empty,
        }
    }

    /// Reads plaintext the session already holds.
    pub fn read(&mut self, buf: &mut [u8]) -> PlainRead {
        match self.conn.reader().read(buf) {
            Ok(0) if !buf.is_empty() => PlainRead::Closed(true),
            Ok(n) => PlainRead::Data(n),
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => PlainRead::Closed(false),
            Err(_) => PlainRead::Empty,
        }
    }

    /// Encrypts `buf` into records written to `out`.
    pub fn write(&mut self, buf: &[u8], out: &mut dyn Write) -> io::Result<()> {
        let mut rest = buf;
        while !rest.is_empty() {
            let n = self.conn.writer().write(rest)?;
            self.write_records(out);
            if n == 0 {
                return Err(io::Error::new(io::ErrorKind::WriteZero, "TLS session refused data"));
            }
            rest = &rest[n..];
        }
        Ok(())
    }

    /// Queues close_notify (after the handshake; a half-done one just ends).
    pub fn close_notify(&mut self, out: &mut dyn Write) {
        if !self.conn.is_handshaking() {
            self.conn.send_close_notify();
            self.write_records(out);
        }
    }

    /// Moves every pending record (handshake messages, alerts, data) to `out`.
    pub fn write_records(&mut self, out: &mut dyn Write) {
        while self.conn.wants_write() {
            if self.conn.write_tls(out).is_err() {
                break;
            }
        }
    }
}
