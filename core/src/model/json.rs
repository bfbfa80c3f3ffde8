//! JSON text as MLflow's Python SDK writes it (`json.dumps(..., ensure_ascii=False)`): `", "` and
//! `": "` separators, Python's float repr, `NaN`/`Infinity` for non-finite floats. Span attribute
//! values are stored as such text, so a value written here reads back byte-identical to MLflow's.

use std::fmt::Write as _;
use std::sync::Arc;

mod float;
pub use float::push_f64;

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
    let bytes = s.as_bytes();
    let clean = first_escape(bytes);
    // One capacity check for the common case (nothing to escape): the quotes and the text.
    out.reserve(s.len() + 2);
    out.push('"');
    out.push_str(&s[..clean]);
    if clean < bytes.len() {
        push_escaped(out, &s[clean..]);
    }
    out.push('"');
}

/// Index of the first byte `json.dumps` escapes (`"`, `\`, control characters), or the length.
/// Eight bytes per step: a clean chunk (the usual case) costs a handful of instructions.
#[inline]
fn first_escape(bytes: &[u8]) -> usize {
    let mut i = 0;
    while i + 8 <= bytes.len() {
        if has_escape(chunk_at(bytes, i)) {
            break;
        }
        i += 8;
    }
    while i < bytes.len() && !needs_escape(bytes[i]) {
        i += 1;
    }
    i
}

/// The eight bytes at `i` (the caller checks that they exist).
#[inline(always)]
fn chunk_at(bytes: &[u8], i: usize) -> [u8; 8] {
    let mut chunk = [0u8; 8];
    chunk.copy_from_slice(&bytes[i..i + 8]);
    chunk
}

/// Whether any of the eight bytes is one `json.dumps` escapes; bytes >= 0x80 (UTF-8) never are.
#[inline(always)]
fn has_escape(chunk: [u8; 8]) -> bool {
    escape_bits(chunk) != 0
}

/// The index of the first of the eight bytes that `json.dumps` escapes.
#[inline(always)]
fn first_flagged(chunk: [u8; 8]) -> Option<usize> {
    match escape_bits(chunk) {
        0 => None,
        // Little-endian: the lowest flag is the first byte's.
        bits => Some(bits.trailing_zeros() as usize / 8),
    }
}

/// A high bit set in some byte exactly when a byte is < 0x20, == '"' or == '\\' (the "has a
/// byte less than n" trick); the lowest one set is exact (a false flag only follows a true one).
#[inline(always)]
fn escape_bits(chunk: [u8; 8]) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let v = u64::from_le_bytes(chunk);
    let control = v.wrapping_sub(ONES * 0x20) & !v;
    let quote = (v ^ (ONES * b'"' as u64)).wrapping_sub(ONES) & !(v ^ (ONES * b'"' as u64));
    let slash = (v ^ (ONES * b'\\' as u64)).wrapping_sub(ONES) & !(v ^ (ONES * b'\\' as u64));
    (control | quote | slash) & HIGH
}

/// What `json.dumps` writes for each byte it escapes; empty for the bytes it keeps.
static ESCAPES: [&str; 256] = {
    const CONTROL: [&str; 32] = [
        "\\u0000", "\\u0001", "\\u0002", "\\u0003", "\\u0004", "\\u0005", "\\u0006", "\\u0007",
        "\\b", "\\t", "\\n", "\\u000b", "\\f", "\\r", "\\u000e", "\\u000f", "\\u0010", "\\u0011",
        "\\u0012", "\\u0013", "\\u0014", "\\u0015", "\\u0016", "\\u0017", "\\u0018", "\\u0019",
        "\\u001a", "\\u001b", "\\u001c", "\\u001d", "\\u001e", "\\u001f",
    ];
    let mut t = [""; 256];
    let mut i = 0;
    while i < 32 {
        t[i] = CONTROL[i];
        i += 1;
    }
    t[b'"' as usize] = "\\\"";
    t[b'\\' as usize] = "\\\\";
    t
};

/// Appends `s` as a JSON string literal to a byte buffer, escaped as [`push_str`] does. For
/// writers that build whole documents (the export worker's records and request bodies): eight
/// bytes are stored at a time, escape or not, and the buffer is cut back to what counts, so
/// there is no call or loop per byte.
#[inline(always)]
pub fn push_str_bytes(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 10);
    out.push(b'"');
    let mut i = 0;
    while i < bytes.len() {
        let n = (bytes.len() - i).min(8);
        let chunk = if n == 8 {
            chunk_at(bytes, i)
        } else {
            tail_chunk(bytes, i)
        };
        out.extend_from_slice(&chunk);
        match first_flagged(chunk) {
            None => {
                out.truncate(out.len() - (8 - n));
                i += n;
            }
            Some(at) => {
                out.truncate(out.len() - (8 - at));
                let (esc, len) = ESCAPES8[usize::from(bytes[i + at])];
                out.extend_from_slice(&esc);
                out.truncate(out.len() - (8 - len));
                i += at + 1;
            }
        }
    }
    out.push(b'"');
}

