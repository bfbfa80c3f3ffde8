//! The local store keeps under `FERROTRACE_LOCAL_MAX_BYTES` by removing its oldest segments,
//! counted as `local_store_rotated`; store and spill files are owner-only.

mod common;

use std::fs;
use std::path::Path;

use common::FLUSH;
use ferrotrace_core::config::Config;
use ferrotrace_core::model::RawJson;
use ferrotrace_core::store::{encode_record, list_store, read_store, SEGMENT_EXT};
use ferrotrace_core::tracer::RootOptions;
use ferrotrace_core::Tracer;

fn capped_tracer(dir: &Path, cap: u64) -> Tracer {
    ferrotrace_core::diag::set_quiet(true);
    let mut config = Config {
        local_dir: dir.to_owned(),
        ..Config::default()
    };
    config.delivery.local_max_bytes = cap;
    Tracer::new(config)
}

fn write(tracer: &Tracer, n: usize) {
    let pad = "p".repeat(2_000);
    for i in 0..n {
        let mut root = tracer.start_root(format!("t{i}"), RootOptions::default());
        root.set_attribute("pad", RawJson::string(&pad));
        tracer.start_child("child", root.context(), None).end(None);
        root.end(None);
    }
}

fn segment_bytes(dir: &Path) -> u64 {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == SEGMENT_EXT))
        .map(|p| fs::metadata(p).unwrap().len())
        .sum()
}

#[test]
fn the_store_keeps_under_its_cap_dropping_the_oldest_counted() {
    let dir = tempfile::tempdir().unwrap();
    let cap = 300_000;
    let tracer = capped_tracer(dir.path(), cap);
    write(&tracer, 500);
    assert!(tracer.flush(FLUSH));
    let size = segment_bytes(dir.path());
    assert!(size <= cap, "{size} > {cap}");
    let st = tracer.stats();
    let rotated = st
        .dropped_traces
        .get("local_store_rotated")
        .copied()
        .unwrap_or(0);
    assert!(rotated > 0, "{st:?}");
    assert_eq!(st.dropped_spans["local_store_rotated"], rotated * 2);
    let read = read_store(dir.path()).unwrap();
    assert!(read.warnings.is_empty(), "{:?}", read.warnings);
    assert_eq!(read.traces.len() as u64 + rotated, 500);
    // The newest are kept, in order.
    assert_eq!(read.traces.last().unwrap().name(), "t499");
    let first: usize = read.traces[0].name()[1..].parse().unwrap();
    assert_eq!(first as u64, rotated);
}

#[test]
fn a_live_writers_newest_segment_is_never_removed() {
    let dir = tempfile::tempdir().unwrap();
    let old = encode_record(&vec![b' '; 200_000]);
    // pid 1 is alive (init); 4194399 is above any pid Linux hands out.
    let live = dir
        .path()
        .join(format!("0000000000001-1-0001.{SEGMENT_EXT}"));
    let dead = dir
        .path()
        .join(format!("0000000000002-4194399-0001.{SEGMENT_EXT}"));
    fs::write(&live, &old).unwrap();
    fs::write(&dead, &old).unwrap();
    let tracer = capped_tracer(dir.path(), 250_000);
    write(&tracer, 1);
    assert!(tracer.flush(FLUSH));
    assert!(live.exists(), "a live process may still be appending to it");
    assert!(!dead.exists());
    assert_eq!(tracer.stats().dropped_traces["local_store_rotated"], 1);
}

#[test]
fn listing_keeps_what_the_table_shows() {
    let dir = tempfile::tempdir().unwrap();
    let tracer = capped_tracer(dir.path(), 1 << 30);
    write(&tracer, 3);
    assert!(tracer.flush(FLUSH));
    let listed = list_store(dir.path()).unwrap();
    let full = read_store(dir.path()).unwrap();
    assert_eq!(
        ferrotrace_core::store::render_list(&listed.traces),
        ferrotrace_core::store::render_list(&full.traces)
    );
    assert!(listed.traces[0]
        .data
        .spans
        .iter()
        .all(|s| s.attributes.is_empty()));
}

#[cfg(unix)]
mod permissions {
    use super::*;
    use ferrotrace_core::model::SharedMetadata;
    use ferrotrace_core::pipeline::spill::SpillStore;
    use ferrotrace_core::stats::Stats;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn store_files_are_owner_only_in_owner_only_folders() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("a/b/store");
        let tracer = capped_tracer(&dir, 1 << 30);
        write(&tracer, 2);
        assert!(tracer.flush(FLUSH));
        for d in [root.path().join("a"), root.path().join("a/b"), dir.clone()] {
            assert_eq!(mode(&d), 0o700, "{}", d.display());
        }
        for e in fs::read_dir(&dir).unwrap() {
            assert_eq!(mode(&e.unwrap().path()), 0o600);
        }
    }

    #[test]
    fn an_existing_folder_keeps_its_mode_and_gets_owner_only_files() {
        let dir = tempfile::tempdir().unwrap();
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
        let tracer = capped_tracer(dir.path(), 1 << 30);
        write(&tracer, 1);
        assert!(tracer.flush(FLUSH));
        assert_eq!(mode(dir.path()), 0o755);
        for e in fs::read_dir(dir.path()).unwrap() {
            assert_eq!(mode(&e.unwrap().path()), 0o600);
        }
    }

    #[test]
    fn spill_files_are_owner_only() {
        let root = tempfile::tempdir().unwrap();
        let spill_root = root.path().join("spill");
        let mut store = SpillStore::new(&spill_root, "dest", 1 << 30);
        let trace = ferrotrace_core::model::Trace::default();
        store
            .write(&[trace], &SharedMetadata::new(), &Stats::default())
            .unwrap();
        assert_eq!(mode(&spill_root), 0o700);
        assert_eq!(mode(store.dir()), 0o700);
        let files: Vec<_> = fs::read_dir(store.dir()).unwrap().collect();
        assert_eq!(files.len(), 2, "a segment and destination.txt");
        for e in files {
            assert_eq!(mode(&e.unwrap().path()), 0o600);
        }
    }
}

#[test]
fn show_finds_a_trace_by_id_prefix_or_end_and_counts_ambiguous_ones() {
    let dir = tempfile::tempdir().unwrap();
    let tracer = capped_tracer(dir.path(), 1 << 30);
    write(&tracer, 5);
    assert!(tracer.flush(FLUSH));
    let full = read_store(dir.path()).unwrap();
    let id = &full.traces[2].info.trace_id;
    // The whole id, its hex, or a unique end (ids of one run share their first digits).
    for prefix in [
        id.as_str(),
        id.trim_start_matches("tr-"),
        &id[id.len() - 10..],
    ] {
        let (found, n) = ferrotrace_core::store::find_in_store(dir.path(), prefix).unwrap();
        assert_eq!(n, 1, "{prefix}");
        assert_eq!(found.traces[0], full.traces[2]);
    }
    let (found, n) = ferrotrace_core::store::find_in_store(dir.path(), "tr-").unwrap();
    assert_eq!(n, 5);
    assert!(found.traces.len() <= 2, "only two are kept whole");
    let (_, n) = ferrotrace_core::store::find_in_store(dir.path(), "nothing").unwrap();
    assert_eq!(n, 0);
}
