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

/// The typed value of one attribute; `None` for JSON `null` (MLflow leaves the value unset).
pub(crate) fn from_json_text(text: &str) -> Option<AnyValue> {
    let mut p = Parser {
        s: text.as_bytes(),
        text,
        i: 0,
    };
    let parsed = p.value(0).and_then(|v| {
        p.ws();
        (p.i == p.s.len()).then_some(v)
    });
    match parsed {
        Some(AnyValue { value: None }) => None,
        Some(v) => Some(v),
        None => Some(string(text.to_owned())),
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

struct Parser<'a> {
    s: &'a [u8],
    text: &'a str,
    i: usize,
}

impl Parser<'_> {
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

    fn value(&mut self, depth: usize) -> Option<AnyValue> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.ws();
        let v = match *self.s.get(self.i)? {
            b'"' => Value::StringValue(self.string()?),
            b'{' => Value::KvlistValue(self.object(depth)?),
            b'[' => Value::ArrayValue(self.array(depth)?),
            b't' if self.eat("true") => Value::BoolValue(true),
            b'f' if self.eat("false") => Value::BoolValue(false),
            b'n' if self.eat("null") => return Some(AnyValue { value: None }),
            b'N' if self.eat("NaN") => Value::DoubleValue(f64::NAN),
            b'I' if self.eat("Infinity") => Value::DoubleValue(f64::INFINITY),
            b'-' if self.eat("-Infinity") => Value::DoubleValue(f64::NEG_INFINITY),
            b'-' | b'0'..=b'9' => self.number()?,
            _ => return None,
        };
        Some(AnyValue { value: Some(v) })
    }

    fn object(&mut self, depth: usize) -> Option<KeyValueList> {
        self.i += 1;
        let mut values = Vec::new();
        self.ws();
        if self.eat("}") {
            return Some(KeyValueList { values });
        }
        loop {
            self.ws();
            if self.s.get(self.i) != Some(&b'"') {
                return None;
            }
            let key = self.string()?;
            self.ws();
            if !self.eat(":") {
                return None;
            }
            let v = self.value(depth + 1)?;
            values.push(KeyValue {
                key,
                value: v.value.is_some().then_some(v),
            });
            self.ws();
            if self.eat("}") {
                return Some(KeyValueList { values });
            }
            if !self.eat(",") {
                return None;
            }
        }
    }

    fn array(&mut self, depth: usize) -> Option<ArrayValue> {
        self.i += 1;
        let mut values = Vec::new();
        self.ws();
        if self.eat("]") {
            return Some(ArrayValue { values });
        }
        loop {
            values.push(self.value(depth + 1)?);
            self.ws();
            if self.eat("]") {
                return Some(ArrayValue { values });
            }
            if !self.eat(",") {
                return None;
            }
        }
    }

    fn number(&mut self) -> Option<Value> {
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
                return Some(Value::IntValue(n));
            }
        }
        // Integers beyond i64 (Python would fail to send them) go as the nearest double.
        t.parse::<f64>().ok().map(Value::DoubleValue)
    }

    /// A string literal starting at `"`; escapes decoded, lone surrogates as `?` (Python's
    /// `encode("utf-8", errors="replace")` before protobuf).
    fn string(&mut self) -> Option<String> {
        self.i += 1;
        let start = self.i;
        // Fast path: no escapes.
        while let Some(&c) = self.s.get(self.i) {
            match c {
                b'"' => {
                    self.i += 1;
                    return Some(self.text[start..self.i - 1].to_owned());
                }
                b'\\' => break,
                _ => self.i += 1,
            }
        }
        let mut out = String::from(&self.text[start..self.i]);
        loop {
            let run = self.i;
            while let Some(&c) = self.s.get(self.i) {
                if c == b'"' || c == b'\\' {
                    break;
                }
                self.i += 1;
            }
            out.push_str(&self.text[run..self.i]);
            match *self.s.get(self.i)? {
                b'"' => {
                    self.i += 1;
                    return Some(out);
                }
                _ => {
                    let esc = *self.s.get(self.i + 1)?;
                    self.i += 2;
                    match esc {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
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
                            out.push(c.unwrap_or('?'));
                        }
                        _ => return None,
                    }
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
mod tests {
    use super::*;

    fn s(v: &str) -> Value {
        Value::StringValue(v.into())
    }

    fn val(text: &str) -> Option<Value> {
        from_json_text(text).and_then(|a| a.value)
    }

    #[test]
    fn scalars_are_typed() {
        assert_eq!(val(r#""LLM""#), Some(s("LLM")));
        assert_eq!(val("42"), Some(Value::IntValue(42)));
        assert_eq!(val("-7"), Some(Value::IntValue(-7)));
        assert_eq!(val("1.0"), Some(Value::DoubleValue(1.0)));
        assert_eq!(val("1e+16"), Some(Value::DoubleValue(1e16)));
        assert_eq!(val("true"), Some(Value::BoolValue(true)));
        assert_eq!(val("Infinity"), Some(Value::DoubleValue(f64::INFINITY)));
        assert_eq!(
            val("-Infinity"),
            Some(Value::DoubleValue(f64::NEG_INFINITY))
        );
        assert!(matches!(val("NaN"), Some(Value::DoubleValue(x)) if x.is_nan()));
        assert_eq!(val("99999999999999999999"), Some(Value::DoubleValue(1e20)));
        assert!(from_json_text("null").is_none());
    }

    #[test]
    fn escapes_decode_like_json_loads() {
        let text = r#""a\"b\\c\/\n\t\u00e9\ud83d\ude00\ud800x é""#;
        assert_eq!(val(text), Some(s("a\"b\\c/\n\té😀?x é")));
    }

    #[test]
    fn containers_nest_and_null_members_are_unset() {
        let v = from_json_text(r#"{"q": "hi", "n": null, "l": [1, null, {"k": [true]}], "e": {}}"#)
            .unwrap();
        let Some(Value::KvlistValue(kv)) = v.value else {
            panic!()
        };
        assert_eq!(kv.values.len(), 4);
        assert_eq!(kv.values[0].value.as_ref().unwrap().value, Some(s("hi")));
        assert!(kv.values[1].value.is_none());
        let Some(Value::ArrayValue(arr)) = kv.values[2].value.clone().unwrap().value else {
            panic!()
        };
        assert_eq!(arr.values.len(), 3);
        assert_eq!(arr.values[1], AnyValue { value: None });
        assert_eq!(
            kv.values[3].value.as_ref().unwrap().value,
            Some(Value::KvlistValue(KeyValueList::default()))
        );
    }

    #[test]
    fn text_that_is_not_json_is_one_string() {
        for bad in [
            "not json",
            "{\"a\": 1",
            "[1, 2",
            "\"open",
            "1 2",
            "{'a': 1}",
            "tru",
        ] {
            assert_eq!(val(bad), Some(s(bad)), "{bad}");
        }
        let deep = "[".repeat(MAX_DEPTH + 5) + &"]".repeat(MAX_DEPTH + 5);
        assert_eq!(val(&deep), Some(s(&deep)));
    }

    #[test]
    fn agrees_with_serde_json_on_strict_json() {
        // Round-trip a variety of values through RawJson's Python writer, then compare.
        let v: serde_json::Value = serde_json::from_str(
            r#"{"a": [1, -2, 3.5, "x\u0001y", {"b": null, "c": false}], "d": "😀", "e": 1e-7, "f": 12345678901234}"#,
        )
        .unwrap();
        let text = crate::model::RawJson::from_value(&v).as_str().to_owned();
        fn back(a: &AnyValue) -> serde_json::Value {
            match &a.value {
                None => serde_json::Value::Null,
                Some(Value::StringValue(s)) => s.clone().into(),
                Some(Value::IntValue(i)) => (*i).into(),
                Some(Value::DoubleValue(d)) => (*d).into(),
                Some(Value::BoolValue(b)) => (*b).into(),
                Some(Value::ArrayValue(a)) => a.values.iter().map(back).collect(),
                Some(Value::KvlistValue(kv)) => kv
                    .values
                    .iter()
                    .map(|k| {
                        (
                            k.key.clone(),
                            k.value.as_ref().map_or(serde_json::Value::Null, back),
                        )
                    })
                    .collect::<serde_json::Map<_, _>>()
                    .into(),
                Some(Value::BytesValue(_)) => unreachable!(),
            }
        }
        assert_eq!(back(&from_json_text(&text).unwrap()), v);
    }
}
