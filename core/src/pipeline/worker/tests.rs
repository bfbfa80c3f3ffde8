use super::*;
use crate::model::{SpanRecord, TraceId, TraceInfo};

pub(crate) fn traces(ids: std::ops::Range<u128>) -> Vec<Trace> {
    ids.map(|i| Trace {
        info: TraceInfo {
            trace_id: TraceId(i),
            ..Default::default()
        },
        spans: vec![Arc::new(SpanRecord::default())].into(),
    })
    .collect()
}

pub(crate) fn shared(max_batch: usize, recent_max: usize) -> WorkerShared {
    WorkerShared {
        stats: Arc::default(),
        process_metadata: Arc::default(),
        max_batch,
        recent: Arc::default(),
        recent_max,
        redactor: Arc::new(RwLock::new(Arc::new(
            LazyRedactor::new(&Default::default()),
        ))),
    }
}

#[test]
fn the_cache_keeps_the_newest_traces_and_frees_batches_it_no_longer_needs() {
    let shared = shared(8, 4);
    let meta = &mut Arc::default();
    *shared.process_metadata.write() = BTreeMap::from([("k".to_owned(), "v".to_owned())]);
    let first = shared.finalize(&mut traces(1..4), meta, false);
    let second = shared.finalize(&mut traces(4..6), meta, false);
    // The process metadata (and the schema version) goes with the batch, copied once while
    // it does not change.
    assert!(Arc::ptr_eq(&first.shared, &second.shared));
    assert_eq!(first.shared.len(), 2);
    assert!(!first.traces[0].info.metadata.contains_key("k"));
    let ids = || -> Vec<u128> {
        shared
            .recent
            .lock()
            .iter()
            .map(|t| t.info.trace_id.0)
            .collect()
    };
    assert_eq!(ids(), [2, 3, 4, 5]);
    // The first batch is held for its traces 2 and 3; a larger batch pushes it out.
    assert_eq!(Arc::strong_count(&first), 3);
    let third = shared.finalize(&mut traces(6..12), meta, false);
    assert_eq!(ids(), [8, 9, 10, 11]);
    assert_eq!(
        (Arc::strong_count(&first), Arc::strong_count(&second)),
        (1, 1)
    );
    assert_eq!(Arc::strong_count(&third), 5);
    let dict = shared.recent.lock()[0].to_dict();
    assert_eq!(dict.info.trace_metadata["k"], "v");
    // For a destination that reads the traces' own metadata, it is copied into them.
    let whole = shared.finalize(&mut traces(12..13), meta, true);
    assert!(whole.shared.is_empty());
    assert_eq!(whole.traces[0].info.metadata["k"], "v");
    assert_eq!(whole.traces[0].info.metadata[SCHEMA_VERSION], "3");
}
