// W3C `traceparent` headers and the id formats read from outside (hex, MLflow `tr-`, base64):
// never a panic, and whatever parses writes back to a value that parses the same.

use ferrotrace_core::model::{
    parse_rfc3339_ms, rfc3339_ms, SpanId, TraceId, TraceParent, TraceState,
};

/// Panics on what the target looks for.
pub fn check(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(tp) = TraceParent::parse(s) {
        let text = tp.to_string();
        assert_eq!(TraceParent::parse(&text), Some(tp), "{s:?} -> {text:?}");
        assert!(tp.trace_id.0 != 0 && tp.parent_id.0 != 0);
    }
    if let Some(id) = TraceId::parse(s) {
        assert_eq!(TraceId::parse(&id.to_hex()), Some(id));
        assert_eq!(TraceId::parse(&id.to_mlflow()), Some(id));
        assert_eq!(TraceId::from_base64(&id.to_base64()), Some(id));
    }
    if let Some(id) = TraceId::from_base64(s) {
        assert_eq!(TraceId::from_base64(&id.to_base64()), Some(id));
    }
    if let Some(id) = SpanId::parse(s) {
        assert_eq!(SpanId::parse(&id.to_hex()), Some(id));
        assert_eq!(SpanId::from_base64(&id.to_base64()), Some(id));
    }
    if let Some(id) = SpanId::from_base64(s) {
        assert_eq!(SpanId::from_base64(&id.to_base64()), Some(id));
    }
    // Request times read back from stored records.
    if let Some(ms) = parse_rfc3339_ms(s) {
        let text = rfc3339_ms(ms);
        assert_eq!(parse_rfc3339_ms(&text), Some(ms), "{s:?} -> {text:?}");
    }
    if let Some(state) = TraceState::parse(s) {
        assert_eq!(TraceState::parse(state.as_str()), Some(state));
    }
}
