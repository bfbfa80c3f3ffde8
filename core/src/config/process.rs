//! Settings of what is done to whole traces: the tail-sampling rule and redaction.

use std::time::Duration;

use super::NameStyle;
use crate::error::{Error, Result};

/// The opt-in tail rule: keep traces the sampling ratio would drop when they end in error or
/// their root ran at least this long. Off by default.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TailSampling {
    /// `FERROTRACE_SAMPLING_KEEP_ERRORS`: keep traces whose state is ERROR.
    pub keep_errors: bool,
    /// `FERROTRACE_SAMPLING_KEEP_SLOWER_THAN_MS`: keep traces whose root ran at least this long.
    pub keep_slower_than: Option<Duration>,
}

impl TailSampling {
    /// Whether the rule can keep anything (when off, unsampled traces are not recorded at all).
    pub fn is_on(&self) -> bool {
        self.keep_errors || self.keep_slower_than.is_some()
    }
}

/// A user redaction rule: matches of `pattern` in any string value become `[REDACTED:name]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserPattern {
    pub name: String,
    pub pattern: String,
}

/// What is redacted before a trace leaves the process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RedactSettings {
    /// Built-in secret rules (key names, tokens, API keys). On by default.
    pub secrets: bool,
    /// Built-in PII rules (emails, phone numbers, card numbers, IBANs). Off by default.
    pub pii: bool,
    /// `FERROTRACE_REDACT_PATTERNS`: user rules, applied whenever given.
    pub patterns: Vec<UserPattern>,
}

impl Default for RedactSettings {
    fn default() -> Self {
        RedactSettings {
            secrets: true,
            pii: false,
            patterns: Vec::new(),
        }
    }
}

/// Tail sampling and redaction: the one field of [`super::Config`] for them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProcessSettings {
    pub tail: TailSampling,
    pub redact: RedactSettings,
}

/// The same settings given in code (Python `set_redaction`/`set_sampling`, Node `init`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProcessUpdate {
    /// `"secrets"`, `"secrets,pii"`, `"pii"`, `"off"`.
    pub redact: Option<String>,
    /// Replaces the user rules: `(name, regex)` pairs.
    pub redact_patterns: Option<Vec<(String, String)>>,
    pub keep_errors: Option<bool>,
    /// Milliseconds; 0 turns the threshold off.
    pub keep_slower_than_ms: Option<f64>,
}

/// Parses a `FERROTRACE_REDACT` value into (secrets, pii).
fn parse_mode(v: &str) -> std::result::Result<(bool, bool), String> {
    let mut mode = (false, false);
    for part in v.split(',').map(|p| p.trim().to_ascii_lowercase()) {
        match part.as_str() {
            "secrets" => mode.0 = true,
            "pii" => mode.1 = true,
            "off" | "none" | "false" | "0" | "" => {}
            other => {
                return Err(format!(
                    "{other:?} (use \"secrets\", \"secrets,pii\" or \"off\")"
                ))
            }
        }
    }
    Ok(mode)
}

/// Parses `FERROTRACE_REDACT_PATTERNS`: `name=regex` entries separated by newlines or `;;`.
/// Returns the valid rules and a message per invalid entry.
pub fn parse_patterns(v: &str) -> (Vec<UserPattern>, Vec<String>) {
    let mut rules = Vec::new();
    let mut errors = Vec::new();
    for entry in v.split('\n').flat_map(|l| l.split(";;")) {
        let entry = entry.trim();
        if entry.is_empty() {
            continue;
        }
        let rule = match entry.split_once('=') {
            Some((name, pattern)) => UserPattern {
                name: name.trim().to_owned(),
                pattern: pattern.trim().to_owned(),
            },
            None => {
                errors.push(format!("{entry:?} is not name=regex"));
                continue;
            }
        };
        match check_pattern(&rule.name, &rule.pattern) {
            Ok(()) => rules.push(rule),
            Err(e) => errors.push(e),
        }
    }
    (rules, errors)
}

