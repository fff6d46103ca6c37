//! Events and the messages that carry them: the one way an event is queued
//! ([`Reactor::emit`]) and the one way it reaches the program
//! ([`Reactor::next`]).
//!
//! Every message is stamped when it is queued with what must still hold when
//! it is handed out (the channel's epoch: the connection it belongs to). A
//! message whose channel was closed, reconnected or otherwise changed in the
//! meantime is dropped at hand-out, so a program never sees an event about a
//! connection it already left.

use super::chann::State;
use super::handle::Handle;
use super::reactor::Reactor;

/// What happened to a channel. The numeric values are m_net's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum Event {
    /// Unread data is waiting (level-style: raised again next round while any
    /// remains). On a UDP channel: a datagram is waiting.
    Recv = 1,
    /// The send queue is empty and the socket writable; raised once per round
    /// while that holds, only after [`Reactor::set_send_event`](crate::Reactor::set_send_event).
    Send = 2,
    /// A listener accepted a connection, named by [`Msg::accepted`].
    Accept = 3,
    /// A connect finished; raised exactly once per successful connect.
    Connected = 4,
    /// The connection was lost to an outside cause (EOF, reset, error, failed
    /// connect), with [`Msg::err`] the errno (0 for a clean EOF). Raised once
    /// per connection, never for the user's own disconnect or close.
    Disconnect = 5,
    /// The channel's repeating timer fired. Timers come first in each round.
    Timer = 6,
    /// The peer finished sending (its FIN, after all its data); the channel
    /// stays connected for sending. Raised once, and only on channels that
    /// opted in with [`Reactor::set_half_close`](crate::Reactor::set_half_close);
    /// others get DISCONNECT with err 0.
    Eof = 7,
    /// A [`Reactor::lookup`](crate::Reactor::lookup) finished: [`Msg::err`]
    /// is 0, or [`DNS_NOT_FOUND`](crate::DNS_NOT_FOUND),
    /// [`DNS_TIMED_OUT`](crate::DNS_TIMED_OUT) or
    /// [`DNS_FAILED`](crate::DNS_FAILED);
    /// [`Reactor::lookup_result`](crate::Reactor::lookup_result) has the
    /// addresses or the reason. Once per lookup.
    Resolved = 8,
}

impl Event {
    /// The event for an m_net event number, if there is one.
    pub fn from_i32(v: i32) -> Option<Event> {
        Some(match v {
            1 => Event::Recv,
            2 => Event::Send,
            3 => Event::Accept,
            4 => Event::Connected,
            5 => Event::Disconnect,
            6 => Event::Timer,
            7 => Event::Eof,
            8 => Event::Resolved,
            _ => return None,
        })
    }
}

/// One event for one channel, handed out by [`Reactor::next`](crate::Reactor::next).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Msg {
    /// What happened.
    pub event: Event,
    /// The channel it happened to (the listener, for [`Event::Accept`]).
    pub chann: Handle,
    /// For [`Event::Accept`]: the new, already connected channel. Otherwise
    /// [`Handle::NONE`].
    pub accepted: Handle,
    /// For [`Event::Disconnect`]: the errno (0 for a clean EOF). Otherwise 0.
    pub err: i32,
    /// The channel's opaque word, read when the message is handed out (so a
    /// value set while handling an earlier message is already seen).
    pub opaque: u64,
}

/// A message waiting in the round's queue, with the stamp that says at
/// hand-out time whether it still applies. Built only by [`Reactor::emit`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Queued {
    event: Event,
    chann: Handle,
    accepted: Handle,
    err: i32,
    /// The channel's epoch when queued; for RESOLVED the lookup's number.
    stamp: u32,
}

impl Reactor {
    /// Queues `event` for channel `h`: the one way in. Stamps the message
    /// with the channel's current connection, so that it is dropped if the
    /// connection changes before the program gets it. TIMER goes to the
    /// front queue (timers come first in a round).
    pub(crate) fn emit(&mut self, h: Handle, event: Event, err: i32) {
        self.emit_with(h, event, Handle::NONE, err);
    }

    /// Queues ACCEPT on `listener` for the connected channel `accepted`.
    pub(crate) fn emit_accept(&mut self, listener: Handle, accepted: Handle) {
        self.emit_with(listener, Event::Accept, accepted, 0);
    }

    fn emit_with(&mut self, h: Handle, event: Event, accepted: Handle, err: i32) {
        let stamp = if event == Event::Resolved {
            self.lookup_seq(h).unwrap_or(0)
        } else {
            match self.get(h) {
                Ok(c) => c.epoch,
                Err(_) => return,
            }
        };
        let q = Queued {
            event,
            chann: h,
            accepted,
            err,
            stamp,
        };
        if event == Event::Timer {
            self.timer_q.push_back(q);
        } else {
            self.queue.push_back(q);
        }
    }

    /// Hands out the next message of the round, timers first; `None` when the
    /// round is over (and then the round's deferred sends have been written).
    ///
    /// A message whose channel was closed, reconnected or otherwise changed
    /// since it was queued is dropped here: no RECV for a drained or paused
    /// channel, no SEND once data was queued, nothing at all for a closed
    /// handle. An ACCEPT whose listener was closed or disconnected closes the
    /// accepted channel instead.
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
                self.dns_event(q.event, q.chann); // the resolver's own UDP channels
                continue;
            }
            let resolved_seq = if q.event == Event::Resolved { self.lookup_seq(q.chann) } else { None };
            let accepted_alive = q.event == Event::Accept && self.get(q.accepted).is_ok();
            let Some(c) = self.channs.get_mut(q.chann.index()).filter(|c| c.gen == q.chann.gen()) else {
                if q.event == Event::Accept {
                    self.release(q.accepted);
                }
                continue;
            };
            let same = c.epoch == q.stamp;
            let live = match q.event {
                Event::Recv => same && c.readable && c.can_recv() && c.reading(),
                Event::Send => same && c.send_due(),
                Event::Timer => c.timer.armed(),
                Event::Accept => same && c.state == State::Listening && accepted_alive,
                Event::Eof | Event::Connected | Event::Disconnect => same,
                Event::Resolved => resolved_seq == Some(q.stamp),
            };
            if !live {
                if q.event == Event::Accept {
                    self.release(q.accepted);
                }
                continue;
            }
            if q.event == Event::Recv {
                c.offered = true;
            }
            let msg = Msg {
                event: q.event,
                chann: q.chann,
                accepted: q.accepted,
                err: q.err,
                opaque: c.opaque,
            };
            if q.event == Event::Eof && c.both_finished() {
                // Our side was shut first: with this EOF both are done, and
                // DISCONNECT follows in this round.
                self.raise_disconnect(q.chann, 0);
            }
            return Some(msg);
        }
    }
}
