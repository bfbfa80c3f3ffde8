// Configuration read from the environment and given in code: any value of any variable gives a
// configuration (with warnings naming the variables it could not use), never a panic; values
// given in code are accepted or refused with an error, never a panic.

use std::collections::HashMap;

use ferrotrace_core::config::{
    check_pattern, parse_patterns, validate_otlp_endpoint, validate_tracking_uri, Config,
    ConfigUpdate, NameStyle,
};

/// Every variable the configuration reads.
const VARS: &[&str] = &[
    "FERROTRACE_DESTINATION",
    "FERROTRACE_EXIT_TIMEOUT",
    "FERROTRACE_EXPORT_NICE",
    "FERROTRACE_LOCAL_DIR",
    "FERROTRACE_LOCAL_MAX_BYTES",
    "FERROTRACE_MAX_BATCH_TRACES",
    "FERROTRACE_MAX_QUEUE_BYTES",
    "FERROTRACE_MAX_QUEUE_TRACES",
    "FERROTRACE_PROBE_MAX_INTERVAL",
    "FERROTRACE_REDACT",
    "FERROTRACE_REDACT_PATTERNS",
    "FERROTRACE_SAMPLING_KEEP_ERRORS",
    "FERROTRACE_SAMPLING_KEEP_SLOWER_THAN_MS",
    "FERROTRACE_SPILL",
    "FERROTRACE_SPILL_DIR",
    "FERROTRACE_SPILL_MAX_BYTES",
    "FERROTRACE_SYNC_EXPORT_TIMEOUT",
    "HOME",
    "MLFLOW_ASYNC_TRACE_LOGGING_MAX_QUEUE_SIZE",
    "MLFLOW_ASYNC_TRACE_LOGGING_MAX_WORKERS",
    "MLFLOW_ASYNC_TRACE_LOGGING_RETRY_TIMEOUT",
    "MLFLOW_ENABLE_ASYNC_TRACE_LOGGING",
    "MLFLOW_ENABLE_OTLP_EXPORTER",
    "MLFLOW_EXPERIMENT_ID",
    "MLFLOW_EXPERIMENT_NAME",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR",
    "MLFLOW_HTTP_REQUEST_BACKOFF_JITTER",
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES",
    "MLFLOW_HTTP_REQUEST_TIMEOUT",
    "MLFLOW_HTTP_RESPECT_RETRY_AFTER_HEADER",
    "MLFLOW_TRACE_BUFFER_MAX_SIZE",
    "MLFLOW_TRACE_BUFFER_TTL_SECONDS",
    "MLFLOW_TRACE_ENABLE_OTLP_DUAL_EXPORT",
    "MLFLOW_TRACE_EXTRACT_ATTACHMENTS",
    "MLFLOW_TRACE_SAMPLING_RATIO",
    "MLFLOW_TRACE_TIMEOUT_CHECK_INTERVAL_SECONDS",
    "MLFLOW_TRACE_TIMEOUT_SECONDS",
    "MLFLOW_TRACKING_AUTH",
    "MLFLOW_TRACKING_CLIENT_CERT_PATH",
    "MLFLOW_TRACKING_INSECURE_TLS",
    "MLFLOW_TRACKING_PASSWORD",
    "MLFLOW_TRACKING_SERVER_CERT_PATH",
    "MLFLOW_TRACKING_TOKEN",
    "MLFLOW_TRACKING_URI",
    "MLFLOW_TRACKING_USERNAME",
    "OTEL_EXPORTER_OTLP_CERTIFICATE",
    "OTEL_EXPORTER_OTLP_COMPRESSION",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_HEADERS",
    "OTEL_EXPORTER_OTLP_PROTOCOL",
    "OTEL_EXPORTER_OTLP_TIMEOUT",
    "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE",
    "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
    "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
    "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
    "OTEL_RESOURCE_ATTRIBUTES",
    "OTEL_SERVICE_NAME",
    "XDG_CACHE_HOME",
];

/// Panics on what the target looks for.
pub fn check(data: &[u8]) {
    // Lines of `<variable index byte><value>`; a value is any text.
    let text = String::from_utf8_lossy(data);
    let mut env: HashMap<&str, String> = HashMap::new();
    for line in text.split('\n') {
        let mut chars = line.chars();
        let Some(first) = chars.next() else { continue };
        let var = VARS[first as usize % VARS.len()];
        env.insert(var, chars.as_str().to_owned());
    }
    let (config, warnings) = Config::from_lookup(|k| env.get(k).cloned());
    for w in &warnings {
        assert!(
            VARS.iter().any(|v| w.contains(v)) || w.contains("pattern"),
            "a warning names its variable: {w}"
        );
    }
    let _ = config.destination();
    let _ = format!("{config:?}");

    // The same texts given in code.
    for value in env.values() {
        let _ = validate_tracking_uri(value, "tracking_uri");
        let _ = validate_otlp_endpoint(value, "otlp_endpoint");
        let (name, pattern) = value.split_once('=').unwrap_or(("rule", value));
        let _ = check_pattern(name, pattern);
        let _ = parse_patterns(value);
        let mut c = Config::default();
        let update = ConfigUpdate {
            tracking_uri: Some(value.clone()),
            experiment_id: Some(value.clone()),
            sampling_ratio: value.parse().ok(),
            exit_timeout: value.parse().ok(),
            destination: Some(value.clone()),
            ..Default::default()
        };
        if c.apply(update, NameStyle::Camel).is_err() {
            assert_eq!(c, Config::default(), "a refused update changes nothing");
        }
    }
}
