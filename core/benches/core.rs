//! Hot-path and worker-side costs of the core, measured with divan.
//!
//! Run: `cargo bench -p ferrotrace-core` (release profile, thin LTO).
//!
//! Measured 2026-11-25 on a 2-vCPU KVM guest (Intel Xeon, 23 GB), rustc 1.95.0, one run of
//! `cargo bench -p ferrotrace-core` while other sessions were building and testing on the same
//! machine (load average ~1.6), so expect ±20 % run to run. Medians:
//!
//! | bench                                  | median   | note                                 |
//! |----------------------------------------|----------|--------------------------------------|
//! | span_child_start_end                   | 100 ns   | per span, application thread (†)     |
//! | span_child_with_attributes             | 185 ns   | + type, inputs, outputs (†)          |
//! | trace_root_one_child_handoff           | 1.20 µs  | 2 spans, seal, `try_send` (best 0.57)|
//! | trace_nested_4_deep_handoff            | 1.96 µs  | 4 spans, seal, `try_send` (best 0.94)|
//! | finalize_per_trace                     | 1.42 µs  | worker (‡)                           |
//! | otlp_encode_per_span                   | 1.8-2.3 µs | worker, per 3-span trace (‡)       |
//! | trace_dict_write                       | 1.05 µs  | worker, 2.8 KB record, direct (‡)    |
//! | trace_dict_serialize                   | 5.15 µs  | the same through serde + `TraceDict` |
//! | start_trace_body_write                 | 1.18 µs  | worker, StartTraceV3 body (‡)        |
//! | store_append_per_trace                 | 1.21 µs  | worker, write + append, no sync (‡)  |
//! | store_export_synced_batch_of_one       | 283 µs   | worker, + fdatasync (virtual disk)   |
//! | json_push_f64 (8 floats)               | 874 ns   | 9.2 M floats/s                       |
//! | json_push_str 32 / 1024 / 16384 chars  | 35 ns / 933 ns / 15.5 µs | ~1.1 GB/s        |
//!
//! (‡) 2026-12-03, the export worker's direct writers and encoder: the bench binaries of the
//! previous version (010e1cf) and of this one alternated three times in the same minutes (load
//! average ~2.6), medians of the runs: `finalize_per_trace` 1.71 -> 1.42 µs,
//! `otlp_encode_per_span` 6.63 -> 1.8-2.3 µs, `store_append_per_trace` 7.76 -> 1.21 µs,
//! `trace_dict_serialize` (the old record path, kept for reading back) 5.43 µs against
//! `trace_dict_write` 1.05 µs. Alternated five times in a quieter window, the hand-off medians
//! (the worker on the other core at the same time) went from 480-713 to 312-734 ns
//! (`trace_root_one_child_handoff`, mostly ~330) and from 1.24-1.27 to 0.61-1.00 µs
//! (`trace_nested_4_deep_handoff`); `span_child_start_end` stayed at 68 ns.
//!
//! (†) and the two `trace_*` rows: measured again 2026-12-02 on the same machine (load average
//! 4-7: other sessions building), after span times moved to the time-stamp counter and a span
//! end lost three locked instructions. Median of the medians of 12 runs of
//! `cargo bench -p ferrotrace-core -- span_child` (10 runs of `-- trace_root trace_nested` for
//! the `trace_*` rows), alternated run by run with the previous version, which measured in the
//! same minutes: `span_child_start_end` 136 ns (best sample 133 ns, now 98 ns),
//! `span_child_with_attributes` 223 ns (best 217, now 178), `trace_root_one_child_handoff`
//! 1.26 µs, `trace_nested_4_deep_handoff` 2.12 µs. The other rows are from 2026-11-25.
//!
//! The hand-off medians are about twice their best samples: the worker runs on the other core at
//! the same time (finalizing, freeing what the application thread allocated), and with only two
//! cores the other sessions' processes compete for both.
//!
//! Reading them:
//! - `span_child_*` is what a binding pays per span on the application thread (id, clock read,
//!   record, push onto the open trace), excluding the binding's own work.
//! - `trace_*` end whole traces on the application thread; the root's `end` seals the trace and
//!   `try_send`s it. A worker thread drains the queue into a discarding exporter at the same
//!   time (finalize included), so on 2 cores the two compete. The queue is sized to hold every
//!   trace these benches make, so `end` stays on the normal path even when the worker falls
//!   behind; drops, if any, are printed to stderr after the run (none in the run above).
//! - `store_*`, `trace_dict_*`, `finalize_*`, `otlp_*`, `start_trace_*` run on the export
//!   worker, off the application's path. `bench/instructions.py worker` counts the worker's
//!   instructions per trace end to end (finalize, write, send or store, free).

