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
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn holders_exclude_each_other_and_see_each_others_writes() {
        // Non-atomic read-modify-writes under the lock from 4 threads: any overlap loses counts.
        let m = Arc::new(SpinMutex::new((0u64, Vec::new())));
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let m = m.clone();
                std::thread::spawn(move || {
                    for i in 0..20_000u64 {
                        let mut g = m.lock();
                        let n = g.0;
                        std::hint::black_box(&n);
                        g.0 = n + 1;
                        if i.is_multiple_of(1000) {
                            g.1.push(t);
                        }
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let g = m.lock();
        assert_eq!(g.0, 80_000);
        assert_eq!(g.1.len(), 80);
    }

    #[test]
    fn a_panic_while_held_releases_the_lock() {
        let m = Arc::new(SpinMutex::new(1));
        let m2 = m.clone();
        let r = std::thread::spawn(move || {
            let _g = m2.lock();
            panic!("inside");
        })
        .join();
        assert!(r.is_err());
        assert!(m.try_lock().is_some());
        assert_eq!(*m.lock(), 1);
    }
}
