//! Execution through the embedder API: depth without host recursion, host
//! functions that re-enter the store mid-call, and what a failed
//! instantiation leaves behind.

use std::rc::Rc;

use model::embed::{self, ExternVal, Store, ValidModule};
use model::runtime::{FuncAddr, ModuleAddr, Ref, Value};
use model::syntax::{FuncType, ValType};
use model::{Error, ExhaustionKind, TrapKind};

fn compile(wat: &str) -> ValidModule {
    let bytes = wat::parse_str(wat).expect("test module parses");
    let module = embed::module_decode(&bytes).expect("test module decodes");
    embed::module_validate(module).expect("test module validates")
}

fn instantiate(store: &mut Store, wat: &str, imports: &[ExternVal]) -> ModuleAddr {
    embed::module_instantiate(store, &compile(wat), imports).expect("test module instantiates")
}

fn func(store: &Store, inst: ModuleAddr, name: &str) -> FuncAddr {
    match embed::instance_export(store, inst, name) {
        Some(ExternVal::Func(f)) => f,
        other => panic!("export {name} is {other:?}"),
    }
}

fn export(store: &Store, inst: ModuleAddr, name: &str) -> ExternVal {
    embed::instance_export(store, inst, name).unwrap_or_else(|| panic!("no export {name}"))
}

/// Runs `f` on a thread with a small host stack, so that any host recursion
/// proportional to wasm depth would overflow it.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new().stack_size(256 * 1024).spawn(f).unwrap().join().unwrap()
}

fn nested_blocks(depth: usize) -> Vec<u8> {
    // (func (result i32) block block ... i32.const 7 end end ...)
    let mut body = Vec::new();
    body.push(0x00); // no locals
    for _ in 0..depth {
        body.extend([0x02, 0x7f]); // block (result i32)
    }
    body.extend([0x41, 0x07]); // i32.const 7
    for _ in 0..depth {
        body.push(0x0b);
    }
    body.push(0x0b);
    let mut module = wasm_encoder::Module::new();
    let mut types = wasm_encoder::TypeSection::new();
    types.ty().function([], [wasm_encoder::ValType::I32]);
    module.section(&types);
    let mut funcs = wasm_encoder::FunctionSection::new();
    funcs.function(0);
    module.section(&funcs);
    let mut exports = wasm_encoder::ExportSection::new();
    exports.export("f", wasm_encoder::ExportKind::Func, 0);
    module.section(&exports);
    let mut code = wasm_encoder::CodeSection::new();
    code.raw(&body);
    module.section(&code);
    module.finish()
}

#[test]
fn hundred_thousand_nested_blocks_decode_validate_and_run() {
    let result = on_small_stack(|| {
        let bytes = nested_blocks(100_000);
        let module = embed::module_validate(embed::module_decode(&bytes).unwrap()).unwrap();
        let mut store = embed::store_init();
        let inst = embed::module_instantiate(&mut store, &module, &[]).unwrap();
        let f = func(&store, inst, "f");
        embed::func_invoke(&mut store, f, &[])
    });
    assert_eq!(result, Ok(vec![Value::I32(7)]));
}

const COUNTDOWN: &str = r#"
    (module
      (func $down (export "down") (param i32) (result i32)
        (if (result i32) (i32.eqz (local.get 0))
          (then (i32.const 0))
          (else (i32.add (i32.const 1) (call $down (i32.sub (local.get 0) (i32.const 1))))))))
"#;

#[test]
fn hundred_thousand_deep_recursion_is_exhaustion_under_the_default_policy() {
    let result = on_small_stack(|| {
        let mut store = embed::store_init();
        let inst = instantiate(&mut store, COUNTDOWN, &[]);
        let f = func(&store, inst, "down");
        embed::func_invoke(&mut store, f, &[Value::I32(100_000)])
    });
    assert_eq!(result, Err(Error::Exhaustion(ExhaustionKind::CallDepth)));
}

