//! The reactor: a mio `Poll`, a slab of channels, timers and the message queue
//! of the current round. This file holds the round itself (`poll`, `next`) and
//! the event rules; the calls a user makes on channels are in `ops.rs`.
//!
//! A round is: flush the sends deferred by the previous round's handlers, wait
//! (no longer than the nearest timer deadline, not at all when level-style
//! work is pending), queue TIMER messages, then turn each readiness report
//! into messages, then raise the level-style RECV and SEND events that no
//! edge announces. `next` hands the messages out, timers first, and drops any
//! whose channel was closed, reconnected or changed in the meantime.

use std::collections::VecDeque;
use std::io;
use std::time::Duration;

use mio::{Events, Interest, Poll, Token};
use slab::Slab;

use crate::chann::{Chann, Kind, State};
use crate::socket::{self, Sock};
use crate::timer::{now_micros, Timers};
use crate::tls::Input;
use crate::{Error, Event, Handle, Msg, Result};

/// Readiness reports fetched per wait at first; doubled whenever a wait fills
/// the buffer, so there is no fixed ceiling.
const INITIAL_EVENTS: usize = 256;
const MAX_EVENTS: usize = 64 * 1024;

/// Pause before retrying `accept` after EMFILE/ENFILE, in microseconds.
const ACCEPT_RETRY_US: u64 = 100_000;

