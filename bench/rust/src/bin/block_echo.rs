//! The rwdata limit: a plain blocking-socket echo server. Accepts one
//! connection, echoes it with read + write_all through a 256 KiB buffer until
//! the client closes, prints its peak RSS and CPU time, exits.
//!
//!     block_echo IP:PORT
use std::io::{Read, Write};
use std::net::TcpListener;

use mnet_bench::*;

fn main() {
    let addr = std::env::args().nth(1).expect("usage: block_echo IP:PORT");
    let l = TcpListener::bind(&addr).expect("bind");
    println!("block_echo listening on {addr}");
    let (mut s, _) = l.accept().expect("accept");
    s.set_nodelay(true).unwrap();
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0u64;
    loop {
        let n = match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if s.write_all(&buf[..n]).is_err() {
            break;
        }
        total += n as u64;
    }
    println!(
        "server peak_rss_kb {} cpu_s {:.3} bytes_in {total} bytes_out {total}",
        status_kb("VmHWM"),
        cpu_seconds()
    );
}
