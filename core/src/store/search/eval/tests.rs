use super::*;

#[test]
fn like_patterns() {
    assert!(like("billing question", "%bill%", false));
    assert!(like("abc", "a_c", false));
    assert!(!like("abc", "A%", false));
    assert!(like("abc", "A%", true));
    assert!(like("", "%", false));
    assert!(!like("abc", "%d%", false));
    assert!(like("a%c", "a%c", false));
}
