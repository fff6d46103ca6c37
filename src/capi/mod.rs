//! The C API: m_net's `mnet_core.h`, ABI and all (`include/mnet/mnet_core.h`),
//! and what mnet adds in C (`include/mnet/mnet_ext.h`, in `more.rs`), on the
//! thread's loop the C++ face uses too (`src/local.rs`).
//!
//! * **A `chann_t*` is a name, not memory.** Its value is the channel's
//!   handle (slot and process-unique generation), never dereferenced: a
//!   stale, closed or garbage pointer is a stale handle, an error.
//! * **No panic crosses into C.** Every function runs under `catch_unwind`
//!   and turns a failure into its error value (-1, 0 or NULL) plus a
//!   sentence for `mnet_last_error()`.
//! * **Messages.** `mnet_result_next` fills one `chann_msg_t` per thread and
//!   returns its address: valid until the next `mnet_result_next` or
//!   `mnet_poll` on the thread, as m_net promised.
//! * **Extensions** (`ext.rs`): m_net's `mnet_ext_t`, a new chann type built
//!   on a raw one, with its hooks around the channel's life and its own
//!   socket reads and writes.

#![allow(unsafe_code)]

mod ext;
mod more;

use std::cell::{Cell, RefCell};
use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::net::{IpAddr, SocketAddr};
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::local::{self, with, with_faces, Failure, Outcome};
use crate::{logging, Direction, Error, Event, Handle, Kind, Reactor, State};

/// `chann_t`: never dereferenced; the pointer's value is a handle.
#[repr(C)]
pub struct ChannT {
    _private: [u8; 0],
}

/// `chann_msg_t`.
#[repr(C)]
#[derive(Debug)]
pub struct ChannMsg {
    pub event: c_int,
    pub err: c_int,
    pub n: *mut ChannT,
    pub r: *mut ChannT,
    pub opaque: *mut c_void,
}

/// `chann_addr_t`: m_net's IPv4 text and port.
#[repr(C)]
#[derive(Debug)]
pub struct ChannAddr {
    pub ip: [c_char; 17],
    pub port: c_int,
}

// The layouts m_net's header gives (64-bit); C checks the same with
// _Static_assert in mnet_core.h's test.
#[cfg(target_pointer_width = "64")]
const _: () = {
    assert!(std::mem::size_of::<ChannMsg>() == 32);
    assert!(std::mem::offset_of!(ChannMsg, err) == 4);
    assert!(std::mem::offset_of!(ChannMsg, n) == 8);
    assert!(std::mem::offset_of!(ChannMsg, r) == 16);
    assert!(std::mem::offset_of!(ChannMsg, opaque) == 24);
    assert!(std::mem::size_of::<ChannAddr>() == 24);
    assert!(std::mem::offset_of!(ChannAddr, port) == 20);
};
// A chann_t* carries a 64-bit handle.
const _: () = assert!(std::mem::size_of::<*mut ChannT>() == 8, "the C API needs 64-bit pointers");

const CHANN_TYPE_TLS: c_int = 4;

thread_local! {
    /// The message `mnet_result_next` hands out.
    static MSG: RefCell<ChannMsg> = const {
        RefCell::new(ChannMsg {
            event: 0,
            err: 0,
            n: std::ptr::null_mut(),
            r: std::ptr::null_mut(),
            opaque: std::ptr::null_mut(),
        })
    };
    /// The text `mnet_last_error` returns.
    static ERROR_TEXT: RefCell<CString> = RefCell::new(CString::default());
    /// Whether `mnet_init` ran on this thread.
    static INITIALISED: Cell<bool> = const { Cell::new(false) };
}

fn handle(n: *mut ChannT) -> Handle {
    Handle::from_raw(n as usize as u64)
}

fn chann_ptr(h: Handle) -> *mut ChannT {
    h.to_raw() as usize as *mut ChannT
}

/// Runs `f`, turning a failure or a panic into `fail` plus a sentence for
/// `mnet_last_error()`.
fn guard<T>(fail: T, f: impl FnOnce() -> Outcome<T>) -> T {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => {
            local::set_last_error(&e.0);
            fail
        }
        Err(panic) => {
            let what = local::panic_text(&*panic);
            local::set_last_error(&format!("internal error in mnet (please report): {what}"));
            fail
        }
    }
}

fn fail<T>(what: &str) -> Outcome<T> {
    Err(Failure(what.to_owned()))
}

