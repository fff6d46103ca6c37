//! m_net's extension interface: a chann type 4..7 built on a raw STREAM,
//! DGRAM or BROADCAST chann, with hooks around the chann's life
//! (`open_cb` ... `disconnect_cb`), a filter over its messages, its own view
//! of the state, and its own socket reads and writes (`recv_fn`, `send_fn`).
//!
//! The registry is process-wide, as in m_net; which channs of a thread are
//! of an extension type, and each chann's extension pointer (`ud`), are the
//! thread's. The life hooks, the filter and `state_fn` run outside the
//! reactor, so they may call any mnet function. `recv_fn` and `send_fn` of a
//! stream type run inside it (mnet writes the queue out through them when
//! the socket drains): there only `mnet_chann_fd`, `mnet_ext_chann_get_ud`
//! and `mnet_ext_chann_set_ud` may be called on the chann; other calls fail
//! with an error saying mnet was called re-entrantly.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::ffi::{c_int, c_void};
use std::io;
use std::os::fd::RawFd;
use std::sync::Mutex;

use super::{chann_ptr, fail, guard, handle, ChannMsg, ChannT};
use crate::core::chann::IoHook;
use crate::local::{lock, with, Outcome};
use crate::{AcceptGate, Event, GatePhase, Handle, Kind, State};

type RawTypeFn = extern "C" fn(*mut c_void, c_int) -> c_int;
type FilterFn = extern "C" fn(*mut c_void, *mut ChannMsg) -> c_int;
type OpFn = extern "C" fn(*mut c_void, *mut ChannT);
type StateFn = extern "C" fn(*mut c_void, *mut ChannT, c_int) -> c_int;
type DataFn = extern "C" fn(*mut c_void, *mut ChannT, *mut c_void, c_int) -> c_int;

/// `mnet_ext_t`, as m_net lays it out.
#[repr(C)]
pub struct MnetExt {
    pub reserved: u8,
    pub ext_ctx: *mut c_void,
    pub type_fn: Option<RawTypeFn>,
    pub filter_fn: Option<FilterFn>,
    pub open_cb: Option<OpFn>,
    pub close_cb: Option<OpFn>,
    pub listen_cb: Option<OpFn>,
    pub accept_cb: Option<OpFn>,
    pub connect_cb: Option<OpFn>,
    pub disconnect_cb: Option<OpFn>,
    pub state_fn: Option<StateFn>,
    pub recv_fn: Option<DataFn>,
    pub send_fn: Option<DataFn>,
}

// m_net's layout on 64-bit: a byte, then 12 pointers (test_layout.c asserts
// the same of mnet_ext_t in C).
#[cfg(target_pointer_width = "64")]
const _: () = {
    assert!(std::mem::size_of::<MnetExt>() == 104);
    assert!(std::mem::offset_of!(MnetExt, ext_ctx) == 8);
    assert!(std::mem::offset_of!(MnetExt, filter_fn) == 24);
    assert!(std::mem::offset_of!(MnetExt, send_fn) == 96);
};

/// A registered extension: every hook present.
#[derive(Clone, Copy)]
struct Ext {
    ctx: *mut c_void,
    raw: Kind,
    filter: FilterFn,
    open: OpFn,
    close: OpFn,
    listen: OpFn,
    accept: OpFn,
    connect: OpFn,
    disconnect: OpFn,
    state: StateFn,
    recv: DataFn,
    send: DataFn,
}

// SAFETY: an extension is a table of C function pointers and the context
// the program registered with them for every thread; m_net shares it the
// same way. mnet only passes the context back to those functions.
unsafe impl Send for Ext {}

static REGISTRY: Mutex<[Option<Ext>; 8]> = Mutex::new([None; 8]);

/// An extension chann of this thread.
struct ExtChann {
    ctype: c_int,
    ext: Ext,
}

thread_local! {
    /// This thread's channs of extension types.
    static CHANNS: RefCell<HashMap<Handle, ExtChann>> = RefCell::new(HashMap::new());
    /// Each chann's extension pointer (any chann may have one).
    static UD: RefCell<HashMap<Handle, usize>> = RefCell::new(HashMap::new());
    /// The chann and socket whose `recv_fn`/`send_fn` runs now.
    static CURRENT: Cell<Option<(Handle, RawFd)>> = const { Cell::new(None) };
}

