//! JSON text as MLflow's Python SDK writes it (`json.dumps(..., ensure_ascii=False)`): `", "` and
//! `": "` separators, Python's float repr, `NaN`/`Infinity` for non-finite floats. Span attribute
//! values are stored as such text, so a value written here reads back byte-identical to MLflow's.

use std::fmt::Write as _;
use std::sync::Arc;

/// A JSON document kept as text. Attribute values stay in this form from capture to export: the
/// hot path writes them once, and nothing re-parses them until the worker needs a typed form.
#[derive(Clone)]
pub struct RawJson(Text);

/// Owned for values captured per call; shared for values set on every call of a traced function
/// (its span type, its name), whose clone must not allocate; static for constants the tracer
/// sets on every span (log levels), which cost nothing at all.
#[derive(Clone)]
enum Text {
    // A String, not a Box<str>: converting would shrink (realloc) every captured value.
    Owned(String),
    Shared(Arc<str>),
    Static(&'static str),
}

impl Default for RawJson {
    fn default() -> Self {
        RawJson(Text::Owned(String::new()))
    }
}

impl PartialEq for RawJson {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for RawJson {}

impl std::hash::Hash for RawJson {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl RawJson {
    /// Wraps text the caller guarantees to be one JSON value (Python-dialect: `NaN` allowed).
    pub fn from_trusted(text: impl Into<String>) -> Self {
        RawJson(Text::Owned(text.into()))
    }

    /// Wraps constant text the caller guarantees to be one JSON value; no allocation.
    pub const fn from_static(text: &'static str) -> Self {
        RawJson(Text::Static(text))
    }

    /// The same value, cheap to clone (a reference count instead of a copy). For values reused
    /// on every call.
    pub fn into_shared(self) -> Self {
        match self.0 {
            Text::Owned(b) => RawJson(Text::Shared(Arc::from(b.as_str()))),
            shared => RawJson(shared),
        }
    }

    /// A JSON string holding `s`.
    pub fn string(s: &str) -> Self {
        let mut out = String::with_capacity(s.len() + 2);
        push_str(&mut out, s);
        RawJson::from_trusted(out)
    }

    /// A JSON integer.
    pub fn int(v: i64) -> Self {
        RawJson::from_trusted(itoa::Buffer::new().format(v))
    }

    /// Serialises a `serde_json::Value` with Python's separators.
    pub fn from_value(v: &serde_json::Value) -> Self {
        let mut out = String::new();
        push_value(&mut out, v);
        RawJson::from_trusted(out)
    }

    /// The JSON text.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Text::Owned(b) => b,
            Text::Shared(a) => a,
            Text::Static(s) => s,
        }
    }

    /// Parses the text. Python's `NaN`/`Infinity` tokens, which strict JSON lacks, become strings.
    pub fn to_value(&self) -> serde_json::Value {
        parse_lenient(self.as_str())
    }

