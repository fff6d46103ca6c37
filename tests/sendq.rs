//! The send queue and the end of a stream: `cached()` is exactly what the
//! kernel has not taken, SEND fires once the queue has drained, and data
//! that arrived before the peer's FIN is all delivered before exactly one
//! DISCONNECT (err 0).

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use common::*;
use mnet::{Direction, Event, Handle, Kind, Reactor, State};

/// Big enough that `send` writes at once instead of deferring to the end
/// of the round.
const CHUNK: usize = 64 * 1024;

#[test]
fn cached_is_exactly_what_the_kernel_has_not_taken_and_send_fires_when_it_drains() {
    let mut r = Reactor::new().unwrap();
    let std_listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let c = r.open(Kind::Stream);
    r.connect(c, &std_listener.local_addr().unwrap().to_string()).unwrap();
    run_until(&mut r, Duration::from_secs(5), "CONNECTED", |_, m| {
        assert_eq!((m.event, m.chann), (Event::Connected, c));
        true
    });
    // The peer: connected, and not reading yet.
    let (mut peer, _) = std_listener.accept().unwrap();
    r.set_send_event(c, true).unwrap();

    let mut user = 0u64; // bytes handed to send()
    let mut chunk = vec![0u8; CHUNK];
    let check = |r: &Reactor, user: u64| {
        let cached = r.cached(c).unwrap() as u64;
        let sent = r.bytes(c, Direction::Sent).unwrap();
        assert_eq!(cached, user - sent, "cached() == bytes given - bytes the kernel took");
        cached
    };
    // Send until the kernel stops taking data.
    while check(&r, user) == 0 {
        assert!(user < 1 << 30, "the kernel took 1 GiB from a peer that does not read");
        fill_pattern(&mut chunk, user);
        assert_eq!(r.send(c, &chunk).unwrap(), CHUNK);
        user += CHUNK as u64;
    }
    // From now on every byte given is queued: cached grows by exactly that.
    let kernel_took = r.bytes(c, Direction::Sent).unwrap();
    for i in 0..8 {
        let before = check(&r, user);
        fill_pattern(&mut chunk, user);
        assert_eq!(r.send(c, &chunk).unwrap(), CHUNK);
        user += CHUNK as u64;
        assert_eq!(check(&r, user), before + CHUNK as u64, "chunk {i}");
    }
    for len in [1usize, 7, 100, 4095] {
        let before = check(&r, user);
        let mut small = vec![0u8; len];
        fill_pattern(&mut small, user);
        assert_eq!(r.send(c, &small).unwrap(), len);
        user += len as u64;
        assert_eq!(check(&r, user), before + len as u64, "small send of {len}");
    }
    assert_eq!(r.bytes(c, Direction::Sent).unwrap(), kernel_took);

    // The peer drains; the reactor flushes the queue; SEND comes once it is
    // empty, never before.
    peer.set_nonblocking(true).unwrap();
    let mut got = 0u64;
    let mut buf = vec![0u8; CHUNK];
    let mut sends = 0;
    let end = Instant::now() + Duration::from_secs(30);
    while got < user || sends == 0 {
        assert!(Instant::now() < end, "drained {got} of {user}, {sends} SENDs");
        loop {
            match peer.read(&mut buf) {
                Ok(0) => panic!("unexpected end of stream"),
                Ok(n) => {
                    assert_eq!(check_pattern(&buf[..n], got), None, "peer side");
                    got += n as u64;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) => panic!("peer read: {e}"),
            }
        }
        round(&mut r, 10, |r, m| {
            assert_eq!((m.event, m.chann), (Event::Send, c), "unexpected {m:?}");
            assert_eq!(r.cached(c).unwrap(), 0, "SEND with data still queued");
            assert_eq!(r.bytes(c, Direction::Sent).unwrap(), user);
            sends += 1;
        });
        check(&r, user);
    }
    assert_eq!(got, user);
    r.close(c).unwrap();
    assert_eq!(r.poll(0).unwrap(), 0);
}

/// How the test peer ends its stream.
#[derive(Clone, Copy, Debug)]
enum End {
    /// shutdown(SHUT_WR), then wait for the other side to close.
    Shutdown,
    /// close() right after writing.
    Close,
}

/// `n` bytes of pattern, then the end of the stream.
fn write_then_end(mut s: TcpStream, n: usize, end: End) {
    let mut data = vec![0u8; n];
    fill_pattern(&mut data, 0);
    s.write_all(&data).unwrap();
    match end {
        End::Shutdown => {
            s.shutdown(Shutdown::Write).unwrap();
            // Stay open until the mnet side closes.
            let mut rest = Vec::new();
            s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
            s.read_to_end(&mut rest).unwrap();
            assert!(rest.is_empty());
        }
        End::Close => drop(s),
    }
}

