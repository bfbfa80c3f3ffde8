// The segment reader on arbitrary bytes and on every kind of truncation: never a panic; the
// streaming reader (files) and the in-memory one (spill replay) find the same records and the
// same damage however the bytes arrive; every record found is what a writer would frame; and
// records that parse as traces convert and write back without a panic.

use std::io::Read;

use ferrotrace_core::model::{write_trace_dict, Location, Trace, TraceDict};
use ferrotrace_core::store::{decode_records, encode_record, RecordStream};

/// Hands out at most `step` bytes per read, so records are cut at every place.
struct Trickle<'a>(&'a [u8], usize);

impl Read for Trickle<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = self.1.min(out.len()).min(self.0.len());
        out[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

/// Panics on what the target looks for.
pub fn check(data: &[u8]) {
    let Some((&knob, bytes)) = data.split_first() else {
        return;
    };
    let step = 1 + usize::from(knob & 0x3f) * 7;
    let cut = if knob & 0x80 != 0 {
        bytes.len() / 2
    } else {
        bytes.len()
    };
    let bytes = &bytes[..cut];

    let (records, damage) = decode_records(bytes);
    for r in &records {
        // A record is a checksummed payload that ends a line of the input. (Not necessarily
        // byte for byte what the writer frames: the reader also takes `+2` or upper-case hex.)
        assert!(bytes
            .windows(r.len() + 1)
            .any(|w| &w[..r.len()] == *r && w[r.len()] == b'\n'));
        let framed = encode_record(r);
        assert_eq!(decode_records(&framed).0, vec![*r]);
    }
    let (mut streamed, mut streamed_damage) = (Vec::new(), Vec::new());
    let limit = (knob & 0x40 != 0).then_some(bytes.len() as u64);
    RecordStream::new(Trickle(bytes, step), limit)
        .for_each(|r| streamed.push(r.to_vec()), |d| streamed_damage.push(d))
        .unwrap();
    assert_eq!(
        streamed,
        records.iter().map(|r| r.to_vec()).collect::<Vec<_>>()
    );
    assert_eq!(streamed_damage, damage);

    for r in records {
        let Ok(dict) = serde_json::from_slice::<TraceDict>(r) else {
            continue;
        };
        let _ = dict.name();
        let _ = ferrotrace_core::store::render_tree(&dict);
        let _ = ferrotrace_core::store::render_list(std::slice::from_ref(&dict));
        if let Ok(trace) = Trace::try_from(&dict) {
            let mut out = Vec::new();
            write_trace_dict(&mut out, &trace, Location::of(&trace));
            serde_json::from_slice::<serde_json::Value>(&out).expect("the writer writes JSON");
        }
    }
}
