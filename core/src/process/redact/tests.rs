use super::*;
use crate::config::{RedactSettings, UserPattern};

fn secrets() -> Redactor {
    Redactor::new(&RedactSettings::default()).unwrap()
}

fn all() -> Redactor {
    Redactor::new(&RedactSettings {
        secrets: true,
        pii: true,
        patterns: vec![UserPattern {
            name: "employee_id".into(),
            pattern: r"EMP-\d{6}".into(),
        }],
    })
    .unwrap()
}

/// The text after redaction (unchanged text when nothing matched).
fn text(r: &Redactor, s: &str) -> String {
    r.redact_text(s).map_or_else(|| s.to_owned(), |(t, _)| t)
}

fn json(r: &Redactor, s: &str) -> String {
    r.redact_json(s).map_or_else(|| s.to_owned(), |(t, _)| t)
}

#[track_caller]
fn redacts(r: &Redactor, input: &str, rule: &str) {
    let out = text(r, input);
    assert!(
        out.contains(&marker(rule)),
        "{input:?} -> {out:?}, want {rule}"
    );
}

#[track_caller]
fn keeps(r: &Redactor, input: &str) {
    assert_eq!(text(r, input), input, "near miss must stay");
}

#[test]
fn secret_formats_and_near_misses() {
    let r = secrets();
    let jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
    redacts(&r, &format!("token {jwt} end"), "jwt");
    keeps(&r, "eyJhbGciOi is the start of many things");
    redacts(
        &r,
        "key sk-proj-abcdefghijklmnopqrstuvwxyz0123",
        "openai_key",
    );
    redacts(&r, "sk-abcdefghijklmnopqrstuvwxyz0123456789", "openai_key");
    keeps(
        &r,
        "task-abcdefghijklmnopqrstuvwxyz risk-management-guidelines-document",
    );
    keeps(&r, "sk-short");
    let ant = "sk-ant-api03-abcdefghijklmnopqrstuvwxyzABCDEF";
    assert_eq!(text(&r, ant), "[REDACTED:anthropic_key]");
    redacts(&r, "AKIAIOSFODNN7EXAMPLE", "aws_access_key");
    keeps(&r, "AKIAIOSFODNN7EXAMPLEX is too long, AKIA123 too short");
    redacts(
        &r,
        "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
        "github_token",
    );
    redacts(
        &r,
        "github_pat_11ABCDEFG0123456789_abcdefghij",
        "github_token",
    );
    keeps(&r, "ghp_short and github_pat_x");
    redacts(&r, "xoxb-123456789012-abcdefghij", "slack_token");
    keeps(&r, "xoxo-hugs-and-kisses");
    redacts(
        &r,
        "AIzaSyA-1234567890abcdefghijklmnopqrstu",
        "google_api_key",
    );
    keeps(&r, "AIza too short");
    redacts(&r, "sk_live_abcdefghijklmnop1234", "stripe_key");
    redacts(&r, "rk_live_abcdefghijklmnop1234", "stripe_key");
    keeps(&r, "sk_live_ short");
    redacts(&r, "Authorization: Bearer abc.def-123_456", "bearer");
    keeps(&r, "bearer bonds are paper");
    let pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----";
    assert_eq!(text(&r, &format!("k={pem}!")), "k=[REDACTED:private_key]!");
    keeps(&r, "-----BEGIN CERTIFICATE-----");
    assert_eq!(
        text(&r, "postgres://app:hunter2@db:5432/x"),
        "postgres://app:[REDACTED:url_password]@db:5432/x"
    );
    keeps(&r, "https://example.com/a:b");
    assert_eq!(
        text(&r, "login failed: password=hunter22 for bob"),
        "login failed: password=[REDACTED:secret_assignment] for bob"
    );
    keeps(&r, "the password is required; max tokens: 512");
}

