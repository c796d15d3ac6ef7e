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
