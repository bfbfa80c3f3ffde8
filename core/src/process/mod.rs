//! Decisions applied to whole traces: sampling at the root, and the trace-level data MLflow
//! derives from the spans when a trace is sealed.

mod finalize;
mod preview;
mod sampling;

pub use finalize::{aggregate_cost, finalize_trace, truncate_with_suffix};
pub use preview::{preview, Role};
pub use sampling::sampled;
