//! Bridge bodies for the services beyond channels: DNS lookups and the
//! resolver's settings, multicast and SO_REUSEPORT, the log queue, and
//! stats. Same rules as the rest of the bridge (`guard`, plain statuses,
//! bytes for text).

use std::net::Ipv4Addr;
use std::time::Duration;

use super::bridge::{Addr, ChannStat};
use crate::local::{with, with_owner};
use super::{guard, h, status, text, to_ffi};
use crate::{logging, Error, Result};

fn ipv4(bytes: &[u8], what: &'static str) -> Result<Ipv4Addr> {
    let s = text(bytes)?;
    if s.is_empty() {
        return Ok(Ipv4Addr::UNSPECIFIED);
    }
    s.parse().map_err(|_| Error::InvalidAddress {
        input: s.chars().take(80).collect(),
        reason: what,
    })
}

pub(super) fn chann_lookup(owner: u32, raw: u64, name: &[u8]) -> i32 {
    guard(-1, || {
        let name = text(name)?;
        with_owner(owner, |r| status(r.lookup(h(raw), name)))
    })
}

pub(super) fn chann_lookup_result(owner: u32, raw: u64, out: &mut Vec<Addr>) -> i32 {
    guard(-1, || {
        with_owner(owner, |r| {
            let addrs = r
                .lookup_result(h(raw))
                .ok_or(Error::InvalidArgument("no lookup has finished on this channel"))??;
            out.clear();
            for a in &addrs {
                let mut raw = Addr {
                    v6: false,
                    ip: [0; 16],
                    port: 0,
                    scope_id: 0,
                };
                to_ffi(a, &mut raw);
                out.push(raw);
            }
            Ok(i32::try_from(addrs.len()).unwrap_or(i32::MAX))
        })
    })
}

pub(super) fn chann_dns_error(owner: u32, raw: u64) -> String {
    guard(String::new(), || {
        with_owner(owner, |r| Ok(r.resolve_error(h(raw)).unwrap_or_default().to_owned()))
    })
}

pub(super) fn set_resolver(servers: &[u8], timeout_ms: i64, attempts: i32) -> i32 {
    guard(-1, || {
        let servers = text(servers)?;
        let config = if servers.trim().is_empty() {
            crate::ResolverConfig::system()
        } else {
            let timeout = u64::try_from(timeout_ms)
                .ok()
                .filter(|&ms| ms > 0)
                .ok_or(Error::InvalidArgument("the resolver timeout must be above 0 ms"))?;
            let attempts = u32::try_from(attempts).map_err(|_| Error::InvalidArgument("negative resolver attempts"))?;
            let nameservers = servers
                .split(',')
                .map(|s| crate::parse_addr(s.trim()))
                .collect::<Result<Vec<_>>>()?;
            crate::ResolverConfig {
                nameservers,
                timeout: Duration::from_millis(timeout),
                attempts,
                ..crate::ResolverConfig::default()
            }
        };
        with(|r| status(r.set_resolver(config)))
    })
}

pub(super) fn chann_set_reuse_port(owner: u32, raw: u64, on: bool) -> i32 {
    guard(-1, || with_owner(owner, |r| status(r.set_reuse_port(h(raw), on))))
}

pub(super) fn chann_multicast_membership(owner: u32, raw: u64, group: &[u8], iface: &[u8], join: bool) -> i32 {
    guard(-1, || {
        let group = ipv4(group, "not an IPv4 multicast group")?;
        let iface = ipv4(iface, "not an IPv4 interface address")?;
        with_owner(owner, |r| {
            status(if join {
                r.join_multicast_v4(h(raw), group, iface)
            } else {
                r.leave_multicast_v4(h(raw), group, iface)
            })
        })
    })
}

pub(super) fn chann_set_multicast_if(owner: u32, raw: u64, iface: &[u8]) -> i32 {
    guard(-1, || {
        let iface = ipv4(iface, "not an IPv4 interface address")?;
        with_owner(owner, |r| status(r.set_multicast_if_v4(h(raw), iface)))
    })
}

pub(super) fn chann_set_multicast_loop(owner: u32, raw: u64, on: bool) -> i32 {
    guard(-1, || with_owner(owner, |r| status(r.set_multicast_loop_v4(h(raw), on))))
}

pub(super) fn chann_set_multicast_ttl(owner: u32, raw: u64, ttl: i32) -> i32 {
    guard(-1, || {
        let ttl = u32::try_from(ttl).map_err(|_| Error::InvalidArgument("negative multicast TTL"))?;
        with_owner(owner, |r| status(r.set_multicast_ttl_v4(h(raw), ttl)))
    })
}

pub(super) fn log_set_level(level: i32) -> i32 {
    guard(-1, || {
        if logging::set_level(level) {
            Ok(0)
        } else {
            Err(Error::InvalidArgument(
                "another log backend was installed first; mnet's records go there",
            )
            .into())
        }
    })
}

pub(super) fn log_next(level: &mut i32, out: &mut String) -> bool {
    guard(false, || {
        Ok(match logging::next() {
            Some((l, t)) => {
                *level = l;
                *out = t;
                true
            }
            None => false,
        })
    })
}

pub(super) fn reactor_stats() -> Vec<ChannStat> {
    guard(Vec::new(), || {
        with(|r| {
            let zero = || Addr {
                v6: false,
                ip: [0; 16],
                port: 0,
                scope_id: 0,
            };
            Ok(r.stats()
                .channels
                .iter()
                .map(|c| {
                    let (mut local, mut peer) = (zero(), zero());
                    if let Some(a) = &c.local {
                        to_ffi(a, &mut local);
                    }
                    if let Some(a) = &c.peer {
                        to_ffi(a, &mut peer);
                    }
                    ChannStat {
                        handle: c.handle.to_raw(),
                        kind: c.kind as i32,
                        state: c.state as i32,
                        has_local: c.local.is_some(),
                        local,
                        has_peer: c.peer.is_some(),
                        peer,
                        sent: c.sent,
                        received: c.received,
                        queued: c.queued as u64,
                        opaque: c.opaque,
                    }
                })
                .collect())
        })
    })
}
