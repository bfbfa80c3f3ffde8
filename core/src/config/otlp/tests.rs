//! OTLP settings from the environment and from code.
use super::*;
use crate::config::Config;
use std::collections::HashMap;
use std::path::PathBuf;

fn from(pairs: &[(&str, &str)]) -> (OtlpSettings, Vec<String>) {
    let m: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let (c, w) = Config::from_lookup(|k| m.get(k).cloned());
    (c.otlp, w)
}

#[test]
fn endpoints_follow_the_otel_rules() {
    let (o, w) = from(&[]);
    assert!(w.is_empty());
    assert_eq!((o.endpoint.clone(), o.mode()), (None, OtlpMode::Off));
    let (o, _) = from(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/")]);
    assert_eq!(
        o.endpoint.as_deref(),
        Some("http://collector:4318/v1/traces")
    );
    assert_eq!(o.mode(), OtlpMode::Replace);
    // The signal-specific endpoint is used as is and wins.
    let (o, _) = from(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://a:4318"),
        (
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            "https://b/otlp/traces",
        ),
    ]);
    assert_eq!(o.endpoint.as_deref(), Some("https://b/otlp/traces"));
    let (o, _) = from(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://a:4318"),
        ("MLFLOW_TRACE_ENABLE_OTLP_DUAL_EXPORT", "true"),
    ]);
    assert_eq!(o.mode(), OtlpMode::Dual);
    let (o, _) = from(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://a:4318"),
        ("MLFLOW_ENABLE_OTLP_EXPORTER", "false"),
    ]);
    assert_eq!(o.mode(), OtlpMode::Off);
}

#[test]
fn bad_env_values_warn_naming_the_variable_and_never_a_header_value() {
    let (o, w) = from(&[
        ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "collector:4317"),
        ("OTEL_EXPORTER_OTLP_HEADERS", "api-key=s3cr3t,broken-s3cr3t"),
        ("OTEL_EXPORTER_OTLP_COMPRESSION", "zstd"),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "soon"),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        ("MLFLOW_TRACE_ENABLE_OTLP_DUAL_EXPORT", "maybe"),
    ]);
    assert_eq!(o.endpoint, None);
    assert_eq!(o.headers.len(), 1);
    assert_eq!(o.compression, OtlpCompression::None);
    assert_eq!(o.timeout, DEFAULT_OTLP_TIMEOUT);
    assert!(!o.dual_export);
    let all = w.join("\n");
    for var in [
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "OTEL_EXPORTER_OTLP_HEADERS",
        "OTEL_EXPORTER_OTLP_COMPRESSION",
        "OTEL_EXPORTER_OTLP_TIMEOUT",
        "OTEL_EXPORTER_OTLP_PROTOCOL",
        "MLFLOW_TRACE_ENABLE_OTLP_DUAL_EXPORT",
    ] {
        assert!(all.contains(var), "{var} not named in {all}");
    }
    assert!(all.contains("not supported"), "{all}");
    assert!(!all.contains("s3cr3t"), "{all}");
    assert!(!format!("{o:?}").contains("s3cr3t"));
}

#[test]
fn headers_compression_timeout_and_resource_are_read() {
    let (o, w) = from(&[
        ("OTEL_EXPORTER_OTLP_HEADERS", "ignored=1"),
        (
            "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
            "Authorization=Basic%20YWJj , x-scope=team%3Dsearch,,",
        ),
        ("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "GZIP"),
        ("OTEL_EXPORTER_OTLP_COMPRESSION", "none"),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "2500"),
        ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/protobuf"),
        ("OTEL_SERVICE_NAME", "checkout"),
        ("OTEL_EXPORTER_OTLP_CERTIFICATE", "/etc/ca.pem"),
        (
            "OTEL_RESOURCE_ATTRIBUTES",
            "service.name=ignored,deployment.environment=prod%20eu",
        ),
    ]);
    assert!(w.is_empty(), "{w:?}");
    let headers: Vec<(&str, &str)> = o
        .headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.expose()))
        .collect();
    assert_eq!(
        headers,
        [("Authorization", "Basic YWJj"), ("x-scope", "team=search")]
    );
    assert_eq!(o.compression, OtlpCompression::Gzip);
    assert_eq!(o.timeout, Duration::from_millis(2500));
    assert_eq!(o.certificate, Some(PathBuf::from("/etc/ca.pem")));
    let res = o.resource("nodejs");
    assert_eq!(res[0], ("deployment.environment".into(), "prod eu".into()));
    assert_eq!(res[1], ("service.name".into(), "checkout".into()));
    assert!(res.contains(&("telemetry.sdk.language".into(), "nodejs".into())));
    assert!(!res.iter().any(|(_, v)| v == "ignored"));
    // Resource attributes without a service name get OTel's default one.
    let (o, _) = from(&[("OTEL_RESOURCE_ATTRIBUTES", "team=a")]);
    assert!(o
        .resource("python")
        .contains(&("service.name".into(), "unknown_service".into())));
}

