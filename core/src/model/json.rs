//! JSON text as MLflow's Python SDK writes it (`json.dumps(..., ensure_ascii=False)`): `", "` and
//! `": "` separators, Python's float repr, `NaN`/`Infinity` for non-finite floats. Span attribute
//! values are stored as such text, so a value written here reads back byte-identical to MLflow's.

use std::fmt::Write as _;
use std::sync::Arc;

mod escape;
mod float;
pub use escape::{json_str_len, push_str, push_str_bytes};
pub use float::push_f64;

/// A JSON document kept as text. Attribute values stay in this form from capture to export: the
/// hot path writes them once, and nothing re-parses them until the worker needs a typed form.
#[derive(Clone)]
pub struct RawJson(Text);

/// Owned for values captured per call; inline for the short ones among them (most scalars:
/// no allocation on the application thread, and no free of it on the export worker's, which
/// would leave the application thread's allocator cache empty); shared for values set on every
/// call of a traced function (its span type, its name), whose clone must not allocate; static
/// for constants the tracer sets on every span (log levels), which cost nothing at all.
#[derive(Clone)]
enum Text {
    // A String, not a Box<str>: converting would shrink (realloc) every captured value.
    Owned(String),
    Inline(Inline),
    Shared(Arc<str>),
    Static(&'static str),
}

/// Up to [`Inline::MAX`] bytes of UTF-8 text kept in place: as large as a `String`, so
/// `RawJson` stays 32 bytes.
#[derive(Clone, Copy)]
struct Inline {
    len: u8,
    bytes: [u8; Inline::MAX],
}

impl Inline {
    const MAX: usize = 23;

    fn new(s: &str) -> Option<Self> {
        let len = s.len();
        if len > Self::MAX {
            return None;
        }
        let mut bytes = [0u8; Self::MAX];
        bytes[..len].copy_from_slice(s.as_bytes());
        Some(Inline {
            len: len as u8,
            bytes,
        })
    }

    fn as_str(&self) -> &str {
        // SAFETY: `new` copied exactly `len` bytes of a `&str`, which is UTF-8.
        unsafe { std::str::from_utf8_unchecked(&self.bytes[..self.len as usize]) }
    }
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

    /// A copy of text the caller guarantees to be one JSON value: kept inline when short (no
    /// allocation), else in a String of exactly its size.
    ///
    /// ```
    /// use ferrotrace_core::model::RawJson;
    /// assert_eq!(RawJson::copied("{\"x\": 1}").as_str(), "{\"x\": 1}");
    /// assert_eq!(RawJson::copied(&"7".repeat(40)).as_str().len(), 40);
    /// ```
    pub fn copied(text: &str) -> Self {
        match Inline::new(text) {
            Some(inline) => RawJson(Text::Inline(inline)),
            None => RawJson(Text::Owned(text.to_owned())),
        }
    }

    /// Takes text the caller guarantees to be one JSON value: short text is copied inline and
    /// its String freed right here, on the thread that allocated it (a free on the export
    /// worker's thread would leave this thread's allocator cache empty); longer text is kept.
    ///
    /// ```
    /// use ferrotrace_core::model::RawJson;
    /// assert_eq!(RawJson::compact("[1, 2]".to_owned()).as_str(), "[1, 2]");
    /// ```
    pub fn compact(text: String) -> Self {
        match Inline::new(&text) {
            Some(inline) => RawJson(Text::Inline(inline)),
            None => RawJson(Text::Owned(text)),
        }
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
        RawJson::copied(itoa::Buffer::new().format(v))
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
            Text::Inline(i) => i.as_str(),
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
                // The escaped character may be several bytes long: copy it whole.
                let end = (i + 1 + utf8_len(bytes[i + 1])).min(text.len());
                fixed.push_str(&text[i..end]);
                i = end;
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
mod tests;
