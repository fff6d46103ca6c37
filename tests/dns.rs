//! The asynchronous resolver against a DNS responder on 127.0.0.1: answers,
//! NXDOMAIN, silence (timeout after the configured tries), a lost answer
//! (retry), a failing server (the next one is asked), hosts-file names, and
//! connect() to a host name going through it without blocking.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::dns::{Mode, Responder};
use common::peer::{fd_count_turn, fd_share, open_fds};
use common::*;
use mnet::{Event, Handle, Kind, Msg, Reactor, ResolverConfig, State, DNS_FAILED, DNS_NOT_FOUND, DNS_TIMED_OUT};

const A: u16 = 1;
const AAAA: u16 = 28;

fn reactor_asking(servers: &[SocketAddr], timeout_ms: u64) -> Reactor {
    let mut r = Reactor::new().unwrap();
    let mut config = ResolverConfig::with_nameservers(servers);
    config.timeout = Duration::from_millis(timeout_ms);
    r.set_resolver(config).unwrap();
    r
}

/// Starts a lookup on a new channel and runs rounds until its RESOLVED.
fn resolve(r: &mut Reactor, name: &str) -> (Handle, Msg) {
    let h = r.open(Kind::Dgram);
    r.lookup(h, name).unwrap();
    let mut got = None;
    run_until(r, Duration::from_secs(20), "RESOLVED", |_, m| {
        assert_eq!((m.chann, m.event), (h, Event::Resolved), "only RESOLVED, on the owner");
        got = Some(m);
        true
    });
    (h, got.unwrap())
}

fn addrs(list: &[&str]) -> Vec<SocketAddr> {
    list.iter().map(|s| s.parse().unwrap()).collect()
}

#[test]
fn lookup_delivers_a_then_aaaa_addresses_with_the_port() {
    let _share = fd_share();
    let dns = Responder::start(Mode::Answer, &[("svc.test", "10.1.2.3"), ("svc.test", "fd00::7")]);
    let mut r = reactor_asking(&[dns.addr], 5000);
    let (h, m) = resolve(&mut r, "svc.test:8080");
    assert_eq!(m.err, 0);
    assert_eq!(
        r.lookup_result(h).unwrap().unwrap(),
        addrs(&["10.1.2.3:8080", "[fd00::7]:8080"])
    );
    let mut asked = dns.take_queries(2);
    asked.sort();
    assert_eq!(asked, vec![("svc.test".to_owned(), A), ("svc.test".to_owned(), AAAA)]);
    assert_eq!(
        r.count(),
        1,
        "the resolver's own channels are not counted, and are closed"
    );
    assert_eq!(r.stats().count(), 1);
}

#[test]
fn nxdomain_is_dns_not_found_with_a_clear_message() {
    let _share = fd_share();
    let dns = Responder::start(Mode::Answer, &[]);
    let mut r = reactor_asking(&[dns.addr], 5000);
    let (h, m) = resolve(&mut r, "nosuch.test");
    assert_eq!(m.err, DNS_NOT_FOUND);
    let e = r.lookup_result(h).unwrap().unwrap_err().to_string();
    assert_eq!(e, "cannot resolve 'nosuch.test': no such host (NXDOMAIN)");
}

#[test]
fn a_name_without_addresses_is_dns_not_found() {
    let _share = fd_share();
    let dns = Responder::start(Mode::Answer, &[("v6only.test", "fd00::1")]);
    let mut r = reactor_asking(&[dns.addr], 5000);
    let (h, m) = resolve(&mut r, "v6only.test");
    assert_eq!(m.err, 0, "AAAA alone is an answer");
    assert_eq!(r.lookup_result(h).unwrap().unwrap(), addrs(&["[fd00::1]:0"]));
}

#[test]
fn silence_times_out_after_every_try() {
    let _share = fd_share();
    let dns = Responder::start(Mode::Silent, &[]);
    let mut r = reactor_asking(&[dns.addr], 100);
    let asked = mnet::now_micros();
    let (h, m) = resolve(&mut r, "quiet.test");
    assert_eq!(m.err, DNS_TIMED_OUT);
    let waited = mnet::now_micros() - asked;
    assert!(waited >= 200_000, "gave up after {waited} us: before two tries of 100 ms");
    let e = r.lookup_result(h).unwrap().unwrap_err().to_string();
    assert!(
        e.starts_with("cannot resolve 'quiet.test': no answer from 127.0.0.1:"),
        "{e}"
    );
    assert!(e.contains("2 tries of 100 ms"), "{e}");
    // Two attempts (the default), each with an A and an AAAA query.
    assert_eq!(dns.take_queries(4).len(), 4);
    assert!(dns.queries.try_recv().is_err(), "no third try");
    assert_eq!(r.count(), 1);
}

