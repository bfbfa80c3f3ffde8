use std::io::Read as _;
use std::sync::Arc;

use prost::Message as _;

use super::*;
use crate::export::mlflow::proto::{AnyValue, KeyValueList, Value};
use crate::model::{RawJson, SpanEvent, SpanId, SpanLink, SpanStatus, TraceId, TraceInfo};

const TRACE: u128 = 0xa9732b40b1e105fa56e01a2ff253c2dd;

fn attrs(pairs: &[(&'static str, &str)]) -> Attributes {
    let mut a = Attributes::new();
    for (k, v) in pairs {
        a.set(*k, RawJson::from_trusted(*v));
    }
    a
}

fn sample() -> Trace {
    let root = SpanRecord {
        trace_id: TraceId(TRACE),
        span_id: SpanId(0xabababababababab),
        parent_id: None,
        name: "agent_run".into(),
        start_ns: 1_795_606_738_769_000_000,
        end_ns: 1_795_606_738_818_000_000,
        status: SpanStatus {
            code: StatusCode::Ok,
            message: String::new(),
        },
        attributes: attrs(&[
            ("mlflow.spanType", r#""AGENT""#),
            (
                "mlflow.spanInputs",
                r#"{"question": "what?", "k": 3, "opts": {"t": 0.5, "tags": ["a", null]}}"#,
            ),
            ("score", "NaN"),
            ("missing", "null"),
        ]),
        events: vec![],
        links: vec![SpanLink {
            trace_id: TraceId(0x1111),
            span_id: SpanId(0x22),
            attributes: attrs(&[("why", r#""retry""#)]),
        }],
    };
    let child = SpanRecord {
        span_id: SpanId(0x0102030405060708),
        parent_id: Some(root.span_id),
        name: "flaky_tool".into(),
        start_ns: root.start_ns + 1,
        end_ns: root.end_ns - 1,
        status: SpanStatus {
            code: StatusCode::Error,
            message: "ValueError: boom".into(),
        },
        attributes: attrs(&[
            ("mlflow.spanType", r#""TOOL""#),
            ("mlflow.spanOutputs", "[1, 2.5, true]"),
        ]),
        events: vec![SpanEvent {
            name: "exception".into(),
            time_ns: root.start_ns + 5,
            attributes: attrs(&[
                ("exception.message", r#""boom""#),
                ("exception.type", r#""ValueError""#),
                ("step", "1"),
            ]),
        }],
        links: vec![],
        ..root.clone()
    };
    Trace {
        info: TraceInfo {
            trace_id: TraceId(TRACE),
            ..Default::default()
        },
        spans: vec![Arc::new(root), Arc::new(child)].into(),
    }
}

fn decode(bytes: &[u8]) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest::decode(bytes).expect("valid protobuf")
}

fn find<'a>(kvs: &'a [KeyValue], key: &str) -> Option<&'a KeyValue> {
    kvs.iter().find(|kv| kv.key == key)
}

fn value<'a>(kvs: &'a [KeyValue], key: &str) -> &'a Value {
    find(kvs, key)
        .and_then(|kv| kv.value.as_ref())
        .and_then(|v| v.value.as_ref())
        .unwrap_or_else(|| panic!("{key}"))
}

fn s(v: &str) -> Value {
    Value::StringValue(v.into())
}

#[test]
fn ids_times_names_and_resource_decode_back() {
    let req = decode(&encode_request(&[sample()], &OtlpOptions::mlflow("python")));
    assert_eq!(req.resource_spans.len(), 1);
    let rs = &req.resource_spans[0];
    let res = &rs.resource.as_ref().unwrap().attributes;
    assert_eq!(value(res, "telemetry.sdk.language"), &s("python"));
    assert_eq!(value(res, "telemetry.sdk.name"), &s("ferrotrace"));
    assert_eq!(
        res.len(),
        3,
        "only telemetry.sdk.*: other resource keys become trace tags"
    );
    assert_eq!(rs.scope_spans.len(), 1);
    assert!(rs.scope_spans[0].scope.is_none());
    let spans = &rs.scope_spans[0].spans;
    assert_eq!(spans.len(), 2);
    let (root, child) = (&spans[0], &spans[1]);
    assert_eq!(root.trace_id, TRACE.to_be_bytes().to_vec());
    assert_eq!(root.span_id, vec![0xab; 8]);
    assert!(root.parent_span_id.is_empty());
    assert_eq!(child.parent_span_id, vec![0xab; 8]);
    assert_eq!(child.span_id, vec![1, 2, 3, 4, 5, 6, 7, 8]);
    assert_eq!(root.name, "agent_run");
    assert_eq!(root.start_time_unix_nano, 1_795_606_738_769_000_000);
    assert_eq!(root.end_time_unix_nano, 1_795_606_738_818_000_000);
    assert_eq!((root.kind, root.flags), (0, 0));
}

#[test]
fn attribute_values_are_typed_not_json_strings() {
    let req = decode(&encode_request(&[sample()], &OtlpOptions::mlflow("python")));
    let root = &req.resource_spans[0].scope_spans[0].spans[0];
    // The SDK puts the request id first on every span.
    assert_eq!(root.attributes[0].key, "mlflow.traceRequestId");
    assert_eq!(
        value(&root.attributes, "mlflow.traceRequestId"),
        &s(&format!("tr-{TRACE:032x}"))
    );
    assert_eq!(value(&root.attributes, "mlflow.spanType"), &s("AGENT"));
    assert!(matches!(value(&root.attributes, "score"), Value::DoubleValue(x) if x.is_nan()));
    // None is an unset value, as MLflow's SDK leaves it.
    assert!(find(&root.attributes, "missing").unwrap().value.is_none());
    let Value::KvlistValue(inputs) = value(&root.attributes, "mlflow.spanInputs") else {
        panic!()
    };
    let keys: Vec<&str> = inputs.values.iter().map(|kv| kv.key.as_str()).collect();
    assert_eq!(keys, ["question", "k", "opts"], "key order is kept");
    assert_eq!(value(&inputs.values, "question"), &s("what?"));
    assert_eq!(value(&inputs.values, "k"), &Value::IntValue(3));
    let Value::KvlistValue(opts) = value(&inputs.values, "opts") else {
        panic!()
    };
    assert_eq!(value(&opts.values, "t"), &Value::DoubleValue(0.5));
    let Value::ArrayValue(tags) = value(&opts.values, "tags") else {
        panic!()
    };
    assert_eq!(
        tags.values,
        vec![
            AnyValue {
                value: Some(s("a"))
            },
            AnyValue { value: None }
        ]
    );
    let child = &req.resource_spans[0].scope_spans[0].spans[1];
    let Value::ArrayValue(out) = value(&child.attributes, "mlflow.spanOutputs") else {
        panic!()
    };
    let out: Vec<_> = out
        .values
        .iter()
        .map(|v| v.value.clone().unwrap())
        .collect();
    assert_eq!(
        out,
        vec![
            Value::IntValue(1),
            Value::DoubleValue(2.5),
            Value::BoolValue(true)
        ]
    );
}

#[test]
fn status_events_and_links() {
    let req = decode(&encode_request(&[sample()], &OtlpOptions::mlflow("python")));
    let spans = &req.resource_spans[0].scope_spans[0].spans;
    let ok = spans[0].status.as_ref().unwrap();
    assert_eq!((ok.code, ok.message.as_str()), (STATUS_CODE_OK, ""));
    let err = spans[1].status.as_ref().unwrap();
    assert_eq!(
        (err.code, err.message.as_str()),
        (STATUS_CODE_ERROR, "ValueError: boom")
    );
    let ev = &spans[1].events[0];
    assert_eq!(ev.name, "exception");
    assert_eq!(ev.time_unix_nano, 1_795_606_738_769_000_005);
    assert_eq!(value(&ev.attributes, "exception.type"), &s("ValueError"));
    assert_eq!(value(&ev.attributes, "step"), &Value::IntValue(1));
    assert!(find(&ev.attributes, "mlflow.traceRequestId").is_none());
    let link = &spans[0].links[0];
    assert_eq!(link.trace_id, 0x1111u128.to_be_bytes().to_vec());
    assert_eq!(link.span_id, 0x22u64.to_be_bytes().to_vec());
    assert_eq!(value(&link.attributes, "why"), &s("retry"));
}

#[test]
fn batches_carry_all_traces_and_options_are_respected() {
    let mut other = sample();
    other.info.trace_id = TraceId(7);
    let spans: Vec<_> = other
        .spans
        .iter()
        .map(|s| {
            let mut s = (**s).clone();
            s.trace_id = TraceId(7);
            s.attributes
                .set("mlflow.traceRequestId", RawJson::string("stale"));
            Arc::new(s)
        })
        .collect();
    other.spans = spans.into();
    let opts = OtlpOptions {
        resource: vec![],
        request_id_attribute: true,
    };
    let req = decode(&encode_request(&[sample(), other], &opts));
    let spans = &req.resource_spans[0].scope_spans[0].spans;
    assert_eq!(spans.len(), 4);
    let ids: Vec<_> = spans[2]
        .attributes
        .iter()
        .filter(|kv| kv.key == "mlflow.traceRequestId")
        .collect();
    assert_eq!(
        ids.len(),
        1,
        "a user attribute of the same key is not sent twice"
    );
    assert_eq!(
        value(&spans[2].attributes, "mlflow.traceRequestId"),
        &s(&format!("tr-{:032x}", 7))
    );
    let plain = OtlpOptions {
        resource: vec![],
        request_id_attribute: false,
    };
    let req = decode(&encode_request(&[sample()], &plain));
    assert!(find(
        &req.resource_spans[0].scope_spans[0].spans[0].attributes,
        "mlflow.traceRequestId"
    )
    .is_none());
    assert!(req.resource_spans[0]
        .resource
        .as_ref()
        .unwrap()
        .attributes
        .is_empty());
}

#[test]
fn gzip_round_trips() {
    let raw = encode_request(&[sample()], &OtlpOptions::mlflow("nodejs"));
    let gz = gzip(&raw);
    assert_eq!(&gz[..2], &[0x1f, 0x8b]);
    let mut back = Vec::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_end(&mut back)
        .unwrap();
    assert_eq!(back, raw);
}

#[test]
fn empty_containers_are_present_not_unset() {
    let mut t = sample();
    let mut root = (*t.spans[0]).clone();
    root.attributes = attrs(&[("e", "{}"), ("l", "[]")]);
    t.spans = vec![Arc::new(root)].into();
    let req = decode(&encode_request(&[t], &OtlpOptions::mlflow("python")));
    let a = &req.resource_spans[0].scope_spans[0].spans[0].attributes;
    assert_eq!(value(a, "e"), &Value::KvlistValue(KeyValueList::default()));
    assert!(matches!(value(a, "l"), Value::ArrayValue(v) if v.values.is_empty()));
}

#[test]
fn the_direct_encoder_writes_the_bytes_of_the_messages() {
    let traces = crate::model::test_traces::varied_traces(300, 5);
    let plain = OtlpOptions {
        resource: vec![
            ("service.name".into(), "svc".into()),
            (String::new(), "x".into()),
        ],
        request_id_attribute: false,
    };
    for opts in [OtlpOptions::mlflow("python"), plain] {
        for chunk in traces.chunks(7).chain([&[sample()][..], &[]]) {
            assert_eq!(
                encode_request(chunk, &opts),
                build_request(chunk, &opts).encode_to_vec()
            );
        }
        // One request larger than 128 bytes at every level, and one of many traces.
        let all = encode_request(&traces, &opts);
        assert_eq!(all, build_request(&traces, &opts).encode_to_vec());
    }
    // Zero times, empty names and keys: proto3 leaves them out.
    let mut zero = SpanRecord::default();
    zero.events.push(SpanEvent {
        name: String::new(),
        time_ns: 0,
        attributes: attrs(&[("", "0")]),
    });
    let zero = Trace {
        spans: vec![Arc::new(zero)].into(),
        ..Default::default()
    };
    let opts = OtlpOptions::mlflow("python");
    assert_eq!(
        encode_request([&zero], &opts),
        build_request([&zero], &opts).encode_to_vec()
    );
    // Nesting past the parser's limit goes as one string.
    let deep = "[".repeat(600) + &"]".repeat(600);
    let mut t = sample();
    Arc::make_mut(&mut t.spans[0])
        .attributes
        .set("deep", RawJson::from_trusted(deep));
    let opts = OtlpOptions::mlflow("nodejs");
    assert_eq!(
        encode_request([&t], &opts),
        build_request([&t], &opts).encode_to_vec()
    );
}
