//! Socket options beyond m_net: SO_REUSEPORT for listeners shared by
//! several reactors (one per core), and IPv4 multicast on UDP channels.
//!
//! m_net had broadcast ("broadcast" channels: UDP with SO_BROADCAST) and no
//! multicast. Multicast here is the plain socket interface: a bound UDP
//! channel joins a group on an interface and then receives what is sent to
//! the group's address and its port; a sender picks the outgoing interface,
//! whether its own host hears it (loop) and the TTL.

use std::net::Ipv4Addr;

use mio::net::UdpSocket;

use super::chann::State;
use crate::net::socket::Sock;
use super::handle::Handle;
use super::reactor::Reactor;
use crate::{Error, Result};

impl Reactor {
    /// Sets SO_REUSEPORT on the channel's next listening socket (TCP or
    /// UDP), so that several sockets, in this process or others, with this
    /// option and the same user, listen on one address. The kernel spreads
    /// new connections (and datagrams) among them by a hash of the peer's
    /// address: the way to run one reactor per core, each with its own
    /// listener (see the README, "Scaling past one core"). Only before
    /// [`Reactor::listen`]: the option must be on the socket before it binds.
    ///
    /// ```
    /// use mnet::{Kind, Reactor};
    ///
    /// let (mut a, mut b) = (Reactor::new().unwrap(), Reactor::new().unwrap());
    /// let la = a.open(Kind::Stream);
    /// a.set_reuse_port(la, true).unwrap();
    /// a.listen(la, "127.0.0.1:0", 128).unwrap();
    /// let addr = a.local_addr(la).unwrap().to_string();
    /// let lb = b.open(Kind::Stream);
    /// b.set_reuse_port(lb, true).unwrap();
    /// b.listen(lb, &addr, 128).unwrap();          // the same port, a second listener
    /// ```
    pub fn set_reuse_port(&mut self, h: Handle, on: bool) -> Result<()> {
        let c = self.get_mut(h)?;
        if c.state != State::Disconnect {
            return Err(Error::WrongState {
                op: "set SO_REUSEPORT (needed before listen) on",
                state: c.state,
            });
        }
        c.opts.reuse_port = on;
        Ok(())
    }

    /// Joins the IPv4 multicast `group` on the interface with address
    /// `interface` (`Ipv4Addr::UNSPECIFIED`: the kernel's choice, by the
    /// routing table). The channel must be a UDP channel with a socket
    /// (bound by [`Reactor::listen`], usually to `0.0.0.0:port` or
    /// `group:port`); it then receives datagrams sent to `group:port`.
    /// On loopback, join and send with interface 127.0.0.1.
    pub fn join_multicast_v4(&mut self, h: Handle, group: Ipv4Addr, interface: Ipv4Addr) -> Result<()> {
        check_group(group)?;
        self.udp(h, "join a multicast group", "join a multicast group on")?
            .join_multicast_v4(&group, &interface)
            .map_err(|e| Error::io(format!("join multicast group {group} on {interface}"), e))
    }

    /// Leaves a group joined with [`Reactor::join_multicast_v4`] (closing the
    /// channel leaves all its groups).
    pub fn leave_multicast_v4(&mut self, h: Handle, group: Ipv4Addr, interface: Ipv4Addr) -> Result<()> {
        check_group(group)?;
        self.udp(h, "leave a multicast group", "leave a multicast group on")?
            .leave_multicast_v4(&group, &interface)
            .map_err(|e| Error::io(format!("leave multicast group {group} on {interface}"), e))
    }

    /// The interface multicast datagrams from this channel leave by
    /// (IP_MULTICAST_IF), named by its address. Without it the routing
    /// table decides, and a host whose only route is loopback may have none.
    pub fn set_multicast_if_v4(&mut self, h: Handle, interface: Ipv4Addr) -> Result<()> {
        let s = self.udp(h, "set the multicast interface", "set the multicast interface of")?;
        socket2::SockRef::from(s)
            .set_multicast_if_v4(&interface)
            .map_err(|e| Error::io(format!("setsockopt IP_MULTICAST_IF {interface}"), e))
    }

    /// Whether this host's own members of a group receive what this channel
    /// sends to it (IP_MULTICAST_LOOP; the kernel's default is on).
    pub fn set_multicast_loop_v4(&mut self, h: Handle, on: bool) -> Result<()> {
        self.udp(h, "set multicast loop", "set multicast loop on")?
            .set_multicast_loop_v4(on)
            .map_err(|e| Error::io("setsockopt IP_MULTICAST_LOOP", e))
    }

    /// How many routers the channel's multicast datagrams may cross
    /// (IP_MULTICAST_TTL; the default, 1, keeps them on the local network).
    pub fn set_multicast_ttl_v4(&mut self, h: Handle, ttl: u32) -> Result<()> {
        if ttl > 255 {
            return Err(Error::InvalidArgument("multicast TTL must be 0..=255"));
        }
        self.udp(h, "set the multicast TTL", "set the multicast TTL of")?
            .set_multicast_ttl_v4(ttl)
            .map_err(|e| Error::io("setsockopt IP_MULTICAST_TTL", e))
    }

    /// The channel's UDP socket, or why there is none (`op` and `op_on`
    /// name the operation for the two messages).
    fn udp(&self, h: Handle, op: &'static str, op_on: &'static str) -> Result<&UdpSocket> {
        let c = self.get(h)?;
        if !c.kind.is_datagram() {
            return Err(Error::WrongKind { op, kind: c.kind });
        }
        match &c.sock {
            Some(Sock::Udp(s)) => Ok(s),
            _ => Err(Error::WrongState {
                op: op_on,
                state: c.state,
            }),
        }
    }
}

fn check_group(group: Ipv4Addr) -> Result<()> {
    if group.is_multicast() {
        Ok(())
    } else {
        Err(Error::InvalidArgument("not an IPv4 multicast group (224.0.0.0/4)"))
    }
}