#[test]
fn a_lost_answer_is_asked_again() {
    let _share = fd_share();
    let dns = Responder::start(Mode::DropFirst, &[("flaky.test", "10.0.0.5")]);
    // The first try must time out, the second must not: the responder's
    // thread needs a timeout a loaded machine cannot outlast.
    let mut r = reactor_asking(&[dns.addr], 2000);
    let (h, m) = resolve(&mut r, "flaky.test");
    assert_eq!(m.err, 0);
    assert_eq!(r.lookup_result(h).unwrap().unwrap(), addrs(&["10.0.0.5:0"]));
    assert_eq!(dns.take_queries(4).len(), 4, "each query sent twice");
}

#[test]
fn a_failing_server_passes_the_question_to_the_next() {
    let _share = fd_share();
    let bad = Responder::start(Mode::ServFail, &[]);
    let good = Responder::start(Mode::Answer, &[("two.test", "10.0.0.2")]);
    let mut r = reactor_asking(&[bad.addr, good.addr], 5000);
    let (h, m) = resolve(&mut r, "two.test");
    assert_eq!(m.err, 0, "SERVFAIL moves on at once, without waiting for the timeout");
    assert_eq!(r.lookup_result(h).unwrap().unwrap(), addrs(&["10.0.0.2:0"]));

    // Only failing servers: DNS_FAILED naming the answer.
    let mut r = reactor_asking(&[bad.addr], 5000);
    let (h, m) = resolve(&mut r, "two.test");
    assert_eq!(m.err, DNS_FAILED);
    let e = r.lookup_result(h).unwrap().unwrap_err().to_string();
    assert!(e.contains("answered ServerFailure"), "{e}");
}

#[test]
fn hosts_file_and_numeric_names_need_no_server() {
    let _share = fd_share();
    let dir = std::env::temp_dir().join(format!("mnet-hosts-{}", std::process::id()));
    std::fs::write(&dir, "# test hosts\n10.9.8.7 Box.Test box\n").unwrap();
    let silent = Responder::start(Mode::Silent, &[]);
    let mut config = ResolverConfig::with_nameservers(&[silent.addr]);
    config.hosts_file = Some(dir.clone());
    let mut r = Reactor::new().unwrap();
    r.set_resolver(config).unwrap();
    for (name, want) in [
        ("box.test:22", "10.9.8.7:22"),
        ("BOX", "10.9.8.7:0"),
        ("192.0.2.1:53", "192.0.2.1:53"),
    ] {
        let (h, m) = resolve(&mut r, name);
        assert_eq!(m.err, 0, "{name}");
        assert_eq!(r.lookup_result(h).unwrap().unwrap(), addrs(&[want]), "{name}");
    }
    assert!(silent.queries.try_recv().is_err(), "no DNS query was sent");
    std::fs::remove_file(dir).unwrap();
    let h = r.open(Kind::Stream);
    assert!(r.lookup(h, "bad name!").is_err(), "a bad name is refused at once");
}

#[test]
fn connect_to_a_host_name_resolves_without_blocking_then_connects() {
    let _share = fd_share();
    let dns = Responder::start(Mode::Answer, &[("web.test", "127.0.0.1")]);
    let mut r = reactor_asking(&[dns.addr], 5000);
    let (l, addr) = listener(&mut r, Kind::Stream, "127.0.0.1");
    let c = r.open(Kind::Stream);
    r.connect(c, &format!("web.test:{}", addr.port())).unwrap();
    assert_eq!(r.state(c).unwrap(), State::Connecting, "CONNECTING while DNS runs");
    let (mut accepted, mut connected) = (false, false);
    run_until(&mut r, Duration::from_secs(10), "accept and connect", |_, m| {
        match m.event {
            Event::Accept if m.chann == l => accepted = true,
            Event::Connected if m.chann == c => connected = true,
            _ => panic!("unexpected {m:?}"),
        }
        accepted && connected
    });
    assert_eq!(r.peer_addr(c).unwrap(), addr);
    assert!(r.resolve_error(c).is_none());
}

