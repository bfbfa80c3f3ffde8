//! Handing freed heap memory back to the OS after a burst of traces.
//!
//! A burst is allocated on the application's threads and freed on the worker and overflow
//! threads. glibc keeps the freed pages in its arenas. Without a trim, a process that once queued
//! 100,000 traces keeps that RSS (~150 MiB) for good; trimming returns it.

/// After this many estimated bytes of traces have passed through the pipeline, the worker
/// trims when the pipeline next goes idle. glibc's trim holds each arena's lock while it runs,
/// so it never runs during a burst.
const TRIM_AFTER_BYTES: u64 = 16 << 20;

/// Counts the bytes of traces the pipeline handled since the last trim.
#[derive(Default)]
pub(crate) struct Trimmer {
    since: u64,
}

impl Trimmer {
    /// `bytes` (an estimate) of traces were handled and will be freed.
    pub(crate) fn handled(&mut self, bytes: u64) {
        self.since = self.since.saturating_add(bytes);
    }

    /// The pipeline has nothing to do: trim if a burst went through since the last time.
    pub(crate) fn idle(&mut self) {
        if self.since >= TRIM_AFTER_BYTES {
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
mod tests {
    use super::*;

    #[test]
    fn trims_only_after_a_burst() {
        let mut t = Trimmer::default();
        t.handled(TRIM_AFTER_BYTES - 1);
        t.idle();
        assert_eq!(
            t.since,
            TRIM_AFTER_BYTES - 1,
            "below the threshold: no trim"
        );
        t.handled(1);
        t.idle();
        assert_eq!(t.since, 0);
    }
}