/// A C string argument: NULL and non-UTF-8 text are errors naming `what`.
///
/// # Safety
/// `s` is NULL or points to a NUL-terminated string that outlives the call.
unsafe fn text<'a>(s: *const c_char, what: &str) -> Outcome<&'a str> {
    if s.is_null() {
        return fail(&format!("{what}: NULL"));
    }
    // SAFETY: non-NULL, and NUL-terminated by the caller's contract.
    let c = unsafe { CStr::from_ptr(s) };
    c.to_str().map_err(|_| Failure(format!("{what}: not valid UTF-8")))
}

/// "host:port" for a host that may be NULL/empty (every IPv4 address), an
/// IPv6 address (bracketed here) or a name.
fn host_port(host: Option<&str>, port: c_int) -> Outcome<String> {
    let port = u16::try_from(port).map_err(|_| Failure(format!("port {port} out of range (0-65535)")))?;
    Ok(match host {
        None | Some("") => format!("0.0.0.0:{port}"),
        Some(h) if h.contains(':') && !h.starts_with('[') => format!("[{h}]:{port}"),
        Some(h) => format!("{h}:{port}"),
    })
}

/// Fills a `chann_addr_t` from an IPv4 address; false for IPv6 (it does not
/// fit m_net's 17 bytes).
fn fill_addr(out: &mut ChannAddr, a: &SocketAddr) -> bool {
    out.ip = [0; 17];
    out.port = c_int::from(a.port());
    let IpAddr::V4(v4) = a.ip() else {
        return false;
    };
    for (d, s) in out.ip.iter_mut().zip(v4.to_string().bytes()) {
        *d = s as c_char;
    }
    true
}

/// The address a `chann_addr_t` holds (numeric text, or a name).
fn addr_text(a: &ChannAddr) -> Outcome<String> {
    let bytes: Vec<u8> = a.ip.iter().take_while(|&&c| c != 0).map(|&c| c as u8).collect();
    let ip = std::str::from_utf8(&bytes).map_err(|_| Failure("chann_addr_t.ip is not valid text".into()))?;
    host_port(Some(ip), a.port)
}

/// The C type number of a channel: its extension type, or its kind's.
fn c_type(r: &Reactor, h: Handle) -> crate::Result<c_int> {
    let kind = r.kind(h)?;
    Ok(ext::type_of(h).unwrap_or(kind as c_int))
}

// ---- process and loop ------------------------------------------------------

/// `mnet_allocator`: accepted and ignored (the Rust allocator cannot be
/// swapped at run time).
#[no_mangle]
pub extern "C" fn mnet_allocator(
    _new_malloc: Option<extern "C" fn(c_int) -> *mut c_void>,
    _new_realloc: Option<extern "C" fn(*mut c_void, c_int) -> *mut c_void>,
    _new_free: Option<extern "C" fn(*mut c_void)>,
) {
}

/// `mnet_init`: makes the thread's loop; 1 the first time, 0 after.
#[no_mangle]
pub extern "C" fn mnet_init() -> c_int {
    guard(0, || {
        with(|_| Ok(()))?;
        Ok(c_int::from(!INITIALISED.replace(true)))
    })
}

/// `mnet_fini`: ends the thread's loop, closing every channel.
#[no_mangle]
pub extern "C" fn mnet_fini() {
    guard((), || {
        ext::close_all();
        ext::forget_thread();
        INITIALISED.set(false);
        local::end()
    })
}

/// `mnet_version`.
#[no_mangle]
pub extern "C" fn mnet_version() -> c_int {
    crate::version()
}

/// `mnet_report`: the number of open channels; with level > 0, one log line
/// (info) per channel too.
#[no_mangle]
pub extern "C" fn mnet_report(level: c_int) -> c_int {
    guard(-1, || {
        let n = with(|r| {
            if level > 0 {
                for line in r.stats().to_string().lines() {
                    log::info!("{line}");
                }
            }
            Ok(r.count())
        })?;
        more::drain_log();
        Ok(c_int::try_from(n).unwrap_or(c_int::MAX))
    })
}

