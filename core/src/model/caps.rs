//! Size caps for captured values, shared by every binding so Python and Node truncate alike.
//! A capped value stays valid JSON and says visibly what was cut.

/// Nesting deeper than this is replaced by [`depth_marker`].
pub const MAX_DEPTH: usize = 64;
/// Strings longer than this many characters keep a prefix plus [`string_suffix`].
pub const MAX_STRING_CHARS: usize = 64 * 1024;
/// Lists and maps keep this many items plus one [`items_marker`].
pub const MAX_ITEMS: usize = 10_000;
/// One captured value's JSON text may grow to about this many bytes; past it, further values
/// become [`SIZE_MARKER`].
pub const MAX_VALUE_BYTES: usize = 1024 * 1024;

/// Stands where an object refers back to one of its own ancestors.
pub const CYCLE_MARKER: &str = "[Circular]";
/// Stands for values after the size budget ran out.
pub const SIZE_MARKER: &str = "[Truncated: size]";

/// Stands for a value nested deeper than [`MAX_DEPTH`].
pub fn depth_marker() -> String {
    format!("[Truncated: depth > {MAX_DEPTH}]")
}

/// Appended to a cut string.
pub fn string_suffix(cut_chars: usize) -> String {
    format!("…[truncated {cut_chars} chars]")
}

/// The last item of a cut list (or value of the key `"…"` in a cut map).
pub fn items_marker(cut_items: usize) -> String {
    format!("[truncated {cut_items} items]")
}

/// The key under which a cut map keeps its [`items_marker`].
pub const CUT_MAP_KEY: &str = "…";

/// Stands for the rest of a container that user code run during its capture (a key's
/// `__str__`, another thread) resized: what was written stays, the rest is not read.
pub const CHANGED_MARKER: &str = "[Truncated: changed during capture]";

/// Integers with more digits than this are written as a string: their leading
/// [`INT_DIGITS_KEPT`] digits plus [`int_suffix`]. CPython's default `int_max_str_digits`, past
/// which Python's own `json.loads` cannot read a number back.
pub const MAX_INT_DIGITS: usize = 4300;
/// Leading digits an integer past [`MAX_INT_DIGITS`] keeps.
pub const INT_DIGITS_KEPT: usize = 64;

/// Appended to the leading digits of a cut integer.
pub fn int_suffix(cut_digits: usize) -> String {
    format!("…[truncated {cut_digits} digits]")
}

/// Limits and markers in force, as one JSON object (bindings read it once at load). Templates
/// hold `{n}` where the count goes.
pub fn caps_json() -> String {
    serde_json::json!({
        "max_depth": MAX_DEPTH,
        "max_string_chars": MAX_STRING_CHARS,
        "max_items": MAX_ITEMS,
        "max_value_bytes": MAX_VALUE_BYTES,
        "cycle_marker": CYCLE_MARKER,
        "size_marker": SIZE_MARKER,
        "depth_marker": depth_marker(),
        "string_suffix_template": string_suffix(usize::MAX).replace(&usize::MAX.to_string(), "{n}"),
        "items_marker_template": items_marker(usize::MAX).replace(&usize::MAX.to_string(), "{n}"),
        "cut_map_key": CUT_MAP_KEY,
        "changed_marker": CHANGED_MARKER,
        "max_int_digits": MAX_INT_DIGITS,
        "int_digits_kept": INT_DIGITS_KEPT,
        "int_suffix_template": int_suffix(usize::MAX).replace(&usize::MAX.to_string(), "{n}"),
    })
    .to_string()
}
