//! Addresses, sockets and the DNS resolver.

pub(crate) mod addr;
pub(crate) mod dns;
pub(crate) mod resolv_conf;
pub(crate) mod socket;
