//! Timers: never before their deadlines, re-arm, stop, every channel state,
//! TIMER first in its round and at most once per channel per round, missed
//! periods skipped, and a closed channel's queued TIMER dropped.
//!
//! Times are only compared one way: an event must not come before its
//! deadline on the monotonic clock (`mnet::now_micros`, the reactor's own).
//! How late it comes is bounded only by a hang limit; the lateness itself is
//! a figure for `bench/` (`timer_accuracy`), never an assertion here.

mod common;

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use common::*;
use mnet::{Event, Handle, Kind, Reactor, State};

/// The n-th TIMER of a channel comes no earlier than n intervals after the
/// timer was armed (none early, none extra), for many timers at once, and
/// every one of them keeps firing.
#[test]
fn many_timers_never_fire_before_their_deadlines() {
    const N: usize = 64;
    const TICKS: u64 = 5;
    let mut r = Reactor::new().unwrap();
    let chans: Vec<(Handle, u64, u64)> = (0..N)
        .map(|i| {
            let h = r.open(Kind::Stream);
            let interval = 10 + (i % 31) as u64; // 10..=40 ms
            r.set_opaque(h, i as u64).unwrap();
            let armed = mnet::now_micros();
            r.set_timer(h, interval).unwrap();
            (h, interval * 1000, armed)
        })
        .collect();
    let mut counts = [0u64; N];
    // A long timeout: the wait must be cut short by the deadlines.
    run_until(&mut r, Duration::from_secs(60), "5 TIMERs of every channel", |_, m| {
        assert_eq!(m.event, Event::Timer);
        let i = m.opaque as usize;
        let (_, interval_us, armed) = chans[i];
        counts[i] += 1;
        let due = armed + counts[i] * interval_us;
        let now = mnet::now_micros();
        assert!(now >= due, "channel {i}: TIMER {} came {} us before its deadline", counts[i], due - now);
        counts.iter().all(|&n| n >= TICKS)
    });
    for &(h, _, _) in &chans {
        r.close(h).unwrap();
    }
    assert_eq!(r.poll(0).unwrap(), 0);
}

/// No channel gets two TIMERs in one round, even with a long poll timeout
/// and many timers due together.
#[test]
fn one_timer_per_channel_per_round() {
    let mut r = Reactor::new().unwrap();
    let chans: Vec<Handle> = (0..16u64)
        .map(|i| {
            let h = r.open(Kind::Stream);
            r.set_timer(h, 1 + i % 3).unwrap();
            h
        })
        .collect();
    let mut rounds = 0;
    let end = Instant::now() + Duration::from_secs(20);
    while rounds < 50 {
        assert!(Instant::now() < end, "timed out after {rounds} rounds");
        let mut this_round = HashSet::new();
        if round(&mut r, 1000, |_, m| {
            assert_eq!(m.event, Event::Timer);
            assert!(this_round.insert(m.chann), "two TIMERs for one channel in one round");
        }) > 0
        {
            rounds += 1;
        }
    }
    for h in chans {
        r.close(h).unwrap();
    }
}

/// Re-arming restarts the schedule from now: a 300 ms timer re-armed every
/// 10 ms never fires before 300 ms after its latest re-arm; once left alone
/// it fires 300 ms after the last one.
#[test]
fn rearming_restarts_the_timer_from_now() {
    let mut r = Reactor::new().unwrap();
    let a = r.open(Kind::Stream);
    let driver = r.open(Kind::Stream);
    let first = mnet::now_micros();
    let mut rearmed = first;
    r.set_timer(a, 300).unwrap();
    r.set_timer(driver, 10).unwrap();
    // Re-armed on every driver tick for two of a's periods. Under a stall
    // of 300 ms between ticks a may fire, on time; the old schedule would
    // fire 300 ms after the first arm, long before the latest re-arm + 300.
    // A TIMER raised in a round answers the re-arm in force when the round
    // began (a re-arm inside the round does not take back a queued TIMER).
    let end = Instant::now() + Duration::from_secs(20);
    while rearmed < first + 600_000 {
        assert!(Instant::now() < end, "timed out re-arming");
        let in_force = rearmed;
        round(&mut r, 1000, |r, m| {
            assert_eq!(m.event, Event::Timer);
            if m.chann == a {
                let now = mnet::now_micros();
                assert!(now >= in_force + 300_000, "fired {} us after a re-arm", now - in_force);
            } else {
                rearmed = mnet::now_micros();
                r.set_timer(a, 300).unwrap();
            }
        });
    }
    r.close(driver).unwrap();
    run_until(&mut r, Duration::from_secs(10), "the timer fires once left alone", |_, m| {
        assert_eq!((m.event, m.chann), (Event::Timer, a));
        true
    });
    let now = mnet::now_micros();
    assert!(now >= rearmed + 300_000, "fired {} us after the last re-arm", now - rearmed);
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
    // The other timer goes on (10 more TIMERs); the stopped one stays quiet.
    let mut first_ticks = 0;
    run_until(&mut r, Duration::from_secs(10), "10 more TIMERs of the running timer", |_, m| {
        assert_eq!(m.chann, first, "TIMER for the stopped channel");
        first_ticks += 1;
        first_ticks == 10
    });
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
    let late_round = mnet::now_micros();
    let mut in_round = 0;
    round(&mut r, 0, |_, m| {
        assert_eq!(m.chann, fast);
        in_round += 1;
    });
    assert_eq!(in_round, 1, "one TIMER for the late round");
    // The missed periods are not replayed: every later TIMER has its own
    // deadline after the late round began, one period apart, so the k-th
    // comes no earlier than k - 1 periods after it. A burst catching up on
    // the 50 missed periods would hand them out in quick succession.
    let mut k = 0u64;
    run_until(&mut r, Duration::from_secs(10), "20 more TIMERs", |_, m| {
        assert_eq!(m.chann, fast);
        k += 1;
        let now = mnet::now_micros();
        let due = late_round + (k - 1) * 1000;
        assert!(now >= due, "TIMER {k} after the late round came {} us early: a replayed period", due - now);
        k == 20
    });
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
