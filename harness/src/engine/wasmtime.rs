//! wasmtime 48 as an engine. It runs instrumented modules
//! ([`crate::instrument`]): a function read from a table is identified by
//! calling it with the probe on, and every table, memory and global of an
//! instance is read through its reserved exports.

use wasmtime::{
    AsContext, AsContextMut, Caller, Extern, ExternRef, Func, FuncType, Global, GlobalType, Instance, Memory,
    MemoryType, Module, Mutability, Ref, RefType, RootScope, Rooted, Store, Table, TableType, Trap, Val as WVal,
    ValType as WValType,
};

use super::book::{Book, ModuleInfo, Provenance, kind_index};
use super::{
    Engine, FuncLabel, HostCall, ImportRef, InstNum, Kind, ModuleCache, ModuleId, ObjectState, Observation, Origin,
    Outcome, Poison, Rejected, Scope, TrapKind, Val,
};
use crate::host::{self, LinkHost, LinkState};
use crate::instrument;
use crate::limits::{Growth, Limits};
use crate::spectest;

/// The wasm stack, in bytes. wasmtime bounds the stack by size, not by
/// frames: 1 MiB holds thousands of small frames, and stays under the 2 MiB
/// above which wasmtime wants its async stack raised too (DESIGN §6).
/// Exhaustion poisons, whichever engine's limit binds first.
const MAX_WASM_STACK: usize = 1 << 20;

/// Fuel on top of [`Limits::fuel`]: wasmtime charges `memory.copy`,
/// `memory.fill`, `memory.init`, `table.copy`, `table.fill` and `table.init`
/// for their whole requested length before checking bounds, and a length
/// can be up to 2^32 - 1. Such a request that is out of bounds traps, which
/// ends the run, so a run is charged at most once for work it never does;
/// this headroom pays for it (corpus/legitimate-differences.md).
const BULK_HEADROOM: u64 = u32::MAX as u64;

/// Fuel for one probe call: a probed function runs a handful of
/// instructions of its prologue, never its body.
const PROBE_FUEL: u64 = 1_000;

/// wasmtime, with its store and the bookkeeping that labels what it shows.
pub struct WasmtimeEngine {
    store: Store<Data>,
    compiler: Compiler,
    /// Compiled modules by content, shared with other engines: a
    /// `wasmtime::Module` belongs to the process's engine of its compiler
    /// ([`shared_engine`]), which every store of this compiler is made on.
    cache: ModuleCache,
}

struct Data {
    book: Book,
    modules: Vec<Module>,
    /// Each instance's handle; `None` when its instantiation failed.
    instances: Vec<Option<Instance>>,
    probe_on: Option<Global>,
    probe_id: Option<Global>,
    /// Host objects: `(module, name)` → value, with its provenance.
    host: Vec<(String, String, Extern, Provenance)>,
    /// Host function labels, by position (a probed host function reports -1 - position).
    host_labels: Vec<FuncLabel>,
    limiter: Growth,
    /// A poison (or an unclassified error) raised inside a host call, to
    /// report as the run's outcome once the call unwinds.
    stop: Option<Outcome>,
}

/// The shared growth limits ([`Growth`]) as wasmtime's limiter.
impl wasmtime::ResourceLimiter for Growth {
    fn memory_growing(&mut self, _: usize, desired: usize, max: Option<usize>) -> wasmtime::Result<bool> {
        Ok(self.memory(desired, max))
    }

    fn table_growing(&mut self, _: usize, desired: usize, max: Option<usize>) -> wasmtime::Result<bool> {
        // A table without a declared maximum arrives here with `u32::MAX`,
        // the most a Wasm 2.0 table can hold.
        Ok(self.table(desired, max))
    }

    fn instances(&self) -> usize {
        usize::MAX
    }
    fn tables(&self) -> usize {
        usize::MAX
    }
    fn memories(&self) -> usize {
        usize::MAX
    }
}

/// Wasm 2.0 without SIMD, as wasmtime's own wasmparser spells it.
fn wasm2() -> wasmtime_wasmparser::WasmFeatures {
    use wasmtime_wasmparser::WasmFeatures as F;
    F::WASM2.difference(F::SIMD)
}

