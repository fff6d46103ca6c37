//! TLS channels: a TCP channel with a rustls session (`crate::tls`) between
//! the socket and the program. Ciphertext read from the socket goes into the
//! session, plaintext comes out through `recv`; `send` encrypts into the
//! channel's ordinary send queue, so queueing, coalescing, `cached()` and
//! the SEND event work exactly as for plain TCP.
//!
//! * Server side: an accepted connection waits, unowned (state CONNECTING),
//!   until its handshake completes; only then the listener gets ACCEPT. A
//!   failed or timed-out handshake closes it silently (logged): nobody owned
//!   it yet, so nothing leaks and no event is owed. A listener has at most
//!   [`Reactor::set_max_handshakes`] of them at once: a new connection past
//!   the cap closes the oldest, so silent connections cannot crowd real
//!   clients out, and every handshake has a deadline
//!   ([`Reactor::set_handshake_timeout`], 10 s by default).
//! * Client side: CONNECTED comes after the handshake; a failure gives one
//!   DISCONNECT with EPROTO (the reason is kept for `tls_error`), a handshake
//!   that does not finish in time one with ETIMEDOUT.
//! * Data: for a TLS channel `readable` means "plaintext (or the peer's
//!   close) is waiting in the session", so the level-style RECV rules apply
//!   unchanged; whether the socket still holds ciphertext is the session's
//!   own `sock_readable`. While RECV is paused nothing is read from the
//!   socket, as for TCP.
//! * Close: a peer's close_notify ends the connection with err 0 (whatever
//!   happens to TCP afterwards); a bare TCP close without it (possible
//!   truncation) with ECONNABORTED, a reset with ECONNRESET.

use std::collections::VecDeque;
use std::num::NonZeroI32;

use super::chann::{Chann, Io, Kind, Readiness, State};
use super::handle::Handle;
use super::reactor::Reactor;
use super::wheel::Deadline;
use crate::net::socket::{self, Sock};
use crate::tls::{Input, PlainRead, Pulled, Session, TlsConfig, TlsFail};
use crate::{Error, Result};

/// DISCONNECT err for a TLS protocol or certificate failure.
pub const TLS_PROTOCOL_ERROR: i32 = libc::EPROTO;
/// DISCONNECT err when a TLS peer closed TCP without close_notify.
pub const TLS_TRUNCATED: i32 = libc::ECONNABORTED;

/// Default time a TLS handshake may take, in milliseconds.
pub const DEFAULT_HANDSHAKE_TIMEOUT_MS: u64 = 10_000;
/// Default cap on handshakes a TLS listener runs at once.
pub const DEFAULT_MAX_HANDSHAKES: usize = 256;

/// What a TLS channel keeps beside the socket.
#[derive(Debug)]
pub(crate) struct TlsState {
    /// The program's configuration (None: the system client configuration).
    pub config: Option<TlsConfig>,
    /// Name for SNI and certificate checks, if set explicitly.
    pub server_name: Option<String>,
    /// The session of the current connection.
    pub session: Option<Box<Session>>,
    /// The session reads and writes through the socket (server side from
    /// accept on, client side once TCP connected).
    pub running: bool,
    /// The socket may hold ciphertext not yet pulled into the session.
    pub sock_readable: bool,
    /// Server side, in the handshake: the listener that gets ACCEPT, and its
    /// epoch when it accepted (a listener disconnected since gets nothing).
    pub listener: Handle,
    pub listener_epoch: u32,
    /// Listener: its handshakes in flight, oldest first.
    pub pending: VecDeque<Handle>,
    /// Time a handshake may take (µs), and the cap on a listener's
    /// handshakes in flight.
    pub handshake_us: u64,
    pub max_handshakes: usize,
    /// This channel's handshake deadline.
    pub deadline: Deadline,
    /// Why the last connection failed (TLS errors), for the program.
    pub error: Option<String>,
}

impl Default for TlsState {
    fn default() -> TlsState {
        TlsState {
            config: None,
            server_name: None,
            session: None,
            running: false,
            sock_readable: false,
            listener: Handle::NONE,
            listener_epoch: 0,
            pending: VecDeque::new(),
            handshake_us: DEFAULT_HANDSHAKE_TIMEOUT_MS * 1000,
            max_handshakes: DEFAULT_MAX_HANDSHAKES,
            deadline: Deadline::default(),
            error: None,
        }
    }
}

