//! What the fuzz targets run: each target in `fuzz/` is a few lines of glue
//! over one of these functions, and each has a seeded smoke test in
//! `cargo test`, so a target that rots is noticed without a fuzzer.

use model::embed::{self, ExternVal};
use model::runtime::Value;

/// The model never panics on any bytes: decode, validate, instantiate (if
/// the module needs no imports) and invoke every exported function with
/// zero arguments, under small budgets. A panic is a model bug.
pub fn model_on_bytes(data: &[u8]) {
    let Ok(module) = embed::module_decode(data) else { return };
    let Ok(module) = embed::module_validate(module) else { return };
    if !module.module().imports.is_empty() {
        return;
    }
    let mut store = embed::store_init();
    store.policy.max_steps = 100_000;
    store.policy.max_call_depth = 1_000;
    store.policy.max_memory_pages = 64;
    store.policy.max_table_elems = 10_000;
    let Ok(inst) = embed::module_instantiate(&mut store, &module, &[]) else { return };
    let exports: Vec<ExternVal> = store[inst].exports.iter().map(|e| e.value).collect();
    for export in exports {
        if let ExternVal::Func(f) = export {
            let args: Vec<Value> = embed::func_type(&store, f).params.iter().map(|&t| Value::default_of(t)).collect();
            let _ = embed::func_invoke(&mut store, f, &args);
        }
    }
}

/// The known findings, read once per process.
static KNOWN: std::sync::OnceLock<crate::report::Known> = std::sync::OnceLock::new();

/// Lockstep over a generated linking scenario: the model and wasmtime in
/// this process. A divergence panics, with the script as `.wast`: that is
/// the finding libFuzzer saves. (wasmi runs in `lockstep fuzz` campaigns,
/// isolated in workers: in-process, its known crash would stop the fuzzer.)
pub fn lockstep_scenario(data: &[u8]) {
    let mut u = arbitrary::Unstructured::new(data);
    let Ok(cfg) = crate::r#gen::Config::swarm(&mut u) else { return };
    let Ok(scenario) = crate::r#gen::scenario(&mut u, &cfg) else { return };
    check(&scenario.to_wast());
}

/// Lockstep over a wasm-smith main/side pair, as [`lockstep_scenario`].
pub fn lockstep_pair(data: &[u8]) {
    let mut u = arbitrary::Unstructured::new(data);
    let Ok(scenario) = crate::r#gen::smith_pair(&mut u, &crate::r#gen::PairConfig::default()) else { return };
    check(&scenario.to_wast());
}

/// The model and `wasmtime-quick`: compiling is most of a case's time, as
/// in `lockstep fuzz` (see [`crate::engine::wasmtime::Compiler`]).
fn check(text: &str) {
    let limits = crate::limits::Limits::default();
    let engines = ["model", "wasmtime-quick"].iter().map(|e| crate::engine::make(e, limits).expect("engine")).collect();
    let report = crate::wast::run_script("case.wast", text, engines);
    // A known engine bug is excused by its signature, and only by it.
    let known = KNOWN.get_or_init(|| crate::report::Known::load(crate::report::DEFAULT_KNOWN).unwrap_or_default());
    if let Some(d) = report.divergences.iter().find(|d| known.finding_by_signature(d).is_none()) {
        panic!("divergence at line {} ({}):\n{}\n{text}", d.line, d.engine, d.what(&report.engines[0]));
    }
}