/// How wasmtime compiles: one engine name each. Every variant runs the same
/// runtime (instantiation, tables, memories, the copy-on-write image, traps),
/// which is where linking semantics live; they differ in the code generator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compiler {
    /// `wasmtime`: Cranelift as wasmtime ships it (optimising, backtracking
    /// register allocation). The main job and CI run this one.
    Cranelift,
    /// `wasmtime-quick`: Cranelift without optimisation, with single-pass
    /// register allocation and no address map: what a campaign runs, where
    /// compiling every generated module is most of the cost (about 40% less
    /// compile time per case, measured by `lockstep fuzz`'s time table).
    Quick,
    /// `wasmtime-winch`: the Winch baseline compiler, a second tier to diff.
    /// wasmtime 48's Winch has no GC types, so no `externref`: a module with
    /// one is not supported (the run skips it, it is not a divergence).
    Winch,
}

impl Compiler {
    pub const ALL: [Compiler; 3] = [Compiler::Cranelift, Compiler::Quick, Compiler::Winch];

    pub fn name(self) -> &'static str {
        match self {
            Compiler::Cranelift => "wasmtime",
            Compiler::Quick => "wasmtime-quick",
            Compiler::Winch => "wasmtime-winch",
        }
    }
}

/// The one wasmtime engine of this process per [`Compiler`]. Creating an
/// engine is costly (it sets up the compiler and signal handling), and its
/// configuration does not depend on the script: every script gets a fresh
/// store on it.
fn shared_engine(compiler: Compiler) -> &'static wasmtime::Engine {
    static ENGINES: [std::sync::OnceLock<wasmtime::Engine>; 3] =
        [std::sync::OnceLock::new(), std::sync::OnceLock::new(), std::sync::OnceLock::new()];
    ENGINES[compiler as usize].get_or_init(|| {
        use wasmtime::WasmFeatures as F;
        let mut config = wasmtime::Config::new();
        // Wasm 2.0 without SIMD: what the model has. One mask turns off every
        // proposal past 2.0 (relaxed SIMD, threads, tail calls, multi-memory,
        // memory64, GC, function references, exceptions, extended const, wide
        // arithmetic, custom page sizes, stack switching, …), so that no new
        // wasmtime default slips in. Reference types stay, and with them the
        // `gc_types` pseudo-feature without which wasmtime refuses `externref`.
        config.wasm_features(F::all().difference(F::WASM2), false).wasm_simd(false);
        config.consume_fuel(true);
        // `table.grow` is charged per requested element even when it fails,
        // and a failed grow does not end the run: charge its flat cost only.
        // What a grow does is bounded by the limiter's cap.
        let mut cost = wasmtime::OperatorCost::new();
        cost.variable.table_grow_per_element = 0;
        config.operator_cost(cost);
        config.max_wasm_stack(MAX_WASM_STACK);
        // Externrefs live in a GC heap; this is the collector the build has.
        config.collector(wasmtime::Collector::DeferredReferenceCounting);
        // Traps are compared by class: no backtrace to capture for each.
        config.wasm_backtrace_max_frames(None);
        // `.eh_frame` is for outside unwinders (profilers), not wasmtime's
        // traps; registering it costs time linear in the modules alive
        // (libgcc's list), and the module cache keeps hundreds alive.
        config.native_unwind_info(false);
        match compiler {
            Compiler::Cranelift => {}
            Compiler::Quick => {
                config.cranelift_opt_level(wasmtime::OptLevel::None);
                config.cranelift_regalloc_algorithm(wasmtime::RegallocAlgorithm::SinglePass);
                // Maps code offsets to wasm offsets, for backtraces: none taken.
                config.generate_address_map(false);
            }
            Compiler::Winch => {
                config.strategy(wasmtime::Strategy::Winch);
            }
        }
        wasmtime::Engine::new(&config).expect("a valid wasmtime configuration")
    })
}

impl WasmtimeEngine {
    /// A fresh store that compiles every module afresh.
    pub fn new(limits: Limits, compiler: Compiler) -> WasmtimeEngine {
        Self::with_cache(limits, compiler, &ModuleCache::disabled())
    }

