// The JSON writer against serde_json: strings escape to JSON that reads back as the same text
// (with the length the size estimates assume), floats write as Python's `repr` that reads back
// as the same float, and any JSON value writes back to the same value.

use ferrotrace_core::model::json::{json_str_len, push_f64, push_str, push_str_bytes};
use ferrotrace_core::model::RawJson;
use serde_json::Value;

/// Panics on what the target looks for.
pub fn check(data: &[u8]) {
    if let Ok(s) = std::str::from_utf8(data) {
        let mut out = String::new();
        push_str(&mut out, s);
        assert_eq!(serde_json::from_str::<String>(&out).unwrap(), s);
        let mut bytes = Vec::new();
        push_str_bytes(&mut bytes, s);
        assert_eq!(bytes, out.as_bytes());
        assert_eq!(json_str_len(s), out.len());
        assert_eq!(RawJson::string(s).as_plain_string().as_deref(), Some(s));
    }
    for chunk in data.chunks_exact(8) {
        let x = f64::from_le_bytes(chunk.try_into().unwrap());
        let mut out = String::new();
        push_f64(&mut out, x);
        if x.is_finite() {
            let back: f64 = serde_json::from_str(&out).unwrap();
            assert_eq!(back.to_bits(), x.to_bits(), "{x:?} -> {out}");
        } else {
            assert!(
                ["NaN", "Infinity", "-Infinity"].contains(&out.as_str()),
                "{out}"
            );
        }
    }
    if let Ok(v) = serde_json::from_slice::<Value>(data) {
        let raw = RawJson::from_value(&v);
        let back: Value =
            serde_json::from_str(raw.as_str()).unwrap_or_else(|e| panic!("{e}: {}", raw.as_str()));
        assert_eq!(back, v, "{}", raw.as_str());
        assert_eq!(raw.to_value(), v);
    }
}
