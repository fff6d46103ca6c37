//! The tungstenite peer of the WebSocket benchmark (bench/run.sh --only
//! ws): an echo server the way tungstenite's own examples write one, a
//! blocking thread per connection. Every text or binary message comes back
//! as it came (tungstenite checks text as UTF-8 when it reads it); pings
//! are answered and closes echoed by tungstenite itself.
//!
//!     tungstenite_ws IP:PORT
//!
//! tungstenite 0.30 (the newest release) has no permessage-deflate: it
//! answers no extension, and runs only the benchmark's uncompressed loads.
use std::net::{TcpListener, TcpStream};

fn serve(stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let Ok(mut ws) = tungstenite::accept(stream) else {
        return;
    };
    loop {
        match ws.read() {
            Ok(m) if m.is_text() || m.is_binary() => {
                if ws.send(m).is_err() {
                    return;
                }
            }
            Ok(_) => {}
            Err(_) => return,
        }
    }
}

fn main() {
    let addr = std::env::args().nth(1).unwrap_or_else(|| {
        eprintln!("usage: tungstenite_ws IP:PORT");
        std::process::exit(2)
    });
    let listener = TcpListener::bind(&addr).unwrap_or_else(|e| {
        eprintln!("tungstenite_ws: cannot listen on {addr}: {e}");
        std::process::exit(1)
    });
    println!("tungstenite_ws listening on {addr}");
    for stream in listener.incoming().flatten() {
        std::thread::spawn(move || serve(stream));
    }
}