/// `mnet_resolve`: blocking, first IPv4 address.
///
/// # Safety
/// `host` is NULL or a NUL-terminated string; `out` is NULL or points to a
/// writable `chann_addr_t`.
#[no_mangle]
pub unsafe extern "C" fn mnet_resolve(host: *const c_char, port: c_int, _ctype: c_int, out: *mut ChannAddr) -> c_int {
    guard(0, || {
        // SAFETY: per this function's contract.
        let host = unsafe { text(host, "mnet_resolve host") }?;
        // SAFETY: NULL or a writable chann_addr_t, per the contract.
        let Some(out) = (unsafe { out.as_mut() }) else {
            return fail("mnet_resolve: NULL address");
        };
        let addrs = crate::resolve(&host_port(Some(host), port)?)?;
        let Some(a) = addrs.iter().find(|a| a.is_ipv4()) else {
            return fail(&format!("cannot resolve '{host}': no IPv4 address"));
        };
        fill_addr(out, a);
        Ok(1)
    })
}

/// `mnet_multi_accept_balancer`.
#[no_mangle]
pub extern "C" fn mnet_multi_accept_balancer(
    ac_context: *mut c_void,
    ac_before: Option<extern "C" fn(*mut c_void, c_int) -> c_int>,
    ac_after: Option<extern "C" fn(*mut c_void, c_int) -> c_int>,
) {
    guard((), || {
        let gate = ext::balancer(ac_context, ac_before, ac_after);
        with(|r| {
            r.set_accept_gate(gate);
            Ok(())
        })
    })
}

/// `mnet_multi_reset_event`.
#[no_mangle]
pub extern "C" fn mnet_multi_reset_event() {
    guard((), || with(|r| r.reset_poll().map_err(|e| Error::io("recreate the event queue (epoll_create)", e))))
}

/// `mnet_poll`.
#[no_mangle]
pub extern "C" fn mnet_poll(milliseconds: u32) -> c_int {
    let n = guard(-1, || {
        let ms = i32::try_from(milliseconds).unwrap_or(i32::MAX);
        with(|r| {
            let n = r.poll(ms).map_err(|e| Error::io("epoll_wait", e))?;
            Ok(c_int::try_from(n).unwrap_or(c_int::MAX))
        })
    });
    more::drain_log();
    n
}

/// `mnet_result_next`.
#[no_mangle]
pub extern "C" fn mnet_result_next() -> *mut ChannMsg {
    guard(std::ptr::null_mut(), || loop {
        let Some(m) = with_faces(|r, faces| Ok(faces.next_c(r)))? else {
            return Ok(std::ptr::null_mut());
        };
        let msg = MSG.with(|cell| {
            let mut msg = cell.borrow_mut();
            msg.event = m.event as c_int;
            msg.err = m.err;
            msg.n = chann_ptr(m.chann);
            msg.r = if m.accepted.is_none() { std::ptr::null_mut() } else { chann_ptr(m.accepted) };
            msg.opaque = m.opaque as usize as *mut c_void;
            &mut *msg as *mut ChannMsg
        });
        if ext::type_of(m.chann).is_none() {
            return Ok(msg);
        }
        // SAFETY: `msg` is this thread's message, not borrowed elsewhere now
        // (the RefCell borrow ended); the filter may rewrite it.
        if ext::deliver(m.event, m.chann, m.accepted, unsafe { &mut *msg }) {
            return Ok(msg);
        }
    })
}

// ---- channels -------------------------------------------------------------

/// `mnet_chann_open`.
#[no_mangle]
pub extern "C" fn mnet_chann_open(ctype: c_int) -> *mut ChannT {
    guard(std::ptr::null_mut(), || {
        let registered = ext::raw_kind(ctype);
        let kind = match (ctype, registered) {
            (_, Some(k)) => k,
            (CHANN_TYPE_TLS, None) => Kind::Tls,
            (1..=3, None) => Kind::from_i32(ctype).expect("1..=3 are kinds"),
            _ => {
                return fail(&format!(
                    "unknown chann type {ctype} (1 stream, 2 dgram, 3 broadcast, 4 TLS, 5-7 registered extensions)"
                ))
            }
        };
        let h = with_faces(|r, faces| {
            let h = r.open(kind);
            faces.adopt_c(h);
            Ok(h)
        })?;
        if registered.is_some() {
            ext::opened(ctype, h)?;
        }
        Ok(chann_ptr(h))
    })
}

/// `mnet_chann_close`.
#[no_mangle]
pub extern "C" fn mnet_chann_close(n: *mut ChannT) {
    guard((), || {
        let h = handle(n);
        ext::closing(h);
        more::forget(h);
        with_faces(|r, faces| {
            faces.forget(r, h);
            match r.close(h) {
                Err(Error::StaleHandle(_)) => Ok(()), // closing twice is harmless
                other => other,
            }
        })
    })
}

