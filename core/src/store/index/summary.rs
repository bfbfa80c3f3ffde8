//! What the index keeps of one trace record, and how it is read from a record's payload
//! without building the whole trace (inputs, outputs and attributes are skipped).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use serde::de::{IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::table::RowSource;
use crate::model::keys::{attr, tag};
use crate::model::{parse_rfc3339_ms, SharedMetadata, Trace, TraceDict};

/// What search needs of one trace record.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Summary {
    pub id: String,
    /// Offset and length of the record's payload in its segment.
    pub o: u64,
    pub l: u64,
    /// Request time (Unix ms).
    pub t: u64,
    /// Execution time (ms).
    pub d: Option<u64>,
    /// State (`OK`, `ERROR`, ...).
    pub s: String,
    /// Trace name: the `mlflow.traceName` tag, else the root span's name.
    pub n: String,
    pub tags: BTreeMap<String, String>,
    pub meta: BTreeMap<String, String>,
    /// (name, span type, status code: `OK`, `ERROR`, `UNSET`) of each span.
    pub spans: Vec<(String, String, String)>,
}

fn span_type(v: Option<&Value>) -> String {
    let decoded = match v {
        Some(Value::String(text)) => Some(crate::model::json::parse_lenient(text)),
        Some(other) => Some(other.clone()),
        None => None,
    };
    decoded
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "UNKNOWN".into())
}

fn status(code: &str) -> String {
    code.trim_start_matches("STATUS_CODE_").to_owned()
}

impl Summary {
    /// The summary of a stored trace found at `offset`/`len` in its segment.
    pub fn of(t: &TraceDict, offset: u64, len: u64) -> Summary {
        Summary {
            id: t.info.trace_id.clone(),
            o: offset,
            l: len,
            t: parse_rfc3339_ms(&t.info.request_time).unwrap_or(0),
            d: t.info.execution_duration_ms,
            s: t.info.state.clone(),
            n: t.name().to_owned(),
            tags: t.info.tags.clone(),
            meta: t.info.trace_metadata.clone(),
            spans: t
                .data
                .spans
                .iter()
                .map(|s| {
                    (
                        s.name.clone(),
                        span_type(s.attributes.get(attr::SPAN_TYPE)),
                        status(&s.status.code),
                    )
                })
                .collect(),
        }
    }

    /// The summary of the record the local store writes for `trace` (MLflow's dict of it, with
    /// the batch's shared metadata), taken from the trace itself: what [`Summary::parse`]
    /// reads back from that record, without writing or parsing JSON.
    pub fn of_trace(trace: &Trace, shared: &SharedMetadata) -> Summary {
        let row = TraceRow { trace, shared };
        let (t, d) = row.times();
        let mut s = Summary {
            id: row.id().into_owned(),
            t,
            d,
            s: row.state().to_owned(),
            n: row.name().to_owned(),
            ..Summary::default()
        };
        row.tags(&mut |k, v| drop(s.tags.insert(k.to_owned(), v.to_owned())));
        row.meta(&mut |k, v| drop(s.meta.insert(k.to_owned(), v.to_owned())));
        row.spans(&mut |n, ty, st| s.spans.push((n.to_owned(), ty.to_owned(), st.to_owned())));
        s
    }

    /// The summary of a trace record's payload, read as [`Summary::of`] reads the whole trace
    /// (same fields required), without building its inputs, outputs and attributes.
    pub fn parse(payload: &[u8], offset: u64, len: u64) -> Result<Summary, String> {
        let p: PTrace<'_> = serde_json::from_slice(payload).map_err(|e| e.to_string())?;
        let n = match p.info.tags.get(tag::TRACE_NAME) {
            Some(n) => n.clone(),
            None => {
                // The root: the earliest span whose parent is not in the trace.
                let spans = &p.data.spans;
                spans
                    .iter()
                    .filter(|s| {
                        s.parent_span_id
                            .as_ref()
                            .is_none_or(|q| !spans.iter().any(|o| o.span_id == *q))
                    })
                    .min_by_key(|s| s.start_time_unix_nano)
                    .map(|s| s.name.to_string())
                    .unwrap_or_default()
            }
        };
        Ok(Summary {
            id: p.info.trace_id.into_owned(),
            o: offset,
            l: len,
            t: parse_rfc3339_ms(&p.info.request_time).unwrap_or(0),
            d: p.info.execution_duration_ms,
            s: p.info.state.into_owned(),
            n,
            tags: p.info.tags,
            meta: p.info.trace_metadata,
            spans: p
                .data
                .spans
                .into_iter()
                .map(|s| {
                    (
                        s.name.into_owned(),
                        span_type(s.attributes.0.as_ref()),
                        status(&s.status.code),
                    )
                })
                .collect(),
        })
    }
}

