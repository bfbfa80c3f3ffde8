//! The built-in rules: secret key names, secret value formats, PII (with checksums).

use regex::Regex;

/// Checks a candidate match of a rule whose regex alone over-matches (card numbers, IBANs).
pub(super) type Validator = fn(&str) -> bool;

/// One value rule: matches of `re` (or of its group 1 when `group`) become `[REDACTED:name]`.
pub(super) struct Rule {
    pub(super) re: Regex,
    /// A cheap pattern that every match contains even in JSON-escaped text: the prefilter.
    /// `None` when the rule must always run (user rules on escaped text).
    pub(super) anchor: Option<String>,
    pub(super) group: bool,
    pub(super) validate: Option<Validator>,
    pub(super) marker: String,
}

impl Rule {
    pub(super) fn new(
        name: &str,
        pattern: &str,
        anchor: Option<&str>,
        group: bool,
        validate: Option<Validator>,
    ) -> Result<Rule, regex::Error> {
        Ok(Rule {
            re: Regex::new(pattern)?,
            anchor: anchor.map(str::to_owned),
            group,
            validate,
            marker: marker(name),
        })
    }
}

/// The text left in place of a redacted value: names the rule, never the value.
pub fn marker(rule: &str) -> String {
    format!("[REDACTED:{rule}]")
}

/// The rule name for values under secret key names.
pub(super) const SECRET_KEY: &str = "secret_key";

/// Declares the two literal lists below from one list of value-format literals and one of
/// key-name stems, so a new format is added once.
macro_rules! secret_literals {
    (formats: [$($f:literal),* $(,)?], stems: [$($s:literal),* $(,)?]) => {
        /// Literals (lowercase, matched ignoring case) of which every built-in secret match or
        /// secret key name contains one: the quick check before the exact anchors.
        pub(super) const SECRET_LITERALS: &[&str] = &[$($f,)* $($s,)*];
        /// The literals of `SECRET_LITERALS` that belong to value formats, not to key-name stems:
        /// a name or key holding none of them (and no `:` or `=`) cannot hold a built-in secret
        /// match.
        pub(super) const FORMAT_LITERALS: &[&str] = &[$($f,)*];
    };
}

secret_literals! {
    formats: [
        "private key", "eyj", "sk-", "k_live_", "k_test_", "akia", "asia", "ghp_", "gho_", "ghu_",
        "ghs_", "ghr_", "github_pat_", "xoxa-", "xoxb-", "xoxp-", "xoxr-", "xoxs-", "aiza",
        "bearer", "://",
    ],
    stems: ["pass", "pwd", "secret", "token", "key", "auth", "cookie"]
}

/// Whether text can hold a PII match: an `@` (email) or three digits in a row (phone, card
/// number, IBAN).
pub(super) fn may_hold_pii(text: &str) -> bool {
    let mut run = 0;
    for &b in text.as_bytes() {
        if b.is_ascii_digit() {
            run += 1;
            if run == 3 {
                return true;
            }
        } else {
            run = 0;
            if b == b'@' {
                return true;
            }
        }
    }
    false
}

/// Every secret key name contains one of these, ignoring case.
const KEY_STEMS: [&str; 7] = ["pass", "pwd", "secret", "token", "key", "auth", "cookie"];

/// Anchor of the key-name rule: every secret key name contains one of these (case-insensitive).
pub(super) const KEY_ANCHOR: &str = "(?i)pass|pwd|secret|token|key|auth|cookie";

/// Words before a final `token` that make it a position, a count or a marker, not a credential:
/// pagination (`next_page_token`, AWS's `NextToken`), tokenizer settings (`eos_token`,
/// `pad_token`) and limits (`max_token`).
const NOT_SECRET_TOKEN: [&str; 20] = [
    "page",
    "next",
    "prev",
    "continuation",
    "cursor",
    "pagination",
    "sync",
    "eos",
    "bos",
    "pad",
    "unk",
    "sep",
    "cls",
    "mask",
    "stop",
    "start",
    "end",
    "special",
    "max",
    "num",
];

/// The marker of the `secret_assignment` rule, the one rule a key-name stem activates.
pub(super) const ASSIGNMENT_MARKER: &str = "[REDACTED:secret_assignment]";