/// `mnet_chann_fd`.
#[no_mangle]
pub extern "C" fn mnet_chann_fd(n: *mut ChannT) -> c_int {
    if let Some(fd) = ext::current_fd(handle(n)) {
        return fd; // inside an extension's recv_fn/send_fn
    }
    guard(-1, || with(|r| r.raw_fd(handle(n))))
}

/// `mnet_chann_type`: 0 (no type) for something that is not a chann, as
/// m_net returns: `chann_type_t` has only positive values, so compilers give
/// it an unsigned type and a -1 would read as 4294967295.
#[no_mangle]
pub extern "C" fn mnet_chann_type(n: *mut ChannT) -> c_int {
    guard(0, || with(|r| c_type(r, handle(n))))
}

/// `mnet_chann_listen`.
///
/// # Safety
/// `host` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn mnet_chann_listen(n: *mut ChannT, host: *const c_char, port: c_int, backlog: c_int) -> c_int {
    guard(0, || {
        let host = if host.is_null() {
            None
        } else {
            // SAFETY: non-NULL, NUL-terminated per the contract.
            Some(unsafe { text(host, "mnet_chann_listen host") }?)
        };
        let addr = host_port(host, port)?;
        let h = handle(n);
        with(|r| r.listen(h, &addr, backlog))?;
        ext::after(h, ext::Op::Listen);
        Ok(1)
    })
}

/// `mnet_chann_connect`.
///
/// # Safety
/// `host` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn mnet_chann_connect(n: *mut ChannT, host: *const c_char, port: c_int) -> c_int {
    guard(0, || {
        // SAFETY: per the contract.
        let host = unsafe { text(host, "mnet_chann_connect host") }?;
        let addr = host_port(Some(host), port)?;
        let h = handle(n);
        with(|r| r.connect(h, &addr))?;
        more::note_udp_peer(h, &addr);
        ext::after(h, ext::Op::Connect);
        Ok(1)
    })
}

/// `mnet_chann_disconnect`.
#[no_mangle]
pub extern "C" fn mnet_chann_disconnect(n: *mut ChannT) {
    guard((), || {
        let h = handle(n);
        ext::before_disconnect(h);
        with(|r| r.disconnect(h))
    })
}

/// `mnet_chann_set_opaque`.
#[no_mangle]
pub extern "C" fn mnet_chann_set_opaque(n: *mut ChannT, opaque: *mut c_void) {
    guard((), || with(|r| r.set_opaque(handle(n), opaque as usize as u64)))
}

/// `mnet_chann_get_opaque`.
#[no_mangle]
pub extern "C" fn mnet_chann_get_opaque(n: *mut ChannT) -> *mut c_void {
    guard(std::ptr::null_mut(), || {
        with(|r| r.opaque(handle(n))).map(|o| o as usize as *mut c_void)
    })
}

/// `mnet_chann_active_event`.
#[no_mangle]
pub extern "C" fn mnet_chann_active_event(n: *mut ChannT, et: c_int, value: i64) {
    guard((), || {
        let h = handle(n);
        match Event::from_i32(et) {
            Some(Event::Send) => with(|r| r.set_send_event(h, value != 0)),
            Some(Event::Timer) => with(|r| r.set_timer(h, u64::try_from(value).unwrap_or(0))),
            Some(Event::Recv) => with(|r| r.set_recv_event(h, value != 0)),
            _ => fail("mnet_chann_active_event: only CHANN_EVENT_SEND, CHANN_EVENT_TIMER and CHANN_EVENT_RECV"),
        }
    })
}

/// A buffer argument: NULL or a negative length is an error.
fn buf_len(buf: *const c_void, len: c_int, what: &str) -> Outcome<usize> {
    if buf.is_null() {
        return fail(&format!("{what}: NULL buffer"));
    }
    usize::try_from(len).map_err(|_| Failure(format!("{what}: negative length {len}")))
}

/// `mnet_chann_recv`.
///
/// # Safety
/// `buf` is NULL or points to `len` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn mnet_chann_recv(n: *mut ChannT, buf: *mut c_void, len: c_int) -> c_int {
    guard(-1, || {
        let len = buf_len(buf, len, "mnet_chann_recv")?;
        // SAFETY: `buf` is non-NULL and holds `len` writable bytes.
        let buf = unsafe { std::slice::from_raw_parts_mut(buf.cast::<u8>(), len) };
        let h = handle(n);
        if let Some(got) = ext::recv(h, buf)? {
            return Ok(got);
        }
        let kind = with(|r| r.kind(h))?;
        let got = if kind.is_datagram() {
            more::recv_datagram(h, buf)?.map_or(0, |(n, _)| n)
        } else {
            with(|r| r.recv(h, buf))?
        };
        Ok(c_int::try_from(got).unwrap_or(c_int::MAX))
    })
}

