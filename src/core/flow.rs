//! Flow control and connection lifetime beyond m_net: pausing RECV
//! (backpressure), a high-water mark on the send queue, half-close, and idle
//! timeouts. The settings live in the channel's `Extras` box, allocated only
//! by channels that use one of them.

use super::chann::{Chann, State};
use super::handle::Handle;
use super::reactor::Reactor;
use super::timer::now_micros;
use crate::{Error, Result};

impl Reactor {
    /// Stops (`false`) or resumes (`true`) RECV for the channel. While
    /// paused, mnet reads nothing from the socket (for TLS: no ciphertext
    /// either), so the kernel's flow control slows the peer down: a proxy or
    /// echo server pauses a channel whose output backs up and resumes it from
    /// the SEND event. Data that arrived meanwhile is announced by RECV right
    /// after resuming. `recv` itself still works while paused. A pause is
    /// backpressure on a live peer: a connection that breaks while paused (a
    /// reset, an error) is read again, so what it left is offered (RECV),
    /// then its DISCONNECT; a pause cannot hold a dead connection open.
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

    /// Sets a high-water mark on the send queue: a `send` (or `send_to`)
    /// that would take the queue past `bytes` fails with
    /// [`Error::QueueFull`] and queues nothing, instead of letting memory
    /// grow without bound behind a slow peer. 0 removes the limit (the
    /// default).
    pub fn set_send_limit(&mut self, h: Handle, bytes: usize) -> Result<()> {
        self.get_mut(h)?.extras().send_limit = bytes;
        Ok(())
    }

    pub(crate) fn check_send_limit(c: &Chann, len: usize) -> Result<()> {
        if let Some(x) = &c.ext {
            let queued = c.sendq.len();
            if x.send_limit > 0 && queued.saturating_add(len) > x.send_limit {
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
    /// [`Event::Eof`](crate::Event::Eof) (after all its data), the channel
    /// stays connected for sending, and DISCONNECT is left for resets and
    /// errors. Without it the FIN ends the connection with DISCONNECT (err
    /// 0), as in m_net.
    pub fn set_half_close(&mut self, h: Handle, on: bool) -> Result<()> {
        self.get_mut(h)?.extras().half_close = on;
        Ok(())
    }

    /// Ends the sending direction: the FIN (for TLS: close_notify, then the
    /// FIN) goes out once everything queued was written; receiving goes on.
    /// Further `send`s fail.
    pub fn shutdown_write(&mut self, h: Handle) -> Result<()> {
        let c = self.get_mut(h)?;
        if c.state != State::Connected || c.kind.is_datagram() {
            return Err(Error::WrongState {
                op: "shut down the sending side of",
                state: c.state,
            });
        }
        if let Some(t) = c.tls.as_mut() {
            if let Some(s) = t.session.as_mut() {
                s.close_notify(&mut c.sendq);
            }
        }
        c.extras().shutdown_pending = true;
        if c.writable && !c.sendq.is_empty() && c.flush().is_err() {
            self.conclude(h);
            return Ok(());
        }
        c.finish_shutdown();
        Ok(())
    }

    /// Ends the connection with DISCONNECT (err ETIMEDOUT) when no byte moved
    /// either way for `ms` milliseconds; 0 turns it off. The clock restarts
    /// now and at every byte received or sent: by the program or, behind its
    /// back, by the kernel taking queued bytes or TLS reading records.
    pub fn set_idle_timeout(&mut self, h: Handle, ms: u64) -> Result<()> {
        let now = now_micros();
        let c = self.channs.get_mut(h.index()).filter(|c| c.gen == h.gen());
        let Some(c) = c else {
            return Err(Error::StaleHandle(h.to_raw()));
        };
        let x = c.extras();
        if ms == 0 {
            self.deadlines.stop(&mut x.idle);
            x.idle_us = 0;
            return Ok(());
        }
        x.idle_us = ms.checked_mul(1000).ok_or(Error::InvalidArgument("idle timeout too large"))?;
        x.last_active = now;
        self.deadlines.arm(&mut x.idle, h, now.saturating_add(x.idle_us));
        Ok(())
    }
}
