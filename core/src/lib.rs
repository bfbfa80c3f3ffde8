//! ferrotrace core: span model, hot-path tracer, lock-free hand-off to one export worker,
//! exporters (MLflow server, local store, memory), and the local store's format.
//!
//! With `MLFLOW_TRACKING_URI=http(s)://...` traces go to an MLflow tracking server the way
//! MLflow's own SDK sends them (OTLP spans, then StartTraceV3; see [`export::mlflow`]); without
//! it, to the local store.
//!
//! Bindings (Python, Node) hold the language's notion of the current span and call in here with
//! explicit parents:
//!
//! ```
//! use ferrotrace_core::{config::Config, tracer::{RootOptions, Tracer}, model::RawJson};
//! let tracer = Tracer::new(Config { memory: true, ..Config::default() });
//! let mut root = tracer.start_root("answer", RootOptions::default());
//! root.set_attribute("mlflow.spanInputs", RawJson::from_trusted(r#"{"q": "hi"}"#));
//! let child = tracer.start_child("retrieve", root.context(), None);
//! child.end(None);
//! root.end(None);
//! tracer.flush(std::time::Duration::from_secs(5));
//! assert_eq!(tracer.stats().traces_exported, 1);
//! ```

pub mod api;
pub mod config;
pub mod diag;
pub mod error;
pub mod export;
pub mod integrations;
pub mod model;
pub mod pipeline;
pub mod process;
pub mod runtime;
pub mod stats;
pub mod store;
pub mod tracer;
pub mod ui;

pub use error::{Error, Result};
pub use tracer::{global, LiveSpan, SpanContext, Tracer};
