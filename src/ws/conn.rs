//! A connection's life after it opened: bytes read and turned into
//! events, automatic pongs, the closing handshake, failures, and the
//! clocks (keep-alive pings, idle and close timeouts).

use super::codec::{close_body, Fail, Incoming, Role};
use super::endpoint::{Endpoint, Stage, READ_CHUNK};
use super::frame::{OP_CLOSE, OP_PING, OP_PONG};
use super::Event;
use crate::{Handle, Reactor};

/// Bytes read from one connection per RECV before others get their turn.
const READ_BUDGET: usize = 4 * READ_CHUNK;

impl Endpoint {
    /// RECV: read what came, within the budget, and no more than the send
    /// queue has room for: a program that answers each message with one
    /// no larger (an echo) never finds the queue full. When it is full,
    /// reading pauses until it empties: a peer that does not read cannot
    /// make the endpoint queue without bound.
    pub(super) fn readable(&mut self, r: &mut Reactor, id: Handle) {
        let Some(c) = self.conns.get_mut(&id) else {
            return;
        };
        if matches!(c.stage, Stage::Opening(_)) {
            return self.read_answer(r, id);
        }
        let mut budget = READ_BUDGET;
        if c.is_open() {
            let queued = r.cached(id).unwrap_or(0);
            if queued >= self.opts.max_queue {
                c.paused = true;
                c.want_drain = true;
                let _ = r.set_recv_event(id, false);
                let _ = r.set_send_event(id, true);
                return;
            }
            budget = budget.min(self.opts.max_queue - queued);
        }
        if self.scratch.len() < READ_CHUNK {
            self.scratch.resize(READ_CHUNK, 0);
        }
        while budget > 0 {
            let want = budget.min(READ_CHUNK);
            let n = match r.recv(id, &mut self.scratch[..want]) {
                Ok(0) | Err(_) => break, // the end, if any, comes as EOF or DISCONNECT
                Ok(n) => n,
            };
            budget -= n;
            if !self.feed(r, id, n) || n < want {
                break;
            }
        }
    }

    /// Reads `scratch[..n]` as frames; false once the connection stopped
    /// reading them.
    pub(super) fn feed(&mut self, r: &mut Reactor, id: Handle, n: usize) -> bool {
        let Some(c) = self.conns.get_mut(&id) else {
            return false;
        };
        // The round's time, read once by the reactor when these bytes were
        // reported (as the HTTP server stamps its requests), not a clock
        // read per read and per message.
        c.heard = r.now;
        if c.deaf {
            return true; // drained and dropped until the end
        }
        let mut found = std::mem::take(&mut self.found);
        let res = c.reader.read(&mut self.scratch[..n], c.deflate.as_deref_mut(), &mut self.shared, &mut |i| found.push(i));
        for inc in found.drain(..) {
            self.incoming(r, id, inc);
        }
        self.found = found;
        if let Err(f) = res {
            self.fail(r, id, f);
            return false;
        }
        self.conns.get(&id).is_some_and(|c| !c.deaf)
    }

    fn incoming(&mut self, r: &mut Reactor, id: Handle, inc: Incoming) {
        let Some(c) = self.conns.get_mut(&id) else {
            return;
        };
        let open = c.is_open() && !c.close_sent;
        match inc {
            Incoming::Message { text, data } => {
                c.active = r.now;
                if open {
                    self.events.push_back(Event::Message { id, text, data });
                }
            }
            Incoming::Ping(data) => {
                if open {
                    let _ = self.write(r, id, OP_PONG, &data);
                    self.events.push_back(Event::Ping(id, data));
                }
            }
            Incoming::Pong(data) => {
                c.ping_sent = None;
                if open {
                    self.events.push_back(Event::Pong(id, data));
                }
            }
            Incoming::Close { code, reason } => {
                c.deaf = true;
                if c.close_sent {
                    // The answer to our close: the handshake is complete.
                    self.closed_both_ways(r, id);
                } else {
                    // Echo the code (none when the peer gave none).
                    let body = if code == 1005 { Vec::new() } else { close_body(code, "") };
                    c.end = Some((code, reason));
                    self.defer_close(r, id, body);
                }
            }
        }
    }

    /// Sends the close frame `body` in the next round: the program first
    /// gets the messages that came before the peer's close (or its fault)
    /// and may still answer them, as the peer expects (RFC 6455 §7.1.6;
    /// Autobahn 3.x, 4.x and 5.15 check that the answers come before the
    /// close).
    fn defer_close(&mut self, r: &mut Reactor, id: Handle, body: Vec<u8>) {
        let Some(c) = self.conns.get_mut(&id) else {
            return;
        };
        c.deaf = true;
        c.pending = Some(body);
        if r.set_timer(id, 1).is_err() {
            self.send_pending(r, id);
        }
    }

    /// Sends the deferred close frame, and the connection is closing.
    fn send_pending(&mut self, r: &mut Reactor, id: Handle) {
        if let Some(body) = self.conns.get_mut(&id).and_then(|c| c.pending.take()) {
            self.start_close_with(r, id, &body, true);
        }
    }

    /// This side begins the closing handshake (the program's close, or
    /// the idle timeout).
    pub(super) fn start_close(&mut self, r: &mut Reactor, id: Handle, code: u16, reason: &str) {
        let Some(c) = self.conns.get_mut(&id) else {
            return;
        };
        c.end.get_or_insert((code, reason.to_owned()));
        // The peer's close (or its fault) came already: this one ends the
        // exchange instead of the deferred answer.
        let over = c.pending.take().is_some();
        self.start_close_with(r, id, &close_body(code, reason), over);
    }