/// The last `len - i` (< 8) bytes, then clean filler: one load when the string has eight bytes
/// or more.
#[inline(always)]
fn tail_chunk(bytes: &[u8], i: usize) -> [u8; 8] {
    const FILLER: u64 = 0x6161_6161_6161_6161;
    let n = bytes.len() - i;
    if bytes.len() >= 8 {
        let v = u64::from_le_bytes(chunk_at(bytes, bytes.len() - 8)) >> ((8 - n) * 8);
        (v | FILLER << (n * 8)).to_le_bytes()
    } else {
        let mut chunk = FILLER.to_le_bytes();
        chunk[..n].copy_from_slice(&bytes[i..]);
        chunk
    }
}

/// The escapes of [`ESCAPES`] as eight bytes and a length, stored like clean chunks.
static ESCAPES8: [([u8; 8], usize); 256] = {
    let mut t = [([0u8; 8], 0usize); 256];
    let mut i = 0;
    while i < 256 {
        let e = ESCAPES[i].as_bytes();
        let mut j = 0;
        while j < e.len() {
            t[i].0[j] = e[j];
            j += 1;
        }
        t[i].1 = e.len();
        i += 1;
    }
    t
};

/// The length of what [`push_str_bytes`] appends for `s`, without writing it (sizes).
pub fn json_str_len(s: &str) -> usize {
    let bytes = s.as_bytes();
    let mut n = bytes.len() + 2;
    let mut i = 0;
    while i + 8 <= bytes.len() {
        if has_escape(chunk_at(bytes, i)) {
            n += escaped_extra(&bytes[i..i + 8]);
        }
        i += 8;
    }
    n + escaped_extra(&bytes[i..])
}

/// How many bytes escaping adds to `bytes`.
fn escaped_extra(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .map(|&b| ESCAPES[usize::from(b)].len().saturating_sub(1))
        .sum()
}

#[inline]
fn needs_escape(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// The rest of a string from its first escaped byte on. Clean runs between escapes are found
/// eight bytes at a time too: the JSON text of attribute values, which the export worker writes
/// as strings, has a quote every few bytes.
#[cold]
fn push_escaped(out: &mut String, s: &str) {
    let mut rest = s;
    while let Some(&b) = rest.as_bytes().first() {
        out.push_str(ESCAPES[usize::from(b)]);
        // The escaped byte is ASCII: the next one starts a character.
        rest = &rest[1..];
        let clean = first_escape(rest.as_bytes());
        out.push_str(&rest[..clean]);
        rest = &rest[clean..];
    }
}

/// Appends an integer (itoa: no formatter machinery on the capture path).
#[inline]
pub fn push_i64(out: &mut String, v: i64) {
    out.push_str(itoa::Buffer::new().format(v));
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

    #[test]
    fn strings_escape_like_python() {
        let mut s = String::new();
        push_str(&mut s, "a\"b\\c\nd\te\u{1}é😀\u{8}\u{c}\r");
        assert_eq!(s, r#""a\"b\\c\nd\te\u0001é😀\b\f\r""#);
    }

    /// The eight-bytes-at-a-time scan: every escaped byte at every offset of a long string, next
    /// to bytes just outside the escaped ranges and multi-byte characters.
    #[test]
    fn strings_escape_at_every_offset() {
        let filler = "aé~ !#[]\u{7f}€😀bcdefgh";
        for special in ['"', '\\', '\n', '\u{0}', '\u{1f}', '\u{8}'] {
            for at in 0..filler.chars().count() {
                let text: String = filler
                    .chars()
                    .take(at)
                    .chain([special])
                    .chain(filler.chars().skip(at))
                    .collect();
                let mut got = String::new();
                push_str(&mut got, &text);
                assert_eq!(got, serde_like(&text), "{text:?}");
            }
        }
        let mut clean = String::new();
        push_str(&mut clean, filler);
        assert_eq!(clean, format!("\"{filler}\""));
    }

    /// Python's escaping, written out plainly.
    fn serde_like(s: &str) -> String {
        let mut out = String::from('"');
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\u{8}' => out.push_str("\\b"),
                '\u{c}' => out.push_str("\\f"),
                c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
                c => out.push(c),
            }
        }
        out.push('"');
        out
    }

    #[test]
    fn byte_buffers_get_the_same_escapes() {
        let filler = "aé~ !#[]\u{7f}€😀bcdefgh\"\\\n\u{0}\u{1f}\u{8}\u{c}\r\t";
        for start in 0..filler.len() {
            for end in start..=filler.len() {
                let Some(text) = filler.get(start..end) else {
                    continue;
                };
                let (mut want, mut got) = (String::new(), Vec::new());
                push_str(&mut want, text);
                push_str_bytes(&mut got, text);
                assert_eq!(got, want.as_bytes(), "{text:?}");
                assert_eq!(json_str_len(text), want.len(), "{text:?}");
            }
        }
        for b in 0..=255u8 {
            assert_eq!(ESCAPES[usize::from(b)].is_empty(), !needs_escape(b), "{b}");
        }
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
