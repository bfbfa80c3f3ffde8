//! Wall-clock nanoseconds from the CPU's time-stamp counter, for span start and end times.
//!
//! `clock_gettime` through the vDSO is a serialized counter read, a sequence-counter check and
//! a conversion: about twice the cost of a plain `rdtsc`, and a span reads the clock twice. Here
//! one process-wide anchor (counter, wall-clock and monotonic time read together) maps the
//! counter to wall-clock time with a rate measured against `CLOCK_MONOTONIC`:
//! `real = anchor.real + (tsc - anchor.tsc) * mult >> 32`.
//!
//! Used only where the counter is a sound clock: an invariant counter (`constant_tsc` and
//! `nonstop_tsc`) that the kernel itself keeps as its clocksource (it switches away from a
//! counter its watchdog finds unsynchronized or unstable). Everywhere else, and until the rate
//! is measured, `None`: the caller reads `clock_gettime`.
//!
//! Staying close to the wall clock: an anchor is used for at most 8 times the interval its rate
//! was measured over, and at most [`WINDOW_NS`]; then the next reader takes a new one (a
//! wall-clock step or an NTP slew shows up within one window) and measures the rate again over
//! the window that ended. The counter takes over about a millisecond after the first span (the
//! first window is 8 ms, the next 64 ms, then 100 ms), and its error stays within 8 times one
//! sample's uncertainty (typically well under a microsecond; at most ~0.1 ms). A window whose
//! end the counter mispredicted by more than [`MAX_MISS_NS`] (against the monotonic clock,
//! which is never stepped) starts the measurement over; after [`MAX_MISSES`] such windows the
//! counter is given up for good. A new anchor starts where the old one may have left readers
//! and slews a lead over the wall clock away within its window, and a reader that meets an
//! anchor update in progress waits for it (a fraction of a microsecond; the clock if it takes
//! longer), so readings on one thread do not go back.

use std::sync::atomic::{fence, AtomicU64, AtomicU8, Ordering};

/// The longest an anchor is used: the longest a wall-clock step can go unnoticed.
const WINDOW_NS: u64 = 100_000_000;
/// An anchor is used for at most this many times the interval its rate was measured over, so
/// the error of one measurement (a sample's uncertainty, [`MAX_SAMPLE_TICKS`] at worst) is
/// multiplied by at most this much.
const WINDOW_PER_BASELINE: u64 = 8;
/// Shortest counter interval a rate is measured over (~1 ms at 2 GHz).
const MIN_BASELINE_TICKS: u64 = 1 << 21;
/// The counter reads around a sample's two clock reads must be this close, or the thread was
/// interrupted in between and the sample is retried.
const MAX_SAMPLE_TICKS: u64 = 1 << 14;
/// A window's end predicted further off than this means the counter misbehaved (or the
/// machine was suspended): the rate is measured anew.
const MAX_MISS_NS: u64 = 1_000_000;
/// Mispredicted windows after which the counter is not used again in this process.
const MAX_MISSES: u64 = 3;
/// The largest lead over the wall clock a new anchor takes over and slews away (see [`slew`]).
const MAX_LEAD_NS: u64 = 50_000;
/// How long a reader waits for another thread's anchor update (~0.2 µs of work) before it
/// reads the clock: 256 spin-loop hints, 1-30 µs depending on the CPU.
const WRITER_SPINS: u32 = 256;

const UNKNOWN: u8 = 0;
const OFF: u8 = 1;
const ON: u8 = 2;

/// Whether the counter is usable here (checked once, by the first reader).
static STATE: AtomicU8 = AtomicU8::new(UNKNOWN);
/// Sequence lock over the anchor: even when consistent, odd while being written.
static SEQ: AtomicU64 = AtomicU64::new(0);
static TSC_A: AtomicU64 = AtomicU64::new(0);
static REAL_A: AtomicU64 = AtomicU64::new(0);
static MONO_A: AtomicU64 = AtomicU64::new(0);
/// Nanoseconds per tick, 32.32 fixed point (0 until measured).
static MULT: AtomicU64 = AtomicU64::new(0);
/// Ticks the anchor is valid for; 0 while the rate is not known or not confirmed.
static LIMIT: AtomicU64 = AtomicU64::new(0);
/// No new anchor attempt before this counter value: keeps the fallback path at one clock read.
static RETRY_AT: AtomicU64 = AtomicU64::new(0);
/// Mispredicted windows so far.
static MISSES: AtomicU64 = AtomicU64::new(0);

