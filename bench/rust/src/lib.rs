//! Helpers shared by the benchmark programs: the rwdata byte pattern, the
//! process's own peak RSS and CPU time, and tiny argument parsing.

use std::time::Instant;

/// The rwdata pattern: pseudo-random bytes repeating with a prime period,
/// so a chunk that is lost, repeated or reordered is caught, and checking
/// costs a memcmp (the client must not be what limits the throughput).
pub const PERIOD: usize = 65521;

fn table() -> &'static [u8] {
    static T: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    T.get_or_init(|| {
        let mut x: u32 = 0x9e37_79b9;
        (0..PERIOD)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                (x >> 24) as u8
            })
            .collect()
    })
}

/// Calls `f(stream_offset_in_buf, pattern_slice)` over `len` bytes from `offset`.
fn segments(offset: u64, len: usize, mut f: impl FnMut(usize, &[u8]) -> bool) -> bool {
    let t = table();
    let mut done = 0;
    while done < len {
        let p = ((offset + done as u64) % PERIOD as u64) as usize;
        let n = (PERIOD - p).min(len - done);
        if !f(done, &t[p..p + n]) {
            return false;
        }
        done += n;
    }
    true
}

pub fn fill_pattern(buf: &mut [u8], offset: u64) {
    let len = buf.len();
    segments(offset, len, |at, pat| {
        buf[at..at + pat.len()].copy_from_slice(pat);
        true
    });
}

/// The first offset whose byte is wrong, if any.
pub fn check_pattern(buf: &[u8], offset: u64) -> Option<u64> {
    let mut bad = None;
    segments(offset, buf.len(), |at, pat| {
        if &buf[at..at + pat.len()] == pat {
            return true;
        }
        let i = pat.iter().zip(&buf[at..]).position(|(a, b)| a != b).unwrap_or(0);
        bad = Some(offset + (at + i) as u64);
        false
    });
    bad
}

/// A field of /proc/self/status in kB (VmHWM, VmRSS), -1 if unreadable.
pub fn status_kb(key: &str) -> i64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find_map(|l| {
            let rest = l.strip_prefix(key)?.strip_prefix(':')?;
            rest.split_whitespace().next()?.parse().ok()
        })
        .unwrap_or(-1)
}

/// User + system CPU seconds of this process.
pub fn cpu_seconds() -> f64 {
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

/// `--name value` from the command line.
pub fn opt(args: &[String], name: &str) -> Option<String> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1).cloned())
}

pub fn flag(args: &[String], name: &str) -> bool {
    args.iter().any(|a| a == name)
}

/// Parses "1G", "256M", "64K" or a plain number of bytes.
pub fn parse_bytes(s: &str) -> u64 {
    let (num, mul) = match s.as_bytes().last() {
        Some(b'G' | b'g') => (&s[..s.len() - 1], 1u64 << 30),
        Some(b'M' | b'm') => (&s[..s.len() - 1], 1 << 20),
        Some(b'K' | b'k') => (&s[..s.len() - 1], 1 << 10),
        _ => (s, 1),
    };
    num.parse::<u64>().expect("a byte count") * mul
}

/// Seconds since `t0`.
pub fn secs(t0: Instant) -> f64 {
    t0.elapsed().as_secs_f64()
}

/// A global allocator that counts live heap bytes and blocks, so a server
/// can report what its connections cost on the heap (a benchmark program
/// installs it with `#[global_allocator]`).
pub mod counting {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::sync::atomic::{AtomicIsize, Ordering::Relaxed};

    pub struct Counting;
    static LIVE: AtomicIsize = AtomicIsize::new(0);
    static ALLOCS: AtomicIsize = AtomicIsize::new(0);

    // SAFETY: every call is passed on to the system allocator unchanged;
    // the counters are only statistics.
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, l: Layout) -> *mut u8 {
            LIVE.fetch_add(l.size() as isize, Relaxed);
            ALLOCS.fetch_add(1, Relaxed);
            System.alloc(l)
        }
        unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
            LIVE.fetch_sub(l.size() as isize, Relaxed);
            ALLOCS.fetch_sub(1, Relaxed);
            System.dealloc(p, l)
        }
        unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
            LIVE.fetch_add(new as isize - l.size() as isize, Relaxed);
            System.realloc(p, l, new)
        }
    }

    /// Heap bytes allocated and not freed.
    pub fn live_bytes() -> isize {
        LIVE.load(Relaxed)
    }

    /// Heap blocks allocated and not freed.
    pub fn live_allocs() -> isize {
        ALLOCS.load(Relaxed)
    }
}

/// Counts the HTTP request heads that end in `bytes` ("\r\n\r\n"), for
/// servers that answer each request with one fixed response. `matched` is
/// how much of the terminator the previous bytes ended with (0..=3), kept
/// per connection, e.g. in the channel's opaque word.
pub fn heads_ended(matched: &mut usize, bytes: &[u8]) -> usize {
    let mut ended = 0;
    for &b in bytes {
        if b == b"\r\n\r\n"[*matched] {
            *matched += 1;
            if *matched == 4 {
                *matched = 0;
                ended += 1;
            }
        } else {
            *matched = usize::from(b == b'\r');
        }
    }
    ended
}

/// TLS configurations from the PEM files written by the `certs` program.
pub mod tls {
    use std::sync::Arc;

    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};

    pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
        Arc::new(rustls::crypto::ring::default_provider())
    }

    pub fn server_config(cert: &str, key: &str) -> Arc<rustls::ServerConfig> {
        let certs: Vec<CertificateDer<'static>> =
            CertificateDer::pem_file_iter(cert).expect("cert file").map(|c| c.expect("cert")).collect();
        let key = PrivateKeyDer::from_pem_file(key).expect("key file");
        let cfg = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .expect("server config");
        Arc::new(cfg)
    }

    /// A client trusting `ca`; session resumption off when `resume` is false
    /// (so every handshake is a full one).
    pub fn client_config(ca: &str, resume: bool) -> Arc<rustls::ClientConfig> {
        let mut roots = rustls::RootCertStore::empty();
        for c in CertificateDer::pem_file_iter(ca).expect("ca file") {
            roots.add(c.expect("ca cert")).expect("add ca");
        }
        let mut cfg = rustls::ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        if !resume {
            cfg.resumption = rustls::client::Resumption::disabled();
        }
        Arc::new(cfg)
    }
}
