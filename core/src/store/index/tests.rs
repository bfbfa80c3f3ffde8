use super::*;
use crate::store::segment::SegmentWriter;

fn trace(id: &str, name: &str) -> String {
    format!(
        r#"{{"info": {{"trace_id": "{id}", "trace_location": {{}}, "request_time": "2026-01-01T00:00:00.000Z", "state": "OK", "tags": {{"mlflow.traceName": "{name}", "k": "v"}}}}, "data": {{"spans": []}}}}"#
    )
}

fn ids(idx: &SegmentIndex) -> Vec<&str> {
    let t = &idx.table;
    t.rows().iter().map(|r| t.id(r)).collect()
}

#[test]
fn a_reader_indexes_what_the_file_does_not_cover() {
    let dir = tempfile::tempdir().unwrap();
    // A writer that keeps no index: readers index the segment themselves.
    let mut w = SegmentWriter::new(dir.path().to_owned());
    w.append(&trace("tr-a", "n")).unwrap();
    w.sync().unwrap();
    let seg = w.current().unwrap().to_owned();
    let idx = load(&seg).unwrap().unwrap();
    assert_eq!((ids(&idx), idx.parsed), (vec!["tr-a"], 1));
    // This process writes it: the reader did not save its work.
    assert!(!index_path(&seg).exists());
    w.append(&trace("tr-b", "m")).unwrap();
    w.append(r#"{"ft_mutation":1,"trace_id":"tr-a","at_ns":1,"op":"delete_trace"}"#)
        .unwrap();
    w.sync().unwrap();
    // A torn record at the end (being written) is not covered yet.
    {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new().append(true).open(&seg).unwrap();
        f.write_all(b"FT1 10 0000").unwrap();
    }
    let idx = load(&seg).unwrap().unwrap();
    assert_eq!(ids(&idx), ["tr-a", "tr-b"]);
    assert_eq!(idx.table.mutations().len(), 1);
    assert!(idx.warnings.is_empty(), "{:?}", idx.warnings);
    let t = &idx.table;
    let r = &t.rows()[1];
    assert_eq!(
        read_payload(&seg, r.offset, r.len).unwrap(),
        trace("tr-b", "m").as_bytes()
    );
    assert_eq!(t.str(r.name), "m");
}

#[test]
fn the_writer_keeps_the_index_and_a_damaged_one_is_not_trusted() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = SegmentWriter::new(dir.path().to_owned()).indexed();
    w.append(&trace("tr-a", "n")).unwrap();
    w.sync().unwrap();
    let seg = w.current().unwrap().to_owned();
    w.append(&trace("tr-b", "n")).unwrap();
    w.append(r#"{"ft_mutation":1,"trace_id":"tr-a","at_ns":1,"op":"delete_trace"}"#)
        .unwrap();
    w.sync().unwrap();
    let idx = load(&seg).unwrap().unwrap();
    assert_eq!((ids(&idx), idx.parsed), (vec!["tr-a", "tr-b"], 0));
    assert_eq!(idx.table.mutations().len(), 1);
    for r in idx.table.rows() {
        let p = read_payload(&seg, r.offset, r.len).unwrap();
        assert!(p.starts_with(b"{\"info\""));
    }
    // Two blocks, one per sync: the last one torn, then flipped.
    let path = index_path(&seg);
    let good = std::fs::read(&path).unwrap();
    std::fs::write(&path, &good[..good.len() - 3]).unwrap();
    let idx = load(&seg).unwrap().unwrap();
    assert_eq!((ids(&idx), idx.parsed), (vec!["tr-a", "tr-b"], 2));
    let mut bad = good.clone();
    let n = bad.len();
    bad[n - 5] ^= 1;
    std::fs::write(&path, &bad).unwrap();
    let idx = load(&seg).unwrap().unwrap();
    assert_eq!(ids(&idx), ["tr-a", "tr-b"]);
    assert_eq!(idx.table.mutations().len(), 1);
    // An index of another file (another inode) is not used.
    drop(w);
    let copy = seg.with_file_name("0000000000001-1-0001.ftseg");
    std::fs::copy(&seg, &copy).unwrap();
    std::fs::write(index_path(&copy), &good).unwrap();
    let idx = load(&copy).unwrap().unwrap();
    // Every record parsed: two traces and a change.
    assert_eq!((ids(&idx), idx.parsed), (vec!["tr-a", "tr-b"], 3));
    // The segment of a process that has gone: the reader's work is saved.
    let gone = seg.with_file_name("0000000000002-4000000000-0001.ftseg");
    std::fs::copy(&seg, &gone).unwrap();
    assert_eq!(load(&gone).unwrap().unwrap().parsed, 3);
    let again = load(&gone).unwrap().unwrap();
    assert_eq!((ids(&again), again.parsed), (vec!["tr-a", "tr-b"], 0));
}

#[test]
fn an_index_claiming_more_than_its_segment_is_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = SegmentWriter::new(dir.path().to_owned()).indexed();
    w.append(&trace("tr-a", "n")).unwrap();
    w.append(&trace("tr-b", "n")).unwrap();
    w.sync().unwrap();
    let seg = w.current().unwrap().to_owned();
    drop(w);
    // The segment lost its end (copied back from an older backup, say).
    let bytes = std::fs::read(&seg).unwrap();
    let f = std::fs::OpenOptions::new().write(true).open(&seg).unwrap();
    f.set_len(bytes.len() as u64 / 2 + 1).unwrap();
    let idx = load(&seg).unwrap().unwrap();
    assert_eq!(ids(&idx), ["tr-a"]);
}

