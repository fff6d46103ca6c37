//! TLS channels in the reactor: the handshake, and how its outcome becomes
//! the ordinary events.
//!
//! * Server side: an accepted connection on a TLS listener stays internal
//!   (state CONNECTING) until its handshake completes; only then the
//!   listener gets ACCEPT. A failed handshake closes it silently (logged):
//!   nobody owned it yet, so nothing leaks and no event is owed.
//! * Client side: CONNECTED comes after the handshake; a failure gives one
//!   DISCONNECT with EPROTO (the reason is kept for `tls_error`).
//! * Data: for a TLS channel `readable` means "plaintext (or the peer's
//!   close) is waiting in the session", so the level-style RECV rules apply
//!   unchanged; whether the socket still holds ciphertext is the session's
//!   own `sock_readable`.
//! * Close: a peer's close_notify ends the connection with err 0; a bare TCP
//!   close without it (possible truncation) with ECONNABORTED.

use crate::chann::{Chann, Kind, State};
use crate::reactor::Queued;
use crate::socket::{self, Sock};
use crate::tls::{self, Input, PlainRead, SessionIo, TlsFail, TlsState};
use crate::{Error, Event, Handle, Reactor, Result, TlsConfig};

/// DISCONNECT err for a TLS protocol or certificate failure.
pub const TLS_PROTOCOL_ERROR: i32 = libc::EPROTO;
/// DISCONNECT err when a TLS peer closed TCP without close_notify.
pub const TLS_TRUNCATED: i32 = libc::ECONNABORTED;

impl Chann {
    /// The TLS state, created on first use.
    pub(crate) fn tls_state(&mut self) -> &mut TlsState {
        self.tls.get_or_insert_with(Box::default)
    }

    /// Whether this TLS channel's bytes now flow through a session (server
    /// side from accept on, client side once TCP connected).
    pub(crate) fn tls_active(&self) -> bool {
        self.tls.as_ref().is_some_and(|t| t.tcp_up && t.conn.is_some())
    }

    /// Settles `readable` (plaintext or the peer's close waiting) after the
    /// session changed. When the session ran dry while the socket may still
    /// hold ciphertext (reading stopped at the session's buffer limit), it
    /// pulls more first: no readiness edge would announce those bytes.
    pub(crate) fn tls_settle(&mut self) -> std::result::Result<Input, TlsFail> {
        let Some(mut io) = self.session_io() else {
            return Ok(Input::Empty);
        };
        let mut input = tls::input(io.conn);
        if matches!(input, Input::Empty) && *io.sock_readable {
            io.pull()?;
            input = tls::input(io.conn);
        }
        self.readable = !matches!(input, Input::Empty);
        Ok(input)
    }

    /// The session and what it reads and writes through, when the channel
    /// has a running session.
    pub(crate) fn session_io(&mut self) -> Option<SessionIo<'_>> {
        let Chann {
            tls: Some(t),
            sock: Some(Sock::Stream(sock)),
            sendq,
            received,
            ..
        } = self
        else {
            return None;
        };
        let TlsState {
            conn: Some(conn),
            sock_readable,
            ..
        } = &mut **t
        else {
            return None;
        };
        Some(SessionIo {
            conn,
            sock,
            sendq,
            sock_readable,
            received,
        })
    }
}

impl Reactor {
    /// Gives TLS settings to a TLS channel, for its next listen or connect.
    /// A TLS listener needs a configuration with a certificate and key; a
    /// client without one verifies servers against the system trust store.
    pub fn set_tls_config(&mut self, h: Handle, config: TlsConfig) -> Result<()> {
        let c = self.get_mut(h)?;
        if c.kind != Kind::Tls {
            return Err(Error::WrongKind {
                op: "set a TLS configuration",
                kind: c.kind,
            });
        }
        c.tls_state().config = Some(config);
        Ok(())
    }

    /// Sets the name a TLS client sends (SNI) and checks the server's
    /// certificate against. Without it, the host of the connect address is
    /// used.
    pub fn set_server_name(&mut self, h: Handle, name: &str) -> Result<()> {
        let c = self.get_mut(h)?;
        if c.kind != Kind::Tls {
            return Err(Error::WrongKind {
                op: "set a TLS server name",
                kind: c.kind,
            });
        }
        c.tls_state().server_name = Some(name.to_owned());
        Ok(())
    }

    /// Why the channel's last TLS connection failed (handshake, certificate,
    /// protocol), when it did.
    pub fn tls_error(&self, h: Handle) -> Result<Option<String>> {
        Ok(self.get(h)?.tls.as_ref().and_then(|t| t.error.clone()))
    }

    /// The ALPN protocol agreed in the handshake, if any.
    pub fn alpn_protocol(&self, h: Handle) -> Result<Option<Vec<u8>>> {
        let c = self.get(h)?;
        Ok(c.tls
            .as_ref()
            .and_then(|t| t.conn.as_ref())
            .and_then(|conn| conn.alpn_protocol().map(<[u8]>::to_vec)))
    }