    /// A fresh store whose modules come from `cache` when it has them.
    ///
    /// Not an `InstancePre`: it binds imports once for many instantiations,
    /// but here every instantiation's imports are objects of its own store.
    pub fn with_cache(limits: Limits, compiler: Compiler, cache: &ModuleCache) -> WasmtimeEngine {
        let engine = shared_engine(compiler);
        let data = Data {
            book: Book::default(),
            modules: Vec::new(),
            instances: Vec::new(),
            probe_on: None,
            probe_id: None,
            host: Vec::new(),
            host_labels: Vec::new(),
            limiter: Growth::new(limits),
            stop: None,
        };
        let mut store = Store::new(engine, data);
        store.limiter(|d| &mut d.limiter);
        let on =
            Global::new(&mut store, GlobalType::new(WValType::I32, Mutability::Var), WVal::I32(0)).expect("probe flag");
        let id =
            Global::new(&mut store, GlobalType::new(WValType::I64, Mutability::Var), WVal::I64(0)).expect("probe id");
        store.data_mut().probe_on = Some(on);
        store.data_mut().probe_id = Some(id);
        let mut e = WasmtimeEngine { store, compiler, cache: cache.clone() };
        e.add_spectest();
        e.add_lockstep();
        e
    }

    fn add_host(&mut self, module: &str, name: &str, ext: Extern, provenance: Provenance) {
        self.store.data_mut().host.push((module.into(), name.into(), ext, provenance));
    }

    fn add_spectest(&mut self) {
        for (name, ty, v) in spectest::GLOBALS {
            let (ty, v) = (val_type(ty), from_value(v));
            let g = Global::new(&mut self.store, GlobalType::new(ty, Mutability::Const), v).expect("spectest global");
            let p = Provenance::Object(Kind::Global, Origin::Host(format!("spectest.{name}")));
            self.add_host("spectest", name, g.into(), p);
        }
        let ty = TableType::new(RefType::FUNCREF, spectest::TABLE.min, spectest::TABLE.max);
        let t = Table::new(&mut self.store, ty, Ref::Func(None)).expect("spectest table");
        self.add_host(
            "spectest",
            "table",
            t.into(),
            Provenance::Object(Kind::Table, Origin::Host("spectest.table".into())),
        );
        let m = Memory::new(&mut self.store, MemoryType::new(spectest::MEMORY.min, spectest::MEMORY.max))
            .expect("spectest memory");
        self.add_host(
            "spectest",
            "memory",
            m.into(),
            Provenance::Object(Kind::Memory, Origin::Host("spectest.memory".into())),
        );
        for (name, params) in spectest::PRINTS {
            let ty = FuncType::new(self.store.engine(), params.iter().map(|&t| val_type(t)), []);
            let label = self.host_label(format!("spectest.{name}"));
            let f = Func::new(&mut self.store, ty, move |caller: Caller<'_, Data>, _: &[WVal], _: &mut [WVal]| {
                let mut caller = caller;
                probed(&mut caller, label);
                Ok(())
            });
            self.add_host("spectest", name, f.into(), Provenance::Func(FuncLabel::Host(format!("spectest.{name}"))));
        }
    }

    fn add_lockstep(&mut self) {
        for &(name, arity) in host::FUNCS {
            let ty = FuncType::new(self.store.engine(), vec![WValType::I32; arity], [WValType::I32]);
            let full = format!("{}.{name}", host::MODULE);
            let label = self.host_label(full.clone());
            let f = Func::new(
                &mut self.store,
                ty,
                move |mut caller: Caller<'_, Data>, params: &[WVal], results: &mut [WVal]| {
                    if probed(&mut caller, label) {
                        results[0] = WVal::I32(0);
                        return Ok(());
                    }
                    let args: Vec<Val> = params.iter().map(|v| to_val(&mut caller, v)).collect();
                    let scope = caller.data().book.scope.clone();
                    let observation = observe(&mut caller, &scope);
                    let mut cx = HostCx { caller };
                    let (record, result) = host::call_recorded(&mut cx, name, args, observation);
                    let mut caller = cx.caller;
                    caller.data_mut().book.calls.push(record);
                    match result {
                        Ok(r) => {
                            results[0] = WVal::I32(r);
                            Ok(())
                        }
                        Err(o) => {
                            caller.data_mut().stop = Some(o);
                            Err(wasmtime::Error::msg("lockstep: poisoned inside a host call"))
                        }
                    }
                },
            );
            self.add_host(host::MODULE, name, f.into(), Provenance::Func(FuncLabel::Host(full)));
        }
    }

    fn host_label(&mut self, name: String) -> usize {
        let labels = &mut self.store.data_mut().host_labels;
        labels.push(FuncLabel::Host(name));
        labels.len() - 1
    }

    fn resolve(&mut self, import: &ImportRef) -> Option<(Extern, Provenance)> {
        match import {
            ImportRef::Export { instance, name } => {
                let data = self.store.data();
                let provenance = data.book.export_provenance(*instance, name)?;
                let inst = (*data.instances.get(*instance as usize)?)?;
                Some((inst.get_export(&mut self.store, name)?, provenance))
            }
            ImportRef::Host { module, name } => self
                .store
                .data()
                .host
                .iter()
                .find(|(m, n, _, _)| m == module && n == name)
                .map(|(_, _, e, p)| (e.clone(), p.clone())),
        }
    }
}