#[test]
fn the_cache_reuses_an_unchanged_index_and_reads_a_changed_one_again() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = SegmentWriter::new(dir.path().to_owned()).indexed();
    w.append(&trace("tr-c1", "n")).unwrap();
    w.sync().unwrap();
    let seg = w.current().unwrap().to_owned();
    let a = cache::load(&seg).unwrap().unwrap();
    let b = cache::load(&seg).unwrap().unwrap();
    assert!(
        std::sync::Arc::ptr_eq(&a, &b),
        "an unchanged segment is not read again"
    );
    // An append (the segment grows, its index gets a block): read again, with the new row.
    w.append(&trace("tr-c2", "m")).unwrap();
    w.sync().unwrap();
    let c = cache::load(&seg).unwrap().unwrap();
    assert!(!std::sync::Arc::ptr_eq(&a, &c));
    assert_eq!(ids(&c), ["tr-c1", "tr-c2"]);
    // A record appended by a writer that keeps no index: the segment grew, so it is read.
    drop(w);
    {
        use std::io::Write;
        let mut other = SegmentWriter::new(dir.path().to_owned());
        other.append(&trace("tr-x", "x")).unwrap();
        other.sync().unwrap();
        let bytes = std::fs::read(other.current().unwrap()).unwrap();
        let mut f = std::fs::OpenOptions::new().append(true).open(&seg).unwrap();
        f.write_all(&bytes).unwrap();
    }
    assert_eq!(
        ids(&cache::load(&seg).unwrap().unwrap()),
        ["tr-c1", "tr-c2", "tr-x"]
    );
    // Replaced by another file (as compaction does): another inode, read again.
    let copy = dir.path().join("copy.tmp");
    std::fs::copy(&seg, &copy).unwrap();
    std::fs::remove_file(index_path(&seg)).unwrap();
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&copy)
        .unwrap();
    {
        use std::io::Write;
        let mut w2 = SegmentWriter::new(dir.path().join("w2"));
        w2.append(&trace("tr-y", "y")).unwrap();
        w2.sync().unwrap();
        f.write_all(&std::fs::read(w2.current().unwrap()).unwrap())
            .unwrap();
    }
    drop(f);
    std::fs::rename(&copy, &seg).unwrap();
    let d = cache::load(&seg).unwrap().unwrap();
    assert_eq!(ids(&d), ["tr-c1", "tr-c2", "tr-x", "tr-y"]);
    // Removed: gone from the cache too.
    std::fs::remove_file(&seg).unwrap();
    assert!(cache::load(&seg).unwrap().is_none());
}