impl TlsState {
    /// An accepted connection whose handshake runs: owned by nobody yet.
    pub fn accepting(&self) -> bool {
        !self.listener.is_none()
    }

    /// The socket closed: the session goes with it.
    pub fn detach(&mut self) {
        self.session = None;
        self.running = false;
        self.sock_readable = false;
        self.listener = Handle::NONE;
    }
}

impl Chann {
    /// The TLS state, created on first use.
    pub(crate) fn tls_state(&mut self) -> &mut TlsState {
        self.tls.get_or_insert_with(Box::default)
    }

    /// Whether this TLS channel's bytes flow through a session now.
    pub(crate) fn tls_running(&self) -> bool {
        self.tls.as_ref().is_some_and(|t| t.running && t.session.is_some())
    }

    /// The err a TLS connection ends with: 0 after the peer's close_notify,
    /// else how the socket ended (a reset, an error), else a TCP close
    /// without close_notify.
    fn tls_end_err(&self) -> i32 {
        let clean = self
            .tls
            .as_ref()
            .and_then(|t| t.session.as_ref())
            .is_some_and(|s| s.peer_closed());
        match self.end {
            _ if clean => 0,
            Some(e) => e.get(),
            None => TLS_TRUNCATED,
        }
    }

    /// The err of a connection whose program declined its last input.
    pub(crate) fn declined_err(&self) -> i32 {
        if self.tls.is_some() {
            self.tls_end_err()
        } else {
            self.end_err()
        }
    }

    /// Pulls ciphertext from the socket into the session and writes what the
    /// session has to say. A socket or protocol failure is noted as the
    /// connection's end (plaintext already decrypted stays readable);
    /// returned as an error too, for a handshake to fail on.
    fn tls_pull(&mut self) -> std::result::Result<(), TlsFail> {
        let Chann {
            tls: Some(t),
            sock: Some(Sock::Stream(sock)),
            sendq,
            received,
            ..
        } = self
        else {
            return Ok(());
        };
        let Some(session) = t.session.as_mut() else {
            return Ok(());
        };
        let r = session.pull(sock, sendq, received);
        match &r {
            Ok(Pulled::Full) => {}
            Ok(Pulled::Drained | Pulled::Eof) | Err(_) => t.sock_readable = false,
        }
        if self.writable && !self.sendq.is_empty() {
            let _ = self.flush_stream(); // handshake messages, alerts, tickets
        }
        match r {
            Ok(_) => Ok(()),
            Err(f) => {
                let err = match &f {
                    TlsFail::Io(e) => socket::errno_of(e),
                    TlsFail::Protocol(why) => {
                        self.tls_state().error = Some(why.clone());
                        TLS_PROTOCOL_ERROR
                    }
                };
                if self.end.is_none() {
                    self.end = NonZeroI32::new(err);
                }
                self.readable = true;
                Err(f)
            }
        }
    }

    /// `probe` for TLS: whether plaintext (or the peer's close) is waiting.
    /// When the session ran dry while the socket may still hold ciphertext
    /// (reading stopped at the session's buffer limit, or RECV was paused),
    /// it pulls more first: no readiness edge would announce those bytes.
    pub(crate) fn tls_probe(&mut self) -> Io {
        let mut input = self.tls_input();
        if input == Input::Empty && self.tls.as_ref().is_some_and(|t| t.sock_readable) && self.reading() {
            let _ = self.tls_pull();
            input = self.tls_input();
        }
        match input {
            Input::Data => Io::Bytes(1),
            Input::Closed(_) => Io::Ended(self.tls_end_err()),
            Input::Empty if self.end.is_some() => Io::Ended(self.tls_end_err()),
            Input::Empty => {
                self.readable = false;
                Io::WouldBlock
            }
        }
    }

    fn tls_input(&mut self) -> Input {
        self.tls
            .as_mut()
            .and_then(|t| t.session.as_mut())
            .map_or(Input::Empty, |s| s.input())
    }

