//! The environment fallback of an explicit `init(options)` call (Node's `init`, MLflow's
//! TypeScript SDK): each setting not given as an option is read from its variable. Options were
//! validated strictly by the caller; a variable is not: as at startup, an unusable one is
//! skipped with a warning, so a typo in a deployment never stops the application.

use super::{validate_tracking_uri, ConfigUpdate, Secret};

/// Every variable [`ConfigUpdate::fill_from_init_env`] reads, so a binding can pass exactly
/// these (Node passes them from `process.env`, which a worker thread may hold apart from the
/// process environment).
pub const INIT_ENV: [&str; 22] = [
    "MLFLOW_TRACKING_URI",
    "MLFLOW_EXPERIMENT_ID",
    "MLFLOW_EXPERIMENT_NAME",
    "MLFLOW_TRACKING_USERNAME",
    "MLFLOW_TRACKING_PASSWORD",
    "MLFLOW_TRACKING_TOKEN",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_HEADERS",
    "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
    "OTEL_EXPORTER_OTLP_COMPRESSION",
    "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION",
    "OTEL_EXPORTER_OTLP_TIMEOUT",
    "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
    "OTEL_EXPORTER_OTLP_PROTOCOL",
    "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
    "OTEL_SERVICE_NAME",
    "OTEL_RESOURCE_ATTRIBUTES",
    "MLFLOW_ENABLE_OTLP_EXPORTER",
    "MLFLOW_TRACE_ENABLE_OTLP_DUAL_EXPORT",
    "FERROTRACE_OTLP_SEMCONV",
    "MLFLOW_ENABLE_OTEL_GENAI_SEMCONV",
];

impl ConfigUpdate {
    /// Fills the server, experiment, credential and OTLP settings not given from the variables
    /// read through `get`. Returns the warnings for unusable variables (each names it).
    ///
    /// ```
    /// use ferrotrace_core::config::ConfigUpdate;
    /// let mut u = ConfigUpdate { experiment_name: Some("mine".into()), ..Default::default() };
    /// let env = |k: &str| match k {
    ///     "MLFLOW_TRACKING_URI" => Some("http://127.0.0.1:5000".to_owned()),
    ///     "MLFLOW_EXPERIMENT_ID" => Some("7".to_owned()),
    ///     _ => None,
    /// };
    /// assert!(u.fill_from_init_env(&env).is_empty());
    /// assert_eq!(u.tracking_uri.as_deref(), Some("http://127.0.0.1:5000"));
    /// // An experiment given by name keeps it: the variable's id does not replace it.
    /// assert_eq!((u.experiment_id, u.experiment_name.as_deref()), (None, Some("mine")));
    /// ```
    pub fn fill_from_init_env(&mut self, get: &dyn Fn(&str) -> Option<String>) -> Vec<String> {
        let var = |k: &str| {
            get(k)
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
        };
        let mut warnings = Vec::new();
        if self.tracking_uri.is_none() {
            if let Some(uri) = var("MLFLOW_TRACKING_URI") {
                match validate_tracking_uri(&uri, "MLFLOW_TRACKING_URI") {
                    Ok(_) => self.tracking_uri = Some(uri),
                    Err(e) => warnings.push(e.to_string()),
                }
            }
        }
        if self.experiment_id.is_none() && self.experiment_name.is_none() {
            // The id wins over the name, as when both variables are read at startup.
            self.experiment_id = var("MLFLOW_EXPERIMENT_ID");
            if self.experiment_id.is_none() {
                self.experiment_name = var("MLFLOW_EXPERIMENT_NAME");
            }
        }
        for (slot, name) in [
            (&mut self.username, "MLFLOW_TRACKING_USERNAME"),
            (&mut self.password, "MLFLOW_TRACKING_PASSWORD"),
            (&mut self.token, "MLFLOW_TRACKING_TOKEN"),
        ] {
            if slot.is_none() {
                *slot = var(name).map(Secret::new);
            }
        }
        self.otlp.fill_from_env(&var, &mut warnings);
        warnings
    }
}
