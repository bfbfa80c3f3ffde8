//! The fuzz targets' checks (fuzz/checks/, run by `make fuzz`) over their committed corpora and
//! over every input a fuzzer ever crashed on (fuzz/regressions/<target>/), so what a fuzzer
//! found stays fixed in a plain `cargo test`.

use std::path::Path;

mod traceparent {
    include!("../../fuzz/checks/traceparent.rs");
}
mod config_values {
    include!("../../fuzz/checks/config_values.rs");
}
mod segment_reader {
    include!("../../fuzz/checks/segment_reader.rs");
}
mod json_writer {
    include!("../../fuzz/checks/json_writer.rs");
}

/// Runs `check` on every file of the target's corpus and regressions; returns how many.
fn replay(target: &str, check: fn(&[u8])) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut n = 0;
    for dir in [
        root.join("corpus").join(target),
        root.join("regressions").join(target),
    ] {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries {
            let path = e.unwrap().path();
            let data = std::fs::read(&path).unwrap();
            let outcome = std::panic::catch_unwind(|| check(&data));
            assert!(outcome.is_ok(), "{} fails its check", path.display());
            n += 1;
        }
    }
    n
}

#[test]
fn traceparent_inputs() {
    assert!(replay("traceparent", traceparent::check) > 0);
}

#[test]
fn config_inputs() {
    assert!(replay("config_values", config_values::check) > 0);
}

#[test]
fn segment_inputs() {
    assert!(replay("segment_reader", segment_reader::check) > 0);
}

#[test]
fn json_writer_inputs() {
    assert!(replay("json_writer", json_writer::check) > 0);
}
