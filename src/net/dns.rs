//! DNS lookups without I/O: the A and AAAA questions of one name, the
//! answers, the tries over the nameservers, and the outcome.
//!
//! A [`Lookup`] builds the query packets of each try (one A and one AAAA,
//! with random ids, to one nameserver), reads answers, and says when it is
//! done. It sends and waits for nothing itself: the reactor's resolver
//! (`core/resolve.rs`) sends its packets over UDP channels of the reactor
//! and arms the try's timeout, so the event-loop thread never blocks in
//! `getaddrinfo`.
//!
//! Answers are matched by server address, id and question. A try that times
//! out, or ends in a server failure, goes to the next nameserver, for
//! `attempts` rounds over the list. Limits, on purpose: no cache, no search
//! domains (names are taken as absolute), no TCP fallback for truncated
//! answers (A and AAAA answers fit in UDP), no DNSSEC.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use simple_dns::rdata::RData;
use simple_dns::{Name, Packet, PacketFlag, Question, CLASS, QTYPE, RCODE, TYPE};

use super::resolv_conf::ResolverConfig;
use crate::{Error, Result};

/// Resolved/DISCONNECT err: the name does not exist (NXDOMAIN) or has no
/// A or AAAA record.
pub const DNS_NOT_FOUND: i32 = libc::ENXIO;
/// Resolved/DISCONNECT err: no nameserver answered in time.
pub const DNS_TIMED_OUT: i32 = libc::ETIMEDOUT;
/// Resolved/DISCONNECT err: the nameservers answered with a failure
/// (SERVFAIL, REFUSED, ...) or could not be reached.
pub const DNS_FAILED: i32 = libc::EAGAIN;

/// Largest answer read: A/AAAA answers without EDNS fit in 512 bytes; a
/// server that sends more gets the rest cut, which the parser rejects.
pub(crate) const MAX_ANSWER: usize = 4096;

/// The addresses, or the err and the reason.
pub(crate) type Outcome = std::result::Result<Vec<SocketAddr>, (i32, String)>;

/// Where a lookup stands after an answer or a timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Progress {
    /// Still waiting for this try's answers.
    Waiting,
    /// This try is over: send the next one ([`Lookup::queries`]).
    NextTry,
    /// Done: see [`Lookup::outcome`].
    Finished,
}

#[derive(Debug, Clone, PartialEq)]
enum Step {
    Waiting,
    /// NOERROR, with the addresses (none: the name has no record of the type).
    Answered(Vec<IpAddr>),
    NoSuchName,
    /// A server failure in this try.
    Failed,
}

#[derive(Debug)]
struct Query {
    qtype: TYPE,
    /// The same id for every try, so a late answer to an earlier try counts.
    id: u16,
    step: Step,
}

/// One name being looked up.
#[derive(Debug)]
pub(crate) struct Lookup {
    /// The name as given (for messages) and as asked.
    host: String,
    qname: String,
    port: u16,
    queries: [Query; 2],
    try_no: u32,
    /// Tries in all: attempts × nameservers.
    tries: u32,
    config: ResolverConfig,
    failure: Option<String>,
}

impl Lookup {
    /// A lookup of `host` (the answers get `port`) with these settings and
    /// query ids; refuses a name DNS cannot carry.
    pub fn new(host: String, port: u16, config: ResolverConfig, ids: [u16; 2]) -> Result<Lookup> {
        let qname = host.trim_end_matches('.').to_owned();
        Name::new(&qname).map_err(|_| Error::addr(&host, "not a name DNS can carry"))?;
        let servers = u32::try_from(config.nameservers.len()).unwrap_or(u32::MAX);
        let tries = config.attempts.saturating_mul(servers).max(1);
        let query = |qtype, id| Query {
            qtype,
            id,
            step: Step::Waiting,
        };
        Ok(Lookup {
            host,
            qname,
            port,
            queries: [query(TYPE::A, ids[0]), query(TYPE::AAAA, ids[1])],
            try_no: 0,
            tries,
            config,
            failure: None,
        })
    }

    /// The name as given.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// This try's nameserver.
    pub fn server(&self) -> SocketAddr {
        let servers = &self.config.nameservers;
        servers[self.try_no as usize % servers.len()]
    }

    /// How long this try waits for its answers.
    pub fn timeout(&self) -> Duration {
        self.config.timeout
    }

    /// The packets of this try: the questions not settled yet.
    pub fn queries(&mut self) -> Result<Vec<Vec<u8>>> {
        let mut packets = Vec::with_capacity(2);
        for q in &mut self.queries {
            if matches!(q.step, Step::Waiting | Step::Failed) {
                q.step = Step::Waiting;
                packets.push(query_packet(q.id, &self.qname, q.qtype)?);
            }
        }
        Ok(packets)
    }

    /// This try's packets could not be sent: note why and move on to the
    /// next try. False when no try is left.
    pub fn send_failed(&mut self, why: String) -> bool {
        self.failure = Some(why);
        self.next_try()
    }

    /// Moves to the next try; false when none is left.
    pub fn next_try(&mut self) -> bool {
        self.try_no = self.try_no.saturating_add(1);
        self.try_no < self.tries
    }