#[inline(always)]
fn rdtsc() -> u64 {
    // SAFETY: RDTSC has no preconditions (x86_64 always has it; it never faults in user mode
    // unless the OS sets CR4.TSD, which Linux does only for seccomp-strict processes, where
    // `clock_gettime` would be refused too).
    #[allow(unused_unsafe)]
    unsafe {
        core::arch::x86_64::_rdtsc()
    }
}

/// Wall-clock nanoseconds from the counter, or `None` when the caller must read the clock.
#[inline]
pub(super) fn now_ns() -> Option<u64> {
    match read() {
        Some(ns) => Some(ns),
        None => slow(),
    }
}

/// The counter's time by the current anchor; `None` when there is no usable anchor (none yet,
/// expired, or being replaced).
#[inline(always)]
fn read() -> Option<u64> {
    let seq = SEQ.load(Ordering::Acquire);
    let limit = LIMIT.load(Ordering::Relaxed);
    if limit == 0 {
        return None;
    }
    let base = TSC_A.load(Ordering::Relaxed);
    let real = REAL_A.load(Ordering::Relaxed);
    let mult = MULT.load(Ordering::Relaxed);
    let tsc = rdtsc();
    // Orders the anchor loads before the second sequence load (the seqlock read protocol).
    fence(Ordering::Acquire);
    let d = tsc.wrapping_sub(base);
    // A counter value before the anchor (read before another thread's newer anchor) wraps
    // past `limit` and takes the slow path.
    if d < limit && seq & 1 == 0 && SEQ.load(Ordering::Relaxed) == seq {
        return Some(real + scale(d, mult));
    }
    None
}

/// `ticks` in nanoseconds at `mult`. `ticks * mult` stays below 2^64 within a window (`limit`
/// is ~`WINDOW_NS << 32 / mult`); u128 keeps it exact anyway at the cost of one `mul`.
#[inline(always)]
fn scale(ticks: u64, mult: u64) -> u64 {
    ((u128::from(ticks) * u128::from(mult)) >> 32) as u64
}

/// No usable anchor: set one up, renew an expired one, or leave the read to the clock.
#[cold]
#[inline(never)]
fn slow() -> Option<u64> {
    if STATE.load(Ordering::Relaxed) == OFF {
        return None;
    }
    let seq = SEQ.load(Ordering::Relaxed);
    if seq & 1 == 1 {
        return after_update();
    }
    if rdtsc() < RETRY_AT.load(Ordering::Relaxed) {
        // No new anchor due (the anchor was replaced while this reader read it, or the rate is
        // still being measured).
        return read();
    }
    if SEQ
        .compare_exchange(seq, seq + 1, Ordering::Acquire, Ordering::Relaxed)
        .is_err()
    {
        return after_update();
    }
    // The odd sequence is visible before any anchor store (the seqlock write protocol).
    fence(Ordering::Release);
    // Read again under the lock: another thread may have decided meanwhile.
    let now = match STATE.load(Ordering::Relaxed) {
        UNKNOWN if supported() => {
            STATE.store(ON, Ordering::Relaxed);
            reanchor()
        }
        UNKNOWN => {
            STATE.store(OFF, Ordering::Relaxed);
            None
        }
        ON => reanchor(),
        _ => None,
    };
    SEQ.store(seq + 2, Ordering::Release);
    now
}

