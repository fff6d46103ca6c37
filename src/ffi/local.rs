//! This thread's event loop as the bridge sees it: the reactor, made on
//! first use, and the last error.
//!
//! * **Exit.** Thread-local destructors run before C++ static ones: a static
//!   `Chann` closed after its loop is gone finds nothing to close, silently.
//!   Every access goes through `try_with`, so none can panic then.

use std::any::Any;
use std::cell::RefCell;

use crate::{logging, Error, Handle, Reactor, Result};

/// Why a bridge call failed: the sentence `last_error()` returns.
#[derive(Debug)]
pub(super) struct Failure(pub(super) String);

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure(e.to_string())
    }
}

/// What a bridge body returns before `guard` turns it into a plain status.
pub(super) type Outcome<T> = std::result::Result<T, Failure>;

const GONE: &str = "mnet: this thread's event loop is gone (the thread is exiting)";

thread_local! {
    static REACTOR: RefCell<Option<Reactor>> = const { RefCell::new(None) };
    static LAST_ERROR: RefCell<String> = const { RefCell::new(String::new()) };
}

/// A panic's message, as far as it has one.
pub(super) fn panic_text(panic: &(dyn Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

/// Runs `f` on this thread's reactor (made on first use).
pub(super) fn with<T>(f: impl FnOnce(&mut Reactor) -> Result<T>) -> Outcome<T> {
    REACTOR
        .try_with(|cell| {
            let mut slot = cell
                .try_borrow_mut()
                .map_err(|_| Failure::from(Error::InvalidArgument("mnet called re-entrantly on this thread")))?;
            if slot.is_none() {
                logging::install_default();
                *slot = Some(Reactor::new().map_err(|e| Error::io("create the reactor (epoll_create)", e))?);
            }
            let Some(r) = slot.as_mut() else {
                return Err(Failure(GONE.into()));
            };
            f(r).map_err(Failure::from)
        })
        .unwrap_or_else(|_| Err(Failure(GONE.into())))
}

/// Closes channel `raw`. A loop that is gone (the thread is exiting) closed
/// its channels already: nothing to do.
pub(super) fn close(raw: u64) -> Outcome<()> {
    if REACTOR.try_with(|_| ()).is_err() {
        return Ok(());
    }
    with(|r| r.close(Handle::from_raw(raw)))
}

/// Leaves `msg` for `last_error()`; lost when the thread is exiting.
pub(super) fn set_last_error(msg: &str) {
    let _ = LAST_ERROR.try_with(|e| {
        if let Ok(mut e) = e.try_borrow_mut() {
            e.clear();
            e.push_str(msg);
        }
    });
}

/// This thread's last error.
pub(super) fn last_error() -> String {
    LAST_ERROR
        .try_with(|e| e.try_borrow().map(|e| e.clone()).unwrap_or_default())
        .unwrap_or_else(|_| GONE.to_owned())
}
