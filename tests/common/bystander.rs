//! A connection that must keep working whatever happens to the others on
//! the same reactor: faults, storms, the descriptor limit.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use mnet::{Event, Handle, Reactor};

use super::run_until;

/// A plain client socket and the channel the reactor accepted for it.
pub struct Bystander {
    pub sock: TcpStream,
    pub chann: Handle,
}

impl Bystander {
    /// Connects to the listener at `addr` and runs rounds until it accepts.
    pub fn new(r: &mut Reactor, addr: SocketAddr) -> Bystander {
        let sock = TcpStream::connect(addr).unwrap();
        let mut chann = Handle::NONE;
        run_until(r, Duration::from_secs(5), "bystander ACCEPT", |_, m| {
            if m.event == Event::Accept {
                chann = m.accepted;
            }
            !chann.is_none()
        });
        Bystander { sock, chann }
    }

    /// One echo round trip through the reactor; other messages of those
    /// rounds are ignored.
    pub fn still_echoes(&mut self, r: &mut Reactor) {
        self.sock.write_all(b"ping").unwrap();
        let me = self.chann;
        run_until(r, Duration::from_secs(5), "bystander echo", |r, m| {
            if m.event == Event::Recv && m.chann == me {
                let mut b = [0u8; 16];
                let n = r.recv(me, &mut b).unwrap();
                r.send(me, &b[..n]).unwrap();
                return true;
            }
            false
        });
        let mut b = [0u8; 4];
        self.sock.read_exact(&mut b).unwrap();
        assert_eq!(&b, b"ping");
    }
}
