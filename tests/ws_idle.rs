//! 1,000 idle WebSocket connections on one server: all open at once, each
//! still answers a ping, the heap the server holds for each is bounded,
//! and their ends are all reported. Then the memory permessage-deflate
//! costs per connection, with and without context takeover (README's
//! figures). Alone in its binary, one test: the heap is counted by a
//! global allocator, which other tests running in parallel would disturb.
mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use common::ws::{both_round, frame, Raw, Srv, FIN};
use mnet::ws::{DeflateOptions, Endpoint, Event, Options};
use mnet::Reactor;

/// Bytes of heap in use by the process.
static IN_USE: AtomicUsize = AtomicUsize::new(0);

struct Counting;

// SAFETY: every call forwards to the system allocator with the caller's
// arguments; the counter only observes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        IN_USE.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: the caller's layout, as GlobalAlloc::alloc requires.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        IN_USE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: `ptr` came from `alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        IN_USE.fetch_add(new_size, Ordering::Relaxed);
        IN_USE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: `ptr` came from this allocator with `layout`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const N: usize = 1000;

#[test]
fn idle_connections_and_deflate_memory() {
    a_thousand_idle_connections();
    let kept = deflate_heap_per_side(false);
    let shared = deflate_heap_per_side(true);
    println!("heap per compressing side (its compressor and decompressor, 15-bit windows): {kept} bytes with context takeover, {shared} without");
    assert!(kept > 100 * 1024, "zlib state kept per connection: {kept}");
    assert!(kept < 512 * 1024, "{kept}");
    assert!(shared < 2 * 1024, "no context takeover: the state is shared ({shared} bytes per side)");
}

/// Opens `PAIRS` mnet-to-mnet connections that agree deflate and send a
/// compressed message each way; returns the heap each side holds (both
/// ends of a pair counted: 2 * PAIRS sides).
fn deflate_heap_per_side(no_context: bool) -> usize {
    const PAIRS: usize = 8;
    let opts = Options {
        deflate: DeflateOptions {
            own_no_context_takeover: no_context,
            peer_no_context_takeover: no_context,
            ..DeflateOptions::default()
        },
        ..Options::default()
    };
    let mut srv = Srv::new(opts);
    let mut client = Endpoint::new(opts);
    let url = format!("ws://{}/", srv.addr);
    let text = "a message long enough to be compressed, ".repeat(50);
    let measure = |srv: &mut Srv, client: &mut Endpoint, n: usize| {
        let echoed = std::cell::Cell::new(0);
        for _ in 0..n {
            client.connect(&mut srv.r, &url, &[]).unwrap();
        }
        let mut on_event = |r: &mut Reactor, client: &mut Endpoint, ev: Event| match ev {
            Event::Open(id) => {
                assert!(client.is_compressed(id));
                client.send_text(r, id, &text).unwrap();
            }
            Event::Message { .. } => echoed.set(echoed.get() + 1),
            Event::Close { reason, .. } => panic!("closed: {reason}"),
            _ => {}
        };
        while echoed.get() < n {
            both_round(srv, client, &mut on_event);
        }
        srv.events = Vec::new();
    };
    // One pair first: the endpoints' buffers and shared states exist
    // before counting.
    measure(&mut srv, &mut client, 1);
    let before = IN_USE.load(Ordering::Relaxed);
    measure(&mut srv, &mut client, PAIRS);
    IN_USE.load(Ordering::Relaxed).saturating_sub(before) / (2 * PAIRS)
}

fn a_thousand_idle_connections() {
    if !common::peer::raise_nofile((common::peer::open_fds() + 2 * N + 64) as u64) {
        return;
    }
    let mut srv = Srv::new(Options::default());
    // Warm up: the server's buffers and tables exist before counting.
    let mut clients: Vec<Raw> = Vec::with_capacity(N + 10);
    for _ in 0..10 {
        clients.push(Raw::open(&mut srv, "/", "").0);
    }
    srv.events = Vec::new();
    let before = IN_USE.load(Ordering::Relaxed);
    for _ in 0..N {
        let (mut c, _) = Raw::open(&mut srv, "/", "");
        c.buf = Vec::new();
        clients.push(c);
    }
    let opened = srv.events.iter().filter(|e| matches!(e, Event::Open(_))).count();
    srv.events = Vec::new();
    let per_conn = IN_USE.load(Ordering::Relaxed).saturating_sub(before) / N;
    println!("heap per idle WebSocket connection (reactor, HTTP hand-over, endpoint): {per_conn} bytes");
    assert_eq!((opened, srv.ws.connections()), (N, N + 10));
    assert!(per_conn <= 1024, "{per_conn} bytes of heap per idle connection");
    // Every one still answers.
    for c in clients.iter_mut() {
        c.send(&mut srv, &frame(FIN, 9, b"still there?", true));
    }
    for c in clients.iter_mut() {
        assert_eq!(c.frame(&mut srv), (FIN | 0xA, b"still there?".to_vec()));
    }
    // They go: every end is reported, as 1006 (no close frame).
    drop(clients);
    srv.until("every Close", |s| s.ws.connections() == 0);
    let closes = srv.events.iter().filter(|e| matches!(e, Event::Close { code: 1006, .. })).count();
    assert_eq!(closes, N + 10);
}
