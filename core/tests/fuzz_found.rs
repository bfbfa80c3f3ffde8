//! Crashes the fuzzers found (`make fuzz`), kept as plain tests. The inputs themselves are also
//! replayed through the fuzz checks by fuzz_regressions.rs.

use ferrotrace_core::model::{parse_rfc3339_ms, rfc3339_ms};

/// traceparent target: a request time before 1970 (`6-11-25T...`) overflowed
/// `days * 86_400` (a panic in debug builds, a wrong time in release ones); so did hours past
/// 2^64 / 3600, and a non-digit fraction could slice through a character.
#[test]
fn request_times_out_of_range_are_refused_not_overflowed() {
    for bad in [
        "6-11-25T12:02:09:26.743Z",
        "1969-12-31T23:59:59.999Z",
        "2026-11-25T18446744073709551615:00:00Z",
        "2026-11-25T12:09:26.a€Z",
        "2026-13-25T12:09:26Z",
        "2026-11-25T24:00:00Z",
        "10000-01-01T00:00:00Z",
        "2026-11-25-1T00:00:00Z",
    ] {
        assert_eq!(parse_rfc3339_ms(bad), None, "{bad}");
    }
    for ms in [0, 1_795_608_566_743, 253_402_300_799_999] {
        assert_eq!(parse_rfc3339_ms(&rfc3339_ms(ms)), Some(ms));
    }
    assert_eq!(
        parse_rfc3339_ms("2026-11-25T12:09:26Z"),
        Some(1_795_608_566_000)
    );
}

/// config_values target: `MLFLOW_TRACE_TIMEOUT_SECONDS=1e200` (any seconds setting, from the
/// environment or from code) panicked in `Duration::from_secs_f64` when the tracer started.
#[test]
fn huge_seconds_settings_are_capped_not_a_panic() {
    use ferrotrace_core::config::{Config, ConfigUpdate, NameStyle};
    for var in [
        "MLFLOW_TRACE_TIMEOUT_SECONDS",
        "MLFLOW_TRACE_TIMEOUT_CHECK_INTERVAL_SECONDS",
        "FERROTRACE_EXIT_TIMEOUT",
        "MLFLOW_HTTP_REQUEST_TIMEOUT",
        "FERROTRACE_SYNC_EXPORT_TIMEOUT",
        "MLFLOW_ASYNC_TRACE_LOGGING_RETRY_TIMEOUT",
        "FERROTRACE_PROBE_MAX_INTERVAL",
        "OTEL_EXPORTER_OTLP_TIMEOUT",
        "FERROTRACE_SAMPLING_KEEP_SLOWER_THAN_MS",
    ] {
        let (c, _) = Config::from_lookup(|k| (k == var).then(|| "1e200".to_owned()));
        let _ = std::time::Instant::now() + c.exit_timeout;
    }
    let mut c = Config::default();
    let update = ConfigUpdate {
        exit_timeout: Some(1e300),
        ..Default::default()
    };
    c.apply(update, NameStyle::Snake).unwrap();
    let _ = std::time::Instant::now() + c.exit_timeout;
}

/// Found by the preview property test: text that is not strict JSON (so the lenient parse
/// runs) with a backslash before a multi-byte character inside a string sliced through that
/// character and panicked (previews of inputs, the CLI's rendering of attributes).
#[test]
fn a_backslash_before_a_multibyte_character_parses_leniently() {
    use ferrotrace_core::model::json::parse_lenient;
    for text in [
        "[NaN, \"a\\\u{202e}b\"]",
        "{\"k\": \"\\é\", \"n\": NaN}",
        "\"\\😀",
    ] {
        let _ = parse_lenient(text);
        let _ = ferrotrace_core::process::preview(text, ferrotrace_core::process::Role::User);
    }
}
