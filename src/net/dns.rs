//! Asynchronous DNS on the reactor: A and AAAA lookups sent over UDP
//! channels of the reactor itself, so the event-loop thread never blocks in
//! `getaddrinfo`.
//!
//! A lookup belongs to a user channel (its *owner*). It first reads the
//! hosts file; a name found there, or a numeric address, is answered at
//! once. Otherwise it opens an internal UDP channel (one per address family
//! of the nameservers), sends an A and an AAAA query with random ids from a
//! random port, and arms that channel's timer. Answers are matched by
//! server address, id and question. A try that times out, or ends in a
//! server failure, goes to the next nameserver, for `attempts` rounds over
//! the list. The internal channels are invisible: [`Reactor::next`] hands
//! their RECV and TIMER messages to this module instead of the program, and
//! [`Reactor::count`] and [`Reactor::stats`] leave them out.
//!
//! The outcome reaches the program through the pull model:
//!
//! * [`Reactor::lookup`] ends in one [`Event::Resolved`] on the owner (err 0,
//!   or [`DNS_NOT_FOUND`], [`DNS_TIMED_OUT`], [`DNS_FAILED`]) and
//!   [`Reactor::lookup_result`] gives the addresses or the error.
//! * [`Reactor::connect`] to a host name that needs DNS keeps the channel
//!   CONNECTING while the lookup runs, then connects to the addresses in
//!   turn, ending in the usual CONNECTED, or one DISCONNECT with the DNS err
//!   and the reason in [`Reactor::resolve_error`].
//!
//! Limits, on purpose: no cache (each lookup asks), no search domains (names
//! are taken as absolute), no TCP fallback for truncated answers (A and AAAA
//! answers fit in UDP), no DNSSEC.

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use simple_dns::rdata::RData;
use simple_dns::{Name, Packet, PacketFlag, Question, CLASS, QTYPE, RCODE, TYPE};
use slab::Slab;

use crate::chann::{Kind, State};
use crate::reactor::Queued;
use crate::resolv_conf::ResolverConfig;
use crate::{addr, Error, Event, Handle, Reactor, Result};

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
const MAX_ANSWER: usize = 4096;

/// The resolver's part of a reactor.
#[derive(Debug, Default)]
pub(crate) struct Resolver {
    /// Loaded from the system on first use unless set.
    config: Option<ResolverConfig>,
    lookups: Slab<Lookup>,
    /// Internal UDP channel -> its lookup.
    sockets: HashMap<Handle, usize>,
    /// Owner channel -> its lookup under way.
    owners: HashMap<Handle, usize>,
    /// Finished [`Reactor::lookup`]s, by owner.
    answers: HashMap<Handle, Answer>,
    /// Why the last connect of a channel to a host name failed in DNS.
    connect_errors: HashMap<Handle, String>,
    seq: u32,
    random: RandomState,
    counter: u64,
}

impl Resolver {
    fn random_id(&mut self) -> u16 {
        self.counter += 1;
        let mut h = self.random.build_hasher();
        h.write_u64(self.counter);
        h.finish() as u16
    }
}

#[derive(Debug)]
enum Purpose {
    /// [`Reactor::lookup`]: deliver [`Event::Resolved`].
    Query,
    /// [`Reactor::connect`] to a name: connect the channel afterwards, if it
    /// is still in the connect that started the lookup.
    Connect { epoch: u32 },
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

#[derive(Debug)]
struct Lookup {
    owner: Handle,
    seq: u32,
    purpose: Purpose,
    /// The name as given (for messages) and as asked.
    host: String,
    qname: String,
    port: u16,
    /// Internal UDP channels for IPv4 and IPv6 nameservers.
    socks: [Handle; 2],
    /// The channel whose timer ends each try.
    timer: Handle,
    queries: [Query; 2],
    try_no: u32,
    config: ResolverConfig,
    failure: Option<String>,
}

type Outcome = std::result::Result<Vec<SocketAddr>, (i32, String)>;

#[derive(Debug)]
struct Answer {
    seq: u32,
    host: String,
    outcome: Outcome,
}

/// What [`Reactor::connect`] does with an address string.
pub(crate) enum Target {
    /// Numeric, or a name the hosts file knows: connect now.
    Addrs(Vec<SocketAddr>),
    /// A name for DNS (and the port).
    Name(String, u16),
}

impl Reactor {
    /// Sets how this reactor's resolver works (nameservers, timeout,
    /// attempts, hosts file). Lookups already under way keep the old
    /// settings. Without this call the system's settings are read on the
    /// first lookup ([`ResolverConfig::system`]).
    pub fn set_resolver(&mut self, config: ResolverConfig) -> Result<()> {
        if config.nameservers.is_empty() {
            return Err(Error::InvalidArgument("the resolver needs at least one nameserver"));
        }
        if config.attempts == 0 || config.timeout.is_zero() {
            return Err(Error::InvalidArgument(
                "the resolver needs attempts >= 1 and a timeout above 0",
            ));
        }
        self.dns.config = Some(config);
        Ok(())
    }

