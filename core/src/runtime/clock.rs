//! Wall-clock nanoseconds for span times.

#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
mod tsc;

/// Nanoseconds since the Unix epoch: from the CPU's time-stamp counter where it is a sound
/// clock (see `tsc`), else [`realtime_ns`]. Read on every span start and end.
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
#[inline]
pub fn now_ns() -> u64 {
    match tsc::now_ns() {
        Some(ns) => ns,
        None => realtime_ns(),
    }
}

/// Nanoseconds since the Unix epoch.
#[cfg(all(unix, not(all(target_os = "linux", target_arch = "x86_64"))))]
#[inline]
pub fn now_ns() -> u64 {
    realtime_ns()
}

/// Nanoseconds since the Unix epoch from `clock_gettime(CLOCK_REALTIME)` (vDSO, no syscall on
/// Linux). Read directly: `SystemTime::now().duration_since(UNIX_EPOCH)` adds checked timespec
/// arithmetic.
#[cfg(unix)]
#[inline]
pub(crate) fn realtime_ns() -> u64 {
    clock_ns(libc::CLOCK_REALTIME)
}

/// In a forked child: drops a time-stamp counter anchor the parent was replacing at the fork.
pub(crate) fn after_fork() {
    #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
    tsc::after_fork();
}

/// Nanoseconds of `clock`, 0 if it cannot be read.
#[cfg(unix)]
#[inline]
fn clock_ns(clock: libc::clockid_t) -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the callers pass clocks Linux always has.
    if unsafe { libc::clock_gettime(clock, &mut ts) } != 0 || ts.tv_sec < 0 {
        return 0;
    }
    (ts.tv_sec as u64)
        .wrapping_mul(1_000_000_000)
        .wrapping_add(ts.tv_nsec as u64)
}

/// Nanoseconds since the Unix epoch.
#[cfg(not(unix))]
#[inline]
pub fn now_ns() -> u64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

/// Nanoseconds of the monotonic clock libuv reads for Node's `process.hrtime` (CLOCK_MONOTONIC
/// on Linux), so a binding can time a span's start without a call into the core.
#[cfg(unix)]
#[inline]
pub fn monotonic_ns() -> u64 {
    clock_ns(libc::CLOCK_MONOTONIC)
}

/// Monotonic nanoseconds (since an arbitrary origin).
#[cfg(not(unix))]
#[inline]
pub fn monotonic_ns() -> u64 {
    use std::sync::OnceLock;
    use std::time::Instant;
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    ORIGIN.get_or_init(Instant::now).elapsed().as_nanos() as u64
}

/// `(wall-clock time of the earlier monotonic reading `mono`, wall-clock now)`: now minus the
/// time elapsed since `mono`. Reading both clocks here (not anchoring them once) keeps span
/// times right when the wall clock is adjusted, and the duration as exact as the monotonic
/// clock. A reading from the future (another clock) counts as now.
#[inline]
pub fn wall_ns_at(mono: u64) -> (u64, u64) {
    let now = ClockPair::now();
    (now.wall_of(mono), now.wall)
}

/// One reading of both clocks, to map earlier monotonic readings to wall-clock time as
/// [`wall_ns_at`] does; read once for many readings taken moments apart (a batch of spans).
///
/// ```
/// use ferrotrace_core::runtime::{monotonic_ns, ClockPair};
/// let mono = monotonic_ns();
/// let now = ClockPair::now();
/// assert!(now.wall_of(mono) <= now.wall);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct ClockPair {
    /// Wall-clock time of the reading, unix ns.
    pub wall: u64,
    mono: u64,
}

impl ClockPair {
    #[inline]
    pub fn now() -> Self {
        ClockPair {
            wall: now_ns(),
            mono: monotonic_ns(),
        }
    }

    /// The wall-clock time of the monotonic reading `mono` (taken before this pair): the wall
    /// time minus the time elapsed since. A reading from the future counts as now.
    #[inline]
    pub fn wall_of(self, mono: u64) -> u64 {
        self.wall.saturating_sub(self.mono.saturating_sub(mono))
    }
}

#[cfg(test)]
mod tests;