    /// This try's time is up.
    pub fn timed_out(&mut self) -> Progress {
        let have_some = self
            .queries
            .iter()
            .any(|q| matches!(&q.step, Step::Answered(a) if !a.is_empty()));
        if have_some || !self.next_try() {
            // With one family answered, the other's silence is not worth
            // another try: use what came.
            Progress::Finished
        } else {
            Progress::NextTry
        }
    }

    /// One datagram from `from`.
    pub fn answer(&mut self, data: &[u8], from: SocketAddr) -> Progress {
        if !self.config.nameservers.contains(&from) {
            log::info!("DNS: ignored a datagram from {from}, not a nameserver");
            return Progress::Waiting;
        }
        let Ok(p) = Packet::parse(data) else {
            log::info!("DNS: ignored a malformed answer from {from}");
            return Progress::Waiting;
        };
        let Some(q) = self.queries.iter_mut().find(|q| q.id == p.id() && q.step == Step::Waiting) else {
            return Progress::Waiting; // a duplicate, or not ours
        };
        let asked = p.questions.len() == 1
            && p.questions[0].qtype == QTYPE::TYPE(q.qtype)
            && p.questions[0].qname.to_string().eq_ignore_ascii_case(&self.qname);
        if !p.has_flags(PacketFlag::RESPONSE) || !asked {
            return Progress::Waiting;
        }
        q.step = match p.rcode() {
            RCODE::NoError => Step::Answered(
                p.answers
                    .iter()
                    .filter_map(|rr| match &rr.rdata {
                        RData::A(a) if q.qtype == TYPE::A => Some(IpAddr::V4(Ipv4Addr::from(a.address))),
                        RData::AAAA(a) if q.qtype == TYPE::AAAA => Some(IpAddr::V6(Ipv6Addr::from(a.address))),
                        _ => None,
                    })
                    .collect(),
            ),
            RCODE::NameError => Step::NoSuchName,
            rcode => {
                self.failure = Some(format!("{from} answered {rcode:?}"));
                Step::Failed
            }
        };
        if self.settled() {
            return Progress::Finished;
        }
        if self.queries.iter().all(|q| q.step != Step::Waiting) {
            // Nothing more will come from this server: ask the next one now.
            return if self.next_try() { Progress::NextTry } else { Progress::Finished };
        }
        Progress::Waiting
    }

    /// Every question has its final answer.
    fn settled(&self) -> bool {
        self.queries
            .iter()
            .all(|q| matches!(q.step, Step::Answered(_) | Step::NoSuchName))
    }

    /// What the lookup found: the addresses (A records first, then AAAA)
    /// with the port, or the err and a reason.
    pub fn outcome(&self) -> Outcome {
        let port = self.port;
        let addrs: Vec<SocketAddr> = self
            .queries
            .iter()
            .filter_map(|q| match &q.step {
                Step::Answered(a) => Some(a.iter().map(|&ip| SocketAddr::new(ip, port))),
                _ => None,
            })
            .flatten()
            .collect();
        if !addrs.is_empty() {
            Ok(addrs)
        } else if self.queries.iter().any(|q| q.step == Step::NoSuchName) {
            Err((DNS_NOT_FOUND, "no such host (NXDOMAIN)".to_owned()))
        } else if self.settled() {
            Err((DNS_NOT_FOUND, "the name has no A or AAAA record".to_owned()))
        } else if let Some(why) = &self.failure {
            Err((DNS_FAILED, why.clone()))
        } else {
            let servers: Vec<String> = self.config.nameservers.iter().map(|s| s.to_string()).collect();
            Err((
                DNS_TIMED_OUT,
                format!(
                    "no answer from {} ({} tries of {} ms)",
                    servers.join(", "),
                    self.try_no,
                    self.config.timeout.as_millis()
                ),
            ))
        }
    }
}

/// One recursive query for `name`/`qtype`.
fn query_packet(id: u16, name: &str, qtype: TYPE) -> Result<Vec<u8>> {
    let bad = |_| Error::addr(name, "not a name DNS can carry");
    let mut p = Packet::new_query(id);
    p.set_flags(PacketFlag::RECURSION_DESIRED);
    p.questions.push(Question::new(
        Name::new(name).map_err(bad)?,
        qtype.into(),
        CLASS::IN.into(),
        false,
    ));
    p.build_bytes_vec().map_err(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(servers: usize, attempts: u32) -> Lookup {
        let config = ResolverConfig {
            nameservers: (0..servers).map(|i| SocketAddr::from(([127, 0, 0, 1], 5300 + i as u16))).collect(),
            attempts,
            ..ResolverConfig::default()
        };
        Lookup::new("example.test".into(), 80, config, [1, 2]).unwrap()
    }

    #[test]
    fn tries_go_round_the_servers_attempts_times() {
        let mut l = lookup(2, 2);
        let mut servers = vec![l.server().port()];
        while l.timed_out() == Progress::NextTry {
            servers.push(l.server().port());
        }
        assert_eq!(servers, [5300, 5301, 5300, 5301]);
        assert_eq!(l.outcome().unwrap_err().0, DNS_TIMED_OUT);
    }

    #[test]
    fn huge_attempt_counts_saturate_instead_of_wrapping() {
        let mut l = lookup(3, u32::MAX);
        assert_eq!(l.tries, u32::MAX);
        l.try_no = u32::MAX - 1;
        assert!(!l.next_try(), "the last try ends the lookup");
        assert!(!l.next_try(), "and it stays ended");
    }
}