#[test]
fn connect_to_an_unknown_name_ends_in_one_disconnect() {
    let _share = fd_share();
    let dns = Responder::start(Mode::Answer, &[]);
    let mut r = reactor_asking(&[dns.addr], 5000);
    for kind in [Kind::Stream, Kind::Dgram, Kind::Tls] {
        let c = r.open(kind);
        r.connect(c, "gone.test:80").unwrap();
        let mut got = None;
        run_until(&mut r, Duration::from_secs(10), "DISCONNECT", |_, m| {
            assert_eq!((m.chann, m.event), (c, Event::Disconnect));
            got = Some(m.err);
            true
        });
        assert_eq!(got, Some(DNS_NOT_FOUND), "{kind}");
        assert_eq!(r.state(c).unwrap(), State::Disconnect);
        assert_eq!(
            r.resolve_error(c),
            Some("cannot resolve 'gone.test': no such host (NXDOMAIN)")
        );
        watch_ticks(&mut r, 3, 5, |_, m| panic!("nothing more may come: {m:?}"));
        r.close(c).unwrap();
    }
    assert_eq!(r.count(), 0);
}

#[test]
fn a_udp_connect_to_a_host_name_gets_connected() {
    let _share = fd_share();
    let dns = Responder::start(Mode::Answer, &[("udp.test", "127.0.0.1")]);
    let mut r = reactor_asking(&[dns.addr], 5000);
    let (srv, addr) = listener(&mut r, Kind::Dgram, "127.0.0.1");
    let c = r.open(Kind::Dgram);
    r.connect(c, &format!("udp.test:{}", addr.port())).unwrap();
    run_until(&mut r, Duration::from_secs(10), "CONNECTED", |_, m| {
        assert_eq!((m.chann, m.event), (c, Event::Connected));
        true
    });
    r.send(c, b"ping").unwrap();
    let mut buf = [0u8; 16];
    run_until(&mut r, Duration::from_secs(10), "the datagram", |r, m| {
        assert_eq!((m.chann, m.event), (srv, Event::Recv));
        let (n, _) = r.recv_from(srv, &mut buf).unwrap().unwrap();
        &buf[..n] == b"ping"
    });
}

#[test]
fn disconnect_while_resolving_cancels_the_connect() {
    let _share = fd_share();
    let dns = Responder::start(Mode::Silent, &[]);
    let mut r = reactor_asking(&[dns.addr], 50);
    let c = r.open(Kind::Stream);
    r.connect(c, "slow.test:80").unwrap();
    dns.take_queries(2);
    r.disconnect(c).unwrap();
    assert_eq!(r.state(c).unwrap(), State::Disconnect);
    assert_eq!(r.count(), 1, "the lookup's channel is closed");
    // Well past every try: no event for the abandoned connect.
    watch_ticks(&mut r, 10, 20, |_, m| panic!("nothing may come: {m:?}"));
    // The channel connects again as usual.
    let (l, addr) = listener(&mut r, Kind::Stream, "127.0.0.1");
    r.connect(c, &addr.to_string()).unwrap();
    run_until(&mut r, Duration::from_secs(10), "connected", |_, m| {
        m.chann == c && m.event == Event::Connected
    });
    r.close(l).unwrap();
}

#[test]
fn a_new_lookup_replaces_the_one_under_way_and_close_cancels() {
    let _share = fd_share();
    let silent = Responder::start(Mode::Silent, &[]);
    let dns = Responder::start(Mode::Answer, &[("new.test", "10.0.0.9")]);
    let mut r = reactor_asking(&[silent.addr, dns.addr], 5000);
    let h = r.open(Kind::Stream);
    r.lookup(h, "old.test").unwrap();
    silent.take_queries(2);
    r.set_resolver(ResolverConfig::with_nameservers(&[dns.addr])).unwrap();
    r.lookup(h, "new.test").unwrap();
    let mut seen = Vec::new();
    run_until(&mut r, Duration::from_secs(10), "RESOLVED", |r, m| {
        seen.push(m.event);
        r.lookup_result(h).unwrap().unwrap() == addrs(&["10.0.0.9:0"])
    });
    assert_eq!(seen, vec![Event::Resolved], "one RESOLVED, for the second lookup");
    let other = r.open(Kind::Stream);
    r.lookup(other, "new.test").unwrap();
    r.close(other).unwrap();
    watch_ticks(&mut r, 3, 5, |_, m| panic!("nothing for a closed channel: {m:?}"));
    assert_eq!(r.count(), 1);
}

