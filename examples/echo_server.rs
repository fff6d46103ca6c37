//! A TCP echo server on the mnet reactor: every byte a client sends comes
//! back to it; a connection the client ends is closed.
//!
//! Run it:
//!
//! ```text
//! cargo run --release --example echo_server              # 127.0.0.1:8090
//! cargo run --release --example echo_server -- [::1]:9000
//! ```
//!
//! and try it with `nc 127.0.0.1 8090`. Stop it with Ctrl-C.

use mnet::{Event, Kind, Reactor};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:8090".to_owned());
    let mut r = Reactor::new()?;
    let listener = r.open(Kind::Stream);
    r.listen(listener, &addr, 128)?;
    println!("echo server listening on {}", r.local_addr(listener)?);

    let mut buf = vec![0u8; 64 * 1024];
    loop {
        r.poll(1000)?;
        while let Some(m) = r.next() {
            match m.event {
                Event::Accept => {
                    if let Ok(peer) = r.peer_addr(m.accepted) {
                        println!("{peer} connected");
                    }
                }
                Event::Recv => {
                    // RECV is level-style: what is not read now comes again
                    // next round, so one read per message is enough.
                    match r.recv(m.chann, &mut buf) {
                        Ok(n) if n > 0 => {
                            // send() queues what the kernel does not take now.
                            r.send(m.chann, &buf[..n])?;
                        }
                        Ok(_) => {}
                        Err(e) => eprintln!("recv: {e}"),
                    }
                }
                Event::Disconnect => {
                    println!("a client left (errno {})", m.err);
                    r.close(m.chann)?;
                }
                _ => {}
            }
        }
    }
}
