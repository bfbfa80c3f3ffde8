//! Redaction of finished traces, on the export worker, before any destination (MLflow, the
//! local store, a spill file) sees them. Built-in secret rules are on by default; PII rules and
//! user regex rules are opt-in. Each redaction leaves `[REDACTED:<rule>]`, never the value, and
//! JSON values stay valid JSON of the same shape.
//!
//! Cost: one `RegexSet` pass of cheap anchors over each value's text decides which rules can
//! match at all; a value no anchor hits is not parsed, copied or changed.

mod keys;
mod rules;
mod scan;
#[cfg(test)]
mod tests;

use std::sync::{Arc, OnceLock};

use regex::RegexSet;

use crate::config::RedactSettings;
use crate::model::{Attributes, RawJson, Trace};
use keys::AttrChanges;
pub use rules::{iban_ok, is_secret_key, luhn_ok, marker};
use rules::{Rule, KEY_ANCHOR, SECRET_KEY};
use scan::{is_marker, Ctx};

/// The compiled rules of one [`RedactSettings`].
pub struct Redactor {
    rules: Vec<Rule>,
    /// The quick check for the built-in rules (no user rules): text none of whose literals
    /// occurs (most values) costs one Aho-Corasick scan and is left alone.
    quick: Option<QuickCheck>,
    /// Anchors of `rules` (same indices), then the key-name anchor when `keys`.
    set: Option<RegexSet>,
    /// Rules without an anchor: they run on every value the set lets through.
    unanchored: Vec<usize>,
    /// User rules: they also run on any text with escapes, where their anchor may not match.
    user: Vec<usize>,
    keys: bool,
}

/// Rules compiled on first use, on the export worker: compiling takes milliseconds, which the
/// application's first traced call should not pay.
pub struct LazyRedactor {
    settings: RedactSettings,
    compiled: OnceLock<Redactor>,
}

impl LazyRedactor {
    pub fn new(settings: &RedactSettings) -> LazyRedactor {
        LazyRedactor {
            settings: settings.clone(),
            compiled: OnceLock::new(),
        }
    }

    /// The same rules, not compiled yet. A forked child takes this: its parent's worker may
    /// have been compiling at the fork, and a `OnceLock` that a dead thread was initializing
    /// waits for it forever.
    pub fn uncompiled(&self) -> LazyRedactor {
        LazyRedactor::new(&self.settings)
    }

    /// The compiled rules. Patterns are checked when they are set, so compiling fails only for
    /// hand-built settings: then the user rules are dropped with a warning and the built-in
    /// rules still apply.
    pub fn get(&self) -> &Redactor {
        self.compiled.get_or_init(|| {
            Redactor::new(&self.settings).unwrap_or_else(|e| {
                crate::diag::warn(
                    "redact_config",
                    format!("invalid redaction rule: {e}; user rules are ignored"),
                );
                let mut builtin = self.settings.clone();
                builtin.patterns.clear();
                Redactor::new(&builtin).unwrap_or_else(|_| Redactor::off())
            })
        })
    }
}

/// A name after redaction and the number of redactions in it.
type Renamed = (String, u64);

/// A superset of the built-in anchors that is cheaper to test than the `RegexSet`.
struct QuickCheck {
    secrets: Option<aho_corasick::AhoCorasick>,
    /// The literals of the value formats alone (no key-name stems): for names and keys.
    formats: Option<aho_corasick::AhoCorasick>,
    pii: bool,
}

impl QuickCheck {
    fn may_match(&self, text: &str) -> bool {
        self.secrets.as_ref().is_some_and(|ac| ac.is_match(text))
            || (self.pii && rules::may_hold_pii(text))
    }

    /// Whether a name or key can hold a match: one of the value formats' literals, a `:` or `=`
    /// (`password=...`), or PII. Keys such as `max_tokens` hold a key-name stem but no match.
    fn name_may_match(&self, name: &str) -> bool {
        self.formats
            .as_ref()
            .is_some_and(|ac| ac.is_match(name) || name.bytes().any(|b| b == b':' || b == b'='))
            || (self.pii && rules::may_hold_pii(name))
    }
}

fn literals(patterns: &[&str]) -> aho_corasick::AhoCorasick {
    aho_corasick::AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .kind(Some(aho_corasick::AhoCorasickKind::DFA))
        .build(patterns)
        .expect("literal set")
}