fn registered(ctype: c_int) -> Option<Ext> {
    let i = usize::try_from(ctype).ok().filter(|&i| (4..8).contains(&i))?;
    lock(&REGISTRY)[i]
}

fn chann(h: Handle) -> Option<(c_int, Ext)> {
    CHANNS
        .try_with(|m| {
            let m = m.borrow();
            if m.is_empty() {
                None
            } else {
                m.get(&h).map(|c| (c.ctype, c.ext))
            }
        })
        .ok()
        .flatten()
}

/// The extension type of `h`, if it has one.
pub(super) fn type_of(h: Handle) -> Option<c_int> {
    chann(h).map(|(t, _)| t)
}

/// The raw kind a registered extension type is built on.
pub(super) fn raw_kind(ctype: c_int) -> Option<Kind> {
    registered(ctype).map(|e| e.raw)
}

/// A new chann of extension type `ctype`: its socket I/O goes through the
/// extension; then `open_cb`.
pub(super) fn opened(ctype: c_int, h: Handle) -> Outcome<()> {
    let Some(ext) = registered(ctype) else {
        return fail(&format!("chann type {ctype} is not registered"));
    };
    adopt(ctype, ext, h)?;
    (ext.open)(ext.ctx, chann_ptr(h));
    Ok(())
}

fn adopt(ctype: c_int, ext: Ext, h: Handle) -> Outcome<()> {
    if ext.raw == Kind::Stream {
        with(|r| r.set_io_hook(h, Some(Box::new(CHook { ext, h }))))?;
    }
    CHANNS.with(|m| m.borrow_mut().insert(h, ExtChann { ctype, ext }));
    Ok(())
}

/// Before a chann closes: `disconnect_cb` (when it has a socket) and
/// `close_cb`; its extension records go.
pub(super) fn closing(h: Handle) {
    if let Some((_, ext)) = chann(h) {
        if with(|r| r.raw_fd(h)).is_ok() {
            (ext.disconnect)(ext.ctx, chann_ptr(h));
        }
        (ext.close)(ext.ctx, chann_ptr(h));
        let _ = CHANNS.try_with(|m| m.borrow_mut().remove(&h));
    }
    let _ = UD.try_with(|m| m.borrow_mut().remove(&h));
}

/// The operations with a hook after them.
pub(super) enum Op {
    Listen,
    Connect,
}

/// After a listen or connect: the extension's hook.
pub(super) fn after(h: Handle, op: Op) {
    if let Some((_, ext)) = chann(h) {
        let f = match op {
            Op::Listen => ext.listen,
            Op::Connect => ext.connect,
        };
        f(ext.ctx, chann_ptr(h));
    }
}

/// Before the program disconnects a chann: `disconnect_cb`.
pub(super) fn before_disconnect(h: Handle) {
    if let Some((_, ext)) = chann(h) {
        if with(|r| r.raw_fd(h)).is_ok() {
            (ext.disconnect)(ext.ctx, chann_ptr(h));
        }
    }
}

/// A message of an extension chann on its way to the program: an accepted
/// chann becomes of the listener's type (then `accept_cb`), a lost
/// connection gets `disconnect_cb` (its socket is closed already), and the
/// filter decides. False: the filter dropped it.
pub(super) fn deliver(event: Event, n: Handle, accepted: Handle, msg: &mut ChannMsg) -> bool {
    let Some((ctype, ext)) = chann(n) else {
        return true;
    };
    match event {
        Event::Accept => {
            if adopt(ctype, ext, accepted).is_err() {
                return false;
            }
            (ext.accept)(ext.ctx, chann_ptr(accepted));
        }
        Event::Disconnect => (ext.disconnect)(ext.ctx, chann_ptr(n)),
        _ => {}
    }
    (ext.filter)(ext.ctx, msg) != 0
}

/// The state the program sees: the extension's view of `raw`.
pub(super) fn state(h: Handle, raw: c_int) -> c_int {
    match chann(h) {
        Some((_, ext)) => (ext.state)(ext.ctx, chann_ptr(h), raw),
        None => raw,
    }
}

