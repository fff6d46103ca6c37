//! What the C++ face's HTTP and WebSocket objects share (ffi/http.rs,
//! ffi/ws.rs): each layer keeps its objects in a registry of this thread
//! (a [`Local`] in a `thread_local!`), under numbers unique in the process
//! ([`add`]), so a number used on another thread, or after the object was
//! deleted, names nothing. `next` (mod.rs) offers every reactor message to
//! each layer ([`take`]) and asks them for events first ([`next_event`]);
//! a thread that never made such an object pays one flag test per message.

use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::LocalKey;

use crate::local::{with, Failure, Outcome};
use crate::{Error, Msg, Reactor};

/// One event for the C++ face: (event number, the connection's or
/// request's id, the object's number, the C++ object's opaque word).
pub(crate) type FaceMsg = (i32, u64, u64, u64);

/// A layer's registry of this thread's objects.
pub(super) trait Layer: Default + 'static {
    /// The error when the layer is called from inside one of its own calls.
    const REENTERED: &'static str;
    /// Offers `m` to each object: `None` when one took it.
    fn offer(&mut self, r: &mut Reactor, m: Msg) -> Option<Msg>;
    /// The next event of any object, if one has one.
    fn event(&mut self) -> Option<FaceMsg>;
}

/// A layer's registry and whether it ever held an object (the fast path's
/// test), in a `thread_local!`.
pub(super) struct Local<L> {
    reg: RefCell<L>,
    any: Cell<bool>,
}

impl<L: Layer> Local<L> {
    pub(super) fn new() -> Local<L> {
        Local {
            reg: RefCell::new(L::default()),
            any: Cell::new(false),
        }
    }
}

/// Numbers of the objects of every layer: process-unique.
static NEXT: AtomicU64 = AtomicU64::new(1);

/// Runs `f` with this thread's registry of layer `key`.
pub(super) fn registry<L: Layer, T>(key: &'static LocalKey<Local<L>>, f: impl FnOnce(&mut L) -> Outcome<T>) -> Outcome<T> {
    key.try_with(|l| match l.reg.try_borrow_mut() {
        Ok(mut reg) => f(&mut reg),
        Err(_) => Err(Failure::from(Error::InvalidArgument(L::REENTERED))),
    })
    .unwrap_or_else(|_| Err(Failure("mnet: this thread's event loop is gone (the thread is exiting)".into())))
}

/// Numbers a new object and has `insert` put it in the registry under that
/// number, once this thread's loop exists (or says why not).
pub(super) fn add<L: Layer>(key: &'static LocalKey<Local<L>>, insert: impl FnOnce(&mut L, u64)) -> Outcome<u64> {
    with(|_| Ok(()))?;
    let id = NEXT.fetch_add(1, Ordering::Relaxed);
    registry(key, |reg| {
        insert(reg, id);
        Ok(())
    })?;
    key.with(|l| l.any.set(true));
    Ok(id)
}

/// Offers `m` to this thread's objects of layer `key`: `None` when one took it.
pub(super) fn take<L: Layer>(key: &'static LocalKey<Local<L>>, r: &mut Reactor, m: Msg) -> Option<Msg> {
    key.with(|l| {
        if !l.any.get() {
            return Some(m);
        }
        match l.reg.try_borrow_mut() {
            Ok(mut reg) => reg.offer(r, m),
            Err(_) => Some(m),
        }
    })
}

/// The next event of this thread's objects of layer `key`, if any has one.
pub(super) fn next_event<L: Layer>(key: &'static LocalKey<Local<L>>) -> Option<FaceMsg> {
    key.with(|l| {
        if !l.any.get() {
            return None;
        }
        l.reg.try_borrow_mut().ok()?.event()
    })
}