/// What one value needs: the rules whose anchors matched its text, and whether keys are checked.
pub(crate) struct Plan<'r> {
    red: &'r Redactor,
    active: Vec<usize>,
    keys: bool,
    /// Whether an active rule other than `secret_assignment` can match a JSON key: else only
    /// a key with `:` or `=` can (most values activate that rule alone, through a key name
    /// such as `max_tokens`).
    key_formats: bool,
}

impl Plan<'_> {
    /// Applies the active rules to one string; `None` when nothing matched.
    fn apply_rules(&self, s: &str, count: &mut u64) -> Option<String> {
        let mut cur: Option<String> = None;
        for &ri in &self.active {
            let rule = &self.red.rules[ri];
            if let Some(next) = apply_rule(rule, cur.as_deref().unwrap_or(s), count) {
                cur = Some(next);
            }
        }
        cur
    }
}

impl Plan<'_> {
    /// As `apply_rules`, for a key of a JSON object: most keys (`role`, `content`) hold none of
    /// the literals of the built-in rules, and one scan for them is cheaper than running the
    /// rules the whole value activated.
    fn apply_rules_to_key(&self, key: &str, count: &mut u64) -> Option<String> {
        if self.active.is_empty() {
            return None;
        }
        let candidate = if self.key_formats {
            self.red
                .quick
                .as_ref()
                .is_none_or(|q| q.name_may_match(key))
        } else {
            key.bytes().any(|b| b == b':' || b == b'=')
        };
        if !candidate {
            return None;
        }
        self.apply_rules(key, count)
    }
}

fn apply_rule(rule: &Rule, s: &str, count: &mut u64) -> Option<String> {
    let mut out = String::new();
    let mut last = 0;
    let mut hit = |range: std::ops::Range<usize>, out: &mut String, last: &mut usize| {
        if range.start < *last || s[range.clone()].starts_with("[REDACTED") {
            return;
        }
        out.push_str(&s[*last..range.start]);
        out.push_str(&rule.marker);
        *last = range.end;
        *count += 1;
    };
    let mut consider = |range: std::ops::Range<usize>, out: &mut String, last: &mut usize| {
        let range = match rule.validate {
            None => Some(range),
            Some(ok) => valid_subrange(s, range, ok),
        };
        if let Some(r) = range {
            hit(r, out, last);
        }
    };
    if rule.group {
        for caps in rule.re.captures_iter(s) {
            if let Some(m) = caps.get(1) {
                consider(m.range(), &mut out, &mut last);
            }
        }
    } else {
        for m in rule.re.find_iter(s) {
            consider(m.range(), &mut out, &mut last);
        }
    }
    if last == 0 && out.is_empty() {
        return None;
    }
    out.push_str(&s[last..]);
    Some(out)
}

/// The longest part of a match (cut at separators) that passes the checksum: a card number
/// followed by a year, or preceded by a short number, is still found.
fn valid_subrange(
    s: &str,
    range: std::ops::Range<usize>,
    ok: rules::Validator,
) -> Option<std::ops::Range<usize>> {
    if ok(&s[range.clone()]) {
        return Some(range);
    }
    let seps: Vec<usize> = s[range.clone()]
        .bytes()
        .enumerate()
        .filter(|(_, b)| matches!(b, b' ' | b'-' | b'.'))
        .map(|(i, _)| range.start + i)
        .take(12)
        .collect();
    let starts = std::iter::once(range.start).chain(seps.iter().map(|p| p + 1));
    let mut best: Option<std::ops::Range<usize>> = None;
    for a in starts {
        for b in seps.iter().copied().chain(std::iter::once(range.end)) {
            if b <= a || best.as_ref().is_some_and(|r| r.len() >= b - a) {
                continue;
            }
            if ok(&s[a..b]) {
                best = Some(a..b);
            }
        }
    }
    best
}

