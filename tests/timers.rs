//! Timers: counts over a measured window, re-arm, stop, every channel
//! state, TIMER first in its round and at most once per channel per round,
//! and a closed channel's queued TIMER dropped.
//!
//! Nothing here asserts on the time of a single event: windows are measured
//! with `Instant` and only counts are compared, with a tolerant band.

mod common;

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use common::*;
use mnet::{Event, Handle, Kind, Reactor, State};

#[test]
fn many_timers_fire_about_as_often_as_their_intervals_say() {
    const N: usize = 64;
    let mut r = Reactor::new().unwrap();
    let chans: Vec<(Handle, u64)> = (0..N)
        .map(|i| {
            let h = r.open(Kind::Stream);
            let interval = 10 + (i % 31) as u64; // 10..=40 ms
            r.set_opaque(h, i as u64).unwrap();
            r.set_timer(h, interval).unwrap();
            (h, interval)
        })
        .collect();
    let start = Instant::now();
    let window = Duration::from_millis(600);
    let mut counts = [0usize; N];
    while start.elapsed() < window {
        // A long timeout: the wait must be cut short by the deadlines.
        let mut this_round = HashSet::new();
        round(&mut r, 1000, |_, m| {
            assert_eq!(m.event, Event::Timer);
            assert!(this_round.insert(m.chann), "two TIMERs for one channel in one round");
            counts[m.opaque as usize] += 1;
        });
    }
    let elapsed_ms = start.elapsed().as_secs_f64() * 1000.0;
    for (i, &(h, interval)) in chans.iter().enumerate() {
        let expected = elapsed_ms / interval as f64;
        let got = counts[i] as f64;
        assert!(
            got >= 0.6 * expected && got <= 1.1 * expected,
            "channel {i} ({interval} ms): {got} TIMERs in {elapsed_ms:.0} ms, expected about {expected:.1}"
        );
        r.close(h).unwrap();
    }
    assert_eq!(r.poll(0).unwrap(), 0);
}

/// Re-arming restarts the schedule from now: a 300 ms timer re-armed every
/// 10 ms never fires; once left alone it fires again.
#[test]
fn rearming_restarts_the_timer_from_now() {
    let mut r = Reactor::new().unwrap();
    let a = r.open(Kind::Stream);
    let driver = r.open(Kind::Stream);
    r.set_timer(a, 300).unwrap();
    r.set_timer(driver, 10).unwrap();
    let mut driver_ticks = 0;
    // 60 driver ticks: at least 600 ms, two of a's periods.
    run_until(&mut r, Duration::from_secs(10), "60 driver ticks", |r, m| {
        assert_eq!(m.event, Event::Timer);
        assert_eq!(m.chann, driver, "the re-armed timer fired");
        r.set_timer(a, 300).unwrap();
        driver_ticks += 1;
        driver_ticks == 60
    });
    // Left alone, it fires, after more driver ticks than a re-arm would allow
    // if the old schedule had been kept.
    let mut after = 0;
    run_until(&mut r, Duration::from_secs(10), "the timer fires once left alone", |_, m| {
        if m.chann == driver {
            after += 1;
            false
        } else {
            assert_eq!(m.chann, a);
            true
        }
    });
    assert!(after >= 10, "fired {after} driver ticks after the last re-arm; 300 ms is ~30");
}

