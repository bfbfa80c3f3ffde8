use super::*;
use crate::model::{SpanRecord, TraceId, TraceInfo};
use std::sync::Arc;

fn trace(n: u64) -> Trace {
    let id = TraceId::random();
    Trace {
        info: TraceInfo {
            trace_id: id,
            request_time_ms: 1_000 + n,
            ..Default::default()
        },
        spans: vec![Arc::new(SpanRecord {
            trace_id: id,
            name: format!("t{n}").into(),
            start_ns: n,
            end_ns: n + 1,
            ..Default::default()
        })]
        .into(),
    }
}

fn names(traces: &[Trace]) -> Vec<String> {
    traces.iter().map(|t| t.spans[0].name.to_string()).collect()
}

#[test]
fn spilled_traces_are_claimed_once_replayed_in_order_and_removed() {
    let root = tempfile::tempdir().unwrap();
    let stats = Stats::default();
    let mut a = SpillStore::new(root.path(), "dest", 1 << 30);
    assert!(!a.has_pending());
    let shared = SharedMetadata::from([("mlflow.user".to_owned(), "me".to_owned())]);
    a.write(&[trace(1), trace(2)], &shared, &stats).unwrap();
    a.write(&[trace(3)], &SharedMetadata::new(), &stats)
        .unwrap();
    assert!(a.has_pending());
    // A second store on the same folder (another process with the same configuration).
    let mut b = SpillStore::new(root.path(), "dest", 1 << 30);
    assert!(b.has_pending());
    let claim = a.claim_next().expect("a segment");
    let got = claim.read();
    assert_eq!(names(&got), ["t1", "t2", "t3"]);
    // The experiment stays open: replay uses the destination's default.
    assert_eq!(got[0].info.experiment_id, None);
    // Shared metadata is in the records of the traces it went with.
    assert_eq!(
        got[1].info.metadata.get("mlflow.user").map(String::as_str),
        Some("me")
    );
    assert!(!got[2].info.metadata.contains_key("mlflow.user"));
    assert!(b.claim_next().is_none(), "the only segment is claimed");
    // Not delivered: released, and claimable again.
    a.release(claim);
    let claim = b.claim_next().expect("released segment");
    b.finish(claim);
    assert!(a.claim_next().is_none());
    assert!(!a.has_pending());
    // Another identity is another folder.
    let other = SpillStore::new(root.path(), "other", 1 << 30);
    assert_ne!(other.dir(), a.dir());
}

#[test]
fn a_dead_process_claim_is_taken_over() {
    let root = tempfile::tempdir().unwrap();
    let stats = Stats::default();
    let mut s = SpillStore::new(root.path(), "dest", 1 << 30);
    s.write(&[trace(1)], &SharedMetadata::new(), &stats)
        .unwrap();
    let claim = s.claim_next().unwrap();
    // Pretend the claim belongs to a process that died (pid numbers this large are unused).
    let dead = claim.path.with_file_name(format!(
        "{}{CLAIM_MARK}{}",
        claim.original.file_name().unwrap().to_str().unwrap(),
        4_000_000_000u32
    ));
    fs::rename(&claim.path, &dead).unwrap();
    let again = s.claim_next().expect("taken over");
    assert_eq!(names(&again.read()), ["t1"]);
}

#[test]
fn over_the_limit_the_oldest_traces_are_dropped_and_counted() {
    let root = tempfile::tempdir().unwrap();
    let stats = Stats::default();
    let mut s = SpillStore::new(root.path(), "dest", 4000);
    for i in 0..40 {
        s.write(&[trace(i)], &SharedMetadata::new(), &stats)
            .unwrap();
        // Close after each write: one segment per trace, so dropping is fine-grained here.
        s.writer.close().unwrap();
    }
    let dropped = stats.snapshot(0, 0).dropped_traces["spill_full"];
    assert!(dropped > 0);
    let mut kept = Vec::new();
    while let Some(c) = s.claim_next() {
        kept.extend(c.read());
        s.finish(c);
    }
    assert_eq!(kept.len() as u64 + dropped, 40);
    // The newest survive.
    assert_eq!(kept.last().unwrap().spans[0].name, "t39");
}
