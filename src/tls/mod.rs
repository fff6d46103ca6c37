//! TLS on rustls: the configuration (`config.rs`) and one session over a
//! socket (`session.rs`). Nothing here knows channels or events; a TLS
//! channel (`core/tls.rs`) drives a session and turns its outcomes into
//! events.

pub(crate) mod config;
pub(crate) mod session;
pub(crate) mod settings;

pub use config::{TlsConfig, TlsConfigBuilder};
pub(crate) use session::{Input, PlainRead, Pulled, Session, TlsFail};