#[test]
fn hundred_thousand_deep_recursion_returns_when_the_policy_allows_it() {
    let result = on_small_stack(|| {
        let mut store = embed::store_init();
        store.policy.max_call_depth = 200_000;
        let inst = instantiate(&mut store, COUNTDOWN, &[]);
        let f = func(&store, inst, "down");
        embed::func_invoke(&mut store, f, &[Value::I32(100_000)])
    });
    assert_eq!(result, Ok(vec![Value::I32(100_000)]));
}

#[test]
fn an_infinite_loop_ends_in_step_exhaustion() {
    let mut store = embed::store_init();
    store.policy.max_steps = 10_000;
    let inst = instantiate(&mut store, r#"(module (func (export "spin") (loop (br 0))))"#, &[]);
    let f = func(&store, inst, "spin");
    assert_eq!(embed::func_invoke(&mut store, f, &[]), Err(Error::Exhaustion(ExhaustionKind::Steps)));
}

const MAIN: &str = r#"
    (module
      (import "host" "dlopen" (func $dlopen (result i32)))
      (type $ii (func (param i32) (result i32)))
      (table (export "table") 1 funcref)
      (memory (export "memory") 1)
      ;; dlopen instantiates a side module, which appends its function to
      ;; this table; call it through the slot that dlopen returned.
      (func (export "load_and_call") (param i32) (result i32)
        (call_indirect (type $ii) (local.get 0) (call $dlopen))))
"#;

const SIDE: &str = r#"
    (module
      (import "env" "table" (table 1 funcref))
      (import "env" "memory" (memory 1))
      (func $triple (param i32) (result i32) (i32.mul (local.get 0) (i32.const 3)))
      ;; The patch: grow the table by one slot, put $triple there, and record
      ;; the slot in memory (as a JIT's late-linking patch does).
      (func $patch
        (i32.store (i32.const 0) (table.grow (ref.func $triple) (i32.const 1))))
      (elem declare func $triple)
      (start $patch))
"#;

#[test]
fn a_host_function_instantiates_a_module_while_wasm_is_running() {
    let mut store = embed::store_init();
    let side = compile(SIDE);
    let main_cell: Rc<std::cell::Cell<Option<ModuleAddr>>> = Rc::default();
    let main_for_host = main_cell.clone();
    let dlopen = embed::func_alloc(
        &mut store,
        FuncType { params: vec![], results: vec![ValType::I32] },
        "dlopen",
        Rc::new(move |store: &mut Store, _caller, _args: &[Value]| {
            let main = main_for_host.get().expect("main is instantiated");
            let imports = [export(store, main, "table"), export(store, main, "memory")];
            embed::module_instantiate(store, &side, &imports)?;
            // The slot index the patch stored at address 0.
            let ExternVal::Mem(mem) = export(store, main, "memory") else { unreachable!() };
            let bytes: Vec<u8> = (0..4).map(|i| embed::mem_read(store, mem, i).unwrap()).collect();
            Ok(vec![Value::I32(u32::from_le_bytes(bytes.try_into().unwrap()))])
        }),
    );
    let main = instantiate(&mut store, MAIN, &[ExternVal::Func(dlopen)]);
    main_cell.set(Some(main));
    let f = func(&store, main, "load_and_call");
    assert_eq!(embed::func_invoke(&mut store, f, &[Value::I32(14)]), Ok(vec![Value::I32(42)]));

    // The shared table grew once, and slot 1 holds the side module's function.
    let ExternVal::Table(table) = export(&store, main, "table") else { unreachable!() };
    assert_eq!(embed::table_size(&store, table), 2);
    assert!(matches!(embed::table_read(&store, table, 1), Some(Ref::Func(_))));
    // A second load appends again.
    assert_eq!(embed::func_invoke(&mut store, f, &[Value::I32(5)]), Ok(vec![Value::I32(15)]));
    assert_eq!(embed::table_size(&store, table), 3);
}

#[test]
fn a_trap_in_a_host_call_propagates_through_the_wasm_caller() {
    let mut store = embed::store_init();
    let trap = embed::func_alloc(
        &mut store,
        FuncType { params: vec![], results: vec![ValType::I32] },
        "dlopen",
        Rc::new(|_: &mut Store, _, _: &[Value]| Err(Error::Trap(TrapKind::Host))),
    );
    let main = instantiate(&mut store, MAIN, &[ExternVal::Func(trap)]);
    let f = func(&store, main, "load_and_call");
    assert_eq!(embed::func_invoke(&mut store, f, &[Value::I32(1)]), Err(Error::Trap(TrapKind::Host)));
}

/// §4.5.4: the element segment writes into the imported table; the data
/// segment is then out of bounds and instantiation traps; the slot stays
/// written, and its function still reaches its own instance's global.
#[test]
fn a_failed_instantiation_leaves_its_table_writes_and_they_stay_callable() {
    let mut store = embed::store_init();
    let main = instantiate(
        &mut store,
        r#"(module
             (type $v_i (func (result i32)))
             (table (export "table") 2 funcref)
             (memory (export "memory") 1)
             (func (export "call_slot") (param i32) (result i32)
               (call_indirect (type $v_i) (local.get 0))))"#,
        &[],
    );
    let side = compile(
        r#"(module
             (import "env" "table" (table 2 funcref))
             (import "env" "memory" (memory 1))
             (global $g (mut i32) (i32.const 41))
             (func $bump (result i32)
               (global.set $g (i32.add (global.get $g) (i32.const 1)))
               (global.get $g))
             (elem (i32.const 1) $bump)
             (data (i32.const 65535) "too long"))"#,
    );
    let imports = [export(&store, main, "table"), export(&store, main, "memory")];
    let modules_before = store.modules.len();
    let result = embed::module_instantiate(&mut store, &side, &imports);
    assert_eq!(result, Err(Error::Trap(TrapKind::OutOfBoundsMemoryAccess)));
    // The instance exists (never returned) and its function sits in slot 1.
    assert_eq!(store.modules.len(), modules_before + 1);
    let f = func(&store, main, "call_slot");
    assert_eq!(embed::func_invoke(&mut store, f, &[Value::I32(1)]), Ok(vec![Value::I32(42)]));
    assert_eq!(embed::func_invoke(&mut store, f, &[Value::I32(1)]), Ok(vec![Value::I32(43)]));
    // Slot 0 was never written.
    assert_eq!(embed::func_invoke(&mut store, f, &[Value::I32(0)]), Err(Error::Trap(TrapKind::UninitializedElement)));
}

