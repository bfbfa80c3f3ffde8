use super::*;

#[test]
fn env_values_parse_and_bad_ones_warn() {
    let env = |k: &str| match k {
        "FERROTRACE_REDACT" => Some("secrets, PII".to_owned()),
        "FERROTRACE_REDACT_PATTERNS" => {
            Some("employee=EMP-\\d{6};;bad=(unclosed\nticket = T#[0-9]+".to_owned())
        }
        "FERROTRACE_SAMPLING_KEEP_ERRORS" => Some("true".to_owned()),
        "FERROTRACE_SAMPLING_KEEP_SLOWER_THAN_MS" => Some("250".to_owned()),
        _ => None,
    };
    let mut warnings = Vec::new();
    let s = ProcessSettings::from_lookup(&env, &mut warnings);
    assert!(s.redact.secrets && s.redact.pii);
    let names: Vec<&str> = s.redact.patterns.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["employee", "ticket"]);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("FERROTRACE_REDACT_PATTERNS"));
    assert!(s.tail.keep_errors);
    assert_eq!(s.tail.keep_slower_than, Some(Duration::from_millis(250)));

    let mut warnings = Vec::new();
    let bad = |k: &str| (k == "FERROTRACE_REDACT").then(|| "everything".to_owned());
    let s = ProcessSettings::from_lookup(&bad, &mut warnings);
    assert!(s.redact.secrets, "falls back to the default");
    assert!(warnings[0].contains("FERROTRACE_REDACT"));
}

#[test]
fn code_errors_name_the_setting() {
    let mut s = ProcessSettings::default();
    let u = ProcessUpdate {
        redact_patterns: Some(vec![("x".into(), "([".into())]),
        ..Default::default()
    };
    let e = s.apply(u, NameStyle::Camel).unwrap_err().to_string();
    assert!(e.contains("redactPatterns"), "{e}");
    let u = ProcessUpdate {
        redact: Some("off".into()),
        ..Default::default()
    };
    s.apply(u, NameStyle::Snake).unwrap();
    assert!(!s.redact.secrets && !s.redact.pii);
    let u = ProcessUpdate {
        keep_slower_than_ms: Some(-1.0),
        ..Default::default()
    };
    let e = s.apply(u, NameStyle::Snake).unwrap_err().to_string();
    assert!(e.contains("sampling_keep_slower_than_ms"), "{e}");
}