/// A message waiting in the round's queue, with what is needed to check at
/// hand-out time that it still applies.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Queued {
    pub event: Event,
    pub chann: Handle,
    pub accepted: Handle,
    pub err: i32,
    pub epoch: u32,
}

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
    next_gen: u32,
    round: u32,
    pub(crate) timers: Timers,
    /// Idle-timeout deadlines (re-checked lazily against the last traffic).
    pub(crate) idle: Timers,
    /// The time this round started (µs), for cheap activity stamps.
    pub(crate) now: u64,
    timer_q: VecDeque<Queued>,
    queue: VecDeque<Queued>,
    /// Channels given RECV in the last round: checked for unread data.
    recv_watch: Vec<Handle>,
    /// Channels given RECV in this round (becomes `recv_watch`).
    recv_now: Vec<Handle>,
    /// Channels with the SEND event on.
    pub(crate) send_watch: Vec<Handle>,
    /// Channels with small sends deferred to the end of the round.
    pub(crate) dirty: Vec<Handle>,
    /// Listeners waiting out EMFILE/ENFILE: (retry time, listener).
    accept_retry: Vec<(u64, Handle)>,
    /// The asynchronous resolver (`dns.rs`): its lookups and UDP channels.
    pub(crate) dns: crate::dns::Resolver,
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
        Ok(Reactor {
            poll: Poll::new()?,
            events: Some(Events::with_capacity(INITIAL_EVENTS)),
            channs: Slab::new(),
            next_gen: 0,
            round: 0,
            timers: Timers::default(),
            idle: Timers::default(),
            now: now_micros(),
            timer_q: VecDeque::new(),
            queue: VecDeque::new(),
            recv_watch: Vec::new(),
            recv_now: Vec::new(),
            send_watch: Vec::new(),
            dirty: Vec::new(),
            accept_retry: Vec::new(),
            dns: Default::default(),
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

    /// Queues a message for this round.
    pub(crate) fn push(&mut self, q: Queued) {
        self.queue.push_back(q);
    }

    /// Adds a channel record and returns its handle.
    pub(crate) fn insert(&mut self, kind: Kind) -> Handle {
        self.next_gen = self.next_gen.wrapping_add(1).max(1);
        let entry = self.channs.vacant_entry();
        let h = Handle::new(entry.key(), self.next_gen);
        entry.insert(Chann::new(self.next_gen, kind));
        h
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
            .register(sock.source(), Token(h.to_raw() as usize), interest)
            .map_err(|e| Error::io("register with epoll", e))?;
        self.get_mut(h)?.attach(sock, state);
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
        let wait = self.wait_time(timeout_ms);
        let mut events = self.events.take().unwrap_or_else(|| Events::with_capacity(INITIAL_EVENTS));
        let res = self.poll.poll(&mut events, wait);
        if let Err(e) = res {
            if e.kind() != io::ErrorKind::Interrupted {
                self.events = Some(events);
                return Err(e);
            }
        }
        self.round = self.round.wrapping_add(1);
        let now = now_micros();
        self.now = now;
        self.fire_timers(now);
        self.fire_idle(now);
        self.retry_accepts(now);
        let mut n = 0;
        for ev in events.iter() {
            n += 1;
            self.on_ready(Handle::from_raw(ev.token().0 as u64), ev);
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
            .chain(self.idle.next_deadline())
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
                .any(|&h| self.get(h).is_ok_and(|c| c.readable && c.can_recv() && !c.paused))
            || self
                .send_watch
                .iter()
                .any(|&h| self.get(h).is_ok_and(Chann::send_due))
    }

    /// Queues TIMER for every due timer (once per channel per round) and
    /// schedules each on its grid (previous deadline plus whole periods).
    fn fire_timers(&mut self, now: u64) {
        while let Some(e) = self.timers.pop_due(now) {
            let Some(c) = self.channs.get_mut(e.chann.index()) else {
                continue;
            };
            if c.gen != e.chann.gen() || c.timer.seq != e.seq || !c.timer.armed() {
                continue;
            }
            if c.timer_round != self.round {
                c.timer_round = self.round;
                self.timer_q.push_back(Queued {
                    event: Event::Timer,
                    chann: e.chann,
                    accepted: Handle::NONE,
                    err: 0,
                    epoch: c.epoch,
                });
            }
            let next = c.timer.next_after(now);
            self.timers.schedule(&mut c.timer, e.chann, next);
        }
        let channs = &self.channs;
        self.timers.compact_if_needed(|e| {
            channs
                .get(e.chann.index())
                .is_some_and(|c| c.gen == e.chann.gen() && c.timer.seq == e.seq && c.timer.armed())
        });
    }

    /// Turns one readiness report into state changes and messages.
    fn on_ready(&mut self, h: Handle, ev: &mio::event::Event) {
        let Ok(c) = self.get_mut(h) else {
            return;
        };
        if c.both_finished() {
            // Our FIN went out after the peer's EOF: the kernel reports the
            // change, and the connection is over.
            return self.lost(h, 0);
        }
        if c.tls_active() {
            return self.tls_ready(h, ev);
        }
        match (c.state, &c.sock) {
            (State::Listening, Some(Sock::Listener(_))) => self.accept_all(h),
            (State::Connecting, Some(Sock::Stream(_))) => self.finish_connect(h, ev),
            (State::Connected | State::Listening, Some(_)) => {
                if ev.is_error() {
                    let err = c.sock.as_ref().and_then(|s| s.as_ref().take_error().ok().flatten());
                    if let Some(e) = err {
                        if c.state == State::Connected {
                            self.lost(h, socket::errno_of(&e));
                            return;
                        }
                    }
                }
                let fresh = ev.is_readable() || ev.is_read_closed();
                if fresh {
                    c.readable = true;
                }
                if ev.is_read_closed() && !c.kind.is_datagram() {
                    c.rdhup = true;
                }
                if ev.is_writable() {
                    c.writable = true;
                    if !c.sendq.is_empty() {
                        if let Err(e) = c.flush() {
                            self.write_failed(h, &e);
                            return;
                        }
                    }
                }
                self.raise_recv(h, fresh);
            }
            _ => {}
        }
    }

    /// ACCEPT, for each connection waiting on a listener (the whole listen
    /// queue, not one per round).
    fn accept_all(&mut self, h: Handle) {
        loop {
            let Ok(l) = self.get(h) else {
                return;
            };
            let (kind, opts, epoch) = (l.kind, l.opts, l.epoch);
            let Some(Sock::Listener(listener)) = &l.sock else {
                return;
            };
            match listener.accept() {
                Ok((stream, _)) => {
                    if let Err(e) = stream.set_nodelay(true) {
                        log::warn!("accept: TCP_NODELAY: {e}");
                    }
                    if opts.bufsize > 0 {
                        let _ = socket::apply_bufsize(&socket2::SockRef::from(&stream), opts.bufsize);
                    }
                    let nh = self.insert(kind);
                    if let Err(e) = self.attach(nh, Sock::Stream(stream), State::Connected) {
                        log::error!("accept: {e}");
                        self.channs.remove(nh.index());
                        continue;
                    }
                    if let Ok(c) = self.get_mut(nh) {
                        c.writable = true; // a new socket's send buffer is empty
                        c.opts = opts;
                    }
                    if kind == Kind::Tls {
                        // ACCEPT comes once the handshake is done.
                        self.tls_accepted(h, nh);
                        continue;
                    }
                    if let Ok(l) = self.get_mut(h) {
                        if std::mem::take(&mut l.accept_paused) {
                            log::info!("accept: descriptors available again, accepting");
                        }
                    }
                    self.queue.push_back(Queued {
                        event: Event::Accept,
                        chann: h,
                        accepted: nh,
                        err: 0,
                        epoch,
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e)
                    if e.kind() == io::ErrorKind::Interrupted
                        || e.raw_os_error() == Some(libc::ECONNABORTED) =>
                {
                    continue
                }
                Err(e) => {
                    // EMFILE/ENFILE/ENOBUFS: the connection stays in the
                    // backlog and no new edge comes, so retry on a deadline
                    // instead of spinning; say so once per episode.
                    if let Ok(l) = self.get_mut(h) {
                        if !l.accept_paused {
                            log::error!("accept: {e}; retrying every {} ms", ACCEPT_RETRY_US / 1000);
                            l.accept_paused = true;
                        }
                    }
                    self.accept_retry.push((now_micros() + ACCEPT_RETRY_US, h));
                    return;
                }
            }
        }
    }

    fn retry_accepts(&mut self, now: u64) {
        if self.accept_retry.is_empty() {
            return;
        }
        let due: Vec<Handle> = self
            .accept_retry
            .iter()
            .filter(|r| r.0 <= now)
            .map(|r| r.1)
            .collect();
        self.accept_retry.retain(|r| r.0 > now);
        for h in due {
            if self.get(h).is_ok_and(|l| l.state == State::Listening) {
                self.accept_all(h);
            }
        }
    }

    /// A connecting socket reported: CONNECTED, the next address of the
    /// name, or DISCONNECT with the errno.
    fn finish_connect(&mut self, h: Handle, ev: &mio::event::Event) {
        let Ok(c) = self.get_mut(h) else {
            return;
        };
        let Some(Sock::Stream(s)) = &c.sock else {
            return;
        };
        let err = match s.take_error() {
            Ok(Some(e)) | Err(e) => Some(socket::errno_of(&e)),
            Ok(None) => match s.peer_addr() {
                Ok(_) => None,
                Err(e) if e.raw_os_error() == Some(libc::ENOTCONN) => {
                    if ev.is_error() || ev.is_write_closed() {
                        Some(libc::ECONNREFUSED)
                    } else {
                        return; // not finished yet
                    }
                }
                Err(e) => Some(socket::errno_of(&e)),
            },
        };
        if let Some(err) = err {
            self.connect_failed(h, err);
            return;
        }
        c.plan = None;
        c.writable = ev.is_writable();
        if c.kind == Kind::Tls {
            // CONNECTED comes once the handshake is done.
            return self.tls_tcp_up(h, ev);
        }
        c.state = State::Connected;
        let epoch = c.epoch;
        self.queue.push_back(Queued {
            event: Event::Connected,
            chann: h,
            accepted: Handle::NONE,
            err: 0,
            epoch,
        });
        if let Ok(c) = self.get_mut(h) {
            if ev.is_readable() || ev.is_read_closed() {
                c.readable = true;
                c.rdhup = ev.is_read_closed();
                self.raise_recv(h, true);
            }
        }
    }

    /// Tries the next address of the name, or reports the failure.
    fn connect_failed(&mut self, h: Handle, err: i32) {
        loop {
            let Ok(c) = self.get_mut(h) else {
                return;
            };
            let next = c.plan.as_mut().and_then(|p| p.pop());
            let Some(addr) = next else {
                self.lost(h, err);
                return;
            };
            let plan = c.plan.take();
            let (opts, send_event) = (c.opts, c.send_event);
            match socket::tcp_connect(&addr, opts) {
                Ok(s) => {
                    if self.attach(h, Sock::Stream(s), State::Connecting).is_ok() {
                        if let Ok(c) = self.get_mut(h) {
                            // Still the same connect from the user's view.
                            c.plan = plan;
                            c.send_event = send_event;
                        }
                        return;
                    }
                }
                Err(e) => log::info!("connect {addr}: {e}"),
            }
            if let Ok(c) = self.get_mut(h) {
                c.plan = plan;
            }
        }
    }

    /// The connection is gone for an outside reason: close the socket and
    /// queue the one DISCONNECT of this connection.
    pub(crate) fn lost(&mut self, h: Handle, err: i32) {
        let Ok(c) = self.get_mut(h) else {
            return;
        };
        if c.sock.is_none() {
            return;
        }
        c.detach();
        let epoch = c.epoch;
        self.queue.push_back(Queued {
            event: Event::Disconnect,
            chann: h,
            accepted: Handle::NONE,
            err,
            epoch,
        });
    }

    /// A write failed: streams and connected UDP sockets lose the
    /// connection; a bound UDP socket only loses the datagram.
    pub(crate) fn write_failed(&mut self, h: Handle, e: &io::Error) {
        match self.get(h) {
            Ok(c) if c.state == State::Connected => self.lost(h, socket::errno_of(e)),
            Ok(_) => log::warn!("send on {h:?}: {e}; datagram dropped"),
            Err(_) => {}
        }
    }

    /// Queues RECV for a readable channel, once per round, so that RECV
    /// always means there is something to read. `fresh` says a readiness
    /// report just announced data. Otherwise (the handler left the socket
    /// possibly unread last round), and after the peer's FIN, a one-byte
    /// non-blocking peek decides: data gives RECV, an empty socket gives
    /// nothing, the bare end of stream gives DISCONNECT with err 0.
    pub(crate) fn raise_recv(&mut self, h: Handle, fresh: bool) {
        let round = self.round;
        let Ok(c) = self.get_mut(h) else {
            return;
        };
        if !c.readable || !c.can_recv() || c.paused || c.recv_round == round {
            return;
        }
        if c.ext.as_ref().is_some_and(|x| x.eof) {
            c.readable = false; // the peer sends no more
            return;
        }
        if c.tls.is_some() {
            match c.tls_settle() {
                Ok(Input::Data) => {}
                Ok(Input::Closed(clean)) => return self.tls_closed(h, clean),
                Ok(Input::Empty) => return,
                Err(f) => return self.tls_fail(h, f),
            }
        } else if !fresh || c.rdhup {
            let Some(sock) = &c.sock else {
                return;
            };
            let mut b = [std::mem::MaybeUninit::<u8>::uninit(); 1];
            match sock.as_ref().peek(&mut b) {
                Ok(0) if !c.kind.is_datagram() => return self.peer_finished(h, 0),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    c.readable = false;
                    return;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    if c.state == State::Connected {
                        return self.lost(h, socket::errno_of(&e));
                    }
                    c.readable = false;
                    return;
                }
            }
        }
        c.recv_round = round;
        let epoch = c.epoch;
        self.queue.push_back(Queued {
            event: Event::Recv,
            chann: h,
            accepted: Handle::NONE,
            err: 0,
            epoch,
        });
        self.recv_now.push(h);
    }

    /// The level-style events no edge announces: RECV again for channels
    /// whose handlers left data unread, SEND for channels whose queue is
    /// empty and socket writable.
    fn raise_level_events(&mut self) {
        let round = self.round;
        let mut previous = std::mem::take(&mut self.recv_watch);
        for &h in &previous {
            self.raise_recv(h, false);
        }
        previous.clear();
        self.recv_watch = std::mem::replace(&mut self.recv_now, previous);

        let channs = &mut self.channs;
        let queue = &mut self.queue;
        self.send_watch.retain(|&h| {
            let Some(c) = channs.get_mut(h.index()).filter(|c| c.gen == h.gen()) else {
                return false;
            };
            if !c.send_event {
                c.send_watched = false;
                return false;
            }
            if c.send_due() && c.send_round != round {
                c.send_round = round;
                queue.push_back(Queued {
                    event: Event::Send,
                    chann: h,
                    accepted: Handle::NONE,
                    err: 0,
                    epoch: c.epoch,
                });
            }
            true
        });
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
                if let Err(e) = c.flush() {
                    self.write_failed(h, &e);
                }
            }
        }
        dirty.clear();
        self.dirty = dirty;
    }

    /// Hands out the next message of the round, timers first; `None` when the
    /// round is over (and then the round's deferred sends have been written).
    ///
    /// A message whose channel was closed, reconnected or otherwise changed
    /// since it was queued is dropped here: no RECV for a drained channel, no
    /// SEND once data was queued, nothing at all for a closed handle. An
    /// ACCEPT whose listener was closed closes the accepted channel too.
    // Not an Iterator: handlers call back into the reactor between messages.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Option<Msg> {
        loop {
            let Some(q) = self.timer_q.pop_front().or_else(|| self.queue.pop_front()) else {
                if self.dirty.is_empty() {
                    return None;
                }
                self.flush_dirty();
                if self.queue.is_empty() {
                    return None;
                }
                continue;
            };
            if self.is_internal(q.chann) {
                self.dns_event(q); // the resolver's own UDP channels
                continue;
            }
            let Ok(c) = self.get(q.chann) else {
                if q.event == Event::Accept {
                    let _ = self.close(q.accepted);
                }
                continue;
            };
            let live = match q.event {
                Event::Recv => c.epoch == q.epoch && c.readable && c.can_recv() && !c.paused,
                Event::Eof => c.epoch == q.epoch,
                Event::Send => c.epoch == q.epoch && c.send_due(),
                Event::Timer => c.timer.armed(),
                Event::Accept => self.get(q.accepted).is_ok(),
                Event::Connected | Event::Disconnect => c.epoch == q.epoch,
                Event::Resolved => self.lookup_seq(q.chann) == Some(q.epoch),
            };
            if live {
                let msg = Msg {
                    event: q.event,
                    chann: q.chann,
                    accepted: q.accepted,
                    err: q.err,
                    opaque: c.opaque,
                };
                if q.event == Event::Eof && c.both_finished() {
                    // Our side was shut first: with this EOF both are done,
                    // and DISCONNECT follows in this round.
                    self.lost(q.chann, 0);
                }
                return Some(msg);
            }
        }
    }
}
