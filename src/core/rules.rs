//! The event rules: when each event is raised. Each rule of the README's
//! table ("The rules code relies on") has one function here, whose doc
//! comment quotes it, and a test in `tests/rules.rs` named after it. Every
//! event still enters the queue through [`Reactor::emit`] (`event.rs`).

use std::mem;

use super::chann::{Io, State};
use super::event::Event;
use super::handle::Handle;
use super::reactor::Reactor;

impl Reactor {
    /// **TIMER**: "first in each round, at most once per Chann; the wait is
    /// cut short for it, so it is accurate to about a millisecond and does
    /// not drift".
    ///
    /// Queues TIMER for every due timer (once per channel per round) and
    /// schedules each on its grid (previous deadline plus whole periods).
    pub(crate) fn raise_timers(&mut self, now: u64) {
        while let Some(e) = self.timers.pop_due(now) {
            let Some(c) = self.channs.get_mut(e.chann.index()) else {
                continue;
            };
            if c.gen != e.chann.gen() || c.timer.seq != e.seq || !c.timer.armed() {
                continue;
            }
            let first = c.timer_round != self.round;
            c.timer_round = self.round;
            let next = c.timer.next_after(now);
            self.timers.schedule(&mut c.timer, e.chann, next);
            if first {
                self.emit(e.chann, Event::Timer, 0);
            }
        }
        let channs = &self.channs;
        self.timers.compact_if_needed(|e| {
            channs
                .get(e.chann.index())
                .is_some_and(|c| c.gen == e.chann.gen() && c.timer.seq == e.seq && c.timer.armed())
        });
    }

    /// **ACCEPT**: "on the listener, for every connection in the listen
    /// queue; `accept` is yours". Called for each connection accepted (for
    /// TLS, once its handshake is done).
    pub(crate) fn raise_accept(&mut self, listener: Handle, accepted: Handle) {
        if let Ok(l) = self.get_mut(listener) {
            if mem::take(&mut l.accept_paused) {
                log::info!("accept: descriptors available again, accepting");
            }
        }
        self.emit_accept(listener, accepted);
    }

    /// **CONNECTED**: "once per successful `channConnect`; a failed one gives
    /// one DISCONNECT with `err` = ECONNREFUSED, ETIMEDOUT, ... instead".
    /// The connect (and, for TLS, the handshake) of `h` succeeded.
    pub(crate) fn raise_connected(&mut self, h: Handle) {
        let Ok(c) = self.get_mut(h) else {
            return;
        };
        c.state = State::Connected;
        self.emit(h, Event::Connected, 0);
    }

    /// **RECV**: "level-style: once per round while unread data remains;
    /// data sent before the peer closed always comes before the DISCONNECT".
    ///
    /// Queues RECV for a channel with input waiting, once per round, so that
    /// RECV always means there is something to read. `fresh` says a
    /// readiness report just announced data; otherwise (the program left
    /// input unread last round, or the peer finished) the channel looks
    /// (`Chann::probe`). Once the connection is over and nothing is left to
    /// read, the end is raised instead: EOF or DISCONNECT with how it ended.
    pub(crate) fn raise_recv(&mut self, h: Handle, fresh: bool) {
        let round = self.round;
        let Ok(c) = self.get_mut(h) else {
            return;
        };
        if !c.readable || !c.can_recv() || c.recv_round == round {
            return;
        }
        if !c.reading() {
            return;
        }
        if c.ext.as_ref().is_some_and(|x| x.eof) {
            c.readable = false; // half-closed: the peer sends no more
            return;
        }
        let before = c.sent + c.received;
        let input = c.probe(fresh);
        c.note_traffic(before); // TLS may have read records
        match input {
            Io::Bytes(_) => {}
            Io::WouldBlock => return,
            Io::Ended(err) => return self.peer_finished(h, err),
        }
        c.recv_round = round;
        self.emit(h, Event::Recv, 0);
        self.recv_now.push(h);
    }

