//! Calls that can only start sampled-out traces: with a sampling ratio of 0, no tail rule and no
//! function that asks for a ratio of its own, every root is sampled out whatever its trace id,
//! and so is everything it starts. A binding may then run such a call without a span (no id,
//! clock read, record or active-span bookkeeping) and have it counted here as the span and trace
//! that `start_root` would have started and sampled out.

use std::cell::Cell;
use std::sync::atomic::Ordering;

use super::Tracer;
use crate::process::TailRule;
use crate::stats::Stats;

thread_local! {
    /// How many span-less unsampled calls this thread is inside. Sync calls nest on their
    /// thread, so one inside another is a descendant of it: a span of the same trace, not a
    /// trace of its own (what `start_child` under an unsampled root counts).
    static DEPTH: Cell<u32> = const { Cell::new(0) };
}

/// Ends the call, also when it unwinds: restores the depth, counts the span as ended.
struct Nested<'a>(&'a Stats);

impl Drop for Nested<'_> {
    fn drop(&mut self) {
        DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
        self.0.spans.ended();
    }
}

/// Whether this thread is inside a span-less unsampled call: a root sampled out here is that
/// call's descendant, counted as a span of its trace and not as a trace of its own.
#[inline]
pub(super) fn inside() -> bool {
    DEPTH.with(|d| d.get() > 0)
}

impl Tracer {
    /// Whether every root started from now on would be sampled out, whatever its trace id: the
    /// configured ratio is 0, the tail rule is off, and no function was registered with a
    /// positive ratio override ([`Tracer::note_ratio_override`]). Remote parents are the
    /// caller's to rule out (a `traceparent` carries its own decision).
    #[inline]
    pub fn roots_never_sampled(&self) -> bool {
        let inner = &self.inner;
        inner.sampling_ratio.load(Ordering::Relaxed) == 0f64.to_bits()
            && !TailRule(inner.tail_rule.load(Ordering::Relaxed)).is_on()
            && !inner.positive_override.load(Ordering::Relaxed)
    }

    /// Records a per-function sampling ratio when the function is declared (not per call): a
    /// positive one means a root started inside another call may be sampled, so
    /// [`Tracer::roots_never_sampled`] stays false from then on.
    pub fn note_ratio_override(&self, ratio: f64) {
        if ratio > 0.0 || ratio.is_nan() {
            self.inner.positive_override.store(true, Ordering::Relaxed);
        }
    }

    /// Runs `f` as a span that was sampled out, without starting one: counted in
    /// `spans_started` / `spans_ended`, and in `traces_started` / `traces_sampled_out` unless
    /// it runs inside another such call on this thread (then it is that trace's descendant).
    /// Only for callers that checked [`Tracer::roots_never_sampled`] and have no active span.
    pub fn run_unsampled<R>(&self, f: impl FnOnce() -> R) -> R {
        let stats = &self.inner.stats;
        stats.spans.started();
        let outer = DEPTH.with(|d| {
            let depth = d.get();
            d.set(depth.saturating_add(1));
            depth == 0
        });
        if outer {
            Stats::inc(&stats.traces_started);
            Stats::inc(&stats.traces_sampled_out);
        }
        let _nested = Nested(stats);
        f()
    }
}

#[cfg(test)]
mod tests;
