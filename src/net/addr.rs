//! Address strings: `"ip:port"`, `"[v6]:port"`, `":port"` and `"host:port"`.
//!
//! m_net accepted only IPv4 and copied the host into a 17-byte buffer without
//! a bounds check. Here every form is parsed with a length limit and each
//! rejection says what was wrong with which input.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, ToSocketAddrs};

use crate::{Error, Result};

/// Longest accepted address string: a 253-byte host name, brackets, a colon
/// and a 5-digit port.
pub const MAX_ADDR_LEN: usize = 261;

/// The host part of an address string.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Host<'a> {
    Ip(IpAddr),
    Name(&'a str),
}

/// Splits and checks `s` without resolving anything.
fn split(s: &str) -> Result<(Host<'_>, u16)> {
    if s.len() > MAX_ADDR_LEN {
        return Err(Error::addr(s, "too long (the limit is 261 bytes)"));
    }
    if let Ok(sa) = s.parse::<SocketAddr>() {
        return Ok((Host::Ip(sa.ip()), sa.port()));
    }
    let (host, port) = if let Some(rest) = s.strip_prefix('[') {
        let (inner, after) = rest
            .split_once(']')
            .ok_or_else(|| Error::addr(s, "missing ']' after an IPv6 address"))?;
        let port = after
            .strip_prefix(':')
            .ok_or_else(|| Error::addr(s, "missing ':port' after ']'"))?;
        let ip = inner
            .parse::<IpAddr>()
            .map_err(|_| Error::addr(s, "not a valid IPv6 address inside '[]'"))?;
        (Host::Ip(ip), port)
    } else {
        let (host, port) = s
            .rsplit_once(':')
            .ok_or_else(|| Error::addr(s, "missing ':port'"))?;
        if host.contains(':') {
            return Err(Error::addr(s, "IPv6 addresses need brackets: '[addr]:port'"));
        }
        let host = if host.is_empty() {
            Host::Ip(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
        } else if let Ok(ip) = host.parse::<IpAddr>() {
            Host::Ip(ip)
        } else if host.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            return Err(Error::addr(s, "not a valid IPv4 address"));
        } else if valid_host_name(host) {
            Host::Name(host)
        } else {
            return Err(Error::addr(s, "not an IP address or a valid host name"));
        };
        (host, port)
    };
    Ok((host, parse_port(s, port)?))
}

fn parse_port(s: &str, port: &str) -> Result<u16> {
    if port.is_empty() {
        return Err(Error::addr(s, "missing port number after ':'"));
    }
    if !port.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::addr(s, "port is not a number"));
    }
    port.parse::<u16>()
        .map_err(|_| Error::addr(s, "port out of range (0-65535)"))
}

/// RFC 1123 host names: dot-separated labels of letters, digits, '-' (and '_',
/// which real resolvers accept), each 1-63 bytes, 253 in all.
fn valid_host_name(h: &str) -> bool {
    let h = h.strip_suffix('.').unwrap_or(h);
    !h.is_empty()
        && h.len() <= 253
        && h.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// Parses a numeric address: `"1.2.3.4:80"`, `"[::1]:80"`, or `":80"`
/// (any IPv4 address). Host names are refused here; use [`resolve`].
///
/// ```
/// let a = mnet::parse_addr("[::1]:8080").unwrap();
/// assert_eq!(a.port(), 8080);
/// assert!(mnet::parse_addr("1.2.3.4:99999").unwrap_err().to_string().contains("port out of range"));
/// ```
pub fn parse_addr(s: &str) -> Result<SocketAddr> {
    match split(s)? {
        (Host::Ip(ip), port) => Ok(SocketAddr::new(ip, port)),
        (Host::Name(_), _) => Err(Error::addr(
            s,
            "a host name, not a numeric address (use resolve)",
        )),
    }
}

/// Resolves an address string to one or more socket addresses, in the order
/// the system resolver prefers. Numeric forms never touch the resolver; a host
/// name goes through `getaddrinfo`, which blocks the calling thread.
///
/// ```
/// let addrs = mnet::resolve("localhost:80").unwrap();
/// assert!(addrs.iter().all(|a| a.ip().is_loopback() && a.port() == 80));
/// ```
pub fn resolve(s: &str) -> Result<Vec<SocketAddr>> {
    match split(s)? {
        (Host::Ip(ip), port) => Ok(vec![SocketAddr::new(ip, port)]),
        (Host::Name(name), port) => {
            let found: Vec<SocketAddr> = (name, port)
                .to_socket_addrs()
                .map_err(|source| Error::Resolve {
                    host: name.to_owned(),
                    source,
                })?
                .collect();
            if found.is_empty() {
                return Err(Error::Resolve {
                    host: name.to_owned(),
                    source: std::io::Error::new(std::io::ErrorKind::NotFound, "no addresses"),
                });
            }
            Ok(found)
        }
    }
}

/// The parts of an address string without resolving anything: a numeric
/// IP (`Ok`) or a checked host name (`Err`), and the port.
pub(crate) fn ip_or_name(s: &str) -> Result<(std::result::Result<IpAddr, &str>, u16)> {
    Ok(match split(s)? {
        (Host::Ip(ip), port) => (Ok(ip), port),
        (Host::Name(name), port) => (Err(name), port),
    })
}

/// The host part of an address string, without brackets: what a TLS client
/// names the server by.
pub(crate) fn host_of(s: &str) -> Result<String> {
    Ok(match split(s)?.0 {
        Host::Ip(ip) => ip.to_string(),
        Host::Name(n) => n.trim_end_matches('.').to_owned(),
    })
}

/// Formats an address the way [`resolve`] reads it back: `"1.2.3.4:80"`,
/// `"[::1]:80"`.
pub fn format_addr(a: &SocketAddr) -> String {
    a.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(s: &str) -> String {
        resolve(s).unwrap_err().to_string()
    }

    #[test]
    fn numeric_forms() {
        assert_eq!(parse_addr("127.0.0.1:80").unwrap().to_string(), "127.0.0.1:80");
        assert_eq!(parse_addr("[::1]:443").unwrap().to_string(), "[::1]:443");
        assert_eq!(parse_addr(":8080").unwrap().to_string(), "0.0.0.0:8080");
        assert_eq!(parse_addr("0.0.0.0:0").unwrap().port(), 0);
    }

    #[test]
    fn rejections_name_the_input_and_the_reason() {
        assert_eq!(
            reason("1.2.3.4:99999"),
            "invalid address '1.2.3.4:99999': port out of range (0-65535)"
        );
        assert!(reason("nonsense").contains("missing ':port'"));
        assert!(reason("1.2.3.256:80").contains("not a valid IPv4 address"));
        assert!(reason("::1:80").contains("need brackets"));
        assert!(reason("[::1:80").contains("missing ']'"));
        assert!(reason("[zz]:80").contains("IPv6"));
        assert!(reason("host:").contains("missing port"));
        assert!(reason("host:8o").contains("not a number"));
        assert!(reason("bad host:80").contains("valid host name"));
        let long = format!("{}:80", "a".repeat(300));
        let msg = reason(&long);
        assert!(msg.contains("too long"), "{msg}");
        assert!(msg.len() < 200, "the message quotes a truncated input: {msg}");
    }

    #[test]
    fn host_names_are_checked_before_resolving() {
        assert!(valid_host_name("example.com"));
        assert!(valid_host_name("a-b.c_d.example."));
        assert!(!valid_host_name("-a.com"));
        assert!(!valid_host_name(&"a".repeat(64)));
        assert!(parse_addr("localhost:80").unwrap_err().to_string().contains("host name"));
    }
}