/// Another thread is replacing the anchor (a fraction of a microsecond): waits for it and reads
/// the new one, rather than read the clock, which may stand a little behind the counter's time.
/// If it takes long (the writer was preempted), the clock.
#[cold]
fn after_update() -> Option<u64> {
    for _ in 0..WRITER_SPINS {
        if SEQ.load(Ordering::Relaxed) & 1 == 0 {
            return read();
        }
        std::hint::spin_loop();
    }
    None
}

/// Takes a new anchor and measures the rate since the last one. Runs under the sequence lock.
/// Returns the wall-clock time just read, when there was a good sample.
fn reanchor() -> Option<u64> {
    let Some((tsc, real, mono)) = sample() else {
        // Interrupted every time: try again soon (~30 µs at 2 GHz), meanwhile read the clock.
        RETRY_AT.store(rdtsc().wrapping_add(1 << 16), Ordering::Relaxed);
        return None;
    };
    let base = TSC_A.load(Ordering::Relaxed);
    let mono_a = MONO_A.load(Ordering::Relaxed);
    let dt = tsc.wrapping_sub(base);
    let old = MULT.load(Ordering::Relaxed);
    let old_limit = LIMIT.load(Ordering::Relaxed);
    // The latest time the old anchor may have given a reader: it was used up to `old_limit`.
    let given = REAL_A.load(Ordering::Relaxed) + scale(dt.min(old_limit), old);
    if base != 0 && dt < MIN_BASELINE_TICKS {
        // Too soon to measure a rate (a reader raced a fresh anchor): keep the anchor.
        RETRY_AT.store(base.wrapping_add(MIN_BASELINE_TICKS), Ordering::Relaxed);
        return Some(if dt < old_limit { given } else { real });
    }
    let mut mult = if base == 0 || dt > i64::MAX as u64 || mono <= mono_a {
        // First anchor, or the counter or the monotonic clock went back: start measuring anew.
        0
    } else {
        rate(dt, mono - mono_a)
    };
    // Judged only when the window just ended: after an idle stretch the old rate was never
    // used that far, and its small error, multiplied by hours, would look like a miss.
    if mult != 0 && old != 0 && dt <= old_limit.saturating_mul(2) && missed(old, dt, mono - mono_a)
    {
        let misses = MISSES.fetch_add(1, Ordering::Relaxed) + 1;
        if misses >= MAX_MISSES {
            STATE.store(OFF, Ordering::Relaxed);
        }
        mult = 0;
    }
    let limit = if mult == 0 {
        0
    } else {
        window_ticks(mult).min(dt.saturating_mul(WINDOW_PER_BASELINE))
    };
    let (real_a, mult_a) = if limit != 0 && old_limit != 0 {
        slew(real, given, mult, limit)
    } else {
        (real, mult)
    };
    TSC_A.store(tsc, Ordering::Relaxed);
    REAL_A.store(real_a, Ordering::Relaxed);
    MONO_A.store(mono, Ordering::Relaxed);
    MULT.store(mult_a, Ordering::Relaxed);
    LIMIT.store(limit, Ordering::Relaxed);
    RETRY_AT.store(tsc.wrapping_add(MIN_BASELINE_TICKS), Ordering::Relaxed);
    Some(real_a)
}

/// The new anchor's time and rate when the old anchor may have given readers up to `given`
/// while the wall clock now reads `real`. Ahead of the wall clock (by the old rate's small
/// error): the new anchor starts at `given`, so readings never go back, and runs slower by that
/// lead over its window of `limit` ticks, so it meets the wall clock again at the window's end.
/// A lead beyond [`MAX_LEAD_NS`] (not a rate error) is dropped at once.
fn slew(real: u64, given: u64, mult: u64, limit: u64) -> (u64, u64) {
    let lead = given.saturating_sub(real);
    if lead == 0 || lead > MAX_LEAD_NS {
        return (real, mult);
    }
    let window = scale(limit, mult).max(1);
    let slower = (u128::from(mult) * u128::from(lead) / u128::from(window)) as u64;
    (given, mult - slower.min(mult / 2))
}