// The parts of `TraceDict` a summary needs; the fields `TraceDict` requires are required here
// too, so a record is a trace for both or for neither.
#[derive(Deserialize)]
struct PTrace<'a> {
    #[serde(borrow)]
    info: PInfo<'a>,
    #[serde(borrow)]
    data: PData<'a>,
}

#[derive(Deserialize)]
struct PInfo<'a> {
    #[serde(borrow)]
    trace_id: Cow<'a, str>,
    #[allow(dead_code)]
    trace_location: IgnoredAny,
    #[serde(borrow)]
    request_time: Cow<'a, str>,
    #[serde(borrow)]
    state: Cow<'a, str>,
    #[serde(default)]
    trace_metadata: BTreeMap<String, String>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
    #[serde(default)]
    execution_duration_ms: Option<u64>,
}

#[derive(Deserialize)]
struct PData<'a> {
    #[serde(borrow)]
    spans: Vec<PSpan<'a>>,
}

#[derive(Deserialize)]
struct PSpan<'a> {
    #[serde(borrow)]
    span_id: Cow<'a, str>,
    #[serde(borrow)]
    parent_span_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    name: Cow<'a, str>,
    start_time_unix_nano: u64,
    #[serde(borrow)]
    status: PStatus<'a>,
    #[serde(default)]
    attributes: SpanTypeOnly,
}

#[derive(Deserialize)]
struct PStatus<'a> {
    #[serde(borrow)]
    code: Cow<'a, str>,
}

/// A span's attributes, of which only `mlflow.spanType` is kept.
#[derive(Default)]
struct SpanTypeOnly(Option<Value>);

impl<'de> Deserialize<'de> for SpanTypeOnly {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = SpanTypeOnly;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map of span attributes")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<SpanTypeOnly, A::Error> {
                let mut out = None;
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    if key == attr::SPAN_TYPE {
                        // A repeated key keeps its last value, as a parsed map does.
                        out = Some(map.next_value::<Value>()?);
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(SpanTypeOnly(out))
            }
        }
        d.deserialize_map(V)
    }
}

impl RowSource for Summary {
    fn id(&self) -> Cow<'_, str> {
        Cow::Borrowed(&self.id)
    }
    fn times(&self) -> (u64, Option<u64>) {
        (self.t, self.d)
    }
    fn state(&self) -> &str {
        &self.s
    }
    fn name(&self) -> &str {
        &self.n
    }
    fn tags(&self, f: &mut dyn FnMut(&str, &str)) {
        self.tags.iter().for_each(|(k, v)| f(k, v));
    }
    fn meta(&self, f: &mut dyn FnMut(&str, &str)) {
        self.meta.iter().for_each(|(k, v)| f(k, v));
    }
    fn spans(&self, f: &mut dyn FnMut(&str, &str, &str)) {
        self.spans.iter().for_each(|(n, ty, st)| f(n, ty, st));
    }
}

/// A trace as the local store's writer holds it, with its batch's shared metadata: the row of
/// the record it writes, borrowed from the trace (the export thread indexes every trace it
/// stores, so nothing is cloned but the strings new to the segment).
pub struct TraceRow<'a> {
    pub trace: &'a Trace,
    pub shared: &'a SharedMetadata,
}

impl RowSource for TraceRow<'_> {
    fn id(&self) -> Cow<'_, str> {
        Cow::Owned(self.trace.info.trace_id.to_mlflow())
    }
    fn times(&self) -> (u64, Option<u64>) {
        let info = &self.trace.info;
        (info.request_time_ms, Some(info.execution_duration_ms))
    }
    fn state(&self) -> &str {
        self.trace.info.state.as_str()
    }
    fn name(&self) -> &str {
        match self.trace.info.tags.get(tag::TRACE_NAME) {
            Some(n) => n,
            None => self.trace.root().map_or("", |r| r.name.as_str()),
        }
    }
    fn tags(&self, f: &mut dyn FnMut(&str, &str)) {
        self.trace.info.tags.iter().for_each(|(k, v)| f(k, v));
    }
    fn meta(&self, f: &mut dyn FnMut(&str, &str)) {
        (self.trace.info)
            .metadata_with(self.shared)
            .for_each(|(k, v)| f(k, v));
    }
    fn spans(&self, f: &mut dyn FnMut(&str, &str, &str)) {
        for s in &self.trace.spans {
            let raw = s.attributes.get(attr::SPAN_TYPE).map(|v| v.as_str());
            // The type is stored as JSON text (`"TOOL"`): a plain string is read in place.
            let plain = raw.and_then(|r| r.strip_prefix('"')?.strip_suffix('"'));
            let status = s.status.code.otel_name();
            let status = status.trim_start_matches("STATUS_CODE_");
            match plain {
                Some(ty) if !ty.contains(['\\', '"']) => f(s.name.as_str(), ty, status),
                _ => {
                    let ty = raw.map(|r| Value::String(r.to_owned()));
                    f(s.name.as_str(), &span_type(ty.as_ref()), status)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
