//! Config from the environment and from code.
use super::*;
use std::collections::HashMap;

fn from(pairs: &[(&str, &str)]) -> (Config, Vec<String>) {
    let m: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Config::from_lookup(|k| m.get(k).cloned())
}

#[test]
fn defaults_go_to_the_local_store() {
    let (c, w) = from(&[]);
    assert!(w.is_empty());
    assert_eq!(
        c.destination(),
        Destination::Local(PathBuf::from("ferrotrace-traces"))
    );
}

#[test]
fn bad_env_values_warn_with_the_variable_name_and_fall_back() {
    let (c, w) = from(&[
        ("MLFLOW_TRACKING_URI", "ftp://nope"),
        ("MLFLOW_TRACE_SAMPLING_RATIO", "1.5"),
        ("FERROTRACE_MAX_QUEUE_TRACES", "-3"),
    ]);
    assert_eq!(c.sampling_ratio, 1.0);
    assert_eq!(c.tracking_uri, None);
    assert_eq!(c.max_queue_traces, 10_000);
    assert_eq!(w.len(), 3);
    assert!(w[0].contains("MLFLOW_TRACKING_URI"));
    assert!(w[1].contains("MLFLOW_TRACE_SAMPLING_RATIO"));
    assert!(w[2].contains("FERROTRACE_MAX_QUEUE_TRACES"));
}

#[test]
fn good_env_values_are_read() {
    let (c, w) = from(&[
        ("MLFLOW_TRACKING_URI", "http://127.0.0.1:5000/"),
        ("MLFLOW_TRACE_SAMPLING_RATIO", "0.25"),
        ("FERROTRACE_LOCAL_DIR", "/tmp/x"),
    ]);
    assert!(w.is_empty());
    assert_eq!(c.tracking_uri.as_deref(), Some("http://127.0.0.1:5000"));
    assert_eq!(c.sampling_ratio, 0.25);
    assert_eq!(
        c.destination(),
        Destination::Mlflow("http://127.0.0.1:5000".into())
    );
}

#[test]
fn code_settings_are_validated_all_or_nothing_and_named_per_language() {
    let mut c = Config::default();
    let ok = ConfigUpdate {
        destination: Some("memory".into()),
        sampling_ratio: Some(0.5),
        exit_timeout: Some(1.5),
        ..Default::default()
    };
    c.apply(ok, NameStyle::Snake).unwrap();
    assert!(c.memory && c.sampling_ratio == 0.5 && c.exit_timeout == Duration::from_millis(1500));
    let before = c.clone();
    let bad = ConfigUpdate {
        local_dir: Some("/x".into()),
        tracking_uri: Some("ftp://h".into()),
        ..Default::default()
    };
    assert!(c
        .apply(bad.clone(), NameStyle::Snake)
        .unwrap_err()
        .to_string()
        .contains("tracking_uri"));
    assert!(c
        .apply(bad, NameStyle::Camel)
        .unwrap_err()
        .to_string()
        .contains("trackingUri"));
    assert_eq!(c, before);
    let bad = ConfigUpdate {
        exit_timeout: Some(-1.0),
        ..Default::default()
    };
    assert!(c
        .apply(bad, NameStyle::Camel)
        .unwrap_err()
        .to_string()
        .contains("exitTimeout"));
}

#[test]
fn ratio_validation_names_the_setting() {
    assert!(validate_ratio(0.0, "x").is_ok());
    let e = validate_ratio(f64::NAN, "sampling_ratio_override").unwrap_err();
    assert!(e.to_string().contains("sampling_ratio_override"));
}

#[test]
fn credentials_given_in_code_are_applied_and_never_shown() {
    let mut c = Config::default();
    let u = ConfigUpdate {
        username: Some(Secret::new("alice")),
        password: Some(Secret::new("pw-in-code")),
        token: Some(Secret::new("tok-in-code")),
        sdk_language: Some("nodejs".into()),
        ..Default::default()
    };
    let shown = format!("{u:?}");
    assert!(
        !shown.contains("pw-in-code") && !shown.contains("tok-in-code"),
        "{shown}"
    );
    c.apply(u, NameStyle::Camel).unwrap();
    assert_eq!(
        c.http.password.as_ref().map(Secret::expose),
        Some("pw-in-code")
    );
    assert_eq!(
        c.http.token.as_ref().map(Secret::expose),
        Some("tok-in-code")
    );
    assert_eq!(c.sdk_language, "nodejs");
    assert!(!format!("{c:?}").contains("pw-in-code"));
}

#[test]
fn mlflow_tracing_destination_names_the_experiment() {
    let (c, w) = from(&[
        ("MLFLOW_EXPERIMENT_ID", "1"),
        ("MLFLOW_TRACING_DESTINATION", "42"),
    ]);
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(c.experiment_id.as_deref(), Some("42"));
    let (c, w) = from(&[("MLFLOW_TRACING_DESTINATION", "catalog.schema")]);
    assert_eq!(c.experiment_id, None);
    assert_eq!(w.len(), 1);
    assert!(w[0].contains("MLFLOW_TRACING_DESTINATION") && w[0].contains("Unity Catalog"));
}