use std::collections::BTreeMap;
use std::sync::OnceLock;
use std::time::Duration;

use divan::counter::{BytesCount, ItemsCount};
use divan::{black_box, Bencher};
use ferrotrace_core::config::Config;
use ferrotrace_core::export::{Capabilities, Exporter, LocalStoreExporter};
use ferrotrace_core::model::keys::attr;
use ferrotrace_core::model::{
    json, write_trace_dict, Location, RawJson, SharedMetadata, Trace, TraceDict,
};
use ferrotrace_core::process::finalize_trace;
use ferrotrace_core::store::SegmentWriter;
use ferrotrace_core::tracer::RootOptions;
use ferrotrace_core::Tracer;

fn main() {
    ferrotrace_core::diag::set_quiet(true);
    divan::main();
    let tracer = handoff_tracer();
    let flushed = tracer.flush(Duration::from_secs(30));
    let st = tracer.stats();
    eprintln!(
        "hand-off benches: {} traces completed, {} exported (flushed: {flushed}), dropped {:?}",
        st.traces_completed, st.traces_exported, st.dropped_traces
    );
}

/// Accepts and forgets: the hand-off benches measure the application side, not a destination.
struct Discard;

impl Exporter for Discard {
    fn capabilities(&self) -> Capabilities {
        Capabilities::new("discard")
    }

    fn export(&mut self, batch: &[Trace], _: &SharedMetadata) -> ferrotrace_core::Result<()> {
        black_box(batch);
        Ok(())
    }
}

/// One tracer for all hand-off benches, exporting to [`Discard`]. Its queue holds every trace
/// the two hand-off benches make (2 x 30,000), so they measure the normal `try_send` path even
/// when the worker falls behind, not the drop path.
fn handoff_tracer() -> &'static Tracer {
    static T: OnceLock<Tracer> = OnceLock::new();
    T.get_or_init(|| {
        let config = Config {
            max_queue_traces: 1 << 16,
            ..Config::default()
        };
        Tracer::with_exporter_factory(config, Box::new(|_, _, _| vec![Box::new(Discard) as _]))
    })
}

/// A tracer whose roots never end in the span benches, so nothing is exported.
fn memory_tracer() -> Tracer {
    Tracer::new(Config {
        memory: true,
        ..Config::default()
    })
}

// ---- application thread ------------------------------------------------------------------

/// Start and end one child of an open root (a fresh root per iteration, created untimed, so the
/// open trace's span list does not grow across the run).
#[divan::bench(sample_count = 1000, sample_size = 64)]
fn span_child_start_end(bencher: Bencher) {
    let tracer = memory_tracer();
    bencher
        .with_inputs(|| tracer.start_root("root", RootOptions::default()))
        .bench_local_refs(|root| tracer.start_child("child", root.context(), None).end(None));
}

