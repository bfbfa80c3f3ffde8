//! Export to an MLflow tracking server, as MLflow's own Python SDK does it (3.x, measured
//! against a 3.17.2 server). This part: the spans as an OTLP protobuf request with typed
//! attribute values ([`otlp`]).

mod anyvalue;
pub mod otlp;
pub mod proto;

pub use otlp::{build_request, encode_request, gzip, OtlpOptions};
