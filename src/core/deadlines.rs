//! Per-connection deadlines: idle timeouts and TLS handshake timeouts, on
//! the reactor's timing wheel (`Reactor::deadlines`, `wheel.rs`). Each
//! entry carries the sequence number of the claim that armed it, so an
//! entry matches exactly one of the channel's two claims, and entries left
//! behind by a stop or a re-arm are skipped.

use super::reactor::Reactor;

impl Reactor {
    /// Handles the deadlines due at `now`. A channel idle for its whole
    /// timeout loses its connection (DISCONNECT, ETIMEDOUT); one with traffic
    /// since is looked at again when its new deadline comes (traffic only
    /// stamps the time: no wheel work per byte). A handshake past its
    /// deadline fails (`core/tls.rs`).
    pub(crate) fn fire_deadlines(&mut self, now: u64) {
        while let Some(e) = self.deadlines.pop_due(now) {
            let Some(c) = self.channs.get_mut(e.chann.index()).filter(|c| c.gen == e.chann.gen()) else {
                continue;
            };
            if let Some(t) = c.tls.as_mut().filter(|t| t.deadline.is(&e)) {
                self.deadlines.stop(&mut t.deadline);
                self.tls_handshake_timed_out(e.chann);
                continue;
            }
            let Some(x) = c.ext.as_mut().filter(|x| x.idle.is(&e)) else {
                continue;
            };
            let deadline = x.last_active.saturating_add(x.idle_us);
            if deadline > now {
                self.deadlines.schedule(&mut x.idle, e.chann, deadline);
                continue;
            }
            let connected = c.sock.is_some() && c.state != super::chann::State::Listening;
            x.last_active = now;
            self.deadlines.schedule(&mut x.idle, e.chann, now.saturating_add(x.idle_us));
            if connected {
                self.raise_disconnect(e.chann, libc::ETIMEDOUT);
            }
        }
        let channs = &self.channs;
        self.deadlines.compact_if_needed(|e| {
            channs
                .get(e.chann.index())
                .filter(|c| c.gen == e.chann.gen())
                .is_some_and(|c| {
                    c.ext.as_ref().is_some_and(|x| x.idle.is(e)) || c.tls.as_ref().is_some_and(|t| t.deadline.is(e))
                })
        });
    }
}
