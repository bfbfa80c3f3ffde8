//! Trace-level sampling, decided once at the root from the trace id.

use crate::model::TraceId;

/// Whether a trace with this id is kept at `ratio`. Deterministic on the id and the same rule as
/// OpenTelemetry's `TraceIdRatioBased` sampler (low 64 bits below `ratio * 2^64`), so services
/// sharing a trace id and a ratio make the same decision.
///
/// ```
/// use ferrotrace_core::{model::TraceId, process::sampled};
/// assert!(sampled(TraceId(u128::MAX), 1.0));
/// assert!(!sampled(TraceId(1), 0.0));
/// ```
#[inline]
pub fn sampled(id: TraceId, ratio: f64) -> bool {
    if ratio >= 1.0 {
        return true;
    }
    if ratio <= 0.0 {
        return false;
    }
    let bound = (ratio * 2f64.powi(64)).round() as u64;
    (id.0 as u64) < bound
}

/// The opt-in tail rule, packed into one word so every root reads it with one atomic load:
/// bit 63 keeps errors, bits 0..63 hold the slowness threshold in ns + 1 (0: none). 0 is off.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TailRule(pub u64);

impl TailRule {
    const ERRORS: u64 = 1 << 63;

    pub fn new(settings: &crate::config::TailSampling) -> TailRule {
        let slow = settings.keep_slower_than.map_or(0, |d| {
            (d.as_nanos().min(u128::from(Self::ERRORS - 2)) as u64) + 1
        });
        TailRule(
            if settings.keep_errors {
                Self::ERRORS
            } else {
                0
            } | slow,
        )
    }

    #[inline]
    pub fn is_on(self) -> bool {
        self.0 != 0
    }

    /// Whether a trace the ratio dropped is kept anyway, decided when it is sealed.
    pub fn keeps(self, error: bool, duration_ns: u64) -> bool {
        let slow = self.0 & !Self::ERRORS;
        (error && self.0 & Self::ERRORS != 0) || (slow != 0 && duration_ns >= slow - 1)
    }
}

#[cfg(test)]
mod tests;
