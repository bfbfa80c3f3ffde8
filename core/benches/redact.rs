//! Redaction cost per trace on the export worker, measured with divan.
//!
//! Run: `cargo bench -p ferrotrace-core --bench redact`.
//!
//! The trace is a small RAG call (CHAIN root, RETRIEVER and LLM children, ~2.8 KB stored), built
//! by hand so nothing has redacted it yet. `clean` holds no secret: the cost is the prefilter
//! (one `RegexSet` pass per value) plus parsing the values an anchor hits (`max_tokens`-like
//! keys). `with_secrets` adds an API key in the LLM inputs, a bearer header attribute and a
//! password argument, so those spans are copied and rewritten.
//!
//! Measured 2026-11-25 on the 2-vCPU KVM guest of `core.rs`, one run while other sessions were
//! building and testing (load average ~9), so expect wide run-to-run spread. Medians:
//!
//! | bench                                  | secrets  | secrets,pii |
//! |----------------------------------------|----------|-------------|
//! | redact_clean_trace (~720 B of values)  | 3.2 µs   | 4.8 µs      |
//! | redact_trace_with_secrets              | 6.0 µs   | 7.7 µs      |
//! | compile_rules (once, on the worker)    | 1.5-6 ms | 1.5 ms      |
//!
//! 2026-12-07, same guest (load average ~21): names and keys scanned too (span and event names,
//! attribute/tag/metadata keys, JSON object keys), JSON nested in strings up to 32 levels.
//! Fastest of 300 samples, the binary before and after run alternately, twice:
//!
//! | bench                       | mode        | before  | after   |
//! |-----------------------------|-------------|---------|---------|
//! | redact_clean_trace          | secrets     | 4.16 µs | 4.60 µs |
//! | redact_clean_trace          | secrets,pii | 6.16 µs | 7.04 µs |
//! | redact_trace_with_secrets   | secrets     | 7.41 µs | 8.06 µs |
//! | redact_trace_with_secrets   | secrets,pii | 9.74 µs | 10.85 µs |

use std::sync::Arc;

use divan::counter::BytesCount;
use divan::Bencher;
use ferrotrace_core::config::RedactSettings;
use ferrotrace_core::model::keys::attr;
use ferrotrace_core::model::{Attributes, RawJson, SpanRecord, Trace};
use ferrotrace_core::process::Redactor;

fn main() {
    divan::main();
}

fn span(name: &str, attrs: &[(&'static str, RawJson)]) -> Arc<SpanRecord> {
    let mut a = Attributes::new();
    for (k, v) in attrs {
        a.set(*k, v.clone());
    }
    Arc::new(SpanRecord {
        name: name.to_owned().into(),
        attributes: a,
        ..SpanRecord::default()
    })
}

fn trace(secrets: bool) -> Trace {
    let llm_inputs = if secrets {
        r#"{"messages": [{"role": "system", "content": "Answer from the context."}, {"role": "user", "content": "What is the capital of France, and why? my key is sk-proj-abcdefghijklmnopqrstuvwxyz012345"}], "temperature": 0.2, "max_tokens": 256}"#
    } else {
        r#"{"messages": [{"role": "system", "content": "Answer from the context."}, {"role": "user", "content": "What is the capital of France, and why?"}], "temperature": 0.2, "max_tokens": 256}"#
    };
    let root_inputs = if secrets {
        r#"{"question": "What is the capital of France, and why?", "password": "hunter2"}"#
    } else {
        r#"{"question": "What is the capital of France, and why?", "user": "alice"}"#
    };
    let mut llm_attrs = vec![
        (attr::SPAN_TYPE, RawJson::string("LLM")),
        (attr::INPUTS, RawJson::from_trusted(llm_inputs)),
        (
            attr::OUTPUTS,
            RawJson::string("Paris: it is the seat of government and the largest city."),
        ),
        (
            attr::TOKEN_USAGE,
            RawJson::from_trusted(
                r#"{"input_tokens": 812, "output_tokens": 23, "total_tokens": 835}"#,
            ),
        ),
    ];
    if secrets {
        llm_attrs.push((
            "http.request.header",
            RawJson::string("Bearer abcdefghijklmnop0123"),
        ));
    }
    let spans = vec![
        span(
            "rag_answer",
            &[
                (attr::SPAN_TYPE, RawJson::string("CHAIN")),
                (attr::INPUTS, RawJson::from_trusted(root_inputs)),
                (
                    attr::OUTPUTS,
                    RawJson::string("Paris: it is the seat of government."),
                ),
            ],
        ),
        span(
            "retrieve",
            &[
                (attr::SPAN_TYPE, RawJson::string("RETRIEVER")),
                (
                    attr::INPUTS,
                    RawJson::from_trusted(r#"{"query": "capital of France", "k": 3}"#),
                ),
                (
                    attr::OUTPUTS,
                    RawJson::from_trusted(
                        r#"[{"page_content": "Paris is the capital and most populous city of France.", "metadata": {"source": "wiki/Paris", "score": 0.8731}}, {"page_content": "France is a country in Western Europe.", "metadata": {"source": "wiki/France", "score": 0.7712}}]"#,
                    ),
                ),
            ],
        ),
        span("chat", &llm_attrs),
    ];
    let mut t = Trace {
        spans: spans.into(),
        ..Trace::default()
    };
    t.info
        .tags
        .insert("mlflow.traceName".into(), "rag_answer".into());
    t.info
        .metadata
        .insert("mlflow.trace.user".into(), "alice".into());
    t
}

fn value_bytes(t: &Trace) -> usize {
    t.spans
        .iter()
        .flat_map(|s| s.attributes.iter())
        .map(|(_, v)| v.as_str().len())
        .sum()
}

const MODES: [&str; 2] = ["secrets", "secrets,pii"];

#[divan::bench(args = MODES, sample_count = 300, sample_size = 100)]
fn redact_clean_trace(bencher: Bencher, mode: &str) {
    bench(bencher, mode, false);
}

#[divan::bench(args = MODES, sample_count = 300, sample_size = 100)]
fn redact_trace_with_secrets(bencher: Bencher, mode: &str) {
    bench(bencher, mode, true);
}

fn bench(bencher: Bencher, mode: &str, secrets: bool) {
    let settings = RedactSettings {
        secrets: true,
        pii: mode.contains("pii"),
        patterns: Vec::new(),
    };
    let redactor = Redactor::new(&settings).unwrap();
    let t = trace(secrets);
    assert_eq!(redactor.redact_trace(&mut t.clone()) > 0, secrets);
    bencher
        .counter(BytesCount::new(value_bytes(&t)))
        .with_inputs(|| t.clone())
        .bench_local_refs(|t| redactor.redact_trace(t));
}

/// Compiling the rules: once per tracer and per redaction setting change.
#[divan::bench(args = MODES, sample_count = 20, sample_size = 1)]
fn compile_rules(mode: &str) -> Redactor {
    let settings = RedactSettings {
        secrets: true,
        pii: mode.contains("pii"),
        patterns: Vec::new(),
    };
    Redactor::new(&settings).unwrap()
}