    /// The resolver settings in use (read from the system on first call).
    pub fn resolver(&mut self) -> &ResolverConfig {
        self.dns.config.get_or_insert_with(ResolverConfig::system)
    }

    /// Looks `name` up without blocking: `"host"` or `"host:port"` (a
    /// numeric address is answered as is). Ends in one [`Event::Resolved`]
    /// on `h`, err 0 on success, or [`DNS_NOT_FOUND`], [`DNS_TIMED_OUT`] or
    /// [`DNS_FAILED`]; then [`Reactor::lookup_result`] has the addresses (with
    /// the port, 0 when none was given) or the error. A name in the hosts
    /// file, or a numeric address, is answered in the current round. A new
    /// lookup on `h` replaces one under way; closing `h` cancels it. Works in
    /// every state of `h`. An error returned here means no event follows.
    ///
    /// ```
    /// use mnet::{Event, Kind, Reactor};
    ///
    /// let mut r = Reactor::new().unwrap();
    /// let h = r.open(Kind::Stream);
    /// r.lookup(h, "localhost:80").unwrap();         // from /etc/hosts
    /// r.poll(0).unwrap();
    /// let m = r.next().unwrap();
    /// assert_eq!((m.event, m.err), (Event::Resolved, 0));
    /// assert!(r.lookup_result(h).unwrap().unwrap().iter().all(|a| a.port() == 80));
    /// ```
    pub fn lookup(&mut self, h: Handle, name: &str) -> Result<()> {
        self.get(h)?;
        let with_port;
        let (target, port) = if let Ok(ip) = name.parse::<IpAddr>() {
            (Ok(ip), 0)
        } else if name.contains(':') {
            addr::ip_or_name(name)?
        } else {
            with_port = format!("{name}:0");
            addr::ip_or_name(&with_port).map_err(|_| Error::addr(name, "not an IP address or a valid host name"))?
        };
        let target = target.map_err(str::to_owned);
        self.cancel_lookup_of(h);
        // Only the new lookup's RESOLVED may come now.
        self.dns.answers.remove(&h);
        self.dns.seq = self.dns.seq.wrapping_add(1);
        let seq = self.dns.seq;
        let host = match target {
            Ok(ip) => {
                self.answer(h, seq, ip.to_string(), Ok(vec![SocketAddr::new(ip, port)]));
                return Ok(());
            }
            Err(name) => name,
        };
        let listed = self.resolver().hosts_lookup(&host);
        if !listed.is_empty() {
            let addrs = listed.into_iter().map(|ip| SocketAddr::new(ip, port)).collect();
            self.answer(h, seq, host, Ok(addrs));
            return Ok(());
        }
        self.start_lookup(h, seq, host, port, Purpose::Query)
    }

    /// The outcome of the last finished [`Reactor::lookup`] on `h`: the
    /// addresses (A records first, then AAAA), or an error naming the host
    /// and the reason (`cannot resolve 'nosuch.example': no such host
    /// (NXDOMAIN)`). `None` until the lookup last started on `h` has
    /// finished.
    pub fn lookup_result(&self, h: Handle) -> Option<Result<Vec<SocketAddr>>> {
        let a = self.dns.answers.get(&h)?;
        Some(match &a.outcome {
            Ok(addrs) => Ok(addrs.clone()),
            Err((errno, why)) => Err(Error::Resolve {
                host: a.host.clone(),
                source: std::io::Error::new(std::io::Error::from_raw_os_error(*errno).kind(), why.clone()),
            }),
        })
    }

    /// Why the last [`Reactor::connect`] of `h` to a host name failed in
    /// DNS (the DISCONNECT said [`DNS_NOT_FOUND`], [`DNS_TIMED_OUT`] or
    /// [`DNS_FAILED`]); `None` when it did not. A new connect clears it.
    pub fn resolve_error(&self, h: Handle) -> Option<&str> {
        self.dns.connect_errors.get(&h).map(String::as_str)
    }

    /// Whether `h` is one of the resolver's own UDP channels.
    pub(crate) fn is_internal(&self, h: Handle) -> bool {
        !self.dns.sockets.is_empty() && self.dns.sockets.contains_key(&h)
    }