impl Redactor {
    /// Compiles the rules of `settings`. An invalid user pattern is an error message naming it
    /// (settings are checked when set, so this only fails for hand-built settings).
    pub fn new(settings: &RedactSettings) -> Result<Redactor, String> {
        let mut rules = rules::builtin(settings.secrets, settings.pii);
        let mut user = Vec::new();
        for p in &settings.patterns {
            crate::config::check_pattern(&p.name, &p.pattern)?;
            // A pattern anchored at the start or end of a value cannot be found in the whole
            // text by the prefilter: it always runs.
            let anchor = (!["^", "$", "\\A", "\\z"]
                .iter()
                .any(|a| p.pattern.contains(a)))
            .then_some(p.pattern.as_str());
            let rule = Rule::new(&p.name, &p.pattern, anchor, false, None)
                .map_err(|e| format!("rule {:?}: {e}", p.name))?;
            user.push(rules.len());
            rules.push(rule);
        }
        let keys = settings.secrets;
        let mut anchors: Vec<&str> = Vec::new();
        let mut unanchored = Vec::new();
        for (i, r) in rules.iter().enumerate() {
            match &r.anchor {
                Some(a) => anchors.push(a),
                None => {
                    unanchored.push(i);
                    anchors.push("[^\\s\\S]");
                }
            }
        }
        if keys {
            anchors.push(KEY_ANCHOR);
        }
        let set = if anchors.is_empty() {
            None
        } else {
            Some(RegexSet::new(&anchors).map_err(|e| e.to_string())?)
        };
        let quick = (user.is_empty() && unanchored.is_empty()).then(|| QuickCheck {
            secrets: settings.secrets.then(|| literals(rules::SECRET_LITERALS)),
            formats: settings.secrets.then(|| literals(rules::FORMAT_LITERALS)),
            pii: settings.pii,
        });
        Ok(Redactor {
            rules,
            quick,
            set,
            unanchored,
            user,
            keys,
        })
    }

    /// A redactor that changes nothing.
    pub fn off() -> Redactor {
        Redactor {
            rules: Vec::new(),
            quick: None,
            set: None,
            unanchored: Vec::new(),
            user: Vec::new(),
            keys: false,
        }
    }

    /// Whether this redactor can change anything.
    pub fn is_off(&self) -> bool {
        self.rules.is_empty() && !self.keys
    }

