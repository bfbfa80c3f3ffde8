//! Tests of the counter clock: the conversion arithmetic, and readings against the system
//! clock on several threads, with the counter turned off, and after a fork mid-update.

use super::*;

#[test]
fn rate_scale_and_window_agree() {
    // 3 GHz: 1/3 ns per tick.
    let mult = rate(3_000_000_000, 1_000_000_000);
    assert_eq!(mult, (1u64 << 32) / 3);
    assert!(scale(3_000, mult).abs_diff(1_000) <= 1);
    let w = window_ticks(mult);
    assert!(scale(w, mult).abs_diff(WINDOW_NS) <= 1, "{w}");
    // Out-of-range counters are not used.
    assert_eq!(rate(1, 10), 0);
    assert_eq!(rate(u64::MAX, 1), 0);
}

#[test]
fn a_window_is_missed_when_its_end_is_predicted_a_millisecond_off() {
    let mult = rate(3_000_000_000, 1_000_000_000);
    // 100 ms at 3 GHz, predicted right, then 0.5 ms and 2 ms off.
    assert!(!missed(mult, 300_000_000, 100_000_000));
    assert!(!missed(mult, 300_000_000, 100_500_000));
    assert!(missed(mult, 300_000_000, 102_000_000));
    assert!(missed(mult, 300_000_000, 98_000_000));
}

#[test]
fn a_new_anchor_never_starts_behind_what_the_old_one_gave() {
    let mult = rate(3_000_000_000, 1_000_000_000);
    let limit = window_ticks(mult);
    // The old anchor ran 200 ns ahead: start there, and run slower by 200 ns over the
    // window, meeting the wall clock at its end.
    let (real_a, m) = slew(1_000_000, 1_000_200, mult, limit);
    assert_eq!(real_a, 1_000_200);
    assert!(m < mult);
    let end = real_a + scale(limit, m);
    let wall_end = 1_000_000 + scale(limit, mult);
    assert!(end.abs_diff(wall_end) <= 2, "{end} {wall_end}");
    // Behind, or a lead no rate error explains: the wall clock as it is.
    assert_eq!(slew(1_000_000, 999_000, mult, limit), (1_000_000, mult));
    assert_eq!(
        slew(1_000_000, 1_000_000 + MAX_LEAD_NS + 1, mult, limit),
        (1_000_000, mult)
    );
}

/// Wall-clock nanoseconds from the system clock.
fn system_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
}

/// Reads `super::super::now_ns` (counter or clock) for `ms`, checking each reading against
/// the system clock read just before and after it. Returns the worst distance outside that
/// bracket and the largest step back between consecutive readings, in ns.
fn check_for(ms: u64) -> (u64, u64) {
    let until = std::time::Instant::now() + std::time::Duration::from_millis(ms);
    let (mut worst, mut back, mut prev) = (0u64, 0u64, 0u64);
    let mut i = 0u32;
    while std::time::Instant::now() < until {
        let before = system_ns();
        let t = super::super::now_ns();
        let after = system_ns();
        worst = worst
            .max(before.saturating_sub(t))
            .max(t.saturating_sub(after));
        back = back.max(prev.saturating_sub(t));
        prev = t;
        i += 1;
        if i.is_multiple_of(64) {
            // Some idle time too: anchors are renewed by whichever reader comes next.
            std::thread::sleep(std::time::Duration::from_micros(200));
        }
    }
    (worst, back)
}

#[test]
fn span_times_stay_within_a_millisecond_of_the_wall_clock_on_every_thread() {
    // Long enough for several anchor windows of every length, on three threads at once.
    let threads: Vec<_> = (0..3)
        .map(|_| std::thread::spawn(|| check_for(600)))
        .collect();
    for t in threads {
        let (worst, back) = t.join().unwrap();
        assert!(worst < 1_000_000, "{worst} ns away from the system clock");
        assert!(back < 1_000_000, "{back} ns backwards");
    }
    if supported() {
        // This machine qualifies: the counter must actually be in use by now.
        assert_ne!(LIMIT.load(Ordering::Relaxed), 0, "counter not in use");
        assert_eq!(STATE.load(Ordering::Relaxed), ON);
        assert_eq!(MISSES.load(Ordering::Relaxed), 0);
    }
}

/// Run by `the_system_setting_turns_the_counter_off`, in a child process with the setting.
#[test]
#[ignore = "run in a child process"]
fn probe_counter_off() {
    if std::env::var("FERROTRACE_CLOCK").as_deref() != Ok("system") {
        return;
    }
    for _ in 0..20 {
        let before = system_ns();
        let t = super::super::now_ns();
        assert!(t >= before && t <= system_ns());
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    assert_eq!(STATE.load(Ordering::Relaxed), OFF);
    assert_eq!(LIMIT.load(Ordering::Relaxed), 0);
}

#[test]
fn the_system_setting_turns_the_counter_off() {
    run_probe("probe_counter_off", ("FERROTRACE_CLOCK", "system"));
}

/// Runs the ignored test `probe` of this module in a child process (fresh process-wide clock
/// state) with `env` set, and asserts that it ran and passed.
fn run_probe(probe: &str, env: (&str, &str)) {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            &format!("runtime::clock::tsc::tests::{probe}"),
            "--ignored",
        ])
        .env(env.0, env.1)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("1 passed"), "{stdout}");
}

/// Run by `a_fork_during_an_anchor_update_leaves_a_working_clock`, in a child process.
#[test]
#[ignore = "run in a child process"]
fn probe_fork_mid_update() {
    if std::env::var("FERROTRACE_TEST_PROBE").as_deref() != Ok("fork") {
        return;
    }
    let until = std::time::Instant::now() + std::time::Duration::from_millis(30);
    while std::time::Instant::now() < until {
        super::super::now_ns();
    }
    // What a child forked while another thread held the sequence lock inherits.
    SEQ.fetch_add(1, Ordering::Relaxed);
    LIMIT.store(12345, Ordering::Relaxed);
    after_fork();
    assert_eq!(SEQ.load(Ordering::Relaxed) & 1, 0);
    assert_eq!(LIMIT.load(Ordering::Relaxed), 0);
    let (worst, back) = check_for(200);
    assert!(worst < 1_000_000 && back < 1_000_000, "{worst} {back}");
    if supported() {
        assert_ne!(LIMIT.load(Ordering::Relaxed), 0, "counter not in use again");
    }
}

#[test]
fn a_fork_during_an_anchor_update_leaves_a_working_clock() {
    run_probe("probe_fork_mid_update", ("FERROTRACE_TEST_PROBE", "fork"));
}
