use super::*;

#[test]
fn counts_from_every_thread_add_up_including_exited_ones() {
    let counts = Arc::new(SpanCounts::default());
    let other = SpanCounts::default();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let c = counts.clone();
            std::thread::spawn(move || {
                for _ in 0..1000 {
                    c.started();
                }
                for _ in 0..999 {
                    c.ended();
                }
            })
        })
        .collect();
    for _ in 0..10 {
        counts.started();
        other.started();
    }
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(counts.totals(), (4010, 3996));
    assert_eq!(other.totals(), (10, 0));
    // Exited threads were folded in: only this thread's cell is still listed.
    assert_eq!(counts.0.cells.lock().0.len(), 1);
}

#[test]
fn counters_dropped_and_made_again_do_not_share_cells() {
    for round in 1..=3u64 {
        let counts = SpanCounts::default();
        for _ in 0..round {
            counts.started();
        }
        assert_eq!(counts.totals(), (round, 0));
    }
    LOCAL.with(|l| assert!(l.borrow().len() <= 2));
}