#[test]
fn mlflow_settings_that_cannot_be_honoured_warn_by_name() {
    let vars = [
        ("MLFLOW_TRACE_EXTRACT_ATTACHMENTS", "true"),
        ("MLFLOW_TRACE_MAX_ATTACHMENT_SIZE", "1000"),
        ("MLFLOW_TRACE_PROPAGATE_TO_OTEL_CONTEXT", "true"),
        ("MLFLOW_USE_DEFAULT_TRACER_PROVIDER", "false"),
        ("MLFLOW_TRACKING_AUTH", "my_plugin"),
        ("MLFLOW_TRACKING_AWS_SIGV4", "true"),
    ];
    let (_, w) = from(&vars);
    assert_eq!(w.len(), vars.len(), "{w:?}");
    for ((var, _), warning) in vars.iter().zip(&w) {
        assert!(warning.starts_with(var), "{warning}");
    }
    // Values asking for what ferrotrace does anyway are no warning.
    let (_, w) = from(&[
        ("MLFLOW_TRACE_EXTRACT_ATTACHMENTS", "False"),
        ("MLFLOW_USE_DEFAULT_TRACER_PROVIDER", "true"),
        ("MLFLOW_TRACKING_AWS_SIGV4", "false"),
    ]);
    assert!(w.is_empty(), "{w:?}");
}

#[test]
fn mlflow_http_retry_settings_are_read() {
    let (c, w) = from(&[
        ("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0"),
        ("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "3"),
        ("MLFLOW_HTTP_REQUEST_BACKOFF_JITTER", "0.5"),
        ("MLFLOW_HTTP_RESPECT_RETRY_AFTER_HEADER", "false"),
        ("MLFLOW_TRACKING_CLIENT_CERT_PATH", "/etc/client.pem"),
    ]);
    assert!(w.is_empty(), "{w:?}");
    let r = c.http.retry;
    assert_eq!(r.max_retries, Some(0));
    assert_eq!(r.backoff_factor, Some(Duration::from_secs(3)));
    assert_eq!(r.backoff_jitter, Some(Duration::from_millis(500)));
    assert!(r.ignore_retry_after);
    assert_eq!(
        c.http.client_cert_path,
        Some(PathBuf::from("/etc/client.pem"))
    );
    let (c, w) = from(&[]);
    assert!(w.is_empty());
    assert_eq!(c.http.retry, HttpRetry::default());
    assert!(!c.http.retry.mlflow_schedule());
}

#[test]
fn mlflow_http_retry_values_mlflow_refuses_warn_by_name() {
    // MLflow's limits: retries below 10, a factor below 120 s; and no negatives.
    for (var, bad) in [
        ("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "10"),
        ("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "-1"),
        ("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "many"),
        ("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "120"),
        ("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "-2"),
        ("MLFLOW_HTTP_REQUEST_BACKOFF_JITTER", "NaN"),
        ("MLFLOW_HTTP_REQUEST_BACKOFF_JITTER", "-1"),
        ("MLFLOW_HTTP_RESPECT_RETRY_AFTER_HEADER", "sometimes"),
    ] {
        let (c, w) = from(&[(var, bad)]);
        assert_eq!(w.len(), 1, "{var}={bad}: {w:?}");
        assert!(w[0].contains(var) && w[0].contains(bad), "{}", w[0]);
        assert_eq!(c.http.retry, HttpRetry::default(), "{var}={bad}");
    }
}

#[test]
fn the_trace_buffer_ttl_is_read_and_checked() {
    let (c, w) = from(&[("MLFLOW_TRACE_BUFFER_TTL_SECONDS", "90")]);
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(c.trace_buffer_ttl, Some(Duration::from_secs(90)));
    assert_eq!(from(&[]).0.trace_buffer_ttl, None);
    for bad in ["0", "-5", "soon", "inf"] {
        let (c, w) = from(&[("MLFLOW_TRACE_BUFFER_TTL_SECONDS", bad)]);
        assert_eq!(c.trace_buffer_ttl, None);
        assert!(w[0].contains("MLFLOW_TRACE_BUFFER_TTL_SECONDS"), "{w:?}");
    }
}

#[test]
fn file_uris_and_paths_are_local_stores_and_databases_warn() {
    let (c, w) = Config::from_lookup(|k| {
        (k == "MLFLOW_TRACKING_URI").then(|| "file:///tmp/my%20store".to_owned())
    });
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(
        (c.tracking_uri, c.local_dir),
        (None, "/tmp/my store".into())
    );
    let (c, _) =
        Config::from_lookup(|k| (k == "MLFLOW_TRACKING_URI").then(|| "./mlruns".to_owned()));
    assert_eq!(c.local_dir, std::path::PathBuf::from("./mlruns"));
    for uri in [
        "sqlite:///mlflow.db",
        "databricks",
        "databricks://profile",
        "postgresql+psycopg2://h/db",
    ] {
        let (c, w) = Config::from_lookup(|k| (k == "MLFLOW_TRACKING_URI").then(|| uri.to_owned()));
        assert_eq!(c.tracking_uri, None);
        assert_eq!(w.len(), 1, "{uri}");
        assert!(
            w[0].contains("MLFLOW_TRACKING_URI")
                && w[0].contains("local store")
                && w[0].contains("ferrotrace push"),
            "{}",
            w[0]
        );
    }
}
