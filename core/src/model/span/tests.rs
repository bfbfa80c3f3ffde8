use super::*;

#[test]
fn attributes_keep_order_and_replace_in_place_inline_and_spilled() {
    let mut a = Attributes::new();
    let n = INLINE_ATTRIBUTES + 3;
    for i in 0..n {
        a.set(format!("k{i}"), RawJson::int(i as i64));
    }
    a.set("k1", RawJson::string("again"));
    a.push_absent("last", RawJson::from_static("true"));
    assert_eq!(a.len(), n + 1);
    let keys: Vec<&str> = a.iter().map(|(k, _)| k).collect();
    assert_eq!(keys[..3], ["k0", "k1", "k2"]);
    assert_eq!(keys[n], "last");
    assert_eq!(a.get("k1").map(RawJson::as_str), Some("\"again\""));
    assert_eq!(
        a.remove("k0").map(|v| v.as_str().to_owned()),
        Some("0".into())
    );
    assert_eq!(a.get("k0"), None);
    assert_eq!(a.clone(), a);
}
