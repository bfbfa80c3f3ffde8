use std::io::Read as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use prost::Message as _;
use serde_json::json;

use super::*;
use crate::export::mlflow::proto::ExportTraceServiceRequest;
use crate::export::mlflow::test_server::{refused_uri, Received, Reply, TestServer};
use crate::model::{SpanId, SpanRecord, TraceId, TraceInfo};

fn fast() -> RetryPolicy {
    RetryPolicy {
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(20),
        ..Default::default()
    }
}

fn config(uri: &str) -> Config {
    Config {
        tracking_uri: Some(uri.to_owned()),
        ..Config::default()
    }
}

fn trace(id: u128) -> Trace {
    let span = SpanRecord {
        trace_id: TraceId(id),
        span_id: SpanId(id as u64 | 1),
        name: format!("t{id}").into(),
        start_ns: 1_795_606_738_769_000_000,
        end_ns: 1_795_606_738_818_000_000,
        ..Default::default()
    };
    Trace {
        info: TraceInfo {
            trace_id: TraceId(id),
            request_time_ms: 1_795_606_738_769,
            execution_duration_ms: 49,
            ..Default::default()
        },
        spans: vec![Arc::new(span)].into(),
    }
}

fn otlp_of(r: &Received) -> ExportTraceServiceRequest {
    let mut raw = Vec::new();
    flate2::read::GzDecoder::new(&r.body[..])
        .read_to_end(&mut raw)
        .unwrap();
    ExportTraceServiceRequest::decode(&raw[..]).unwrap()
}

fn ok() -> Reply {
    Reply::json(200, json!({}))
}

#[test]
fn a_batch_is_one_start_trace_per_trace_then_one_otlp_request() {
    let server = TestServer::route(|r, _| match r.target.as_str() {
        t if t.starts_with("/api/2.0/mlflow/experiments/get-by-name") => Reply::json(
            200,
            json!({"experiment": {"experiment_id": "5", "lifecycle_stage": "active"}}),
        ),
        _ => ok(),
    });
    let mut cfg = config(&server.uri);
    cfg.experiment_name = Some(format!("exp-{}", server.uri));
    let mut exporter = MlflowExporter::new(&cfg).unwrap().with_retry_policy(fast());
    let mut own = trace(3);
    own.info.experiment_id = Some("9".into());
    exporter
        .export(&[trace(1), trace(2), own], &SharedMetadata::new())
        .unwrap();
    exporter
        .export(&[trace(4)], &SharedMetadata::new())
        .unwrap();
    let reqs = server.requests();
    let paths: Vec<&str> = reqs
        .iter()
        .map(|r| r.target.split('?').next().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            "/api/2.0/mlflow/experiments/get-by-name",
            "/api/3.0/mlflow/traces",
            "/api/3.0/mlflow/traces",
            "/v1/traces",
            "/api/3.0/mlflow/traces",
            "/v1/traces",
            // The name was resolved once.
            "/api/3.0/mlflow/traces",
            "/v1/traces",
        ]
    );
    assert_eq!(reqs[3].header("x-mlflow-experiment-id"), Some("5"));
    assert_eq!(
        otlp_of(&reqs[3]).resource_spans[0].scope_spans[0]
            .spans
            .len(),
        2
    );
    assert_eq!(reqs[5].header("x-mlflow-experiment-id"), Some("9"));
    // The two infos of the first group go out concurrently, in either order.
    let infos: Vec<_> = reqs[1..3]
        .iter()
        .map(|r| r.json()["trace"]["trace_info"].clone())
        .collect();
    let info = infos
        .iter()
        .find(|i| i["trace_id"] == format!("tr-{:032x}", 1))
        .expect("trace 1's info");
    assert!(infos
        .iter()
        .any(|i| i["trace_id"] == format!("tr-{:032x}", 2)));
    assert_eq!(
        info["trace_location"]["mlflow_experiment"]["experiment_id"],
        "5"
    );
    assert_eq!(info["execution_duration"], "0.049s");
    assert_eq!(
        reqs[4].json()["trace"]["trace_info"]["trace_location"]["mlflow_experiment"]
            ["experiment_id"],
        "9"
    );
    assert_eq!(exporter.capabilities().counts.take_retries(), 0);
}

#[test]
fn without_an_experiment_traces_go_to_the_default_one() {
    let server = TestServer::start(vec![ok()]);
    let mut exporter = MlflowExporter::new(&config(&server.uri)).unwrap();
    exporter
        .export(&[trace(1)], &SharedMetadata::new())
        .unwrap();
    let reqs = server.requests();
    assert_eq!(
        reqs[0].json()["trace"]["trace_info"]["trace_location"]["mlflow_experiment"]
            ["experiment_id"],
        "0"
    );
    assert_eq!(reqs[1].header("x-mlflow-experiment-id"), Some("0"));
}

