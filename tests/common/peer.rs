//! Plain-socket peers that end connections the hard ways: a reset after
//! every byte has reached the other kernel, descriptor limits raised for
//! tests that hold many sockets, and a look at a socket's send queue.

use std::net::TcpStream;
use std::os::fd::AsRawFd;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

/// Bytes `s` has sent that the peer's kernel has not acknowledged yet
/// (TIOCOUTQ: unsent plus unacknowledged).
pub fn unacked(s: &TcpStream) -> usize {
    let mut n: libc::c_int = 0;
    // SAFETY: TIOCOUTQ writes one int into `n`, which we own; the fd is open
    // for the whole call (borrowed from `s`).
    let rc = unsafe { libc::ioctl(s.as_raw_fd(), libc::TIOCOUTQ, &mut n) };
    assert_eq!(rc, 0, "ioctl(TIOCOUTQ): {}", std::io::Error::last_os_error());
    n as usize
}

/// Waits (bounded) until the peer's kernel holds everything `s` sent: a
/// reset afterwards cannot destroy any of it on this side.
pub fn wait_acked(s: &TcpStream) {
    let end = Instant::now() + Duration::from_secs(10);
    while unacked(s) > 0 {
        assert!(Instant::now() < end, "the peer's kernel never took the data");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Closes `s` with a reset (SO_LINGER 0), whatever it holds.
pub fn reset(s: TcpStream) {
    socket2::SockRef::from(&s).set_linger(Some(Duration::ZERO)).unwrap();
    drop(s);
}

/// Descriptors this process has open now. The tests of one binary run on
/// parallel threads: a test that compares counts holds [`fd_count_turn`],
/// and the others of its binary hold [`fd_share`], so that nothing opens or
/// closes a descriptor between its counts.
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

static FD_COUNTS: RwLock<()> = RwLock::new(());

/// Held by a test that compares descriptor counts: no other test of the
/// binary that holds [`fd_share`] runs meanwhile.
pub fn fd_count_turn() -> RwLockWriteGuard<'static, ()> {
    FD_COUNTS.write().unwrap_or_else(|e| e.into_inner())
}

/// Held by the other tests of a binary in which some test counts
/// descriptors: they run together, but never during a count.
pub fn fd_share() -> RwLockReadGuard<'static, ()> {
    FD_COUNTS.read().unwrap_or_else(|e| e.into_inner())
}

/// Raises the soft descriptor limit to at least `need` (up to the hard
/// limit). Returns false, after saying why, when the hard limit is too low:
/// the caller then skips its test.
pub fn raise_nofile(need: u64) -> bool {
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit writes into the struct we own.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) }, 0);
    if lim.rlim_cur >= need {
        return true;
    }
    if lim.rlim_max < need {
        eprintln!(
            "SKIPPED: this test needs {need} descriptors; the hard limit (ulimit -Hn) is {}",
            lim.rlim_max
        );
        return false;
    }
    lim.rlim_cur = need;
    // SAFETY: setrlimit reads the struct we own.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) }, 0);
    true
}
