//! SO_REUSEPORT: N reactors, each on its own thread with its own listener
//! on the same port, share the connections of many clients: every worker
//! accepts some (the kernel spreads them by a hash of the client's address),
//! and together they accept all.

mod common;

use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use common::peer::{open_fds, raise_nofile};
use mnet::{Event, Kind, Reactor, State};

const WORKERS: usize = 4;
const CLIENTS: usize = 400;

#[test]
fn connections_spread_across_reactors_on_threads() {
    // Every client socket stays open until all are accepted (the workers
    // close what they accept at once).
    if !raise_nofile((open_fds() + CLIENTS + 128) as u64) {
        return;
    }
    // The first listener picks the port; the others join it.
    let mut first = Reactor::new().unwrap();
    let l0 = first.open(Kind::Stream);
    first.set_reuse_port(l0, true).unwrap();
    first.listen(l0, "127.0.0.1:0", 1024).unwrap();
    let addr = first.local_addr(l0).unwrap();

    let counts: Arc<Vec<AtomicUsize>> = Arc::new((0..WORKERS).map(|_| AtomicUsize::new(0)).collect());
    let total = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let ready = Arc::new(Barrier::new(WORKERS + 1));
    let mut first = Some((first, l0));
    let workers: Vec<_> = (0..WORKERS)
        .map(|i| {
            let (counts, total, stop, ready) = (counts.clone(), total.clone(), stop.clone(), ready.clone());
            let mine = if i == 0 { first.take() } else { None };
            std::thread::spawn(move || {
                let (mut r, l) = mine.unwrap_or_else(|| {
                    let mut r = Reactor::new().unwrap();
                    let l = r.open(Kind::Stream);
                    r.set_reuse_port(l, true).unwrap();
                    r.listen(l, &addr.to_string(), 1024).unwrap();
                    (r, l)
                });
                ready.wait();
                let end = Instant::now() + Duration::from_secs(30);
                while !stop.load(Ordering::SeqCst) && Instant::now() < end {
                    r.poll(10).unwrap();
                    while let Some(m) = r.next() {
                        if m.event == Event::Accept && m.chann == l {
                            counts[i].fetch_add(1, Ordering::SeqCst);
                            total.fetch_add(1, Ordering::SeqCst);
                            r.close(m.accepted).unwrap();
                        }
                    }
                }
            })
        })
        .collect();
    ready.wait();

    let clients: Vec<TcpStream> = (0..CLIENTS).map(|_| TcpStream::connect(addr).unwrap()).collect();
    let end = Instant::now() + Duration::from_secs(30);
    while total.load(Ordering::SeqCst) < CLIENTS && Instant::now() < end {
        std::thread::yield_now();
    }
    stop.store(true, Ordering::SeqCst);
    for w in workers {
        w.join().unwrap();
    }
    drop(clients);
    let counts: Vec<usize> = counts.iter().map(|c| c.load(Ordering::SeqCst)).collect();
    println!("accepts per worker: {counts:?}");
    assert_eq!(
        counts.iter().sum::<usize>(),
        CLIENTS,
        "every connection accepted once: {counts:?}"
    );
    assert!(counts.iter().all(|&n| n > 0), "every worker accepted some: {counts:?}");
}

#[test]
fn reuse_port_is_a_before_listen_setting() {
    let mut r = Reactor::new().unwrap();
    let l = r.open(Kind::Stream);
    r.listen(l, "127.0.0.1:0", 16).unwrap();
    let addr = r.local_addr(l).unwrap().to_string();
    let e = r.set_reuse_port(l, true).unwrap_err().to_string();
    assert!(e.contains("before listen") && e.contains("listening"), "{e}");

    // Without the option on both, the second listen fails: EADDRINUSE.
    let other = r.open(Kind::Stream);
    r.set_reuse_port(other, true).unwrap();
    let e = r.listen(other, &addr, 16).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::EADDRINUSE), "{e}");
    assert_eq!(r.state(other).unwrap(), State::Disconnect);

    // UDP too: two bound sockets on one port.
    let u1 = r.open(Kind::Dgram);
    r.set_reuse_port(u1, true).unwrap();
    r.listen(u1, "127.0.0.1:0", 0).unwrap();
    let uaddr = r.local_addr(u1).unwrap().to_string();
    let u2 = r.open(Kind::Dgram);
    r.set_reuse_port(u2, true).unwrap();
    r.listen(u2, &uaddr, 0).unwrap();
}