    /// `read` for TLS: plaintext out of the session, pulling more ciphertext
    /// when it runs dry.
    pub(crate) fn tls_read(&mut self, buf: &mut [u8]) -> Io {
        let mut pulled = false;
        loop {
            let Some(session) = self.tls.as_mut().and_then(|t| t.session.as_mut()) else {
                return Io::WouldBlock;
            };
            match session.read(buf) {
                PlainRead::Data(n) => return Io::Bytes(n),
                PlainRead::Closed(_) => return Io::Ended(self.tls_end_err()),
                PlainRead::Empty => {
                    let more = self.tls.as_ref().is_some_and(|t| t.sock_readable);
                    if more && !pulled {
                        // A failure is noted as the end; plaintext decrypted
                        // before it is still read first.
                        let _ = self.tls_pull();
                        pulled = true;
                        continue;
                    }
                    if self.end.is_some() {
                        return Io::Ended(self.tls_end_err());
                    }
                    if !self.tls.as_ref().is_some_and(|t| t.sock_readable) {
                        self.readable = false;
                    }
                    return Io::WouldBlock;
                }
            }
        }
    }

    /// `send` for TLS: encrypt into the send queue.
    pub(crate) fn tls_write(&mut self, buf: &[u8]) -> Result<()> {
        let Chann {
            tls: Some(t), sendq, ..
        } = self
        else {
            return Ok(());
        };
        let Some(session) = t.session.as_mut() else {
            return Err(Error::WrongState {
                op: "send on",
                state: self.state,
            });
        };
        session.write(buf, sendq).map_err(|e| Error::io("TLS encrypt", e))
    }

    /// Before the socket of a TLS channel closes: read what the socket
    /// holds into the session, then queue close_notify. The peer sends
    /// records the program never sees (a TLS 1.3 server's session tickets
    /// right after the handshake); left unread in the kernel, they turn the
    /// close into a reset, which destroys the last data and the close_notify
    /// still on their way to the peer. Unread plaintext the session cannot
    /// take stays behind, as on TCP.
    pub(crate) fn tls_goodbye(&mut self) {
        if let Some(t) = self.tls.as_mut() {
            t.sock_readable = true;
        }
        let _ = self.tls_pull();
        let Chann {
            tls: Some(t), sendq, ..
        } = self
        else {
            return;
        };
        if let Some(session) = t.session.as_mut() {
            session.close_notify(sendq);
        }
    }
}

impl Reactor {
    /// Gives TLS settings to a TLS channel, for its next listen or connect.
    /// A TLS listener needs a configuration with a certificate and key; a
    /// client without one verifies servers against the system trust store.
    pub fn set_tls_config(&mut self, h: Handle, config: TlsConfig) -> Result<()> {
        self.tls_of(h, "set a TLS configuration")?.config = Some(config);
        Ok(())
    }

    /// Sets the name a TLS client sends (SNI) and checks the server's
    /// certificate against. Without it, the host of the connect address is
    /// used.
    pub fn set_server_name(&mut self, h: Handle, name: &str) -> Result<()> {
        self.tls_of(h, "set a TLS server name")?.server_name = Some(name.to_owned());
        Ok(())
    }

    /// How long a TLS handshake may take, in milliseconds (default 10 000).
    /// On a listener it applies to the connections it accepts from now on:
    /// one whose handshake does not finish in time is closed silently. On a
    /// client it applies to its next connects: the handshake that does not
    /// finish in time ends with DISCONNECT, err ETIMEDOUT. 0 is refused (a
    /// handshake that may last forever is how silent peers exhaust a
    /// server's descriptors).
    pub fn set_handshake_timeout(&mut self, h: Handle, ms: u64) -> Result<()> {
        if ms == 0 {
            return Err(Error::InvalidArgument("a TLS handshake timeout must be above 0 ms"));
        }
        let us = ms
            .checked_mul(1000)
            .ok_or(Error::InvalidArgument("TLS handshake timeout too large"))?;
        self.tls_of(h, "set a TLS handshake timeout")?.handshake_us = us;
        Ok(())
    }

