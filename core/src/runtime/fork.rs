//! Fork safety. A forked child has no export thread (threads do not survive `fork`) and a copy
//! of its parent's id generator. A `pthread_atfork` child handler bumps a generation counter,
//! reseeds ids, drops a half-written clock anchor and runs the hook of the layer that installed
//! it (the tracer's: the traces open at the fork are the parent's). Whatever was made in another
//! generation (a pipeline, an HTTP client) is abandoned and made anew.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Once, OnceLock};

static GENERATION: AtomicU64 = AtomicU64::new(0);

/// Run in a forked child after the generation changed; set once (atomics only: it runs in the
/// fork handler).
static CHILD_HOOK: OnceLock<fn()> = OnceLock::new();

/// Increases in every forked child.
#[inline]
pub fn generation() -> u64 {
    GENERATION.load(Ordering::Relaxed)
}

extern "C" fn in_child() {
    GENERATION.fetch_add(1, Ordering::Relaxed);
    crate::model::reseed_ids();
    super::clock::after_fork();
    if let Some(hook) = CHILD_HOOK.get() {
        hook();
    }
}

/// Registers the child handler once per process, with `hook` (the first one given) to run in
/// each forked child. The hook may only touch atomics.
pub fn install(hook: fn()) {
    static ONCE: Once = Once::new();
    let _ = CHILD_HOOK.set(hook);
    ONCE.call_once(|| {
        #[cfg(unix)]
        // SAFETY: registering a handler that only touches atomics and this thread's RNG.
        unsafe {
            libc::pthread_atfork(None, None, Some(in_child));
        }
    });
}
