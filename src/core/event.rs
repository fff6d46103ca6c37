//! Events and the messages that carry them.

use crate::Handle;

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
