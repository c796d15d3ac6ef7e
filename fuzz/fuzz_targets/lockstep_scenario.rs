//! Lockstep (model vs wasmtime) over generated input: a divergence is a crash.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| lockstep::fuzzing::lockstep_scenario(data));
