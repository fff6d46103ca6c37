//! Peers that misbehave: resets, closes with data in flight, readers that
//! never read, connection storms. Each case asserts the exact outcome and
//! that another connection on the same reactor is not disturbed.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::bystander::Bystander;
use common::peer::{open_fds, raise_nofile};
use common::*;
use mnet::{Error, Event, Handle, Kind, Reactor, State};

fn accept_one(r: &mut Reactor) -> Handle {
    let mut h = Handle::NONE;
    run_until(r, Duration::from_secs(5), "ACCEPT", |_, m| {
        if m.event == Event::Accept {
            h = m.accepted;
        }
        !h.is_none()
    });
    h
}

#[test]
fn peer_reset_mid_transfer_is_one_econnreset() {
    let mut r = Reactor::new().unwrap();
    let (_l, addr) = listener(&mut r, Kind::Stream, "127.0.0.1");
    let mut other = Bystander::new(&mut r, addr);
    let peer = TcpStream::connect(addr).unwrap();
    let srv = accept_one(&mut r);
    // The server streams; the peer reads a little, then resets.
    let chunk = vec![1u8; 256 * 1024];
    for _ in 0..8 {
        r.send(srv, &chunk).unwrap();
    }
    let mut p = peer;
    let mut b = [0u8; 1024];
    p.read_exact(&mut b).unwrap();
    socket2::SockRef::from(&p).set_linger(Some(Duration::ZERO)).unwrap();
    drop(p);
    let mut disconnects = Vec::new();
    run_until(&mut r, Duration::from_secs(5), "DISCONNECT after reset", |r, m| {
        if m.event == Event::Recv {
            let mut b = [0u8; 64];
            let _ = r.recv(m.chann, &mut b);
        }
        if m.event == Event::Disconnect {
            disconnects.push((m.chann, m.err));
        }
        !disconnects.is_empty()
    });
    // The send queue is still full, so the reset shows as soon as mnet writes or reads.
    assert_eq!(disconnects, vec![(srv, libc::ECONNRESET)]);
    assert_eq!(r.state(srv).unwrap(), State::Disconnect);
    assert_eq!(r.cached(srv).unwrap(), 0, "unsent data is dropped with the connection");
    other.still_echoes(&mut r);
}

#[test]
fn close_with_data_in_flight_both_ways() {
    let mut r = Reactor::new().unwrap();
    let (_l, addr) = listener(&mut r, Kind::Stream, "127.0.0.1");
    let mut other = Bystander::new(&mut r, addr);
    let mut peer = TcpStream::connect(addr).unwrap();
    let srv = accept_one(&mut r);
    let big = vec![2u8; 1 << 20];
    r.send(srv, &big).unwrap(); // server -> peer, unread by the peer
    peer.write_all(&[3u8; 4096]).unwrap(); // peer -> server, not yet read
    drop(peer); // unread data at close: the kernel answers with a reset
    let mut lost = None;
    let mut got = 0usize;
    run_until(&mut r, Duration::from_secs(5), "DISCONNECT", |r, m| {
        match m.event {
            Event::Recv => {
                let mut b = [0u8; 1024];
                got += r.recv(srv, &mut b).unwrap_or(0);
            }
            Event::Disconnect => lost = Some(m.err),
            e => panic!("unexpected {e:?}"),
        }
        lost.is_some()
    });
    assert_eq!(lost, Some(libc::ECONNRESET), "one DISCONNECT, with the reset's errno");
    assert!(got <= 4096);
    other.still_echoes(&mut r);
}

#[test]
fn a_reader_that_never_reads_meets_the_send_limit() {
    const LIMIT: usize = 4 << 20;
    let mut r = Reactor::new().unwrap();
    let (_l, addr) = listener(&mut r, Kind::Stream, "127.0.0.1");
    let mut other = Bystander::new(&mut r, addr);
    let _peer = TcpStream::connect(addr).unwrap(); // never reads
    let srv = accept_one(&mut r);
    r.set_send_limit(srv, LIMIT).unwrap();
    let chunk = vec![4u8; 64 * 1024];
    let mut offered = 0usize;
    let mut refused = 0usize;
    while offered < 64 << 20 {
        match r.send(srv, &chunk) {
            Ok(_) => {}
            Err(Error::QueueFull { queued, limit, .. }) => {
                assert_eq!(limit, LIMIT);
                assert!(queued <= LIMIT);
                refused += 1;
                // Let rounds run (the bystander stays served) and try again later.
                if refused % 64 == 0 {
                    other.still_echoes(&mut r);
                }
            }
            Err(e) => panic!("unexpected error {e}"),
        }
        offered += chunk.len();
    }
    assert!(refused > 0, "64 MiB to a non-reader must hit a 4 MiB limit");
    assert!(r.cached(srv).unwrap() <= LIMIT, "memory stays bounded");
    other.still_echoes(&mut r);
}

#[test]
fn two_thousand_connections_opened_and_dropped_at_once() {
    const N: usize = 2000;
    // Both ends of every connection live in this process.
    if !raise_nofile((open_fds() + 2 * N + 64) as u64) {
        return;
    }
    let mut r = Reactor::new().unwrap();
    let l = r.open(Kind::Stream);
    r.listen(l, "127.0.0.1:0", 4096).unwrap();
    let addr = r.local_addr(l).unwrap();
    let mut other = Bystander::new(&mut r, addr);
    let (mut accepted, mut lost) = (0usize, 0usize);
    let mut conns = Vec::with_capacity(N);
    while conns.len() < N {
        // Connect in batches the backlog can hold, accepting as we go.
        for _ in 0..200 {
            conns.push(TcpStream::connect(addr).unwrap());
        }
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while accepted < conns.len() {
            assert!(std::time::Instant::now() < deadline, "accepts stalled at {accepted}");
            round(&mut r, 50, |_, m| {
                if m.event == Event::Accept {
                    accepted += 1;
                }
            });
        }
    }
    drop(conns);
    run_until(&mut r, Duration::from_secs(20), "2000 DISCONNECTs", |r, m| {
        match m.event {
            Event::Disconnect => {
                assert_eq!(m.err, 0, "a clean close");
                r.close(m.chann).unwrap();
                lost += 1;
            }
            e => panic!("unexpected {e:?}"),
        }
        lost == N
    });
    assert_eq!((accepted, lost), (N, N));
    assert_eq!(r.count(), 2, "the listener and the bystander remain");
    other.still_echoes(&mut r);
}