    /// If the value is a JSON string, its contents.
    pub fn as_plain_string(&self) -> Option<String> {
        if self.as_str().starts_with('"') {
            serde_json::from_str::<String>(self.as_str()).ok()
        } else {
            None
        }
    }
}

impl std::fmt::Debug for RawJson {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Appends `s` as a JSON string literal, escaping as Python's `json.dumps(ensure_ascii=False)`.
pub fn push_str(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc: &str = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0x00..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if esc.is_empty() {
            let _ = write!(out, "\\u{b:04x}");
        } else {
            out.push_str(esc);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// Appends an integer (itoa: no formatter machinery on the capture path).
#[inline]
pub fn push_i64(out: &mut String, v: i64) {
    out.push_str(itoa::Buffer::new().format(v));
}

/// Appends a float the way Python's `repr(float)` (and so `json.dumps`) writes it.
///
/// ```
/// let mut s = String::new();
/// for x in [0.1, 1.0, 1e16, 1.5e-7, -2.5, f64::NAN] {
///     ferrotrace_core::model::json::push_f64(&mut s, x);
///     s.push(' ');
/// }
/// assert_eq!(s, "0.1 1.0 1e+16 1.5e-07 -2.5 NaN ");
/// ```
pub fn push_f64(out: &mut String, x: f64) {
    if x.is_nan() {
        out.push_str("NaN");
        return;
    }
    if x.is_infinite() {
        out.push_str(if x > 0.0 { "Infinity" } else { "-Infinity" });
        return;
    }
    // Integral values below 2^53 (counts, scores like 3.0): every such integer is exact and its
    // neighbours are at most 1 apart, so its own digits are the shortest round-trip digits and
    // Python writes them in fixed notation (the switch to `e+16` is above 2^53). itoa is ~5x
    // cheaper than the general path.
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    if x.abs() < EXACT {
        // In range, so the cast is exact for integral values (two instructions, no libm call).
        let i = x as i64;
        if i as f64 == x {
            let mut digits = itoa::Buffer::new();
            out.push_str(if i == 0 && x.is_sign_negative() {
                "-0"
            } else {
                digits.format(i)
            });
            out.push_str(".0");
            return;
        }
    }
    // zmij (Schubfach) gives the shortest round-trip digits, the digits Python's repr picks, at
    // a tenth of the cost of `{:e}`. It writes fixed notation for decimal exponents -5..=15 and
    // `d.ddde±x` otherwise; Python switches to scientific below -4 and pads the exponent to two
    // digits, so only those two spots are rewritten here.
    let mut buf = zmij::Buffer::new();
    let text = buf.format_finite(x);
    let (sign, body) = match text.strip_prefix('-') {
        Some(b) => ("-", b),
        None => ("", text),
    };
    out.push_str(sign);
    // The exponent, if any, is among the last five bytes (`e-324`): no full scan.
    let tail = body.len().saturating_sub(5);
    let e_at = body.as_bytes()[tail..]
        .iter()
        .position(|&b| b == b'e')
        .map(|i| tail + i);
    if let Some(e_at) = e_at {
        let (mantissa, exp) = (&body[..e_at], &body[e_at + 1..]);
        out.push_str(mantissa);
        out.push('e');
        let (esign, digits) = match exp.as_bytes().first() {
            Some(b'-') => ('-', &exp[1..]),
            Some(b'+') => ('+', &exp[1..]),
            _ => ('+', exp),
        };
        out.push(esign);
        if digits.len() < 2 {
            out.push('0');
        }
        out.push_str(digits);
    } else if let Some(digits) = body.strip_prefix("0.0000") {
        // 0.0000ddd: decimal exponent -5, which Python writes as d.dde-05.
        let (first, rest) = digits.split_at(1);
        out.push_str(first);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        out.push_str("e-05");
    } else {
        out.push_str(body);
    }
}

/// Appends a `serde_json::Value` with Python's separators.
pub fn push_value(out: &mut String, v: &serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => {
                let _ = write!(out, "{i}");
            }
            (_, Some(u), _) => {
                let _ = write!(out, "{u}");
            }
            (_, _, Some(f)) => push_f64(out, f),
            _ => out.push_str(&n.to_string()),
        },
        Value::String(s) => push_str(out, s),
        Value::Array(a) => {
            out.push('[');
            for (i, item) in a.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                push_value(out, item);
            }
            out.push(']');
        }
        Value::Object(m) => {
            out.push('{');
            for (i, (k, item)) in m.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                push_str(out, k);
                out.push_str(": ");
                push_value(out, item);
            }
            out.push('}');
        }
    }
}

/// Parses Python-dialect JSON. `NaN`, `Infinity` and `-Infinity` outside strings become the
/// strings `"NaN"`, `"Infinity"`, `"-Infinity"`; text that is not JSON at all becomes a string.
pub fn parse_lenient(text: &str) -> serde_json::Value {
    if let Ok(v) = serde_json::from_str(text) {
        return v;
    }
    let mut fixed = String::with_capacity(text.len() + 16);
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut in_str = false;
    while i < bytes.len() {
        let c = bytes[i];
        if in_str {
            if c == b'\\' && i + 1 < bytes.len() {
                fixed.push_str(&text[i..i + 2]);
                i += 2;
                continue;
            }
            if c == b'"' {
                in_str = false;
            }
        } else if c == b'"' {
            in_str = true;
        } else {
            let rest = &text[i..];
            if let Some(tok) = ["-Infinity", "Infinity", "NaN"]
                .into_iter()
                .find(|t| rest.starts_with(t))
            {
                fixed.push('"');
                fixed.push_str(tok);
                fixed.push('"');
                i += tok.len();
                continue;
            }
        }
        // Copy one whole UTF-8 character.
        let len = utf8_len(c);
        fixed.push_str(&text[i..(i + len).min(text.len())]);
        i += len;
    }
    serde_json::from_str(&fixed).unwrap_or_else(|_| serde_json::Value::String(text.to_owned()))
}

