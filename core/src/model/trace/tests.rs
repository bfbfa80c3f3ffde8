use super::*;

#[test]
fn metadata_with_shared_is_what_adding_it_gives() {
    let map = |keys: &[&str], v: &str| -> SharedMetadata {
        keys.iter()
            .map(|k| (k.to_string(), format!("{v}{k}")))
            .collect()
    };
    for (own, shared) in [
        (&["a", "c", "e"][..], &["b", "c", "d", "f"][..]),
        (&[], &["a"]),
        (&["a"], &[]),
        (&["b", "c"], &["a", "b", "c", "d"]),
    ] {
        let mut info = TraceInfo {
            metadata: map(own, "own-"),
            ..Default::default()
        };
        let shared = map(shared, "shared-");
        let seen: Vec<(String, String)> = info
            .metadata_with(&shared)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        info.add_metadata(&shared);
        assert_eq!(seen, info.metadata.into_iter().collect::<Vec<_>>());
    }
}

#[test]
fn rfc3339_round_trip() {
    for ms in [0u64, 951_782_400_000, 1_795_608_566_743, 4_102_444_799_999] {
        assert_eq!(parse_rfc3339_ms(&rfc3339_ms(ms)), Some(ms));
    }
    assert_eq!(rfc3339_ms(u64::MAX), "584556019-04-03T14:25:51.615Z");
    assert_eq!(rfc3339_ms(951_782_400_000), "2000-02-29T00:00:00.000Z");
    // Against the formatter it replaced, over a spread of dates (leap days, year ends).
    for i in 0..5000u64 {
        let ms = i * 7_919_993_111 + i % 1000;
        assert_eq!(rfc3339_ms(ms), formatted_rfc3339_ms(ms), "{ms}");
    }
    assert_eq!(
        parse_rfc3339_ms("2026-11-25T11:00:00Z"),
        Some(1_795_604_400_000)
    );
}
