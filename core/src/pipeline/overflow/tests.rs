use super::*;
use crate::pipeline::worker::tests::{shared, traces};

/// A flush drains the whole overflow channel at once; it is written a batch at a time, so
/// the recent-traces cache keeps small batches alive, not all of it.
#[test]
fn a_large_drain_is_written_in_batches() {
    let dir = tempfile::tempdir().unwrap();
    let overflow = Overflow {
        targets: vec![Target::Local(Mutex::new(LocalStoreExporter::new(
            dir.path().to_path_buf(),
        )))],
        missing: 0,
        shared: shared(4, 2),
        bytes: Arc::default(),
        handled: AtomicU64::new(0),
    };
    overflow.write_raw(traces(0..11));
    let recent = overflow.shared.recent.lock();
    let kept: Vec<(u128, usize)> = recent
        .iter()
        .map(|t| (t.info.trace_id.0, t.batch_len()))
        .collect();
    assert_eq!(kept, [(9, 3), (10, 3)]);
    drop(recent);
    let read = crate::store::read_store(dir.path()).unwrap();
    assert_eq!(read.traces.len(), 11);
    assert_eq!(overflow.shared.stats.traces_exported.load(Relaxed), 11);
}
