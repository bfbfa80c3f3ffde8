//! cargo fuzz target: see checks/json_writer.rs.
#![no_main]

include!("../checks/json_writer.rs");

libfuzzer_sys::fuzz_target!(|data: &[u8]| check(data));
