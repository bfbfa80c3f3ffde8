use super::*;

#[test]
fn wall_time_of_a_monotonic_reading_is_now_minus_the_elapsed_time() {
    let mono = monotonic_ns();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let (start, now) = wall_ns_at(mono);
    assert!(now >= start + 20_000_000, "{start} {now}");
    assert!(now - start < 5_000_000_000, "{start} {now}");
    // A reading from the future counts as now.
    let (start, now) = wall_ns_at(monotonic_ns() + 1_000_000_000_000);
    assert_eq!(start, now);
}