    /// Checks that a TLS listener can serve before it listens.
    pub(crate) fn tls_check_listen(&mut self, h: Handle) -> Result<()> {
        let c = self.get_mut(h)?;
        match &c.tls_state().config {
            Some(cfg) if cfg.is_server() => Ok(()),
            _ => Err(Error::Tls(
                "a TLS listener needs a configuration with a certificate chain and a private key".into(),
            )),
        }
    }

    /// Creates the client session before a TLS connect; `host` names the
    /// server unless a name was set explicitly.
    pub(crate) fn tls_prepare_connect(&mut self, h: Handle, host: &str) -> Result<()> {
        let c = self.get_mut(h)?;
        let t = c.tls_state();
        let config = match &t.config {
            Some(cfg) => cfg.clone(),
            None => TlsConfig::system_client()?,
        };
        let name = t.server_name.clone().unwrap_or_else(|| host.to_owned());
        t.conn = Some(Box::new(config.client_session(&name)?));
        t.tcp_up = false;
        t.error = None;
        Ok(())
    }

    /// A TLS listener accepted `nh`: start the server handshake.
    pub(crate) fn tls_accepted(&mut self, listener: Handle, nh: Handle) {
        let config = self
            .get_mut(listener)
            .ok()
            .and_then(|l| l.tls.as_ref().and_then(|t| t.config.clone()));
        let session = config.as_ref().map(TlsConfig::server_session);
        let Ok(c) = self.get_mut(nh) else {
            return;
        };
        match session {
            Some(Ok(conn)) => {
                c.state = State::Connecting;
                let t = c.tls_state();
                t.config = config;
                t.conn = Some(Box::new(conn));
                t.listener = listener;
                t.tcp_up = true;
            }
            Some(Err(e)) => {
                log::error!("TLS accept: {e}");
                self.channs.remove(nh.index());
            }
            None => {
                self.channs.remove(nh.index());
            }
        }
    }

    /// A TLS client's TCP connect finished: send the ClientHello.
    pub(crate) fn tls_tcp_up(&mut self, h: Handle, ev: &mio::event::Event) {
        let Ok(c) = self.get_mut(h) else {
            return;
        };
        let Some(t) = c.tls.as_mut() else {
            return;
        };
        t.tcp_up = true;
        if let Some(conn) = t.conn.as_mut() {
            tls::drain_records(conn, &mut c.sendq);
        }
        self.tls_ready(h, ev);
    }

    /// Readiness on a TLS channel whose session runs: pull ciphertext,
    /// advance the handshake, write what the session has to say, raise what
    /// the user should see.
    pub(crate) fn tls_ready(&mut self, h: Handle, ev: &mio::event::Event) {
        let Ok(c) = self.get_mut(h) else {
            return;
        };
        if ev.is_error() {
            let err = c.sock.as_ref().and_then(|s| s.as_ref().take_error().ok().flatten());
            if let Some(e) = err {
                return self.tls_fail(h, TlsFail::Io(e));
            }
        }
        if ev.is_writable() {
            c.writable = true;
        }
        if ev.is_readable() || ev.is_read_closed() {
            if let Some(t) = c.tls.as_mut() {
                t.sock_readable = true;
            }
        }
        self.tls_pump(h);
    }

    /// Pulls, flushes and moves the channel along: handshake completion,
    /// RECV, or the end of the connection.
    pub(crate) fn tls_pump(&mut self, h: Handle) {
        let Ok(c) = self.get_mut(h) else {
            return;
        };
        let Some(mut io) = c.session_io() else {
            return;
        };
        let was_handshaking = io.conn.is_handshaking();
        if let Err(f) = io.pull() {
            return self.tls_fail(h, f);
        }
        let done = was_handshaking && !io.conn.is_handshaking();
        if c.writable && !c.sendq.is_empty() {
            if let Err(e) = c.flush_stream() {
                return self.tls_fail(h, TlsFail::Io(e));
            }
        }
        if let Err(f) = c.tls_settle() {
            return self.tls_fail(h, f);
        }
        if done {
            self.tls_established(h);
        }
        if self.get(h).is_ok_and(|c| c.state == State::Connected) {
            self.raise_recv(h, true);
        }
    }

    /// The handshake completed: CONNECTED for a client, ACCEPT on the
    /// listener for a server.
    fn tls_established(&mut self, h: Handle) {
        let Ok(c) = self.get_mut(h) else {
            return;
        };
        c.state = State::Connected;
        let epoch = c.epoch;
        let listener = c.tls.as_ref().map_or(Handle::NONE, |t| t.listener);
        if listener.is_none() {
            self.push(Queued {
                event: Event::Connected,
                chann: h,
                accepted: Handle::NONE,
                err: 0,
                epoch,
            });
        } else if let Ok(l) = self.get(listener) {
            let epoch = l.epoch;
            self.push(Queued {
                event: Event::Accept,
                chann: listener,
                accepted: h,
                err: 0,
                epoch,
            });
        } else {
            self.channs.remove(h.index());
        }
    }

