//! Plain data: ids, spans, traces, JSON text, and MLflow's serialized forms.

pub mod caps;
mod dict;
mod dict_json;
mod from_dict;
mod ids;
pub mod json;
pub mod keys;
mod name;
mod span;
#[cfg(test)]
pub(crate) mod test_traces;
mod trace;

pub use dict::{DataDict, EventDict, InfoDict, SpanDict, StatusDict, TraceDict};
pub(crate) use dict_json::python_sizes;
pub use dict_json::{write_trace_dict, write_trace_dict_with, Location};
pub use ids::{reseed_ids, SpanId, TraceId, TraceParent, TRACE_ID_PREFIX};
pub use json::RawJson;
pub use name::SpanName;
pub use span::{Attributes, SpanEvent, SpanLink, SpanRecord, SpanStatus, StatusCode};
pub use trace::{
    parse_rfc3339_ms, push_rfc3339_ms, rfc3339_ms, root_span, SharedMetadata, SpanList, Trace,
    TraceInfo, TraceState,
};
