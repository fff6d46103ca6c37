//! The server half of `bench/scale.sh`: mnet prefork workers on one
//! SO_REUSEPORT port, each answering one small HTTP response per request
//! head and arming an idle timeout on every connection it accepts.
//!
//!     scale_server IP:PORT WORKERS IDLE_TIMEOUT_MS STATUS_DIR
//!
//! The parent forks the workers before any reactor exists (a child must not
//! share its parent's epoll instance, as in `examples/prefork_svr.cpp`); each
//! worker opens its own listener with `set_reuse_port`, so the kernel spreads
//! connections over them. Every process is held to the hard `ulimit -n`,
//! which is why a large count needs several workers.
//!
//! The responder is minimal on purpose: the request is scanned for the end
//! of its head (two bytes of state in the channel's opaque word) and read
//! into a buffer on the stack, so what a connection costs on this server is
//! what it costs in mnet's core. Each worker writes `STATUS_DIR/status.worker.N`
//! once a second when a figure changed:
//!
//!     listening 1 conns C accepted A requests R timeouts T errors E heap_bytes B heap_blocks K
//!
//! and the parent writes `STATUS_DIR/server.pids` (its own PID, then its
//! workers'). SIGTERM or SIGINT ends the parent, which ends its workers by
//! PID and waits for them; a worker whose parent dies ends too.
use std::sync::atomic::{AtomicBool, Ordering};

use mnet::{Event, Kind, Reactor};
use mnet_bench::counting::{live_allocs, live_bytes, Counting};
use mnet_bench::heads_ended;

#[global_allocator]
static A: Counting = Counting;

const RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    STOP.store(true, Ordering::Relaxed);
}

fn catch(sig: libc::c_int) {
    // SAFETY: the handler only stores to an atomic, which is signal-safe.
    unsafe { libc::signal(sig, on_signal as *const () as libc::sighandler_t) };
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 5 {
        eprintln!("usage: scale_server IP:PORT WORKERS IDLE_TIMEOUT_MS STATUS_DIR");
        std::process::exit(2);
    }
    let addr = args[1].clone();
    let workers: usize = args[2].parse().expect("WORKERS");
    let idle_ms: u64 = args[3].parse().expect("IDLE_TIMEOUT_MS");
    let dir = args[4].clone();
    catch(libc::SIGTERM);
    catch(libc::SIGINT);

    let mut pids = vec![std::process::id() as libc::pid_t];
    for n in 0..workers {
        // SAFETY: no thread and no reactor exist yet in this process.
        match unsafe { libc::fork() } {
            0 => {
                // SAFETY: plain system call; the worker ends with its parent.
                unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) };
                let code = match worker(&addr, idle_ms, &dir, n) {
                    Ok(()) => 0,
                    Err(e) => {
                        eprintln!("scale_server worker {n}: {e}");
                        1
                    }
                };
                std::process::exit(code);
            }
            -1 => {
                eprintln!("scale_server: fork: {}", std::io::Error::last_os_error());
                STOP.store(true, Ordering::Relaxed);
                break;
            }
            pid => pids.push(pid),
        }
    }
    let list: String = pids.iter().map(|p| format!("{p}\n")).collect();
    std::fs::write(format!("{dir}/server.pids"), list).expect("write server.pids");

    let mut alive = pids.len() - 1;
    while alive > 0 && !STOP.load(Ordering::Relaxed) {
        let mut status = 0;
        // SAFETY: plain system call.
        if unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) } > 0 {
            alive -= 1;
            eprintln!("scale_server: a worker ended (status {status})");
        } else {
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }
    for &pid in &pids[1..] {
        // SAFETY: plain system calls on our own children.
        unsafe {
            libc::kill(pid, libc::SIGTERM);
            libc::waitpid(pid, std::ptr::null_mut(), 0);
        }
    }
}

#[derive(Default, PartialEq, Clone, Copy)]
struct Figures {
    conns: u64,
    accepted: u64,
    requests: u64,
    timeouts: u64,
    errors: u64,
    heap_bytes: isize,
    heap_blocks: isize,
}

fn worker(addr: &str, idle_ms: u64, dir: &str, n: usize) -> Result<(), Box<dyn std::error::Error>> {
    let (status, tmp) = (format!("{dir}/status.worker.{n}"), format!("{dir}/tmp.worker.{n}"));
    let mut r = Reactor::new()?;
    let l = r.open(Kind::Stream);
    r.set_reuse_port(l, true)?;
    r.listen(l, addr, 4096)?;
    r.set_timer(l, 1000)?;
    let mut f = Figures::default();
    let mut written = None;
    let mut buf = [0u8; 512];
    while !STOP.load(Ordering::Relaxed) {
        if r.poll(1000).is_err() {
            continue; // EINTR from the signal that stops us
        }
        while let Some(m) = r.next() {
            match m.event {
                Event::Accept => {
                    f.accepted += 1;
                    f.conns += 1;
                    if r.set_idle_timeout(m.accepted, idle_ms).is_err() {
                        f.errors += 1;
                    }
                }
                Event::Recv => loop {
                    let n = r.recv(m.chann, &mut buf).unwrap_or(0);
                    if n == 0 {
                        break;
                    }
                    let mut matched = m.opaque as usize;
                    for _ in 0..heads_ended(&mut matched, &buf[..n]) {
                        f.requests += 1;
                        if r.send(m.chann, RESPONSE).is_err() {
                            f.errors += 1;
                        }
                    }
                    let _ = r.set_opaque(m.chann, matched as u64);
                },
                Event::Disconnect => {
                    // A client closing at the end is not an error; a
                    // reset or an idle timeout during the run is.
                    match m.err {
                        0 => {}
                        libc::ETIMEDOUT => f.timeouts += 1,
                        _ => f.errors += 1,
                    }
                    f.conns -= 1;
                    let _ = r.close(m.chann);
                }
                Event::Timer => {
                    f.heap_bytes = live_bytes();
                    f.heap_blocks = live_allocs();
                    if written != Some(f) {
                        let line = format!(
                            "listening 1 conns {} accepted {} requests {} timeouts {} errors {} heap_bytes {} heap_blocks {}\n",
                            f.conns, f.accepted, f.requests, f.timeouts, f.errors, f.heap_bytes, f.heap_blocks
                        );
                        if std::fs::write(&tmp, line).and_then(|()| std::fs::rename(&tmp, &status)).is_ok() {
                            written = Some(f);
                        }
                    }
                }
                _ => {}
            }
        }
    }
    Ok(())
}
