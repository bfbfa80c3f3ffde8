use super::*;

#[test]
fn ids_round_trip_in_every_form() {
    for _ in 0..1000 {
        let t = TraceId::random();
        assert_eq!(TraceId::parse(&t.to_mlflow()), Some(t));
        assert_eq!(TraceId::parse(&t.to_hex()), Some(t));
        assert_eq!(TraceId::from_base64(&t.to_base64()), Some(t));
        assert_eq!(t.to_hex().len(), 32);
        assert_eq!(&t.mlflow_bytes()[..], t.to_mlflow().as_bytes());
        assert_eq!(&t.base64_bytes()[..], t.to_base64().as_bytes());
        let s = SpanId::random();
        assert_eq!(SpanId::parse(&s.to_hex()), Some(s));
        assert_eq!(SpanId::from_base64(&s.to_base64()), Some(s));
        assert_eq!(s.to_hex().len(), 16);
        assert_eq!(&s.hex_bytes()[..], s.to_hex().as_bytes());
        assert_eq!(&s.base64_bytes()[..], s.to_base64().as_bytes());
    }
}

#[test]
fn known_base64_matches_mlflow() {
    // From a span dict MLflow 3.17.2 wrote for trace tr-542983bba8aab74e4e27e6bd3b55a798.
    let t = TraceId::parse("tr-542983bba8aab74e4e27e6bd3b55a798").unwrap();
    assert_eq!(t.to_base64(), "VCmDu6iqt05OJ+a9O1WnmA==");
}

#[test]
fn rejects_bad_ids() {
    assert_eq!(TraceId::parse("tr-xyz"), None);
    assert_eq!(TraceId::parse(&"0".repeat(32)), None);
    assert_eq!(SpanId::parse("00f067aa0ba902b"), None);
    assert_eq!(SpanId::parse("0000000000000000"), None);
}

#[test]
fn traceparent_round_trip_and_rejections() {
    for _ in 0..100 {
        let tp = TraceParent {
            trace_id: TraceId::random(),
            parent_id: SpanId::random(),
            sampled: fastrand::bool(),
        };
        assert_eq!(TraceParent::parse(&tp.to_string()), Some(tp));
    }
    let ok = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00";
    assert!(!TraceParent::parse(ok).unwrap().sampled);
    for bad in [
        "",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
        "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
    ] {
        assert_eq!(TraceParent::parse(bad), None, "{bad}");
    }
    // A future version may carry more fields.
    assert!(
        TraceParent::parse("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-zz").is_some()
    );
}

#[test]
fn ordered_ids_sort_by_start_and_keep_random_low_bits() {
    let base = 1_765_000_000_000u64 * 1_000_000;
    // Many traces in one millisecond of one thread keep their order; a later ms sorts after.
    let same_ms: Vec<TraceId> = (0..1000).map(|i| TraceId::ordered(base + i)).collect();
    assert!(same_ms.windows(2).all(|w| w[0] < w[1]));
    assert!(TraceId::ordered(base + 1_000_000) > *same_ms.last().unwrap());
    assert!(same_ms
        .iter()
        .all(|t| (t.0 >> 80) as u64 == base / 1_000_000));
    // The low half stays random: sampling reads it.
    let low: std::collections::HashSet<u64> = same_ms.iter().map(|t| t.0 as u64).collect();
    assert_eq!(low.len(), same_ms.len());
    let kept = same_ms
        .iter()
        .filter(|t| crate::process::sampled(**t, 0.5))
        .count();
    assert!((400..600).contains(&kept), "{kept}");
    // Round trips like any id.
    let t = same_ms[7];
    assert_eq!(TraceId::parse(&t.to_mlflow()), Some(t));
}

#[test]
fn ordered_ids_of_other_threads_in_the_same_ms_do_not_collide() {
    let ns = 1_765_000_000_123u64 * 1_000_000;
    let ids: Vec<TraceId> = (0..8)
        .map(|_| std::thread::spawn(move || TraceId::ordered(ns)))
        .map(|h| h.join().unwrap())
        .collect();
    let distinct: std::collections::HashSet<_> = ids.iter().collect();
    assert_eq!(distinct.len(), ids.len());
}
