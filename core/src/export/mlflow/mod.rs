//! Export to an MLflow tracking server, as MLflow's own Python SDK does it (3.x, measured
//! against a 3.17.2 server):
//!
//! 1. the spans as OTLP protobuf, gzip'd, to `POST /v1/traces` with the header
//!    `x-mlflow-experiment-id` and typed attribute values ([`otlp`]);
//! 2. then per trace `POST /api/3.0/mlflow/traces` (StartTraceV3) with its metadata, tags,
//!    previews, state and timing ([`start_trace_body`]).
//!
//! The server's trace id is `tr-` + the hex of the OTLP trace id. [`MlflowClient`] is also the
//! REST client the bindings use (assessments, trace tags, experiment lookup) through
//! [`crate::Tracer`].

pub(crate) mod anyvalue;
mod client;
mod encode;
mod experiment;
pub(crate) mod exporter;
pub(crate) mod http;
pub mod otlp;
pub mod proto;
mod readback;
pub(crate) mod retry;
#[cfg(test)]
pub(crate) mod test_server;
mod trace_info;

pub use client::{
    encode_path_segment, Method, MlflowClient, EXPERIMENT_ID_HEADER, OTLP_TRACES_PATH,
};
pub use exporter::{MlflowExporter, DEFAULT_EXPERIMENT_ID, MAX_OTLP_BYTES};
pub use otlp::{build_request, encode_request, gzip, OtlpOptions};
pub use readback::trace_dict_from_server;
pub use retry::{Backoff, RetryPolicy, MLFLOW_MAX_BACKOFF};
pub use trace_info::{start_trace_body, write_start_trace_body, START_TRACE_PATH};
