//! MLflow's `Trace.to_dict()` JSON written straight from a [`Trace`]: byte for byte what
//! `serde_json::to_string(&TraceDict::from(trace))` gives, which is the record payload of the
//! local store and of the spill folders, without building the owned dict (its maps, and a
//! copy of every id, name and attribute value) in between. [`super::TraceDict`] stays the form
//! records are read back into.
//!
//! The same writer with Python's separators (`", "`, `": "`) gives the sizes behind MLflow's
//! `mlflow.trace.sizeStats` (see `export::mlflow::trace_info`).

use std::marker::PhantomData;

use serde_json::Value;

use super::json::{json_str_len, push_str_bytes};
use super::keys::attr;
use super::trace::rfc3339_ms_bytes;
use super::{push_rfc3339_ms, Attributes, SharedMetadata, SpanRecord, Trace};

/// What a record says about the experiment its trace belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Location<'a> {
    /// `{"type": "MLFLOW_EXPERIMENT", "mlflow_experiment": {"experiment_id": ...}}`.
    Experiment(&'a str),
    /// `{"type": "MLFLOW_EXPERIMENT"}`: left open, as spilled records of traces without an
    /// experiment are, so a replay sends them to the destination's default experiment.
    Unassigned,
}

impl<'a> Location<'a> {
    /// The local store's location of `trace`: its experiment, else MLflow's Default (`"0"`).
    ///
    /// ```
    /// use ferrotrace_core::model::{Location, Trace};
    /// assert_eq!(Location::of(&Trace::default()), Location::Experiment("0"));
    /// ```
    pub fn of(trace: &'a Trace) -> Location<'a> {
        Location::Experiment(trace.info.experiment_id.as_deref().unwrap_or("0"))
    }
}

/// Appends the `Trace.to_dict()` JSON of `trace` (serde_json's compact form of
/// [`super::TraceDict`]) with the given location.
///
/// ```
/// use ferrotrace_core::model::{write_trace_dict, Location, Trace, TraceDict};
/// let trace = Trace::default();
/// let mut out = Vec::new();
/// write_trace_dict(&mut out, &trace, Location::of(&trace));
/// assert_eq!(out, serde_json::to_vec(&TraceDict::from(&trace)).unwrap());
/// ```
pub fn write_trace_dict(out: &mut Vec<u8>, trace: &Trace, location: Location<'_>) {
    write_trace_dict_with(out, trace, &SharedMetadata::new(), location);
}

/// [`write_trace_dict`] for a trace whose metadata is `info.metadata` with `shared` added (see
/// [`TraceInfo::metadata_with`](super::TraceInfo::metadata_with)): the record of the trace
/// [`TraceInfo::add_metadata`](super::TraceInfo::add_metadata) would give.
///
/// ```
/// use ferrotrace_core::model::{write_trace_dict_with, Location, SharedMetadata, Trace};
/// let shared = SharedMetadata::from([("mlflow.user".to_owned(), "me".to_owned())]);
/// let mut out = Vec::new();
/// write_trace_dict_with(&mut out, &Trace::default(), &shared, Location::Unassigned);
/// let text = String::from_utf8(out).unwrap();
/// assert!(text.contains(r#""trace_location":{"type":"MLFLOW_EXPERIMENT"}"#));
/// assert!(text.contains(r#""trace_metadata":{"mlflow.user":"me"}"#));
/// ```
pub fn write_trace_dict_with(
    out: &mut Vec<u8>,
    trace: &Trace,
    shared: &SharedMetadata,
    location: Location<'_>,
) {
    Writer::<Compact, _>::new(out).trace(trace, shared, location, true);
}

/// The sizes MLflow's `sizeStats` are made of, in Python's `json.dumps` form: each span's dict
/// (pushed onto `spans`, in the trace's order) and the trace's dict without its spans, which
/// this returns. Counted, not written.
pub(crate) fn python_sizes(
    trace: &Trace,
    shared: &SharedMetadata,
    experiment_id: &str,
    spans: &mut Vec<usize>,
) -> usize {
    let request_id = RequestId::of(trace);
    for s in &trace.spans {
        let mut n = Count(0);
        Writer::<Python, _>::new(&mut n).span(s, &request_id);
        spans.push(n.0);
    }
    let mut n = Count(0);
    Writer::<Python, _>::new(&mut n).trace(
        trace,
        shared,
        Location::Experiment(experiment_id),
        false,
    );
    n.0
}

/// Where a writer's JSON goes.
trait Out {
    fn raw(&mut self, bytes: &[u8]);
    fn byte(&mut self, b: u8);
    /// A JSON string literal holding `s`.
    fn json_str(&mut self, s: &str);
}

impl Out for Vec<u8> {
    #[inline(always)]
    fn raw(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
    #[inline(always)]
    fn byte(&mut self, b: u8) {
        self.push(b);
    }
    #[inline(always)]
    fn json_str(&mut self, s: &str) {
        push_str_bytes(self, s);
    }
}

/// Counts the bytes instead of writing them.
struct Count(usize);

impl Out for Count {
    fn raw(&mut self, bytes: &[u8]) {
        self.0 += bytes.len();
    }
    fn byte(&mut self, _: u8) {
        self.0 += 1;
    }
    fn json_str(&mut self, s: &str) {
        self.0 += json_str_len(s);
    }
}

/// Separators and the form of decoded (event and link) attribute values.
/// `"name":` for a member name, then the same after a separator (`,` or `, `), each as the
/// pair (compact, Python) that [`Writer::key`] picks from: one write per member name.
macro_rules! key {
    (first $name:literal) => {
        (concat!("\"", $name, "\":"), concat!("\"", $name, "\": "))
    };
    ($name:literal) => {
        (concat!(",\"", $name, "\":"), concat!(", \"", $name, "\": "))
    };
}

trait Style {
    /// Python's separators (else serde_json's compact ones).
    const PYTHON: bool;
    const COLON: &'static [u8];
    const COMMA: &'static [u8];
    fn value(out: &mut Vec<u8>, v: &Value);
}

/// serde_json's compact output.
struct Compact;

impl Style for Compact {
    const PYTHON: bool = false;
    const COLON: &'static [u8] = b":";
    const COMMA: &'static [u8] = b",";
    fn value(out: &mut Vec<u8>, v: &Value) {
        // Writing into a Vec cannot fail, and a Value always serializes.
        let _ = serde_json::to_writer(out, v);
    }
}

/// Python's `json.dumps` separators, as [`super::RawJson::from_value`] writes them.
struct Python;

impl Style for Python {
    const PYTHON: bool = true;
    const COLON: &'static [u8] = b": ";
    const COMMA: &'static [u8] = b", ";
    fn value(out: &mut Vec<u8>, v: &Value) {
        let mut text = String::new();
        super::json::push_value(&mut text, v);
        out.extend_from_slice(text.as_bytes());
    }
}

/// `mlflow.traceRequestId`'s value on every span: the JSON text `"tr-..."` as a JSON string,
/// `"\"tr-<32 hex>\""`.
struct RequestId([u8; 41]);

impl RequestId {
    fn of(trace: &Trace) -> RequestId {
        let mut out = *br#""\"tr-________________________________\"""#;
        out[3..38].copy_from_slice(&trace.info.trace_id.mlflow_bytes());
        RequestId(out)
    }
}

struct Writer<'a, S, O> {
    out: &'a mut O,
    style: PhantomData<S>,
}

impl<'a, S: Style, O: Out> Writer<'a, S, O> {
    fn new(out: &'a mut O) -> Self {
        Writer {
            out,
            style: PhantomData,
        }
    }