    /// The rules that can match somewhere in `text`; `None` when none can.
    fn plan(&self, text: &str) -> Option<Plan<'_>> {
        let set = self.set.as_ref()?;
        if self.quick.as_ref().is_some_and(|q| !q.may_match(text)) {
            return None;
        }
        let escaped = !self.user.is_empty() && text.contains('\\');
        let hits = set.matches(text);
        let n = self.rules.len();
        let keys = self.keys && hits.matched(n);
        let active: Vec<usize> = (0..n)
            .filter(|&i| {
                hits.matched(i)
                    || self.unanchored.contains(&i)
                    || (escaped && self.user.contains(&i))
            })
            .collect();
        if active.is_empty() && !keys {
            return None;
        }
        let key_formats = active
            .iter()
            .any(|&i| self.rules[i].marker != rules::ASSIGNMENT_MARKER);
        Some(Plan {
            red: self,
            active,
            keys,
            key_formats,
        })
    }

    /// Redacts a JSON value's text (Python dialect, `NaN` allowed). Returns the new text and
    /// the number of redactions, or `None` when nothing changed.
    pub fn redact_json(&self, text: &str) -> Option<(String, u64)> {
        let plan = self.plan(text)?;
        let mut ctx = Ctx {
            plan: &plan,
            count: 0,
        };
        ctx.rewrite_json(text, 0, 0).map(|t| (t, ctx.count))
    }

    /// Redacts a plain string (a tag, a preview); JSON inside it is scanned as JSON.
    pub fn redact_text(&self, text: &str) -> Option<(String, u64)> {
        let plan = self.plan(text)?;
        let mut ctx = Ctx {
            plan: &plan,
            count: 0,
        };
        ctx.redact_str(text, 0, 0).map(|t| (t, ctx.count))
    }

    /// Applies the value rules to a name or key (a span or event name, an attribute, tag or
    /// metadata key): a secret there goes as it would in a value. Names are not parsed as JSON
    /// and the key-name rule does not apply (a span named `password_reset` is no secret).
    pub fn redact_name(&self, name: &str) -> Option<(String, u64)> {
        if self.quick.as_ref().is_some_and(|q| !q.name_may_match(name)) {
            return None;
        }
        let plan = self.plan(name)?;
        let mut count = 0;
        plan.apply_rules(name, &mut count).map(|t| (t, count))
    }

    /// Redacts a value stored under `key` in a string map (tags, metadata) in place; returns
    /// the number of redactions.
    pub fn redact_keyed(&self, key: &str, value: &mut String) -> u64 {
        if self.keys && is_secret_key(key) {
            if is_marker(value) {
                return 0;
            }
            *value = marker(SECRET_KEY);
            return 1;
        }
        match self.redact_text(value) {
            Some((new, n)) => {
                *value = new;
                n
            }
            None => 0,
        }
    }

    /// New values for the attributes that change, and the keys that change: `(old, new)`.
    /// `text_key`: a key whose value is known to be text, not a credential (the `token` of a
    /// streamed `new_token` event, as MLflow's LangChain tracer records it): value rules only.
    fn attributes(
        &self,
        attrs: &Attributes,
        count: &mut u64,
        text_key: Option<&str>,
    ) -> AttrChanges {
        let mut changed = Vec::new();
        let mut renamed = Vec::new();
        for (key, value) in attrs.iter() {
            if !key.starts_with("mlflow.") {
                if let Some((new, n)) = self.redact_name(key) {
                    *count += n;
                    renamed.push((key.to_owned(), new));
                }
            }
            // MLflow's own attribute names (`mlflow.spanInputs`, ...) name no secret; their
            // values are still scanned.
            let new = if self.keys
                && !key.starts_with("mlflow.")
                && text_key != Some(key)
                && is_secret_key(key)
            {
                let already = value.as_plain_string().is_some_and(|s| is_marker(&s));
                (!already).then(|| {
                    *count += 1;
                    RawJson::string(&marker(SECRET_KEY))
                })
            } else {
                self.redact_json(value.as_str()).map(|(t, n)| {
                    *count += n;
                    RawJson::from_trusted(t)
                })
            };
            if let Some(v) = new {
                changed.push((key.to_owned(), v));
            }
        }
        AttrChanges { changed, renamed }
    }

    /// Redacts a whole trace: every span's attributes, status message, event and link
    /// attributes, and the trace's tags, metadata and previews. Returns the number of
    /// redactions. Spans are copied only when they change.
    pub fn redact_trace(&self, trace: &mut Trace) -> u64 {
        if self.is_off() {
            return 0;
        }
        let mut count = 0;
        for span in trace.spans.iter_mut() {
            let name = self.redact_name(&span.name);
            let attrs = self.attributes(&span.attributes, &mut count, None);
            let status = if span.status.message.is_empty() {
                None
            } else {
                self.redact_text(&span.status.message)
            };
            let events: Vec<(usize, Option<Renamed>, AttrChanges)> = span
                .events
                .iter()
                .enumerate()
                .map(|(i, e)| {
                    let name = self.redact_name(&e.name);
                    let text_key = (e.name == "new_token").then_some("token");
                    (
                        i,
                        name,
                        self.attributes(&e.attributes, &mut count, text_key),
                    )
                })
                .filter(|(_, n, c)| n.is_some() || !c.is_empty())
                .collect();
            let links: Vec<(usize, AttrChanges)> = span
                .links
                .iter()
                .enumerate()
                .map(|(i, l)| (i, self.attributes(&l.attributes, &mut count, None)))
                .filter(|(_, c)| !c.is_empty())
                .collect();
            if name.is_none()
                && attrs.is_empty()
                && status.is_none()
                && events.is_empty()
                && links.is_empty()
            {
                continue;
            }
            let s = Arc::make_mut(span);
            if let Some((new, n)) = name {
                s.name = new.into();
                count += n;
            }
            attrs.apply(&mut s.attributes);
            if let Some((m, n)) = status {
                s.status.message = m;
                count += n;
            }
            for (i, name, changes) in events {
                if let Some((new, n)) = name {
                    s.events[i].name = new;
                    count += n;
                }
                changes.apply(&mut s.events[i].attributes);
            }
            for (i, changes) in links {
                changes.apply(&mut s.links[i].attributes);
            }
        }
        let info = &mut trace.info;
        for map in [&mut info.tags, &mut info.metadata] {
            count += self.redact_map_keys(map);
            for (k, v) in map.iter_mut() {
                count += self.redact_keyed(k, v);
            }
        }
        // The client request id is an id the application chose to find this trace again (MLflow
        // looks traces up by it): its name is no secret, only a credential used as its value is.
        for p in [
            &mut info.request_preview,
            &mut info.response_preview,
            &mut info.client_request_id,
        ]
        .into_iter()
        .flatten()
        {
            if let Some((new, n)) = self.redact_text(p) {
                *p = new;
                count += n;
            }
        }
        count
    }
}
