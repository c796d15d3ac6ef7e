//! The model's soundness properties and store invariants hold at every step
//! of generated linking scenarios, wasm-smith pairs, the corpus and the
//! official `wasm-v2` scripts. With `check_invariants`, the model checks its
//! own configurations (`model::exec::typing`, Appendix A.5): *preservation*
//! (the configuration each run starts from, and the one after every step, is
//! well-typed: the store, and every frame's locals, labels and operands
//! against the validation algorithm's types at its `pc`), *progress* (`step`
//! returns from each of them without a model bug), and across every step the
//! store only grows, tables and memories never shrink
//! (`model::exec::invariants`). A failure panics as a model bug. Bounded by
//! case count.

use lockstep::engine::model::ModelEngine;
use lockstep::r#gen;
use lockstep::limits::Limits;
use lockstep::wast::ScriptReport;
use proptest::prelude::*;
use proptest::test_runner::{FileFailurePersistence, RngSeed};

/// Runs `text` on the model with its invariants checked at every step. A
/// broken property panics inside; every directive must be reached; and with
/// `checks_hold`, every check the script makes must hold in the model
/// (scenarios and the corpus state what the model must do: a failure is a
/// generator or a model bug; wasm-smith pairs invoke code that may trap).
fn run(name: &str, text: &str, checks_hold: bool) -> ScriptReport {
    let mut model = ModelEngine::new(Limits::default());
    model.check_invariants();
    let r = lockstep::wast::run_script(name, text, vec![Box::new(model)]);
    assert!(r.not_reached.is_empty(), "{name}: not reached {:?}\n{text}", r.not_reached);
    assert!(!checks_hold || r.failed.is_empty(), "{name}: failed {:?}\n{text}", r.failed);
    r
}

/// Proptest, as `tests/gen.rs` does: a fixed seed and a case count, so CI
/// is deterministic; a failure shrinks its input bytes and is kept in
/// `proptest-regressions/invariants.txt` (commit it with the fix).
fn proptest_config() -> ProptestConfig {
    ProptestConfig {
        cases: 40,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct("proptest-regressions/invariants.txt"))),
        rng_seed: RngSeed::Fixed(0x1a5_7e90),
        max_shrink_iters: 512,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(proptest_config())]

    #[test]
    fn invariants_hold_over_generated_scenarios(data in proptest::collection::vec(any::<u8>(), 256..4096)) {
        let mut u = arbitrary::Unstructured::new(&data);
        let cfg = r#gen::Config::swarm(&mut u).expect("any input is a configuration");
        run("case.wast", &r#gen::scenario(&mut u, &cfg).expect("the generator takes any input").to_wast(), true);
    }

    #[test]
    fn invariants_hold_over_smith_pairs(data in proptest::collection::vec(any::<u8>(), 256..4096)) {
        let mut u = arbitrary::Unstructured::new(&data);
        let pair = r#gen::smith_pair(&mut u, &r#gen::PairConfig::default()).expect("wasm-smith takes any input");
        run("case.wast", &pair.to_wast(), false);
    }
}

#[test]
fn invariants_hold_over_the_corpus() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/scenarios");
    for script in lockstep::scripts::resolve(dir).unwrap() {
        run(&script.name, &script.text, true);
    }
}

/// Every official `wasm-v2` script, with the checks on, gives the same
/// verdicts as `tests/spec.rs` without them: every check passes. Ignored by
/// default: its 18 million checked steps take about 75 s in a debug build and
/// 7 s in a release build (`cargo test --release -p lockstep --test
/// invariants -- --include-ignored`).
#[test]
#[ignore = "18 million checked steps: run with --release"]
fn invariants_hold_over_the_official_suite() {
    let scripts = lockstep::scripts::resolve("spec:wasm-v2").expect("the pinned suite has wasm-v2");
    for script in &scripts {
        let r = run(&script.name, &script.text, true);
        assert!(r.skipped.is_empty(), "{}: {:?}", script.name, r.skipped);
        // Every directive counted once: passed, or decided by the text format.
        let directives = lockstep::wast::count_directives(&script.text).expect("the suite parses");
        assert_eq!(r.passed + r.by_text.len(), directives, "{}", script.name);
    }
}
