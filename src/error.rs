//! The crate's error type.
//!
//! One enum, built with `thiserror` so each variant carries the input it
//! refers to and prints a sentence a person can act on
//! (`invalid address 'x:99999': port out of range`). Hot calls never allocate
//! an error for the ordinary "nothing to do now" case: `recv` returns `Ok(0)`
//! for would-block, and only misuse or real I/O failures become an `Error`.

use std::io;

use crate::{Kind, State};

/// Everything that can go wrong in a call into mnet.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An address string could not be parsed.
    #[error("invalid address '{input}': {reason}")]
    InvalidAddress {
        /// The string as given (truncated to 80 bytes when longer).
        input: String,
        /// Why it was rejected.
        reason: &'static str,
    },
    /// A host name could not be resolved.
    #[error("cannot resolve '{host}': {source}")]
    Resolve {
        /// The host part of the address.
        host: String,
        /// What the resolver said.
        #[source]
        source: io::Error,
    },
    /// The handle does not name an open channel (closed, or never opened).
    #[error("stale or closed channel handle {0:#x}")]
    StaleHandle(u64),
    /// The operation is not possible in the channel's current state.
    #[error("cannot {op} a channel that is {state}")]
    WrongState {
        /// The operation that was refused.
        op: &'static str,
        /// The state the channel was in.
        state: State,
    },
    /// The operation does not exist for this kind of channel.
    #[error("cannot {op} on a {kind} channel")]
    WrongKind {
        /// The operation that was refused.
        op: &'static str,
        /// The channel's kind.
        kind: Kind,
    },
    /// An argument is out of its valid range.
    #[error("invalid argument: {0}")]
    InvalidArgument(&'static str),
    /// The send queue would pass the high-water mark set on the channel.
    #[error("send queue full: {queued} bytes queued + {len} new would pass the limit of {limit}")]
    QueueFull {
        /// Bytes already queued.
        queued: usize,
        /// Bytes in the refused call.
        len: usize,
        /// The high-water mark.
        limit: usize,
    },
    /// TLS configuration or protocol failure (bad PEM, certificate
    /// rejected, handshake failed).
    #[error("TLS: {0}")]
    Tls(String),
    /// A system call failed.
    #[error("{op} failed: {source}")]
    Io {
        /// What was being done ("connect", "bind 127.0.0.1:80", ...).
        op: String,
        /// The OS error.
        #[source]
        source: io::Error,
    },
}

impl Error {
    pub(crate) fn io(op: impl Into<String>, source: io::Error) -> Error {
        Error::Io {
            op: op.into(),
            source,
        }
    }

    pub(crate) fn addr(input: &str, reason: &'static str) -> Error {
        let mut input = input.to_owned();
        if input.len() > 80 {
            let mut cut = 77;
            while !input.is_char_boundary(cut) {
                cut -= 1;
            }
            input.truncate(cut);
            input.push_str("...");
        }
        Error::InvalidAddress { input, reason }
    }

    /// The OS error number behind this error, when there is one.
    pub fn raw_os_error(&self) -> Option<i32> {
        match self {
            Error::Io { source, .. } | Error::Resolve { source, .. } => source.raw_os_error(),
            _ => None,
        }
    }
}

/// `Result` with [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
