//! soak: many clients connect to one echo server, send a checked message,
//! read the echo, disconnect and reconnect, in a loop, for a bounded time.
//! Samples the server's RSS every second and checks, at the end, that every
//! byte came back uncorrupted and that RSS did not grow after the warm-up.
//!
//!     soak ADDR SERVER_PID [--clients N] [--secs S] [--warmup S]
//!
//! Exit status 0 when no byte was lost or corrupted and the RSS after the
//! warm-up stayed within 10% (+1 MiB) of its value at the end of the warm-up.
//! The clients are mnet channels themselves (one reactor, one thread).
use std::time::{Duration, Instant};

use mnet::{Event, Handle, Kind, Reactor};

fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

/// The byte at offset `i` of message number `n`.
fn pattern(n: u64, i: usize) -> u8 {
    (n.wrapping_mul(31).wrapping_add(i as u64) % 251) as u8
}

struct Client {
    h: Handle,
    /// Messages sent so far by this client (its current one is `n`).
    n: u64,
    len: usize,
    got: usize,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: soak ADDR SERVER_PID [--clients N] [--secs S] [--warmup S]");
        std::process::exit(2);
    }
    let addr = args[1].clone();
    let pid: u32 = args[2].parse().expect("SERVER_PID");
    let opt = |name: &str, default: u64| -> u64 {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let (clients_n, secs, warmup) = (opt("--clients", 200) as usize, opt("--secs", 180), opt("--warmup", 30));

    let mut r = Reactor::new().expect("reactor");
    let mut clients: Vec<Client> = (0..clients_n)
        .map(|i| {
            let h = r.open(Kind::Stream);
            r.set_opaque(h, i as u64).unwrap();
            r.connect(h, &addr).expect("connect");
            Client { h, n: i as u64, len: 0, got: 0 }
        })
        .collect();
    let mut buf = vec![0u8; 64 * 1024];
    let (mut cycles, mut bytes, mut corrupt, mut lost) = (0u64, 0u64, 0u64, 0u64);
    let start = Instant::now();
    let mut next_sample = Duration::ZERO;
    let mut samples: Vec<(u64, u64)> = Vec::new();
    let mut last_report = Duration::ZERO;
    while start.elapsed() < Duration::from_secs(secs) {
        if start.elapsed() >= next_sample {
            samples.push((next_sample.as_secs(), rss_kb(pid)));
            next_sample += Duration::from_secs(1);
        }
        r.poll(100).expect("poll");
        while let Some(m) = r.next() {
            let c = &mut clients[m.opaque as usize];
            match m.event {
                Event::Connected => {
                    // 1 byte to 48 KiB, varying per message.
                    c.len = 1 + (c.n.wrapping_mul(2654435761) % (48 * 1024)) as usize;
                    c.got = 0;
                    let msg: Vec<u8> = (0..c.len).map(|i| pattern(c.n, i)).collect();
                    r.send(c.h, &msg).expect("send");
                }
                Event::Recv => {
                    let n = r.recv(c.h, &mut buf).unwrap_or(0);
                    for (i, &b) in buf[..n].iter().enumerate() {
                        if b != pattern(c.n, c.got + i) {
                            corrupt += 1;
                        }
                    }
                    c.got += n;
                    bytes += n as u64;
                    if c.got >= c.len {
                        if c.got > c.len {
                            corrupt += 1;
                        }
                        cycles += 1;
                        c.n += clients_n as u64;
                        r.disconnect(c.h).unwrap();
                        r.connect(c.h, &addr).expect("reconnect");
                    }
                }
                Event::Disconnect => {
                    // The server never closes first: any loss is an error.
                    lost += 1;
                    r.connect(c.h, &addr).expect("reconnect after loss");
                }
                _ => {}
            }
        }
        if start.elapsed() - last_report >= Duration::from_secs(10) {
            last_report = start.elapsed();
            let rss = samples.last().map_or(0, |s| s.1);
            println!(
                "t={:>4}s cycles={cycles} MiB={} server_rss={rss} KB",
                last_report.as_secs(),
                bytes >> 20
            );
        }
    }
    let at_warmup = samples.iter().find(|s| s.0 >= warmup).map_or(0, |s| s.1);
    let end = samples.last().map_or(0, |s| s.1);
    let peak_after = samples.iter().filter(|s| s.0 >= warmup).map(|s| s.1).max().unwrap_or(0);
    println!("RSS KB over time (every 10 s): {:?}", samples.iter().step_by(10).map(|s| s.1).collect::<Vec<_>>());
    println!(
        "soak: {cycles} connect/echo/disconnect cycles, {} MiB echoed, {corrupt} corrupt, {lost} lost connections",
        bytes >> 20
    );
    println!("server RSS: {at_warmup} KB after {warmup} s warm-up, {end} KB at the end, peak after warm-up {peak_after} KB");
    let grew = end > at_warmup + at_warmup / 10 + 1024;
    if corrupt > 0 || lost > 0 || grew || cycles == 0 {
        println!("soak: FAILED");
        std::process::exit(1);
    }
    println!("soak: passed (no loss, no corruption, no RSS growth after warm-up)");
}