/// §4.5.3: a table that has grown past an importer's declared minimum
/// matches; a declared maximum the table does not have does not.
#[test]
fn import_matching_uses_the_current_size() {
    let mut store = embed::store_init();
    let main = instantiate(&mut store, r#"(module (table (export "t") 1 funcref))"#, &[]);
    let t = export(&store, main, "t");
    let importer = compile(r#"(module (import "env" "t" (table 3 funcref)))"#);
    assert!(matches!(embed::module_instantiate(&mut store, &importer, &[t]), Err(Error::Link(_))));
    let ExternVal::Table(ta) = t else { unreachable!() };
    assert_eq!(embed::table_grow(&mut store, ta, 2, Ref::Null(model::syntax::RefType::FuncRef)), Some(1));
    assert!(embed::module_instantiate(&mut store, &importer, &[t]).is_ok());
    let bounded = compile(r#"(module (import "env" "t" (table 3 10 funcref)))"#);
    assert!(matches!(embed::module_instantiate(&mut store, &bounded, &[t]), Err(Error::Link(_))));
}

/// The invariant checker can fail: a table that shrinks is a model bug.
#[test]
#[should_panic(expected = "model bug: table 0 shrank from 2 to 1")]
fn a_shrinking_table_breaks_an_invariant() {
    let mut store = embed::store_init();
    let ty = model::syntax::TableType {
        limits: model::syntax::Limits { min: 2, max: None },
        elem: model::syntax::RefType::FuncRef,
    };
    let t = embed::table_alloc(&mut store, ty, Ref::Null(model::syntax::RefType::FuncRef));
    let before = model::exec::invariants::Shape::of(&store);
    store[t].elem.pop();
    model::exec::invariants::check(&before, &store);
}
