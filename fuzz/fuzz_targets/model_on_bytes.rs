//! The model never panics, whatever the bytes.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| lockstep::fuzzing::model_on_bytes(data));