/// As above with what a binding typically sets: type, inputs, outputs.
#[divan::bench(sample_count = 1000, sample_size = 64)]
fn span_child_with_attributes(bencher: Bencher) {
    let tracer = memory_tracer();
    let inputs = RawJson::from_trusted(r#"{"query": "what is the capital of France?", "k": 4}"#);
    let outputs = RawJson::from_trusted(r#"["Paris is the capital of France."]"#);
    bencher
        .with_inputs(|| tracer.start_root("root", RootOptions::default()))
        .bench_local_refs(|root| {
            let mut s = tracer.start_child("retrieve", root.context(), None);
            s.set_attribute(attr::SPAN_TYPE, RawJson::string("RETRIEVER"));
            s.set_attribute(attr::INPUTS, inputs.clone());
            s.set_attribute(attr::OUTPUTS, outputs.clone());
            s.end(None)
        });
}

/// A whole trace of a root and one child, sealed and handed to the worker.
#[divan::bench(sample_count = 300, sample_size = 100)]
fn trace_root_one_child_handoff() {
    let tracer = handoff_tracer();
    let root = tracer.start_root("root", RootOptions::default());
    tracer.start_child("child", root.context(), None).end(None);
    root.end(None);
}

/// root -> a -> b -> c, ended innermost first, sealed and handed to the worker.
#[divan::bench(sample_count = 300, sample_size = 100)]
fn trace_nested_4_deep_handoff() {
    let tracer = handoff_tracer();
    let root = tracer.start_root("root", RootOptions::default());
    let a = tracer.start_child("a", root.context(), None);
    let b = tracer.start_child("b", a.context(), None);
    let c = tracer.start_child("c", b.context(), None);
    c.end(None);
    b.end(None);
    a.end(None);
    root.end(None);
}

// ---- export worker -----------------------------------------------------------------------

/// A finalized trace like a small RAG call: CHAIN root, RETRIEVER and LLM children with inputs,
/// outputs and token usage; about 2.8 KB as a stored record.
fn sample_trace() -> Trace {
    static T: OnceLock<Trace> = OnceLock::new();
    T.get_or_init(|| {
        let tracer = memory_tracer();
        let mut root = tracer.start_root("rag_answer", RootOptions::default());
        root.set_attribute(attr::SPAN_TYPE, RawJson::string("CHAIN"));
        root.set_attribute(
            attr::INPUTS,
            RawJson::from_trusted(r#"{"question": "What is the capital of France, and why?"}"#),
        );
        let mut r = tracer.start_child("retrieve", root.context(), None);
        r.set_attribute(attr::SPAN_TYPE, RawJson::string("RETRIEVER"));
        r.set_attribute(attr::INPUTS, RawJson::from_trusted(r#"{"query": "capital of France", "k": 3}"#));
        r.set_attribute(
            attr::OUTPUTS,
            RawJson::from_trusted(
                r#"[{"page_content": "Paris is the capital and most populous city of France.", "metadata": {"source": "wiki/Paris", "score": 0.8731}}, {"page_content": "France is a country in Western Europe.", "metadata": {"source": "wiki/France", "score": 0.7712}}]"#,
            ),
        );
        r.end(None);
        let mut llm = tracer.start_child("chat", root.context(), None);
        llm.set_attribute(attr::SPAN_TYPE, RawJson::string("LLM"));
        llm.set_attribute(
            attr::INPUTS,
            RawJson::from_trusted(
                r#"{"messages": [{"role": "system", "content": "Answer from the context."}, {"role": "user", "content": "What is the capital of France, and why?"}], "temperature": 0.2}"#,
            ),
        );
        llm.set_attribute(
            attr::OUTPUTS,
            RawJson::string("Paris: it is the seat of government and the largest city."),
        );
        llm.set_attribute(
            attr::TOKEN_USAGE,
            RawJson::from_trusted(r#"{"input_tokens": 812, "output_tokens": 23, "total_tokens": 835}"#),
        );
        llm.end(None);
        root.set_attribute(attr::OUTPUTS, RawJson::string("Paris: it is the seat of government."));
        root.end(None);
        assert!(tracer.flush(Duration::from_secs(10)));
        tracer.memory_traces().pop().expect("one trace")
    })
    .clone()
}

/// What the worker derives per trace before export (previews, usage, name tag).
#[divan::bench(sample_count = 200, sample_size = 100)]
fn finalize_per_trace(bencher: Bencher) {
    let mut raw = sample_trace();
    // Undo the finalization the memory pipeline already did.
    raw.info.metadata.clear();
    raw.info.tags.clear();
    raw.info.request_preview = None;
    raw.info.response_preview = None;
    let meta = BTreeMap::from([("mlflow.source.name".to_owned(), "app.py".to_owned())]);
    bencher
        .with_inputs(|| raw.clone())
        .bench_local_refs(|t| finalize_trace(t, &meta));
}

/// OTLP protobuf encoding of the sample trace (3 spans), per span: what every MLflow or
/// collector export does before gzip.
#[divan::bench(sample_count = 200, sample_size = 100)]
fn otlp_encode_per_span(bencher: Bencher) {
    let trace = sample_trace();
    let opts = ferrotrace_core::export::mlflow::OtlpOptions::mlflow("python");
    bencher
        .counter(divan::counter::ItemsCount::new(trace.spans.len()))
        .bench_local(|| {
            ferrotrace_core::export::mlflow::encode_request([black_box(&trace)], &opts)
        });
}

/// `Trace.to_dict()` JSON for one trace written straight from the trace: the local store's and
/// the spill folders' record payload.
#[divan::bench(sample_count = 200, sample_size = 100)]
fn trace_dict_write(bencher: Bencher) {
    let trace = sample_trace();
    let mut out = Vec::new();
    write_trace_dict(&mut out, &trace, Location::of(&trace));
    bencher.counter(BytesCount::new(out.len())).bench_local(|| {
        out.clear();
        write_trace_dict(&mut out, black_box(&trace), Location::of(&trace));
    });
}

/// The StartTraceV3 body of one trace, size stats included: what the MLflow exporter sends per
/// trace besides its spans.
#[divan::bench(sample_count = 200, sample_size = 100)]
fn start_trace_body_write(bencher: Bencher) {
    let trace = sample_trace();
    let mut out = Vec::new();
    bencher.bench_local(|| {
        out.clear();
        ferrotrace_core::export::mlflow::write_start_trace_body(&mut out, black_box(&trace), "1");
    });
}

/// The same JSON through serde and the owned `TraceDict` (how records are read back, and what
/// the bindings' `memory_traces` give).
#[divan::bench(sample_count = 200, sample_size = 100)]
fn trace_dict_serialize(bencher: Bencher) {
    let trace = sample_trace();
    let len = serde_json::to_string(&TraceDict::from(&trace))
        .unwrap()
        .len();
    bencher
        .counter(BytesCount::new(len))
        .bench_local(|| serde_json::to_string(&TraceDict::from(black_box(&trace))).unwrap());
}

/// Write and append one trace's record to a segment (no fsync: the exporter writes and syncs
/// once per batch). Sample options bound the run so the segment stays in the tens of megabytes.
#[divan::bench(sample_count = 100, sample_size = 100)]
fn store_append_per_trace(bencher: Bencher) {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = SegmentWriter::new(dir.path().to_owned());
    let trace = sample_trace();
    bencher.bench_local(|| {
        writer
            .append_with(|out| write_trace_dict(out, &trace, Location::of(&trace)))
            .unwrap();
    });
}

/// The local exporter with a batch of one: serialize, append, fdatasync. The worst case per
/// trace (a batch of many pays one sync); dominated by the disk.
#[divan::bench(sample_count = 20, sample_size = 5)]
fn store_export_synced_batch_of_one(bencher: Bencher) {
    let dir = tempfile::tempdir().unwrap();
    let mut exporter = LocalStoreExporter::new(dir.path());
    let batch = [sample_trace()];
    bencher.bench_local(|| exporter.export(&batch, &SharedMetadata::new()).unwrap());
}

// ---- JSON text writers (used by the bindings for every captured value) --------------------

const FLOATS: [f64; 8] = [
    0.1,
    123.456,
    1e16,
    1.5e-7,
    std::f64::consts::PI,
    42.0,
    -0.000123,
    6.02214076e23,
];

#[divan::bench(sample_count = 200, sample_size = 1000)]
fn json_push_f64(bencher: Bencher) {
    let mut out = String::with_capacity(256);
    bencher
        .counter(ItemsCount::new(FLOATS.len()))
        .bench_local(|| {
            out.clear();
            for x in black_box(FLOATS) {
                json::push_f64(&mut out, x);
            }
        });
}

/// A string of `len` characters, mostly plain text with a quote, a newline and a non-ASCII letter
/// now and then (what prompts and documents look like).
#[divan::bench(args = [32, 1024, 16384])]
fn json_push_str(bencher: Bencher, len: usize) {
    let text: String = "Paris is the \"capital\" of France.\nIt has ~2.1M inhabitants (é). "
        .chars()
        .cycle()
        .take(len)
        .collect();
    let mut out = String::with_capacity(len * 2);
    bencher
        .counter(BytesCount::new(text.len()))
        .bench_local(|| {
            out.clear();
            json::push_str(&mut out, black_box(&text));
        });
}
