use std::time::{Duration, Instant};

use serde_json::json;

use super::*;
use crate::export::mlflow::test_server::{refused_uri, Reply, TestServer};

const PASSWORD: &str = "pw-Sekr1t-77";
const TOKEN: &str = "tok-Sekr1t-88";

fn fast() -> RetryPolicy {
    RetryPolicy {
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(20),
        ..Default::default()
    }
}

fn settings() -> HttpSettings {
    HttpSettings {
        username: Some(Secret::new("alice")),
        password: Some(Secret::new(PASSWORD)),
        token: Some(Secret::new(TOKEN)),
        request_timeout: Duration::from_secs(5),
        ..Default::default()
    }
}

impl MlflowClient {
    /// [`MlflowClient::post_json_text_once`], to completion.
    fn post_json_text(&self, path: &str, json: &[u8], deadline: Option<Instant>) -> Result<()> {
        self.block_on(|c| async move { self.post_json_text_once(&c, path, json, deadline).await })
    }
}

fn client(uri: &str, http: &HttpSettings) -> MlflowClient {
    MlflowClient::new(uri, http).unwrap().with_retry(fast())
}

fn mlflow_error(code: &str, message: &str) -> serde_json::Value {
    json!({"error_code": code, "message": message, "sqlstate": "KAM00", "error_class": "RESOURCE_NOT_FOUND"})
}

/// Neither the message nor the Debug form of an error may carry a credential.
fn assert_no_secret(e: &Error) {
    for text in [e.to_string(), format!("{e:?}")] {
        for secret in [PASSWORD, TOKEN, "YWxpY2U6cHctU2VrcjF0LTc3"] {
            assert!(!text.contains(secret), "{text}");
        }
    }
}

#[test]
fn auth_errors_name_the_settings_and_hide_credentials() {
    let server = TestServer::start(vec![Reply::json(
        401,
        json!({"error_code": "UNAUTHENTICATED", "message": "bad creds"}),
    )]);
    let c = client(&server.uri, &settings());
    let err = c
        .get_json("/api/2.0/mlflow/experiments/get", &[("experiment_id", "0")])
        .unwrap_err();
    assert!(matches!(err, Error::Auth { status: 401, .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("MLFLOW_TRACKING_USERNAME") && msg.contains("MLFLOW_TRACKING_TOKEN"),
        "{msg}"
    );
    assert!(
        msg.contains("bad creds") && msg.contains("GET /api/2.0/mlflow/experiments/get"),
        "{msg}"
    );
    assert_no_secret(&err);
    assert!(!format!("{c:?}").contains(PASSWORD) && !format!("{c:?}").contains(TOKEN));
    // Basic wins over a token, as in MLflow; not retried.
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("alice:{PASSWORD}"))
    );
    assert_eq!(reqs[0].header("authorization"), Some(expected.as_str()));
    assert!(reqs[0]
        .header("user-agent")
        .unwrap()
        .starts_with("ferrotrace/"));
    assert_eq!(
        reqs[0].target,
        "/api/2.0/mlflow/experiments/get?experiment_id=0"
    );
}