/// A zero interval stops the timer, also when its TIMER is already queued
/// in the current round.
#[test]
fn a_zero_interval_stops_the_timer() {
    let mut r = Reactor::new().unwrap();
    let a = r.open(Kind::Stream);
    let b = r.open(Kind::Stream);
    r.set_timer(a, 5).unwrap();
    r.set_timer(b, 5).unwrap();
    let mut count: HashMap<Handle, usize> = HashMap::new();
    run_until(&mut r, Duration::from_secs(5), "3 ticks of a", |_, m| {
        assert_eq!(m.event, Event::Timer);
        *count.entry(m.chann).or_default() += 1;
        count.get(&a) == Some(&3)
    });

    // Stop a between rounds.
    r.set_timer(a, 0).unwrap();
    let a_before = count[&a];
    watch_ticks(&mut r, 10, 5, |_, m| {
        assert_ne!(m.chann, a, "TIMER after a was stopped");
        *count.entry(m.chann).or_default() += 1;
    });
    assert_eq!(count[&a], a_before);

    // Stop b while its TIMER is queued: a and b both due in one round (the
    // loop was held up past both deadlines), and a's handler stops b.
    r.set_timer(a, 5).unwrap();
    r.set_timer(b, 5).unwrap();
    busy_for(Duration::from_millis(20));
    let mut first = Handle::NONE;
    let n = round(&mut r, 0, |r, m| {
        assert_eq!(m.event, Event::Timer);
        assert!(first.is_none(), "the stopped timer's queued TIMER was handed out: {m:?}");
        first = m.chann;
        let other = if m.chann == a { b } else { a };
        r.set_timer(other, 0).unwrap();
    });
    assert_eq!(n, 1);
    let stopped = if first == a { b } else { a };
    let mut first_ticks = 0;
    watch_ticks(&mut r, 10, 5, |_, m| {
        assert_eq!(m.chann, first, "TIMER for the stopped channel");
        first_ticks += 1;
    });
    assert!(first_ticks >= 3, "the other timer goes on ({first_ticks} ticks)");
    assert_eq!(r.state(stopped).unwrap(), State::Disconnect, "stopping a timer leaves the channel open");
}

/// Timers run in every state: never connected, listening, connecting,
/// connected, and disconnected by the program.
#[test]
fn timers_work_in_every_channel_state() {
    let mut r = Reactor::new().unwrap();
    let fresh = r.open(Kind::Stream);
    let (l, addr) = listener(&mut r, Kind::Stream, "127.0.0.1");
    let (conn, acc) = connect_pair(&mut r, l, addr);
    let (dropped, acc2) = connect_pair(&mut r, l, addr);
    r.disconnect(dropped).unwrap();

    // A listener with a full accept queue that nobody accepts from: later
    // connects to it stay in SYN_SENT (the kernel drops their SYNs).
    let full = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    full.bind(&"127.0.0.1:0".parse::<std::net::SocketAddr>().unwrap().into()).unwrap();
    full.listen(0).unwrap();
    let full_addr = full.local_addr().unwrap().as_socket().unwrap().to_string();
    let connecting: Vec<Handle> = (0..8)
        .map(|_| {
            let h = r.open(Kind::Stream);
            r.connect(h, &full_addr).unwrap();
            r.set_timer(h, 5).unwrap();
            h
        })
        .collect();
    for h in [fresh, l, conn, dropped] {
        r.set_timer(h, 5).unwrap();
    }
    let mut ticks: HashMap<Handle, usize> = HashMap::new();
    let mut while_connecting: HashMap<Handle, usize> = HashMap::new();
    run_until(&mut r, Duration::from_secs(10), "3 ticks in every state", |r, m| {
        match m.event {
            Event::Timer => {
                *ticks.entry(m.chann).or_default() += 1;
                if r.state(m.chann).unwrap() == State::Connecting {
                    *while_connecting.entry(m.chann).or_default() += 1;
                }
            }
            // Some of the connects to the full listener may complete.
            Event::Connected => assert!(connecting.contains(&m.chann), "{m:?}"),
            Event::Disconnect if m.chann == acc2 => {}
            _ => panic!("unexpected {m:?}"),
        }
        [fresh, l, conn, dropped].iter().all(|h| ticks.get(h).is_some_and(|&n| n >= 3))
            && while_connecting.values().any(|&n| n >= 3)
    });
    assert_eq!(r.state(fresh).unwrap(), State::Disconnect);
    assert_eq!(r.state(l).unwrap(), State::Listening);
    assert_eq!(r.state(conn).unwrap(), State::Connected);
    assert_eq!(r.state(dropped).unwrap(), State::Disconnect);
    for h in connecting.into_iter().chain([fresh, l, conn, acc, dropped, acc2]) {
        r.close(h).unwrap();
    }
    assert_eq!(r.poll(0).unwrap(), 0);
}

