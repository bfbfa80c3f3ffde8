use super::*;

#[test]
fn every_form_reads_and_compares_as_its_text() {
    let shared: Arc<str> = Arc::from("tool");
    let forms = [
        SpanName::from("tool"),
        SpanName::from(String::from("tool")),
        SpanName::from(shared.clone()),
        SpanName::from(&shared),
        SpanName::from(std::borrow::Cow::Owned("tool".to_owned())),
    ];
    for f in &forms {
        assert_eq!(f.as_str(), "tool");
        assert_eq!(f, &forms[0]);
        assert_eq!(format!("{f}"), "tool");
        assert_eq!(format!("{f:?}"), "\"tool\"");
        assert_eq!(String::from(f.clone()), "tool");
    }
    assert_ne!(SpanName::from("a"), SpanName::from("b"));
    assert_eq!(SpanName::default(), "");
}