#[test]
fn a_token_alone_is_a_bearer_and_403_is_auth_too() {
    let server = TestServer::start(vec![Reply::empty(403)]);
    let http = HttpSettings {
        token: Some(Secret::new(TOKEN)),
        ..Default::default()
    };
    let err = client(&server.uri, &http)
        .post_json("/x", &json!({}))
        .unwrap_err();
    assert!(matches!(err, Error::Auth { status: 403, .. }));
    assert_no_secret(&err);
    assert_eq!(
        server.requests()[0].header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
}

#[test]
fn credentials_in_the_uri_become_basic_auth_and_stay_out_of_messages() {
    let server = TestServer::start(vec![Reply::json(500, json!({"message": "db down"}))]);
    let with_creds = server
        .uri
        .replace("http://", &format!("http://alice:{PASSWORD}@"));
    let c = client(&with_creds, &HttpSettings::default()).with_retry(RetryPolicy::NONE);
    assert_eq!(c.base_uri(), server.uri);
    let err = c.get_json("/p", &[]).unwrap_err();
    assert!(
        matches!(err, Error::Server { status: 500, .. }) && err.to_string().contains("db down")
    );
    assert_no_secret(&err);
    assert!(server.requests()[0]
        .header("authorization")
        .unwrap()
        .starts_with("Basic "));
    let refused = refused_uri().replace("http://", &format!("http://alice:{PASSWORD}@"));
    let err = client(&refused, &settings())
        .with_retry(RetryPolicy::NONE)
        .get_json("/p", &[])
        .unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert_no_secret(&err);
}

#[test]
fn not_found_and_refusals_carry_the_server_message_and_code() {
    let server = TestServer::start(vec![
        Reply::json(
            404,
            mlflow_error(
                "RESOURCE_DOES_NOT_EXIST",
                "No Experiment with id=99999 exists",
            ),
        ),
        Reply::json(
            400,
            mlflow_error(
                "RESOURCE_ALREADY_EXISTS",
                "Experiment(name=x) already exists",
            ),
        ),
        Reply::json(
            422,
            json!({"detail": [{"type": "missing", "loc": ["header", "x-mlflow-experiment-id"]}]}),
        ),
        Reply::With(418, vec![], "plain text teapot".into()),
        Reply::json(
            501,
            json!({"detail": "REST OTLP span logging is not supported by FileStore"}),
        ),
    ]);
    let c = client(&server.uri, &HttpSettings::default());
    let e = c.get_json("/a", &[]).unwrap_err();
    assert!(matches!(&e, Error::NotFound { .. }));
    assert_eq!(e.mlflow_code(), Some("RESOURCE_DOES_NOT_EXIST"));
    assert!(e.to_string().contains("No Experiment with id=99999 exists"));
    let e = c.post_json("/b", &json!({})).unwrap_err();
    assert!(
        matches!(&e, Error::Rejected { status: 400, .. })
            && e.mlflow_code() == Some("RESOURCE_ALREADY_EXISTS")
    );
    let e = c.post_json("/c", &json!({})).unwrap_err();
    assert!(e.to_string().contains("x-mlflow-experiment-id"), "{e}");
    let e = c.post_json("/d", &json!({})).unwrap_err();
    assert!(e.to_string().contains("plain text teapot") && !e.is_retryable());
    let e = c.post_otlp("1", b"x").unwrap_err();
    assert!(
        matches!(e, Error::Rejected { status: 501, .. }) && e.to_string().contains("FileStore"),
        "{e}"
    );
    assert_eq!(server.requests().len(), 5, "4xx and 501 are never retried");
}

#[test]
fn server_errors_are_retried_then_succeed() {
    let server = TestServer::start(vec![
        Reply::json(500, json!({"message": "boom"})),
        Reply::With(429, vec![("retry-after", "0".into())], String::new()),
        Reply::json(200, json!({"experiment": {"experiment_id": "3"}})),
    ]);
    let c = client(&server.uri, &HttpSettings::default());
    let v = c.get_json("/x", &[]).unwrap();
    assert_eq!(v["experiment"]["experiment_id"], "3");
    assert_eq!(server.requests().len(), 3);
}

#[test]
fn a_black_hole_times_out_within_the_request_timeout() {
    let server = TestServer::start(vec![Reply::BlackHole]);
    let http = HttpSettings {
        request_timeout: Duration::from_millis(300),
        ..Default::default()
    };
    let c = MlflowClient::new(&server.uri, &http)
        .unwrap()
        .with_retry(RetryPolicy::NONE);
    let started = Instant::now();
    let e = c.get_json("/x", &[]).unwrap_err();
    let took = started.elapsed();
    assert!(
        matches!(&e, Error::Transport { .. }) && e.is_retryable(),
        "{e:?}"
    );
    assert!(e.to_string().contains("MLFLOW_HTTP_REQUEST_TIMEOUT"), "{e}");
    assert!(
        took >= Duration::from_millis(250) && took < Duration::from_secs(3),
        "{took:?}"
    );
    // A deadline shorter than the timeout wins, retries included.
    let c = MlflowClient::new(&server.uri, &HttpSettings::default()).unwrap();
    let started = Instant::now();
    let deadline = Some(started + Duration::from_millis(400));
    assert!(c.json(Method::Get, "/x", &[], None, deadline).is_err());
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn experiments_are_created_on_404_and_a_create_race_is_survived() {
    let server = TestServer::route(|req, _| match req.method.as_str() {
        "GET" => Reply::json(
            404,
            mlflow_error("RESOURCE_DOES_NOT_EXIST", "Could not find experiment"),
        ),
        _ => Reply::json(200, json!({"experiment_id": "12"})),
    });
    let c = client(&server.uri, &HttpSettings::default());
    assert_eq!(c.resolve_experiment("fresh exp/1").unwrap(), "12");
    let reqs = server.requests();
    assert_eq!(
        reqs[0].target,
        "/api/2.0/mlflow/experiments/get-by-name?experiment_name=fresh%20exp%2F1"
    );
    assert_eq!(reqs[1].json(), json!({"name": "fresh exp/1"}));
    assert_eq!(reqs[1].header("content-type"), Some("application/json"));

    // The race: 404, create says it exists, read again.
    let found = json!({"experiment": {"experiment_id": "4", "lifecycle_stage": "active"}});
    let server = TestServer::start(vec![
        Reply::json(404, mlflow_error("RESOURCE_DOES_NOT_EXIST", "no")),
        Reply::json(
            400,
            mlflow_error("RESOURCE_ALREADY_EXISTS", "already exists"),
        ),
        Reply::json(200, found),
    ]);
    assert_eq!(
        client(&server.uri, &HttpSettings::default())
            .resolve_experiment("racy")
            .unwrap(),
        "4"
    );
    assert_eq!(server.requests().len(), 3);

    let deleted = json!({"experiment": {"experiment_id": "4", "lifecycle_stage": "deleted"}});
    let server = TestServer::start(vec![Reply::json(200, deleted)]);
    let e = client(&server.uri, &HttpSettings::default())
        .resolve_experiment("gone")
        .unwrap_err();
    assert!(e.to_string().contains("deleted"), "{e}");
}

#[test]
fn otlp_posts_gzip_protobuf_with_the_experiment_header() {
    let server = TestServer::start(vec![Reply::With(
        200,
        vec![("content-type", "application/x-protobuf".into())],
        String::new(),
    )]);
    let c = client(&server.uri, &settings());
    c.post_otlp("7", &[0x1f, 0x8b, 1, 2]).unwrap();
    let r = &server.requests()[0];
    assert_eq!(
        (r.method.as_str(), r.target.as_str()),
        ("POST", "/v1/traces")
    );
    assert_eq!(r.header("x-mlflow-experiment-id"), Some("7"));
    assert_eq!(r.header("content-type"), Some("application/x-protobuf"));
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    assert_eq!(r.body, vec![0x1f, 0x8b, 1, 2]);
}

#[test]
fn non_json_success_is_an_error_and_empty_is_an_empty_object() {
    let server = TestServer::start(vec![
        Reply::empty(200),
        Reply::With(200, vec![], "<html>login</html>".into()),
    ]);
    let c = client(&server.uri, &HttpSettings::default());
    assert_eq!(c.patch_json("/t", &json!({"key": "k"})).unwrap(), json!({}));
    let e = c.delete_json("/t", &json!({"key": "k"})).unwrap_err();
    assert!(e.to_string().contains("not JSON"), "{e}");
    let reqs = server.requests();
    assert_eq!(
        (reqs[0].method.as_str(), reqs[1].method.as_str()),
        ("PATCH", "DELETE")
    );
    assert_eq!(reqs[1].json(), json!({"key": "k"}));
}

#[test]
fn json_text_posts_check_the_answer_without_keeping_it() {
    let server = TestServer::start(vec![
        Reply::empty(200),
        Reply::With(
            200,
            vec![],
            r#"{"trace": {"trace_info": {"a": [1, 2]}}}"#.into(),
        ),
        Reply::With(200, vec![], "<html>login</html>".into()),
    ]);
    let c = client(&server.uri, &HttpSettings::default());
    let body = br#"{"trace":{}}"#;
    c.post_json_text("/t", body, None).unwrap();
    c.post_json_text("/t", body, None).unwrap();
    let e = c.post_json_text("/t", body, None).unwrap_err();
    assert!(e.to_string().contains("not JSON"), "{e}");
    let r = &server.requests()[0];
    assert_eq!((r.method.as_str(), r.body.as_slice()), ("POST", &body[..]));
    assert_eq!(r.header("content-type"), Some("application/json"));
}

#[test]
fn an_unreadable_ca_bundle_names_the_setting() {
    let http = HttpSettings {
        server_cert_path: Some("/nonexistent/ca.pem".into()),
        ..Default::default()
    };
    let e = MlflowClient::new("https://h", &http).unwrap_err();
    assert!(
        e.to_string().contains("MLFLOW_TRACKING_SERVER_CERT_PATH"),
        "{e}"
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.pem");
    std::fs::write(&path, "not a certificate").unwrap();
    let http = HttpSettings {
        server_cert_path: Some(path),
        ..Default::default()
    };
    assert!(MlflowClient::new("https://h", &http).is_err());
    let insecure = HttpSettings {
        insecure_tls: true,
        ..Default::default()
    };
    assert!(MlflowClient::new("https://h", &insecure).is_ok());
}

#[test]
fn a_tls_failure_is_not_retried_and_names_the_settings() {
    // A plain-HTTP peer answering a TLS ClientHello: the handshake fails in rustls.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let n = accepted.clone();
    std::thread::spawn(move || {
        for s in listener.incoming() {
            let Ok(mut s) = s else { return };
            n.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            use std::io::Write as _;
            let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n");
        }
    });
    let c = client(
        &format!("https://127.0.0.1:{port}"),
        &HttpSettings::default(),
    );
    let e = c.get_json("/x", &[]).unwrap_err();
    assert!(matches!(e, Error::Tls { .. }) && !e.is_retryable(), "{e:?}");
    assert!(
        e.to_string().contains("MLFLOW_TRACKING_SERVER_CERT_PATH"),
        "{e}"
    );
    assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 1);
}
