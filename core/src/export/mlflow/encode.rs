//! The OTLP request written as protobuf bytes straight from the traces: the same bytes as
//! encoding the messages [`super::otlp::build_request`] builds (prost, fields in tag order,
//! proto3 defaults left out), without building them. A nested message's length goes in front of
//! it once it is written: one byte is reserved, and the rare message of 128 bytes or more moves
//! up to make room for a longer varint.

use super::anyvalue::{parse_into, Scalar, Sink};
use super::otlp::OtlpOptions;
use crate::model::keys::attr;
use crate::model::{Attributes, SpanRecord, StatusCode, Trace};

/// Wire types.
const VARINT: u32 = 0;
const FIXED64: u32 = 1;
const LEN: u32 = 2;

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn key(out: &mut Vec<u8>, field: u32, wire: u32) {
    varint(out, u64::from(field << 3 | wire));
}

/// Starts a length-delimited field; returns where its content starts, for [`end`].
fn begin(out: &mut Vec<u8>, field: u32) -> usize {
    key(out, field, LEN);
    out.push(0);
    out.len()
}

/// Writes the length of the field started at `start`.
fn end(out: &mut Vec<u8>, start: usize) {
    let len = out.len() - start;
    if len < 0x80 {
        out[start - 1] = len as u8;
        return;
    }
    let mut prefix = Vec::with_capacity(10);
    varint(&mut prefix, len as u64);
    let extra = prefix.len() - 1;
    out.resize(out.len() + extra, 0);
    out.copy_within(start..start + len, start + extra);
    out[start - 1..start + extra].copy_from_slice(&prefix);
}

/// A length-delimited field that proto3 leaves out when empty.
fn bytes_field(out: &mut Vec<u8>, field: u32, bytes: &[u8]) {
    if !bytes.is_empty() {
        always_bytes(out, field, bytes);
    }
}

/// A length-delimited field written even when empty (a oneof member).
fn always_bytes(out: &mut Vec<u8>, field: u32, bytes: &[u8]) {
    key(out, field, LEN);
    varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn fixed64_field(out: &mut Vec<u8>, field: u32, v: u64) {
    if v != 0 {
        key(out, field, FIXED64);
        out.extend_from_slice(&v.to_le_bytes());
    }
}

/// The protobuf bytes of `ExportTraceServiceRequest` for the spans of `traces`.
pub(crate) fn encode_request<'a>(
    traces: impl IntoIterator<Item = &'a Trace>,
    opts: &OtlpOptions,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(4096);
    let resource_spans = begin(&mut out, 1);
    let resource = begin(&mut out, 1);
    for (k, v) in &opts.resource {
        let kv = begin(&mut out, 1);
        bytes_field(&mut out, 1, k.as_bytes());
        let value = begin(&mut out, 2);
        always_bytes(&mut out, 1, v.as_bytes());
        end(&mut out, value);
        end(&mut out, kv);
    }
    end(&mut out, resource);
    let scope_spans = begin(&mut out, 2);
    for trace in traces {
        let request_id = opts
            .request_id_attribute
            .then(|| trace.info.trace_id.mlflow_bytes());
        for s in &trace.spans {
            let span_start = begin(&mut out, 2);
            span(&mut out, s, request_id.as_ref().map(|r| &r[..]));
            end(&mut out, span_start);
        }
    }
    end(&mut out, scope_spans);
    end(&mut out, resource_spans);
    out
}

fn span(out: &mut Vec<u8>, s: &SpanRecord, request_id: Option<&[u8]>) {
    bytes_field(out, 1, &s.trace_id.to_bytes());
    bytes_field(out, 2, &s.span_id.to_bytes());
    if let Some(p) = s.parent_id {
        bytes_field(out, 4, &p.to_bytes());
    }
    bytes_field(out, 5, s.name.as_bytes());
    fixed64_field(out, 7, s.start_ns);
    fixed64_field(out, 8, s.end_ns);
    if let Some(id) = request_id {
        let kv = begin(out, 9);
        bytes_field(out, 1, attr::REQUEST_ID.as_bytes());
        let value = begin(out, 2);
        always_bytes(out, 1, id);
        end(out, value);
        end(out, kv);
    }
    // With the request id first, a user attribute of the same name is not sent twice.
    let skip = request_id.map(|_| attr::REQUEST_ID);
    attributes(out, 9, &s.attributes, skip);
    for e in &s.events {
        let event = begin(out, 11);
        fixed64_field(out, 1, e.time_ns);
        bytes_field(out, 2, e.name.as_bytes());
        attributes(out, 3, &e.attributes, None);
        end(out, event);
    }
    for l in &s.links {
        let link = begin(out, 13);
        bytes_field(out, 1, &l.trace_id.to_bytes());
        bytes_field(out, 2, &l.span_id.to_bytes());
        attributes(out, 4, &l.attributes, None);
        end(out, link);
    }
    let status = begin(out, 15);
    bytes_field(out, 2, s.status.message.as_bytes());
    let code = match s.status.code {
        StatusCode::Unset => 0,
        StatusCode::Ok => 1,
        StatusCode::Error => 2,
    };
    if code != 0 {
        key(out, 3, VARINT);
        varint(out, code);
    }
    end(out, status);
}