fn utf8_len(first: u8) -> usize {
    match first {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(x: f64) -> String {
        let mut s = String::new();
        push_f64(&mut s, x);
        s
    }

    #[test]
    fn floats_match_python_repr() {
        let cases = [
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.0, "1.0"),
            (0.1, "0.1"),
            (123.456, "123.456"),
            (1e15, "1000000000000000.0"),
            (1e16, "1e+16"),
            (1.2345e20, "1.2345e+20"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.5e-7, "1.5e-07"),
            (1e300, "1e+300"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
            (2.5e-300, "2.5e-300"),
            (9007199254740993.0, "9007199254740992.0"),
            (9007199254740991.0, "9007199254740991.0"),
            (-9007199254740991.0, "-9007199254740991.0"),
            (-3.0, "-3.0"),
            (37.0, "37.0"),
            (1e10, "10000000000.0"),
            (4503599627370497.0, "4503599627370497.0"),
        ];
        for (x, want) in cases {
            assert_eq!(f(x), want, "{x}");
        }
    }

    /// Python's `repr` of each value (bits, to leave no doubt about the input), checked once
    /// against a million random floats; these are the spots where the notation switches, the
    /// extremes, and a tie that Python rounds to even (Rust's `{:e}` rounds it up).
    #[test]
    fn floats_match_python_repr_at_the_edges() {
        let cases: [(u64, &str); 20] = [
            (0x3ee4f8b588e368f1, "1e-05"),
            (0x3eef75104d551d69, "1.5e-05"),
            (0x3f1a302cee759401, "9.99e-05"),
            (0x3f1a36e2eb1c432d, "0.0001"),
            (0x3f202e4b6ce5dc68, "0.00012345"),
            (0x430c6bf526340000, "1000000000000000.0"),
            (0x4341c37937e07fff, "9999999999999998.0"),
            (0x4341c37937e08000, "1e+16"),
            (0x437b69b4ba630f34, "1.2345678901234566e+17"),
            (0x0000000000000001, "5e-324"),
            (0x7fefffffffffffff, "1.7976931348623157e+308"),
            (0x0010000000000000, "2.2250738585072014e-308"),
            (0x3fd3333333333333, "0.3"),
            (0x4480f0cf064dd592, "1e+22"),
            (0x3e7ad7f29abcaf48, "1e-07"),
            (0x54b249ad2594c37d, "1e+100"),
            (0x81b01297d23ab683, "-1.5e-300"),
            (0x40fe240c9fbe76c9, "123456.789"),
            (0x3fd3333333333334, "0.30000000000000004"),
            (0x42e30441030f27d4, "167271932131646.62"),
        ];
        for (bits, want) in cases {
            assert_eq!(f(f64::from_bits(bits)), want, "{bits:#x}");
        }
    }

    #[test]
    fn strings_escape_like_python() {
        let mut s = String::new();
        push_str(&mut s, "a\"b\\c\nd\te\u{1}é😀\u{8}\u{c}\r");
        assert_eq!(s, r#""a\"b\\c\nd\te\u0001é😀\b\f\r""#);
    }

    #[test]
    fn value_uses_python_separators() {
        let v: serde_json::Value =
            serde_json::from_str(r#"{"q":"hello","t":0.1,"l":[1,2]}"#).unwrap();
        assert_eq!(
            RawJson::from_value(&v).as_str(),
            r#"{"q": "hello", "t": 0.1, "l": [1, 2]}"#
        );
    }

    #[test]
    fn lenient_parse_handles_python_tokens() {
        let v = parse_lenient(r#"{"a": NaN, "b": [Infinity, -Infinity], "c": "NaN in text"}"#);
        assert_eq!(v["a"], "NaN");
        assert_eq!(v["b"][1], "-Infinity");
        assert_eq!(v["c"], "NaN in text");
        assert_eq!(
            parse_lenient("not json"),
            serde_json::Value::String("not json".into())
        );
    }
}
