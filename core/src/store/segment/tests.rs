use super::*;

#[test]
fn framing_is_the_documented_header() {
    for p in ["", "{\"a\": 1}", &"x".repeat(12_345)] {
        let want = format!("FT1 {} {:08x} ", p.len(), crc32fast::hash(p.as_bytes()));
        let line = encode_record(p.as_bytes());
        assert_eq!(line.len(), record_len(p.len()));
        assert!(line.starts_with(want.as_bytes()) && line.ends_with(b"\n"));
    }
}

#[test]
fn appended_records_reach_the_file_at_sync_and_on_drop() {
    let dir = tempfile::tempdir().unwrap();
    let read = || {
        let mut all = Vec::new();
        for e in std::fs::read_dir(dir.path()).unwrap() {
            all.extend(std::fs::read(e.unwrap().path()).unwrap());
        }
        decode_records(&all).0.len()
    };
    let mut w = SegmentWriter::with_max_bytes(dir.path().to_owned(), 200);
    for i in 0..5 {
        w.append_with(|out| {
            out.extend_from_slice(
                format!("{{\"n\": {i}, \"pad\": \"{}\"}}", "p".repeat(60)).as_bytes(),
            )
        })
        .unwrap();
    }
    w.sync().unwrap();
    assert_eq!(read(), 5);
    w.append("{}").unwrap();
    drop(w);
    assert_eq!(read(), 6);
    // Segments stay under the limit: 2 records of ~90 bytes each.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 3);
}

#[test]
fn records_round_trip() {
    let mut seg = Vec::new();
    for p in ["{\"a\": 1}", "", "{\"b\": \"x y\"}"] {
        seg.extend(encode_record(p.as_bytes()));
    }
    let (recs, dmg) = decode_records(&seg);
    assert!(dmg.is_empty());
    assert_eq!(recs, vec![&b"{\"a\": 1}"[..], b"", b"{\"b\": \"x y\"}"]);
}

#[test]
fn torn_and_corrupt_records_are_skipped_without_losing_neighbours() {
    let a = encode_record(b"{\"n\": 1}");
    let b = encode_record(b"{\"n\": 2}");
    let c = encode_record(b"{\"n\": 3}");
    // Every possible torn tail of the last record.
    for cut in 0..c.len() {
        let mut seg = [a.clone(), b.clone()].concat();
        seg.extend_from_slice(&c[..cut]);
        let (recs, dmg) = decode_records(&seg);
        assert_eq!(recs.len(), 2, "cut at {cut}");
        assert_eq!(dmg.len(), usize::from(cut > 0));
    }
    // A flipped byte in the middle record: the first and last survive.
    let mut seg = [a.clone(), b.clone(), c.clone()].concat();
    let mid = a.len() + b.len() - 3;
    seg[mid] ^= 0x20;
    let (recs, dmg) = decode_records(&seg);
    assert_eq!(recs, vec![&b"{\"n\": 1}"[..], b"{\"n\": 3}"]);
    assert_eq!(dmg[0].reason, "checksum mismatch");
    // Garbage between records.
    let seg = [a.clone(), b"garbage\n".to_vec(), c.clone()].concat();
    assert_eq!(decode_records(&seg).0.len(), 2);
}