    /// The other half of the RECV rule: "a handler that reads nothing in a
    /// round after the peer finished declines the rest, and DISCONNECT
    /// follows (m_net programs that never read still hear the close)".
    ///
    /// Runs at the start of each round over the channels given RECV in the
    /// last one.
    pub(crate) fn settle_declined(&mut self) {
        for i in 0..self.recv_watch.len() {
            let h = self.recv_watch[i];
            let Ok(c) = self.get_mut(h) else {
                continue;
            };
            let (offered, taken) = (mem::take(&mut c.offered), mem::take(&mut c.taken));
            if offered && !taken && c.finished() && c.reading() && c.can_recv() {
                let err = c.declined_err();
                self.peer_finished(h, err);
            }
        }
    }

    /// **SEND**: "after `channActiveEvent(CHANN_EVENT_SEND, 1)`: once per
    /// round while the send queue is empty and the socket writable (a
    /// pump)".
    fn raise_sends(&mut self) {
        let round = self.round;
        let mut watch = mem::take(&mut self.send_watch);
        let mut due = Vec::new();
        watch.retain(|&h| {
            let Some(c) = self.channs.get_mut(h.index()).filter(|c| c.gen == h.gen()) else {
                return false;
            };
            if !c.send_event {
                c.send_watched = false;
                return false;
            }
            if c.send_due() && c.send_round != round {
                c.send_round = round;
                due.push(h);
            }
            true
        });
        self.send_watch = watch;
        for h in due {
            self.emit(h, Event::Send, 0);
        }
    }

    /// **DISCONNECT**: "once per connection lost to an outside cause, `err`
    /// an errno (0: the peer closed); never for your own `channDisconnect()`
    /// or `delete`; the Chann may connect again".
    ///
    /// The connection (or the attempt) of `h` is over: queued bytes get one
    /// last non-blocking write (a TLS alert among them), the socket closes,
    /// and the one DISCONNECT of this connection is queued. A TLS connection
    /// still in the handshake that a listener accepted belongs to nobody
    /// yet: it is released without an event.
    pub(crate) fn raise_disconnect(&mut self, h: Handle, err: i32) {
        let Ok(c) = self.get_mut(h) else {
            return;
        };
        if !matches!(c.state, State::Connected | State::Connecting) {
            return; // already over: once per connection
        }
        if c.tls.as_ref().is_some_and(|t| t.accepting()) {
            self.release_handshake(h);
            return;
        }
        if c.writable && !c.sendq.is_empty() {
            let _ = c.flush();
        }
        self.drop_socket(h);
        self.emit(h, Event::Disconnect, err);
    }

    /// **EOF** (half-close): "the peer's FIN arrives as CHANN_EVENT_EOF (the
    /// Chann can still send) instead of DISCONNECT", once, and only on
    /// channels that asked for it; any other end is a DISCONNECT with `err`.
    pub(crate) fn peer_finished(&mut self, h: Handle, err: i32) {
        let Ok(c) = self.get_mut(h) else {
            return;
        };
        if err == 0 && c.half_close() {
            c.readable = false;
            let x = c.extras();
            if !mem::replace(&mut x.eof, true) {
                self.emit(h, Event::Eof, 0);
            }
            return;
        }
        self.raise_disconnect(h, err);
    }

    /// The connection of `h` ended while the program was sending or the
    /// queue was being written: what input remains is still delivered
    /// (RECV), then DISCONNECT with the send's errno.
    pub(crate) fn conclude(&mut self, h: Handle) {
        if let Ok(c) = self.get_mut(h) {
            c.readable = true;
        }
        self.raise_recv(h, false);
    }

    /// The level-style events no edge announces: RECV again for channels
    /// whose handlers left data unread, SEND for channels whose queue is
    /// empty and socket writable.
    pub(crate) fn raise_level_events(&mut self) {
        let mut watch = mem::take(&mut self.recv_watch);
        for &h in &watch {
            self.raise_recv(h, false);
        }
        watch.clear();
        self.recv_watch = watch;
        self.raise_sends();
    }
}
