//! Handing a connection over to another protocol (`101 Switching
//! Protocols`), as WebSocket's opening handshake does: the server answers,
//! forgets the connection, and gives its channel and the bytes it read past
//! the request to the layer that takes over.
//!
//! A request that asks to upgrade (`Connection: upgrade` with an
//! `Upgrade` header) stops the parsing of its connection until it is
//! answered (read.rs): what follows it may already be the new protocol's.

use super::*;

/// A connection the HTTP server handed over with [`Server::upgrade`].
#[derive(Debug)]
pub struct Upgraded {
    /// The connection's channel, now the caller's: the server no longer
    /// handles its messages. RECV is paused on it; the new owner turns it
    /// back on with [`Reactor::set_recv_event`].
    pub chann: Handle,
    /// Bytes the server had read past the request head: the first bytes
    /// of the new protocol.
    pub read: Vec<u8>,
    /// The client's address.
    pub peer: Option<SocketAddr>,
}

impl Server {
    /// Answers request `id` with `101 Switching Protocols` and `headers`
    /// (the server adds `Date` and `Server`), then hands its connection
    /// over: after this call the server no longer knows it. The request
    /// must ask to upgrade ([`Request::is_upgrade`]) and be the only one of
    /// its connection waiting for an answer; the id is stale afterwards.
    pub fn upgrade(&mut self, r: &mut Reactor, id: RequestId, headers: &[(&str, &str)]) -> Result<Upgraded> {
        let q = self.req_mut(id)?;
        if !q.head.upgrade {
            return Err(Error::InvalidArgument("the request did not ask to upgrade"));
        }
        if !matches!(q.out, Out::Waiting) {
            return Err(Error::InvalidArgument("this HTTP request was answered already"));
        }
        let h = q.conn;
        if self.conns.get(h).is_none_or(|c| c.queue.len() != 1) {
            return Err(Error::InvalidArgument("earlier requests of this connection are still unanswered"));
        }
        let mut head = self.take_buf();
        self.write_head(r.now, &mut head, 101, headers, Some(0), false);
        self.reqs.remove(id);
        let c = self.conns.remove(h).expect("checked above");
        if self.stopping && self.conns.is_empty() {
            if let Some(t) = self.tick.take() {
                let _ = r.close(t);
            }
        }
        let sent = r.send(h, &head);
        self.recycle(head);
        if let Err(e) = sent {
            let _ = r.close(h);
            return Err(e);
        }
        Ok(Upgraded {
            chann: h,
            read: c.input.pending().to_vec(),
            peer: c.peer,
        })
    }
}
