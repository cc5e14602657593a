//! No program ends while one of its stores is still closing.
//!
//! SQLCipher frees its private heap (where each connection's keys and
//! cipher context live), its mutexes and its crypto provider at process
//! exit, from an `atexit` handler and a `.fini_array` entry. sqlx closes each
//! SQLite connection on a thread of its own, so a store dropped just before
//! a program ends could still be closing when that clean-up runs: the close
//! then reads freed memory and the process crashes on its way out (seen: a
//! SIGSEGV in `sqlite3FreeCodecArg` after a test's last assertion, about one
//! run in fifteen).
//!
//! So a [`Store`](crate::Store) dropped without [`close`](crate::Store::close)
//! closes its pools on a thread of its own, and an exit handler registered
//! after SQLCipher's (handlers run last registered first) waits for those
//! threads, for at most [`EXIT_WAIT`].

use std::sync::{Mutex, Once};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use sqlx::SqlitePool;

/// The longest a program's exit waits for its stores to close.
pub const EXIT_WAIT: Duration = Duration::from_secs(5);

static CLOSING: Mutex<Vec<JoinHandle<()>>> = Mutex::new(Vec::new());
static REGISTERED: Once = Once::new();

/// Closes `pools` on a thread of their own; the program's exit waits for it.
pub(crate) fn close_in_background(pools: Vec<SqlitePool>) {
    let closer = std::thread::Builder::new()
        .name("steady-store-close".into())
        .spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async {
                for pool in pools {
                    pool.close().await;
                }
            });
        });
    if let Ok(closer) = closer {
        CLOSING
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(closer);
    }
}

/// Registers the exit handler, once, after the first connection opened (and
/// so after SQLCipher registered its own).
pub(crate) fn wait_at_exit() {
    REGISTERED.call_once(|| {
        // SAFETY: `atexit` takes a function pointer to an `extern "C"`
        // function of no arguments, which `wait_for_closing` is; it never
        // unwinds (it does not panic).
        #[allow(unsafe_code)]
        unsafe {
            libc::atexit(wait_for_closing);
        }
    });
}

extern "C" fn wait_for_closing() {
    let closers = std::mem::take(&mut *CLOSING.lock().unwrap_or_else(|p| p.into_inner()));
    let deadline = Instant::now() + EXIT_WAIT;
    for closer in closers {
        while !closer.is_finished() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(2));
        }
        if closer.is_finished() {
            let _ = closer.join();
        }
    }
}