#[test]
fn secret_key_names() {
    for k in [
        "password",
        "PASSWORD",
        "db_password",
        "passwd",
        "client_secret",
        "secret",
        "access_token",
        "refreshToken",
        "X-Auth-Token",
        "api_key",
        "apiKey",
        "X-API-KEY",
        "openai-api-key",
        "aws_access_key_id",
        "private_key",
        "Authorization",
        "proxy-authorization",
        "cookie",
        "Set-Cookie",
        "session_token",
        "csrf_token",
        "token",
    ] {
        assert!(is_secret_key(k), "{k}");
    }
    for k in [
        "max_tokens",
        "input_tokens",
        "total_tokens",
        "mlflow.chat.tokenUsage",
        "token_count",
        "tokenizer",
        "secretary",
        "keyword",
        "session",
        "mlflow.trace.session",
        "author",
        "key",
        // A conversation id (MLflow's session tracking), a correlation id, pagination and
        // tokenizer settings: data, not credentials.
        "session_id",
        "sessionId",
        "X-Session-ID",
        "client_request_id",
        "next_page_token",
        "nextPageToken",
        "NextToken",
        "eos_token",
        "pad_token",
        "max_token",
        "[REDACTED:aws_access_key]",
        "[REDACTED:github_token]",
    ] {
        assert!(!is_secret_key(k), "{k}");
    }
}

#[test]
fn pii_rules_are_checked_and_opt_in() {
    let r = all();
    redacts(&r, "mail bob.smith+x@example.co.uk now", "email");
    keeps(&r, "user@localhost and @mention");
    redacts(&r, "card 4111 1111 1111 1111 exp", "card_number");
    redacts(&r, "card 4111-1111-1111-1111", "card_number");
    redacts(&r, "5500005555555559", "card_number");
    keeps(&r, "order 4111 1111 1111 1112");
    assert_eq!(
        text(&r, "paid 12 4111 1111 1111 1111 2026"),
        "paid 12 [REDACTED:card_number] 2026",
        "the valid part of a longer digit run"
    );
    redacts(&r, "DE89 3704 0044 0532 0130 00", "iban");
    redacts(&r, "GB82WEST12345698765432", "iban");
    keeps(&r, "GB82WEST12345698765433");
    assert_eq!(
        text(&r, "to DE89 3704 0044 0532 0130 00 AND more"),
        "to [REDACTED:iban] AND more"
    );
    redacts(&r, "call +1 (555) 123-4567", "phone");
    redacts(&r, "call 555-123-4567", "phone");
    redacts(&r, "+44 20 7946 0958", "phone");
    redacts(&r, "+4915112345678", "phone");
    keeps(
        &r,
        "on 2026-11-25 at 14:40:48 from 192.168.100.200 v1.2.3 id 1732545600",
    );
    redacts(&r, "EMP-123456", "employee_id");
    keeps(&r, "EMP-12345");

    let s = secrets();
    keeps(&s, "bob@example.com 4111 1111 1111 1111");
}

#[test]
fn luhn_and_iban_checks() {
    assert!(luhn_ok("4111111111111111") && luhn_ok("378282246310005"));
    assert!(!luhn_ok("4111111111111112") && !luhn_ok("0000000000000000"));
    assert!(!luhn_ok("411111111111"), "too short");
    assert!(iban_ok("DE89370400440532013000") && iban_ok("FR14 2004 1010 0505 0001 3M02 606"));
    assert!(!iban_ok("DE89370400440532013001") && !iban_ok("DE8937"));
}