#[test]
fn code_settings_are_validated_and_name_the_setting() {
    let mut c = Config::default();
    let u = OtlpUpdate {
        endpoint: Some("http://localhost:4318".into()),
        headers: Some(vec![("x-key".into(), "v".into())]),
        compression: Some("gzip".into()),
        timeout: Some(3.0),
        service_name: Some("svc".into()),
        dual_export: Some(true),
        ..Default::default()
    };
    c.apply(
        ConfigUpdate {
            otlp: u,
            ..Default::default()
        },
        NameStyle::Snake,
    )
    .unwrap();
    assert_eq!(
        c.otlp.endpoint.as_deref(),
        Some("http://localhost:4318/v1/traces")
    );
    assert_eq!(c.otlp.mode(), OtlpMode::Dual);
    assert_eq!(c.otlp.timeout, Duration::from_secs(3));
    // A URL with a path is used as is; empty turns OTLP off.
    let set = |c: &mut Config, e: &str| {
        c.apply(
            ConfigUpdate {
                otlp: OtlpUpdate {
                    endpoint: Some(e.into()),
                    ..Default::default()
                },
                ..Default::default()
            },
            NameStyle::Camel,
        )
    };
    set(&mut c, "https://otel.example/api/traces").unwrap();
    assert_eq!(
        c.otlp.endpoint.as_deref(),
        Some("https://otel.example/api/traces")
    );
    let e = set(&mut c, "grpc://x:4317").unwrap_err().to_string();
    assert!(e.contains("otlpEndpoint"), "{e}");
    assert_eq!(
        c.otlp.endpoint.as_deref(),
        Some("https://otel.example/api/traces"),
        "nothing changes on an error"
    );
    set(&mut c, "").unwrap();
    assert_eq!(c.otlp.mode(), OtlpMode::Off);
    for (u, name) in [
        (
            OtlpUpdate {
                compression: Some("br".into()),
                ..Default::default()
            },
            "otlp_compression",
        ),
        (
            OtlpUpdate {
                timeout: Some(0.0),
                ..Default::default()
            },
            "otlp_timeout",
        ),
        (
            OtlpUpdate {
                headers: Some(vec![("bad name".into(), "v".into())]),
                ..Default::default()
            },
            "otlp_headers",
        ),
    ] {
        let e = c
            .apply(
                ConfigUpdate {
                    otlp: u,
                    ..Default::default()
                },
                NameStyle::Snake,
            )
            .unwrap_err()
            .to_string();
        assert!(e.contains(name), "{e}");
    }
}