/// If the probe is on, a host function reports who it is (as -1 - its
/// position) and must return at once.
fn probed(caller: &mut Caller<'_, Data>, label: usize) -> bool {
    let (on, id) = (caller.data().probe_on.unwrap(), caller.data().probe_id.unwrap());
    if !matches!(on.get(&mut *caller), WVal::I32(1)) {
        return false;
    }
    id.set(&mut *caller, WVal::I64(-1 - label as i64)).expect("probe id is a mutable i64");
    true
}

/// Instantiates `module` with `imports`, numbering and recording the
/// instance; wasmtime's errors become outcomes here.
fn instantiate(
    mut cx: impl AsContextMut<Data = Data>,
    module: ModuleId,
    imports: &[(Extern, Provenance)],
) -> (Option<InstNum>, Outcome) {
    let mut store = cx.as_context_mut();
    let provenance: Vec<Provenance> = imports.iter().map(|(_, p)| p.clone()).collect();
    // The number is taken before running anything: a start function that
    // dlopens must see this instance numbered before the one it creates.
    let num = store.data_mut().book.new_instance(module, &provenance);
    store.data_mut().instances.push(None);
    let data = store.data();
    let (on, id) = (data.probe_on.unwrap(), data.probe_id.unwrap());
    let wasm = data.modules[module].clone();
    let self_ty = GlobalType::new(WValType::I64, Mutability::Const);
    let me = Global::new(&mut store, self_ty, WVal::I64(instrument::probe_id(num, 0))).expect("identity global");
    // wasmtime wants imports in the module's own order (its
    // `Module::imports`), which is the file's: the instrumentation's three
    // probe globals come last.
    let mut externs: Vec<Extern> = imports.iter().map(|(e, _)| e.clone()).collect();
    externs.extend([Extern::from(on), Extern::from(id), Extern::from(me)]);
    let refusals = store.data().limiter.refusals;
    set_fuel(&mut store);
    let result = Instance::new(&mut store, &wasm, &externs);
    match result {
        Ok(inst) => {
            let data = store.data_mut();
            data.instances[num as usize] = Some(inst);
            data.book.live.push(num);
            (Some(num), Outcome::Values(vec![]))
        }
        Err(e) => {
            let outcome = outcome(&mut store, refusals, &e);
            if outcome == Outcome::Link {
                // Nothing ran: no other instance can have been numbered since.
                let data = store.data_mut();
                data.book.instances.pop();
                data.instances.pop();
                return (None, outcome);
            }
            (Some(num), outcome)
        }
    }
}

fn set_fuel(store: &mut impl AsContextMut<Data = Data>) {
    let fuel = store.as_context().data().limiter.limits.fuel + BULK_HEADROOM;
    store.as_context_mut().set_fuel(fuel).expect("fuel is enabled");
}

