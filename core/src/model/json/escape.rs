//! JSON string literals as Python's `json.dumps(ensure_ascii=False)` writes them: into a
//! `String` (captured values, on the application thread) or a byte buffer (the export worker's
//! documents), eight bytes at a time.

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
///
/// ```
/// use ferrotrace_core::model::json::{json_str_len, push_str_bytes};
/// let mut out = Vec::new();
/// push_str_bytes(&mut out, "say \"hi\"\n");
/// assert_eq!(out, br#""say \"hi\"\n""#);
/// assert_eq!(json_str_len("say \"hi\"\n"), out.len());
/// ```
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

#[cfg(test)]
mod tests;
