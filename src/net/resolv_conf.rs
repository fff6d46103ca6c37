//! Where the asynchronous resolver asks, and how long it waits: the
//! nameservers, timeout and attempts of `/etc/resolv.conf`, and the names of
//! `/etc/hosts`, read the way glibc reads them (files first, then DNS).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

/// glibc's limit on nameservers taken from resolv.conf (MAXNS).
const MAX_NAMESERVERS: usize = 3;

/// How the asynchronous resolver of a [`Reactor`](crate::Reactor) works:
/// which nameservers it asks, how long it waits for each answer, how often
/// it tries, and which hosts file it reads first.
///
/// The default is glibc's: the system's `/etc/resolv.conf` (nameservers,
/// `options timeout:N attempts:N`), 127.0.0.1:53 when it names none, 5 s
/// per try, 2 rounds over the servers, `/etc/hosts` first.
///
/// ```
/// use std::time::Duration;
/// use mnet::ResolverConfig;
///
/// let c = ResolverConfig::parse_resolv_conf("nameserver 10.0.0.1\noptions timeout:1 attempts:3\n");
/// assert_eq!(c.nameservers, vec!["10.0.0.1:53".parse().unwrap()]);
/// assert_eq!((c.timeout, c.attempts), (Duration::from_secs(1), 3));
///
/// // A test pointing the resolver at its own responder:
/// let t = ResolverConfig::with_nameservers(&["127.0.0.1:5353".parse().unwrap()]);
/// assert_eq!(t.attempts, 2);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolverConfig {
    /// The nameservers, asked one after the other (the next one when an
    /// answer does not come in time or is a server failure).
    pub nameservers: Vec<SocketAddr>,
    /// How long to wait for an answer from one nameserver.
    pub timeout: Duration,
    /// Rounds over the nameserver list before giving up.
    pub attempts: u32,
    /// A hosts file consulted before DNS (`None`: DNS only).
    pub hosts_file: Option<PathBuf>,
}

impl Default for ResolverConfig {
    fn default() -> ResolverConfig {
        ResolverConfig {
            nameservers: vec![SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 53)],
            timeout: Duration::from_secs(5),
            attempts: 2,
            hosts_file: Some(PathBuf::from("/etc/hosts")),
        }
    }
}

impl ResolverConfig {
    /// The system's settings: `/etc/resolv.conf` and `/etc/hosts`. A missing
    /// or unreadable resolv.conf gives the defaults.
    pub fn system() -> ResolverConfig {
        std::fs::read_to_string("/etc/resolv.conf")
            .map(|text| ResolverConfig::parse_resolv_conf(&text))
            .unwrap_or_default()
    }

    /// Reads resolv.conf text: `nameserver` lines (the first three, port
    /// 53) and `options timeout:N attempts:N`. Other lines (`search`,
    /// `domain`, `ndots`, ...) are ignored: names are looked up as given.
    pub fn parse_resolv_conf(text: &str) -> ResolverConfig {
        let mut c = ResolverConfig {
            nameservers: Vec::new(),
            ..ResolverConfig::default()
        };
        for line in text.lines() {
            let line = line.split(['#', ';']).next().unwrap_or("");
            let mut words = line.split_whitespace();
            match words.next() {
                Some("nameserver") => {
                    // A zone index ("fe80::1%eth0") is not usable here: skip it.
                    let ip = words.next().and_then(|w| w.parse::<IpAddr>().ok());
                    if let Some(ip) = ip {
                        if c.nameservers.len() < MAX_NAMESERVERS {
                            c.nameservers.push(SocketAddr::new(ip, 53));
                        }
                    }
                }
                Some("options") => {
                    for opt in words {
                        if let Some(n) = opt.strip_prefix("timeout:").and_then(|v| v.parse::<u64>().ok()) {
                            c.timeout = Duration::from_secs(n.clamp(1, 30));
                        } else if let Some(n) = opt.strip_prefix("attempts:").and_then(|v| v.parse::<u32>().ok()) {
                            c.attempts = n.clamp(1, 5);
                        }
                    }
                }
                _ => {}
            }
        }
        if c.nameservers.is_empty() {
            c.nameservers = ResolverConfig::default().nameservers;
        }
        c
    }

    /// The defaults with these nameservers (and no hosts file): what a test
    /// uses to point the resolver at a responder of its own.
    pub fn with_nameservers(nameservers: &[SocketAddr]) -> ResolverConfig {
        ResolverConfig {
            nameservers: nameservers.to_vec(),
            hosts_file: None,
            ..ResolverConfig::default()
        }
    }

    /// The addresses the hosts file gives `name` (case-insensitive, a
    /// trailing dot ignored), in file order; empty when it has none or
    /// cannot be read.
    pub(crate) fn hosts_lookup(&self, name: &str) -> Vec<IpAddr> {
        let Some(path) = &self.hosts_file else {
            return Vec::new();
        };
        let Ok(text) = std::fs::read_to_string(path) else {
            return Vec::new();
        };
        parse_hosts(&text, name)
    }
}

/// The addresses `name` has in hosts-file text.
fn parse_hosts(text: &str, name: &str) -> Vec<IpAddr> {
    let name = name.trim_end_matches('.');
    let mut found = Vec::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("");
        let mut words = line.split_whitespace();
        let Some(ip) = words.next().and_then(|w| w.parse::<IpAddr>().ok()) else {
            continue;
        };
        if words.any(|w| w.trim_end_matches('.').eq_ignore_ascii_case(name)) && !found.contains(&ip) {
            found.push(ip);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolv_conf_nameservers_and_options() {
        let c = ResolverConfig::parse_resolv_conf(
            "# comment\nsearch example.com\nnameserver 10.0.0.1\nnameserver ::1 # v6\n\
             nameserver fe80::1%eth0\nnameserver 10.0.0.2\nnameserver 10.0.0.3\n\
             options ndots:2 timeout:2 attempts:9\n",
        );
        let want: Vec<SocketAddr> = ["10.0.0.1:53", "[::1]:53", "10.0.0.2:53"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        assert_eq!(c.nameservers, want, "the first three usable servers");
        assert_eq!(c.timeout, Duration::from_secs(2));
        assert_eq!(c.attempts, 5, "attempts are capped as glibc caps them");
    }

    #[test]
    fn empty_resolv_conf_means_the_local_server() {
        let c = ResolverConfig::parse_resolv_conf("");
        assert_eq!(c.nameservers, vec!["127.0.0.1:53".parse::<SocketAddr>().unwrap()]);
        assert_eq!((c.timeout, c.attempts), (Duration::from_secs(5), 2));
    }

    #[test]
    fn hosts_file_lines() {
        let text = "127.0.0.1 localhost\n::1 localhost ip6-localhost\n# 10.0.0.9 localhost\n\
                    10.1.2.3 Web.Example web # alias\n";
        let v: Vec<IpAddr> = parse_hosts(text, "localhost.");
        assert_eq!(v, vec!["127.0.0.1".parse::<IpAddr>().unwrap(), "::1".parse().unwrap()]);
        assert_eq!(
            parse_hosts(text, "web.example"),
            vec!["10.1.2.3".parse::<IpAddr>().unwrap()]
        );
        assert!(parse_hosts(text, "nothere").is_empty());
    }
}