#[test]
fn env_fills_what_code_did_not_give() {
    let m: HashMap<&str, &str> = [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://env:4318"),
        ("OTEL_EXPORTER_OTLP_HEADERS", "k=v"),
        ("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"),
        ("MLFLOW_TRACE_ENABLE_OTLP_DUAL_EXPORT", "true"),
    ]
    .into();
    let mut u = OtlpUpdate {
        headers: Some(vec![("from".into(), "code".into())]),
        ..Default::default()
    };
    let mut w = Vec::new();
    u.fill_from_env(&|k| m.get(k).map(|v| v.to_string()), &mut w);
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(
        u.resolved_endpoint.as_deref(),
        Some("http://env:4318/v1/traces")
    );
    assert_eq!(u.headers, Some(vec![("from".into(), "code".into())]));
    assert_eq!(u.compression.as_deref(), Some("gzip"));
    assert_eq!(
        (u.dual_export, u.timeout, u.enabled),
        (Some(true), None, None)
    );
    let mut c = Config::default();
    c.apply(
        ConfigUpdate {
            otlp: u,
            ..Default::default()
        },
        NameStyle::Camel,
    )
    .unwrap();
    assert_eq!(c.otlp.mode(), OtlpMode::Dual);
    assert_eq!(
        c.otlp.endpoint.as_deref(),
        Some("http://env:4318/v1/traces")
    );
}

#[test]
fn header_values_with_cr_or_lf_are_refused_once_at_configuration() {
    // From the environment (values are URL-decoded, so `%0D%0A` is a CR LF): one warning
    // naming the variable and the header, never the value; that header alone is dropped.
    for var in [
        "OTEL_EXPORTER_OTLP_HEADERS",
        "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
    ] {
        let (o, w) = from(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"),
            (
                var,
                "x-ok=fine,x-bad=s3cr3t%0D%0AX-Injected: 1,x-nul=a%00b,x-tab=a%09b",
            ),
        ]);
        let names: Vec<&str> = o.headers.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["x-ok", "x-tab"], "{var}");
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].contains(var) && w[0].contains("x-bad") && w[0].contains("x-nul"));
        assert!(!w[0].contains("s3cr3t"), "{}", w[0]);
    }
    // From code: an error naming the setting and the header, never the value; nothing changes.
    let mut c = Config::default();
    for (style, setting) in [
        (NameStyle::Snake, "otlp_headers"),
        (NameStyle::Camel, "otlpHeaders"),
    ] {
        for bad in ["s3cr3t\r\nX-Injected: 1", "s3cr3t\n", "s3cr3t\r"] {
            let e = c
                .apply(
                    ConfigUpdate {
                        otlp: OtlpUpdate {
                            headers: Some(vec![
                                ("x-ok".into(), "v".into()),
                                ("x-bad".into(), bad.into()),
                            ]),
                            ..Default::default()
                        },
                        ..Default::default()
                    },
                    style,
                )
                .unwrap_err()
                .to_string();
            assert!(e.contains(setting) && e.contains("x-bad"), "{e}");
            assert!(!e.contains("s3cr3t"), "{e}");
        }
    }
    assert!(c.otlp.headers.is_empty(), "nothing changes on an error");
}

#[test]
fn semconv_reads_ferrotrace_then_mlflows_variable() {
    assert_eq!(from(&[]).0.semconv, OtlpSemconv::Mlflow);
    let genai = from(&[("MLFLOW_ENABLE_OTEL_GENAI_SEMCONV", "True")]);
    assert_eq!(genai.0.semconv, OtlpSemconv::GenAi);
    let oi = from(&[
        ("FERROTRACE_OTLP_SEMCONV", "OpenInference"),
        ("MLFLOW_ENABLE_OTEL_GENAI_SEMCONV", "true"),
    ]);
    assert_eq!(oi.0.semconv, OtlpSemconv::OpenInference);
    let (o, w) = from(&[("FERROTRACE_OTLP_SEMCONV", "phoenix")]);
    assert_eq!(o.semconv, OtlpSemconv::Mlflow);
    assert!(
        w.iter().any(|w| w.contains("FERROTRACE_OTLP_SEMCONV")),
        "{w:?}"
    );
    let mut u = OtlpUpdate::default();
    u.fill_from_env(
        &|k| (k == "FERROTRACE_OTLP_SEMCONV").then(|| "genai".to_owned()),
        &mut Vec::new(),
    );
    assert_eq!(u.semconv.as_deref(), Some("genai"));
    let mut s = OtlpSettings::default();
    let bad = OtlpUpdate {
        semconv: Some("x".into()),
        ..Default::default()
    };
    let e = s.apply(bad, NameStyle::Snake).unwrap_err();
    assert!(e.to_string().contains("otlp_semconv"), "{e}");
}
