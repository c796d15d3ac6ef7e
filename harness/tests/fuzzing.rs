//! Seeded smoke tests of the fuzz targets' library functions (the targets
//! in `fuzz/` are glue over them), bounded by case count.

use arbitrary::Unstructured;

/// Deterministic bytes for case `seed`: the campaign's own case bytes.
fn bytes(seed: u64, len: usize) -> Vec<u8> {
    lockstep::campaign::case_bytes(seed, 0, len)
}

#[test]
fn model_on_bytes_survives_generated_and_mutated_modules() {
    let mut config = wasm_smith::Config::default();
    config.simd_enabled = false;
    config.relaxed_simd_enabled = false;
    config.threads_enabled = false;
    config.tail_call_enabled = false;
    config.exceptions_enabled = false;
    config.gc_enabled = false;
    config.memory64_enabled = false;
    config.max_memories = 1;
    config.max_imports = 0;
    config.canonicalize_nans = true;
    let mut ran = 0;
    for seed in 0..300u64 {
        let data = bytes(seed, 2048);
        let Ok(module) = wasm_smith::Module::new(config.clone(), &mut Unstructured::new(&data)) else { continue };
        let mut wasm = module.to_bytes();
        lockstep::fuzzing::model_on_bytes(&wasm);
        // And a few flipped bytes of it.
        let flips = bytes(seed ^ 0xdead, 8);
        for pair in flips.chunks(2) {
            let at = (pair[0] as usize * wasm.len() / 256).min(wasm.len() - 1);
            wasm[at] ^= pair[1] | 1;
        }
        lockstep::fuzzing::model_on_bytes(&wasm);
        ran += 1;
    }
    assert!(ran > 250, "only {ran} modules generated");
}

#[test]
fn model_on_bytes_survives_raw_bytes() {
    for seed in 0..500u64 {
        let mut data = b"\0asm\x01\0\0\0".to_vec();
        data.extend(bytes(seed, (seed % 200) as usize));
        lockstep::fuzzing::model_on_bytes(&data);
    }
}

#[test]
fn lockstep_targets_agree_on_seeded_inputs() {
    for seed in 0..6u64 {
        lockstep::fuzzing::lockstep_scenario(&bytes(seed, 4096));
        lockstep::fuzzing::lockstep_pair(&bytes(seed ^ 0x5eed, 4096));
    }
}
