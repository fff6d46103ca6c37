//! TLS on rustls: configuration and sessions.

pub(crate) mod config;

pub(crate) use config::*;
