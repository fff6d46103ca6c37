//! This thread's event loop as the faces see it (the C++ bridge and the C
//! API share it): the reactor, the number that ties every C++ `Chann` to the
//! thread that made it, the closes other threads hand over, and the stop
//! after an internal error.
//!
//! * **Ownership.** Each thread's loop gets a process-unique id when it is
//!   made; `chann_open` hands it to C++ and every later call carries it
//!   back. Handles are only unique within one reactor (two threads' first
//!   channels have the same raw handle), so a call whose id is not this
//!   thread's is refused rather than run on the wrong reactor.
//! * **Closing from another thread.** A `Chann` deleted on the wrong thread
//!   cannot touch its owner's reactor, and its owner must never dispatch to
//!   the freed object: the close goes into the owner's inbox, which the
//!   owner applies before its next call of any kind (`poll` and `next`
//!   included), so no message for that channel is handed out afterwards.
//! * **Exit.** Thread-local destructors run before C++ static ones: a static
//!   `Chann` closed after its loop is gone finds nothing to close, silently.
//! * **Internal errors.** A panic inside the reactor may leave its tables
//!   half-changed. The loop is then stopped: the reactor is dropped (its
//!   sockets close) and every later call fails with a sentence that says so.
//! * **Two faces, one loop.** The C++ `pollEvent` and the C
//!   `mnet_result_next` drain the same messages. Channels opened through the
//!   C API are marked as the C face's; `pollEvent` sets their messages aside
//!   for `mnet_result_next` (which hands out every message, C++ ones with
//!   their `Chann*` as opaque, as m_net's did).

use std::any::Any;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashSet, VecDeque};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::{logging, Error, Event, Handle, Msg, Reactor, Result};

/// Why a bridge call failed: the sentence `last_error()` returns.
#[derive(Debug)]
pub(crate) struct Failure(pub(crate) String);

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure(e.to_string())
    }
}

/// What a bridge body returns before `guard` turns it into a plain status.
pub(crate) type Outcome<T> = std::result::Result<T, Failure>;

/// The refusal of a call made on a thread other than the Chann's.
pub(crate) const WRONG_THREAD: &str = "Chann used on a thread that does not own it";

const STOPPED: &str = "mnet: this thread's event loop stopped after an internal error: ";

const GONE: &str = "mnet: this thread's event loop is gone (the thread is exiting)";

/// Closes handed to a loop by other threads.
#[derive(Default)]
struct Inbox {
    /// Set (under the lock) when `closes` has something; checked by the
    /// owner on every call, so the common case costs one load.
    pending: AtomicBool,
    closes: Mutex<Vec<u64>>,
}

/// Ids of loops: 0 is never one (a Chann without a channel carries 0).
static NEXT_ID: AtomicU32 = AtomicU32::new(1);

/// The inbox of every live loop, by id.
static INBOXES: Mutex<BTreeMap<u32, Arc<Inbox>>> = Mutex::new(BTreeMap::new());

/// Locks `m`; a panic elsewhere while it was held leaves plain data behind,
/// still usable.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

enum Loop {
    Running(Box<Reactor>),
    /// Stopped by a panic, with the panic's message.
    Stopped(String),
}

struct Local {
    id: u32,
    inbox: Arc<Inbox>,
    state: Loop,
    faces: Faces,
}

/// Most messages `pollEvent` sets aside for a C program that does not drain
/// them; past it the oldest go, an ACCEPT with the channel it carried (and
/// an error is logged once).
const PARKED_MAX: usize = 1 << 16;

/// Which channels are the C face's, and their messages drained by the C++
/// face meanwhile.
#[derive(Default)]
pub(crate) struct Faces {
    c_channels: HashSet<Handle>,
    parked: VecDeque<Msg>,
    overflowed: bool,
}

impl Faces {
    /// Marks `h` as opened through the C API.
    pub(crate) fn adopt_c(&mut self, h: Handle) {
        self.c_channels.insert(h);
    }

    /// Forgets a closed channel and drops its parked messages.
    pub(crate) fn forget(&mut self, r: &mut Reactor, h: Handle) {
        self.c_channels.remove(&h);
        if self.parked.is_empty() {
            return;
        }
        let mut orphans = Vec::new();
        self.parked.retain(|m| {
            if m.chann != h {
                return true;
            }
            if m.event == Event::Accept {
                orphans.push(m.accepted);
            }
            false
        });
        for accepted in orphans {
            self.close_orphan(r, accepted);
        }
    }