/// `mnet_chann_recv` on an extension chann: refused unless its state is
/// CONNECTED or LISTENING; a datagram type reads through `recv_fn` here
/// (`Some`), a stream type through the reactor (`None`).
pub(super) fn recv(h: Handle, buf: &mut [u8]) -> Outcome<Option<c_int>> {
    data(h, "receive on", |ext| {
        let len = c_int::try_from(buf.len()).unwrap_or(c_int::MAX);
        let r = (ext.recv)(ext.ctx, chann_ptr(h), buf.as_mut_ptr().cast(), len);
        Ok(r.max(-1))
    })
}

/// `mnet_chann_send` on an extension chann, as `recv`.
pub(super) fn send(h: Handle, buf: &[u8]) -> Outcome<Option<c_int>> {
    data(h, "send on", |ext| {
        let len = c_int::try_from(buf.len()).unwrap_or(c_int::MAX);
        let r = (ext.send)(ext.ctx, chann_ptr(h), buf.as_ptr().cast_mut().cast(), len);
        Ok(r.max(-1))
    })
}

fn data(h: Handle, op: &str, datagram: impl FnOnce(Ext) -> Outcome<c_int>) -> Outcome<Option<c_int>> {
    let Some((_, ext)) = chann(h) else {
        return Ok(None);
    };
    let raw = with(|r| r.state(h).map(|s| s as c_int))?;
    let seen = (ext.state)(ext.ctx, chann_ptr(h), raw);
    if seen != State::Connected as c_int && seen != State::Listening as c_int {
        return fail(&format!("cannot {op} an extension chann in state {seen}"));
    }
    if ext.raw == Kind::Stream {
        return Ok(None);
    }
    datagram(ext).map(Some)
}

/// The socket of `h` while its `recv_fn`/`send_fn` runs.
pub(super) fn current_fd(h: Handle) -> Option<c_int> {
    CURRENT.try_with(Cell::get).ok().flatten().filter(|c| c.0 == h).map(|c| c.1)
}

/// `mnet_fini`: every extension chann of this thread still open gets the
/// hooks `mnet_chann_close` would run (`disconnect_cb` when it has a socket,
/// then `close_cb`), as m_net's fini does, so an extension frees what it
/// holds per chann; oldest first.
pub(super) fn close_all() {
    let mut open: Vec<Handle> = CHANNS.try_with(|m| m.borrow().keys().copied().collect()).unwrap_or_default();
    open.sort();
    for h in open {
        closing(h);
    }
}

/// Forgets this thread's extension channs (`mnet_fini`).
pub(super) fn forget_thread() {
    let _ = CHANNS.try_with(|m| m.borrow_mut().clear());
    let _ = UD.try_with(|m| m.borrow_mut().clear());
}

/// The reads and writes of a stream extension chann.
struct CHook {
    ext: Ext,
    h: Handle,
}

// SAFETY: see `Ext`; the chann's handle is plain data.
unsafe impl Send for CHook {}

impl CHook {
    fn call(&self, fd: RawFd, f: DataFn, buf: *mut c_void, len: usize) -> io::Result<usize> {
        let len = c_int::try_from(len).unwrap_or(c_int::MAX);
        let saved = CURRENT.replace(Some((self.h, fd)));
        let r = f(self.ext.ctx, chann_ptr(self.h), buf, len);
        CURRENT.set(saved);
        match r {
            n if n > 0 => Ok(n.min(len) as usize),
            0 => Err(io::ErrorKind::WouldBlock.into()),
            _ => {
                let e = io::Error::last_os_error();
                Err(if e.raw_os_error().is_some_and(|n| n != 0) { e } else { io::Error::from_raw_os_error(libc::EIO) })
            }
        }
    }
}

impl IoHook for CHook {
    fn recv(&mut self, fd: RawFd, buf: &mut [u8]) -> io::Result<usize> {
        self.call(fd, self.ext.recv, buf.as_mut_ptr().cast(), buf.len())
    }

