//! Outgoing TCP connects: the end of a non-blocking connect, and the next
//! address of a name with several.

use super::chann::{Kind, Readiness};
use super::handle::Handle;
use super::reactor::Reactor;
use crate::net::socket::{self, Sock};

impl Reactor {
    /// A connecting socket reported: CONNECTED (for TLS, the start of the
    /// handshake), the next address of the name, or DISCONNECT with the
    /// errno.
    pub(crate) fn finish_connect(&mut self, h: Handle, r: Readiness) {
        let Ok(c) = self.get_mut(h) else {
            return;
        };
        let Some(Sock::Stream(s)) = &c.sock else {
            return;
        };
        let err = match s.take_error() {
            Ok(Some(e)) | Err(e) => Some(socket::errno_of(&e)),
            Ok(None) => match s.peer_addr() {
                Ok(_) => None,
                Err(e) if e.raw_os_error() == Some(libc::ENOTCONN) => {
                    if r.error || r.write_closed {
                        Some(libc::ECONNREFUSED)
                    } else {
                        return; // not finished yet
                    }
                }
                Err(e) => Some(socket::errno_of(&e)),
            },
        };
        if let Some(err) = err {
            return self.try_next_address(h, err);
        }
        if let Some(x) = c.ext.as_mut() {
            x.plan = Vec::new();
        }
        c.writable = r.writable;
        let fresh = r.readable || r.read_closed;
        if fresh {
            c.readable = true;
            c.rdhup = r.read_closed;
        }
        if c.kind == Kind::Tls {
            return self.tls_start_client(h, fresh);
        }
        self.raise_connected(h);
        if fresh {
            self.raise_recv(h, true);
        }
    }

    /// The connect to one address failed with `err`: try the next address
    /// of the name, or end the connect with DISCONNECT.
    fn try_next_address(&mut self, h: Handle, err: i32) {
        loop {
            let Ok(c) = self.get_mut(h) else {
                return;
            };
            let Some(addr) = c.ext.as_mut().and_then(|x| x.plan.pop()) else {
                return self.raise_disconnect(h, err);
            };
            let (opts, send_event) = (c.opts, c.send_event);
            match socket::tcp_connect(&addr, opts) {
                Ok(s) => {
                    let plan = c.ext.as_mut().map(|x| std::mem::take(&mut x.plan)).unwrap_or_default();
                    if self.attach(h, Sock::Stream(s), super::chann::State::Connecting).is_ok() {
                        if let Ok(c) = self.get_mut(h) {
                            // Still the same connect from the program's view.
                            c.extras().plan = plan;
                            c.send_event = send_event;
                        }
                        return;
                    }
                    if let Ok(c) = self.get_mut(h) {
                        c.extras().plan = plan;
                    }
                }
                Err(e) => log::info!("connect {addr}: {e}"),
            }
        }
    }
}
