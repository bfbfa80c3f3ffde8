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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratio_holds_within_statistical_bounds() {
        let n = 20_000;
        let kept = (0..n).filter(|_| sampled(TraceId::random(), 0.25)).count();
        // 0.25 * 20000 = 5000, sd ~ 61: 6 sd either side.
        assert!((4630..=5370).contains(&kept), "{kept}");
    }
}