    /// Closes the channel a dropped ACCEPT carried, as `Reactor::next` does
    /// for an ACCEPT whose listener is gone: nobody else will ever name it,
    /// so left open it would count in `poll` for good.
    fn close_orphan(&mut self, r: &mut Reactor, accepted: Handle) {
        r.release(accepted);
        self.forget(r, accepted);
    }

    pub(crate) fn is_c(&self, h: Handle) -> bool {
        !self.c_channels.is_empty() && self.c_channels.contains(&h)
    }

    /// The next message for the C++ face: C channels' messages are set
    /// aside on the way.
    pub(crate) fn next_cxx(&mut self, r: &mut Reactor) -> Option<Msg> {
        loop {
            let m = r.next()?;
            if !self.is_c(m.chann) {
                return Some(m);
            }
            if m.event == Event::Accept {
                self.c_channels.insert(m.accepted);
            }
            if self.parked.len() == PARKED_MAX {
                if !std::mem::replace(&mut self.overflowed, true) {
                    log::error!("C API: {PARKED_MAX} messages of C channels wait for mnet_result_next; dropping the oldest");
                }
                if let Some(old) = self.parked.pop_front() {
                    if old.event == Event::Accept {
                        self.close_orphan(r, old.accepted);
                    }
                }
            }
            self.parked.push_back(m);
        }
    }

    /// The next message for the C face: those set aside first.
    pub(crate) fn next_c(&mut self, r: &mut Reactor) -> Option<Msg> {
        let m = self.parked.pop_front().or_else(|| r.next())?;
        if m.event == Event::Accept && self.is_c(m.chann) {
            self.c_channels.insert(m.accepted);
        }
        Some(m)
    }
}

thread_local! {
    static LOCAL: RefCell<Option<Local>> = const { RefCell::new(None) };
    static LAST_ERROR: RefCell<String> = const { RefCell::new(String::new()) };
}

impl Local {
    fn new() -> Outcome<Local> {
        let id = NEXT_ID
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_add(1))
            .map_err(|_| Failure("mnet: more than 4 billion threads have used mnet in this process".into()))?;
        logging::install_default();
        let reactor = Reactor::new().map_err(|e| Error::io("create the reactor (epoll_create)", e))?;
        let inbox = Arc::new(Inbox::default());
        lock(&INBOXES).insert(id, Arc::clone(&inbox));
        Ok(Local {
            id,
            inbox,
            state: Loop::Running(Box::new(reactor)),
            faces: Faces::default(),
        })
    }

    /// Runs `f` on the reactor after applying the closes handed over; a
    /// panic inside stops the loop.
    fn run<T>(&mut self, f: impl FnOnce(u32, &mut Reactor, &mut Faces) -> Result<T>) -> Outcome<T> {
        let id = self.id;
        let inbox = &self.inbox;
        let faces = &mut self.faces;
        let Loop::Running(r) = &mut self.state else {
            return Err(self.stopped());
        };
        let ran = catch_unwind(AssertUnwindSafe(|| {
            if inbox.pending.load(Ordering::Acquire) {
                let closes = {
                    let mut q = lock(&inbox.closes);
                    inbox.pending.store(false, Ordering::Relaxed);
                    std::mem::take(&mut *q)
                };
                for raw in closes {
                    // A handle already gone needs no close.
                    let _ = r.close(Handle::from_raw(raw));
                }
            }
            f(id, r, faces)
        }));
        match ran {
            Ok(v) => v.map_err(Failure::from),
            Err(panic) => {
                self.stop(panic_text(&*panic));
                Err(self.stopped())
            }
        }
    }

    /// Ends the loop after a panic: the reactor's tables may be half-changed,
    /// so it is dropped (closing its sockets, so peers see the end) and never
    /// used again.
    fn stop(&mut self, why: String) {
        lock(&INBOXES).remove(&self.id);
        let old = std::mem::replace(&mut self.state, Loop::Stopped(why));
        // Dropping only closes sockets and frees memory; should even that
        // panic, the loop stays stopped all the same.
        let _ = catch_unwind(AssertUnwindSafe(move || drop(old)));
    }

    fn stopped(&self) -> Failure {
        match &self.state {
            Loop::Stopped(why) => Failure(format!("{STOPPED}{why}")),
            Loop::Running(_) => Failure(format!("{STOPPED}(unknown)")),
        }
    }
}

impl Drop for Local {
    fn drop(&mut self) {
        lock(&INBOXES).remove(&self.id);
    }
}

