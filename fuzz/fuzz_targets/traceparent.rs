//! cargo fuzz target: see checks/traceparent.rs.
#![no_main]

include!("../checks/traceparent.rs");

libfuzzer_sys::fuzz_target!(|data: &[u8]| check(data));
