//! Attribute values (Python-dialect JSON text) to typed OTLP `AnyValue`s, the way MLflow's SDK
//! converts the decoded value (`mlflow.tracing.utils.otlp._set_otel_proto_anyvalue`): strings,
//! ints, floats and bools as scalars, lists as `arrayValue`, objects as `kvlistValue`, `null` as
//! an empty value. `NaN`/`Infinity` are doubles, as Python's `float('nan')` is.
//!
//! Parses the text directly into the message (no `serde_json::Value` in between). Text that is
//! not JSON at all is sent as one string, as [`crate::model::RawJson::to_value`] reads it.

use super::proto::{AnyValue, ArrayValue, KeyValue, KeyValueList, Value};

/// Nesting deeper than this is not parsed: the whole text goes as a string (captured values are
/// capped at 64 levels long before this).
const MAX_DEPTH: usize = 512;

/// One JSON scalar, as the parser hands it to a [`Sink`].
pub(crate) enum Scalar<'a> {
    Str(&'a str),
    Bool(bool),
    Int(i64),
    Double(f64),
    Null,
}

/// Where the parser puts what it reads, in document order: the typed `AnyValue` messages
/// ([`Tree`]), or their protobuf bytes (`encode.rs`). `key` comes before each member's value.
pub(crate) trait Sink {
    fn scalar(&mut self, v: Scalar<'_>);
    fn begin(&mut self, object: bool);
    fn key(&mut self, key: &str);
    fn end(&mut self);
}

/// Parses one attribute value's JSON text into `sink`; `false` when the text is not JSON (then
/// the sink holds part of a value, which the caller discards: such text goes as one string).
pub(crate) fn parse_into(text: &str, sink: &mut impl Sink) -> bool {
    let mut p = Parser {
        s: text.as_bytes(),
        text,
        i: 0,
        sink,
        scratch: String::new(),
    };
    p.value(0).is_some() && {
        p.ws();
        p.i == p.s.len()
    }
}

/// The typed value of one attribute; `None` for JSON `null` (MLflow leaves the value unset).
pub(crate) fn from_json_text(text: &str) -> Option<AnyValue> {
    let mut tree = Tree::default();
    if !parse_into(text, &mut tree) {
        return Some(string(text.to_owned()));
    }
    match tree.top {
        Some(AnyValue { value: None }) | None => None,
        v => v,
    }
}

/// A key-value pair with a typed value.
pub(crate) fn key_value(key: &str, json_text: &str) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: from_json_text(json_text),
    }
}

/// A string `AnyValue`.
pub(crate) fn string(s: String) -> AnyValue {
    AnyValue {
        value: Some(Value::StringValue(s)),
    }
}

/// Builds the `AnyValue` messages.
#[derive(Default)]
struct Tree {
    top: Option<AnyValue>,
    /// Open containers: the values so far, and the key of the member being read.
    open: Vec<(Value, Option<String>)>,
}

impl Tree {
    fn put(&mut self, v: AnyValue) {
        match self.open.last_mut() {
            None => self.top = Some(v),
            Some((Value::ArrayValue(a), _)) => a.values.push(v),
            Some((Value::KvlistValue(kv), key)) => kv.values.push(KeyValue {
                key: key.take().unwrap_or_default(),
                value: v.value.is_some().then_some(v),
            }),
            Some(_) => {}
        }
    }
}

impl Sink for Tree {
    fn scalar(&mut self, v: Scalar<'_>) {
        let value = match v {
            Scalar::Str(s) => Some(Value::StringValue(s.to_owned())),
            Scalar::Bool(b) => Some(Value::BoolValue(b)),
            Scalar::Int(n) => Some(Value::IntValue(n)),
            Scalar::Double(d) => Some(Value::DoubleValue(d)),
            Scalar::Null => None,
        };
        self.put(AnyValue { value });
    }

    fn begin(&mut self, object: bool) {
        let v = if object {
            Value::KvlistValue(KeyValueList::default())
        } else {
            Value::ArrayValue(ArrayValue::default())
        };
        self.open.push((v, None));
    }

    fn key(&mut self, key: &str) {
        if let Some((_, k)) = self.open.last_mut() {
            *k = Some(key.to_owned());
        }
    }

    fn end(&mut self) {
        if let Some((v, _)) = self.open.pop() {
            self.put(AnyValue { value: Some(v) });
        }
    }
}

struct Parser<'a, S> {
    s: &'a [u8],
    text: &'a str,
    i: usize,
    sink: &'a mut S,
    /// A string with escapes, decoded.
    scratch: String,
}

