//! Rewrites JSON text in place: string values through the value rules, values under secret key
//! names replaced whole. Everything else (numbers, `NaN`, separators, key order) is copied
//! byte for byte, so the result keeps MLflow's Python-dialect form. Tolerant of text cut short
//! (truncated previews): what was scanned before the cut is redacted, the rest copied.

use std::borrow::Cow;

use super::rules::{marker, SECRET_KEY};
use super::Plan;
use crate::model::json::push_str;

/// Nested JSON inside string values (a JSON string holding JSON, holding JSON...) is scanned
/// this many levels deep. Each level adds at least one to the depth, which `MAX_DEPTH` bounds
/// across levels, so the recursion stays bounded whatever the text.
const MAX_NESTED: u32 = 32;
/// Deeper documents are copied from there on (the value rules still run on their strings
/// through the caller's fallback).
const MAX_DEPTH: u32 = 256;

pub(super) struct Ctx<'p> {
    pub(super) plan: &'p Plan<'p>,
    pub(super) count: u64,
}

/// Whether `s` is already a redaction marker, ours or a user processor's plain `[REDACTED]`
/// (redacting twice changes nothing, counts nothing).
pub(super) fn is_marker(s: &str) -> bool {
    s == "[REDACTED]" || (s.starts_with("[REDACTED:") && s.ends_with(']'))
}

impl Ctx<'_> {
    /// A string's content after the rules: JSON inside it scanned as JSON, then the value rules.
    pub(super) fn redact_str(&mut self, s: &str, nested: u32, depth: u32) -> Option<String> {
        let trimmed = s.trim_start();
        let inner = if nested < MAX_NESTED
            && depth < MAX_DEPTH
            && (trimmed.starts_with('{') || trimmed.starts_with('['))
        {
            self.rewrite_json(s, nested + 1, depth + 1)
        } else {
            None
        };
        let base = inner.as_deref().unwrap_or(s);
        match self.plan.apply_rules(base, &mut self.count) {
            Some(out) => Some(out),
            None => inner,
        }
    }

    /// Rewrites a JSON document; `None` when nothing changed.
    pub(super) fn rewrite_json(&mut self, src: &str, nested: u32, depth: u32) -> Option<String> {
        let mut w = Writer {
            src,
            b: src.as_bytes(),
            i: 0,
            out: None,
            copied: 0,
        };
        let _ = self.value(&mut w, false, nested, depth);
        w.finish()
    }

    fn value(
        &mut self,
        w: &mut Writer<'_>,
        secret: bool,
        nested: u32,
        depth: u32,
    ) -> Result<(), ()> {
        w.ws();
        let start = w.i;
        let &c = w.b.get(start).ok_or(())?;
        if secret {
            let end = w.skip_value();
            let is_marked = c == b'"' && {
                let (raw, _, _) = w.string_at(start);
                is_marker(raw)
            };
            if !is_marked {
                let mut m = String::new();
                push_str(&mut m, &marker(SECRET_KEY));
                w.replace(start, end, &m);
                self.count += 1;
            }
            w.i = end;
            return Ok(());
        }
        match c {
            b'"' => {
                let (raw, end, terminated) = w.string_at(start);
                w.i = end;
                let content: Cow<'_, str> = if raw.contains('\\') && terminated {
                    serde_json::from_str::<String>(&w.src[start..end])
                        .map(Cow::Owned)
                        .unwrap_or(Cow::Borrowed(raw))
                } else {
                    Cow::Borrowed(raw)
                };
                if let Some(new) = self.redact_str(&content, nested, depth) {
                    let mut enc = String::with_capacity(new.len() + 2);
                    push_str(&mut enc, &new);
                    if !terminated {
                        enc.pop();
                    }
                    w.replace(start, end, &enc);
                }
                if terminated {
                    Ok(())
                } else {
                    Err(())
                }
            }
            b'{' if depth < MAX_DEPTH => {
                w.i += 1;
                // Keys this object's secret keys were renamed to, to keep them distinct.
                let mut renamed: Vec<String> = Vec::new();
                loop {
                    w.ws();
                    match w.b.get(w.i) {
                        Some(b'}') => {
                            w.i += 1;
                            return Ok(());
                        }
                        Some(b'"') => {}
                        _ => return Err(()),
                    }
                    let (raw, end, terminated) = w.string_at(w.i);
                    if !terminated {
                        return Err(());
                    }
                    let key: Cow<'_, str> = if raw.contains('\\') {
                        serde_json::from_str::<String>(&w.src[w.i..end])
                            .map(Cow::Owned)
                            .unwrap_or(Cow::Borrowed(raw))
                    } else {
                        Cow::Borrowed(raw)
                    };
                    let key_start = w.i;
                    w.i = end;
                    w.ws();
                    if w.b.get(w.i) != Some(&b':') {
                        return Err(());
                    }
                    // A secret used as a key (`{"sk-...": ...}`) goes as a value would; the
                    // key's value is still scanned.
                    if let Some(new) = self.plan.apply_rules_to_key(&key, &mut self.count) {
                        let new = distinct(new, &mut renamed);
                        let mut enc = String::with_capacity(new.len() + 2);
                        push_str(&mut enc, &new);
                        w.replace(key_start, end, &enc);
                    }
                    w.i += 1;
                    let secret = self.plan.keys && super::is_secret_key(&key);
                    self.value(w, secret, nested, depth + 1)?;
                    w.ws();
                    match w.b.get(w.i) {
                        Some(b',') => w.i += 1,
                        Some(b'}') => {
                            w.i += 1;
                            return Ok(());
                        }
                        _ => return Err(()),
                    }
                }
            }
            b'[' if depth < MAX_DEPTH => {
                w.i += 1;
                loop {
                    w.ws();
                    if w.b.get(w.i) == Some(&b']') {
                        w.i += 1;
                        return Ok(());
                    }
                    self.value(w, false, nested, depth + 1)?;
                    w.ws();
                    match w.b.get(w.i) {
                        Some(b',') => w.i += 1,
                        Some(b']') => {
                            w.i += 1;
                            return Ok(());
                        }
                        _ => return Err(()),
                    }
                }
            }
            b'{' | b'[' => Err(()),
            _ => {
                // A number, true/false/null, NaN/Infinity: copied as is.
                while w.b.get(w.i).is_some_and(|b| {
                    !matches!(b, b',' | b']' | b'}' | b' ' | b'\n' | b'\r' | b'\t')
                }) {
                    w.i += 1;
                }
                Ok(())
            }
        }
    }
}