#[test]
fn json_keeps_its_shape_and_python_dialect() {
    let r = secrets();
    let src = r#"{"api_key": "sk-abcdefghijklmnopqrstuvwxyz0123", "nested": {"password": {"a": [1, 2]}}, "x": NaN, "y": 1.0, "msg": "use sk-abcdefghijklmnopqrstuvwxyz0123 now", "max_tokens": 5}"#;
    let (out, n) = r.redact_json(src).unwrap();
    assert_eq!(
        out,
        r#"{"api_key": "[REDACTED:secret_key]", "nested": {"password": "[REDACTED:secret_key]"}, "x": NaN, "y": 1.0, "msg": "use [REDACTED:openai_key] now", "max_tokens": 5}"#
    );
    assert_eq!(n, 3);
    assert_eq!(r.redact_json(&out), None, "redacting twice changes nothing");
    // Escapes survive; JSON inside a string is scanned as JSON.
    let src = r#"["line\nBearer abcdefgh12345", "{\"token\": \"t0psecret\"}", "plain"]"#;
    let out = json(&r, src);
    assert_eq!(
        out,
        r#"["line\n[REDACTED:bearer]", "{\"token\": \"[REDACTED:secret_key]\"}", "plain"]"#
    );
    serde_json::from_str::<serde_json::Value>(&out).unwrap();
    // Text cut short (a truncated preview) is still redacted up to the cut.
    let cut = r#"{"password": "hunter2", "q": "AKIAIOSFODNN7EXAMPLE and mo"#;
    assert_eq!(
        json(&r, cut),
        r#"{"password": "[REDACTED:secret_key]", "q": "[REDACTED:aws_access_key] and mo"#
    );
    // No anchor hit: nothing parsed or copied.
    assert!(r.redact_json(r#"{"q": "hello", "n": 3}"#).is_none());
}

#[test]
fn whole_trace_is_redacted_spans_events_and_info() {
    use crate::model::{SpanEvent, SpanRecord};
    let r = secrets();
    let mut span = SpanRecord::default();
    span.attributes.set(
        "mlflow.spanInputs",
        RawJson::from_trusted(r#"{"api_key": "abc", "q": "hi"}"#),
    );
    span.attributes
        .set("http.authorization", RawJson::string("Basic Zm9vOmJhcg=="));
    span.attributes
        .set("mlflow.spanType", RawJson::string("LLM"));
    span.status.message = "AuthError: bad key sk-abcdefghijklmnopqrstuvwxyz0123".into();
    let mut ev = Attributes::new();
    ev.set(
        "exception.message",
        RawJson::string("ghp_abcdefghijklmnopqrstuvwxyz0123456789 rejected"),
    );
    span.events.push(SpanEvent {
        name: "exception".into(),
        time_ns: 1,
        attributes: ev,
    });
    let shared = Arc::new(span);
    let mut trace = Trace {
        spans: vec![shared.clone()].into(),
        ..Default::default()
    };
    trace.info.tags.insert("cookie".into(), "sid=1".into());
    trace
        .info
        .metadata
        .insert("note".into(), "AKIAIOSFODNN7EXAMPLE".into());
    trace.info.request_preview = Some(r#"{"password": "x"}"#.into());
    let n = r.redact_trace(&mut trace);
    assert_eq!(n, 7);
    let s = &trace.spans[0];
    assert_eq!(
        s.attributes.get("mlflow.spanInputs").unwrap().as_str(),
        r#"{"api_key": "[REDACTED:secret_key]", "q": "hi"}"#
    );
    assert_eq!(
        s.attributes.get("http.authorization").unwrap().as_str(),
        r#""[REDACTED:secret_key]""#
    );
    assert_eq!(s.status.message, "AuthError: bad key [REDACTED:openai_key]");
    assert!(s.events[0]
        .attributes
        .get("exception.message")
        .unwrap()
        .as_str()
        .contains("[REDACTED:github_token]"));
    assert_eq!(trace.info.tags["cookie"], "[REDACTED:secret_key]");
    assert_eq!(trace.info.metadata["note"], "[REDACTED:aws_access_key]");
    assert_eq!(
        trace.info.request_preview.as_deref(),
        Some(r#"{"password": "[REDACTED:secret_key]"}"#)
    );
    assert!(
        shared.status.message.contains("sk-"),
        "the binding's copy is not touched"
    );
    assert_eq!(r.redact_trace(&mut trace), 0);
    assert_eq!(Redactor::off().redact_trace(&mut trace), 0);
}

#[test]
fn secrets_in_names_and_keys() {
    use crate::model::{SpanEvent, SpanRecord};
    const KEY: &str = "sk-proj-abcdefghijklmnopqrstuvwxyz0123";
    const GH: &str = "ghp_abcdefghijklmnopqrstuvwxyz0123456789";
    let r = secrets();
    // A secret used as a JSON key goes; its value is still scanned; two such keys stay two.
    let src = format!(
        r#"{{"{KEY}": {{"n": 1}}, "x": {{"{GH}": "a", "ghp_9876543210zyxwvutsrqponmlkjihgfedcba": "b", "password": "p"}}}}"#
    );
    let out = json(&r, &src);
    assert_eq!(
        out,
        r#"{"[REDACTED:openai_key]": {"n": 1}, "x": {"[REDACTED:github_token]": "a", "[REDACTED:github_token] (2)": "b", "password": "[REDACTED:secret_key]"}}"#
    );
    let parsed: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        parsed["x"].as_object().unwrap().len(),
        3,
        "keys stay distinct"
    );
    assert_eq!(r.redact_json(&out), None, "redacting twice changes nothing");

    let mut span = SpanRecord {
        name: format!("call with {KEY}").into(),
        ..SpanRecord::default()
    };
    span.attributes
        .set(format!("header.{GH}"), RawJson::string("v"));
    span.attributes
        .set("mlflow.spanType", RawJson::string("LLM"));
    span.events.push(SpanEvent {
        name: format!("retry {GH}"),
        time_ns: 1,
        attributes: Attributes::new(),
    });
    let mut trace = Trace {
        spans: vec![Arc::new(span)].into(),
        ..Default::default()
    };
    trace.info.tags.insert(KEY.into(), "tagged".into());
    trace
        .info
        .metadata
        .insert("mlflow.trace.session".into(), "session-42".into());
    trace.info.client_request_id = Some(format!("req-{KEY}"));
    let n = r.redact_trace(&mut trace);
    assert_eq!(n, 5);
    let s = &trace.spans[0];
    assert_eq!(s.name, "call with [REDACTED:openai_key]");
    assert_eq!(s.events[0].name, "retry [REDACTED:github_token]");
    let keys: Vec<&str> = s.attributes.iter().map(|(k, _)| k).collect();
    assert_eq!(keys, ["mlflow.spanType", "header.[REDACTED:github_token]"]);
    assert_eq!(trace.info.tags["[REDACTED:openai_key]"], "tagged");
    assert_eq!(trace.info.metadata["mlflow.trace.session"], "session-42");
    assert_eq!(
        trace.info.client_request_id.as_deref(),
        Some("req-[REDACTED:openai_key]")
    );
    assert_eq!(
        r.redact_trace(&mut trace),
        0,
        "redacting twice changes nothing"
    );

    // Names with a stem but no secret, and an ordinary client request id, stay.
    let mut plain = Trace {
        spans: vec![Arc::new(SpanRecord {
            name: "refresh_token_and_retry".into(),
            ..SpanRecord::default()
        })]
        .into(),
        ..Default::default()
    };
    plain.info.client_request_id = Some("req-7f3a9c2e-5b1d-4e8f-a6c0-1d2e3f4a5b6c".into());
    assert_eq!(r.redact_trace(&mut plain), 0);
}

/// `{"password": "hunter2", "q": <inner>}` as JSON text, nested `levels` times in strings.
fn nested_doc(levels: usize) -> String {
    let mut doc = r#"{"password": "hunter2", "q": "leaf"}"#.to_owned();
    for _ in 0..levels {
        doc = format!(
            r#"{{"password": "hunter2", "q": {}}}"#,
            serde_json::to_string(&doc).unwrap()
        );
    }
    doc
}

#[test]
fn json_nested_in_strings_is_scanned_at_any_depth() {
    let r = secrets();
    // Each level doubles the escapes of the one inside it: 16 levels is already ~64 KiB.
    for levels in [1, 4, 8, 16] {
        let out = json(&r, &nested_doc(levels));
        // Decode level by level: every level's password is gone.
        let mut cur: serde_json::Value = serde_json::from_str(&out).unwrap();
        for level in 0..=levels {
            assert_eq!(
                cur["password"], "[REDACTED:secret_key]",
                "level {level} of {levels}"
            );
            if level < levels {
                cur = serde_json::from_str(cur["q"].as_str().unwrap()).unwrap();
            }
        }
        assert!(!out.contains("hunter2"), "{levels} levels");
    }
    // Past the limits the text is still copied as it is, without unbounded recursion.
    let mut deep = String::from("\"x\"");
    for _ in 0..2000 {
        deep = format!("[{deep}]");
    }
    assert!(r.redact_json(&format!(r#"{{"token": {deep}}}"#)).is_some());
}