    /// How many channels the resolver has open.
    pub(crate) fn internal_count(&self) -> usize {
        self.dns.sockets.len()
    }

    /// The lookup number a queued [`Event::Resolved`] must carry to be
    /// delivered (an older lookup's message is dropped).
    pub(crate) fn lookup_seq(&self, h: Handle) -> Option<u32> {
        self.dns.answers.get(&h).map(|a| a.seq)
    }

    /// Sorts a connect's address string: numeric and hosts-file names
    /// connect at once, other names go to DNS. Clears the channel's last
    /// DNS error.
    pub(crate) fn connect_target(&mut self, h: Handle, s: &str) -> Result<Target> {
        self.dns.connect_errors.remove(&h);
        let (target, port) = addr::ip_or_name(s)?;
        let name = match target {
            Ok(ip) => return Ok(Target::Addrs(vec![SocketAddr::new(ip, port)])),
            Err(name) => name,
        };
        let listed = self.resolver().hosts_lookup(name);
        if listed.is_empty() {
            return Ok(Target::Name(name.to_owned(), port));
        }
        Ok(Target::Addrs(
            listed.into_iter().map(|ip| SocketAddr::new(ip, port)).collect(),
        ))
    }

    /// Starts a connect to a name that needs DNS: the channel is CONNECTING
    /// (without a socket) until the lookup ends.
    pub(crate) fn connect_by_name(&mut self, h: Handle, name: String, port: u16) -> Result<()> {
        if port == 0 {
            return Err(Error::addr(&format!("{name}:0"), "port 0 is not a valid destination"));
        }
        if self.get(h)?.kind == Kind::Tls {
            self.tls_prepare_connect(h, name.trim_end_matches('.'))?;
        }
        self.dns.seq = self.dns.seq.wrapping_add(1);
        let seq = self.dns.seq;
        let c = self.get_mut(h)?;
        c.epoch = c.epoch.wrapping_add(1); // messages of an earlier connection are stale
        c.send_event = false;
        let epoch = c.epoch;
        self.start_lookup(h, seq, name, port, Purpose::Connect { epoch })?;
        self.get_mut(h)?.state = State::Connecting;
        Ok(())
    }

    /// Drops the lookup `h` has under way, if any, with its channels.
    pub(crate) fn cancel_lookup_of(&mut self, h: Handle) {
        if let Some(&i) = self.dns.owners.get(&h) {
            self.drop_lookup(i);
        }
    }

    /// A message for one of the resolver's channels (from `next`).
    pub(crate) fn dns_event(&mut self, q: Queued) {
        let Some(&i) = self.dns.sockets.get(&q.chann) else {
            return;
        };
        match q.event {
            Event::Recv => self.read_answers(i, q.chann),
            Event::Timer => self.try_timed_out(i),
            _ => {}
        }
    }

    fn start_lookup(&mut self, owner: Handle, seq: u32, host: String, port: u16, purpose: Purpose) -> Result<()> {
        let config = self.resolver().clone();
        let qname = host.trim_end_matches('.').to_owned();
        Name::new(&qname).map_err(|_| Error::addr(&host, "not a name DNS can carry"))?;
        let (id_a, id_aaaa) = (self.dns.random_id(), self.dns.random_id());
        let lookup = Lookup {
            owner,
            seq,
            purpose,
            host,
            qname,
            port,
            socks: [Handle::NONE; 2],
            timer: Handle::NONE,
            queries: [
                Query {
                    qtype: TYPE::A,
                    id: id_a,
                    step: Step::Waiting,
                },
                Query {
                    qtype: TYPE::AAAA,
                    id: id_aaaa,
                    step: Step::Waiting,
                },
            ],
            try_no: 0,
            config,
            failure: None,
        };
        let i = self.dns.lookups.insert(lookup);
        self.dns.owners.insert(owner, i);
        if let Err(e) = self.send_try(i) {
            self.drop_lookup(i);
            return Err(e);
        }
        Ok(())
    }

    /// Sends the unsettled queries to this try's nameserver and arms the
    /// try's timeout; moves on to the next server when sending fails.
    fn send_try(&mut self, i: usize) -> Result<()> {
        loop {
            let l = &self.dns.lookups[i];
            let servers = &l.config.nameservers;
            let server = servers[l.try_no as usize % servers.len()];
            let timeout_ms = (l.config.timeout.as_millis() as u64).max(1);
            match self.send_queries(i, server) {
                Ok(()) => {
                    let timer = self.dns.lookups[i].timer;
                    return self.set_timer(timer, timeout_ms);
                }
                Err(e) => {
                    let l = &mut self.dns.lookups[i];
                    l.failure = Some(format!("cannot query {server}: {e}"));
                    l.try_no += 1;
                    if l.try_no >= l.config.attempts * l.config.nameservers.len() as u32 {
                        return Err(Error::Resolve {
                            host: l.host.clone(),
                            source: std::io::Error::other(l.failure.take().unwrap_or_default()),
                        });
                    }
                }
            }
        }
    }