/// In a forked child (only the forking thread exists): if another thread of the parent was
/// replacing the anchor at the fork, the sequence stays odd forever and the anchor may be half
/// written; start over from no anchor instead. Atomics only (runs in a `pthread_atfork`
/// handler).
pub(super) fn after_fork() {
    let seq = SEQ.load(Ordering::Relaxed);
    if seq & 1 == 1 {
        LIMIT.store(0, Ordering::Relaxed);
        MULT.store(0, Ordering::Relaxed);
        TSC_A.store(0, Ordering::Relaxed);
        MONO_A.store(0, Ordering::Relaxed);
        RETRY_AT.store(0, Ordering::Relaxed);
        SEQ.store(seq + 1, Ordering::Release);
    }
}

/// Counter, wall-clock and monotonic time read together: the counter value halfway between two
/// reads that bracket the clock reads closely (retried a few times if the thread was
/// interrupted in between).
fn sample() -> Option<(u64, u64, u64)> {
    for _ in 0..4 {
        let t1 = rdtsc();
        let real = super::realtime_ns();
        let mono = super::monotonic_ns();
        let t2 = rdtsc();
        let span = t2.wrapping_sub(t1);
        if span <= MAX_SAMPLE_TICKS && real != 0 && mono != 0 {
            return Some((t1 + span / 2, real, mono));
        }
    }
    None
}

/// Nanoseconds per tick in 32.32 fixed point, from `ns` nanoseconds over `ticks` ticks (0 if out
/// of range: a counter slower than 1 tick per 4 ns or faster than 2^32 per ns is not used).
fn rate(ticks: u64, ns: u64) -> u64 {
    let mult = (u128::from(ns) << 32) / u128::from(ticks.max(1));
    if mult == 0 || mult >= 1 << 34 {
        return 0;
    }
    mult as u64
}

/// Whether the rate `mult` of the window that ended predicted its length (`ticks`, `ns` by
/// the monotonic clock) off by more than [`MAX_MISS_NS`].
fn missed(mult: u64, ticks: u64, ns: u64) -> bool {
    scale(ticks, mult).abs_diff(ns) > MAX_MISS_NS
}

/// Ticks in one [`WINDOW_NS`] at `mult`.
fn window_ticks(mult: u64) -> u64 {
    ((u128::from(WINDOW_NS) << 32) / u128::from(mult.max(1))).clamp(1, u128::from(u64::MAX >> 1))
        as u64
}

/// An invariant counter the kernel uses as its clocksource. `FERROTRACE_CLOCK=system` turns
/// the counter off (every time read is a `clock_gettime`); `auto` (the default) uses it where
/// it qualifies.
fn supported() -> bool {
    match std::env::var("FERROTRACE_CLOCK").as_deref() {
        Ok("system") => return false,
        Ok("auto") | Err(std::env::VarError::NotPresent) => {}
        Ok(other) => crate::diag::warn(
            "config",
            format!(
                "invalid value for FERROTRACE_CLOCK: {other:?} (use auto or system); using auto"
            ),
        ),
        Err(std::env::VarError::NotUnicode(_)) => crate::diag::warn(
            "config",
            "invalid value for FERROTRACE_CLOCK (not UTF-8; use auto or system); using auto",
        ),
    }
    let clocksource =
        std::fs::read_to_string("/sys/devices/system/clocksource/clocksource0/current_clocksource")
            .unwrap_or_default();
    clocksource.trim() == "tsc" && invariant_tsc()
}

/// `constant_tsc` and `nonstop_tsc` among the first CPU's flags in `/proc/cpuinfo`.
fn invariant_tsc() -> bool {
    use std::io::BufRead;
    let Ok(file) = std::fs::File::open("/proc/cpuinfo") else {
        return false;
    };
    for line in std::io::BufReader::new(file).lines() {
        let Ok(line) = line else { return false };
        if let Some(flags) = line.strip_prefix("flags") {
            let has = |f: &str| flags.split_whitespace().any(|x| x == f);
            return has("constant_tsc") && has("nonstop_tsc");
        }
    }
    false
}

#[cfg(test)]
mod tests;
