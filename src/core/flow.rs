//! Flow control and connection lifetime beyond m_net: pausing RECV
//! (backpressure), a high-water mark on the send queue, half-close, and idle
//! timeouts. The settings live in a per-channel `Extras` box, allocated only
//! by channels that use one of them.

use crate::chann::{Chann, State};
use crate::reactor::Queued;
use crate::socket::Sock;
use crate::timer::{now_micros, TimerSlot};
use crate::{Error, Event, Handle, Reactor, Result};

/// Rarely used per-channel settings (boxed: 8 bytes for channels without).
#[derive(Debug, Default)]
pub(crate) struct Extras {
    /// High-water mark of the send queue in bytes; 0 = none.
    pub send_limit: usize,
    /// Deliver the peer's FIN as [`Event::Eof`] instead of DISCONNECT.
    pub half_close: bool,
    /// [`Event::Eof`] was raised: the peer sends no more.
    pub eof: bool,
    /// `shutdown_write` was called: FIN goes out once the queue is empty.
    pub shutdown_pending: bool,
    /// The write side is shut.
    pub write_shut: bool,
    /// Idle timeout in microseconds; 0 = none.
    pub idle_us: u64,
    /// Time of the last traffic (or of arming the timeout).
    pub last_active: u64,
    /// The idle timeout's heap entry.
    pub idle: TimerSlot,
}

impl Chann {
    pub(crate) fn extras(&mut self) -> &mut Extras {
        self.ext.get_or_insert_with(Box::default)
    }

    /// Notes traffic for the idle timeout.
    pub(crate) fn touch(&mut self, now: u64) {
        if let Some(x) = self.ext.as_mut() {
            x.last_active = now;
        }
    }

    /// Whether the peer's FIN becomes [`Event::Eof`] on this channel.
    pub(crate) fn half_close(&self) -> bool {
        self.ext.as_ref().is_some_and(|x| x.half_close)
    }

    /// Both directions of a half-closed connection are done: the peer's FIN
    /// was delivered as EOF and ours went out. Nothing can move any more, so
    /// the connection ends with DISCONNECT (err 0).
    pub(crate) fn both_finished(&self) -> bool {
        self.ext.as_ref().is_some_and(|x| x.eof && x.write_shut) && self.sendq.is_empty()
    }

    /// After the queue drained: send the FIN `shutdown_write` asked for.
    pub(crate) fn finish_shutdown(&mut self) {
        let Some(x) = self.ext.as_mut() else {
            return;
        };
        if x.shutdown_pending && self.sendq.is_empty() {
            x.shutdown_pending = false;
            x.write_shut = true;
            if let Some(Sock::Stream(s)) = &self.sock {
                let _ = s.shutdown(std::net::Shutdown::Write);
            }
        }
    }
}

impl Reactor {
    /// Stops (`false`) or resumes (`true`) RECV for the channel. While
    /// paused, mnet reads nothing from the socket, so the kernel's flow
    /// control slows the peer down: a proxy or echo server pauses a channel
    /// whose output backs up and resumes it from the SEND event. Data that
    /// arrived meanwhile is announced by RECV right after resuming. `recv`
    /// itself still works while paused.
    pub fn set_recv_event(&mut self, h: Handle, on: bool) -> Result<()> {
        let c = self.get_mut(h)?;
        let was_paused = c.paused;
        c.paused = !on;
        if on && was_paused {
            // No edge will announce what arrived during the pause.
            self.watch_recv(h);
        }
        Ok(())
    }

    /// Whether RECV is paused on the channel.
    pub fn recv_paused(&self, h: Handle) -> Result<bool> {
        Ok(self.get(h)?.paused)
    }

    /// Sets a high-water mark on the send queue: a `send` that would take
    /// the queue past `bytes` fails with [`Error::QueueFull`] and queues
    /// nothing, instead of letting memory grow without bound behind a slow
    /// peer. 0 removes the limit (the default).
    pub fn set_send_limit(&mut self, h: Handle, bytes: usize) -> Result<()> {
        self.get_mut(h)?.extras().send_limit = bytes;
        Ok(())
    }

    pub(crate) fn check_send_limit(c: &Chann, len: usize) -> Result<()> {
        if let Some(x) = &c.ext {
            let queued = c.sendq.len();
            if x.send_limit > 0 && queued + len > x.send_limit {
                return Err(Error::QueueFull {
                    queued,
                    len,
                    limit: x.send_limit,
                });
            }
        }
        Ok(())
    }

