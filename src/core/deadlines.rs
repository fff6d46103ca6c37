//! Per-connection deadlines: idle timeouts and TLS handshake timeouts, on
//! the reactor's timing wheel (`Reactor::deadlines`, `wheel.rs`). A channel
//! has one claim on the wheel for each, so an entry that comes due matches
//! exactly one of them.

use super::reactor::Reactor;
use super::wheel::Deadline;

impl Reactor {
    /// Handles the deadlines due at `now`. A channel idle for its whole
    /// timeout loses its connection (DISCONNECT, ETIMEDOUT); one with traffic
    /// since is looked at again when its new deadline comes (traffic only
    /// stamps the time: no wheel work per byte). A handshake past its
    /// deadline fails (`core/tls.rs`).
    pub(crate) fn fire_deadlines(&mut self, now: u64) {
        while let Some(f) = self.deadlines.pop_due(now) {
            let Some(c) = self.channs.get_mut(f.chann.index()).filter(|c| c.gen == f.chann.gen()) else {
                continue;
            };
            if let Some(t) = c.tls.as_mut().filter(|t| t.deadline.is(&f)) {
                t.deadline = Deadline::default();
                self.tls_handshake_timed_out(f.chann);
                continue;
            }
            let Some(x) = c.ext.as_mut().filter(|x| x.idle.is(&f)) else {
                continue;
            };
            let deadline = x.last_active.saturating_add(x.idle_us);
            if deadline > now {
                self.deadlines.schedule(&mut x.idle, f.chann, deadline);
                continue;
            }
            let connected = c.sock.is_some() && c.state != super::chann::State::Listening;
            x.last_active = now;
            self.deadlines.schedule(&mut x.idle, f.chann, now.saturating_add(x.idle_us));
            if connected {
                self.raise_disconnect(f.chann, libc::ETIMEDOUT);
            }
        }
    }
}