impl<S: Sink> Parser<'_, S> {
    fn ws(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    fn eat(&mut self, lit: &str) -> bool {
        if self.s[self.i..].starts_with(lit.as_bytes()) {
            self.i += lit.len();
            true
        } else {
            false
        }
    }

    fn value(&mut self, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.ws();
        let v = match *self.s.get(self.i)? {
            b'"' => {
                let (start, end) = self.string()?;
                let text = if start == usize::MAX {
                    self.scratch.as_str()
                } else {
                    &self.text[start..end]
                };
                self.sink.scalar(Scalar::Str(text));
                return Some(());
            }
            b'{' => return self.container(depth, true),
            b'[' => return self.container(depth, false),
            b't' if self.eat("true") => Scalar::Bool(true),
            b'f' if self.eat("false") => Scalar::Bool(false),
            b'n' if self.eat("null") => Scalar::Null,
            b'N' if self.eat("NaN") => Scalar::Double(f64::NAN),
            b'I' if self.eat("Infinity") => Scalar::Double(f64::INFINITY),
            b'-' if self.eat("-Infinity") => Scalar::Double(f64::NEG_INFINITY),
            b'-' | b'0'..=b'9' => self.number()?,
            _ => return None,
        };
        self.sink.scalar(v);
        Some(())
    }

    /// An object or an array, from its opening bracket on.
    fn container(&mut self, depth: usize, object: bool) -> Option<()> {
        let close = if object { "}" } else { "]" };
        self.i += 1;
        self.sink.begin(object);
        self.ws();
        if !self.eat(close) {
            loop {
                if object {
                    self.member_key()?;
                }
                self.value(depth + 1)?;
                self.ws();
                if self.eat(close) {
                    break;
                }
                if !self.eat(",") {
                    return None;
                }
            }
        }
        self.sink.end();
        Some(())
    }

    /// `"key":` of an object member.
    fn member_key(&mut self) -> Option<()> {
        self.ws();
        if self.s.get(self.i) != Some(&b'"') {
            return None;
        }
        let (start, end) = self.string()?;
        let key = if start == usize::MAX {
            self.scratch.as_str()
        } else {
            &self.text[start..end]
        };
        self.sink.key(key);
        self.ws();
        self.eat(":").then_some(())
    }

    fn number(&mut self) -> Option<Scalar<'static>> {
        let start = self.i;
        let mut float = false;
        while let Some(&c) = self.s.get(self.i) {
            match c {
                b'0'..=b'9' | b'-' | b'+' => {}
                b'.' | b'e' | b'E' => float = true,
                _ => break,
            }
            self.i += 1;
        }
        let t = &self.text[start..self.i];
        if !float {
            if let Ok(n) = t.parse::<i64>() {
                return Some(Scalar::Int(n));
            }
        }
        // Integers beyond i64 (Python would fail to send them) go as the nearest double.
        t.parse::<f64>().ok().map(Scalar::Double)
    }

    /// A string literal starting at `"`: the range of its text when it has no escapes, else
    /// `usize::MAX` with the decoded text in `scratch`. Lone surrogates become `?` (Python's
    /// `encode("utf-8", errors="replace")` before protobuf).
    fn string(&mut self) -> Option<(usize, usize)> {
        self.i += 1;
        let start = self.i;
        // Fast path: no escapes.
        while let Some(&c) = self.s.get(self.i) {
            match c {
                b'"' => {
                    self.i += 1;
                    return Some((start, self.i - 1));
                }
                b'\\' => break,
                _ => self.i += 1,
            }
        }
        self.scratch.clear();
        self.scratch.push_str(&self.text[start..self.i]);
        loop {
            let run = self.i;
            while let Some(&c) = self.s.get(self.i) {
                if c == b'"' || c == b'\\' {
                    break;
                }
                self.i += 1;
            }
            self.scratch.push_str(&self.text[run..self.i]);
            match *self.s.get(self.i)? {
                b'"' => {
                    self.i += 1;
                    return Some((usize::MAX, 0));
                }
                _ => {
                    let esc = *self.s.get(self.i + 1)?;
                    self.i += 2;
                    let c = match esc {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let hi = self.hex4()?;
                            let c = if (0xD800..0xDC00).contains(&hi)
                                && self.s[self.i..].starts_with(b"\\u")
                            {
                                let save = self.i;
                                self.i += 2;
                                match self.hex4()? {
                                    lo @ 0xDC00..0xE000 => char::from_u32(
                                        0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00),
                                    ),
                                    _ => {
                                        self.i = save;
                                        None
                                    }
                                }
                            } else {
                                char::from_u32(hi)
                            };
                            c.unwrap_or('?')
                        }
                        _ => return None,
                    };
                    self.scratch.push(c);
                }
            }
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let h = self.text.get(self.i..self.i + 4)?;
        let v = u32::from_str_radix(h, 16).ok()?;
        self.i += 4;
        Some(v)
    }
}

#[cfg(test)]
mod tests;
