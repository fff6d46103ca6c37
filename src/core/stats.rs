//! What a reactor holds right now: its open channels and, for each, kind,
//! state, addresses and byte counts. m_net's `mnet_report` printed a list of
//! pointers and file descriptors; this is the same idea as data a program
//! can log, serve on a status page or assert on in a test.

use std::fmt;
use std::net::SocketAddr;

use super::chann::{Kind, State};
use super::handle::Handle;
use super::reactor::Reactor;

/// One channel in a [`Stats`] snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannStats {
    /// The channel.
    pub handle: Handle,
    /// Its kind.
    pub kind: Kind,
    /// Its state.
    pub state: State,
    /// The local address of its socket, when it has one.
    pub local: Option<SocketAddr>,
    /// The peer's address, while connected.
    pub peer: Option<SocketAddr>,
    /// Bytes handed to the kernel over the channel's life.
    pub sent: u64,
    /// Bytes read from the kernel over the channel's life.
    pub received: u64,
    /// Bytes queued and not yet handed to the kernel.
    pub queued: usize,
    /// The channel's opaque word (the C++ face keeps its `Chann*` there).
    pub opaque: u64,
}

/// A snapshot of a reactor's channels, from [`Reactor::stats`].
///
/// `Display` prints one line per channel, the form `mnet::report()` gives
/// C++ programs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Every open channel, in table order.
    pub channels: Vec<ChannStats>,
}

impl Stats {
    /// Number of open channels (the same as [`Reactor::count`]).
    pub fn count(&self) -> usize {
        self.channels.len()
    }

    /// Number of channels in `state`.
    pub fn in_state(&self, state: State) -> usize {
        self.channels.iter().filter(|c| c.state == state).count()
    }

    /// Bytes queued on all channels together.
    pub fn queued(&self) -> usize {
        self.channels.iter().map(|c| c.queued).sum()
    }
}

fn addr_or_dash(a: &Option<SocketAddr>) -> String {
    a.map_or_else(|| "-".to_owned(), |a| a.to_string())
}

impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} channels ({} connected, {} listening), {} bytes queued",
            self.count(),
            self.in_state(State::Connected),
            self.in_state(State::Listening),
            self.queued()
        )?;
        for c in &self.channels {
            writeln!(
                f,
                "  {:?} {} {} local {} peer {} sent {} received {} queued {}",
                c.handle,
                c.kind,
                c.state,
                addr_or_dash(&c.local),
                addr_or_dash(&c.peer),
                c.sent,
                c.received,
                c.queued
            )?;
        }
        Ok(())
    }
}

impl Reactor {
    /// A snapshot of every open channel: kind, state, addresses, bytes sent
    /// and received, bytes queued. Costs two system calls per channel with a
    /// socket (getsockname, getpeername): meant for status pages and
    /// diagnostics, not for every round.
    ///
    /// ```
    /// use mnet::{Kind, Reactor, State};
    ///
    /// let mut r = Reactor::new().unwrap();
    /// let l = r.open(Kind::Stream);
    /// r.listen(l, "127.0.0.1:0", 16).unwrap();
    /// let s = r.stats();
    /// assert_eq!(s.count(), 1);
    /// assert_eq!(s.channels[0].state, State::Listening);
    /// println!("{s}");
    /// ```
    pub fn stats(&self) -> Stats {
        let channels = self
            .channs
            .iter()
            .map(|(i, c)| Handle::new(i, c.gen))
            .filter(|&h| !self.is_internal(h))
            .filter_map(|h| {
                let c = self.get(h).ok()?;
                Some(ChannStats {
                    handle: h,
                    kind: c.kind,
                    state: c.state,
                    local: self.local_addr(h).ok(),
                    peer: (c.state == State::Connected).then(|| self.peer_addr(h).ok()).flatten(),
                    sent: c.sent,
                    received: c.received,
                    queued: c.sendq.len(),
                    opaque: c.opaque,
                })
            })
            .collect();
        Stats { channels }
    }
}