    /// A session failed. A server-side connection still in its handshake
    /// belongs to nobody: it is closed and logged. Anything else loses its
    /// connection with one DISCONNECT.
    pub(crate) fn tls_fail(&mut self, h: Handle, f: TlsFail) {
        let Ok(c) = self.get_mut(h) else {
            return;
        };
        let (err, why) = match f {
            TlsFail::Io(e) => (socket::errno_of(&e), e.to_string()),
            TlsFail::Protocol(why) => (TLS_PROTOCOL_ERROR, why),
        };
        let pending_server = c.state == State::Connecting && c.tls.as_ref().is_some_and(|t| !t.listener.is_none());
        // Let an alert the session queued reach the peer.
        if c.writable && !c.sendq.is_empty() {
            let _ = c.flush_stream();
        }
        if pending_server {
            log::info!("TLS handshake with an accepted connection failed: {why}");
            self.channs.remove(h.index());
            return;
        }
        c.tls_state().error = Some(why);
        self.lost(h, err);
    }

    /// `recv` on a TLS channel: plaintext out of the session.
    pub(crate) fn tls_recv(&mut self, h: Handle, buf: &mut [u8]) -> Result<usize> {
        let c = self.get_mut(h)?;
        let Some(mut io) = c.session_io() else {
            return Ok(0);
        };
        let r = io.read_plain(buf);
        match r {
            Ok(PlainRead::Data(n)) => {
                if let Err(f) = c.tls_settle() {
                    self.tls_fail(h, f);
                    return Ok(n);
                }
                if c.writable && !c.sendq.is_empty() {
                    if let Err(e) = c.flush_stream() {
                        self.lost(h, socket::errno_of(&e));
                    }
                }
                Ok(n)
            }
            Ok(PlainRead::Empty) => {
                c.readable = false;
                Ok(0)
            }
            Ok(PlainRead::Closed(clean)) => {
                self.tls_closed(h, clean);
                Ok(0)
            }
            Err(f) => {
                let msg = match &f {
                    TlsFail::Io(e) => e.to_string(),
                    TlsFail::Protocol(why) => why.clone(),
                };
                self.tls_fail(h, f);
                Err(Error::Tls(msg))
            }
        }
    }

    /// The peer closed its side of the session: cleanly (close_notify), an
    /// end of data like a TCP FIN; or by a bare TCP close, reported as
    /// possible truncation.
    pub(crate) fn tls_closed(&mut self, h: Handle, clean: bool) {
        if clean {
            self.peer_finished(h, 0);
        } else {
            self.lost(h, TLS_TRUNCATED);
        }
    }

    /// `send` on a TLS channel: encrypt into the send queue.
    pub(crate) fn tls_send(&mut self, h: Handle, buf: &[u8]) -> Result<()> {
        let c = self.get_mut(h)?;
        let Some(conn) = c.tls.as_mut().and_then(|t| t.conn.as_mut()) else {
            return Err(Error::WrongState {
                op: "send on",
                state: c.state,
            });
        };
        tls::write_plain(conn, &mut c.sendq, buf).map_err(|e| Error::io("TLS encrypt", e))
    }

    /// Before the socket of a TLS channel closes: read what the socket
    /// holds into the session. The peer sends records the user never sees
    /// (a TLS 1.3 server's session tickets right after the handshake); left
    /// unread in the kernel, they turn the close into a reset, which destroys
    /// the last data and the close_notify still on their way to the peer.
    /// Unread plaintext the session cannot take stays behind, as on TCP.
    pub(crate) fn tls_drain_before_close(&mut self, h: Handle) {
        let Ok(c) = self.get_mut(h) else {
            return;
        };
        let Some(mut io) = c.session_io() else {
            return;
        };
        *io.sock_readable = true;
        let _ = io.pull();
    }

    /// Before the socket of a TLS channel closes: queue close_notify (after
    /// the handshake; a half-done one just ends).
    pub(crate) fn tls_close_notify(&mut self, h: Handle) {
        let Ok(c) = self.get_mut(h) else {
            return;
        };
        if let Some(conn) = c.tls.as_mut().and_then(|t| t.conn.as_mut()) {
            if !conn.is_handshaking() {
                conn.send_close_notify();
                tls::drain_records(conn, &mut c.sendq);
            }
        }
    }

    /// TLS connections still in their handshake that came from `listener`
    /// (closed with it: nobody else could ever own them).
    pub(crate) fn tls_pending_of(&self, listener: Handle) -> Vec<Handle> {
        self.channs
            .iter()
            .filter(|(_, c)| c.state == State::Connecting && c.tls.as_ref().is_some_and(|t| t.listener == listener))
            .map(|(i, c)| Handle::new(i, c.gen))
            .collect()
    }
}
