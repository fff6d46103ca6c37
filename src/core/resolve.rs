//! The reactor's asynchronous resolver: DNS lookups (`net/dns.rs`) sent over
//! UDP channels of the reactor itself, so the event-loop thread never blocks
//! in `getaddrinfo`.
//!
//! A lookup belongs to a program's channel (its *owner*). It first reads the
//! hosts file; a name found there, or a numeric address, is answered at
//! once. Otherwise it opens an internal UDP channel (one per address family
//! of the nameservers), sends the lookup's queries from a random port, and
//! arms that channel's timer for the try's timeout. The internal channels are
//! invisible: [`Reactor::next`] hands their RECV and TIMER messages to this
//! module instead of the program, and [`Reactor::count`] and
//! [`Reactor::stats`] leave them out.
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
//! A channel has at most one lookup of each kind under way: a new
//! [`Reactor::lookup`] replaces the last one, and never touches a connect's;
//! releasing the channel cancels both and forgets their results.

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::net::{IpAddr, SocketAddr};

use slab::Slab;

use super::chann::{Kind, State};
use super::event::Event;
use super::handle::Handle;
use super::reactor::Reactor;
use crate::net::addr;
use crate::net::dns::{Lookup, Outcome, Progress, MAX_ANSWER};
use crate::net::resolv_conf::ResolverConfig;
#[cfg(doc)]
use crate::net::dns::{DNS_FAILED, DNS_NOT_FOUND, DNS_TIMED_OUT};
use crate::{Error, Result};

/// The resolver's part of a reactor.
#[derive(Debug, Default)]
pub(crate) struct Resolver {
    /// Loaded from the system on first use unless set.
    config: Option<ResolverConfig>,
    running: Slab<Running>,
    /// Internal UDP channel -> its lookup.
    sockets: HashMap<Handle, usize>,
    /// Owner -> its [`Reactor::lookup`] under way.
    queries: HashMap<Handle, usize>,
    /// Owner -> the lookup of its connect to a host name.
    connects: HashMap<Handle, usize>,
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

