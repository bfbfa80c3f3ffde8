//! Redaction through the whole pipeline: what reaches a destination (here the local store's
//! files on disk) never holds a secret, only `[REDACTED:<rule>]` markers.

mod common;

use common::FLUSH;
use ferrotrace_core::config::{Config, ConfigUpdate, NameStyle, ProcessUpdate};
use ferrotrace_core::model::{RawJson, SpanEvent, StatusCode};
use ferrotrace_core::tracer::RootOptions;
use ferrotrace_core::Tracer;

const OPENAI: &str = "sk-proj-Zx81abcdefghijklmnopqrstu";
const AWS: &str = "AKIAZX81ABCDEFGHIJKL";
const PASSWORD: &str = "hunter2-zx81";
const GITHUB: &str = "ghp_Zx81abcdefghijklmnopqrstuvwxyz012345";
const EMAIL: &str = "zx81.owner@example.com";

/// Records one trace with secrets in inputs, outputs, attributes, an event, tags and metadata.
fn traced_call(tracer: &Tracer) {
    let mut root = tracer.start_root("agent", RootOptions::default());
    root.set_attribute(
        "mlflow.spanInputs",
        RawJson::from_trusted(format!(
            r#"{{"question": "mail {EMAIL}", "api_key": "{OPENAI}", "db": {{"password": "{PASSWORD}"}}, "t": NaN}}"#
        )),
    );
    root.set_attribute(
        "mlflow.spanOutputs",
        RawJson::string(&format!("used {AWS}")),
    );
    root.set_attribute("x-api-key", RawJson::string(OPENAI));
    root.context().update_trace(|d| {
        d.tags.insert("deploy_token".into(), GITHUB.into());
        d.metadata.insert("note".into(), format!("aws {AWS}"));
    });
    let mut child = tracer.start_child("llm", root.context(), None);
    let mut attrs = ferrotrace_core::model::Attributes::new();
    attrs.set(
        "exception.message",
        RawJson::string(&format!("401 for {GITHUB}")),
    );
    child.add_event(SpanEvent {
        name: "exception".into(),
        time_ns: 1,
        attributes: attrs,
    });
    child.set_status(StatusCode::Error, format!("AuthError: {OPENAI}"));
    child.end(None);
    root.end(None);
}

