//! A WebSocket echo server on mnet (Rust): every message comes back as it
//! came, text or binary, compressed when the client offers
//! permessage-deflate. The upgrade is taken on any path; a plain HTTP
//! request gets a line of text. This is the server Autobahn's cases run
//! against (tests/ws_autobahn.rs, bench/ws_autobahn.sh).
//!
//!     cargo run --release --example ws_echo_server -- 127.0.0.1:9001
//!     target/pyenv/bin/kosoku ws://127.0.0.1:9001 -o /tmp/autobahn
//!
//! It prints `listening on ws://ADDR/` once listening (port 0 picks a free
//! port, and the line says which).
use std::net::SocketAddr;

use mnet::http::{self, Limits};
use mnet::ws::{DeflateOptions, Endpoint, Event, Options};
use mnet::Reactor;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:9001".into());
    serve(&addr, |a| println!("listening on ws://{a}/"), || false)
}

/// Serves on `addr` until `stop` says so (checked every 100 ms);
/// `listening` hears the address once the server listens.
pub fn serve(addr: &str, listening: impl FnOnce(SocketAddr), stop: impl Fn() -> bool) -> Result<(), Box<dyn std::error::Error>> {
    let mut r = Reactor::new()?;
    let mut web = http::Server::new(Limits::default());
    let l = web.listen(&mut r, addr)?;
    listening(r.local_addr(l)?);
    let mut ws = Endpoint::new(Options {
        // Every message compressed when deflate is agreed: kosoku (the
        // Autobahn runner) errs on a short message sent uncompressed on a
        // compressed connection (cases 12.*.1 and 13.*.1), which RFC 7692
        // allows and mnet's default threshold (64 bytes) does.
        deflate: DeflateOptions {
            threshold: 0,
            ..DeflateOptions::default()
        },
        ..Options::default()
    });
    while !stop() {
        r.poll(100)?;
        while let Some(m) = r.next() {
            if let Some(m) = ws.handle(&mut r, m) {
                web.handle(&mut r, m);
            }
            while let Some(ev) = web.next_event() {
                let http::Event::Request(id) = ev else { continue };
                if web.request(id).is_some_and(|q| q.is_upgrade()) {
                    if let Err(e) = ws.accept(&mut r, &mut web, id, None) {
                        eprintln!("refused an upgrade: {e}");
                    }
                } else {
                    web.respond_bytes(&mut r, id, 200, "text/plain", b"a WebSocket echo server: connect with ws://\n")?;
                }
            }
            while let Some(ev) = ws.next_event() {
                if let Event::Message { id, text, data } = ev {
                    if let Err(e) = ws.send(&mut r, id, text, &data) {
                        eprintln!("echo not sent: {e}");
                    }
                }
            }
        }
    }
    Ok(())
}
