use super::*;
use std::sync::Arc;

#[test]
fn holders_exclude_each_other_and_see_each_others_writes() {
    // Non-atomic read-modify-writes under the lock from 4 threads: any overlap loses counts.
    let m = Arc::new(SpinMutex::new((0u64, Vec::new())));
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let m = m.clone();
            std::thread::spawn(move || {
                for i in 0..20_000u64 {
                    let mut g = m.lock();
                    let n = g.0;
                    std::hint::black_box(&n);
                    g.0 = n + 1;
                    if i.is_multiple_of(1000) {
                        g.1.push(t);
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let g = m.lock();
    assert_eq!(g.0, 80_000);
    assert_eq!(g.1.len(), 80);
}

#[test]
fn a_panic_while_held_releases_the_lock() {
    let m = Arc::new(SpinMutex::new(1));
    let m2 = m.clone();
    let r = std::thread::spawn(move || {
        let _g = m2.lock();
        panic!("inside");
    })
    .join();
    assert!(r.is_err());
    assert!(m.try_lock().is_some());
    assert_eq!(*m.lock(), 1);
}