/// The one place where wasmtime's errors become outcomes.
fn outcome(store: &mut impl AsContextMut<Data = Data>, refusals_before: u64, e: &wasmtime::Error) -> Outcome {
    let mut ctx = store.as_context_mut();
    let data = ctx.data_mut();
    if let Some(o) = data.stop.take() {
        return o;
    }
    if data.limiter.refusals != refusals_before {
        return Outcome::Poisoned(data.limiter.poison());
    }
    // Active element and data segments are written by code that wasmtime
    // compiles with the module, so a segment that does not fit traps like
    // `table.init`/`memory.init` do (§4.5.4): no separate mapping needed.
    if let Some(trap) = e.downcast_ref::<Trap>() {
        return match trap {
            Trap::UnreachableCodeReached => Outcome::Trap(TrapKind::Unreachable),
            Trap::MemoryOutOfBounds => Outcome::Trap(TrapKind::OutOfBoundsMemoryAccess),
            Trap::TableOutOfBounds => Outcome::Trap(TrapKind::OutOfBoundsTableAccess),
            Trap::IndirectCallToNull => Outcome::Trap(TrapKind::UninitializedElement),
            Trap::IntegerDivisionByZero => Outcome::Trap(TrapKind::IntegerDivideByZero),
            Trap::IntegerOverflow => Outcome::Trap(TrapKind::IntegerOverflow),
            Trap::BadConversionToInteger => Outcome::Trap(TrapKind::InvalidConversionToInteger),
            Trap::BadSignature => Outcome::Trap(TrapKind::IndirectCallTypeMismatch),
            Trap::StackOverflow => Outcome::Poisoned(Poison::StackExhausted),
            Trap::OutOfFuel => Outcome::Poisoned(Poison::OutOfFuel),
            other => Outcome::Unclassified(format!("wasmtime trap {other}")),
        };
    }
    // Import matching (§4.5.3) is the first thing `Instance::new` does, and
    // the only failure before anything runs. wasmtime gives it no type of its
    // own: it is an error with this context, one per import.
    if e.chain().any(|cause| cause.to_string().starts_with("incompatible import type for")) {
        return Outcome::Link;
    }
    Outcome::Unclassified(format!("wasmtime error: {e:#}"))
}

/// The label of a function: call it with the probe on.
fn label_of(store: &mut impl AsContextMut<Data = Data>, f: &Func) -> FuncLabel {
    let ctx = store.as_context();
    let (on, id) = (ctx.data().probe_on.unwrap(), ctx.data().probe_id.unwrap());
    let ty = f.ty(store.as_context());
    let args: Vec<WVal> = ty.params().map(|t| default_for(&t)).collect();
    let mut results: Vec<WVal> = ty.results().map(|t| default_for(&t)).collect();
    // wasmtime charges fuel for the probe's prologue: give it fuel of its
    // own, so that probing neither charges the run nor fails after it.
    let fuel = store.as_context().get_fuel().expect("fuel is enabled");
    store.as_context_mut().set_fuel(PROBE_FUEL).expect("fuel is enabled");
    on.set(store.as_context_mut(), WVal::I32(1)).expect("probe flag");
    let called = f.call(store.as_context_mut(), &args, &mut results);
    on.set(store.as_context_mut(), WVal::I32(0)).expect("probe flag");
    store.as_context_mut().set_fuel(fuel).expect("fuel is enabled");
    if let Err(e) = called {
        panic!("probing a function failed: {e:#}");
    }
    match id.get(store.as_context_mut()) {
        WVal::I64(x) if x < 0 => store.as_context().data().host_labels[(-1 - x) as usize].clone(),
        WVal::I64(x) => {
            let (instance, index) = instrument::decode_probe_id(x);
            FuncLabel::Wasm { instance, index }
        }
        other => panic!("probe id is {other:?}"),
    }
}

fn default_for(ty: &WValType) -> WVal {
    WVal::default_for_ty(ty).expect("Wasm 2.0 types have defaults")
}

fn to_val(store: &mut impl AsContextMut<Data = Data>, v: &WVal) -> Val {
    match v {
        WVal::I32(x) => Val::I32(*x as u32),
        WVal::I64(x) => Val::I64(*x as u64),
        WVal::F32(x) => Val::F32(*x),
        WVal::F64(x) => Val::F64(*x),
        WVal::FuncRef(None) => Val::FuncRef(None),
        WVal::FuncRef(Some(f)) => Val::FuncRef(Some(label_of(store, f))),
        WVal::ExternRef(None) => Val::ExternRef(None),
        WVal::ExternRef(Some(r)) => Val::ExternRef(Some(extern_data(store, r))),
        other => panic!("{other:?} in a Wasm 2.0 run without SIMD"),
    }
}

/// A number of the model's as a wasmtime value (the spectest globals).
fn from_value(v: model::runtime::Value) -> WVal {
    use model::runtime::Value;
    match v {
        Value::I32(x) => WVal::I32(x as i32),
        Value::I64(x) => WVal::I64(x as i64),
        Value::F32(x) => WVal::F32(x),
        Value::F64(x) => WVal::F64(x),
        Value::Ref(r) => panic!("no host reference value {r:?} is built in"),
    }
}