#[test]
fn a_lookup_does_not_cancel_a_connect_by_name_on_the_same_channel() {
    let _share = fd_share();
    let dns = Responder::start(Mode::Answer, &[("web.test", "127.0.0.1"), ("other.test", "10.9.8.7")]);
    let mut r = reactor_asking(&[dns.addr], 5000);
    let (l, addr) = listener(&mut r, Kind::Stream, "127.0.0.1");
    let c = r.open(Kind::Stream);
    r.connect(c, &format!("web.test:{}", addr.port())).unwrap();
    r.lookup(c, "other.test").unwrap();
    let (mut accepted, mut connected, mut resolved) = (false, false, false);
    run_until(&mut r, Duration::from_secs(10), "the connect and the lookup", |r, m| {
        match (m.event, m.chann) {
            (Event::Accept, ch) if ch == l => accepted = true,
            (Event::Connected, ch) if ch == c => connected = true,
            (Event::Resolved, ch) if ch == c => {
                assert_eq!(m.err, 0);
                assert_eq!(r.lookup_result(c).unwrap().unwrap(), addrs(&["10.9.8.7:0"]));
                resolved = true;
            }
            _ => panic!("unexpected {m:?}"),
        }
        accepted && connected && resolved
    });
}

#[test]
fn close_cancels_every_lookup_of_the_channel_and_forgets_its_results() {
    let _turn = fd_count_turn(); // compares descriptor counts
    let silent = Responder::start(Mode::Silent, &[]);
    let mut r = reactor_asking(&[silent.addr], 5000);
    let fds = open_fds();
    let c = r.open(Kind::Stream);
    r.connect(c, "slow.test:80").unwrap();
    r.lookup(c, "slower.test").unwrap();
    silent.take_queries(4);
    assert!(open_fds() > fds, "the lookups have sockets open");
    r.close(c).unwrap();
    assert_eq!(open_fds(), fds, "closing the channel closed the lookups' sockets");
    watch_ticks(&mut r, 3, 5, |_, m| panic!("nothing for a closed channel: {m:?}"));
    // A failed connect-by-name leaves its reason; closing the channel drops it.
    let dns = Responder::start(Mode::Answer, &[]);
    r.set_resolver(ResolverConfig::with_nameservers(&[dns.addr])).unwrap();
    let d = r.open(Kind::Stream);
    r.connect(d, "gone.test:80").unwrap();
    run_until(&mut r, Duration::from_secs(10), "DISCONNECT", |_, m| m.event == Event::Disconnect);
    assert!(r.resolve_error(d).is_some());
    r.close(d).unwrap();
    assert_eq!(r.resolve_error(d), None, "the reason went with the channel");
}

#[test]
fn listen_takes_numbers_and_hosts_file_names_and_never_asks_dns() {
    let _share = fd_share();
    let silent = Responder::start(Mode::Silent, &[]);
    let mut r = reactor_asking(&[silent.addr], 5000);
    let mut hosts = ResolverConfig::with_nameservers(&[silent.addr]);
    hosts.hosts_file = Some("/etc/hosts".into());
    r.set_resolver(hosts).unwrap();
    let l = r.open(Kind::Stream);
    r.listen(l, "localhost:0", 16).expect("a hosts-file name binds at once");
    assert!(r.local_addr(l).unwrap().ip().is_loopback());
    let d = r.open(Kind::Stream);
    let e = r.listen(d, "only-dns-knows.test:0", 16).unwrap_err().to_string();
    assert!(e.contains("only-dns-knows.test") && e.contains("hosts file"), "{e}");
    assert_eq!(r.state(d).unwrap(), State::Disconnect);
    assert!(silent.queries.try_recv().is_err(), "no DNS query was sent");
}