    fn send(&mut self, fd: RawFd, buf: &[u8]) -> io::Result<usize> {
        self.call(fd, self.ext.send, buf.as_ptr().cast_mut().cast(), buf.len())
    }
}

/// The accept gate of `mnet_multi_accept_balancer` (None: plain accepting).
pub(super) fn balancer(
    ctx: *mut c_void,
    before: Option<extern "C" fn(*mut c_void, c_int) -> c_int>,
    after: Option<extern "C" fn(*mut c_void, c_int) -> c_int>,
) -> Option<AcceptGate> {
    struct Hooks {
        ctx: *mut c_void,
        before: Option<extern "C" fn(*mut c_void, c_int) -> c_int>,
        after: Option<extern "C" fn(*mut c_void, c_int) -> c_int>,
    }
    // SAFETY: C function pointers and the context given with them, passed
    // back to them on the thread that polls.
    unsafe impl Send for Hooks {}
    impl Hooks {
        fn ask(&self, phase: GatePhase, fd: RawFd) -> bool {
            let f = match phase {
                GatePhase::Before => self.before,
                GatePhase::After => self.after,
            };
            f.is_none_or(|f| f(self.ctx, fd) > 0)
        }
    }
    if before.is_none() && after.is_none() {
        return None;
    }
    let hooks = Hooks { ctx, before, after };
    Some(Box::new(move |phase, fd| hooks.ask(phase, fd)))
}

/// `mnet_ext_register`.
///
/// # Safety
/// `ext` is NULL or points to an `mnet_ext_t`.
#[no_mangle]
pub unsafe extern "C" fn mnet_ext_register(ctype: c_int, ext: *const MnetExt) -> c_int {
    guard(0, || {
        // SAFETY: NULL or a readable mnet_ext_t, per the contract.
        let Some(e) = (unsafe { ext.as_ref() }) else {
            return fail("mnet_ext_register: NULL mnet_ext_t");
        };
        if !(4..=7).contains(&ctype) {
            return fail(&format!("mnet_ext_register: type {ctype} is not an extension type (4-7)"));
        }
        let (Some(type_fn), Some(filter), Some(open), Some(close), Some(listen), Some(accept), Some(connect)) =
            (e.type_fn, e.filter_fn, e.open_cb, e.close_cb, e.listen_cb, e.accept_cb, e.connect_cb)
        else {
            return fail("mnet_ext_register: every hook of mnet_ext_t is required (one is NULL)");
        };
        let (Some(disconnect), Some(state), Some(recv), Some(send)) = (e.disconnect_cb, e.state_fn, e.recv_fn, e.send_fn)
        else {
            return fail("mnet_ext_register: every hook of mnet_ext_t is required (one is NULL)");
        };
        let raw = match type_fn(e.ext_ctx, ctype) {
            1 => Kind::Stream,
            2 => Kind::Dgram,
            3 => Kind::Broadcast,
            t => return fail(&format!("mnet_ext_register: type_fn says raw type {t}, not 1 (stream), 2 or 3 (datagram)")),
        };
        let mut all = lock(&REGISTRY);
        let slot = &mut all[ctype as usize];
        if slot.is_some() {
            return fail(&format!("mnet_ext_register: type {ctype} is registered already"));
        }
        *slot = Some(Ext {
            ctx: e.ext_ctx,
            raw,
            filter,
            open,
            close,
            listen,
            accept,
            connect,
            disconnect,
            state,
            recv,
            send,
        });
        Ok(1)
    })
}

/// `mnet_ext_chann_set_ud`: works inside `recv_fn`/`send_fn` too.
#[no_mangle]
pub extern "C" fn mnet_ext_chann_set_ud(n: *mut ChannT, ext_ud: *mut c_void) {
    let _ = UD.try_with(|m| m.borrow_mut().insert(handle(n), ext_ud as usize));
}

/// `mnet_ext_chann_get_ud`.
#[no_mangle]
pub extern "C" fn mnet_ext_chann_get_ud(n: *mut ChannT) -> *mut c_void {
    UD.try_with(|m| m.borrow().get(&handle(n)).copied().unwrap_or(0))
        .unwrap_or(0) as *mut c_void
}