/// A value type of the model's as wasmtime's.
fn val_type(t: model::syntax::ValType) -> WValType {
    use model::syntax::{NumType, RefType, ValType};
    match t {
        ValType::Num(NumType::I32) => WValType::I32,
        ValType::Num(NumType::I64) => WValType::I64,
        ValType::Num(NumType::F32) => WValType::F32,
        ValType::Num(NumType::F64) => WValType::F64,
        ValType::Ref(RefType::FuncRef) => WValType::FUNCREF,
        ValType::Ref(RefType::ExternRef) => WValType::EXTERNREF,
    }
}

/// The `u32` an externref holds: only [`from_val`] makes them.
fn extern_data(store: &mut impl AsContextMut<Data = Data>, r: &Rooted<ExternRef>) -> u32 {
    let data = r.data(store.as_context()).expect("a live externref").expect("host data");
    *data.downcast_ref::<u32>().expect("externrefs hold a u32")
}

fn from_val(store: &mut impl AsContextMut<Data = Data>, v: &Val) -> Option<WVal> {
    Some(match v {
        Val::I32(x) => WVal::I32(*x as i32),
        Val::I64(x) => WVal::I64(*x as i64),
        Val::F32(x) => WVal::F32(*x),
        Val::F64(x) => WVal::F64(*x),
        Val::FuncRef(None) => WVal::FuncRef(None),
        Val::ExternRef(None) => WVal::ExternRef(None),
        Val::ExternRef(Some(x)) => {
            WVal::ExternRef(Some(ExternRef::new(store.as_context_mut(), *x).expect("an externref allocates")))
        }
        Val::FuncRef(Some(_)) => return None,
    })
}

/// Every table, memory and global of every live instance, through the
/// reserved exports.
fn observe(store: &mut impl AsContextMut<Data = Data>, scope: &Scope) -> Observation {
    // Externrefs read here stay rooted only until the observation is made.
    let mut roots = RootScope::new(store);
    let store = &mut roots;
    let mut obs = Observation::default();
    let live = store.as_context().data().book.live.clone();
    for num in live.into_iter().filter(|&n| scope.holds(n)) {
        let ctx = store.as_context();
        let inst = ctx.data().instances[num as usize].expect("live instances have handles");
        let origins = ctx.data().book.instances[num as usize].origins.clone();
        for kind in [Kind::Table, Kind::Memory, Kind::Global] {
            for (i, origin) in origins[kind_index(kind)].iter().enumerate() {
                let key = (kind, origin.clone());
                if obs.objects.contains_key(&key) {
                    continue;
                }
                let name = match kind {
                    Kind::Table => instrument::table_export(i as u32),
                    Kind::Memory => instrument::memory_export(i as u32),
                    Kind::Global => instrument::global_export(i as u32),
                };
                let ext =
                    inst.get_export(store.as_context_mut(), &name).expect("instrumented modules export everything");
                let state = match ext {
                    Extern::Table(t) => {
                        let n = t.size(store.as_context());
                        let refs: Vec<Ref> =
                            (0..n).map(|i| t.get(store.as_context_mut(), i).expect("in bounds")).collect();
                        let elems = refs
                            .iter()
                            .map(|r| match r {
                                Ref::Func(f) => to_val(store, &WVal::FuncRef(*f)),
                                Ref::Extern(x) => to_val(store, &WVal::ExternRef(*x)),
                                other => panic!("{other:?} in a Wasm 2.0 table"),
                            })
                            .collect();
                        ObjectState::Table { elems }
                    }
                    Extern::Memory(m) => ObjectState::Memory { bytes: m.data(store.as_context()).to_vec() },
                    Extern::Global(g) => {
                        let mutable = g.ty(store.as_context()).mutability() == Mutability::Var;
                        let v = g.get(store.as_context_mut());
                        ObjectState::Global { mutable, value: to_val(store, &v) }
                    }
                    other => panic!("a reserved export is {other:?}"),
                };
                obs.objects.insert(key, state);
            }
        }
    }
    obs
}

/// wasmtime inside a `lockstep` host call.
struct HostCx<'a> {
    caller: Caller<'a, Data>,
}