/// `key`, or `key (n)` when this object already has a key of that text from an earlier
/// rename: two secrets as keys of one object must not become one key (a parser keeps one).
pub(super) fn distinct(key: String, renamed: &mut Vec<String>) -> String {
    let mut out = key.clone();
    let mut n = 1;
    while renamed.contains(&out) {
        n += 1;
        out = format!("{key} ({n})");
    }
    renamed.push(out.clone());
    out
}

struct Writer<'s> {
    src: &'s str,
    b: &'s [u8],
    i: usize,
    /// The rewritten text, created at the first change.
    out: Option<String>,
    /// `src[..copied]` is already in `out`.
    copied: usize,
}

impl<'s> Writer<'s> {
    fn ws(&mut self) {
        while self
            .b
            .get(self.i)
            .is_some_and(|b| matches!(b, b' ' | b'\n' | b'\r' | b'\t'))
        {
            self.i += 1;
        }
    }

    /// The raw (still escaped) content of the string literal at `start`, the index after its
    /// closing quote, and whether it has one.
    fn string_at(&self, start: usize) -> (&'s str, usize, bool) {
        let mut i = start + 1;
        while i < self.b.len() {
            match self.b[i] {
                b'\\' => i += 2,
                b'"' => return (&self.src[start + 1..i], i + 1, true),
                _ => i += 1,
            }
        }
        let end = self.b.len();
        // A cut inside an escape could leave `i` past the end or mid-character.
        let content_end = (start + 1..=end)
            .rev()
            .find(|&e| self.src.is_char_boundary(e))
            .unwrap_or(end);
        (&self.src[start + 1..content_end], end, false)
    }

    /// The end of the value starting at `self.i` (containers matched, strings skipped).
    fn skip_value(&self) -> usize {
        let mut i = self.i;
        match self.b.get(i) {
            Some(b'"') => self.string_at(i).1,
            Some(b'{' | b'[') => {
                let mut depth = 0usize;
                while i < self.b.len() {
                    match self.b[i] {
                        b'"' => {
                            i = self.string_at(i).1;
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                return i + 1;
                            }
                        }
                        _ => {}
                    }
                    i += 1;
                }
                self.b.len()
            }
            _ => {
                while self.b.get(i).is_some_and(|b| {
                    !matches!(b, b',' | b']' | b'}' | b' ' | b'\n' | b'\r' | b'\t')
                }) {
                    i += 1;
                }
                i
            }
        }
    }

    fn replace(&mut self, start: usize, end: usize, with: &str) {
        let out = self
            .out
            .get_or_insert_with(|| String::with_capacity(self.src.len()));
        out.push_str(&self.src[self.copied..start]);
        out.push_str(with);
        self.copied = end;
    }

    fn finish(self) -> Option<String> {
        self.out.map(|mut o| {
            o.push_str(&self.src[self.copied..]);
            o
        })
    }
}
