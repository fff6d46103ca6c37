//! `http://` and `https://` URLs, as the client needs them: where to connect
//! and what to put in the request line and `Host`.

use crate::{Error, Result};

/// Where a request goes: the connection key of the keep-alive pool.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Origin {
    pub tls: bool,
    /// The host as written, without IPv6 brackets, lower-cased.
    pub host: String,
    pub port: u16,
}

impl Origin {
    /// `host:port` as `Reactor::connect` reads it (`[::1]:443` for IPv6).
    pub fn connect_addr(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// The `Host` header: the port only when it is not the scheme's.
    pub fn host_header(&self) -> String {
        let default = if self.tls { 443 } else { 80 };
        match (self.host.contains(':'), self.port == default) {
            (true, true) => format!("[{}]", self.host),
            (true, false) => format!("[{}]:{}", self.host, self.port),
            (false, true) => self.host.clone(),
            (false, false) => format!("{}:{}", self.host, self.port),
        }
    }
}

/// A parsed URL: its origin and the request target (path and query).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Url {
    pub origin: Origin,
    pub target: String,
}

fn bad(url: &str, why: &'static str) -> Error {
    Error::addr(url, why)
}

/// Parses `http://host[:port][/path][?query][#fragment]` (and `https://`).
/// The fragment is dropped; user information, other schemes, empty hosts,
/// bad ports, spaces and control bytes are errors.
pub(crate) fn parse(url: &str) -> Result<Url> {
    if url.bytes().any(|b| b <= b' ' || b == 0x7f) {
        return Err(bad(url, "a URL may not contain spaces or control characters"));
    }
    let (tls, rest) = if let Some(r) = strip_prefix_ignore_case(url, "http://") {
        (false, r)
    } else if let Some(r) = strip_prefix_ignore_case(url, "https://") {
        (true, r)
    } else {
        return Err(bad(url, "only http:// and https:// URLs are supported"));
    };
    let rest = rest.split('#').next().unwrap_or("");
    let split = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, target) = rest.split_at(split);
    if authority.contains('@') {
        return Err(bad(url, "user information in a URL is not supported"));
    }
    let default_port = if tls { 443 } else { 80 };
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (h, after) = v6.split_once(']').ok_or_else(|| bad(url, "unclosed '[' in the host"))?;
        if h.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(bad(url, "not an IPv6 address between '[' and ']'"));
        }
        match after {
            "" => (h, default_port),
            p => (h, port(url, p.strip_prefix(':').ok_or_else(|| bad(url, "junk after ']'"))?)?),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, port(url, p)?),
            None => (authority, default_port),
        }
    };
    if host.is_empty() {
        return Err(bad(url, "the URL has no host"));
    }
    let target = match target {
        "" => "/".to_owned(),
        t if t.starts_with('?') => format!("/{t}"),
        t => t.to_owned(),
    };
    Ok(Url {
        origin: Origin {
            tls,
            host: host.to_ascii_lowercase(),
            port,
        },
        target,
    })
}

fn port(url: &str, p: &str) -> Result<u16> {
    match p.parse::<u16>() {
        Ok(n) if n > 0 && p.bytes().all(|b| b.is_ascii_digit()) => Ok(n),
        _ => Err(bad(url, "the port is not a number from 1 to 65535")),
    }
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &s[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(u: &str) -> (bool, String, u16, String) {
        let p = parse(u).unwrap();
        (p.origin.tls, p.origin.host, p.origin.port, p.target)
    }

    #[test]
    fn urls() {
        assert_eq!(ok("http://example.com"), (false, "example.com".into(), 80, "/".into()));
        assert_eq!(ok("HTTPS://Example.COM/a/b?x=1#frag"), (true, "example.com".into(), 443, "/a/b?x=1".into()));
        assert_eq!(ok("http://127.0.0.1:8080?q"), (false, "127.0.0.1".into(), 8080, "/?q".into()));
        assert_eq!(ok("http://[::1]:9/x"), (false, "::1".into(), 9, "/x".into()));
        assert_eq!(ok("https://[::1]/"), (true, "::1".into(), 443, "/".into()));
        let o = parse("http://[::1]:9/").unwrap().origin;
        assert_eq!((o.connect_addr(), o.host_header()), ("[::1]:9".into(), "[::1]:9".into()));
        let o = parse("https://h:443/").unwrap().origin;
        assert_eq!((o.connect_addr(), o.host_header()), ("h:443".into(), "h".into()));
    }

    #[test]
    fn bad_urls() {
        for u in [
            "ftp://x/",
            "http://",
            "http://:80/",
            "http://x:0/",
            "http://x:65536/",
            "http://x:+1/",
            "http://x:/",
            "http://user@x/",
            "http://[::1/",
            "http://[zz]/",
            "http://x/a b",
            "http://x/\r\nInjected: 1",
            "x",
        ] {
            assert!(parse(u).is_err(), "{u}");
        }
    }
}
