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
