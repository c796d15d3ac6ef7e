//! The model's store invariants hold after every step of generated linking
//! scenarios and wasm-smith pairs (`model::exec::invariants`: the store only
//! grows, tables and memories never shrink, every funcref points to an
//! allocated function). Bounded by case count.

use lockstep::engine::model::ModelEngine;
use lockstep::r#gen;
use lockstep::limits::Limits;

fn run(text: &str) {
    let mut model = ModelEngine::new(Limits::default());
    model.check_invariants();
    // A broken invariant panics inside; the checks themselves are the generators' business.
    lockstep::wast::run_script("case.wast", text, vec![Box::new(model)]);
}

#[test]
fn invariants_hold_over_generated_scenarios_and_pairs() {
    for seed in 0..40u64 {
        let data = lockstep::campaign::case_bytes(seed, 0, 4096);
        let mut u = arbitrary::Unstructured::new(&data);
        let cfg = r#gen::Config::swarm(&mut u).unwrap();
        run(&r#gen::scenario(&mut u, &cfg).unwrap().to_wast());
        let data = lockstep::campaign::case_bytes(seed, 1, 4096);
        let mut u = arbitrary::Unstructured::new(&data);
        run(&r#gen::smith_pair(&mut u, &r#gen::PairConfig::default()).unwrap().to_wast());
    }
}

#[test]
fn invariants_hold_over_the_corpus() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/scenarios");
    for script in lockstep::scripts::resolve(dir).unwrap() {
        run(&script.text);
    }
}