#[test]
fn transient_failures_are_retried_and_counted() {
    let server = TestServer::start(vec![
        Reply::json(503, json!({"message": "busy"})),
        Reply::empty(502),
        ok(),
    ]);
    let mut exporter = MlflowExporter::new(&config(&server.uri))
        .unwrap()
        .with_retry_policy(fast());
    exporter
        .export(&[trace(1)], &SharedMetadata::new())
        .unwrap();
    assert_eq!(exporter.capabilities().counts.take_retries(), 2);
    assert_eq!(exporter.capabilities().counts.take_retries(), 0);
    assert_eq!(server.requests().len(), 4, "3 StartTraceV3 attempts + OTLP");
}

#[test]
fn refusals_are_not_retried() {
    let server = TestServer::start(vec![Reply::json(
        404,
        json!({"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "No Experiment with id=99999 exists"}),
    )]);
    let mut cfg = config(&server.uri);
    cfg.experiment_id = Some("99999".into());
    let mut exporter = MlflowExporter::new(&cfg).unwrap().with_retry_policy(fast());
    let e = exporter
        .export(&[trace(1)], &SharedMetadata::new())
        .unwrap_err();
    assert!(
        e.to_string().contains("No Experiment with id=99999 exists"),
        "{e}"
    );
    assert_eq!(server.requests().len(), 1);
    assert_eq!(exporter.capabilities().counts.take_retries(), 0);
    // No OTLP route at all: an old server.
    let server = TestServer::start(vec![Reply::json(404, json!({"detail": "Not Found"}))]);
    let mut exporter = MlflowExporter::new(&config(&server.uri)).unwrap();
    let e = exporter
        .export(&[trace(1)], &SharedMetadata::new())
        .unwrap_err();
    assert!(e.to_string().contains("MLflow 3.4 or later"), "{e}");
}

#[test]
fn retries_are_bounded_and_an_outage_degrades_to_one_attempt() {
    let server = TestServer::start(vec![Reply::json(500, json!({"message": "down"}))]);
    let policy = RetryPolicy {
        max_attempts: 4,
        ..fast()
    };
    let mut exporter = MlflowExporter::new(&config(&server.uri))
        .unwrap()
        .with_retry_policy(policy);
    let started = Instant::now();
    assert!(exporter
        .export(&[trace(1)], &SharedMetadata::new())
        .unwrap_err()
        .is_retryable());
    assert_eq!(server.requests().len(), 4);
    assert_eq!(exporter.capabilities().counts.take_retries(), 3);
    assert!(exporter
        .export(&[trace(2)], &SharedMetadata::new())
        .is_err());
    assert_eq!(
        server.requests().len(),
        5,
        "degraded: one attempt per batch"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
    // Nothing listening at all: transport errors, same bounds.
    let mut exporter = MlflowExporter::new(&config(&refused_uri()))
        .unwrap()
        .with_retry_policy(policy);
    let e = exporter
        .export(&[trace(1)], &SharedMetadata::new())
        .unwrap_err();
    assert!(matches!(e, Error::Transport { .. }), "{e:?}");
    assert_eq!(exporter.capabilities().counts.take_retries(), 3);
}

/// The config MLflow's environment variables give, for `uri`.
fn env_config(uri: &str, vars: &[(&str, &str)]) -> Config {
    let (mut c, w) = Config::from_lookup(|k| {
        vars.iter()
            .find(|(name, _)| *name == k)
            .map(|(_, v)| v.to_string())
    });
    assert!(w.is_empty(), "{w:?}");
    c.tracking_uri = Some(uri.to_owned());
    c
}

#[test]
fn mlflow_retry_variables_set_the_attempts_and_waits_of_exports_and_calls() {
    let server = TestServer::start(vec![Reply::json(503, json!({"message": "busy"}))]);
    let cfg = env_config(
        &server.uri,
        &[
            ("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2"),
            ("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "0.1"),
            ("MLFLOW_HTTP_REQUEST_BACKOFF_JITTER", "0"),
        ],
    );
    let mut exporter = MlflowExporter::new(&cfg).unwrap();
    let started = Instant::now();
    let e = exporter
        .export(&[trace(1)], &SharedMetadata::new())
        .unwrap_err();
    assert!(e.is_retryable(), "{e}");
    // 1 attempt + MLFLOW_HTTP_REQUEST_MAX_RETRIES, then the worker spills the batch.
    assert_eq!(server.requests().len(), 3);
    assert_eq!(exporter.capabilities().counts.take_retries(), 2);
    // MLflow's waits: none before the first retry, 2 x 0.1 s before the second.
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(200) && took < Duration::from_secs(2),
        "{took:?}"
    );
    // The REST client (get_trace, search...) follows the same variables.
    let client = MlflowClient::from_config(&cfg).unwrap().unwrap();
    assert!(client
        .get_json("/api/2.0/mlflow/experiments/get", &[])
        .is_err());
    assert_eq!(server.requests().len(), 6);
}

#[test]
fn with_max_retries_zero_a_failed_export_is_not_retried_and_a_later_success_clears_it() {
    let server = TestServer::start(vec![
        Reply::json(502, json!({"message": "bad gateway"})),
        ok(),
    ]);
    let cfg = env_config(&server.uri, &[("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")]);
    let mut exporter = MlflowExporter::new(&cfg).unwrap();
    assert!(exporter
        .export(&[trace(1)], &SharedMetadata::new())
        .is_err());
    assert_eq!(server.requests().len(), 1);
    assert_eq!(exporter.capabilities().counts.take_retries(), 0);
    exporter
        .export(&[trace(1)], &SharedMetadata::new())
        .unwrap();
    assert_eq!(server.requests().len(), 3, "StartTraceV3 and the spans");
}

#[test]
fn a_refused_trace_info_does_not_fail_the_batch() {
    let server = TestServer::route(|r, _| {
        if r.target == "/api/3.0/mlflow/traces"
            && r.json()["trace"]["trace_info"]["trace_id"] == format!("tr-{:032x}", 1)
        {
            Reply::json(
                400,
                json!({"error_code": "INVALID_PARAMETER_VALUE", "message": "bad info"}),
            )
        } else {
            ok()
        }
    });
    let mut exporter = MlflowExporter::new(&config(&server.uri))
        .unwrap()
        .with_retry_policy(fast());
    exporter
        .export(&[trace(1), trace(2)], &SharedMetadata::new())
        .unwrap();
    assert_eq!(server.requests().len(), 3);
    assert!(crate::diag::recent_warnings()
        .iter()
        .any(|w| w.contains("bad info")));
}

#[test]
fn large_batches_are_split_between_traces() {
    let server = TestServer::start(vec![ok()]);
    let mut exporter = MlflowExporter::new(&config(&server.uri)).unwrap();
    let big = |id| {
        let mut t = trace(id);
        let mut s = (*t.spans[0]).clone();
        s.attributes.set(
            "blob",
            crate::model::RawJson::string(&"x".repeat(MAX_OTLP_BYTES / 2)),
        );
        t.spans = vec![Arc::new(s)].into();
        t
    };
    exporter
        .export(&[big(1), big(2), big(3), trace(4)], &SharedMetadata::new())
        .unwrap();
    let otlp: Vec<usize> = server
        .requests()
        .iter()
        .filter(|r| r.target == "/v1/traces")
        .map(|r| otlp_of(r).resource_spans[0].scope_spans[0].spans.len())
        .collect();
    assert_eq!(otlp.iter().sum::<usize>(), 4);
    assert!(otlp.len() >= 2, "{otlp:?}");
}

#[test]
fn a_remote_part_sends_its_spans_only_as_mlflow_does() {
    let server = TestServer::route(|_, _| ok());
    let mut exporter = MlflowExporter::new(&config(&server.uri)).unwrap();
    let remote_part = |id: u128| {
        let mut t = trace(id);
        let mut root = (*t.spans[0]).clone();
        root.parent_id = Some(SpanId(0xabc)); // a span of another process
        t.spans = vec![Arc::new(root)].into();
        t
    };
    exporter
        .export(
            &[remote_part(0x10), remote_part(0x11), trace(0x12)],
            &SharedMetadata::new(),
        )
        .unwrap();
    let reqs = server.requests();
    assert!(reqs.iter().all(|r| r.method == "POST"), "no lookups");
    let infos: Vec<String> = reqs
        .iter()
        .filter(|r| r.target == "/api/3.0/mlflow/traces")
        .map(|r| {
            r.json()["trace"]["trace_info"]["trace_id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(infos, [format!("tr-{:032x}", 0x12)]);
    // The spans of all three go in the OTLP request.
    let otlp: Vec<&Received> = reqs.iter().filter(|r| r.target == "/v1/traces").collect();
    assert_eq!(otlp.len(), 1);
    let spans: usize = otlp_of(otlp[0])
        .resource_spans
        .iter()
        .flat_map(|r| &r.scope_spans)
        .map(|s| s.spans.len())
        .sum();
    assert_eq!(spans, 3);
}
