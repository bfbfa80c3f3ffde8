//! The OTLP exporter against a loopback HTTP receiver: what arrives decodes as OTLP.

use std::io::Read as _;
use std::sync::Arc;
use std::time::Duration;

use prost::Message as _;

use super::*;
use crate::config::OtlpSettings;
use crate::export::mlflow::proto::{ExportTraceServiceRequest, KeyValue, Value};
use crate::export::mlflow::test_server::{refused_uri, Received, Reply, TestServer};
use crate::model::{Attributes, SpanEvent, SpanId, SpanStatus, StatusCode, TraceId, TraceInfo};

fn attrs(pairs: &[(&'static str, &str)]) -> Attributes {
    let mut a = Attributes::new();
    for (k, v) in pairs {
        a.set(*k, RawJson::from_trusted(*v));
    }
    a
}

fn sample(trace: u128) -> Trace {
    let root = SpanRecord {
        trace_id: TraceId(trace),
        span_id: SpanId(0xabab_abab_abab_abab),
        parent_id: None,
        name: "agent".into(),
        start_ns: 1_795_606_738_769_000_000,
        end_ns: 1_795_606_738_818_000_000,
        status: SpanStatus {
            code: StatusCode::Ok,
            message: String::new(),
        },
        attributes: attrs(&[
            ("mlflow.spanType", r#""AGENT""#),
            ("mlflow.spanInputs", r#"{"question": "hi"}"#),
        ]),
        events: vec![],
        links: vec![],
    };
    let child = SpanRecord {
        span_id: SpanId(0x0102_0304_0506_0708),
        parent_id: Some(root.span_id),
        name: "tool".into(),
        start_ns: root.start_ns + 1,
        end_ns: root.end_ns - 1,
        status: SpanStatus {
            code: StatusCode::Error,
            message: "ValueError: boom".into(),
        },
        attributes: attrs(&[("mlflow.spanType", r#""TOOL""#), ("n", "7")]),
        events: vec![SpanEvent {
            name: "exception".into(),
            time_ns: root.start_ns + 5,
            attributes: attrs(&[("exception.type", r#""ValueError""#)]),
        }],
        ..root.clone()
    };
    let mut info = TraceInfo {
        trace_id: TraceId(trace),
        ..Default::default()
    };
    info.tags.insert("team".into(), "search".into());
    info.tags.insert("mlflow.traceName".into(), "agent".into());
    Trace {
        info,
        spans: vec![Arc::new(child), Arc::new(root)].into(),
    }
}

fn config(endpoint: &str, f: impl FnOnce(&mut OtlpSettings)) -> Config {
    let mut c = Config {
        sdk_language: "python".into(),
        ..Config::default()
    };
    c.otlp.endpoint = Some(format!("{endpoint}/v1/traces"));
    f(&mut c.otlp);
    c
}

fn fast() -> RetryPolicy {
    RetryPolicy {
        initial_backoff: Duration::from_millis(2),
        max_backoff: Duration::from_millis(10),
        ..Default::default()
    }
}

fn decode(r: &Received) -> ExportTraceServiceRequest {
    let body = if r.header("content-encoding") == Some("gzip") {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&r.body[..])
            .read_to_end(&mut out)
            .unwrap();
        out
    } else {
        r.body.clone()
    };
    ExportTraceServiceRequest::decode(&body[..]).expect("an OTLP request")
}

fn string_of(kvs: &[KeyValue], key: &str) -> Option<String> {
    kvs.iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| match kv.value.as_ref()?.value.as_ref()? {
            Value::StringValue(s) => Some(s.clone()),
            _ => None,
        })
}

#[test]
fn spans_arrive_as_otlp_protobuf_with_headers_and_resource() {
    let server = TestServer::start(vec![Reply::empty(200)]);
    let cfg = config(&server.uri, |o| {
        o.headers = vec![
            ("x-api-key".into(), Secret::new("s3cr3t")),
            ("x-tenant".into(), Secret::new("a b")),
        ];
        o.service_name = Some("checkout".into());
        o.resource_attributes = vec![("deployment.environment".into(), "prod".into())];
    });
    let mut exporter = OtlpExporter::new(&cfg).unwrap();
    assert_eq!(exporter.capabilities().name, "otlp");
    exporter
        .export(&[sample(0xa1), sample(0xa2)], &SharedMetadata::new())
        .unwrap();
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_eq!(
        (r.method.as_str(), r.target.as_str()),
        ("POST", "/v1/traces")
    );
    assert_eq!(r.header("content-type"), Some("application/x-protobuf"));
    assert_eq!(
        r.header("content-encoding"),
        None,
        "no compression by default"
    );
    assert_eq!(r.header("x-api-key"), Some("s3cr3t"));
    assert_eq!(r.header("x-tenant"), Some("a b"));
    let req = decode(r);
    let rs = &req.resource_spans[0];
    let res = &rs.resource.as_ref().unwrap().attributes;
    assert_eq!(string_of(res, "service.name").as_deref(), Some("checkout"));
    assert_eq!(
        string_of(res, "deployment.environment").as_deref(),
        Some("prod")
    );
    assert_eq!(
        string_of(res, "telemetry.sdk.name").as_deref(),
        Some("ferrotrace")
    );
    assert_eq!(
        string_of(res, "telemetry.sdk.language").as_deref(),
        Some("python")
    );
    let spans = &rs.scope_spans[0].spans;
    assert_eq!(spans.len(), 4);
    let tool = spans.iter().find(|s| s.name == "tool").unwrap();
    let agent = spans.iter().find(|s| s.name == "agent").unwrap();
    assert_eq!(tool.parent_span_id, agent.span_id);
    assert_eq!(tool.trace_id, TraceId(0xa1).to_bytes().to_vec());
    assert!(agent.parent_span_id.is_empty());
    assert_eq!(tool.status.as_ref().unwrap().code, 2);
    assert_eq!(tool.status.as_ref().unwrap().message, "ValueError: boom");
    assert_eq!(tool.events[0].name, "exception");
    // A collector gets MLflow's OTLP exporter form: JSON text, kind INTERNAL, a named scope.
    assert_eq!(
        string_of(&tool.attributes, "mlflow.spanType").as_deref(),
        Some(r#""TOOL""#)
    );
    assert_eq!(string_of(&tool.attributes, "n").as_deref(), Some("7"));
    assert_eq!(
        string_of(&agent.attributes, "mlflow.traceRequestId"),
        Some(format!("\"{}\"", TraceId(0xa1).to_mlflow()))
    );
    assert_eq!((agent.kind, agent.flags), (1, 0x100));
    assert_eq!(
        rs.scope_spans[0].scope.as_ref().map(|s| s.name.as_str()),
        Some("mlflow.tracing.provider")
    );
    // OTLP replaces MLflow export here: user tags ride on the root, MLflow's own do not.
    assert_eq!(
        string_of(&agent.attributes, "mlflow.traceTag.team").as_deref(),
        Some("search")
    );
    assert!(string_of(&agent.attributes, "mlflow.traceTag.mlflow.traceName").is_none());
    assert!(string_of(&tool.attributes, "mlflow.traceTag.team").is_none());
}

#[test]
fn gzip_is_sent_when_configured_and_dual_export_leaves_tags_to_mlflow() {
    let server = TestServer::start(vec![Reply::empty(200)]);
    let cfg = config(&server.uri, |o| {
        o.compression = OtlpCompression::Gzip;
        o.dual_export = true;
    });
    OtlpExporter::new(&cfg)
        .unwrap()
        .export(&[sample(0xb1)], &SharedMetadata::new())
        .unwrap();
    let r = &server.requests()[0];
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    let req = decode(r);
    let spans = &req.resource_spans[0].scope_spans[0].spans;
    assert_eq!(spans.len(), 2);
    let agent = spans.iter().find(|s| s.name == "agent").unwrap();
    assert!(string_of(&agent.attributes, "mlflow.traceTag.team").is_none());
    // No OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES: OpenTelemetry's default service name.
    let res = &req.resource_spans[0].resource.as_ref().unwrap().attributes;
    assert!(string_of(res, "service.name")
        .unwrap()
        .starts_with("unknown_service:"));
    assert!(
        res.iter()
            .all(|kv| kv.key.starts_with("telemetry.sdk.") || kv.key == "service.name"),
        "{res:?}"
    );
}

#[test]
fn mlflows_own_endpoint_gets_typed_values_and_no_scope() {
    let server = TestServer::start(vec![Reply::empty(200)]);
    let cfg = config(&server.uri, |o| {
        o.headers = vec![("X-MLflow-Experiment-Id".into(), Secret::new("3"))];
    });
    OtlpExporter::new(&cfg)
        .unwrap()
        .export(&[sample(0xc1)], &SharedMetadata::new())
        .unwrap();
    let req = decode(&server.requests()[0]);
    let rs = &req.resource_spans[0];
    assert!(rs.scope_spans[0].scope.is_none());
    let res = &rs.resource.as_ref().unwrap().attributes;
    assert!(res.iter().all(|kv| kv.key.starts_with("telemetry.sdk.")));
    let tool = rs.scope_spans[0]
        .spans
        .iter()
        .find(|s| s.name == "tool")
        .unwrap();
    assert_eq!(
        string_of(&tool.attributes, "mlflow.spanType").as_deref(),
        Some("TOOL")
    );
    let n = tool.attributes.iter().find(|kv| kv.key == "n").unwrap();
    assert_eq!(n.value.as_ref().unwrap().value, Some(Value::IntValue(7)));
    assert_eq!(tool.kind, 0);
}

#[test]
fn transient_answers_are_retried_and_refusals_are_not() {
    let server = TestServer::start(vec![
        Reply::empty(503),
        Reply::With(429, vec![("retry-after", "0".into())], String::new()),
        Reply::empty(200),
    ]);
    let mut exporter = OtlpExporter::new(&config(&server.uri, |_| {}))
        .unwrap()
        .with_retry_policy(fast());
    exporter
        .export(&[sample(0xc1)], &SharedMetadata::new())
        .unwrap();
    assert_eq!(server.requests().len(), 3);
    assert_eq!(exporter.capabilities().counts.take_retries(), 2);

    let server = TestServer::start(vec![Reply::With(400, vec![], "bad span".into())]);
    let mut exporter = OtlpExporter::new(&config(&server.uri, |o| {
        o.headers = vec![("authorization".into(), Secret::new("Bearer s3cr3t"))];
    }))
    .unwrap()
    .with_retry_policy(fast());
    let err = exporter
        .export(&[sample(0xc2)], &SharedMetadata::new())
        .unwrap_err();
    assert_eq!(server.requests().len(), 1);
    assert!(!err.is_retryable());
    assert_eq!(err.http_status(), Some(400));
    let text = err.to_string();
    assert!(
        text.contains("HTTP 400") && text.contains("bad span"),
        "{text}"
    );
    assert!(!text.contains("s3cr3t"), "{text}");
}

#[test]
fn an_unreachable_collector_is_retryable_and_then_tried_once_per_batch() {
    let uri = refused_uri();
    let mut exporter = OtlpExporter::new(&config(&uri, |_| {}))
        .unwrap()
        .with_retry_policy(RetryPolicy {
            max_attempts: 2,
            ..fast()
        });
    let err = exporter
        .export(&[sample(0xd1)], &SharedMetadata::new())
        .unwrap_err();
    assert!(err.is_retryable(), "{err}");
    assert!(err.to_string().contains("OTLP export to"), "{err}");
    assert_eq!(exporter.capabilities().counts.take_retries(), 1);
    // Degraded: the next batch gets one attempt.
    assert!(exporter
        .export(&[sample(0xd2)], &SharedMetadata::new())
        .is_err());
    assert_eq!(exporter.capabilities().counts.take_retries(), 0);
}

#[test]
fn credentials_in_the_endpoint_are_not_shown() {
    let mut c = Config::default();
    c.otlp.endpoint = Some("http://user:pw@127.0.0.1:9/v1/traces?key=k".into());
    let e = OtlpExporter::new(&c).unwrap();
    assert_eq!(e.shown_endpoint(), "http://127.0.0.1:9/v1/traces");
}

#[test]
fn destinations_follow_mlflow_selection() {
    use crate::export::MemoryExporter;
    let names = |c: &Config| -> Vec<&'static str> {
        destinations(c, || Box::new(MemoryExporter::new().0))
            .iter()
            .map(|e| e.capabilities().name)
            .collect()
    };
    let mut c = Config::default();
    assert_eq!(names(&c), ["memory"]);
    c.otlp.endpoint = Some("http://127.0.0.1:4318/v1/traces".into());
    assert_eq!(names(&c), ["otlp"]);
    c.otlp.dual_export = true;
    assert_eq!(names(&c), ["memory", "otlp"]);
    c.otlp.enabled = false;
    assert_eq!(names(&c), ["memory"]);
}

#[test]
fn a_tracer_in_dual_mode_delivers_each_trace_to_both() {
    use crate::tracer::{RootOptions, Tracer};
    let server = TestServer::start(vec![Reply::empty(200)]);
    let mut cfg = config(&server.uri, |o| o.dual_export = true);
    cfg.memory = true;
    let tracer = Tracer::new(cfg);
    let mut root = tracer.start_root("root", RootOptions::default());
    root.set_attribute("mlflow.spanInputs", RawJson::from_trusted(r#"{"x": 1}"#));
    let child = tracer.start_child("child", root.context(), None);
    let trace_id = root.context().trace_id();
    child.end(None);
    root.end(None);
    assert!(tracer.flush(Duration::from_secs(10)));
    assert_eq!(tracer.memory_traces().len(), 1);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    let spans = &decode(&reqs[0]).resource_spans[0].scope_spans[0].spans;
    assert_eq!(spans.len(), 2);
    assert!(spans
        .iter()
        .all(|s| s.trace_id == trace_id.to_bytes().to_vec()));
    assert_eq!(tracer.stats().traces_exported, 1);
}

#[test]
fn an_unreadable_ca_bundle_names_the_variable_and_traces_stay_with_the_primary() {
    use crate::export::MemoryExporter;
    let dir = tempfile::tempdir().unwrap();
    let not_pem = dir.path().join("ca.pem");
    std::fs::write(&not_pem, "not a certificate").unwrap();
    for path in [dir.path().join("missing.pem"), not_pem] {
        let mut c = Config::default();
        c.otlp.endpoint = Some("https://127.0.0.1:4318/v1/traces".into());
        c.otlp.certificate = Some(path);
        let err = OtlpExporter::new(&c).err().expect("an error");
        assert!(
            err.to_string().contains("OTEL_EXPORTER_OTLP_CERTIFICATE"),
            "{err}"
        );
        let names: Vec<_> = destinations(&c, || Box::new(MemoryExporter::new().0))
            .iter()
            .map(|e| e.capabilities().name)
            .collect();
        assert_eq!(names, ["memory"]);
    }
}