impl HostCx<'_> {
    fn caller_instance(&mut self) -> Option<InstNum> {
        let Some(Extern::Global(g)) = self.caller.get_export(instrument::SELF_EXPORT) else { return None };
        match g.get(&mut self.caller) {
            WVal::I64(x) => Some(instrument::decode_probe_id(x).0),
            _ => None,
        }
    }
}

impl LinkHost for HostCx<'_> {
    type Extern = (Extern, Provenance);

    fn with_link_state<R>(&mut self, f: impl FnOnce(&mut LinkState) -> R) -> R {
        f(&mut self.caller.data_mut().book.link)
    }

    fn caller_memory(&mut self, ptr: u32, len: u32) -> Option<Vec<u8>> {
        let Some(Extern::Memory(m)) = self.caller.get_export("memory") else { return None };
        let data = m.data(&self.caller);
        data.get(ptr as usize..(ptr as usize).checked_add(len as usize)?).map(<[u8]>::to_vec)
    }

    fn caller_export(&mut self, name: &str) -> Option<(Extern, Provenance)> {
        let instance = self.caller_instance()?;
        let provenance = self.caller.data().book.export_provenance(instance, name)?;
        Some((self.caller.get_export(name)?, provenance))
    }

    fn host_func(&mut self, name: &str) -> Option<(Extern, Provenance)> {
        let host = &self.caller.data().host;
        host.iter().find(|(m, n, _, _)| m == host::MODULE && n == name).map(|(_, _, e, p)| (e.clone(), p.clone()))
    }

    fn definition_imports(&mut self, def: &str) -> Option<Vec<(String, String)>> {
        let book = &self.caller.data().book;
        let module = &book.modules[*book.definitions.get(def)?];
        Some(module.imports.iter().map(|(m, n, _)| (m.clone(), n.clone())).collect())
    }

    fn instantiate_definition(&mut self, def: &str, imports: &[(Extern, Provenance)]) -> (Option<InstNum>, Outcome) {
        let module = self.caller.data().book.definitions[def];
        // Fuel: the caller's run goes on with what is left, so keep it.
        let fuel = self.caller.get_fuel().expect("fuel is enabled");
        let r = instantiate(&mut self.caller, module, imports);
        self.caller.set_fuel(fuel).expect("fuel is enabled");
        r
    }

    fn export_func(&mut self, instance: InstNum, name: &str) -> Option<((Extern, Provenance), FuncLabel)> {
        let data = self.caller.data();
        let Some(Provenance::Func(label)) = data.book.export_provenance(instance, name) else { return None };
        let inst = (*data.instances.get(instance as usize)?)?;
        let f = inst.get_func(&mut self.caller, name)?;
        Some(((f.into(), Provenance::Func(label.clone())), label))
    }

    fn table_slot(&mut self, table: &(Extern, Provenance), i: u32) -> Option<Option<FuncLabel>> {
        let Extern::Table(t) = &table.0 else { return None };
        match t.get(&mut self.caller, u64::from(i))? {
            Ref::Func(Some(f)) => Some(Some(label_of(&mut self.caller, &f))),
            _ => Some(None),
        }
    }

    fn table_grow(&mut self, table: &(Extern, Provenance), func: &(Extern, Provenance)) -> Option<u32> {
        let (Extern::Table(t), Extern::Func(f)) = (&table.0, &func.0) else { return None };
        t.grow(&mut self.caller, 1, Ref::Func(Some(*f))).ok().map(|old| old as u32)
    }
}

