use super::*;

#[test]
fn ratio_holds_within_statistical_bounds() {
    let n = 20_000;
    let kept = (0..n).filter(|_| sampled(TraceId::random(), 0.25)).count();
    // 0.25 * 20000 = 5000, sd ~ 61: 6 sd either side.
    assert!((4630..=5370).contains(&kept), "{kept}");
}

#[test]
fn tail_rule_packs_both_conditions() {
    use crate::config::TailSampling;
    use std::time::Duration;
    assert!(!TailRule::new(&TailSampling::default()).is_on());
    let errors = TailRule::new(&TailSampling {
        keep_errors: true,
        keep_slower_than: None,
    });
    assert!(errors.keeps(true, 0) && !errors.keeps(false, u64::MAX));
    let slow = TailRule::new(&TailSampling {
        keep_errors: false,
        keep_slower_than: Some(Duration::from_millis(5)),
    });
    assert!(slow.is_on() && !slow.keeps(true, 4_999_999) && slow.keeps(false, 5_000_000));
}