/// `(name, regex, anchor, replace group 1 only)`: secrets, most specific first so that an
/// Anthropic key is named as such and not as an OpenAI key.
const SECRET_RULES: &[(&str, &str, &str, bool)] = &[
    (
        "private_key",
        r"(?s)-----BEGIN[A-Z0-9 ]*PRIVATE KEY-----.*?(?:-----END[A-Z0-9 ]*PRIVATE KEY-----|\z)",
        "PRIVATE KEY",
        false,
    ),
    (
        "jwt",
        r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*",
        "eyJ",
        false,
    ),
    (
        "anthropic_key",
        r"\bsk-ant-[A-Za-z0-9_-]{20,}",
        "sk-ant-",
        false,
    ),
    (
        "openai_key",
        r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}",
        "sk-",
        false,
    ),
    (
        "stripe_key",
        r"\b[sr]k_(?:live|test)_[0-9A-Za-z]{16,}",
        "k_live_|k_test_",
        false,
    ),
    (
        "aws_access_key",
        r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b",
        "AKIA|ASIA",
        false,
    ),
    (
        "github_token",
        r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})",
        "gh[pousr]_|github_pat_",
        false,
    ),
    (
        "slack_token",
        r"\bxox[abprs]-[A-Za-z0-9-]{10,}",
        "xox[abprs]-",
        false,
    ),
    ("google_api_key", r"\bAIza[0-9A-Za-z_-]{35}", "AIza", false),
    (
        "bearer",
        r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]{8,}",
        "(?i)bearer",
        false,
    ),
    // `scheme://user:PASSWORD@host`: only the password goes.
    (
        "url_password",
        r"\b[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]+:([^/\s@]+)@",
        "://",
        true,
    ),
    // `password=...`, `api_key: ...` written into free text (logs, error messages).
    (
        "secret_assignment",
        r#"(?i)\b(?:password|passwd|pwd|api[_-]?key|secret[_-]?key|client[_-]?secret|access[_-]?token|auth[_-]?token)\s*[:=]\s*["']?([^\s"',;&]{4,})"#,
        "(?i)pass|pwd|key|secret|token",
        true,
    ),
];

/// `(name, regex, anchor, replace group 1 only, validator)`: PII, opt-in.
#[allow(clippy::type_complexity)]
const PII_RULES: &[(&str, &str, &str, bool, Option<Validator>)] = &[
    (
        "email",
        r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b",
        "@",
        false,
        None,
    ),
    (
        "iban",
        r"\b[A-Z]{2}[0-9]{2}(?:[A-Z0-9]{11,30}|(?: [A-Z0-9]{4}){2,7}(?: [A-Z0-9]{1,4})?)\b",
        "[A-Z]{2}[0-9]{2}",
        false,
        Some(iban_ok),
    ),
    // Not after `+`: that is a phone number in international form.
    (
        "card_number",
        r"(?:^|[^+0-9A-Za-z_])([0-9](?:[ -]?[0-9]){12,18})\b",
        "[0-9]{4}",
        true,
        Some(luhn_ok),
    ),
    (
        "phone",
        r"(?:\+[0-9]{1,3}[ .-]?(?:\([0-9]{1,4}\)[ .-]?)?|\([0-9]{1,4}\)[ .-]?|\b)[0-9]{2,4}[ .-][0-9]{3,4}(?:[ .-]?[0-9]{3,4})?\b|\+[0-9]{9,15}\b",
        "[0-9]{3}",
        false,
        Some(phone_ok),
    ),
];

/// The built-in rules for a mode, in the order they apply.
pub(super) fn builtin(secrets: bool, pii: bool) -> Vec<Rule> {
    let mut rules = Vec::new();
    if secrets {
        for (name, pattern, anchor, group) in SECRET_RULES {
            rules.push(
                Rule::new(name, &ascii_b(pattern), Some(anchor), *group, None)
                    .expect("built-in rule"),
            );
        }
    }
    if pii {
        for (name, pattern, anchor, group, validate) in PII_RULES {
            rules.push(
                Rule::new(name, &ascii_b(pattern), Some(anchor), *group, *validate)
                    .expect("built-in rule"),
            );
        }
    }
    rules
}

/// ASCII word boundaries: Unicode ones make the regex engine leave its fast DFA on non-ASCII
/// text, and every boundary in these formats is ASCII.
fn ascii_b(pattern: &str) -> String {
    pattern.replace(r"\b", r"(?-u:\b)")
}