    fn next_seq(&mut self) -> u32 {
        self.seq = self.seq.wrapping_add(1);
        self.seq
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    /// [`Reactor::lookup`]: deliver [`Event::Resolved`].
    Query,
    /// [`Reactor::connect`] to a name: connect the channel afterwards, if it
    /// is still in the connect that started the lookup.
    Connect { epoch: u32 },
}

#[derive(Debug)]
struct Running {
    owner: Handle,
    seq: u32,
    purpose: Purpose,
    lookup: Lookup,
    /// Internal UDP channels for IPv4 and IPv6 nameservers.
    socks: [Handle; 2],
    /// The channel whose timer ends each try.
    timer: Handle,
}

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
    /// lookup on `h` replaces one under way (a connect of `h` to a host name
    /// goes on regardless); closing `h` cancels it. Works in every state of
    /// `h`. An error returned here means no event follows.
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
        if let Some(i) = self.dns.queries.get(&h).copied() {
            self.drop_lookup(i);
        }
        // Only the new lookup's RESOLVED may come now.
        self.dns.answers.remove(&h);
        let seq = self.dns.next_seq();
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
        self.target(s)
    }

    /// Numeric addresses and hosts-file names as addresses; other names as
    /// names.
    fn target(&mut self, s: &str) -> Result<Target> {
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

    /// The addresses a listener may bind for `s`: numeric, or a name in the
    /// hosts file. A name only DNS knows is refused: binding waits for
    /// nothing, and a listener's address should not depend on a lookup.
    pub(crate) fn listen_target(&mut self, s: &str) -> Result<SocketAddr> {
        match self.target(s)? {
            Target::Addrs(addrs) => Ok(addrs[0]),
            Target::Name(..) => Err(Error::addr(
                s,
                "a host name not in the hosts file; listen needs an IP address (or a name /etc/hosts lists)",
            )),
        }
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
        let seq = self.dns.next_seq();
        let c = self.get_mut(h)?;
        c.new_connection(); // messages of an earlier connection are stale
        let epoch = c.epoch;
        self.start_lookup(h, seq, name, port, Purpose::Connect { epoch })?;
        self.get_mut(h)?.state = State::Connecting;
        Ok(())
    }

    /// Drops the lookup of `h`'s connect, if one is under way.
    pub(crate) fn cancel_connect_lookup(&mut self, h: Handle) {
        if let Some(i) = self.dns.connects.get(&h).copied() {
            self.drop_lookup(i);
        }
    }

    /// Forgets everything the resolver holds for a channel that is being
    /// released: its lookups under way and their channels, its answer and
    /// its last DNS error.
    pub(crate) fn forget_lookups(&mut self, h: Handle) {
        if self.dns.running.is_empty() && self.dns.answers.is_empty() && self.dns.connect_errors.is_empty() {
            return;
        }
        for i in [self.dns.queries.get(&h).copied(), self.dns.connects.get(&h).copied()]
            .into_iter()
            .flatten()
        {
            self.drop_lookup(i);
        }
        self.dns.answers.remove(&h);
        self.dns.connect_errors.remove(&h);
    }

    /// A message for one of the resolver's channels, handed over by `next`.
    pub(crate) fn dns_event(&mut self, event: Event, sock: Handle) {
        let Some(&i) = self.dns.sockets.get(&sock) else {
            return;
        };
        match event {
            Event::Recv => self.read_answers(i, sock),
            Event::Timer => {
                let progress = self.dns.running[i].lookup.timed_out();
                self.advance(i, progress);
            }
            _ => {}
        }
    }

    fn start_lookup(&mut self, owner: Handle, seq: u32, host: String, port: u16, purpose: Purpose) -> Result<()> {
        let config = self.resolver().clone();
        let ids = [self.dns.random_id(), self.dns.random_id()];
        let lookup = Lookup::new(host, port, config, ids)?;
        let i = self.dns.running.insert(Running {
            owner,
            seq,
            purpose,
            lookup,
            socks: [Handle::NONE; 2],
            timer: Handle::NONE,
        });
        match purpose {
            Purpose::Query => self.dns.queries.insert(owner, i),
            Purpose::Connect { .. } => self.dns.connects.insert(owner, i),
        };
        if let Err(e) = self.send_try(i) {
            self.drop_lookup(i);
            return Err(e);
        }
        Ok(())
    }

    /// Sends this try's queries to its nameserver and arms the try's
    /// timeout; moves on to the next server when sending fails.
    fn send_try(&mut self, i: usize) -> Result<()> {
        loop {
            let server = self.dns.running[i].lookup.server();
            match self.send_queries(i, server) {
                Ok(()) => {
                    let run = &self.dns.running[i];
                    let timeout_ms = u64::try_from(run.lookup.timeout().as_millis()).unwrap_or(u64::MAX).max(1);
                    return self.set_timer(run.timer, timeout_ms);
                }
                Err(e) => {
                    let lookup = &mut self.dns.running[i].lookup;
                    if !lookup.send_failed(format!("cannot query {server}: {e}")) {
                        return Err(Error::Resolve {
                            host: lookup.host().to_owned(),
                            source: std::io::Error::other(format!("cannot query {server}: {e}")),
                        });
                    }
                }
            }
        }
    }

    fn send_queries(&mut self, i: usize, server: SocketAddr) -> Result<()> {
        let fam = usize::from(server.is_ipv6());
        if self.dns.running[i].socks[fam].is_none() {
            let s = self.insert(Kind::Dgram);
            self.dns.sockets.insert(s, i);
            let run = &mut self.dns.running[i];
            run.socks[fam] = s;
            if run.timer.is_none() {
                run.timer = s;
            }
        }
        let run = &mut self.dns.running[i];
        let sock = run.socks[fam];
        for p in run.lookup.queries()? {
            self.send_to(sock, &p, server)?;
        }
        Ok(())
    }

    fn read_answers(&mut self, i: usize, sock: Handle) {
        let mut buf = [0u8; MAX_ANSWER];
        while let Ok(Some((n, from))) = self.recv_from(sock, &mut buf) {
            let progress = self.dns.running[i].lookup.answer(&buf[..n], from);
            if progress != Progress::Waiting {
                self.advance(i, progress);
                return;
            }
        }
    }

    /// Acts on where lookup `i` stands: the next try, or the end.
    fn advance(&mut self, i: usize, progress: Progress) {
        match progress {
            Progress::Waiting => {}
            Progress::NextTry => {
                if self.send_try(i).is_err() {
                    self.finish(i);
                }
            }
            Progress::Finished => self.finish(i),
        }
    }

    /// Ends lookup `i` with what it found and tells its owner.
    fn finish(&mut self, i: usize) {
        let run = &self.dns.running[i];
        let (owner, seq, purpose, host) = (run.owner, run.seq, run.purpose, run.lookup.host().to_owned());
        let outcome = run.lookup.outcome();
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
        self.dns.answers.insert(owner, Answer { seq, host, outcome });
        self.emit(owner, Event::Resolved, err);
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
                                    c.extras().plan = addrs;
                                }
                            }
                            if datagram {
                                // UDP connects at once; the program saw
                                // CONNECTING, so it gets CONNECTED.
                                self.raise_connected(h);
                            }
                            return;
                        }
                        Err(e) => {
                            log::info!("connect {a} ({host}): {e}");
                            last = e.raw_os_error().unwrap_or(last);
                        }
                    }
                }
                if let Ok(c) = self.get_mut(h) {
                    c.state = State::Connecting;
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
        self.raise_disconnect(h, last);
    }

    /// Forgets lookup `i` and closes its channels.
    fn drop_lookup(&mut self, i: usize) {
        let run = self.dns.running.remove(i);
        let owners = match run.purpose {
            Purpose::Query => &mut self.dns.queries,
            Purpose::Connect { .. } => &mut self.dns.connects,
        };
        if owners.get(&run.owner) == Some(&i) {
            owners.remove(&run.owner);
        }
        for s in run.socks {
            if !s.is_none() {
                self.dns.sockets.remove(&s);
                self.release(s);
            }
        }
    }
}