/// `mnet_chann_send`.
///
/// # Safety
/// `buf` is NULL or points to `len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn mnet_chann_send(n: *mut ChannT, buf: *mut c_void, len: c_int) -> c_int {
    guard(-1, || {
        let len = buf_len(buf, len, "mnet_chann_send")?;
        // SAFETY: `buf` is non-NULL and holds `len` readable bytes.
        let buf = unsafe { std::slice::from_raw_parts(buf.cast::<u8>(), len) };
        let h = handle(n);
        if let Some(sent) = ext::send(h, buf)? {
            return Ok(sent);
        }
        let sent = with(|r| {
            if r.kind(h)?.is_datagram() && r.state(h)? == State::Listening {
                more::send_to_last_peer(r, h, buf)
            } else {
                r.send(h, buf)
            }
        })?;
        Ok(c_int::try_from(sent).unwrap_or(c_int::MAX))
    })
}

/// `mnet_dgram_recv`.
///
/// # Safety
/// `addr_in` is NULL or points to a writable `chann_addr_t`; `buf` is NULL
/// or points to `len` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn mnet_dgram_recv(n: *mut ChannT, addr_in: *mut ChannAddr, buf: *mut c_void, len: c_int) -> c_int {
    guard(-1, || {
        let len = buf_len(buf, len, "mnet_dgram_recv")?;
        // SAFETY: `buf` is non-NULL and holds `len` writable bytes.
        let buf = unsafe { std::slice::from_raw_parts_mut(buf.cast::<u8>(), len) };
        match more::recv_datagram(handle(n), buf)? {
            Some((got, from)) => {
                // SAFETY: NULL or a writable chann_addr_t, per the contract.
                if let Some(out) = unsafe { addr_in.as_mut() } {
                    fill_addr(out, &from);
                }
                Ok(c_int::try_from(got).unwrap_or(c_int::MAX))
            }
            None => Ok(0),
        }
    })
}

/// `mnet_dgram_send`.
///
/// # Safety
/// `addr_out` is NULL or points to a `chann_addr_t`; `buf` is NULL or points
/// to `len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn mnet_dgram_send(n: *mut ChannT, addr_out: *mut ChannAddr, buf: *mut c_void, len: c_int) -> c_int {
    guard(-1, || {
        let len = buf_len(buf, len, "mnet_dgram_send")?;
        // SAFETY: `buf` is non-NULL and holds `len` readable bytes.
        let buf = unsafe { std::slice::from_raw_parts(buf.cast::<u8>(), len) };
        // SAFETY: NULL or a readable chann_addr_t, per the contract.
        let Some(to) = (unsafe { addr_out.as_ref() }) else {
            return fail("mnet_dgram_send: NULL address");
        };
        let to = addr_text(to)?;
        more::send_datagram(handle(n), &to, buf)
    })
}

/// `mnet_chann_cached`.
#[no_mangle]
pub extern "C" fn mnet_chann_cached(n: *mut ChannT) -> c_int {
    guard(-1, || with(|r| r.cached(handle(n))).map(|c| c_int::try_from(c).unwrap_or(c_int::MAX)))
}

/// `mnet_chann_state`: the extension's view for its types.
#[no_mangle]
pub extern "C" fn mnet_chann_state(n: *mut ChannT) -> c_int {
    let h = handle(n);
    let raw = guard(State::Closed as c_int, || with(|r| Ok(r.state(h).map_or(0, |s| s as c_int))));
    ext::state(h, raw)
}

/// `mnet_chann_bytes`.
#[no_mangle]
pub extern "C" fn mnet_chann_bytes(n: *mut ChannT, be_send: c_int) -> i64 {
    let dir = if be_send != 0 { Direction::Sent } else { Direction::Received };
    guard(-1, || with(|r| r.bytes(handle(n), dir)).map(|b| i64::try_from(b).unwrap_or(i64::MAX)))
}

