//! Listeners: accepting every connection in the listen queue, and waiting
//! out EMFILE without spinning.

use std::io;

use super::chann::{Kind, State};
use super::handle::Handle;
use super::reactor::{GatePhase, Reactor};
use super::timer::now_micros;
use crate::net::socket::{self, Sock};

/// Pause before retrying `accept` after EMFILE/ENFILE, in microseconds.
const ACCEPT_RETRY_US: u64 = 100_000;
/// Pause before asking an accept gate again after it said no.
const GATE_RETRY_US: u64 = 2_000;

impl Reactor {
    /// Accepts every connection waiting on listener `l` (the whole listen
    /// queue, not one per round): ACCEPT for each, or for TLS the start of
    /// its handshake. With an accept gate, only when it lets this reactor.
    pub(crate) fn accept_all(&mut self, l: Handle) {
        let Some(mut gate) = self.accept_gate.take() else {
            return self.accept_batch(l);
        };
        let fd = self.get(l).ok().and_then(|c| c.sock.as_ref()).map(|s| s.raw_fd());
        if let Some(fd) = fd {
            if gate(GatePhase::Before, fd) {
                self.accept_batch(l);
                gate(GatePhase::After, fd);
            } else {
                self.accept_retry.push((now_micros() + GATE_RETRY_US, l));
            }
        }
        self.accept_gate = Some(gate);
    }

    fn accept_batch(&mut self, l: Handle) {
        loop {
            let Ok(lc) = self.get(l) else {
                return;
            };
            let (kind, opts) = (lc.kind, lc.opts);
            let Some(Sock::Listener(listener)) = &lc.sock else {
                return;
            };
            match listener.accept() {
                Ok((stream, _)) => {
                    if let Err(e) = stream.set_nodelay(true) {
                        log::warn!("accept: TCP_NODELAY: {e}");
                    }
                    if opts.bufsize > 0 {
                        let _ = socket::apply_bufsize(&socket2::SockRef::from(&stream), opts.bufsize);
                    }
                    let nh = self.insert(kind);
                    if let Err(e) = self.attach(nh, Sock::Stream(stream), State::Connected) {
                        log::error!("accept: {e}");
                        self.release(nh);
                        continue;
                    }
                    if let Ok(c) = self.get_mut(nh) {
                        c.opts = opts;
                    }
                    if kind == Kind::Tls {
                        self.tls_admit(l, nh); // ACCEPT comes once the handshake is done
                    } else {
                        self.raise_accept(l, nh);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e)
                    if e.kind() == io::ErrorKind::Interrupted
                        || e.raw_os_error() == Some(libc::ECONNABORTED) =>
                {
                    continue
                }
                Err(e) => {
                    // EMFILE/ENFILE/ENOBUFS: the connection stays in the
                    // backlog and no new edge comes, so retry on a deadline
                    // instead of spinning; say so once per episode.
                    if let Ok(lc) = self.get_mut(l) {
                        if !lc.accept_paused {
                            log::error!("accept: {e}; retrying every {} ms", ACCEPT_RETRY_US / 1000);
                            lc.accept_paused = true;
                        }
                    }
                    self.accept_retry.push((now_micros() + ACCEPT_RETRY_US, l));
                    return;
                }
            }
        }
    }

    /// Accepts again on the listeners whose EMFILE pause is over.
    pub(crate) fn retry_accepts(&mut self, now: u64) {
        if self.accept_retry.is_empty() {
            return;
        }
        let due: Vec<Handle> = self
            .accept_retry
            .iter()
            .filter(|r| r.0 <= now)
            .map(|r| r.1)
            .collect();
        self.accept_retry.retain(|r| r.0 > now);
        for l in due {
            if self.get(l).is_ok_and(|lc| lc.state == State::Listening) {
                self.accept_all(l);
            }
        }
    }
}
