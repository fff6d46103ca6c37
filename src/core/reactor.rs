//! The reactor: a mio `Poll`, a slab of channels, timers and the message queue
//! of the current round. This file holds the round itself (`poll`) and the
//! channel table: the one way a channel comes in ([`Reactor::insert`]) and the
//! one way it goes out ([`Reactor::release`]). The event rules are in
//! `rules.rs`, the message queue in `event.rs`, the calls a program makes on
//! channels in `ops.rs`.
//!
//! A round is: flush the sends deferred by the previous round's handlers, wait
//! (no longer than the nearest deadline, not at all when level-style work is
//! pending), queue TIMER messages, end idle connections and stalled
//! handshakes, end the connections whose program declined the rest of their
//! input, turn each readiness report into state changes and messages, then
//! raise the level-style RECV and SEND events that no edge announces.

use std::collections::VecDeque;
use std::io;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use std::os::fd::RawFd;

use mio::{Events, Interest, Poll};
use slab::Slab;

use super::chann::{Chann, Kind, Readiness, State};
use super::event::Queued;
use super::handle::Handle;
use super::resolve::Resolver;
use super::timer::{now_micros, Timers};
use super::wheel::Wheel;
use crate::net::socket::Sock;
use crate::{Error, Result};

/// Readiness reports fetched per wait at first; doubled whenever a wait fills
/// the buffer, so there is no fixed ceiling.
const INITIAL_EVENTS: usize = 256;
const MAX_EVENTS: usize = 64 * 1024;

/// An event loop with its channels. One per thread; see the crate docs for
/// the model.
///
/// ```
/// use mnet::{Event, Kind, Reactor};
///
/// let mut r = Reactor::new().unwrap();
/// let srv = r.open(Kind::Stream);
/// r.listen(srv, "127.0.0.1:0", 16).unwrap();
/// let port = r.local_addr(srv).unwrap().port();
/// let cli = r.open(Kind::Stream);
/// r.connect(cli, &format!("127.0.0.1:{port}")).unwrap();
///
/// let (mut accepted, mut connected) = (false, false);
/// while !(accepted && connected) {
///     r.poll(1000).unwrap();
///     while let Some(m) = r.next() {
///         match m.event {
///             Event::Accept => accepted = true,
///             Event::Connected => connected = true,
///             _ => {}
///         }
///     }
/// }
/// ```
pub struct Reactor {
    poll: Poll,
    events: Option<Events>,
    pub(crate) channs: Slab<Chann>,
    /// Rounds so far (64 bits: the per-round stamps never wrap).
    pub(crate) round: u64,
    pub(crate) timers: Timers,
    /// Idle timeouts and TLS handshake deadlines: a timing wheel, O(1) per
    /// arm, move and cancel (`wheel.rs`, `deadlines.rs`).
    pub(crate) deadlines: Wheel,
    /// The time this round started (µs), for cheap activity stamps.
    pub(crate) now: u64,
    pub(crate) timer_q: VecDeque<Queued>,
    pub(crate) queue: VecDeque<Queued>,
    /// Channels to look at for unread data in this round: those given RECV
    /// in the last one, and those resumed since.
    pub(crate) recv_watch: Vec<Handle>,
    /// Channels given RECV since the round began (the next `recv_watch`).
    pub(crate) recv_now: Vec<Handle>,
    /// Channels with the SEND event on.
    pub(crate) send_watch: Vec<Handle>,
    /// Channels with small sends deferred to the end of the round.
    pub(crate) dirty: Vec<Handle>,
    /// Listeners waiting out EMFILE/ENFILE: (retry time, listener).
    pub(crate) accept_retry: Vec<(u64, Handle)>,
    /// The asynchronous resolver (`resolve.rs`): its lookups and UDP channels.
    pub(crate) dns: Resolver,
    /// Asked before and after each batch of accepts (`accept.rs`).
    pub(crate) accept_gate: Option<AcceptGate>,
}

