//! `ferrotrace ui` over HTTP: the page and API answer only to the address served, carry a strict
//! Content-Security-Policy, refuse writes without the page's token, and serve the store's traces.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

use ferrotrace_core::config::Config;
use ferrotrace_core::model::keys::attr;
use ferrotrace_core::model::RawJson;
use ferrotrace_core::tracer::RootOptions;
use ferrotrace_core::ui::{start, UiOptions};
use ferrotrace_core::Tracer;

/// One request over a fresh connection; returns (status, headers lowercased, body).
fn request(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    host: &str,
    extra: &str,
    body: &str,
) -> (u16, String, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n{extra}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, head.to_lowercase(), body.to_string())
}

fn store_with_one_trace(dir: &Path) -> String {
    let tracer = Tracer::new(Config {
        local_dir: dir.to_owned(),
        ..Config::default()
    });
    let mut root = tracer.start_root("agent", RootOptions::default());
    root.set_attribute(attr::SPAN_TYPE, RawJson::string("AGENT"));
    root.set_attribute(
        attr::INPUTS,
        RawJson::from_trusted(r#"{"q": "<script>alert(1)</script>"}"#),
    );
    let child = tracer.start_child("llm", root.context(), None);
    child.end(None);
    let id = root.context().trace_id().to_mlflow();
    root.end(None);
    tracer.flush(Duration::from_secs(10));
    id
}

#[test]
fn serves_the_store_to_its_own_address_only_with_a_strict_policy() {
    let dir = tempfile::tempdir().unwrap();
    let id = store_with_one_trace(dir.path());
    let ui = start(UiOptions {
        host: "127.0.0.1".into(),
        port: 0,
        dir: dir.path().to_owned(),
    })
    .unwrap();
    let addr = ui.addr();
    let host = addr.to_string();

    let (status, head, page) = request(addr, "GET", "/", &host, "", "");
    assert_eq!(status, 200);
    assert!(
        head.contains("content-security-policy: default-src 'none'; script-src 'self'"),
        "{head}"
    );
    assert!(head.contains("x-frame-options: deny"));
    let token = page
        .split("name=\"ferrotrace-token\" content=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    assert_eq!(token.len(), 32);

    // localhost names the same loopback server; any other name is refused (DNS rebinding).
    assert_eq!(
        request(
            addr,
            "GET",
            "/",
            &format!("localhost:{}", addr.port()),
            "",
            ""
        )
        .0,
        200
    );
    let (status, _, _) = request(
        addr,
        "GET",
        "/api/traces",
        &format!("evil.example:{}", addr.port()),
        "",
        "",
    );
    assert_eq!(status, 421);

    let (status, _, body) = request(addr, "GET", "/api/traces", &host, "", "");
    assert_eq!(status, 200);
    let list: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(list["traces"][0]["trace_id"], id.as_str());
    assert_eq!(list["traces"][0]["spans"], 2);
    assert_eq!(list["traces"][0]["name"], "agent");

    let (status, head, body) = request(addr, "GET", &format!("/api/traces/{id}"), &host, "", "");
    assert_eq!(status, 200);
    assert!(head.contains("content-type: application/json"));
    // The hostile input comes back as data inside JSON, for the page to show as text.
    assert!(body.contains(r#"\"<script>alert(1)</script>\""#), "{body}");
    assert_eq!(
        request(addr, "GET", "/api/traces/tr-0000", &host, "", "").0,
        404
    );

    // A write without the page's token (another site's form or fetch) is refused.
    let feedback = r#"{"value": true, "comment": "good"}"#;
    let json_ct = "Content-Type: application/json\r\n";
    let (status, _, _) = request(
        addr,
        "POST",
        &format!("/api/traces/{id}/feedback"),
        &host,
        json_ct,
        feedback,
    );
    assert_eq!(status, 403);
    let wrong = format!("{json_ct}X-Ferrotrace-Token: {}\r\n", "0".repeat(32));
    assert_eq!(
        request(
            addr,
            "POST",
            &format!("/api/traces/{id}/feedback"),
            &host,
            &wrong,
            feedback
        )
        .0,
        403
    );
    ui.stop();
}

#[test]
fn a_bad_address_is_an_error_naming_it() {
    let err = start(UiOptions {
        host: "not-an-ip".into(),
        port: 0,
        dir: ".".into(),
    })
    .err()
    .unwrap();
    assert!(err.to_string().contains("--host"), "{err}");
}
