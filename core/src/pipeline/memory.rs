//! Handing freed heap memory back to the OS after a burst of traces.
//!
//! A burst is allocated on the application's threads and freed on the worker and overflow
//! threads. glibc keeps the freed pages in its arenas. Without a trim, a process that once queued
//! 100,000 traces keeps that RSS (~150 MiB) for good; trimming returns it.

use std::time::{Duration, Instant};

/// After this many estimated bytes of traces have passed through the pipeline, the worker
/// trims once the pipeline has been idle for [`TRIM_AFTER_QUIET`].
const TRIM_AFTER_BYTES: u64 = 16 << 20;

/// How long the pipeline must have had nothing to do before a trim. Trimming as soon as the
/// queue runs empty would run between two bursts a moment apart, or whenever a worker that keeps
/// up drains the queue: glibc's trim holds each arena's lock while it runs (an allocating
/// application thread waits), and the pages it returns are faulted back in by the very next
/// traces. The worker wakes at least every 200 ms, so a trim comes within ~0.7 s of the end of a
/// burst.
const TRIM_AFTER_QUIET: Duration = Duration::from_millis(500);

/// Counts the bytes of traces the pipeline handled since the last trim, and when it last did.
pub(crate) struct Trimmer {
    since: u64,
    last_busy: Instant,
}

impl Default for Trimmer {
    fn default() -> Self {
        Trimmer {
            since: 0,
            last_busy: Instant::now(),
        }
    }
}

impl Trimmer {
    /// `bytes` (an estimate) of traces were handled and will be freed.
    pub(crate) fn handled(&mut self, bytes: u64) {
        if bytes > 0 {
            self.since = self.since.saturating_add(bytes);
            self.last_busy = Instant::now();
        }
    }

    /// The pipeline has nothing to do right now: trim if a burst went through since the last
    /// trim and nothing came for a while.
    pub(crate) fn idle(&mut self) {
        self.idle_at(Instant::now());
    }

    fn idle_at(&mut self, now: Instant) {
        if self.since >= TRIM_AFTER_BYTES && now.duration_since(self.last_busy) >= TRIM_AFTER_QUIET
        {
            self.since = 0;
            release_free_memory();
        }
    }
}

fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks glibc's own arenas, under their locks.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(test)]
mod tests;
