//! Traces with a bit of everything (escapes, events, links, remote parents, no spans), for the
//! tests that check a direct writer or encoder byte for byte against its reference.

use std::sync::Arc;

use super::keys::{attr, meta};
use super::{
    Attributes, RawJson, SpanEvent, SpanId, SpanLink, SpanRecord, SpanStatus, StatusCode, Trace,
    TraceId, TraceInfo, TraceState,
};

/// Texts with what JSON escapes, multi-byte characters, and nothing at all.
const TEXTS: &[&str] = &[
    "",
    "plain",
    "quote \" and backslash \\ and slash /",
    "line\nbreak\ttab\rcr\u{8}\u{c}\u{1}\u{1f}\u{7f}",
    "é😀 – ünïcode",
    "a fairly long text that runs over eight bytes several times: 0123456789abcdef",
];

/// Attribute values as the bindings capture them, and text that is not JSON at all.
const VALUES: &[&str] = &[
    r#""UNKNOWN""#,
    "10",
    r#"{"x": 1, "y": [1.5, -2, "z\"q"], "n": null}"#,
    "[NaN, Infinity, -Infinity, 1e+16, 0.1]",
    "true",
    "not json",
    r#""tab\t and \u00e9""#,
    "12345678901234567890",
    r#"[null, [], {}, {"a": null, "": 0}, "", -7, -0, 1e400, "\ud800 lone", "\ud83d\ude00"]"#,
    r#"{"long": "a string over one hundred and twenty-eight bytes, so that its length takes two bytes as a varint in protobuf: 0123456789 abcdefghij"}"#,
    "null",
    " [1 , 2 ] ",
    "[1, 2",
];

fn pick<'a>(rng: &mut fastrand::Rng, from: &[&'a str]) -> &'a str {
    from[rng.usize(..from.len())]
}

fn attributes(rng: &mut fastrand::Rng, max: usize) -> Attributes {
    let mut a = Attributes::new();
    for i in 0..rng.usize(..=max) {
        let key = format!("{}{i}", pick(rng, TEXTS));
        a.set(key, RawJson::from_trusted(pick(rng, VALUES)));
    }
    a
}

fn span(rng: &mut fastrand::Rng, trace_id: TraceId, parent: Option<SpanId>) -> SpanRecord {
    let mut attrs = attributes(rng, 9);
    if rng.u8(..8) == 0 {
        attrs.set(attr::REQUEST_ID, RawJson::string("user's own"));
    }
    SpanRecord {
        trace_id,
        span_id: SpanId::random(),
        parent_id: parent,
        name: pick(rng, TEXTS).to_owned().into(),
        start_ns: rng.u64(..1 << 62),
        end_ns: rng.u64(..1 << 62),
        status: SpanStatus {
            code: [StatusCode::Unset, StatusCode::Ok, StatusCode::Error][rng.usize(..3)],
            message: pick(rng, TEXTS).to_owned(),
        },
        attributes: attrs,
        events: (0..rng.usize(..3))
            .map(|_| SpanEvent {
                name: pick(rng, TEXTS).to_owned(),
                time_ns: rng.u64(..),
                attributes: attributes(rng, 4),
            })
            .collect(),
        links: (0..rng.usize(..2))
            .map(|_| SpanLink {
                trace_id: TraceId::random(),
                span_id: SpanId::random(),
                attributes: attributes(rng, 3),
            })
            .collect(),
    }
}

fn text_map(rng: &mut fastrand::Rng) -> std::collections::BTreeMap<String, String> {
    (0..rng.usize(..6))
        .map(|i| {
            (
                format!("{}{i}", pick(rng, TEXTS)),
                pick(rng, TEXTS).to_owned(),
            )
        })
        .collect()
}

fn maybe(rng: &mut fastrand::Rng) -> Option<String> {
    rng.bool().then(|| pick(rng, TEXTS).to_owned())
}

fn trace(rng: &mut fastrand::Rng) -> Trace {
    let trace_id = TraceId::random();
    let mut spans = crate::model::SpanList::new();
    let remote_parent = rng.bool().then(SpanId::random);
    let root = span(rng, trace_id, remote_parent);
    let root_id = root.span_id;
    spans.push(Arc::new(root));
    for _ in 0..rng.usize(..5) {
        spans.push(Arc::new(span(rng, trace_id, Some(root_id))));
    }
    if rng.u8(..6) == 0 {
        spans.clear();
    }
    let (mut metadata, mut tags) = (text_map(rng), text_map(rng));
    // Keys the MLflow exporter treats apart, and keys and values past its truncation limits.
    for key in [meta::COST, meta::SIZE_STATS, meta::SIZE_BYTES] {
        if rng.u8(..4) == 0 {
            metadata.insert(key.to_owned(), pick(rng, VALUES).to_owned());
        }
    }
    if rng.u8(..8) == 0 {
        let long = "k\u{e9}".repeat(150);
        metadata.insert(format!("{long}a"), "v".repeat(300));
        metadata.insert(format!("{long}b"), "w\u{e9}".repeat(200));
        tags.insert(format!("{long}c"), "\u{e9}".repeat(5000));
    }
    Trace {
        info: TraceInfo {
            trace_id,
            experiment_id: rng.bool().then(|| pick(rng, TEXTS).to_owned()),
            request_time_ms: rng.u64(..4_102_444_800_000),
            execution_duration_ms: rng.u64(..1 << 40),
            state: [TraceState::Ok, TraceState::Error, TraceState::Unspecified][rng.usize(..3)],
            request_preview: maybe(rng),
            response_preview: maybe(rng),
            client_request_id: maybe(rng),
            metadata,
            tags,
        },
        spans,
    }
}

/// `n` varied traces, the same for the same `seed`.
pub(crate) fn varied_traces(n: usize, seed: u64) -> Vec<Trace> {
    let mut rng = fastrand::Rng::with_seed(seed);
    (0..n).map(|_| trace(&mut rng)).collect()
}
