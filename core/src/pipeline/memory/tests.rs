use super::*;

#[test]
fn trims_only_after_a_burst_and_a_quiet_while() {
    let mut t = Trimmer::default();
    let start = t.last_busy;
    t.handled(TRIM_AFTER_BYTES - 1);
    t.idle_at(start + TRIM_AFTER_QUIET * 2);
    assert_eq!(
        t.since,
        TRIM_AFTER_BYTES - 1,
        "below the threshold: no trim"
    );
    t.handled(1);
    let busy = t.last_busy;
    t.idle_at(busy + TRIM_AFTER_QUIET / 2);
    assert_eq!(t.since, TRIM_AFTER_BYTES, "idle only a moment: no trim");
    t.handled(0);
    assert_eq!(t.last_busy, busy, "nothing handled is no activity");
    t.idle_at(busy + TRIM_AFTER_QUIET);
    assert_eq!(t.since, 0);
}