/// Reads `ch` 7 bytes per RECV until its DISCONNECT; then watches a while
/// for anything more. With `connecting`, CONNECTED must come once, first.
/// Returns the bytes received.
fn receive_until_disconnect(r: &mut Reactor, ch: Handle, n: usize, connecting: bool) -> Vec<u8> {
    let mut got = Vec::with_capacity(n);
    let mut disconnects = 0;
    let mut connected = 0;
    let mut buf = [0u8; 7];
    run_until(r, Duration::from_secs(30), "DISCONNECT", |r, m| {
        assert_eq!(m.chann, ch, "unexpected {m:?}");
        match m.event {
            Event::Connected => {
                assert!(connecting && connected == 0, "unexpected CONNECTED");
                connected += 1;
                false
            }
            Event::Recv => {
                assert_eq!(disconnects, 0, "RECV after DISCONNECT");
                assert_eq!(connected, usize::from(connecting), "RECV before CONNECTED");
                // One small read per RECV: the rest waits for the next round.
                let k = r.recv(ch, &mut buf).unwrap();
                got.extend_from_slice(&buf[..k]);
                false
            }
            Event::Disconnect => {
                assert_eq!(m.err, 0, "a clean end of stream");
                assert_eq!(got.len(), n, "all data before the DISCONNECT");
                disconnects += 1;
                true
            }
            e => panic!("unexpected {e:?}"),
        }
    });
    watch_ticks(r, 5, 5, |_, m| panic!("after the DISCONNECT: {m:?}"));
    assert_eq!(disconnects, 1);
    assert_eq!(connected, usize::from(connecting));
    assert_eq!(r.state(ch).unwrap(), State::Disconnect);
    assert_eq!(r.bytes(ch, Direction::Received).unwrap(), n as u64);
    got
}

fn accepted_side_gets_data_then_one_disconnect(end: End) {
    const N: usize = 200_003;
    let mut r = Reactor::new().unwrap();
    let (l, addr) = listener(&mut r, Kind::Stream, "127.0.0.1");
    let peer = std::thread::spawn(move || write_then_end(TcpStream::connect(addr).unwrap(), N, end));
    let mut s = Handle::NONE;
    run_until(&mut r, Duration::from_secs(5), "ACCEPT", |_, m| {
        assert_eq!(m.event, Event::Accept);
        s = m.accepted;
        true
    });
    let got = receive_until_disconnect(&mut r, s, N, false);
    assert_eq!(check_pattern(&got, 0), None);
    r.close(s).unwrap();
    peer.join().unwrap();
    r.close(l).unwrap();
    assert_eq!(r.poll(0).unwrap(), 0);
}

#[test]
fn data_before_a_shutdown_is_all_received_before_one_disconnect() {
    accepted_side_gets_data_then_one_disconnect(End::Shutdown);
}

#[test]
fn data_before_a_close_is_all_received_before_one_disconnect() {
    accepted_side_gets_data_then_one_disconnect(End::Close);
}

/// The same on the connecting side: a server that writes and closes.
#[test]
fn a_client_receives_everything_the_server_wrote_before_closing() {
    const N: usize = 100_001;
    let mut r = Reactor::new().unwrap();
    let std_listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let c = r.open(Kind::Stream);
    r.connect(c, &std_listener.local_addr().unwrap().to_string()).unwrap();
    let peer = std::thread::spawn(move || {
        let (s, _) = std_listener.accept().unwrap();
        write_then_end(s, N, End::Close);
    });
    // CONNECTED comes first; the data (and the FIN) may come in its round.
    let got = receive_until_disconnect(&mut r, c, N, true);
    assert_eq!(check_pattern(&got, 0), None);
    peer.join().unwrap();
    r.close(c).unwrap();
}

/// A SEND already queued for this round is not handed out once a handler
/// earlier in the round queued data on the channel: SEND means "queue
/// empty", and it comes again once the data has left.
#[test]
fn send_is_not_handed_out_once_the_round_queued_data() {
    let mut r = Reactor::new().unwrap();
    let (l, addr) = listener(&mut r, Kind::Stream, "127.0.0.1");
    let (c, s) = connect_pair(&mut r, l, addr);
    r.set_send_event(c, true).unwrap();
    run_until(&mut r, Duration::from_secs(5), "a first SEND", |_, m| {
        assert_eq!((m.event, m.chann), (Event::Send, c));
        true
    });
    // Next round: SEND is due again, and a TIMER (handled first) is due
    // too; its handler queues a small send on c.
    let t = r.open(Kind::Stream);
    r.set_timer(t, 1).unwrap();
    busy_for(Duration::from_millis(3));
    let mut events = Vec::new();
    round(&mut r, 0, |r, m| {
        events.push(m.event);
        match m.event {
            Event::Timer => {
                r.set_timer(t, 0).unwrap();
                assert_eq!(r.send(c, b"0123456789").unwrap(), 10);
                assert_eq!(r.cached(c).unwrap(), 10, "a small send waits for the end of the round");
            }
            Event::Send => assert_eq!(r.cached(c).unwrap(), 0, "SEND with data queued"),
            e => panic!("unexpected {e:?}"),
        }
    });
    assert_eq!(events, [Event::Timer], "the stale SEND was dropped");
    assert_eq!(r.cached(c).unwrap(), 0, "the round's sends left when it ended");
    assert_eq!(r.bytes(c, Direction::Sent).unwrap(), 10);
    // The data arrives, and SEND comes back now the queue is empty.
    let (mut got, mut sends) = (0, 0);
    let mut buf = [0u8; 16];
    run_until(&mut r, Duration::from_secs(5), "the data and SEND again", |r, m| {
        match m.event {
            Event::Recv => got += r.recv(s, &mut buf).unwrap(),
            Event::Send => sends += 1,
            e => panic!("unexpected {e:?}"),
        }
        got == 10 && sends > 0
    });
    for h in [c, s, l, t] {
        r.close(h).unwrap();
    }
}
