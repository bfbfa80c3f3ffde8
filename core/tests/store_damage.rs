//! A damaged store costs only its damaged records: a record header that claims any length
//! (`usize::MAX` included), a torn or truncated file, bytes that are not a record at all — the
//! readers skip them with a counted warning and go on with the rest, and a spill folder holding
//! them never stops the export thread.

mod common;

use std::collections::HashSet;
use std::fs;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::FLUSH;
use ferrotrace_core::config::Config;
use ferrotrace_core::export::{Capabilities, Exporter, SpillKind};
use ferrotrace_core::model::{SharedMetadata, Trace};
use ferrotrace_core::pipeline::spill::lane_id;
use ferrotrace_core::store::{decode_records, encode_record, read_store, SEGMENT_EXT};
use ferrotrace_core::tracer::RootOptions;
use ferrotrace_core::{Error, Result, Tracer};
use parking_lot::Mutex;

/// Record headers whose length field overflows or lies about what follows.
fn lying_headers() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for len in [
        usize::MAX.to_string(),
        (usize::MAX - 1).to_string(),
        (usize::MAX / 2).to_string(),
        u64::MAX.to_string(),
        "99999999999999999999".to_owned(),
        "4096".to_owned(),
    ] {
        out.push(format!("FT1 {len} 00000000 {{}}\n").into_bytes());
    }
    out
}

/// A real trace record, as the local store writes it.
fn stored_record(name: &str) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let tracer = Tracer::new(Config {
        local_dir: dir.path().to_owned(),
        ..Config::default()
    });
    tracer
        .start_root(name.to_owned(), RootOptions::default())
        .end(None);
    assert!(tracer.flush(FLUSH));
    let mut bytes = Vec::new();
    for e in fs::read_dir(dir.path()).unwrap() {
        // The segments only (the writer keeps an index file next to each).
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == SEGMENT_EXT) {
            bytes.extend(fs::read(p).unwrap());
        }
    }
    bytes
}

#[test]
fn a_header_claiming_any_length_is_skipped_and_later_records_are_read() {
    let good = encode_record(b"{\"n\": 2}");
    for bad in lying_headers() {
        let seg = [encode_record(b"{\"n\": 1}"), bad.clone(), good.clone()].concat();
        let (records, damage) = decode_records(&seg);
        assert_eq!(
            records,
            vec![&b"{\"n\": 1}"[..], b"{\"n\": 2}"],
            "{}",
            String::from_utf8_lossy(&bad)
        );
        assert_eq!(damage.len(), 1);
        // The same header as the file's last bytes, with and without its payload.
        for tail in [&bad[..], &bad[..bad.len() - 3]] {
            let seg = [encode_record(b"{}"), tail.to_vec()].concat();
            let (records, damage) = decode_records(&seg);
            assert_eq!((records.len(), damage.len()), (1, 1));
        }
    }
}

#[test]
fn every_truncation_of_a_store_file_reads_without_panicking() {
    let seg = [
        stored_record("a"),
        lying_headers().concat(),
        stored_record("b"),
    ]
    .concat();
    for cut in 0..=seg.len() {
        let (records, _) = decode_records(&seg[..cut]);
        assert!(records.len() <= 2);
    }
}

#[test]
fn a_bad_segment_costs_only_its_bad_records_and_later_segments_are_read() {
    let dir = tempfile::tempdir().unwrap();
    // Oldest first by name: the damaged segment is read before the good one.
    fs::write(
        dir.path()
            .join(format!("0000000000001-1-0001.{SEGMENT_EXT}")),
        [lying_headers()[0].clone(), stored_record("in-bad-file")].concat(),
    )
    .unwrap();
    fs::write(
        dir.path()
            .join(format!("0000000000002-1-0001.{SEGMENT_EXT}")),
        stored_record("later"),
    )
    .unwrap();
    let read = read_store(dir.path()).unwrap();
    let names: Vec<&str> = read.traces.iter().map(|t| t.name()).collect();
    assert_eq!(names, ["in-bad-file", "later"]);
    assert_eq!(read.warnings.len(), 1, "{:?}", read.warnings);
    assert!(
        read.warnings[0].contains("damaged record"),
        "{:?}",
        read.warnings
    );
}

/// A destination that is up and records the root names it gets.
#[derive(Clone, Default)]
struct Remote {
    up: Arc<AtomicBool>,
    got: Arc<Mutex<Vec<String>>>,
}

struct RemoteExporter(Remote);

impl Exporter for RemoteExporter {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            spill: SpillKind::Remote("damaged-spill".into()),
            ..Capabilities::new("remote")
        }
    }
    fn export(&mut self, batch: &[Trace], _: &SharedMetadata) -> Result<()> {
        if !self.0.up.load(Ordering::Relaxed) {
            return Err(Error::Transport {
                server: "http://remote".into(),
                request: "POST /v1/traces".into(),
                message: "connection refused".into(),
            });
        }
        let mut got = self.0.got.lock();
        got.extend(batch.iter().map(|t| t.spans[0].name.to_string()));
        Ok(())
    }
}

fn spill_tracer(remote: &Remote, spill: &Path) -> Tracer {
    ferrotrace_core::diag::set_quiet(true);
    let mut config = Config::default();
    config.delivery.spill_dir = spill.to_path_buf();
    config.delivery.probe_max_interval = Duration::from_millis(100);
    let r = remote.clone();
    Tracer::with_exporter_factory(
        config,
        Box::new(move |_, _, _| vec![Box::new(RemoteExporter(r.clone())) as Box<dyn Exporter>]),
    )
}

#[test]
fn a_bad_record_in_a_spill_folder_does_not_stop_delivery() {
    let root = tempfile::tempdir().unwrap();
    let remote = Remote::default();
    // Spilled by an earlier process while the destination was down.
    let t1 = spill_tracer(&remote, root.path());
    t1.start_root("spilled", RootOptions::default()).end(None);
    assert!(t1.exit(Duration::from_secs(5)));
    assert_eq!(t1.stats().traces_spilled, 1);
    // An older segment (left by a process that is gone) with a record claiming usize::MAX
    // bytes, then a good record.
    let lane = root.path().join(lane_id("damaged-spill"));
    let good = fs::read(
        fs::read_dir(&lane)
            .unwrap()
            .find_map(|e| {
                let p = e.unwrap().path();
                p.extension().is_some_and(|x| x == SEGMENT_EXT).then_some(p)
            })
            .unwrap(),
    )
    .unwrap();
    let (records, _) = decode_records(&good);
    let renamed = String::from_utf8(records[0].to_vec())
        .unwrap()
        .replace("spilled", "after-bad");
    fs::write(
        lane.join(format!("0000000000001-4194399-0001.{SEGMENT_EXT}")),
        [
            lying_headers()[0].clone(),
            encode_record(renamed.as_bytes()),
        ]
        .concat(),
    )
    .unwrap();

    remote.up.store(true, Ordering::Relaxed);
    let t2 = spill_tracer(&remote, root.path());
    t2.start_root("late", RootOptions::default()).end(None);
    let until = Instant::now() + Duration::from_secs(20);
    while remote.got.lock().len() < 3 && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(t2.flush(FLUSH));
    let got: HashSet<String> = remote.got.lock().iter().cloned().collect();
    let want: HashSet<String> = ["spilled", "after-bad", "late"].map(String::from).into();
    assert_eq!(got, want);
    let st = t2.stats();
    assert_eq!(st.dropped_traces.get("damaged_record"), Some(&1), "{st:?}");
}