/// A hook asked around accepting, for processes that share a listening
/// socket and take turns (see [`Reactor::set_accept_gate`]): called with
/// [`GatePhase::Before`] and the listening socket before a batch of
/// accepts, which only happens when it returns true, then with
/// [`GatePhase::After`] once the batch is done.
pub type AcceptGate = Box<dyn FnMut(GatePhase, RawFd) -> bool + Send>;

/// When an [`AcceptGate`] is asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GatePhase {
    /// Before accepting: true lets this reactor accept now.
    Before,
    /// After the accepts it allowed (the return value is ignored).
    After,
}

impl std::fmt::Debug for Reactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reactor")
            .field("channels", &self.channs.len())
            .field("queued", &(self.timer_q.len() + self.queue.len()))
            .finish_non_exhaustive()
    }
}

impl Reactor {
    /// Creates a reactor (an epoll instance and empty tables).
    pub fn new() -> io::Result<Reactor> {
        let now = now_micros();
        Ok(Reactor {
            poll: Poll::new()?,
            events: Some(Events::with_capacity(INITIAL_EVENTS)),
            channs: Slab::new(),
            round: 0,
            timers: Timers::default(),
            deadlines: Wheel::new(now),
            now,
            timer_q: VecDeque::new(),
            queue: VecDeque::new(),
            recv_watch: Vec::new(),
            recv_now: Vec::new(),
            send_watch: Vec::new(),
            dirty: Vec::new(),
            accept_retry: Vec::new(),
            dns: Resolver::default(),
            accept_gate: None,
        })
    }

    /// Number of open channels (listeners, connections, UDP sockets, and
    /// channels without a socket yet), including accepted ones.
    pub fn count(&self) -> usize {
        self.channs.len() - self.internal_count()
    }

    pub(crate) fn get(&self, h: Handle) -> Result<&Chann> {
        match self.channs.get(h.index()) {
            Some(c) if c.gen == h.gen() => Ok(c),
            _ => Err(Error::StaleHandle(h.to_raw())),
        }
    }

    pub(crate) fn get_mut(&mut self, h: Handle) -> Result<&mut Chann> {
        match self.channs.get_mut(h.index()) {
            Some(c) if c.gen == h.gen() => Ok(c),
            _ => Err(Error::StaleHandle(h.to_raw())),
        }
    }

    /// Makes the next round look at `h` for unread data (no edge will).
    pub(crate) fn watch_recv(&mut self, h: Handle) {
        self.recv_watch.push(h);
    }

    /// Adds a channel record and returns its handle: the one way in.
    /// Generations come from one counter for the whole process, so a
    /// handle names one channel of one reactor: used with another thread's
    /// reactor it is stale, never that reactor's channel in the same slot.
    pub(crate) fn insert(&mut self, kind: Kind) -> Handle {
        static NEXT_GEN: AtomicU32 = AtomicU32::new(1);
        let mut gen = NEXT_GEN.fetch_add(1, Ordering::Relaxed);
        if gen == 0 {
            gen = NEXT_GEN.fetch_add(1, Ordering::Relaxed); // 0 names no channel
        }
        let entry = self.channs.vacant_entry();
        let h = Handle::new(entry.key(), gen);
        entry.insert(Chann::new(gen, kind));
        h
    }

    /// Takes a channel out of the table: the one way out. Everything that
    /// could still name it goes with it: its timer and deadlines, its DNS
    /// lookups and their answers, and, for a TLS listener, the handshakes it
    /// accepted that nobody owns yet. Its socket closes when the record is
    /// dropped. Lists that hold handles (deferred sends, SEND watchers,
    /// queued messages) skip it by its generation.
    pub(crate) fn release(&mut self, h: Handle) -> Option<Chann> {
        self.get(h).ok()?;
        self.forget_lookups(h);
        let mut c = self.channs.remove(h.index());
        self.timers.stop(&mut c.timer);
        if let Some(x) = c.ext.as_mut() {
            self.deadlines.stop(&mut x.idle);
        }
        let mut pending = VecDeque::new();
        if let Some(t) = c.tls.as_mut() {
            self.deadlines.stop(&mut t.deadline);
            pending = std::mem::take(&mut t.pending);
        }
        for p in pending {
            self.release_pending(p, h);
        }
        Some(c)
    }

