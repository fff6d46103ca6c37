//! A WebSocket client on mnet (Rust): sends each line of stdin as a text
//! message and prints every message that comes back; closes (1000) at the
//! end of stdin once the answers to all lines came.
//!
//!     cargo run --release --example ws_echo_server -- 127.0.0.1:9001 &
//!     printf 'hello\nworld\n' | cargo run --release --example ws_client -- ws://127.0.0.1:9001/
//!
//! wss:// URLs are verified against the system's roots.
use std::io::BufRead;
use std::sync::mpsc;

use mnet::ws::{Endpoint, Event, Options};
use mnet::Reactor;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::args().nth(1).ok_or("usage: ws_client ws://host:port/path")?;
    // stdin is read on a thread of its own; the loop takes its lines.
    let (tx, lines) = mpsc::channel::<Option<String>>();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines().map_while(Result::ok) {
            let _ = tx.send(Some(line));
        }
        let _ = tx.send(None);
    });
    let mut r = Reactor::new()?;
    let mut ws = Endpoint::new(Options::default());
    let id = ws.connect(&mut r, &url, &[])?;
    let (mut open, mut input_ended, mut waiting, mut closing) = (false, false, 0usize, false);
    loop {
        r.poll(if open { 10 } else { 100 })?;
        while let Some(m) = r.next() {
            ws.handle(&mut r, m);
        }
        while let Some(ev) = ws.next_event() {
            match ev {
                Event::Open(_) => open = true,
                Event::Message { data, .. } => {
                    println!("{}", String::from_utf8_lossy(&data));
                    waiting -= 1;
                }
                Event::Close { code, reason, .. } => {
                    if code != 1000 {
                        return Err(format!("closed: {code} {reason}").into());
                    }
                    return Ok(());
                }
                _ => {}
            }
        }
        while open && !input_ended {
            match lines.try_recv() {
                Ok(Some(line)) => {
                    ws.send_text(&mut r, id, &line)?;
                    waiting += 1;
                }
                Ok(None) | Err(mpsc::TryRecvError::Disconnected) => input_ended = true,
                Err(mpsc::TryRecvError::Empty) => break,
            }
        }
        if input_ended && waiting == 0 && !closing {
            ws.close(&mut r, id, 1000, "done")?;
            closing = true;
        }
    }
}
