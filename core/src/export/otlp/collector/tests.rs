use std::sync::Arc;

use super::*;
use crate::export::mlflow::proto::Value;
use crate::model::{RawJson, SpanId, SpanRecord, TraceId};

fn trace(spans: Vec<SpanRecord>) -> Trace {
    let mut t = Trace::default();
    t.info.trace_id = spans[0].trace_id;
    t.spans = spans.into_iter().map(Arc::new).collect();
    t
}

fn rec(id: u64, parent: Option<u64>, name: &str, attrs: &[(&'static str, &str)]) -> SpanRecord {
    let mut s = SpanRecord {
        trace_id: TraceId(0xabc),
        span_id: SpanId(id),
        parent_id: parent.map(SpanId),
        name: name.to_owned().into(),
        start_ns: 1,
        end_ns: 2,
        ..Default::default()
    };
    for (k, v) in attrs {
        s.attributes.set(*k, RawJson::from_trusted(*v));
    }
    s
}

fn attrs_of(span: &Span) -> Vec<(String, Option<Value>)> {
    span.attributes
        .iter()
        .map(|kv| (kv.key.clone(), kv.value.clone().and_then(|v| v.value)))
        .collect()
}

fn s(v: &str) -> Option<Value> {
    Some(Value::StringValue(v.into()))
}

fn build(t: &Trace, semconv: OtlpSemconv) -> ExportTraceServiceRequest {
    build_request(
        [t],
        &CollectorOptions {
            resource: vec![("service.name".into(), "svc".into())],
            semconv,
        },
    )
}

#[test]
fn attributes_are_json_strings_with_kind_scope_and_flags() {
    let nested =
        r#"{"a.b": 1, "a": {"b": 2}, "e": {}, "n": null, "x": NaN, "big": 1180591620717411303424}"#;
    let t = trace(vec![
        rec(
            1,
            None,
            "root",
            &[
                ("mlflow.spanType", r#""AGENT""#),
                ("mlflow.spanInputs", nested),
            ],
        ),
        rec(
            2,
            Some(1),
            "child",
            &[("mlflow.traceTag.team", r#""search""#)],
        ),
    ]);
    let req = build(&t, OtlpSemconv::Mlflow);
    let ss = &req.resource_spans[0].scope_spans[0];
    assert_eq!(ss.scope.as_ref().unwrap().name, "mlflow.tracing.provider");
    let root = &ss.spans[0];
    assert_eq!((root.kind, root.flags), (KIND_INTERNAL, 0x100));
    assert_eq!(
        attrs_of(root),
        vec![
            (
                "mlflow.traceRequestId".into(),
                s(&format!("\"{}\"", t.info.trace_id.to_mlflow()))
            ),
            ("mlflow.spanType".into(), s(r#""AGENT""#)),
            ("mlflow.spanInputs".into(), s(nested)),
        ]
    );
    // Trace tags go unencoded, as MLflow sets them.
    assert_eq!(
        attrs_of(&ss.spans[1])[1],
        ("mlflow.traceTag.team".into(), s("search"))
    );
}

#[test]
fn a_parent_outside_the_trace_is_remote() {
    let t = trace(vec![rec(2, Some(99), "continued", &[])]);
    assert_eq!(
        build(&t, OtlpSemconv::Mlflow).resource_spans[0].scope_spans[0].spans[0].flags,
        0x300
    );
}

#[test]
fn genai_translates_as_mlflow_does() {
    let t = trace(vec![
        rec(
            1,
            None,
            "call",
            &[
                ("mlflow.spanType", r#""CHAT_MODEL""#),
                ("mlflow.llm.model", r#""gpt-4o""#),
                (
                    "mlflow.chat.tokenUsage",
                    r#"{"input_tokens": 3, "output_tokens": 5, "total_tokens": 8}"#,
                ),
                ("custom", r#""kept""#),
            ],
        ),
        rec(
            2,
            Some(1),
            "search",
            &[
                ("mlflow.spanType", r#""TOOL""#),
                ("mlflow.spanInputs", r#"{"q": "é"}"#),
            ],
        ),
        rec(3, Some(1), "plain", &[]),
    ]);
    let req = build(&t, OtlpSemconv::GenAi);
    let spans = &req.resource_spans[0].scope_spans[0].spans;
    assert_eq!(
        (spans[0].name.as_str(), spans[0].kind),
        ("chat gpt-4o", KIND_CLIENT)
    );
    assert_eq!(
        attrs_of(&spans[0]),
        vec![
            ("custom".into(), s(r#""kept""#)),
            ("gen_ai.operation.name".into(), s("chat")),
            ("gen_ai.request.model".into(), s("gpt-4o")),
            ("gen_ai.usage.input_tokens".into(), Some(Value::IntValue(3))),
            (
                "gen_ai.usage.output_tokens".into(),
                Some(Value::IntValue(5))
            ),
        ]
    );
    assert_eq!(
        (spans[1].name.as_str(), spans[1].kind),
        ("execute_tool search", KIND_INTERNAL)
    );
    assert!(attrs_of(&spans[1])
        .contains(&("gen_ai.tool.call.arguments".into(), s(r#"{"q": "\u00e9"}"#))));
    // No span type: only MLflow's attributes go.
    assert_eq!(
        (spans[2].name.as_str(), attrs_of(&spans[2])),
        ("plain", vec![])
    );
}

#[test]
fn openinference_adds_kind_io_tokens_model_session_and_user() {
    let mut t = trace(vec![
        rec(
            1,
            None,
            "llm",
            &[
                ("mlflow.spanType", r#""LLM""#),
                ("mlflow.spanInputs", r#"{"a.b": 1, "a": {"b": 2}}"#),
                ("mlflow.spanOutputs", r#""hello""#),
                ("mlflow.llm.model", r#""gpt-4o""#),
                (
                    "mlflow.chat.tokenUsage",
                    r#"{"input_tokens": 3, "output_tokens": 5, "total_tokens": 8}"#,
                ),
            ],
        ),
        rec(2, Some(1), "step", &[("user.id", r#""on-span""#)]),
    ]);
    t.info
        .metadata
        .insert("mlflow.trace.session".into(), "s1".into());
    t.info
        .metadata
        .insert("mlflow.trace.user".into(), "u1".into());
    let req = build(&t, OtlpSemconv::OpenInference);
    let spans = &req.resource_spans[0].scope_spans[0].spans;
    let a = attrs_of(&spans[0]);
    for want in [
        ("mlflow.spanType", s(r#""LLM""#)),
        ("openinference.span.kind", s("LLM")),
        ("input.value", s(r#"{"a.b": 1, "a": {"b": 2}}"#)),
        ("input.mime_type", s("application/json")),
        ("output.value", s("hello")),
        ("output.mime_type", s("text/plain")),
        ("llm.token_count.prompt", Some(Value::IntValue(3))),
        ("llm.token_count.completion", Some(Value::IntValue(5))),
        ("llm.token_count.total", Some(Value::IntValue(8))),
        ("llm.model_name", s("gpt-4o")),
        ("session.id", s("s1")),
        ("user.id", s("u1")),
    ] {
        assert!(
            a.contains(&(want.0.to_owned(), want.1.clone())),
            "{want:?} not in {a:?}"
        );
    }
    assert!(attrs_of(&spans[1]).contains(&("openinference.span.kind".into(), s("CHAIN"))));
    // The trace's user wins over one set on a span; without it, the span's is unwrapped.
    assert!(attrs_of(&spans[1]).contains(&("user.id".into(), s("u1"))));
    t.info.metadata.clear();
    let req = build(&t, OtlpSemconv::OpenInference);
    let step = attrs_of(&req.resource_spans[0].scope_spans[0].spans[1]);
    assert!(step.contains(&("user.id".into(), s("on-span"))), "{step:?}");
}
