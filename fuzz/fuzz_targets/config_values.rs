//! cargo fuzz target: see checks/config_values.rs.
#![no_main]

include!("../checks/config_values.rs");

libfuzzer_sys::fuzz_target!(|data: &[u8]| check(data));