    fn raw(&mut self, bytes: &[u8]) {
        self.out.raw(bytes);
    }

    /// One of the dict's own member names, as [`key!`] spells it for each style.
    #[inline(always)]
    fn key(&mut self, (compact, python): (&'static str, &'static str)) {
        self.raw(if S::PYTHON { python } else { compact }.as_bytes());
    }

    /// A member whose key may need escaping (metadata, tags, attribute names).
    #[inline(always)]
    fn any_key(&mut self, first: bool, key: &str) {
        if !first {
            self.raw(S::COMMA);
        }
        self.out.json_str(key);
        self.raw(S::COLON);
    }

    #[inline(always)]
    fn str(&mut self, s: &str) {
        self.out.json_str(s);
    }

    /// An id (or other text with nothing to escape) between quotes.
    fn quoted(&mut self, text: &[u8]) {
        self.out.byte(b'"');
        self.raw(text);
        self.out.byte(b'"');
    }

    /// `[item, item]`.
    fn list<T>(&mut self, items: &[T], mut item: impl FnMut(&mut Self, &T)) {
        self.out.byte(b'[');
        for (i, t) in items.iter().enumerate() {
            if i > 0 {
                self.raw(S::COMMA);
            }
            item(self, t);
        }
        self.out.byte(b']');
    }

    fn u64(&mut self, v: u64) {
        self.raw(itoa::Buffer::new().format(v).as_bytes());
    }