    /// Sends the close frame `body` and waits for the end. `now`: the
    /// exchange is over on this side (the peer's close came, or it failed),
    /// so a server ends its half of TCP at once (RFC 6455 §7.1.1).
    fn start_close_with(&mut self, r: &mut Reactor, id: Handle, body: &[u8], now: bool) {
        let Some(c) = self.conns.get_mut(&id) else {
            return;
        };
        let sent = c.close_sent;
        c.close_sent = true;
        c.stage = Stage::Closing;
        if !sent && self.write(r, id, OP_CLOSE, body).is_err() {
            return self.finish(r, id);
        }
        if now {
            self.closed_both_ways(r, id);
        } else {
            let _ = r.set_timer(id, self.opts.close_timeout_ms.max(1));
        }
    }

    /// Both close frames are out (or the connection failed): a server ends
    /// TCP's sending half and waits for the client's end; a client waits
    /// for the server's (either bounded by the close timeout).
    fn closed_both_ways(&mut self, r: &mut Reactor, id: Handle) {
        let Some(c) = self.conns.get(&id) else {
            return;
        };
        if c.role == Role::Server && r.shutdown_write(id).is_err() {
            return self.finish(r, id);
        }
        let _ = r.set_timer(id, self.opts.close_timeout_ms.max(1));
    }

    /// The peer broke the protocol: close with `f`'s code (once the
    /// program has seen what came before), read nothing more.
    pub(super) fn fail(&mut self, r: &mut Reactor, id: Handle, f: Fail) {
        log::info!("WebSocket: failing the connection: {} ({})", f.why, f.code);
        let Some(c) = self.conns.get_mut(&id) else {
            return;
        };
        c.deaf = true;
        if c.close_sent {
            return self.closed_both_ways(r, id);
        }
        c.end.get_or_insert((f.code, f.why.to_owned()));
        self.defer_close(r, id, close_body(f.code, f.why));
    }

    /// TCP ended (`err` its errno, 0 for the peer's FIN).
    pub(super) fn lost(&mut self, r: &mut Reactor, id: Handle, err: i32) {
        if err == 0 {
            // The peer half-closed after its close: answer it still.
            self.send_pending(r, id);
        }
        let Some(c) = self.conns.get_mut(&id) else {
            return;
        };
        if c.end.is_none() {
            let why = match (&c.stage, err) {
                (Stage::Opening(o), _) => o.failure(r, id, err),
                (_, 0) => "the peer closed TCP without a close frame".to_owned(),
                (_, e) => format!("connection lost: {}", std::io::Error::from_raw_os_error(e)),
            };
            c.end = Some((1006, why));
        }
        self.finish(r, id);
    }

    /// The connection is over: its channel closes and the program hears
    /// [`Event::Close`].
    pub(super) fn finish(&mut self, r: &mut Reactor, id: Handle) {
        let _ = r.close(id);
        if let Some(c) = self.conns.remove(&id) {
            let (code, reason) = c.end.unwrap_or((1006, String::new()));
            self.events.push_back(Event::Close { id, code, reason });
        }
    }

    /// The connection's timer: the opening or close timeout, keep-alive
    /// pings and the idle timeout.
    pub(super) fn tick(&mut self, r: &mut Reactor, id: Handle) {
        let Some(c) = self.conns.get_mut(&id) else {
            return;
        };
        match c.stage {
            Stage::Opening(_) => {
                let why = format!("the connection did not open within {} ms", self.opts.handshake_timeout_ms);
                c.end.get_or_insert((1006, why));
                return self.finish(r, id);
            }
            Stage::Closing => {
                c.end.get_or_insert((1006, "the closing handshake timed out".to_owned()));
                return self.finish(r, id);
            }
            Stage::Open if c.pending.is_some() => return self.send_pending(r, id),
            Stage::Open => {}
        }
        let (now, o) = (crate::now_micros(), self.opts);
        if let Some(sent) = c.ping_sent {
            if now >= sent.saturating_add(o.pong_timeout_ms.saturating_mul(1000)) {
                c.end = Some((1006, format!("no pong within {} ms of a ping", o.pong_timeout_ms)));
                return self.finish(r, id);
            }
        }
        if o.idle_timeout_ms > 0 && now >= c.active.saturating_add(o.idle_timeout_ms.saturating_mul(1000)) {
            return self.start_close(r, id, 1001, "idle timeout");
        }
        if o.ping_interval_ms > 0 && c.ping_sent.is_none() && now >= c.heard.saturating_add(o.ping_interval_ms.saturating_mul(1000)) {
            c.ping_sent = Some(now);
            let _ = self.write(r, id, OP_PING, b"");
        }
        self.arm_clock(r, id);
    }

    /// Sets an open connection's timer to its nearest deadline (none
    /// without keep-alive pings or idle timeout).
    pub(super) fn arm_clock(&mut self, r: &mut Reactor, id: Handle) {
        let Some(c) = self.conns.get(&id).filter(|c| c.is_open()) else {
            return;
        };
        let o = &self.opts;
        let ms = |t: u64| t.saturating_mul(1000);
        let mut next = u64::MAX;
        if o.ping_interval_ms > 0 {
            next = next.min(match c.ping_sent {
                Some(sent) => sent.saturating_add(ms(o.pong_timeout_ms)),
                None => c.heard.saturating_add(ms(o.ping_interval_ms)),
            });
        }
        if o.idle_timeout_ms > 0 {
            next = next.min(c.active.saturating_add(ms(o.idle_timeout_ms)));
        }
        let wait = match next {
            u64::MAX => 0,
            t => (t.saturating_sub(crate::now_micros()) / 1000).max(1),
        };
        let _ = r.set_timer(id, wait);
    }
}
