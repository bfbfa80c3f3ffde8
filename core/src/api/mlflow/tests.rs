use std::time::{Duration, Instant};

use serde_json::json;

use super::*;
use crate::config::{Config, Secret};
use crate::export::mlflow::test_server::{refused_uri, Reply, TestServer};
use crate::export::mlflow::{MlflowExporter, RetryPolicy};
use crate::model::RawJson;
use crate::tracer::RootOptions;
use crate::Tracer;

fn config(uri: &str) -> Config {
    Config {
        tracking_uri: Some(uri.to_owned()),
        ..Config::default()
    }
}

fn one_trace(tracer: &Tracer, name: &str) -> String {
    let mut root = tracer.start_root(name.to_owned(), RootOptions::default());
    root.set_attribute("mlflow.spanType", RawJson::string("AGENT"));
    let child = tracer.start_child("llm", root.context(), None);
    child.end(None);
    let id = root.context().trace_id().to_mlflow();
    root.end(None);
    id
}

#[test]
fn an_assessment_follows_its_queued_trace() {
    let server = TestServer::route(|r, _| match r.target.as_str() {
        t if t.contains("get-by-name") => {
            Reply::json(200, json!({"experiment": {"experiment_id": "8"}}))
        }
        t if t.ends_with("/assessments") => {
            let mut a = r.json()["assessment"].clone();
            a["assessment_id"] = "a-1".into();
            Reply::json(200, json!({ "assessment": a }))
        }
        _ => Reply::json(200, json!({})),
    });
    let mut cfg = config(&server.uri);
    cfg.experiment_name = Some("assess".into());
    let tracer = Tracer::new(cfg);
    assert_eq!(
        tracer.resolve_experiment(Duration::from_secs(5)).unwrap(),
        "8"
    );
    let id = one_trace(&tracer, "agent");
    let feedback = json!({"assessment_name": "relevance", "source": {"source_type": "HUMAN", "source_id": "u"}, "feedback": {"value": 1}});
    let a = tracer.log_assessment(&id, feedback).unwrap();
    assert_eq!(a["assessment_id"], "a-1");
    assert_eq!(a["trace_id"], id.as_str());
    let paths: Vec<String> = server
        .requests()
        .iter()
        .map(|r| r.target.split('?').next().unwrap().to_owned())
        .collect();
    assert_eq!(
        paths,
        [
            "/api/2.0/mlflow/experiments/get-by-name".to_owned(),
            "/api/3.0/mlflow/traces".to_owned(),
            "/v1/traces".to_owned(),
            format!("/api/3.0/mlflow/traces/{id}/assessments"),
        ]
    );
    assert_eq!(tracer.stats().traces_exported, 1);
    tracer.set_trace_tag(&id, "k", "v").unwrap();
    tracer.delete_trace_tag(&id, "k").unwrap();
    let reqs = server.requests();
    assert_eq!(reqs[4].method, "PATCH");
    assert_eq!(reqs[4].target, format!("/api/2.0/mlflow/traces/{id}/tags"));
    assert_eq!(reqs[4].json(), json!({"key": "k", "value": "v"}));
    assert_eq!(
        (reqs[5].method.as_str(), reqs[5].json()),
        ("DELETE", json!({"key": "k"}))
    );
    assert!(tracer.log_assessment(&id, json!([1])).is_err());
    assert!(tracer.get_trace_info(" ").is_err());
}