/// Checks a user rule: a name of letters, digits, `_`, `-`, `.`, and a regex that compiles.
pub fn check_pattern(name: &str, pattern: &str) -> std::result::Result<(), String> {
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        return Err(format!(
            "rule name {name:?} must be letters, digits, '_', '-' or '.'"
        ));
    }
    if pattern.is_empty() {
        return Err(format!("rule {name:?} has an empty pattern"));
    }
    regex::Regex::new(pattern)
        .map(|_| ())
        .map_err(|e| format!("rule {name:?}: invalid regex {pattern:?}: {e}"))
}

impl ProcessSettings {
    /// Reads the environment; unusable values become warnings naming the variable.
    pub(crate) fn from_lookup(
        get: &impl Fn(&str) -> Option<String>,
        warnings: &mut Vec<String>,
    ) -> ProcessSettings {
        let mut s = ProcessSettings::default();
        if let Some(v) = get("FERROTRACE_SAMPLING_KEEP_ERRORS") {
            match v.to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "on" => s.tail.keep_errors = true,
                "0" | "false" | "no" | "off" => {}
                _ => warnings.push(format!(
                    "invalid value for FERROTRACE_SAMPLING_KEEP_ERRORS: {v:?} (use true or false); using false"
                )),
            }
        }
        if let Some(v) = get("FERROTRACE_SAMPLING_KEEP_SLOWER_THAN_MS") {
            match v.parse::<f64>() {
                Ok(ms) if ms.is_finite() && ms >= 0.0 => s.tail.keep_slower_than = threshold(ms),
                _ => warnings.push(format!(
                    "invalid value for FERROTRACE_SAMPLING_KEEP_SLOWER_THAN_MS: {v:?} (must be milliseconds >= 0); the rule is off"
                )),
            }
        }
        if let Some(v) = get("FERROTRACE_REDACT") {
            match parse_mode(&v) {
                Ok((secrets, pii)) => {
                    s.redact.secrets = secrets;
                    s.redact.pii = pii;
                }
                Err(e) => warnings.push(format!(
                    "invalid value for FERROTRACE_REDACT: {e}; using \"secrets\""
                )),
            }
        }
        if let Some(v) = get("FERROTRACE_REDACT_PATTERNS") {
            let (rules, errors) = parse_patterns(&v);
            for e in errors {
                warnings.push(format!(
                    "invalid entry in FERROTRACE_REDACT_PATTERNS: {e}; skipped"
                ));
            }
            s.redact.patterns = rules;
        }
        s
    }

    /// Applies settings given in code; an invalid value is an error naming the setting.
    pub(crate) fn apply(&mut self, u: ProcessUpdate, style: NameStyle) -> Result<()> {
        if let Some(mode) = u.redact {
            let (secrets, pii) =
                parse_mode(&mode).map_err(|e| Error::config(style.name("redact"), e))?;
            self.redact.secrets = secrets;
            self.redact.pii = pii;
        }
        if let Some(patterns) = u.redact_patterns {
            let mut rules = Vec::with_capacity(patterns.len());
            for (name, pattern) in patterns {
                check_pattern(&name, &pattern)
                    .map_err(|e| Error::config(style.name("redact_patterns"), e))?;
                rules.push(UserPattern { name, pattern });
            }
            self.redact.patterns = rules;
        }
        if let Some(k) = u.keep_errors {
            self.tail.keep_errors = k;
        }
        if let Some(ms) = u.keep_slower_than_ms {
            if !(ms.is_finite() && ms >= 0.0) {
                return Err(Error::config(
                    style.name("sampling_keep_slower_than_ms"),
                    format!("{ms} (must be milliseconds >= 0)"),
                ));
            }
            self.tail.keep_slower_than = threshold(ms);
        }
        Ok(())
    }
}

fn threshold(ms: f64) -> Option<Duration> {
    (ms > 0.0).then(|| crate::config::duration_secs(ms / 1000.0))
}

#[cfg(test)]
mod tests;
