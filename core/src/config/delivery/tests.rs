use super::*;
use std::collections::HashMap;

fn from(pairs: &[(&str, &str)]) -> (DeliverySettings, Vec<String>) {
    let m: HashMap<&str, &str> = pairs.iter().copied().collect();
    let mut w = Vec::new();
    let get = |k: &str| m.get(k).map(|v| v.to_string());
    (DeliverySettings::from_lookup(&get, &mut w), w)
}

#[test]
fn reads_mlflow_and_ferrotrace_variables() {
    let (d, w) = from(&[
        ("MLFLOW_ENABLE_ASYNC_TRACE_LOGGING", "false"),
        ("MLFLOW_ASYNC_TRACE_LOGGING_RETRY_TIMEOUT", "2.5"),
        ("MLFLOW_ASYNC_TRACE_LOGGING_MAX_WORKERS", "10"),
        ("FERROTRACE_SPILL_DIR", "/x/spill"),
        ("FERROTRACE_SPILL_MAX_BYTES", "1000"),
        ("HOME", "/home/u"),
    ]);
    assert!(w.is_empty(), "{w:?}");
    assert!(!d.async_logging);
    assert_eq!(d.retry_timeout, Duration::from_millis(2500));
    assert_eq!(d.max_workers, 10);
    assert_eq!(d.spill_dir, PathBuf::from("/x/spill"));
    assert_eq!(d.spill_max_bytes, 1000);
    let (d, _) = from(&[("HOME", "/home/u")]);
    assert_eq!(
        d.spill_dir,
        PathBuf::from("/home/u/.cache/ferrotrace/spill")
    );
}

#[test]
fn export_nice_is_read_and_checked() {
    assert_eq!(from(&[]).0.export_nice, 10);
    assert_eq!(from(&[("FERROTRACE_EXPORT_NICE", "0")]).0.export_nice, 0);
    let (d, w) = from(&[("FERROTRACE_EXPORT_NICE", "-5")]);
    assert_eq!(d.export_nice, 10);
    assert!(w[0].contains("FERROTRACE_EXPORT_NICE"), "{w:?}");
}

#[test]
fn bad_values_warn_with_the_variable_name() {
    let (d, w) = from(&[
        ("MLFLOW_ENABLE_ASYNC_TRACE_LOGGING", "maybe"),
        ("FERROTRACE_SPILL_MAX_BYTES", "-1"),
    ]);
    assert!(d.async_logging);
    assert_eq!(w.len(), 2);
    assert!(w[0].contains("MLFLOW_ENABLE_ASYNC_TRACE_LOGGING"));
    assert!(w[1].contains("FERROTRACE_SPILL_MAX_BYTES"));
}