/// Each attribute as a `KeyValue` in `field`, its value typed from its JSON text.
fn attributes(out: &mut Vec<u8>, field: u32, attrs: &Attributes, skip: Option<&str>) {
    for (k, v) in attrs.iter() {
        if Some(k) == skip {
            continue;
        }
        let kv = begin(out, field);
        bytes_field(out, 1, k.as_bytes());
        let before_value = out.len();
        let value = begin(out, 2);
        let mut sink = Proto {
            out,
            open: Vec::new(),
            top_null: false,
        };
        if !parse_into(v.as_str(), &mut sink) {
            // Not JSON at all: the text as one string, as MLflow reads it.
            out.truncate(value);
            always_bytes(out, 1, v.as_str().as_bytes());
        } else if sink.top_null {
            // `null` leaves the value unset.
            out.truncate(before_value);
            end(out, kv);
            continue;
        }
        end(out, value);
        end(out, kv);
    }
}

/// How a value's place in its container is closed once the value is written.
#[derive(Clone, Copy)]
enum Place {
    /// The attribute's own value (its `AnyValue` is closed by the caller).
    Top,
    /// An `ArrayValue` element: its `AnyValue` message.
    Element(usize),
    /// A `KeyValueList` member: its `KeyValue` and, when the value is not null, its `AnyValue`.
    Member(usize, Option<usize>),
}

/// An open array or object.
struct Frame {
    /// Where the `ArrayValue` / `KeyValueList` content starts.
    list: usize,
    place: Place,
    object: bool,
    /// The `KeyValue` of the member whose key was read.
    member: Option<usize>,
}

/// Writes parsed JSON as the `AnyValue` being written (its oneof member), nested messages
/// included.
struct Proto<'a> {
    out: &'a mut Vec<u8>,
    open: Vec<Frame>,
    /// Set when the whole value is `null`.
    top_null: bool,
}

impl Proto<'_> {
    /// Opens the place of a value about to be written in the innermost container.
    fn place(&mut self, null: bool) -> Place {
        match self.open.last_mut() {
            None => Place::Top,
            Some(f) if f.object => {
                let kv = f.member.take().unwrap_or(f.list);
                Place::Member(kv, (!null).then(|| begin(self.out, 2)))
            }
            Some(_) => Place::Element(begin(self.out, 1)),
        }
    }

    fn close(&mut self, place: Place) {
        match place {
            Place::Top => {}
            Place::Element(start) => end(self.out, start),
            Place::Member(kv, value) => {
                if let Some(v) = value {
                    end(self.out, v);
                }
                end(self.out, kv);
            }
        }
    }
}

impl Sink for Proto<'_> {
    fn scalar(&mut self, v: Scalar<'_>) {
        let null = matches!(v, Scalar::Null);
        let place = self.place(null);
        let out = &mut *self.out;
        match v {
            Scalar::Str(s) => always_bytes(out, 1, s.as_bytes()),
            Scalar::Bool(b) => {
                key(out, 2, VARINT);
                varint(out, u64::from(b));
            }
            Scalar::Int(n) => {
                key(out, 3, VARINT);
                // int64: a negative number as its two's complement, ten bytes.
                varint(out, n as u64);
            }
            Scalar::Double(d) => {
                key(out, 4, FIXED64);
                out.extend_from_slice(&d.to_bits().to_le_bytes());
            }
            Scalar::Null => self.top_null = matches!(place, Place::Top),
        }
        self.close(place);
    }

    fn begin(&mut self, object: bool) {
        let place = self.place(false);
        let list = begin(self.out, if object { 6 } else { 5 });
        self.open.push(Frame {
            list,
            place,
            object,
            member: None,
        });
    }

    fn key(&mut self, k: &str) {
        let kv = begin(self.out, 1);
        bytes_field(self.out, 1, k.as_bytes());
        if let Some(f) = self.open.last_mut() {
            f.member = Some(kv);
        }
    }

    fn end(&mut self) {
        if let Some(f) = self.open.pop() {
            end(self.out, f.list);
            self.close(f.place);
        }
    }
}
