//! The lock of an open trace's span list: every span end takes it once, almost always
//! uncontended, for a push onto a vector.
//!
//! A mutex that may park waiters must release with a read-modify-write (to learn whether anyone
//! is parked); this one never parks, so its release is a plain store and a span end pays one
//! locked instruction instead of two. Waiters spin briefly, then yield the CPU, then sleep
//! between tries: the lock is normally held for well under a microsecond (a push, or taking
//! the list when the root ends), and two threads end spans of the same trace at the same
//! instant rarely.

use std::sync::atomic::{AtomicBool, Ordering};

use parking_lot::lock_api::{self, RawMutex as _};

/// A waiter spins this many times, then yields the CPU this many times, then sleeps between
/// tries.
const SPINS: u32 = 64;
const YIELDS: u32 = 64;

pub(crate) struct RawSpinLock(AtomicBool);

/// A spin lock guarding `T`, with the `lock_api` guard (unlocks on drop, also on unwind).
pub(crate) type SpinMutex<T> = lock_api::Mutex<RawSpinLock, T>;
pub(crate) type SpinGuard<'a, T> = lock_api::MutexGuard<'a, RawSpinLock, T>;

// SAFETY: `lock` and `try_lock` succeed only by swapping `false` for `true` (Acquire), so at
// most one holder exists; `unlock` (called only by the holder, per the trait contract) stores
// `false` with Release, publishing the holder's writes to the next holder.
unsafe impl lock_api::RawMutex for RawSpinLock {
    #[allow(clippy::declare_interior_mutable_const)]
    const INIT: RawSpinLock = RawSpinLock(AtomicBool::new(false));
    type GuardMarker = lock_api::GuardSend;

    #[inline]
    fn lock(&self) {
        if !self.try_lock() {
            self.lock_contended();
        }
    }

    #[inline]
    fn try_lock(&self) -> bool {
        self.0
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
    }

    #[inline]
    unsafe fn unlock(&self) {
        self.0.store(false, Ordering::Release);
    }

    #[inline]
    fn is_locked(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

impl RawSpinLock {
    #[cold]
    #[inline(never)]
    fn lock_contended(&self) {
        let mut tries = 0u32;
        loop {
            // Wait with plain loads (no cache-line ping-pong), then try again.
            while self.0.load(Ordering::Relaxed) {
                tries = tries.saturating_add(1);
                if tries <= SPINS {
                    std::hint::spin_loop();
                } else if tries <= SPINS + YIELDS {
                    // The holder may have been preempted: let it run.
                    std::thread::yield_now();
                } else {
                    // Held for long (a caller's `update_trace` closure, a trace timeout
                    // ending many spans): stop burning a CPU on it.
                    std::thread::sleep(std::time::Duration::from_micros(50));
                }
            }
            if self.try_lock() {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests;
