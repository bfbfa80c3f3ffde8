//! The configuration view both bindings show (`ferrotrace._native.config()` in Python,
//! `getConfig()` in Node): the settings in force, never a credential. One function, so the two
//! languages cannot disagree; Node only renames the keys to camelCase.
//!
//! | key | value |
//! |---|---|
//! | `destination` | `"mlflow"` (a tracking server), `"local"` (the store folder) or `"memory"` |
//! | `local_dir` | the local store folder |
//! | `sampling_ratio` | the fraction of traces kept, 0..1 |
//! | `exit_timeout` | seconds the exit hook may spend delivering |
//! | `tracking_uri` | the MLflow tracking server (credentials removed), or `null` |
//! | `experiment_id`, `experiment_name` | the configured experiment, or `null` |
//! | `otlp_endpoint` | the OpenTelemetry collector traces go to (credentials removed), or `null` |
//! | `otlp_dual_export` | whether traces go to the collector and the MLflow destination both |
//! | `otlp_semconv` | the attribute convention sent to collectors: `mlflow`, `genai` or `openinference` |

use serde_json::{json, Value};

use crate::config::{split_userinfo, Config, Destination, OtlpMode};

/// The keys of [`config_view`], in order.
pub const KEYS: [&str; 10] = [
    "destination",
    "local_dir",
    "sampling_ratio",
    "exit_timeout",
    "tracking_uri",
    "experiment_id",
    "experiment_name",
    "otlp_endpoint",
    "otlp_dual_export",
    "otlp_semconv",
];

/// The settings of `cfg` as a JSON object with the keys of [`KEYS`] (see the module docs).
///
/// ```
/// use ferrotrace_core::{api::config_view, config::Config};
/// let cfg = Config { tracking_uri: Some("http://u:p@127.0.0.1:5000".into()), ..Config::default() };
/// let v = config_view::config_view(&cfg);
/// assert_eq!(v["destination"], "mlflow");
/// assert_eq!(v["tracking_uri"], "http://127.0.0.1:5000");
/// assert_eq!(v.as_object().unwrap().len(), config_view::KEYS.len());
/// ```
pub fn config_view(cfg: &Config) -> Value {
    let destination = match cfg.destination() {
        Destination::Memory => "memory",
        Destination::Local(_) => "local",
        Destination::Mlflow(_) => "mlflow",
    };
    let otlp_on = cfg.otlp.mode() != OtlpMode::Off;
    json!({
        "destination": destination,
        "local_dir": cfg.local_dir.to_string_lossy(),
        "sampling_ratio": cfg.sampling_ratio,
        "exit_timeout": cfg.exit_timeout.as_secs_f64(),
        // A URI may carry `user:password@`: never shown.
        "tracking_uri": cfg.tracking_uri.as_deref().map(|u| split_userinfo(u).0),
        "experiment_id": cfg.experiment_id,
        "experiment_name": cfg.experiment_name,
        "otlp_endpoint": cfg.otlp.endpoint.as_deref()
            .filter(|_| otlp_on)
            .map(|e| split_userinfo(e).0),
        "otlp_dual_export": cfg.otlp.dual_export,
        "otlp_semconv": cfg.otlp.semconv.as_str(),
    })
}
