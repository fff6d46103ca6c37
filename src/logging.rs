//! Log records for the C++ face, without Rust ever calling C++.
//!
//! mnet logs through the `log` crate (`log::error!`, `log::info!`, ...), so
//! a Rust program picks its own logger. A C++ program cannot install one,
//! so the bridge installs [`QueueLogger`]: it formats each record and keeps
//! it in a queue of the thread that logged it, and the C++ face drains that
//! queue into the user's callback after each `pollEvent` and setup call
//! (`mnet::setLog`). Records stay on their thread, in order; a thread that
//! never drains keeps only the last [`MAX_QUEUED`] and counts the rest.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

/// Records kept per thread between drains.
pub(crate) const MAX_QUEUED: usize = 1024;

/// m_net's levels, as the C++ face numbers them.
pub(crate) const OFF: i32 = 0;
pub(crate) const ERROR: i32 = 1;
pub(crate) const INFO: i32 = 2;
pub(crate) const VERBOSE: i32 = 3;

#[derive(Default)]
struct Queue {
    records: VecDeque<(i32, String)>,
    dropped: u64,
}

thread_local! {
    static QUEUE: RefCell<Queue> = RefCell::new(Queue::default());
}

/// The `log::Log` that queues records for the C++ face.
struct QueueLogger;

static LOGGER: QueueLogger = QueueLogger;
/// Whether our logger is the process's (set once, on first use).
static OURS: OnceLock<bool> = OnceLock::new();
/// Whether the program chose a level (then the default leaves it alone).
static LEVEL_SET: AtomicBool = AtomicBool::new(false);

impl log::Log for QueueLogger {
    fn enabled(&self, m: &log::Metadata<'_>) -> bool {
        m.level() <= log::max_level()
    }

    fn log(&self, r: &log::Record<'_>) {
        if !self.enabled(r.metadata()) {
            return;
        }
        let level = match r.level() {
            log::Level::Error => ERROR,
            log::Level::Warn | log::Level::Info => INFO,
            log::Level::Debug | log::Level::Trace => VERBOSE,
        };
        let text = if r.level() == log::Level::Warn {
            format!("warning: {}", r.args())
        } else {
            r.args().to_string()
        };
        // A record logged while the thread is being torn down is lost.
        let _ = QUEUE.try_with(|q| {
            let Ok(mut q) = q.try_borrow_mut() else {
                return;
            };
            if q.records.len() >= MAX_QUEUED {
                q.records.pop_front();
                q.dropped += 1;
            }
            q.records.push_back((level, text));
        });
    }

    fn flush(&self) {}
}

/// Makes the queueing logger the process's logger, once; false when the
/// program installed another `log` logger first (then records go there).
pub(crate) fn install() -> bool {
    *OURS.get_or_init(|| log::set_logger(&LOGGER).is_ok())
}

/// The level a C++ program gets until it calls `setLog`: errors.
pub(crate) fn install_default() {
    static DEFAULT: OnceLock<()> = OnceLock::new();
    DEFAULT.get_or_init(|| {
        if install() && !LEVEL_SET.load(Ordering::SeqCst) {
            log::set_max_level(log::LevelFilter::Error);
        }
    });
}

/// Sets the level (`OFF`..`VERBOSE`); false when another logger owns the
/// process (the level is set all the same).
pub(crate) fn set_level(level: i32) -> bool {
    let ours = install();
    LEVEL_SET.store(true, Ordering::SeqCst);
    log::set_max_level(match level {
        i32::MIN..=OFF => log::LevelFilter::Off,
        ERROR => log::LevelFilter::Error,
        INFO => log::LevelFilter::Info,
        _ => log::LevelFilter::Trace,
    });
    ours
}

/// The oldest record queued on this thread: (level, text). After records
/// were dropped, a note saying how many comes first.
pub(crate) fn next() -> Option<(i32, String)> {
    QUEUE.with(|q| {
        let mut q = q.borrow_mut();
        if q.dropped > 0 {
            let n = std::mem::take(&mut q.dropped);
            return Some((
                ERROR,
                format!("{n} log records dropped (more than {MAX_QUEUED} between drains)"),
            ));
        }
        q.records.pop_front()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_queue_per_thread_in_order_and_overflow_is_counted() {
        assert!(set_level(INFO), "no other logger in the unit tests");
        while next().is_some() {}
        log::error!("first");
        log::warn!("second");
        log::debug!("not at INFO");
        assert_eq!(next(), Some((ERROR, "first".to_owned())));
        assert_eq!(next(), Some((INFO, "warning: second".to_owned())));
        assert_eq!(next(), None);

        std::thread::spawn(|| {
            for i in 0..MAX_QUEUED + 5 {
                log::info!("r{i}");
            }
            let (level, note) = next().unwrap();
            assert_eq!(level, ERROR);
            assert!(note.starts_with("5 log records dropped"), "{note}");
            assert_eq!(next(), Some((INFO, "r5".to_owned())));
        })
        .join()
        .unwrap();
        assert_eq!(next(), None, "the other thread's records stayed there");
        set_level(OFF);
        log::error!("off");
        assert_eq!(next(), None);
    }
}