    /// Opts in to half-close: the peer's FIN then arrives as one
    /// [`Event::Eof`] (after all its data), the channel stays connected for
    /// sending, and DISCONNECT is left for resets and errors. Without it the
    /// FIN ends the connection with DISCONNECT (err 0), as in m_net.
    pub fn set_half_close(&mut self, h: Handle, on: bool) -> Result<()> {
        self.get_mut(h)?.extras().half_close = on;
        Ok(())
    }

    /// Ends the sending direction: the FIN (for TLS: close_notify, then the
    /// FIN) goes out once everything queued was written; receiving goes on.
    /// Further `send`s fail.
    pub fn shutdown_write(&mut self, h: Handle) -> Result<()> {
        let c = self.get(h)?;
        if c.state != State::Connected || c.kind.is_datagram() {
            return Err(Error::WrongState {
                op: "shut down the sending side of",
                state: c.state,
            });
        }
        if c.tls.is_some() {
            self.tls_close_notify(h);
        }
        let c = self.get_mut(h)?;
        c.extras().shutdown_pending = true;
        if c.writable && !c.sendq.is_empty() {
            if let Err(e) = c.flush() {
                self.write_failed(h, &e);
                return Ok(());
            }
        }
        self.get_mut(h)?.finish_shutdown();
        Ok(())
    }

    pub(crate) fn write_shut(c: &Chann) -> bool {
        c.ext.as_ref().is_some_and(|x| x.write_shut || x.shutdown_pending)
    }

    /// The peer's FIN after all its data: EOF for half-close channels (once),
    /// DISCONNECT otherwise.
    pub(crate) fn peer_finished(&mut self, h: Handle, err: i32) {
        let Ok(c) = self.get_mut(h) else {
            return;
        };
        if err == 0 && c.half_close() {
            c.readable = false;
            let x = c.extras();
            if !x.eof {
                x.eof = true;
                let epoch = c.epoch;
                self.push(Queued {
                    event: Event::Eof,
                    chann: h,
                    accepted: Handle::NONE,
                    err: 0,
                    epoch,
                });
            }
            return;
        }
        self.lost(h, err);
    }

    /// Ends the connection with DISCONNECT (err ETIMEDOUT) when no byte moved
    /// either way for `ms` milliseconds; 0 turns it off. The clock restarts
    /// now and at every byte received or sent.
    pub fn set_idle_timeout(&mut self, h: Handle, ms: u64) -> Result<()> {
        let now = now_micros();
        let c = self.channs.get_mut(h.index()).filter(|c| c.gen == h.gen());
        let Some(c) = c else {
            return Err(Error::StaleHandle(h.to_raw()));
        };
        let x = c.extras();
        if ms == 0 {
            self.idle.stop(&mut x.idle);
            x.idle_us = 0;
            return Ok(());
        }
        x.idle_us = ms.checked_mul(1000).ok_or(Error::InvalidArgument("idle timeout too large"))?;
        x.last_active = now;
        self.idle.arm(&mut x.idle, h, now, x.idle_us);
        Ok(())
    }

    /// Checks due idle deadlines: a channel idle for its whole timeout loses
    /// its connection; one with traffic since is looked at again when its
    /// new deadline comes (no heap work per byte).
    pub(crate) fn fire_idle(&mut self, now: u64) {
        while let Some(e) = self.idle.pop_due(now) {
            let Some(c) = self.channs.get_mut(e.chann.index()).filter(|c| c.gen == e.chann.gen()) else {
                continue;
            };
            let Some(x) = c.ext.as_mut() else {
                continue;
            };
            if x.idle.seq != e.seq || !x.idle.armed() {
                continue;
            }
            let deadline = x.last_active + x.idle_us;
            if deadline > now {
                self.idle.schedule(&mut x.idle, e.chann, deadline);
                continue;
            }
            let (idle_us, connected) = (x.idle_us, c.sock.is_some() && c.state != State::Listening);
            x.last_active = now;
            self.idle.schedule(&mut x.idle, e.chann, now + idle_us);
            if connected {
                self.lost(e.chann, libc::ETIMEDOUT);
            }
        }
        let channs = &self.channs;
        self.idle.compact_if_needed(|e| {
            channs
                .get(e.chann.index())
                .filter(|c| c.gen == e.chann.gen())
                .and_then(|c| c.ext.as_ref())
                .is_some_and(|x| x.idle.seq == e.seq && x.idle.armed())
        });
    }
}
