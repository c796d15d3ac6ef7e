//! Execution through the embedder API: depth without host recursion, host
//! functions that re-enter the store mid-call, and what a failed
//! instantiation leaves behind; the soundness checks (preservation and
//! progress, `model::exec::typing`) hold along runs and can fail.

use std::rc::Rc;

use model::embed::{self, ExternVal, Store, ValidModule};
use model::exec::typing::{self, TypeCache};
use model::exec::{Label, Thread};
use model::runtime::{FuncAddr, ModuleAddr, Ref, Value};
use model::syntax::{FuncType, GlobalType, Limits, MemType, Mut, RefType, TableType, ValType};
use model::{Error, ExhaustionKind, LinkError, Place, TrapKind};

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
fn a_trace_keeps_at_most_its_limit_and_counts_the_rest() {
    let mut store = embed::store_init();
    store.policy.max_steps = 10_000;
    store.trace = Some(model::exec::Trace::new(1_000));
    let inst = instantiate(&mut store, r#"(module (func (export "spin") (loop (br 0))))"#, &[]);
    let f = func(&store, inst, "spin");
    assert_eq!(embed::func_invoke(&mut store, f, &[]), Err(Error::Exhaustion(ExhaustionKind::Steps)));
    let trace = store.trace.as_ref().unwrap();
    assert_eq!(trace.steps.len(), 1_000);
    assert!(trace.dropped >= 9_000 - 1_000, "{}", trace.dropped);
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

/// `MAIN` in `store`, with a `dlopen` host function that instantiates
/// `SIDE` against main's table and memory while wasm runs, and returns the
/// slot the side's patch stored at address 0.
fn main_with_dlopen(store: &mut Store) -> ModuleAddr {
    let side = compile(SIDE);
    let main_cell: Rc<std::cell::Cell<Option<ModuleAddr>>> = Rc::default();
    let main_for_host = main_cell.clone();
    let dlopen = embed::func_alloc(
        store,
        FuncType { params: vec![], results: vec![ValType::I32] },
        "dlopen",
        Rc::new(move |store: &mut Store, _caller, _args: &[Value]| {
            let main = main_for_host.get().expect("main is instantiated");
            let imports = [export(store, main, "table"), export(store, main, "memory")];
            embed::module_instantiate(store, &side, &imports)?;
            let ExternVal::Mem(mem) = export(store, main, "memory") else { unreachable!() };
            let bytes: Vec<u8> = (0..4).map(|i| embed::mem_read(store, mem, i).unwrap()).collect();
            Ok(vec![Value::I32(u32::from_le_bytes(bytes.try_into().unwrap()))])
        }),
    );
    let main = instantiate(store, MAIN, &[ExternVal::Func(dlopen)]);
    main_cell.set(Some(main));
    main
}

#[test]
fn a_host_function_instantiates_a_module_while_wasm_is_running() {
    let mut store = embed::store_init();
    let main = main_with_dlopen(&mut store);
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
    assert_eq!(embed::table_grow(&mut store, ta, 2, Ref::Null(model::syntax::RefType::FuncRef)), Ok(Some(1)));
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

// ---------------------------------------------------------------------------
// The embedder API refuses what the spec refuses (Appendix A.1, §4.5.2), and
// allocation obeys the store's policy (§4.5.3, Appendix A.2): errors, never
// an abort, and no effect.

/// A table of `elem` with `n` null slots, allocated by the embedder.
fn host_table(store: &mut Store, n: u32, elem: RefType) -> model::runtime::TableAddr {
    let ty = TableType { limits: Limits { min: n, max: None }, elem };
    embed::table_alloc(store, ty, Ref::Null(elem))
}

/// Some function address to make a funcref of.
fn some_func(store: &mut Store) -> FuncAddr {
    let ty = FuncType { params: vec![], results: vec![] };
    embed::func_alloc(store, ty, "nothing", Rc::new(|_: &mut Store, _, _: &[Value]| Ok(vec![])))
}

fn link_error(e: LinkError) -> Result<(), Error> {
    Err(Error::Link(Box::new(e)))
}

#[test]
fn table_write_of_a_funcref_into_an_externref_table_is_an_error_and_writes_nothing() {
    let mut store = embed::store_init();
    let f = some_func(&mut store);
    let t = host_table(&mut store, 2, RefType::ExternRef);
    let refused = embed::table_write(&mut store, t, 1, Ref::Func(f));
    let expected =
        LinkError::ValueType { place: Place::Table(t), expected: ValType::EXTERNREF, found: ValType::FUNCREF };
    assert_eq!(refused, link_error(expected));
    assert_eq!(refused.unwrap_err().to_string(), format!("link error: table {} holds externref, not funcref", t.0));
    assert_eq!(embed::table_read(&store, t, 1), Some(Ref::Null(RefType::ExternRef)));
    // A null of the other type is refused as well; a reference of the right type is written.
    assert!(embed::table_write(&mut store, t, 1, Ref::Null(RefType::FuncRef)).is_err());
    assert_eq!(embed::table_write(&mut store, t, 1, Ref::Extern(7)), Ok(()));
    assert_eq!(embed::table_read(&store, t, 1), Some(Ref::Extern(7)));
}

#[test]
fn table_write_of_an_externref_into_a_funcref_table_is_an_error_and_writes_nothing() {
    let mut store = embed::store_init();
    let f = some_func(&mut store);
    let t = host_table(&mut store, 1, RefType::FuncRef);
    let expected =
        LinkError::ValueType { place: Place::Table(t), expected: ValType::FUNCREF, found: ValType::EXTERNREF };
    assert_eq!(embed::table_write(&mut store, t, 0, Ref::Extern(1)), link_error(expected));
    assert_eq!(embed::table_read(&store, t, 0), Some(Ref::Null(RefType::FuncRef)));
    assert_eq!(embed::table_write(&mut store, t, 0, Ref::Func(f)), Ok(()));
    assert_eq!(embed::table_read(&store, t, 0), Some(Ref::Func(f)));
}

/// A.1.8 `table_write` step 2: an index out of bounds is an error too.
#[test]
fn table_write_out_of_bounds_is_an_error() {
    let mut store = embed::store_init();
    let t = host_table(&mut store, 2, RefType::FuncRef);
    let refused = embed::table_write(&mut store, t, 2, Ref::Null(RefType::FuncRef));
    assert_eq!(refused, link_error(LinkError::OutOfBounds { place: Place::Table(t), index: 2, len: 2 }));
    assert_eq!(
        refused.unwrap_err().to_string(),
        format!("link error: index 2 is out of bounds of table {} (2 elements)", t.0)
    );
    assert_eq!(embed::table_size(&store, t), 2);
}

#[test]
fn table_grow_with_a_reference_of_the_other_type_is_an_error_and_grows_nothing() {
    let mut store = embed::store_init();
    let f = some_func(&mut store);
    let externs = host_table(&mut store, 1, RefType::ExternRef);
    let expected =
        LinkError::ValueType { place: Place::Table(externs), expected: ValType::EXTERNREF, found: ValType::FUNCREF };
    assert_eq!(embed::table_grow(&mut store, externs, 1, Ref::Func(f)), Err(Error::Link(Box::new(expected))));
    assert_eq!(embed::table_size(&store, externs), 1);
    assert_eq!(embed::table_grow(&mut store, externs, 1, Ref::Extern(3)), Ok(Some(1)));
    assert_eq!(embed::table_read(&store, externs, 1), Some(Ref::Extern(3)));

    let funcs = host_table(&mut store, 1, RefType::FuncRef);
    assert!(matches!(embed::table_grow(&mut store, funcs, 4, Ref::Extern(3)), Err(Error::Link(_))));
    assert!(matches!(embed::table_grow(&mut store, funcs, 4, Ref::Null(RefType::ExternRef)), Err(Error::Link(_))));
    assert_eq!(embed::table_size(&store, funcs), 1);
    assert_eq!(embed::table_grow(&mut store, funcs, 1, Ref::Func(f)), Ok(Some(1)));
    // Growth that fails (past the declared max) is not an error but `None` (§4.5.3.8).
    let bounded = embed::table_alloc(
        &mut store,
        TableType { limits: Limits { min: 1, max: Some(1) }, elem: RefType::FuncRef },
        Ref::Null(RefType::FuncRef),
    );
    assert_eq!(embed::table_grow(&mut store, bounded, 1, Ref::Func(f)), Ok(None));
}

/// The same refusal on a module's own exported table: a funcref does not go
/// into an externref table (what `lockstep.dlsym` asks of the model).
#[test]
fn a_modules_externref_table_refuses_a_function_from_the_embedder() {
    let mut store = embed::store_init();
    let main = instantiate(&mut store, r#"(module (table (export "table") 1 externref) (func (export "f")))"#, &[]);
    let (ExternVal::Table(t), f) = (export(&store, main, "table"), func(&store, main, "f")) else { unreachable!() };
    assert!(matches!(embed::table_grow(&mut store, t, 1, Ref::Func(f)), Err(Error::Link(_))));
    assert!(matches!(embed::table_write(&mut store, t, 0, Ref::Func(f)), Err(Error::Link(_))));
    assert_eq!(embed::table_size(&store, t), 1);
    assert_eq!(embed::table_read(&store, t, 0), Some(Ref::Null(RefType::ExternRef)));
}

#[test]
fn global_write_of_a_value_of_another_type_is_an_error_and_writes_nothing() {
    let mut store = embed::store_init();
    let g = embed::global_alloc(&mut store, GlobalType { mutability: Mut::Var, val: ValType::I32 }, Value::I32(1));
    let refused = embed::global_write(&mut store, g, Value::f64(2.0));
    let expected = LinkError::ValueType { place: Place::Global(g), expected: ValType::I32, found: ValType::F64 };
    assert_eq!(refused, link_error(expected));
    assert_eq!(refused.unwrap_err().to_string(), format!("link error: global {} holds i32, not f64", g.0));
    assert_eq!(embed::global_read(&store, g), Value::I32(1));
    assert_eq!(embed::global_write(&mut store, g, Value::I32(2)), Ok(()));
    assert_eq!(embed::global_read(&store, g), Value::I32(2));

    // A.1.10 step 3: an immutable global is refused whatever the value.
    let c = embed::global_alloc(&mut store, GlobalType { mutability: Mut::Const, val: ValType::I32 }, Value::I32(5));
    let refused = embed::global_write(&mut store, c, Value::I32(6));
    assert_eq!(refused, link_error(LinkError::Immutable(c)));
    assert_eq!(refused.unwrap_err().to_string(), format!("link error: global {} is immutable", c.0));
    assert_eq!(embed::global_read(&store, c), Value::I32(5));

    let r = embed::global_alloc(
        &mut store,
        GlobalType { mutability: Mut::Var, val: ValType::FUNCREF },
        Value::Ref(Ref::Null(RefType::FuncRef)),
    );
    assert!(embed::global_write(&mut store, r, Value::Ref(Ref::Extern(1))).is_err());
    assert_eq!(embed::global_read(&store, r), Value::Ref(Ref::Null(RefType::FuncRef)));
}

/// §4.5.5 steps 4–5: the arguments must be as many as the parameters, of
/// their types; the message names what is wrong without Rust's debug text.
#[test]
fn func_invoke_with_arguments_of_other_types_is_an_error() {
    let mut store = embed::store_init();
    let inst = instantiate(
        &mut store,
        r#"(module (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))"#,
        &[],
    );
    let add = func(&store, inst, "add");
    let refused = embed::func_invoke(&mut store, add, &[Value::I32(1), Value::f32(2.0)]);
    let expected = LinkError::ValueType { place: Place::Argument(1), expected: ValType::I32, found: ValType::F32 };
    assert_eq!(refused, Err(Error::Link(Box::new(expected))));
    assert_eq!(refused.unwrap_err().to_string(), "link error: argument 1 must be i32, not f32");
    let refused = embed::func_invoke(&mut store, add, &[Value::I32(1)]);
    assert_eq!(refused, Err(Error::Link(Box::new(LinkError::ArgumentCount { expected: 2, supplied: 1 }))));
    assert_eq!(refused.unwrap_err().to_string(), "link error: 1 arguments supplied for 2 parameters");
    assert_eq!(embed::func_invoke(&mut store, add, &[Value::I32(1), Value::I32(2)]), Ok(vec![Value::I32(3)]));
}

#[test]
fn mem_write_out_of_bounds_is_an_error() {
    let mut store = embed::store_init();
    let m = embed::mem_alloc(&mut store, MemType { limits: Limits { min: 1, max: None } });
    let refused = embed::mem_write(&mut store, m, 65536, 1);
    assert_eq!(refused, link_error(LinkError::OutOfBounds { place: Place::Memory(m), index: 65536, len: 65536 }));
    assert_eq!(embed::mem_write(&mut store, m, 65535, 1), Ok(()));
    assert_eq!(embed::mem_read(&store, m, 65535), Some(1));
}

#[test]
#[should_panic(expected = "embedder error: table_alloc: a table of externref cannot be filled with funcref")]
fn table_alloc_with_an_initial_value_of_the_other_type_breaks_its_precondition() {
    let mut store = embed::store_init();
    let f = some_func(&mut store);
    let ty = TableType { limits: Limits { min: 1, max: None }, elem: RefType::ExternRef };
    embed::table_alloc(&mut store, ty, Ref::Func(f));
}

/// A valid module whose table is larger than the policy allows is
/// `Exhaustion(TableSize)`, named with both sizes: the process survives, and
/// the store goes on.
#[test]
fn a_table_of_four_billion_slots_is_exhaustion_not_an_abort() {
    let mut store = embed::store_init();
    store.policy.max_table_elems = 100_000;
    let huge = compile(r#"(module (table 0xffffffff funcref))"#);
    let tables_before = store.tables.len();
    let result = embed::module_instantiate(&mut store, &huge, &[]);
    let exhausted = ExhaustionKind::TableSize { elems: u32::MAX, limit: 100_000 };
    assert_eq!(result, Err(Error::Exhaustion(exhausted)));
    assert_eq!(
        result.unwrap_err().to_string(),
        "exhaustion: a table of 4294967295 elements exceeds the limit of 100000 elements"
    );
    assert_eq!(store.tables.len(), tables_before, "the refused table is not allocated");
    // Under the default policy (10 million elements) too.
    let mut store = embed::store_init();
    assert!(matches!(
        embed::module_instantiate(&mut store, &huge, &[]),
        Err(Error::Exhaustion(ExhaustionKind::TableSize { elems: u32::MAX, .. }))
    ));
    // The store still works.
    let inst = instantiate(&mut store, r#"(module (table (export "t") 3 funcref))"#, &[]);
    let ExternVal::Table(t) = export(&store, inst, "t") else { unreachable!() };
    assert_eq!(embed::table_size(&store, t), 3);
}

#[test]
fn a_memory_beyond_the_policy_is_exhaustion_not_an_abort() {
    let mut store = embed::store_init();
    store.policy.max_memory_pages = 1024;
    let huge = compile(r#"(module (memory 65536))"#);
    let mems_before = store.mems.len();
    let result = embed::module_instantiate(&mut store, &huge, &[]);
    assert_eq!(result, Err(Error::Exhaustion(ExhaustionKind::MemorySize { pages: 65536, limit: 1024 })));
    assert_eq!(result.unwrap_err().to_string(), "exhaustion: a memory of 65536 pages exceeds the limit of 1024 pages");
    assert_eq!(store.mems.len(), mems_before);
    // At the limit exactly, the memory is allocated.
    let inst = instantiate(&mut store, r#"(module (memory (export "m") 1024))"#, &[]);
    let ExternVal::Mem(m) = export(&store, inst, "m") else { unreachable!() };
    assert_eq!(embed::mem_size(&store, m), 1024);
}

/// A refused allocation ends instantiation before anything runs: no element
/// segment, data segment or start function of the module takes effect on
/// the tables and memories it imports.
#[test]
fn a_refused_allocation_ends_instantiation_before_any_segment_or_start() {
    let mut store = embed::store_init();
    store.policy.max_table_elems = 10;
    let main = instantiate(
        &mut store,
        r#"(module (table (export "table") 1 funcref) (memory (export "memory") 1) (global (export "g") (mut i32) (i32.const 0)))"#,
        &[],
    );
    let side = compile(
        r#"(module
             (import "env" "table" (table 1 funcref))
             (import "env" "memory" (memory 1))
             (import "env" "g" (global $g (mut i32)))
             (table 11 funcref)
             (func $f)
             (elem (table 0) (i32.const 0) func $f)
             (data (memory 0) (i32.const 0) "x")
             (func $start (global.set $g (i32.const 1)))
             (start $start))"#,
    );
    let imports = [export(&store, main, "table"), export(&store, main, "memory"), export(&store, main, "g")];
    let result = embed::module_instantiate(&mut store, &side, &imports);
    assert_eq!(result, Err(Error::Exhaustion(ExhaustionKind::TableSize { elems: 11, limit: 10 })));
    let (ExternVal::Table(t), ExternVal::Mem(m), ExternVal::Global(g)) =
        (export(&store, main, "table"), export(&store, main, "memory"), export(&store, main, "g"))
    else {
        unreachable!()
    };
    assert_eq!(embed::table_read(&store, t, 0), Some(Ref::Null(RefType::FuncRef)));
    assert_eq!(embed::mem_read(&store, m, 0), Some(0));
    assert_eq!(embed::global_read(&store, g), Value::I32(0));
}

// ---------------------------------------------------------------------------
// Soundness: the typing judgement of configurations (`model::exec::typing`).

/// Control of every shape: blocks with parameters and several results,
/// loops with parameters, `if` with and without `else` (either arm taken),
/// `br_table`, `br_if`, `return` from inside blocks, direct, indirect and
/// recursive calls, references in locals, globals and tables.
const CONTROL: &str = r#"
    (module
      (type $ii (func (param i32) (result i32)))
      (type $pair (func (param i32) (result i32 i64)))
      (table 2 funcref)
      (global $g (mut funcref) (ref.null func))
      (global $n (mut i64) (i64.const 0))
      (elem (i32.const 0) $sq $fac)
      (func $sq (type $ii) (i32.mul (local.get 0) (local.get 0)))
      (func $fac (export "fac") (type $ii)
        (if (result i32) (i32.le_s (local.get 0) (i32.const 1))
          (then (i32.const 1))
          (else (i32.mul (local.get 0) (call $fac (i32.sub (local.get 0) (i32.const 1)))))))
      (func $split (type $pair) (local.get 0) (i64.extend_i32_u (local.get 0)))
      (func (export "run") (param $x i32) (result i32)
        (local $r funcref) (local $acc i32)
        (local.set $r (ref.func $sq))
        (global.set $g (local.get $r))
        ;; a loop with a parameter, counting down
        (local.get $x)
        (loop $l (param i32) (result i32)
          (local.set $acc (i32.add (local.get $acc) (call_indirect (type $ii) (local.get 0) (i32.const 0))))
          (i32.sub (i32.const 1))
          (local.tee 0)
          (br_if $l (local.get 0))
          (drop) (local.get $acc))
        ;; a block with a parameter and two results, left by br
        (block $b (param i32) (result i32 i64)
          (call $split)
          (br $b))
        (global.set $n)
        ;; br_table into nested blocks; the path through $zero returns early
        (block $z (result i32)
          (block $one (result i32)
            (block $zero (result i32)
              (i32.const 100)
              (br_table $zero $one $z (i32.rem_u (local.get $acc) (i32.const 3))))
            (i32.add (i32.const 1))
            (return (i32.add (call_indirect (type $ii) (i32.const 5) (i32.const 1)))))
          (i32.add (i32.const 2)))
        (i32.add)
        ;; if without else, the condition false: the parameter passes through
        (if (param i32) (result i32) (i32.const 0) (then (drop) (unreachable) (i32.const 7)))
        (i32.add (ref.is_null (global.get $g)))))
"#;

fn checked_store() -> Store {
    let mut store = embed::store_init();
    store.check_invariants = true;
    store
}

#[test]
fn well_typed_runs_keep_their_typing_at_every_step() {
    let mut store = checked_store();
    let inst = instantiate(&mut store, CONTROL, &[]);
    let fac = func(&store, inst, "fac");
    assert_eq!(embed::func_invoke(&mut store, fac, &[Value::I32(10)]), Ok(vec![Value::I32(3_628_800)]));
    let run = func(&store, inst, "run");
    // The sum of squares x..1, then `br_table` on it modulo 3: x = 4 takes
    // $zero and returns 100 + 1 + fac(5); x = 3 takes $z, x = 5 takes $one.
    assert_eq!(embed::func_invoke(&mut store, run, &[Value::I32(4)]), Ok(vec![Value::I32(221)]));
    assert_eq!(embed::func_invoke(&mut store, run, &[Value::I32(3)]), Ok(vec![Value::I32(14 + 100)]));
    assert_eq!(embed::func_invoke(&mut store, run, &[Value::I32(5)]), Ok(vec![Value::I32(55 + 100 + 2)]));
    let down = instantiate(&mut store, COUNTDOWN, &[]);
    let down = func(&store, down, "down");
    assert_eq!(embed::func_invoke(&mut store, down, &[Value::I32(50)]), Ok(vec![Value::I32(50)]));
}

#[test]
fn typing_holds_through_traps_reentry_and_failed_instantiation() {
    // Re-entry: the host instantiates a module (with a start function) while
    // the wasm caller is suspended in the call.
    let mut store = checked_store();
    let main = main_with_dlopen(&mut store);
    let f = func(&store, main, "load_and_call");
    assert_eq!(embed::func_invoke(&mut store, f, &[Value::I32(14)]), Ok(vec![Value::I32(42)]));

    // A trap ends the run; an instantiation that traps in its data segment.
    let traps = instantiate(
        &mut store,
        r#"(module (func (export "t") (result i32) (i32.div_u (i32.const 1) (i32.const 0))))"#,
        &[],
    );
    let t = func(&store, traps, "t");
    assert_eq!(embed::func_invoke(&mut store, t, &[]), Err(Error::Trap(TrapKind::IntegerDivideByZero)));
    let failing = compile(r#"(module (memory 1) (data (i32.const 65535) "too long"))"#);
    assert_eq!(
        embed::module_instantiate(&mut store, &failing, &[]),
        Err(Error::Trap(TrapKind::OutOfBoundsMemoryAccess))
    );
}

/// A thread about to run `run` of [`CONTROL`] with `x`, stepped `n` times.
fn control_thread(n: usize) -> (Store, Thread) {
    let mut store = embed::store_init();
    let inst = instantiate(&mut store, CONTROL, &[]);
    let run = func(&store, inst, "run");
    let (mut t, _) = model::exec::thread_invoke(&mut store, run, &[Value::I32(4)]).unwrap();
    for _ in 0..n {
        model::exec::step(&mut store, &mut t).unwrap();
    }
    (store, t)
}

#[test]
fn a_hand_built_configuration_is_well_typed_until_corrupted() {
    let mut cache = TypeCache::default();
    // Deep enough to be inside the loop, below an indirect call.
    for n in [0, 1, 5, 12, 20, 40] {
        let (store, t) = control_thread(n);
        typing::check_config(&store, &t, &mut cache);
    }
}

#[test]
#[should_panic(expected = "model bug: preservation: ")]
fn an_operand_of_the_wrong_type_is_ill_typed() {
    let (store, mut t) = control_thread(20);
    let top = t.stack.last_mut().expect("operands");
    *top = match *top {
        Value::I32(c) => Value::I64(c.into()),
        _ => Value::I32(0),
    };
    typing::check_config(&store, &t, &mut TypeCache::default());
}

#[test]
fn each_corruption_is_reported_with_what_differs() {
    let judge = |store: &Store, t: &Thread| typing::config(store, t, &mut TypeCache::default());
    let (store, t) = control_thread(3);
    assert_eq!(judge(&store, &t), Ok(()));

    // A local of the wrong type.
    let mut bad = t.clone();
    bad.stack[1] = Value::I32(0);
    let e = judge(&store, &bad).unwrap_err();
    assert!(e.contains("local 1 holds I32(0), expected funcref"), "{e}");

    // A dropped label.
    let mut bad = t.clone();
    bad.labels.pop();
    let e = judge(&store, &bad).unwrap_err();
    assert!(e.contains("labels, but") && e.contains("blocks are open here"), "{e}");

    // A label of the wrong arity.
    let mut bad = t.clone();
    let Label { arity, .. } = bad.labels.last_mut().unwrap();
    *arity += 1;
    assert!(judge(&store, &bad).unwrap_err().contains("label 0 is"));

    // An operand of the wrong type on top; an extra one; a missing one.
    let mut bad = t.clone();
    bad.stack.push(Value::I32(1));
    let e = judge(&store, &bad).unwrap_err();
    assert!(
        e.ends_with("func 3 at pc 3 (`global.set 0`): operand 1 (from the bottom) is I32(1), expected funcref"),
        "{e}"
    );
    let mut bad = t.clone();
    bad.stack.push(Value::Ref(Ref::Null(model::syntax::RefType::FuncRef)));
    let e = judge(&store, &bad).unwrap_err();
    assert!(e.ends_with("2 operands, expected 1"), "{e}");
    let mut bad = t.clone();
    bad.stack.pop();
    let e = judge(&store, &bad).unwrap_err();
    assert!(e.ends_with("0 operands, expected 1"), "{e}");

    // A function reference to nowhere.
    let mut bad = t.clone();
    bad.stack[1] = Value::Ref(Ref::Func(FuncAddr(999)));
    assert!(judge(&store, &bad).unwrap_err().contains("local 1 holds"));

    // A pc in dead code (the `i32.const 7` after the `unreachable` of the
    // last `if`, the `end` after `br $b`), and one on a `br_table` label.
    let frame = t.frames.last().unwrap();
    let code = frame.code.clone();
    let after_unreachable = code.iter().position(|i| *i == model::syntax::Instr::Unreachable).unwrap() + 1;
    let after_br = code.iter().position(|i| matches!(i, model::syntax::Instr::Br(_))).unwrap() + 1;
    assert_eq!(code[after_br], model::syntax::Instr::End);
    for dead in [after_unreachable, after_br] {
        let mut bad = t.clone();
        bad.frames.last_mut().unwrap().pc = dead as u32;
        assert!(judge(&store, &bad).unwrap_err().contains("unreachable code"));
    }
    let label = code.iter().position(|i| matches!(i, model::syntax::Instr::BrTableLabel(_))).unwrap();
    let mut bad = t.clone();
    bad.frames.last_mut().unwrap().pc = label as u32;
    assert!(judge(&store, &bad).unwrap_err().contains("pc is not at an instruction"));

    // No frame at all.
    let e = judge(&store, &Thread::default()).unwrap_err();
    assert!(e.contains("no frame"), "{e}");
}

#[test]
fn a_suspended_caller_must_be_just_past_its_call() {
    let judge = |store: &Store, t: &Thread| typing::config(store, t, &mut TypeCache::default());
    let mut store = embed::store_init();
    let inst = instantiate(&mut store, CONTROL, &[]);
    let fac = func(&store, inst, "fac");
    let (mut t, _) = model::exec::thread_invoke(&mut store, fac, &[Value::I32(3)]).unwrap();
    while t.frames.len() < 3 {
        model::exec::step(&mut store, &mut t).unwrap();
    }
    assert_eq!(judge(&store, &t), Ok(()));
    let mut bad = t.clone();
    bad.frames[1].pc -= 1;
    let e = judge(&store, &bad).unwrap_err();
    assert!(e.starts_with("frame 1 of 3, func") && e.contains("which does not call"), "{e}");
}

#[test]
fn the_store_is_typed_too() {
    let judge = |store: &Store, t: &Thread| typing::config(store, t, &mut TypeCache::default());
    let (mut store, t) = control_thread(3);
    store.globals[1].value = Value::I32(0);
    assert!(judge(&store, &t).unwrap_err().contains("global 1 of type i64 holds I32(0)"));
    let (mut store, t) = control_thread(3);
    store.tables[0].elem[0] = Ref::Null(model::syntax::RefType::ExternRef);
    assert!(judge(&store, &t).unwrap_err().contains("table 0 of funcref holds Null(ExternRef) at 0"));
    let (mut store, t) = control_thread(3);
    store.tables[0].elem.pop();
    assert!(judge(&store, &t).unwrap_err().contains("table 0 holds 1 elements"));
}

/// The run loop checks the configuration it starts from: a corrupted one is
/// a preservation failure of whatever built it.
#[test]
#[should_panic(expected = "model bug: preservation: the run starts from an ill-typed configuration: frame 0 of 1")]
fn a_run_from_an_ill_typed_configuration_fails_preservation() {
    let (mut store, mut t) = control_thread(3);
    t.labels.pop();
    store.check_invariants = true;
    let _ = model::exec::run(&mut store, &mut t);
}

/// A model bug inside a step from a well-typed configuration is a failure of
/// progress (here a host function plays the bug).
#[test]
#[should_panic(expected = "model bug: progress: the well-typed configuration at func")]
fn a_model_bug_inside_a_step_is_a_progress_failure() {
    let mut store = checked_store();
    let buggy = embed::func_alloc(
        &mut store,
        FuncType { params: vec![], results: vec![ValType::I32] },
        "buggy",
        Rc::new(|_: &mut Store, _, _: &[Value]| panic!("model bug: a host function standing in for one")),
    );
    let main = instantiate(&mut store, MAIN, &[ExternVal::Func(buggy)]);
    let f = func(&store, main, "load_and_call");
    let _ = embed::func_invoke(&mut store, f, &[Value::I32(1)]);
}