fn store_bytes(dir: &std::path::Path) -> String {
    let mut all = Vec::new();
    for e in walk(dir) {
        all.extend(std::fs::read(e).unwrap());
    }
    String::from_utf8_lossy(&all).into_owned()
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn secrets_never_reach_the_local_store() {
    let dir = tempfile::tempdir().unwrap();
    let tracer = Tracer::new(Config {
        local_dir: dir.path().to_owned(),
        ..Config::default()
    });
    traced_call(&tracer);
    assert!(tracer.flush(FLUSH));
    let raw = store_bytes(dir.path());
    assert!(!raw.is_empty());
    for secret in [OPENAI, AWS, PASSWORD, GITHUB] {
        assert!(!raw.contains(secret), "{secret} reached the store");
    }
    for m in [
        "[REDACTED:secret_key]",
        "[REDACTED:openai_key]",
        "[REDACTED:aws_access_key]",
        "[REDACTED:github_token]",
    ] {
        assert!(raw.contains(m), "{m} missing");
    }
    assert!(raw.contains(EMAIL), "PII rules are opt-in");
    let st = tracer.stats();
    assert_eq!(st.redactions, 8);
    // The read-back trace is valid and keeps Python's NaN.
    let read = ferrotrace_core::store::read_store(dir.path()).unwrap();
    assert_eq!(read.traces.len(), 1);
    assert!(read.warnings.is_empty(), "{:?}", read.warnings);
}

#[test]
fn pii_and_user_rules_from_code_and_off() {
    let dir = tempfile::tempdir().unwrap();
    let tracer = Tracer::new(Config {
        local_dir: dir.path().to_owned(),
        ..Config::default()
    });
    let set = |redact: &str, patterns: Vec<(String, String)>| {
        tracer.configure(|c| {
            c.apply(
                ConfigUpdate {
                    process: ProcessUpdate {
                        redact: Some(redact.into()),
                        redact_patterns: Some(patterns),
                        ..ProcessUpdate::default()
                    },
                    ..ConfigUpdate::default()
                },
                NameStyle::Snake,
            )
        })
    };
    let err = set("secrets", vec![("bad".into(), "(".into())]).unwrap_err();
    assert!(err.to_string().contains("redact_patterns"), "{err}");
    set("secrets,pii", vec![("owner".into(), "zx81".into())]).unwrap();
    traced_call(&tracer);
    assert!(tracer.flush(FLUSH));
    let raw = store_bytes(dir.path());
    assert!(!raw.contains(EMAIL) && !raw.to_lowercase().contains("zx81"));
    assert!(raw.contains("[REDACTED:email]"));

    let plain = tempfile::tempdir().unwrap();
    let off = Tracer::new(Config {
        local_dir: plain.path().to_owned(),
        ..Config::default()
    });
    off.configure(|c| {
        c.apply(
            ConfigUpdate {
                process: ProcessUpdate {
                    redact: Some("off".into()),
                    ..ProcessUpdate::default()
                },
                ..ConfigUpdate::default()
            },
            NameStyle::Snake,
        )
    })
    .unwrap();
    traced_call(&off);
    assert!(off.flush(FLUSH));
    assert!(store_bytes(plain.path()).contains(OPENAI), "off means off");
    assert_eq!(off.stats().redactions, 0);
}

/// A nested JSON document, `levels` times inside strings, with a password at every level.
fn nested_in_strings(levels: usize) -> String {
    let mut doc = format!(r#"{{"password": "{PASSWORD}"}}"#);
    for _ in 0..levels {
        doc = format!(
            r#"{{"password": "{PASSWORD}", "payload": {}}}"#,
            serde_json::to_string(&doc).unwrap()
        );
    }
    doc
}

#[test]
fn secrets_in_names_keys_and_deep_json_and_ids_kept() {
    let dir = tempfile::tempdir().unwrap();
    let tracer = Tracer::new(Config {
        local_dir: dir.path().to_owned(),
        ..Config::default()
    });
    let mut root = tracer.start_root(format!("login {OPENAI}"), RootOptions::default());
    root.set_attribute(
        "mlflow.spanInputs",
        RawJson::from_trusted(format!(
            r#"{{"session_id": "conv-20261207-42", "user_id": "u-7", "keys": {{"{AWS}": "prod"}}, "nested": {}}}"#,
            serde_json::to_string(&nested_in_strings(5)).unwrap()
        )),
    );
    root.add_event(SpanEvent {
        name: format!("retry with {GITHUB}"),
        time_ns: 1,
        attributes: Default::default(),
    });
    root.context().update_trace(|d| {
        d.client_request_id = Some("req-7f3a9c2e".into());
        d.metadata
            .insert("mlflow.trace.session".into(), "conv-20261207-42".into());
    });
    root.end(None);
    assert!(tracer.flush(FLUSH));
    let raw = store_bytes(dir.path());
    for secret in [OPENAI, AWS, PASSWORD, GITHUB] {
        assert!(!raw.contains(secret), "{secret} reached the store");
    }
    let read = ferrotrace_core::store::read_store(dir.path()).unwrap();
    let t = &read.traces[0];
    let span = &t.data.spans[0];
    assert_eq!(span.name, "login [REDACTED:openai_key]");
    assert_eq!(span.events[0].name, "retry with [REDACTED:github_token]");
    let inputs: serde_json::Value =
        serde_json::from_str(span.attributes["mlflow.spanInputs"].as_str().unwrap()).unwrap();
    assert_eq!(
        inputs["session_id"], "conv-20261207-42",
        "a session id is data"
    );
    assert_eq!(inputs["keys"]["[REDACTED:aws_access_key]"], "prod");
    assert_eq!(t.info.client_request_id.as_deref(), Some("req-7f3a9c2e"));
    assert_eq!(
        t.info.trace_metadata["mlflow.trace.session"],
        "conv-20261207-42"
    );
    assert_eq!(
        t.info.tags["mlflow.traceName"], "login [REDACTED:openai_key]",
        "the trace name follows its root span's"
    );
}

/// A streamed token (`new_token` event, `token` attribute, as MLflow's LangChain tracer records
/// it) is text, kept by default; `token` elsewhere is still a secret key, and a credential inside
/// a streamed token is still found by the value rules.
#[test]
fn streamed_tokens_are_kept_while_token_keys_elsewhere_are_redacted() {
    let dir = tempfile::tempdir().unwrap();
    let tracer = Tracer::new(Config {
        local_dir: dir.path().to_owned(),
        ..Config::default()
    });
    let mut root = tracer.start_root("chat", RootOptions::default());
    for (name, token) in [
        ("new_token", "Hello"),
        ("new_token", OPENAI),
        ("login", "s3cr3t-zx81"),
    ] {
        let mut attrs = ferrotrace_core::model::Attributes::new();
        attrs.set("token", RawJson::string(token));
        root.add_event(SpanEvent {
            name: name.into(),
            time_ns: 1,
            attributes: attrs,
        });
    }
    root.end(None);
    tracer.flush(FLUSH);
    let stored = store_bytes(dir.path());
    assert!(stored.contains(r#""token":"Hello""#), "{stored}");
    assert!(!stored.contains(OPENAI));
    assert!(!stored.contains("s3cr3t-zx81"));
}
