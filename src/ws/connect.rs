//! The client's side of the opening handshake: `ws://` and `wss://` URLs,
//! the upgrade request, and the check of the server's 101 answer.

use super::codec::Role;
use super::deflate;
use super::endpoint::{Conn, Endpoint, Stage, READ_CHUNK};
use super::{handshake, Event};
use crate::http::url;
use crate::{Error, Handle, Kind, Reactor, Result, TlsConfig};

/// A client connection until the server's answer is checked.
#[derive(Debug)]
pub(crate) struct Opening {
    key: String,
    protocols: Vec<String>,
    request: Vec<u8>,
    /// The answer as it arrives.
    answer: Vec<u8>,
    addr: String,
    sent: bool,
}

impl Opening {
    /// Why the connection ended before it opened (`err` the errno).
    pub fn failure(&self, r: &Reactor, id: Handle, err: i32) -> String {
        let addr = &self.addr;
        if let Some(dns) = r.resolve_error(id) {
            return format!("connect to {addr}: {dns}");
        }
        if let Ok(Some(tls)) = r.tls_error(id) {
            return format!("connect to {addr}: TLS: {tls}");
        }
        match (self.sent, err) {
            (true, 0) => format!("{addr} closed the connection during the handshake"),
            (_, 0) => format!("connect to {addr}: the connection closed"),
            (_, e) => format!("connect to {addr}: {}", std::io::Error::from_raw_os_error(e)),
        }
    }
}

fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Headers the client writes itself.
const OWN_HEADERS: [&str; 4] = ["host", "upgrade", "connection", "content-length"];

impl Endpoint {
    /// The TLS client configuration for `wss://` (roots, ALPN; built with
    /// [`TlsConfig::builder`]); without one the system's roots verify the
    /// server.
    pub fn set_tls_config(&mut self, config: TlsConfig) -> Result<()> {
        if config.is_server() {
            return Err(Error::InvalidArgument("a WebSocket client needs a TLS client configuration"));
        }
        self.tls = Some(config);
        Ok(())
    }

    /// Opens a connection to `url` (`ws://host[:port]/path?query` or
    /// `wss://...`), offering `protocols` (none: no subprotocol). Returns
    /// at once; [`Event::Open`] follows when the server's answer checks
    /// out, or [`Event::Close`] with 1006 and the reason when it does not
    /// (refused, name not found, certificate not trusted, not 101, a wrong
    /// accept key, an unoffered subprotocol or extension, the handshake
    /// timeout).
    pub fn connect(&mut self, r: &mut Reactor, url: &str, protocols: &[&str]) -> Result<Handle> {
        self.connect_with(r, url, protocols, &[])
    }

    /// [`Endpoint::connect`] with more request headers (`Origin`,
    /// `Authorization`, cookies, ...). `Host`, `Upgrade`, `Connection` and
    /// `Sec-WebSocket-*` are the client's own.
    pub fn connect_with(&mut self, r: &mut Reactor, url: &str, protocols: &[&str], headers: &[(&str, &str)]) -> Result<Handle> {
        if !protocols.iter().all(|p| is_token(p)) {
            return Err(Error::InvalidArgument("a subprotocol is a token (no spaces, commas or quotes)"));
        }
        for (n, v) in headers {
            if !is_token(n) || v.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) {
                return Err(Error::InvalidArgument("a header is a token name and a value without CR, LF or NUL"));
            }
            let lower = n.to_ascii_lowercase();
            if OWN_HEADERS.contains(&lower.as_str()) || lower.starts_with("sec-websocket-") {
                return Err(Error::InvalidArgument("Host, Upgrade, Connection and Sec-WebSocket-* are the client's to set"));
            }
        }
        let http_url = match url.get(..6).map(str::to_ascii_lowercase).as_deref() {
            Some("wss://") => format!("https://{}", &url[6..]),
            _ => match url.get(..5).map(str::to_ascii_lowercase).as_deref() {
                Some("ws://") => format!("http://{}", &url[5..]),
                _ => return Err(Error::addr(url, "only ws:// and wss:// URLs are supported")),
            },
        };
        let u = url::parse(&http_url).map_err(|_| Error::addr(url, "not a valid ws:// or wss:// URL"))?;
        let h = r.open(if u.origin.tls { Kind::Tls } else { Kind::Stream });
        let addr = u.origin.connect_addr();
        let started = match (&self.tls, u.origin.tls) {
            (Some(cfg), true) => r.set_tls_config(h, cfg.clone()),
            _ => Ok(()),
        }
        .and_then(|()| r.set_half_close(h, true))
        .and_then(|()| r.connect(h, &addr))
        .and_then(|()| r.set_timer(h, self.opts.handshake_timeout_ms.max(1)));
        if let Err(e) = started {
            let _ = r.close(h);
            return Err(e);
        }
        let key = handshake::new_key();
        let request = handshake::client_request(&u.target, &u.origin.host_header(), &key, protocols, Some(&self.opts.deflate), headers);
        let opening = Opening {
            key,
            protocols: protocols.iter().map(|p| (*p).to_owned()).collect(),
            request,
            answer: Vec::new(),
            addr,
            sent: false,
        };
        let c = Conn::new(Role::Client, &self.opts, None, Stage::Opening(Box::new(opening)));
        self.conns.insert(h, Box::new(c));
        Ok(h)
    }

    /// CONNECTED: the request goes out.
    pub(super) fn connected(&mut self, r: &mut Reactor, id: Handle) {
        let Some(c) = self.conns.get_mut(&id) else {
            return;
        };
        let Stage::Opening(o) = &mut c.stage else {
            return;
        };
        o.sent = true;
        if let Err(e) = r.send(id, &o.request) {
            c.end = Some((1006, format!("send to {}: {e}", o.addr)));
            self.finish(r, id);
        }
    }

    /// RECV while opening: the server's answer.
    pub(super) fn read_answer(&mut self, r: &mut Reactor, id: Handle) {
        let mut chunk = [0u8; 4096];
        loop {
            let Some(c) = self.conns.get_mut(&id) else {
                return;
            };
            let Stage::Opening(o) = &mut c.stage else {
                return;
            };
            let n = match r.recv(id, &mut chunk) {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            o.answer.extend_from_slice(&chunk[..n]);
            match handshake::read_answer(&o.answer, &o.key, &o.protocols, &self.opts.deflate) {
                Ok(None) => continue,
                Err(why) => {
                    c.end = Some((1006, format!("{}: {why}", o.addr)));
                    return self.finish(r, id);
                }
                Ok(Some(a)) => {
                    let rest = o.answer.split_off(a.len);
                    c.stage = Stage::Open;
                    c.protocol = a.protocol;
                    c.deflate = a.deflate.map(|p| Box::new(deflate::State::new(p, self.opts.deflate.level)));
                    c.peer = r.peer_addr(id).ok();
                    let now = crate::now_micros();
                    (c.heard, c.active) = (now, now);
                    self.events.push_back(Event::Open(id));
                    self.arm_clock(r, id);
                    if rest.len() > READ_CHUNK {
                        self.scratch.resize(rest.len(), 0);
                    }
                    return self.feed_bytes(r, id, &rest);
                }
            }
        }
    }
}