/// In a round where TIMERs and other messages are both due, the TIMERs
/// come first; and no channel gets two TIMERs in one round.
#[test]
fn timers_come_first_in_their_round() {
    let mut r = Reactor::new().unwrap();
    let (l, addr) = listener(&mut r, Kind::Stream, "127.0.0.1");
    let (c, s) = connect_pair(&mut r, l, addr);
    // c never reads, so it has RECV every round (level-style).
    r.send(s, b"unread data").unwrap();
    let idle = r.open(Kind::Stream);
    r.set_timer(c, 3).unwrap();
    r.set_timer(idle, 4).unwrap();

    let mut mixed_rounds = 0;
    let end = Instant::now() + Duration::from_secs(10);
    while mixed_rounds < 20 {
        assert!(Instant::now() < end, "timed out with {mixed_rounds} mixed rounds");
        let mut events = Vec::new();
        round(&mut r, 100, |_, m| events.push((m.event, m.chann)));
        let timers = events.iter().take_while(|e| e.0 == Event::Timer).count();
        assert!(
            events[timers..].iter().all(|e| e.0 != Event::Timer),
            "a TIMER after another event in one round: {events:?}"
        );
        let timer_chans: HashSet<_> = events[..timers].iter().map(|e| e.1).collect();
        assert_eq!(timer_chans.len(), timers, "two TIMERs for one channel: {events:?}");
        assert!(events[timers..].iter().all(|&e| e == (Event::Recv, c)), "{events:?}");
        if timers > 0 && timers < events.len() {
            mixed_rounds += 1;
        }
    }
    for h in [c, s, l, idle] {
        r.close(h).unwrap();
    }
}

/// A loop held up for many periods gets one TIMER per channel in the next
/// round, and the missed periods are skipped rather than fired in a burst.
#[test]
fn missed_periods_give_one_timer_not_a_burst() {
    let mut r = Reactor::new().unwrap();
    let fast = r.open(Kind::Stream);
    r.set_timer(fast, 1).unwrap();
    run_until(&mut r, Duration::from_secs(5), "the first tick", |_, m| m.chann == fast);
    busy_for(Duration::from_millis(50)); // a slow handler: 50 periods pass
    let mut in_round = 0;
    round(&mut r, 0, |_, m| {
        assert_eq!(m.chann, fast);
        in_round += 1;
    });
    assert_eq!(in_round, 1, "one TIMER for the late round");
    // Until a 20 ms marker fires, the 1 ms timer fires about 20 times; a
    // burst catching up on the 50 missed periods would give 70.
    let marker = r.open(Kind::Stream);
    r.set_timer(marker, 20).unwrap();
    let mut fast_ticks = 0;
    run_until(&mut r, Duration::from_secs(5), "the marker", |_, m| {
        if m.chann == fast {
            fast_ticks += 1;
            false
        } else {
            true
        }
    });
    assert!(fast_ticks <= 30, "{fast_ticks} ticks of a 1 ms timer in 20 ms: missed periods were replayed");
}

/// Closing a channel inside another channel's TIMER handler drops the
/// closed channel's TIMER already queued in the same round.
#[test]
fn closing_a_channel_drops_its_queued_timer() {
    let mut r = Reactor::new().unwrap();
    for _ in 0..5 {
        let a = r.open(Kind::Stream);
        let b = r.open(Kind::Stream);
        r.set_timer(a, 2).unwrap();
        r.set_timer(b, 2).unwrap();
        busy_for(Duration::from_millis(10)); // both deadlines pass: both queued
        let mut handed = Vec::new();
        round(&mut r, 0, |r, m| {
            assert_eq!(m.event, Event::Timer);
            handed.push(m.chann);
            let other = if m.chann == a { b } else { a };
            r.close(other).unwrap();
        });
        assert_eq!(handed.len(), 1, "the closed channel's TIMER was handed out: {handed:?}");
        let survivor = handed[0];
        watch_ticks(&mut r, 3, 5, |_, m| assert_eq!(m.chann, survivor, "TIMER for a closed channel"));
        r.close(survivor).unwrap();
    }
    assert_eq!(r.poll(0).unwrap(), 0);
}
