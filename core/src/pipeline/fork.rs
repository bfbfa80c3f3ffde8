//! Fork safety. A forked child has no export thread (threads do not survive `fork`) and a copy
//! of its parent's id generator. A `pthread_atfork` child handler bumps a generation counter and
//! reseeds ids (and drops a half-written clock anchor); the tracer sees the new generation, abandons the inherited pipeline and starts
//! its own, and drops traces that were open in the parent (the parent exports those).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Once;

static GENERATION: AtomicU64 = AtomicU64::new(0);

/// Increases in every forked child.
#[inline]
pub fn generation() -> u64 {
    GENERATION.load(Ordering::Relaxed)
}

extern "C" fn in_child() {
    GENERATION.fetch_add(1, Ordering::Relaxed);
    crate::model::reseed_ids();
    crate::tracer::clock_after_fork();
    crate::tracer::after_fork();
}

/// Registers the child handler once per process.
pub fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        #[cfg(unix)]
        // SAFETY: registering a handler that only touches atomics and this thread's RNG.
        unsafe {
            libc::pthread_atfork(None, None, Some(in_child));
        }
    });
}
