//! The server's side of the opening handshake: an HTTP request on one of
//! the program's routes becomes a WebSocket connection.

use super::codec::Role;
use super::endpoint::{Conn, Endpoint, Stage};
use super::{deflate, handshake, Event};
use crate::http::{self, Request, RequestId, Response};
use crate::{Error, Handle, Reactor, Result};

/// The subprotocols a request offers (`Sec-WebSocket-Protocol`), in the
/// client's order of preference: the upgrade hook picks one of them, or
/// none, for [`Endpoint::accept`].
pub fn offered_protocols<'a>(q: &Request<'a>) -> Vec<&'a str> {
    q.headers()
        .filter(|(n, _)| n.eq_ignore_ascii_case("sec-websocket-protocol"))
        .flat_map(|(_, v)| v.split(','))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect()
}

impl Endpoint {
    /// Accepts request `id` of `web` as a WebSocket connection speaking
    /// `protocol` (one the request offered, or none): answers 101 with the
    /// accept key and the agreed permessage-deflate parameters, and takes
    /// the connection from the HTTP server. [`Event::Open`] follows at
    /// once. A request that is not a valid handshake is answered (400, or
    /// 426 for another version) and the call fails; to refuse a valid one,
    /// answer it over HTTP instead (403, 404, ...).
    pub fn accept(&mut self, r: &mut Reactor, web: &mut http::Server, id: RequestId, protocol: Option<&str>) -> Result<Handle> {
        let read = {
            let q = web
                .request(id)
                .ok_or(Error::InvalidArgument("stale HTTP request (answered already, or its client went away)"))?;
            handshake::read_request(&q)
        };
        let up = match read {
            Ok(up) => up,
            Err(no) => {
                let mut resp = Response::new(no.status).header("Content-Type", "text/plain").body(format!("{}\n", no.why));
                if no.status == 426 {
                    resp = resp.header("Sec-WebSocket-Version", "13");
                }
                web.respond(r, id, resp)?;
                return Err(Error::InvalidArgument(no.why));
            }
        };
        if protocol.is_some_and(|p| !up.protocols.iter().any(|o| o == p)) {
            return Err(Error::InvalidArgument("the subprotocol chosen was not offered by the client"));
        }
        let agreed = deflate::server_accept(&up.extensions, &self.opts.deflate);
        let headers = handshake::answer_headers(&up, protocol, agreed.as_ref().map(|(_, a)| a.as_str()));
        let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let taken = web.upgrade(r, id, &headers)?;
        let h = taken.chann;
        let mut c = Conn::new(Role::Server, &self.opts, agreed.map(|(p, _)| p), Stage::Open);
        c.protocol = protocol.map(str::to_owned);
        c.peer = taken.peer;
        self.conns.insert(h, Box::new(c));
        let _ = r.set_recv_event(h, true);
        self.events.push_back(Event::Open(h));
        self.arm_clock(r, h);
        self.feed_bytes(r, h, &taken.read);
        Ok(h)
    }

    /// Reads bytes that arrived before the connection became the
    /// endpoint's (after the HTTP head or the 101 answer).
    pub(super) fn feed_bytes(&mut self, r: &mut Reactor, h: Handle, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        if self.scratch.len() < bytes.len() {
            self.scratch.resize(bytes.len(), 0);
        }
        self.scratch[..bytes.len()].copy_from_slice(bytes);
        self.feed(r, h, bytes.len());
    }
}