    /// Gives the reactor a fresh epoll instance and registers every socket
    /// of its channels in it again. For a child process after `fork()`: the
    /// instance inherited from the parent is the parent's (the child's events
    /// would go to whichever process waits first); after this call the child
    /// waits on its own, with every inherited listener and connection. The
    /// parent keeps its own registrations.
    pub fn reset_poll(&mut self) -> io::Result<()> {
        let poll = Poll::new()?;
        for (i, c) in self.channs.iter_mut() {
            let h = Handle::new(i, c.gen);
            if let Some(sock) = c.sock.as_mut() {
                let interest = match sock {
                    Sock::Listener(_) => Interest::READABLE,
                    _ => Interest::READABLE | Interest::WRITABLE,
                };
                poll.registry().register(sock.source(), h.token(), interest)?;
                // What the old instance announced is unknown here: look again.
                c.readable = true;
            }
        }
        self.poll = poll;
        let watch: Vec<Handle> = self.channs.iter().map(|(i, c)| Handle::new(i, c.gen)).collect();
        self.recv_watch.extend(watch);
        Ok(())
    }

    /// Sets (or with `None` removes) the hook asked around accepting on this
    /// reactor's listeners: how several processes sharing one listening
    /// socket take turns (m_net's `mnet_multi_accept_balancer`). A listener
    /// whose gate says no is asked again 2 ms later (no busy loop); the
    /// connection waits in the kernel's queue meanwhile, for whichever
    /// process the gate lets through.
    pub fn set_accept_gate(&mut self, gate: Option<AcceptGate>) {
        self.accept_gate = gate;
    }

    /// Closes the channel's socket and ends what belonged to that connection
    /// (queued bytes, the TLS session and its handshake deadline).
    pub(crate) fn drop_socket(&mut self, h: Handle) {
        let Some(c) = self.channs.get_mut(h.index()).filter(|c| c.gen == h.gen()) else {
            return;
        };
        if let Some(t) = c.tls.as_mut() {
            self.deadlines.stop(&mut t.deadline);
        }
        c.detach();
    }

    /// Registers `sock` under `h` and gives it to the channel. Streams and
    /// UDP sockets are registered once for both directions (edge-triggered),
    /// so no re-registration is ever needed.
    pub(crate) fn attach(&mut self, h: Handle, mut sock: Sock, state: State) -> Result<()> {
        let interest = match sock {
            Sock::Listener(_) => Interest::READABLE,
            _ => Interest::READABLE | Interest::WRITABLE,
        };
        self.poll
            .registry()
            .register(sock.source(), h.token(), interest)
            .map_err(|e| Error::io("register with epoll", e))?;
        #[cfg(not(target_pointer_width = "64"))]
        let round = self.round;
        let c = self.get_mut(h)?;
        c.attach(sock, state);
        #[cfg(not(target_pointer_width = "64"))]
        {
            c.registered = round;
        }
        Ok(())
    }

    /// Waits for events (at most `timeout_ms`; negative waits without limit)
    /// and queues this round's messages; returns the number of open channels.
    ///
    /// The wait ends early at the nearest timer deadline, so timers keep
    /// about a millisecond of accuracy whatever the timeout; it does not
    /// happen at all while a channel still has unread data from the last
    /// round or a due SEND event.
    pub fn poll(&mut self, timeout_ms: i32) -> io::Result<usize> {
        self.flush_dirty();
        // Every channel given RECV since the last round is looked at again.
        let mut given = std::mem::take(&mut self.recv_now);
        self.recv_watch.append(&mut given);
        self.recv_now = given;
        let wait = self.wait_time(timeout_ms);
        let mut events = self.events.take().unwrap_or_else(|| Events::with_capacity(INITIAL_EVENTS));
        if let Err(e) = self.poll.poll(&mut events, wait) {
            if e.kind() != io::ErrorKind::Interrupted {
                self.events = Some(events);
                return Err(e);
            }
        }
        self.round += 1;
        let now = now_micros();
        self.now = now;
        self.raise_timers(now);
        self.fire_deadlines(now);
        self.retry_accepts(now);
        self.settle_declined();
        let mut n = 0;
        for ev in events.iter() {
            n += 1;
            self.on_ready(Handle::from_token(ev.token()), ev);
        }
        if n == events.capacity() && n < MAX_EVENTS {
            events = Events::with_capacity(n * 2);
        }
        self.events = Some(events);
        self.raise_level_events();
        Ok(self.count())
    }