    fn send_queries(&mut self, i: usize, server: SocketAddr) -> Result<()> {
        let fam = usize::from(server.is_ipv6());
        if self.dns.lookups[i].socks[fam].is_none() {
            let s = self.insert(Kind::Dgram);
            self.dns.sockets.insert(s, i);
            let l = &mut self.dns.lookups[i];
            l.socks[fam] = s;
            if l.timer.is_none() {
                l.timer = s;
            }
        }
        let l = &mut self.dns.lookups[i];
        let sock = l.socks[fam];
        let mut packets = Vec::with_capacity(2);
        for q in &mut l.queries {
            if matches!(q.step, Step::Waiting | Step::Failed) {
                q.step = Step::Waiting;
                packets.push(query_packet(q.id, &l.qname, q.qtype)?);
            }
        }
        for p in packets {
            self.send_to(sock, &p, server)?;
        }
        Ok(())
    }

    fn read_answers(&mut self, i: usize, sock: Handle) {
        let mut buf = [0u8; MAX_ANSWER];
        while let Ok(Some((n, from))) = self.recv_from(sock, &mut buf) {
            if self.on_answer(i, &buf[..n], from) {
                return; // finished: the channel is gone
            }
        }
    }

    /// One datagram on a lookup's channel; true when it finished the lookup.
    fn on_answer(&mut self, i: usize, data: &[u8], from: SocketAddr) -> bool {
        let l = &mut self.dns.lookups[i];
        if !l.config.nameservers.contains(&from) {
            log::info!("DNS: ignored a datagram from {from}, not a nameserver");
            return false;
        }
        let Ok(p) = Packet::parse(data) else {
            log::info!("DNS: ignored a malformed answer from {from}");
            return false;
        };
        let Some(q) = l.queries.iter_mut().find(|q| q.id == p.id() && q.step == Step::Waiting) else {
            return false; // a duplicate, or not ours
        };
        let asked = p.questions.len() == 1
            && p.questions[0].qtype == QTYPE::TYPE(q.qtype)
            && p.questions[0].qname.to_string().eq_ignore_ascii_case(&l.qname);
        if !p.has_flags(PacketFlag::RESPONSE) || !asked {
            return false;
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
                l.failure = Some(format!("{from} answered {rcode:?}"));
                Step::Failed
            }
        };
        if l.queries
            .iter()
            .all(|q| matches!(q.step, Step::Answered(_) | Step::NoSuchName))
        {
            self.finish(i);
            return true;
        }
        if l.queries.iter().all(|q| q.step != Step::Waiting) {
            // Nothing more will come from this server: ask the next one now.
            return self.next_try(i);
        }
        false
    }

    fn try_timed_out(&mut self, i: usize) {
        let l = &self.dns.lookups[i];
        let have_some = l
            .queries
            .iter()
            .any(|q| matches!(&q.step, Step::Answered(a) if !a.is_empty()));
        if have_some {
            self.finish(i); // the other family stays silent: use what came
        } else {
            self.next_try(i);
        }
    }

    /// Moves to the next try, or finishes when none is left; true when the
    /// lookup finished.
    fn next_try(&mut self, i: usize) -> bool {
        let l = &mut self.dns.lookups[i];
        l.try_no += 1;
        if l.try_no >= l.config.attempts * l.config.nameservers.len() as u32 {
            self.finish(i);
            return true;
        }
        if self.send_try(i).is_err() {
            self.finish(i);
            return true;
        }
        false
    }

