//! Heap of the Rust core per idle connection: the chann_web work on the Rust
//! API of mnet, in a process whose global allocator counts live bytes. The
//! per-connection state of the application (the end-of-request scan) lives
//! in the channel's opaque word and the read buffer is on the stack, so
//! every byte counted per connection belongs to the core. Twice a second,
//! when anything changed, prints:
//!
//!     heap live_bytes B allocs A channels C
//!
//!     idle_heap IP:PORT BODY_FILE
use mnet::{Event, Kind, Reactor};
use mnet_bench::counting::{live_allocs, live_bytes, Counting};
use mnet_bench::heads_ended;

#[global_allocator]
static A: Counting = Counting;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let addr = args.get(1).map_or("127.0.0.1:8080", |s| s);
    let body = std::fs::read(args.get(2).map_or("body.txt", |s| s)).expect("body file");
    let mut resp = format!("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n", body.len())
        .into_bytes();
    resp.extend_from_slice(&body);

    let mut r = Reactor::new().unwrap();
    let l = r.open(Kind::Stream);
    r.listen(l, addr, 1024).expect("listen");
    r.set_timer(l, 500).unwrap();
    println!("idle_heap listening on {addr}");
    let mut last = (0, 0, 0);
    let mut buf = [0u8; 400];
    loop {
        r.poll(1000).unwrap();
        while let Some(m) = r.next() {
            match m.event {
                Event::Recv => {
                    let n = r.recv(m.chann, &mut buf).unwrap_or(0);
                    let mut matched = m.opaque as usize;
                    for _ in 0..heads_ended(&mut matched, &buf[..n]) {
                        let _ = r.send(m.chann, &resp);
                    }
                    let _ = r.set_opaque(m.chann, matched as u64);
                }
                Event::Disconnect => {
                    let _ = r.close(m.chann);
                }
                Event::Timer => {
                    let now = (live_bytes(), live_allocs(), r.count());
                    if now != last {
                        println!("heap live_bytes {} allocs {} channels {}", now.0, now.1, now.2);
                        last = now;
                    }
                }
                _ => {}
            }
        }
    }
}