/// `mnet_chann_socket_addr`.
///
/// # Safety
/// `out` is NULL or points to a writable `chann_addr_t`.
#[no_mangle]
pub unsafe extern "C" fn mnet_chann_socket_addr(n: *mut ChannT, out: *mut ChannAddr) -> c_int {
    // SAFETY: per the contract.
    unsafe { sock_addr(n, out, false) }
}

/// `mnet_chann_peer_addr`.
///
/// # Safety
/// `out` is NULL or points to a writable `chann_addr_t`.
#[no_mangle]
pub unsafe extern "C" fn mnet_chann_peer_addr(n: *mut ChannT, out: *mut ChannAddr) -> c_int {
    // SAFETY: per the contract.
    unsafe { sock_addr(n, out, true) }
}

/// # Safety
/// `out` is NULL or points to a writable `chann_addr_t`.
unsafe fn sock_addr(n: *mut ChannT, out: *mut ChannAddr, peer: bool) -> c_int {
    guard(0, || {
        // SAFETY: per the contract.
        let Some(out) = (unsafe { out.as_mut() }) else {
            return fail("NULL chann_addr_t");
        };
        let h = handle(n);
        let a = with(|r| if peer { r.peer_addr(h) } else { r.local_addr(h) })?;
        if !fill_addr(out, &a) {
            return fail(&format!("{a} is IPv6: it does not fit chann_addr_t (see mnet_chann_addr_text)"));
        }
        Ok(1)
    })
}

/// `mnet_chann_socket_set_bufsize`.
#[no_mangle]
pub extern "C" fn mnet_chann_socket_set_bufsize(n: *mut ChannT, bufsize: c_int) -> c_int {
    guard(0, || {
        let size = usize::try_from(bufsize).map_err(|_| Failure(format!("negative buffer size {bufsize}")))?;
        with(|r| r.set_bufsize(handle(n), size))?;
        Ok(1)
    })
}

/// `mnet_tm_current`: microseconds on the monotonic clock.
#[no_mangle]
pub extern "C" fn mnet_tm_current() -> i64 {
    i64::try_from(crate::now_micros()).unwrap_or(i64::MAX)
}

/// `mnet_current`: the name m_net's LuaJIT binding uses for the clock.
#[no_mangle]
pub extern "C" fn mnet_current() -> i64 {
    mnet_tm_current()
}

/// `mnet_parse_ipport`.
///
/// # Safety
/// `ipport` is NULL or a NUL-terminated string; `out` is NULL or points to
/// a writable `chann_addr_t`.
#[no_mangle]
pub unsafe extern "C" fn mnet_parse_ipport(ipport: *const c_char, out: *mut ChannAddr) -> c_int {
    guard(0, || {
        // SAFETY: per the contract.
        let s = unsafe { text(ipport, "mnet_parse_ipport") }?;
        // SAFETY: per the contract.
        let Some(out) = (unsafe { out.as_mut() }) else {
            return fail("mnet_parse_ipport: NULL chann_addr_t");
        };
        let (host, port) = if let Some(rest) = s.strip_prefix('[') {
            let (h, p) = rest.split_once("]:").ok_or_else(|| Failure(format!("'{s}': missing ']:port'")))?;
            (h, p)
        } else {
            s.rsplit_once(':').ok_or_else(|| Failure(format!("'{s}': missing ':port'")))?
        };
        let port: u16 = port.parse().map_err(|_| Failure(format!("'{s}': the port is not a number 0-65535")))?;
        let host = if host.is_empty() { "0.0.0.0" } else { host };
        if host.len() >= out.ip.len() {
            return fail(&format!("'{s}': the host does not fit chann_addr_t (16 bytes)"));
        }
        out.ip = [0; 17];
        for (d, b) in out.ip.iter_mut().zip(host.bytes()) {
            *d = b as c_char;
        }
        out.port = c_int::from(port);
        Ok(1)
    })
}

/// `mnet_last_error`: this thread's last error, as text valid until the
/// next call of this function on the thread.
#[no_mangle]
pub extern "C" fn mnet_last_error() -> *const c_char {
    let text = local::last_error();
    let text = CString::new(text.replace('\0', " ")).unwrap_or_default();
    ERROR_TEXT
        .try_with(|cell| {
            let mut e = cell.borrow_mut();
            *e = text;
            e.as_ptr()
        })
        .unwrap_or(c"mnet: this thread is exiting".as_ptr())
}

/// Keeps `logging`'s levels and the C constants in step.
const _: () = assert!(logging::ERROR == 1 && logging::INFO == 2 && logging::VERBOSE == 3);