/// Whether values under this key name are secrets: password, passwd, secret, token, api_key,
/// access_key, private_key, authorization, cookie, set-cookie; any case, with `-`, `_`, `.` or
/// camelCase between words. Counts such as `max_tokens` or `tokenUsage`, pagination and
/// tokenizer settings (`next_page_token`, `eos_token`) are not, nor is a `session_id`: MLflow
/// stores a conversation id under that name (its session-tracking examples), not a credential.
///
/// ```
/// use ferrotrace_core::process::redact::is_secret_key;
/// assert!(is_secret_key("X-Api-Key") && is_secret_key("refreshToken") && is_secret_key("DB_PASSWORD"));
/// assert!(!is_secret_key("max_tokens") && !is_secret_key("mlflow.chat.tokenUsage"));
/// assert!(!is_secret_key("session_id") && !is_secret_key("next_page_token"));
/// ```
pub fn is_secret_key(key: &str) -> bool {
    // Most keys (`mlflow.spanInputs`, `question`) hold none of the stems: no allocation for them.
    if key.len() > 64 {
        return false;
    }
    // A marker left by a secret used in a key (`header.[REDACTED:github_token]`) names no
    // secret: the rest of the key decides, so redacting twice changes nothing.
    if let Some(at) = key.find("[REDACTED") {
        let end = key[at..].find(']').map_or(key.len(), |e| at + e + 1);
        return is_secret_key(&format!("{} {}", &key[..at], &key[end..]));
    }
    let mut buf = [0u8; 64];
    let lower = &mut buf[..key.len()];
    lower.copy_from_slice(key.as_bytes());
    lower.make_ascii_lowercase();
    if !KEY_STEMS
        .iter()
        .any(|s| lower.windows(s.len()).any(|w| w == s.as_bytes()))
    {
        return false;
    }
    let mut words: Vec<String> = Vec::with_capacity(4);
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in key.chars() {
        if !c.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower && !cur.is_empty() {
            words.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        cur.push(c.to_ascii_lowercase());
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    let joined: String = words.concat();
    const JOINED: [&str; 7] = [
        "password",
        "passwd",
        "apikey",
        "accesskey",
        "privatekey",
        "authorization",
        "cookie",
    ];
    let final_token = match words.as_slice() {
        [.., prev, last] if last == "token" => !NOT_SECRET_TOKEN.contains(&prev.as_str()),
        [last] => last == "token",
        _ => false,
    };
    JOINED.iter().any(|k| joined.contains(k))
        || words
            .iter()
            .any(|w| matches!(w.as_str(), "secret" | "secrets" | "passphrase"))
        || final_token
        || joined.ends_with("secretkey")
}

fn digits(s: &str) -> Vec<u32> {
    s.chars().filter_map(|c| c.to_digit(10)).collect()
}

/// The Luhn checksum of a card number with 13 to 19 digits (spaces and dashes ignored).
pub fn luhn_ok(s: &str) -> bool {
    let d = digits(s);
    if !(13..=19).contains(&d.len()) || d.iter().all(|&x| x == d[0]) {
        return false;
    }
    let sum: u32 = d
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &x)| {
            if i % 2 == 1 {
                let y = x * 2;
                if y > 9 {
                    y - 9
                } else {
                    y
                }
            } else {
                x
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// The ISO 13616 mod-97 check of an IBAN (spaces ignored).
pub fn iban_ok(s: &str) -> bool {
    let compact: Vec<u8> = s.bytes().filter(|b| *b != b' ').collect();
    if !(15..=34).contains(&compact.len()) {
        return false;
    }
    let (head, tail) = compact.split_at(4);
    let mut rem: u32 = 0;
    for &b in tail.iter().chain(head) {
        let v = match b {
            b'0'..=b'9' => u32::from(b - b'0'),
            b'A'..=b'Z' => u32::from(b - b'A') + 10,
            _ => return false,
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    rem == 1
}

/// A phone number has 9 to 15 digits with a country code (`+`), 9 to 11 without (longer
/// groups of digits are more often ids or failed card numbers).
fn phone_ok(s: &str) -> bool {
    let n = digits(s).len();
    let max = if s.starts_with('+') { 15 } else { 11 };
    // Dotted numbers are IP addresses and versions unless they end in a group of four.
    let dotted = s.contains('.') && s.rsplit('.').next().is_none_or(|g| g.len() != 4);
    (9..=max).contains(&n) && !dotted
}