    /// The most handshakes a TLS listener runs at once (default 256). A
    /// connection accepted past the cap closes the oldest handshake in
    /// flight, so silent or slow peers cannot keep real clients out.
    pub fn set_max_handshakes(&mut self, h: Handle, n: usize) -> Result<()> {
        if n == 0 {
            return Err(Error::InvalidArgument("a TLS listener needs room for at least one handshake"));
        }
        self.tls_of(h, "set the TLS handshake cap")?.max_handshakes = n;
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
            .and_then(|t| t.session.as_ref())
            .and_then(|s| s.alpn().map(<[u8]>::to_vec)))
    }

    /// How many handshakes a TLS listener has in flight.
    pub fn handshakes_in_flight(&self, h: Handle) -> Result<usize> {
        Ok(self.get(h)?.tls.as_ref().map_or(0, |t| t.pending.len()))
    }

    fn tls_of(&mut self, h: Handle, op: &'static str) -> Result<&mut TlsState> {
        let c = self.get_mut(h)?;
        if c.kind != Kind::Tls {
            return Err(Error::WrongKind { op, kind: c.kind });
        }
        Ok(c.tls_state())
    }

    /// Checks that a TLS listener can serve before it listens.
    pub(crate) fn tls_check_listen(&mut self, h: Handle) -> Result<()> {
        match &self.get_mut(h)?.tls_state().config {
            Some(cfg) if cfg.is_server() => Ok(()),
            _ => Err(Error::Tls(
                "a TLS listener needs a configuration with a certificate chain and a private key".into(),
            )),
        }
    }

    /// Creates the client session before a TLS connect; `host` names the
    /// server unless a name was set explicitly.
    pub(crate) fn tls_prepare_connect(&mut self, h: Handle, host: &str) -> Result<()> {
        let t = self.get_mut(h)?.tls_state();
        let config = match &t.config {
            Some(cfg) => cfg.clone(),
            None => TlsConfig::system_client()?,
        };
        let name = t.server_name.clone().unwrap_or_else(|| host.to_owned());
        t.session = Some(Box::new(config.client_session(&name)?));
        t.running = false;
        t.error = None;
        Ok(())
    }

    /// Whether a TLS channel has its client session ready for a connect.
    pub(crate) fn tls_prepared(&self, h: Handle) -> bool {
        self.get(h).is_ok_and(|c| c.tls.as_ref().is_some_and(|t| t.session.is_some()))
    }

    /// A TLS listener accepted `nh`: start the server handshake, with its
    /// deadline, within the listener's cap.
    pub(crate) fn tls_admit(&mut self, listener: Handle, nh: Handle) {
        let Ok(l) = self.get_mut(listener) else {
            return;
        };
        let epoch = l.epoch;
        let t = l.tls_state();
        let (config, timeout, cap) = (t.config.clone(), t.handshake_us, t.max_handshakes);
        let session = match config.as_ref().map(TlsConfig::server_session) {
            Some(Ok(s)) => s,
            Some(Err(e)) => {
                log::error!("TLS accept: {e}");
                self.release(nh);
                return;
            }
            None => {
                self.release(nh);
                return;
            }
        };
        let now = self.now;
        let Some(c) = self.channs.get_mut(nh.index()) else {
            return;
        };
        c.state = State::Connecting;
        let t = c.tls_state();
        t.config = config;
        t.session = Some(Box::new(session));
        t.running = true;
        t.listener = listener;
        t.listener_epoch = epoch;
        self.deadlines.arm(&mut t.deadline, nh, now.saturating_add(timeout));
        let pending = &mut self.channs[listener.index()].tls_state().pending;
        pending.push_back(nh);
        if pending.len() > cap {
            if let Some(oldest) = pending.pop_front() {
                log::info!("TLS: {cap} handshakes in flight on one listener; closing the oldest");
                self.release_handshake(oldest);
            }
        }
    }

    /// A TLS client's TCP connect finished: send the ClientHello and start
    /// the handshake's deadline.
    pub(crate) fn tls_start_client(&mut self, h: Handle, fresh: bool) {
        let now = self.now;
        let Some(c) = self.channs.get_mut(h.index()) else {
            return;
        };
        let Chann {
            tls: Some(t), sendq, ..
        } = c
        else {
            return;
        };
        t.running = true;
        t.sock_readable = fresh;
        if let Some(s) = t.session.as_mut() {
            s.write_records(sendq);
        }
        let timeout = t.handshake_us;
        self.deadlines.arm(&mut t.deadline, h, now.saturating_add(timeout));
        self.tls_handshake_step(h);
    }

    /// Readiness on a TLS channel whose handshake runs.
    pub(crate) fn tls_handshake_ready(&mut self, h: Handle, r: Readiness) {
        let Ok(c) = self.get_mut(h) else {
            return;
        };
        if r.error {
            let err = c.sock.as_ref().and_then(|s| s.as_ref().take_error().ok().flatten());
            if let Some(e) = err {
                return self.tls_handshake_failed(h, socket::errno_of(&e), e.to_string());
            }
        }
        if r.writable {
            c.writable = true;
        }
        if r.readable || r.read_closed {
            c.tls_state().sock_readable = true;
        }
        self.tls_handshake_step(h);
    }

    /// Moves a handshake along: on to CONNECTED or ACCEPT when it completes,
    /// or to its failure.
    fn tls_handshake_step(&mut self, h: Handle) {
        let Ok(c) = self.get_mut(h) else {
            return;
        };
        if let Err(f) = c.tls_pull() {
            let (err, why) = match f {
                TlsFail::Io(e) => (socket::errno_of(&e), e.to_string()),
                TlsFail::Protocol(why) => (TLS_PROTOCOL_ERROR, why),
            };
            return self.tls_handshake_failed(h, err, why);
        }
        let Some(t) = c.tls.as_mut() else {
            return;
        };
        if t.session.as_ref().is_some_and(|s| s.is_handshaking()) {
            if c.tls_input() != Input::Empty {
                let why = "the peer closed the connection during the TLS handshake".to_owned();
                return self.tls_handshake_failed(h, TLS_PROTOCOL_ERROR, why);
            }
            return;
        }
        self.tls_established(h);
    }

    /// The handshake completed: CONNECTED for a client, ACCEPT on the
    /// listener for a server (when that listener still listens as it did).
    fn tls_established(&mut self, h: Handle) {
        let Some(c) = self.channs.get_mut(h.index()) else {
            return;
        };
        c.state = State::Connected;
        c.readable = true; // the session may hold plaintext already: let RECV look
        let t = c.tls_state();
        let (listener, epoch) = (std::mem::take(&mut t.listener), t.listener_epoch);
        self.deadlines.stop(&mut t.deadline);
        if listener.is_none() {
            self.raise_connected(h);
        } else {
            self.forget_pending(listener, h);
            if !self.get(listener).is_ok_and(|l| l.epoch == epoch && l.state == State::Listening) {
                self.release(h);
                return;
            }
            self.raise_accept(listener, h);
        }
        self.raise_recv(h, true);
    }

    /// A handshake failed. An accepted one belongs to nobody: it is closed
    /// and logged. A client's loses its connection with one DISCONNECT.
    fn tls_handshake_failed(&mut self, h: Handle, err: i32, why: String) {
        let Ok(c) = self.get_mut(h) else {
            return;
        };
        if c.writable && !c.sendq.is_empty() {
            let _ = c.flush_stream(); // the alert, so the peer learns why
        }
        let t = c.tls_state();
        if t.accepting() {
            log::info!("TLS handshake with an accepted connection failed: {why}");
            self.release_handshake(h);
            return;
        }
        t.error = Some(why);
        self.raise_disconnect(h, err);
    }

    /// A handshake's deadline passed.
    pub(crate) fn tls_handshake_timed_out(&mut self, h: Handle) {
        let Ok(c) = self.get(h) else {
            return;
        };
        let Some(t) = c.tls.as_ref() else {
            return;
        };
        let ms = t.handshake_us / 1000;
        let why = format!("the TLS handshake did not finish within {ms} ms");
        if t.accepting() {
            log::info!("TLS: an accepted connection: {why}; closed");
            self.release_handshake(h);
        } else if c.state == State::Connecting {
            self.tls_handshake_failed(h, libc::ETIMEDOUT, why);
        }
    }

    /// Closes an accepted connection still in its handshake, and takes it
    /// off its listener's list.
    pub(crate) fn release_handshake(&mut self, h: Handle) {
        let listener = self.get(h).ok().and_then(|c| c.tls.as_ref()).map(|t| t.listener);
        if let Some(l) = listener {
            self.forget_pending(l, h);
        }
        self.release(h);
    }

    /// Releases a handshake of a listener that is being released itself.
    pub(crate) fn release_pending(&mut self, h: Handle, listener: Handle) {
        if self.get(h).is_ok_and(|c| c.tls.as_ref().is_some_and(|t| t.listener == listener)) {
            self.release(h);
        }
    }

    /// Drops a listener's handshakes in flight (it stopped listening).
    pub(crate) fn drop_pending(&mut self, listener: Handle) {
        let pending = match self.get_mut(listener).ok().and_then(|l| l.tls.as_mut()) {
            Some(t) => std::mem::take(&mut t.pending),
            None => return,
        };
        for p in pending {
            self.release_pending(p, listener);
        }
    }

    fn forget_pending(&mut self, listener: Handle, h: Handle) {
        if let Some(t) = self.get_mut(listener).ok().and_then(|l| l.tls.as_mut()) {
            t.pending.retain(|&p| p != h);
        }
    }
}