    /// How long the next wait may last.
    fn wait_time(&self, timeout_ms: i32) -> Option<Duration> {
        if self.has_pending_work() {
            return Some(Duration::ZERO);
        }
        let mut wait = u64::try_from(timeout_ms).ok().map(|ms| ms * 1000);
        let deadlines = self
            .timers
            .next_deadline()
            .into_iter()
            .chain(self.deadlines.next_deadline())
            .chain(self.accept_retry.iter().map(|r| r.0));
        if let Some(deadline) = deadlines.min() {
            let until = deadline.saturating_sub(now_micros());
            wait = Some(wait.map_or(until, |w| w.min(until)));
        }
        wait.map(Duration::from_micros)
    }

    /// Work that needs no readiness report: undelivered messages, unread
    /// data (level-style RECV), a due SEND event.
    fn has_pending_work(&self) -> bool {
        !self.timer_q.is_empty()
            || !self.queue.is_empty()
            || self
                .recv_watch
                .iter()
                .any(|&h| self.get(h).is_ok_and(|c| c.readable && c.can_recv() && c.reading()))
            || self
                .send_watch
                .iter()
                .any(|&h| self.get(h).is_ok_and(Chann::send_due))
    }

    /// The channel a readiness report is for, if it is still the one whose
    /// socket was registered under that token.
    fn reported(&self, token: Handle) -> Option<Handle> {
        let c = self.channs.get(token.index())?;
        #[cfg(target_pointer_width = "64")]
        let current = c.gen == token.gen();
        #[cfg(not(target_pointer_width = "64"))]
        let current = c.registered != self.round;
        current.then(|| Handle::new(token.index(), c.gen))
    }

    /// Turns one readiness report into state changes and messages.
    fn on_ready(&mut self, token: Handle, ev: &mio::event::Event) {
        let Some(h) = self.reported(token) else {
            return;
        };
        let c = &mut self.channs[h.index()];
        if c.both_finished() {
            // Our FIN went out after the peer's EOF: the kernel reports the
            // change, and the connection is over.
            return self.raise_disconnect(h, 0);
        }
        let r = Readiness::from(ev);
        match (c.state, &c.sock) {
            (State::Listening, Some(Sock::Listener(_))) => self.accept_all(h),
            (State::Connecting, Some(Sock::Stream(_))) if c.tls_running() => self.tls_handshake_ready(h, r),
            (State::Connecting, Some(Sock::Stream(_))) => self.finish_connect(h, r),
            (State::Connected | State::Listening, Some(_)) => {
                let before = c.sent + c.received;
                let fresh = c.ready(r);
                c.note_traffic(before);
                self.raise_recv(h, fresh);
            }
            _ => {}
        }
    }

    /// Writes the small sends that handlers deferred during the round: one
    /// `sendmsg` per channel for everything it sent.
    pub(crate) fn flush_dirty(&mut self) {
        if self.dirty.is_empty() {
            return;
        }
        let mut dirty = std::mem::take(&mut self.dirty);
        for &h in &dirty {
            let Ok(c) = self.get_mut(h) else {
                continue;
            };
            c.dirty = false;
            if c.writable && c.state == State::Connected {
                let before = c.sent + c.received;
                let failed = c.flush().is_err();
                c.note_traffic(before);
                if failed {
                    self.conclude(h);
                }
            }
        }
        dirty.clear();
        self.dirty = dirty;
    }
}