    /// Ends lookup `i` with what its queries found and tells its owner.
    fn finish(&mut self, i: usize) {
        let l = &self.dns.lookups[i];
        let port = l.port;
        let addrs: Vec<SocketAddr> = l
            .queries
            .iter()
            .filter_map(|q| match &q.step {
                Step::Answered(a) => Some(a.iter().map(|&ip| SocketAddr::new(ip, port))),
                _ => None,
            })
            .flatten()
            .collect();
        let settled = l
            .queries
            .iter()
            .all(|q| matches!(q.step, Step::Answered(_) | Step::NoSuchName));
        let outcome: Outcome = if !addrs.is_empty() {
            Ok(addrs)
        } else if l.queries.iter().any(|q| q.step == Step::NoSuchName) {
            Err((DNS_NOT_FOUND, "no such host (NXDOMAIN)".to_owned()))
        } else if settled {
            Err((DNS_NOT_FOUND, "the name has no A or AAAA record".to_owned()))
        } else if let Some(why) = &l.failure {
            Err((DNS_FAILED, why.clone()))
        } else {
            let servers: Vec<String> = l.config.nameservers.iter().map(|s| s.to_string()).collect();
            Err((
                DNS_TIMED_OUT,
                format!(
                    "no answer from {} ({} tries of {} ms)",
                    servers.join(", "),
                    l.try_no,
                    l.config.timeout.as_millis()
                ),
            ))
        };
        let (owner, seq, host) = (l.owner, l.seq, l.host.clone());
        let purpose = std::mem::replace(&mut self.dns.lookups[i].purpose, Purpose::Query);
        self.drop_lookup(i);
        match purpose {
            Purpose::Query => self.answer(owner, seq, host, outcome),
            Purpose::Connect { epoch } => self.connect_resolved(owner, epoch, &host, outcome),
        }
    }

    /// Stores a [`Reactor::lookup`]'s outcome and queues its RESOLVED.
    fn answer(&mut self, owner: Handle, seq: u32, host: String, outcome: Outcome) {
        if self.get(owner).is_err() {
            return;
        }
        let err = outcome.as_ref().err().map_or(0, |e| e.0);
        if self.dns.answers.len() >= 64 && self.dns.answers.len().is_power_of_two() {
            // Forget the answers of closed channels now and then.
            let channs = &self.channs;
            self.dns
                .answers
                .retain(|h, _| channs.get(h.index()).is_some_and(|c| c.gen == h.gen()));
        }
        self.dns.answers.insert(owner, Answer { seq, host, outcome });
        self.push(Queued {
            event: Event::Resolved,
            chann: owner,
            accepted: Handle::NONE,
            err,
            epoch: seq,
        });
    }

    /// A connect's lookup ended: connect to the addresses in turn, or end
    /// the connect with DISCONNECT. Nothing happens when the channel left
    /// that connect meanwhile (disconnected, closed, connected elsewhere).
    fn connect_resolved(&mut self, h: Handle, epoch: u32, host: &str, outcome: Outcome) {
        let Ok(c) = self.get(h) else {
            return;
        };
        if c.epoch != epoch || c.state != State::Connecting || c.sock.is_some() {
            return;
        }
        let mut last = libc::EHOSTUNREACH;
        match outcome {
            Ok(mut addrs) => {
                let (send_event, datagram) = (c.send_event, c.kind.is_datagram());
                addrs.reverse(); // tried from the back, as a connect's plan is
                while let Some(a) = addrs.pop() {
                    if let Ok(c) = self.get_mut(h) {
                        c.state = State::Disconnect;
                    }
                    match self.connect_addr(h, a) {
                        Ok(()) => {
                            if let Ok(c) = self.get_mut(h) {
                                c.send_event = send_event;
                                if !addrs.is_empty() && !datagram {
                                    c.plan = Some(Box::new(addrs));
                                }
                                if datagram {
                                    // UDP connects at once; the program saw
                                    // CONNECTING, so it gets CONNECTED.
                                    let epoch = c.epoch;
                                    self.push(Queued {
                                        event: Event::Connected,
                                        chann: h,
                                        accepted: Handle::NONE,
                                        err: 0,
                                        epoch,
                                    });
                                }
                            }
                            return;
                        }
                        Err(e) => {
                            log::info!("connect {a} ({host}): {e}");
                            last = e.raw_os_error().unwrap_or(last);
                        }
                    }
                }
                self.dns
                    .connect_errors
                    .insert(h, format!("cannot connect to any address of '{host}'"));
            }
            Err((errno, why)) => {
                last = errno;
                self.dns
                    .connect_errors
                    .insert(h, format!("cannot resolve '{host}': {why}"));
            }
        }
        let Ok(c) = self.get_mut(h) else {
            return;
        };
        c.detach();
        let epoch = c.epoch;
        self.push(Queued {
            event: Event::Disconnect,
            chann: h,
            accepted: Handle::NONE,
            err: last,
            epoch,
        });
    }

    /// Forgets lookup `i` and closes its channels.
    fn drop_lookup(&mut self, i: usize) {
        let l = self.dns.lookups.remove(i);
        if self.dns.owners.get(&l.owner) == Some(&i) {
            self.dns.owners.remove(&l.owner);
        }
        for s in l.socks {
            if !s.is_none() {
                self.dns.sockets.remove(&s);
                let _ = self.close(s);
            }
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
