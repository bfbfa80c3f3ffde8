use super::*;
use crate::store::{decode_records, encode_record};

/// A reader that hands out a few bytes at a time, to cut records everywhere.
struct Trickle<'a>(&'a [u8], usize);

impl Read for Trickle<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = self.1.min(out.len()).min(self.0.len());
        out[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

fn streamed(bytes: &[u8], step: usize, limit: bool) -> (Vec<Vec<u8>>, Vec<Damage>) {
    let (mut recs, mut dmg) = (Vec::new(), Vec::new());
    RecordStream::new(Trickle(bytes, step), limit.then_some(bytes.len() as u64))
        .for_each(|r| recs.push(r.to_vec()), |d| dmg.push(d))
        .unwrap();
    (recs, dmg)
}

#[test]
fn the_stream_finds_what_the_in_memory_reader_finds() {
    let big = "y".repeat(CHUNK + 1000);
    let seg = [
        encode_record(b"{\"a\": 1}"),
        b"\nnoise FT1 \n".to_vec(),
        encode_record(big.as_bytes()),
        b"FT1 18446744073709551615 00000000 {}\n".to_vec(),
        encode_record(b""),
        b"FT1 7 0000".to_vec(),
    ]
    .concat();
    for cut in [seg.len(), seg.len() - 3, 10, 0] {
        let bytes = &seg[..cut];
        let (want, want_dmg) = decode_records(bytes);
        for step in [1, 7, 4096, usize::MAX] {
            for limit in [true, false] {
                let (got, dmg) = streamed(bytes, step, limit);
                assert_eq!(got, want, "cut {cut} step {step}");
                assert_eq!(dmg, want_dmg, "cut {cut} step {step}");
            }
        }
    }
}