#[test]
fn resolve_experiment_returns_within_its_timeout() {
    let hole = TestServer::start(vec![Reply::BlackHole]);
    for uri in [hole.uri.clone(), refused_uri()] {
        let mut cfg = config(&uri);
        cfg.experiment_name = Some("slow".into());
        let tracer = Tracer::new(cfg);
        let started = Instant::now();
        let e = tracer
            .resolve_experiment(Duration::from_millis(400))
            .unwrap_err();
        assert!(matches!(e, Error::Transport { .. }), "{e:?}");
        assert!(
            started.elapsed() < Duration::from_millis(1500),
            "{:?}",
            started.elapsed()
        );
    }
    // An explicit id is checked on the server.
    let server = TestServer::start(vec![Reply::json(
        404,
        json!({"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "No Experiment with id=42 exists"}),
    )]);
    let mut cfg = config(&server.uri);
    cfg.experiment_id = Some("42".into());
    let e = Tracer::new(cfg)
        .resolve_experiment(Duration::from_secs(5))
        .unwrap_err();
    assert!(e.to_string().contains("id=42"), "{e}");
    assert_eq!(
        server.requests()[0].target,
        "/api/2.0/mlflow/experiments/get?experiment_id=42"
    );
    // No server configured.
    let local = Tracer::new(Config::default());
    assert!(local.mlflow_client().is_none());
    assert!(local
        .resolve_experiment(Duration::from_secs(1))
        .unwrap_err()
        .to_string()
        .contains("MLFLOW_TRACKING_URI"));
}

fn fast_tracer(cfg: Config) -> Tracer {
    let policy = RetryPolicy {
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(20),
        ..Default::default()
    };
    Tracer::with_exporter_factory(
        cfg,
        Box::new(move |c, _, _| {
            vec![Box::new(MlflowExporter::new(c).unwrap().with_retry_policy(policy)) as _]
        }),
    )
}

#[test]
fn retries_and_failures_are_counted_and_auth_warnings_hide_secrets() {
    let server = TestServer::start(vec![Reply::empty(503), Reply::json(200, json!({}))]);
    let tracer = fast_tracer(config(&server.uri));
    one_trace(&tracer, "flaky");
    assert!(tracer.flush(Duration::from_secs(10)));
    let s = tracer.stats();
    assert_eq!(
        (s.traces_exported, s.export_retries, s.export_errors),
        (1, 1, 0)
    );

    let server = TestServer::start(vec![Reply::json(
        401,
        json!({"error_code": "UNAUTHENTICATED", "message": "nope"}),
    )]);
    let mut cfg = config(&server.uri);
    cfg.http.password = Some(Secret::new("pw-Sekr1t-99"));
    cfg.http.username = Some(Secret::new("bob"));
    assert!(!format!("{cfg:?}").contains("Sekr1t"));
    let tracer = fast_tracer(cfg);
    one_trace(&tracer, "denied");
    assert!(tracer.flush(Duration::from_secs(10)));
    let s = tracer.stats();
    assert_eq!(
        (s.export_errors, s.export_retries, s.traces_dropped),
        (1, 0, 1)
    );
    assert_eq!(server.requests().len(), 1, "auth failures are not retried");
    let warnings = crate::diag::recent_warnings();
    let w = warnings
        .iter()
        .find(|w| w.contains("refused the credentials"))
        .expect("an auth warning");
    assert!(
        w.contains("MLFLOW_TRACKING_PASSWORD") && w.contains("nope"),
        "{w}"
    );
    assert!(warnings.iter().all(|w| !w.contains("Sekr1t")));
}

#[test]
fn a_new_experiment_restarts_the_exporter() {
    let server = TestServer::start(vec![Reply::json(200, json!({}))]);
    let mut cfg = config(&server.uri);
    cfg.experiment_id = Some("1".into());
    let tracer = Tracer::new(cfg);
    one_trace(&tracer, "a");
    assert!(tracer.flush(Duration::from_secs(10)));
    tracer
        .configure(|c| {
            c.experiment_id = Some("2".into());
            Ok(())
        })
        .unwrap();
    one_trace(&tracer, "b");
    assert!(tracer.flush(Duration::from_secs(10)));
    let exps: Vec<_> = server
        .requests()
        .iter()
        .filter(|r| r.target == "/v1/traces")
        .map(|r| r.header("x-mlflow-experiment-id").unwrap().to_owned())
        .collect();
    assert_eq!(exps, ["1", "2"]);
}
