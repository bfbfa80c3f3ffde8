//! cargo fuzz target: see checks/segment_reader.rs.
#![no_main]

include!("../checks/segment_reader.rs");

libfuzzer_sys::fuzz_target!(|data: &[u8]| check(data));