/// A panic's message, as far as it has one.
pub(crate) fn panic_text(panic: &(dyn Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

/// Runs `f` on this thread's loop: the one that owns `owner`, or (with
/// `None`) whichever this thread has, made on first use. `f` gets the loop's
/// id too.
fn access<T>(owner: Option<u32>, f: impl FnOnce(u32, &mut Reactor, &mut Faces) -> Result<T>) -> Outcome<T> {
    LOCAL
        .try_with(|cell| {
            let mut slot = cell
                .try_borrow_mut()
                .map_err(|_| Failure::from(Error::InvalidArgument("mnet called re-entrantly on this thread")))?;
            if slot.is_none() {
                if owner.is_some() {
                    // A Chann made elsewhere: this thread never had a loop.
                    return Err(Failure(WRONG_THREAD.into()));
                }
                *slot = Some(Local::new()?);
            }
            let Some(local) = slot.as_mut() else {
                return Err(Failure(GONE.into()));
            };
            if owner.is_some_and(|id| id != local.id) {
                return Err(Failure(WRONG_THREAD.into()));
            }
            local.run(f)
        })
        .unwrap_or_else(|_| Err(Failure(GONE.into())))
}

/// Runs `f` on this thread's loop (made on first use): for calls that name
/// no channel.
pub(crate) fn with<T>(f: impl FnOnce(&mut Reactor) -> Result<T>) -> Outcome<T> {
    access(None, |_, r, _| f(r))
}

/// Runs `f` on this thread's loop (made on first use) with the faces'
/// bookkeeping: for the calls that drain messages, open and close.
pub(crate) fn with_faces<T>(f: impl FnOnce(&mut Reactor, &mut Faces) -> Result<T>) -> Outcome<T> {
    access(None, |_, r, faces| f(r, faces))
}

/// Ends this thread's loop: every channel closes, without events (the C
/// API's `mnet_fini`). The next call makes a new loop.
pub(crate) fn end() -> Outcome<()> {
    let local = LOCAL
        .try_with(|cell| {
            cell.try_borrow_mut()
                .map(|mut slot| slot.take())
                .map_err(|_| Failure::from(Error::InvalidArgument("mnet called re-entrantly on this thread")))
        })
        .unwrap_or(Ok(None))?;
    if let Some(local) = local {
        let _ = catch_unwind(AssertUnwindSafe(move || drop(local)));
    }
    Ok(())
}

/// Runs `f` on this thread's loop and returns its id with the result: for
/// `chann_open`, whose Chann carries the id from then on.
pub(crate) fn with_id<T>(f: impl FnOnce(&mut Reactor) -> Result<T>) -> Outcome<(u32, T)> {
    access(None, |id, r, _| f(r).map(|v| (id, v)))
}

/// Runs `f` on the loop `owner`, which must be this thread's.
pub(crate) fn with_owner<T>(owner: u32, f: impl FnOnce(&mut Reactor) -> Result<T>) -> Outcome<T> {
    access(Some(owner), |_, r, _| f(r))
}

/// Closes channel `raw` of loop `owner`: at once on the owning thread;
/// from another thread by handing it to the owner, which closes it before
/// it hands out another message. A loop that is gone (its thread exited or
/// is exiting) closed its channels already: nothing to do.
pub(crate) fn close(owner: u32, raw: u64) -> Outcome<()> {
    let mine = LOCAL
        .try_with(|cell| {
            cell.try_borrow()
                .map(|slot| slot.as_ref().is_some_and(|l| l.id == owner))
                .unwrap_or(false)
        })
        .unwrap_or(false);
    if mine {
        return with_owner(owner, |r| r.close(Handle::from_raw(raw)));
    }
    let inboxes = lock(&INBOXES);
    if let Some(inbox) = inboxes.get(&owner) {
        let mut closes = lock(&inbox.closes);
        closes.push(raw);
        inbox.pending.store(true, Ordering::Release);
    }
    Ok(())
}

/// Leaves `msg` for `last_error()`; lost when the thread is exiting.
pub(crate) fn set_last_error(msg: &str) {
    let _ = LAST_ERROR.try_with(|e| {
        if let Ok(mut e) = e.try_borrow_mut() {
            e.clear();
            e.push_str(msg);
        }
    });
}

/// This thread's last error.
pub(crate) fn last_error() -> String {
    LAST_ERROR
        .try_with(|e| e.try_borrow().map(|e| e.clone()).unwrap_or_default())
        .unwrap_or_else(|_| GONE.to_owned())
}
