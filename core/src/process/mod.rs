//! Decisions applied to whole traces: sampling at the root, redaction, and the trace-level data
//! MLflow derives from the spans when a trace is sealed.

mod finalize;
mod preview;
pub mod redact;
mod sampling;

use std::collections::BTreeMap;

pub(crate) use finalize::finalize_shared;
pub use finalize::{aggregate_cost, finalize_trace, truncate_with_suffix};
pub use preview::{preview, Role};
pub use redact::{LazyRedactor, Redactor};
pub use sampling::{sampled, TailRule};

use crate::model::{SharedMetadata, Trace};

/// Everything done to a sealed trace before any destination sees it: redaction first, then
/// MLflow's trace-level data (previews, `mlflow.traceInputs`/`Outputs`, token usage), which is
/// therefore derived from redacted values. The one call to make on a trace before exporting,
/// storing or spilling it. Returns the number of redactions. Running it twice changes nothing
/// more.
pub fn prepare_trace(
    trace: &mut Trace,
    process_metadata: &BTreeMap<String, String>,
    redactor: &Redactor,
) -> u64 {
    let n = redactor.redact_trace(trace);
    finalize_trace(trace, process_metadata);
    n
}

/// [`prepare_trace`] leaving `shared` out of the trace's metadata (see
/// [`finalize_shared`]): what the export worker does, passing `shared` along with the batch.
pub(crate) fn prepare_shared(
    trace: &mut Trace,
    shared: &SharedMetadata,
    redactor: &Redactor,
) -> u64 {
    let n = redactor.redact_trace(trace);
    finalize_shared(trace, shared);
    n
}