    fn trace(
        &mut self,
        trace: &Trace,
        shared: &SharedMetadata,
        location: Location<'_>,
        with_spans: bool,
    ) {
        let info = &trace.info;
        self.out.byte(b'{');
        self.key(key!(first "info"));
        self.out.byte(b'{');
        self.key(key!(first "trace_id"));
        self.quoted(&info.trace_id.mlflow_bytes());
        self.key(key!("trace_location"));
        self.out.byte(b'{');
        self.key(key!(first "type"));
        self.raw(b"\"MLFLOW_EXPERIMENT\"");
        if let Location::Experiment(id) = location {
            self.key(key!("mlflow_experiment"));
            self.out.byte(b'{');
            self.key(key!(first "experiment_id"));
            self.str(id);
            self.out.byte(b'}');
        }
        self.out.byte(b'}');
        self.key(key!("request_time"));
        self.out.byte(b'"');
        match rfc3339_ms_bytes(info.request_time_ms) {
            Some(b) => self.raw(&b),
            None => {
                let mut text = Vec::new();
                push_rfc3339_ms(&mut text, info.request_time_ms);
                self.raw(&text);
            }
        }
        self.out.byte(b'"');
        self.key(key!("state"));
        self.str(info.state.as_str());
        self.key(key!("trace_metadata"));
        self.map(info.metadata_with(shared));
        self.key(key!("tags"));
        self.map(&info.tags);
        for (key, value) in [
            (key!("request_preview"), &info.request_preview),
            (key!("response_preview"), &info.response_preview),
            (key!("client_request_id"), &info.client_request_id),
        ] {
            if let Some(v) = value {
                self.key(key);
                self.str(v);
            }
        }
        self.key(key!("execution_duration_ms"));
        self.u64(info.execution_duration_ms);
        self.out.byte(b'}');
        self.key(key!("data"));
        self.out.byte(b'{');
        self.key(key!(first "spans"));
        let spans = if with_spans { &trace.spans[..] } else { &[] };
        let request_id = RequestId::of(trace);
        self.list(spans, |w, s| w.span(s, &request_id));
        self.raw(b"}}");
    }

    fn map<'m>(&mut self, m: impl IntoIterator<Item = (&'m String, &'m String)>) {
        self.out.byte(b'{');
        for (i, (k, v)) in m.into_iter().enumerate() {
            self.any_key(i == 0, k);
            self.str(v);
        }
        self.out.byte(b'}');
    }

    fn span(&mut self, s: &SpanRecord, request_id: &RequestId) {
        self.out.byte(b'{');
        self.key(key!(first "trace_id"));
        self.quoted(&s.trace_id.base64_bytes());
        self.key(key!("span_id"));
        self.quoted(&s.span_id.base64_bytes());
        self.key(key!("parent_span_id"));
        match s.parent_id {
            Some(p) => self.quoted(&p.base64_bytes()),
            None => self.raw(b"null"),
        }
        self.key(key!("name"));
        self.str(&s.name);
        self.key(key!("start_time_unix_nano"));
        self.u64(s.start_ns);
        self.key(key!("end_time_unix_nano"));
        self.u64(s.end_ns);
        self.key(key!("events"));
        self.list(&s.events, |w, e| {
            w.out.byte(b'{');
            w.key(key!(first "name"));
            w.str(&e.name);
            w.key(key!("time_unix_nano"));
            w.u64(e.time_ns);
            w.key(key!("attributes"));
            w.decoded(&e.attributes);
            w.out.byte(b'}');
        });
        self.key(key!("status"));
        self.out.byte(b'{');
        self.key(key!(first "code"));
        self.str(s.status.code.otel_name());
        self.key(key!("message"));
        self.str(&s.status.message);
        self.out.byte(b'}');
        self.key(key!("attributes"));
        self.out.byte(b'{');
        // The request id comes first; a span attribute of the same name takes its place (the
        // dict's map keeps a replaced key where it was first inserted).
        self.key(key!(first "mlflow.traceRequestId"));
        match s.attributes.get(attr::REQUEST_ID) {
            Some(own) => self.str(own.as_str()),
            None => self.raw(&request_id.0),
        }
        for (k, v) in s.attributes.iter() {
            if k != attr::REQUEST_ID {
                self.any_key(false, k);
                self.str(v.as_str());
            }
        }
        self.out.byte(b'}');
        self.key(key!("links"));
        self.list(&s.links, |w, l| {
            w.out.byte(b'{');
            w.key(key!(first "trace_id"));
            w.quoted(&l.trace_id.mlflow_bytes());
            w.key(key!("span_id"));
            w.quoted(&l.span_id.hex_bytes());
            w.key(key!("attributes"));
            w.decoded(&l.attributes);
            w.out.byte(b'}');
        });
        self.out.byte(b'}');
    }

    /// Event and link attributes: values decoded from their JSON text, as the dict holds them.
    fn decoded(&mut self, attrs: &Attributes) {
        self.out.byte(b'{');
        for (i, (k, v)) in attrs.iter().enumerate() {
            self.any_key(i == 0, k);
            let mut text = Vec::new();
            S::value(&mut text, &v.to_value());
            self.raw(&text);
        }
        self.out.byte(b'}');
    }
}

#[cfg(test)]
mod tests;