impl Engine for WasmtimeEngine {
    fn name(&self) -> &'static str {
        self.compiler.name()
    }

    fn compile(&mut self, bytes: &[u8]) -> Result<ModuleId, Rejected> {
        // The original must be accepted as is; the instrumented one then runs.
        // Compiling is most of the cost of a generated case, so only the
        // instrumented module is compiled when it can be. The original is
        // validated by wasmtime's own wasmparser with the engine's Wasm 2.0
        // features, parser included (not `Module::validate`: wasmtime 48's
        // parses without the engine's features, and so accepts u64 memory
        // limits). The instrumented module has the original's bodies plus
        // probes and exports; compiling it adds wasmtime's own limits and
        // what its compiler refuses, which compiling the original then tells
        // apart from what instrumenting did.
        let engine = self.store.engine().clone();
        let winch = self.compiler == Compiler::Winch;
        let compiled = self.cache.get_or_compile(self.compiler.name(), bytes, || {
            let rejected = |e: wasmtime::Error| {
                let why = format!("{e:#}");
                // Winch's missing GC types surface as this validation error.
                if winch && why.contains("gc types are disallowed") {
                    Rejected::Unsupported(format!("Winch: {why}"))
                } else {
                    Rejected::Rejected(why)
                }
            };
            let mut validator = wasmtime_wasmparser::Validator::new_with_features(wasm2());
            validator.validate_all(bytes).map_err(|e| Rejected::Rejected(e.to_string()))?;
            let info = ModuleInfo::read(bytes).map_err(Rejected::Unsupported)?;
            let instrumented = instrument::instrument(bytes).map_err(Rejected::Unsupported)?;
            match Module::new(&engine, &instrumented) {
                Ok(module) => Ok((module, info)),
                Err(e) => {
                    Module::new(&engine, bytes).map_err(rejected)?;
                    Err(Rejected::Unsupported(format!("the instrumented module does not compile: {e:#}")))
                }
            }
        });
        let (module, info) = compiled?;
        let data = self.store.data_mut();
        data.modules.push(module);
        data.book.modules.push(info);
        Ok(data.modules.len() - 1)
    }

    fn define(&mut self, name: &str, module: ModuleId) {
        self.store.data_mut().book.definitions.insert(name.to_string(), module);
    }

    fn instantiate(&mut self, module: ModuleId, imports: &[ImportRef]) -> (Option<InstNum>, Outcome) {
        // An import the script cannot name is a link error, before anything runs.
        let Some(externs) = imports.iter().map(|i| self.resolve(i)).collect::<Option<Vec<_>>>() else {
            return (None, Outcome::Link);
        };
        instantiate(&mut self.store, module, &externs)
    }

    fn invoke(&mut self, instance: InstNum, export: &str, args: &[Val]) -> Outcome {
        let Some(Some(inst)) = self.store.data().instances.get(instance as usize).copied() else {
            return Outcome::Link;
        };
        // Externrefs made for the arguments or read from the results stay
        // rooted only for this call.
        let mut store = RootScope::new(&mut self.store);
        let Some(f) = inst.get_func(&mut store, export) else { return Outcome::Link };
        let Some(args) = args.iter().map(|a| from_val(&mut store, a)).collect::<Option<Vec<_>>>() else {
            return Outcome::Poisoned(Poison::Unsupported("a funcref argument from the script".into()));
        };
        let ty = f.ty(&store);
        // Arguments that do not fit the signature are a link error, as in the
        // model's embedder API; wasmtime's own check gives an error of no
        // type of its own, so check first.
        let fits = args.len() == ty.params().len()
            && args.iter().zip(ty.params()).all(|(a, t)| a.matches_ty(&store, &t).unwrap_or(false));
        if !fits {
            return Outcome::Link;
        }
        let mut results: Vec<WVal> = ty.results().map(|t| default_for(&t)).collect();
        let refusals = store.as_context().data().limiter.refusals;
        set_fuel(&mut store);
        match f.call(&mut store, &args, &mut results) {
            Ok(()) => {
                let vals = results.iter().map(|v| to_val(&mut store, v)).collect();
                let limiter = &store.as_context().data().limiter;
                if limiter.refusals != refusals {
                    return Outcome::Poisoned(limiter.refused(vals));
                }
                Outcome::Values(vals)
            }
            Err(e) => outcome(&mut store, refusals, &e),
        }
    }

    fn get_global(&mut self, instance: InstNum, export: &str) -> Outcome {
        let Some(Some(inst)) = self.store.data().instances.get(instance as usize).copied() else {
            return Outcome::Link;
        };
        let mut store = RootScope::new(&mut self.store);
        match inst.get_global(&mut store, export) {
            Some(g) => {
                let v = g.get(&mut store);
                Outcome::Values(vec![to_val(&mut store, &v)])
            }
            None => Outcome::Link,
        }
    }

    fn observe(&mut self, scope: &Scope) -> Observation {
        observe(&mut self.store, scope)
    }

    fn set_scope(&mut self, scope: Scope) {
        self.store.data_mut().book.scope = scope;
    }

    fn take_host_calls(&mut self) -> Vec<HostCall> {
        std::mem::take(&mut self.store.data_mut().book.calls)
    }
}
