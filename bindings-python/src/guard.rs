//! Panics stop at the binding. A panic in the tracer's own code (a bug, or a case nobody
//! foresaw) must not reach user code, as an exception or by unwinding into CPython: [`guard`]
//! turns it into a counted, rate-limited warning (`internal_errors` in stats()) and a fallback,
//! and the traced call goes on. Tests reach the recovery paths by injecting a panic at a named
//! point ([`inject_panic`]).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU32, Ordering};

use pyo3::exceptions::PyValueError;
use pyo3::ffi;
use pyo3::prelude::*;

/// Runs `f`; if it panics, counts and warns about `what` and returns `fallback()` instead.
pub(crate) fn guard<T>(what: &str, f: impl FnOnce() -> T, fallback: impl FnOnce() -> T) -> T {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(v) => v,
        Err(_) => {
            // A panic between a failed C call and the clearing of its error would leave the
            // error set for the next call into Python to trip over.
            // SAFETY: the callers hold the GIL (they run inside a call from Python).
            unsafe { ffi::PyErr_Clear() };
            ferrotrace_core::global().count_internal_error(what);
            fallback()
        }
    }
}

/// Where a test can make the tracer panic.
#[derive(Clone, Copy)]
pub(crate) enum Point {
    /// Starting the span of a traced call (after the active span is read).
    Start = 0,
    /// Ending the span of a traced call (after the active span is restored).
    End = 1,
    /// Writing a value as JSON.
    Capture = 2,
}

const POINTS: [&str; 3] = ["start", "end", "capture"];

static PENDING: [AtomicU32; 3] = [AtomicU32::new(0), AtomicU32::new(0), AtomicU32::new(0)];

/// Panics if a test asked for a panic at `point` (one relaxed load otherwise).
#[inline]
pub(crate) fn fault(point: Point) {
    let n = &PENDING[point as usize];
    if n.load(Ordering::Relaxed) > 0
        && n.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| v.checked_sub(1))
            .is_ok()
    {
        panic!("ferrotrace: panic injected at {}", POINTS[point as usize]);
    }
}

/// For tests: the next `count` passes through `point` (`"start"`, `"end"`, `"capture"`) panic.
#[pyfunction]
pub(crate) fn _inject_panic(point: &str, count: u32) -> PyResult<()> {
    let i = POINTS
        .iter()
        .position(|p| *p == point)
        .ok_or_else(|| PyValueError::new_err(format!("unknown point {point:?}")))?;
    PENDING[i].store(count, Ordering::Relaxed);
    Ok(())
}
