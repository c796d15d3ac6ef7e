//! wasmi 2.x as an engine. It runs modules instrumented without the probe
//! ([`crate::instrument`], [`Probe::Off`]): every table, memory and global
//! of an instance is read through its reserved exports, and a function read
//! from a table is identified by its store key ([`func_key`]), never by
//! calling it.
//!
//! Why not the probe: calling a function runs its instance's code, and a
//! function that a failed instantiation left in a table crashes wasmi 2.0.0
//! as soon as it touches its instance
//! (`corpus/findings/wasmi-failed-instance-state.wast`). The probe's
//! prologue reads an imported global on every call, so probing would provoke
//! that crash whenever such a function is observed or called; without it,
//! only the script's own code can.
//!
//! How functions get their labels: wasmi allocates functions in one
//! append-only arena, in order. Host functions are labelled by the key they
//! get when the adapter creates them; an instance's defined functions get
//! the keys that follow the next free key ([`next_func_key`]), in order, and
//! are labelled before instantiation runs anything. Every successful
//! instantiation checks the prediction against the keys of the instance's
//! reserved function exports ([`check_func_labels`]).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use wasmi::{
    AsContext, AsContextMut, Caller, Extern, ExternRef, Func, FuncType, Global, Instance, Memory, Module, Mutability,
    Nullable, Ref, Store, Table, TableType, TrapCode, Val as WVal, ValType as WValType,
};

use super::book::{Book, ExtKind, ModuleInfo, Provenance, kind_index};
use super::{
    Engine, FuncLabel, HostCall, ImportRef, InstNum, Kind, ModuleCache, ModuleId, ObjectState, Observation, Origin,
    Outcome, Poison, Rejected, Scope, TrapKind, Val,
};
use crate::host::{self, LinkHost, LinkState};
use crate::instrument::{self, Probe};
use crate::limits::{Growth, Limits};
use crate::spectest;

/// wasmi, with its store and the bookkeeping that labels what it shows.
pub struct WasmiEngine {
    store: Store<Data>,
    /// Compiled modules by content, shared with other engines, under
    /// `cache_key`: the shared wasmi engine the store is made on
    /// ([`shared_engine`]), which its modules belong to.
    cache: ModuleCache,
    cache_key: String,
    /// How many modules that engine has compiled.
    compiled: Arc<AtomicU64>,
}

/// Modules a shared wasmi engine compiles before a new one replaces it.
/// wasmi keeps every function an engine compiled until the engine is
/// dropped (its code map only grows): about 2 KiB per generated module,
/// measured as a worker's memory growing by 37 MiB over 2,000 cases (17,000
/// modules) without renewal, and staying flat with it. A new engine costs
/// nothing a case would notice; the cache forgets the old one's modules.
const RENEW_AFTER: u64 = 2_000;

/// The wasmi engine that this process's adapters share, per call depth
/// (the only setting the limits give it): a `wasmi::Module` can only be
/// instantiated in a store of the engine that compiled it, so adapters made
/// one after another must share it for a cached module to be of use.
struct Shared {
    call_depth: usize,
    engine: wasmi::Engine,
    /// Names this engine in cache keys: no other engine of the process has it.
    key: String,
    compiled: Arc<AtomicU64>,
}

/// The shared engine for `call_depth`, made or renewed ([`RENEW_AFTER`])
/// as needed, and the key of the engine it replaced, if it did. An engine
/// is only replaced here, when an adapter is made: a script runs on one.
fn shared_engine(call_depth: usize) -> (wasmi::Engine, String, Arc<AtomicU64>, Option<String>) {
    static SHARED: Mutex<Vec<Shared>> = Mutex::new(Vec::new());
    static MADE: AtomicU64 = AtomicU64::new(0);
    let make = || {
        let n = MADE.fetch_add(1, Ordering::Relaxed);
        Shared {
            call_depth,
            engine: wasmi::Engine::new(&config(call_depth)),
            key: format!("wasmi (call depth {call_depth}, engine {n})"),
            compiled: Arc::new(AtomicU64::new(0)),
        }
    };
    let mut all = SHARED.lock().unwrap_or_else(|e| e.into_inner());
    let mut retired = None;
    match all.iter_mut().find(|s| s.call_depth == call_depth) {
        Some(s) if s.compiled.load(Ordering::Relaxed) >= RENEW_AFTER => {
            retired = Some(std::mem::replace(s, make()).key);
        }
        Some(_) => {}
        None => all.push(make()),
    }
    let s = all.iter().find(|s| s.call_depth == call_depth).expect("made above");
    (s.engine.clone(), s.key.clone(), s.compiled.clone(), retired)
}

/// How wasmi is configured: Wasm 2.0 without SIMD, fuel, the call depth.
fn config(call_depth: usize) -> wasmi::Config {
    let mut config = wasmi::Config::default();
    // Wasm 2.0 without SIMD: what the model has.
    config
        .wasm_multi_memory(false)
        .wasm_tail_call(false)
        .wasm_extended_const(false)
        .wasm_custom_page_sizes(false)
        .wasm_memory64(false)
        .wasm_wide_arithmetic(false);
    config.consume_fuel(true);
    // wasmi translates a function when it is first called, and charges the
    // caller fuel for translating (7 per byte) and validating: fuel that
    // would then depend on whether an earlier script's run of a cached
    // module translated it already. Only the code run is charged.
    config.fuel_cost(wasmi::CustomFuelCosts {
        bytes_copied_per_fuel: 64,
        fuel_per_bytes_translated: 0,
        fuel_per_bytes_validated: 0,
    });
    config.set_max_recursion_depth(call_depth);
    config
}

struct Data {
    book: Book,
    modules: Vec<Module>,
    /// Each instance's handle; `None` when its instantiation failed.
    instances: Vec<Option<Instance>>,
    /// The label of every function wasm or the harness can meet, by store
    /// key ([`func_key`]): host functions from their creation, an instance's
    /// defined functions from just before its instantiation.
    funcs: HashMap<u32, FuncLabel>,
    /// Host objects: `(module, name)` → value, with its provenance.
    host: Vec<(String, String, Extern, Provenance)>,
    limiter: Growth,
    /// A poison (or an unclassified error) raised inside a host call, to
    /// report as the run's outcome once the call unwinds.
    stop: Option<Outcome>,
}

/// The shared growth limits ([`Growth`]) as wasmi's limiter.
impl wasmi::ResourceLimiter for Growth {
    fn memory_growing(
        &mut self,
        _: usize,
        desired: usize,
        max: Option<usize>,
    ) -> Result<bool, wasmi_core::LimiterError> {
        Ok(self.memory(desired, max))
    }

    fn table_growing(
        &mut self,
        _: usize,
        desired: usize,
        max: Option<usize>,
    ) -> Result<bool, wasmi_core::LimiterError> {
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

impl WasmiEngine {
    /// A fresh store that compiles every module afresh.
    pub fn new(limits: Limits) -> WasmiEngine {
        Self::with_cache(limits, &ModuleCache::disabled())
    }

    /// A fresh store, on the process's shared wasmi engine, whose modules
    /// come from `cache` when it has them.
    pub fn with_cache(limits: Limits, cache: &ModuleCache) -> WasmiEngine {
        let (engine, cache_key, compiled, retired) = shared_engine(limits.call_depth);
        if let Some(old) = retired {
            cache.forget(&old);
        }
        let data = Data {
            book: Book::default(),
            modules: Vec::new(),
            instances: Vec::new(),
            funcs: HashMap::new(),
            host: Vec::new(),
            limiter: Growth::new(limits),
            stop: None,
        };
        let mut store = Store::new(&engine, data);
        store.limiter(|d| &mut d.limiter);
        let mut e = WasmiEngine { store, cache: cache.clone(), cache_key, compiled };
        e.add_spectest();
        e.add_lockstep();
        e
    }

    fn add_host(&mut self, module: &str, name: &str, ext: Extern, provenance: Provenance) {
        self.store.data_mut().host.push((module.into(), name.into(), ext, provenance));
    }

    fn add_spectest(&mut self) {
        for (name, _, v) in spectest::GLOBALS {
            let v = from_value(v);
            let g = Global::new(&mut self.store, v, Mutability::Const);
            let p = Provenance::Object(Kind::Global, Origin::Host(format!("spectest.{name}")));
            self.add_host("spectest", name, g.into(), p);
        }
        let ty = TableType::new(wasmi::RefType::Func, spectest::TABLE.min, spectest::TABLE.max);
        let t = Table::new(&mut self.store, ty, Ref::Func(Nullable::Null)).expect("spectest table");
        self.add_host(
            "spectest",
            "table",
            t.into(),
            Provenance::Object(Kind::Table, Origin::Host("spectest.table".into())),
        );
        let m = Memory::new(&mut self.store, wasmi::MemoryType::new(spectest::MEMORY.min, spectest::MEMORY.max))
            .expect("spectest memory");
        self.add_host(
            "spectest",
            "memory",
            m.into(),
            Provenance::Object(Kind::Memory, Origin::Host("spectest.memory".into())),
        );
        for (name, params) in spectest::PRINTS {
            let ty = FuncType::new(params.iter().map(|&t| val_type(t)), []);
            let f = Func::new(&mut self.store, ty, |_: Caller<'_, Data>, _: &[WVal], _: &mut [WVal]| Ok(()));
            self.add_host_func("spectest", name, f);
        }
    }

    fn add_lockstep(&mut self) {
        for &(name, arity) in host::FUNCS {
            let ty = FuncType::new(vec![WValType::I32; arity], [WValType::I32]);
            let f = Func::new(
                &mut self.store,
                ty,
                move |caller: Caller<'_, Data>, params: &[WVal], results: &mut [WVal]| {
                    let args: Vec<Val> = params.iter().map(|v| to_val(&caller, v)).collect();
                    let scope = caller.data().book.scope.clone();
                    let observation = observe(&caller, &scope);
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
                            Err(wasmi::Error::new("lockstep: poisoned inside a host call"))
                        }
                    }
                },
            );
            self.add_host_func(host::MODULE, name, f);
        }
    }

    /// Makes `f` the host function `module.name`, labelled by its key.
    fn add_host_func(&mut self, module: &str, name: &str, f: Func) {
        let label = FuncLabel::Host(format!("{module}.{name}"));
        self.store.data_mut().funcs.insert(func_key(&f), label.clone());
        self.add_host(module, name, f.into(), Provenance::Func(label));
    }

    fn resolve(&mut self, import: &ImportRef) -> Option<(Extern, Provenance)> {
        let data = self.store.data();
        match import {
            ImportRef::Export { instance, name } => {
                let provenance = data.book.export_provenance(*instance, name)?;
                let inst = (*data.instances.get(*instance as usize)?)?;
                Some((inst.get_export(&self.store, name)?, provenance))
            }
            ImportRef::Host { module, name } => {
                data.host.iter().find(|(m, n, _, _)| m == module && n == name).map(|(_, _, e, p)| (*e, p.clone()))
            }
        }
    }
}

/// The store key of a wasmi function: its place in the store's function
/// arena, plus one. Keys are handed out in allocation order, and the arena
/// never frees, so a key names one function for the store's lifetime.
///
/// wasmi's `Func` has no `Eq`, `Hash` or accessor for the key; only its
/// `Debug` text shows it, as `Func(Stored { store: StoreId(0), value:
/// RawHandle { key: 5, marker: "wasmi::func::Func" } })` (wasmi 2.0.0,
/// `handle.rs`: `define_handle!` derives `Debug`, and `RawHandle`'s prints
/// `key`).
///
/// # Panics
/// If the text has no `key: N`: wasmi's `Debug` output changed.
fn func_key(f: &Func) -> u32 {
    let text = format!("{f:?}");
    text.split_once("key: ")
        .and_then(|(_, rest)| rest.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok())
        .unwrap_or_else(|| panic!("harness bug: wasmi's function numbering: no key in {text:?}"))
}

/// The key the next function allocated in the store will get.
///
/// wasmi has no API that tells how many functions a store holds, so this
/// allocates a throwaway host function (never given to wasm) and reads its
/// key: the next allocation gets the key after it. Measuring, rather than
/// counting allocations ourselves, keeps this right whatever else allocated
/// functions since (a `dlopen` inside a host call, a failed instantiation).
fn next_func_key(store: &mut impl AsContextMut<Data = Data>) -> u32 {
    let throwaway = Func::wrap(store.as_context_mut(), || {});
    func_key(&throwaway) + 1
}

/// Labels the defined functions of instance `num` by the keys wasmi will
/// give them: `Module::instantiate` allocates them in `extract_functions`,
/// one after another in index order, after the imports are matched (so a
/// link error allocates none) and before anything can run. Returns the keys.
fn label_defined_funcs(store: &mut impl AsContextMut<Data = Data>, num: InstNum) -> std::ops::Range<u32> {
    let next = next_func_key(store);
    let mut ctx = store.as_context_mut();
    let data = ctx.data_mut();
    let inst = &data.book.instances[num as usize];
    let imported = inst.funcs.len() - data.book.modules[inst.module].defined_funcs as usize;
    let defined: Vec<FuncLabel> = inst.funcs[imported..].to_vec();
    let keys = next..next + defined.len() as u32;
    data.funcs.extend(keys.clone().zip(defined));
    keys
}

/// Checks, after instance `num` was instantiated as `inst`, that each of
/// its functions, read through its reserved export, has the key the adapter
/// labelled it with: the defined ones as [`label_defined_funcs`] predicted,
/// the imported ones as the function supplied.
///
/// # Panics
/// If a label differs: the numbering this adapter relies on does not hold.
fn check_func_labels(store: &impl AsContext<Data = Data>, num: InstNum, inst: Instance) {
    let ctx = store.as_context();
    let data = ctx.data();
    for (i, want) in data.book.instances[num as usize].funcs.iter().enumerate() {
        let name = instrument::func_export(i as u32);
        let Some(f) = inst.get_func(&ctx, &name) else {
            panic!("harness bug: wasmi's function numbering: instance #{num} has no export {name}")
        };
        let key = func_key(&f);
        if data.funcs.get(&key) != Some(want) {
            panic!(
                "harness bug: wasmi's function numbering: function {i} of instance #{num} has key {key}, \
                 labelled {:?}, but is {want}",
                data.funcs.get(&key)
            );
        }
    }
}

/// Instantiates `module` with `imports`, numbering and recording the
/// instance; wasmi's errors become outcomes here.
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
    let wasm = store.data().modules[module].clone();
    let externs: Vec<Extern> = imports.iter().map(|(e, _)| *e).collect();
    let externs = wasmi_order(&wasm, &store.data().book.modules[module].imports, externs);
    // Labelled before anything runs: a start function that dlopens observes
    // the tables, which may already hold this instance's functions.
    let keys = label_defined_funcs(&mut store, num);
    let refusals = store.data().limiter.refusals;
    set_fuel(&mut store);
    let result = Instance::new(&mut store, &wasm, &externs);
    match result {
        Ok(inst) => {
            check_func_labels(&store, num, inst);
            let data = store.data_mut();
            data.instances[num as usize] = Some(inst);
            data.book.live.push(num);
            (Some(num), Outcome::Values(vec![]))
        }
        Err(e) => {
            let outcome = outcome(&mut store, refusals, &e);
            if outcome == Outcome::Link {
                // Nothing ran: no other instance can have been numbered
                // since, and no function was allocated.
                let data = store.data_mut();
                data.book.instances.pop();
                data.instances.pop();
                for key in keys {
                    data.funcs.remove(&key);
                }
                return (None, outcome);
            }
            (Some(num), outcome)
        }
    }
}

/// wasmi wants imports in the order of its `Module::imports`, which groups
/// them by kind; `externs` are in the module's import order (the
/// instrumentation adds no imports under [`Probe::Off`]).
fn wasmi_order(wasm: &Module, declared: &[(String, String, ExtKind)], externs: Vec<Extern>) -> Vec<Extern> {
    let names: Vec<(String, String)> = declared.iter().map(|(m, n, _)| (m.clone(), n.clone())).collect();
    let mut used = vec![false; externs.len()];
    let mut ordered = Vec::with_capacity(externs.len());
    for import in wasm.imports() {
        let same_kind = |e: &Extern| {
            matches!(
                (e, import.ty()),
                (Extern::Func(_), wasmi::ExternType::Func(_))
                    | (Extern::Table(_), wasmi::ExternType::Table(_))
                    | (Extern::Memory(_), wasmi::ExternType::Memory(_))
                    | (Extern::Global(_), wasmi::ExternType::Global(_))
            )
        };
        let i = (0..externs.len())
            .find(|&i| {
                !used[i] && names[i].0 == import.module() && names[i].1 == import.name() && same_kind(&externs[i])
            })
            // No extern of that kind: keep the module's order, and let wasmi report the mismatch.
            .or_else(|| {
                (0..externs.len()).find(|&i| !used[i] && names[i].0 == import.module() && names[i].1 == import.name())
            });
        if let Some(i) = i {
            used[i] = true;
            ordered.push(externs[i]);
        }
    }
    ordered
}

fn set_fuel(store: &mut impl AsContextMut<Data = Data>) {
    let fuel = store.as_context().data().limiter.limits.fuel;
    store.as_context_mut().set_fuel(fuel).expect("fuel is enabled");
}

// ANCHOR: wasmi_outcome
/// The one place where wasmi's errors become outcomes.
fn outcome(store: &mut impl AsContextMut<Data = Data>, refusals_before: u64, e: &wasmi::Error) -> Outcome {
    let mut ctx = store.as_context_mut();
    let data = ctx.data_mut();
    if let Some(o) = data.stop.take() {
        return o;
    }
    if data.limiter.refusals != refusals_before {
        return Outcome::Poisoned(data.limiter.poison());
    }
    use wasmi::errors::{ErrorKind, InstantiationError};
    match e.kind() {
        ErrorKind::TrapCode(code) => match code {
            TrapCode::UnreachableCodeReached => Outcome::Trap(TrapKind::Unreachable),
            TrapCode::MemoryOutOfBounds => Outcome::Trap(TrapKind::OutOfBoundsMemoryAccess),
            TrapCode::TableOutOfBounds => Outcome::Trap(TrapKind::OutOfBoundsTableAccess),
            TrapCode::IndirectCallToNull => Outcome::Trap(TrapKind::UninitializedElement),
            TrapCode::IntegerDivisionByZero => Outcome::Trap(TrapKind::IntegerDivideByZero),
            TrapCode::IntegerOverflow => Outcome::Trap(TrapKind::IntegerOverflow),
            TrapCode::BadConversionToInteger => Outcome::Trap(TrapKind::InvalidConversionToInteger),
            TrapCode::BadSignature => Outcome::Trap(TrapKind::IndirectCallTypeMismatch),
            TrapCode::StackOverflow => Outcome::Poisoned(Poison::StackExhausted),
            TrapCode::OutOfFuel => Outcome::Poisoned(Poison::OutOfFuel),
            TrapCode::GrowthOperationLimited => Outcome::Poisoned(Poison::Limit("growth operation limited".into())),
            TrapCode::OutOfSystemMemory => Outcome::Poisoned(Poison::Limit("out of system memory".into())),
        },
        // wasmi checks that element segments fit before writing them; the
        // spec traps in `table.init` there (see corpus/legitimate-differences.md).
        ErrorKind::Instantiation(InstantiationError::ElementSegmentDoesNotFit { .. }) => {
            Outcome::Trap(TrapKind::OutOfBoundsTableAccess)
        }
        // Active data and element segments out of bounds, at instantiation.
        ErrorKind::Memory(wasmi::errors::MemoryError::OutOfBoundsAccess) => {
            Outcome::Trap(TrapKind::OutOfBoundsMemoryAccess)
        }
        ErrorKind::Table(wasmi::errors::TableError::InitOutOfBounds) => Outcome::Trap(TrapKind::OutOfBoundsTableAccess),
        // Imports that do not match; and an invocation with the wrong
        // arguments, which the model also reports as a link error.
        ErrorKind::Instantiation(_) | ErrorKind::Linker(_) | ErrorKind::Func(_) => Outcome::Link,
        _ => Outcome::Unclassified(format!("wasmi error: {e}")),
    }
}
// ANCHOR_END: wasmi_outcome

/// A number of the model's as a wasmi value (the spectest globals).
fn from_value(v: model::runtime::Value) -> WVal {
    use model::runtime::Value;
    match v {
        Value::I32(x) => WVal::I32(x as i32),
        Value::I64(x) => WVal::I64(x as i64),
        Value::F32(x) => WVal::F32(wasmi::F32::from_bits(x)),
        Value::F64(x) => WVal::F64(wasmi::F64::from_bits(x)),
        Value::Ref(r) => panic!("no host reference value {r:?} is built in"),
    }
}

/// A value type of the model's as wasmi's.
fn val_type(t: model::syntax::ValType) -> WValType {
    use model::syntax::{NumType, RefType, ValType};
    match t {
        ValType::Num(NumType::I32) => WValType::I32,
        ValType::Num(NumType::I64) => WValType::I64,
        ValType::Num(NumType::F32) => WValType::F32,
        ValType::Num(NumType::F64) => WValType::F64,
        ValType::Ref(RefType::FuncRef) => WValType::FuncRef,
        ValType::Ref(RefType::ExternRef) => WValType::ExternRef,
    }
}

/// The label of a function, by its key; nothing runs.
///
/// A key that was never labelled is no function that wasm can hold: every
/// function the adapter creates is labelled, and every instance's are
/// (checked by [`check_func_labels`] whenever instantiation succeeds), so
/// wasmi made the reference up. wasmi 2.0.0 does, for `ref.func` in a
/// function that a failed instantiation left behind: it reads the handle
/// from the placeholder instance. Such a reference gets a label that names
/// its key and agrees with nothing, so that it shows as a divergence at the
/// step that returned or stored it, rather than as a harness crash.
fn label_of(data: &Data, f: &Func) -> FuncLabel {
    let key = func_key(f);
    match data.funcs.get(&key) {
        Some(label) => label.clone(),
        None => FuncLabel::Host(format!("<none: wasmi's unlabelled function key {key}>")),
    }
}

fn to_val(store: &impl AsContext<Data = Data>, v: &WVal) -> Val {
    match v {
        WVal::I32(x) => Val::I32(*x as u32),
        WVal::I64(x) => Val::I64(*x as u64),
        WVal::F32(x) => Val::F32(x.to_bits()),
        WVal::F64(x) => Val::F64(x.to_bits()),
        WVal::FuncRef(Nullable::Null) => Val::FuncRef(None),
        WVal::FuncRef(Nullable::Val(f)) => Val::FuncRef(Some(label_of(store.as_context().data(), f))),
        WVal::ExternRef(Nullable::Null) => Val::ExternRef(None),
        WVal::ExternRef(Nullable::Val(r)) => {
            Val::ExternRef(Some(*r.data(store.as_context()).downcast_ref::<u32>().expect("externrefs hold a u32")))
        }
        WVal::V128(_) => panic!("v128 in a Wasm 2.0 run without SIMD"),
    }
}

fn from_val(store: &mut Store<Data>, v: &Val) -> Option<WVal> {
    Some(match v {
        Val::I32(x) => WVal::I32(*x as i32),
        Val::I64(x) => WVal::I64(*x as i64),
        Val::F32(x) => WVal::F32(wasmi::F32::from_bits(*x)),
        Val::F64(x) => WVal::F64(wasmi::F64::from_bits(*x)),
        Val::FuncRef(None) => WVal::FuncRef(Nullable::Null),
        Val::ExternRef(None) => WVal::ExternRef(Nullable::Null),
        Val::ExternRef(Some(x)) => WVal::ExternRef(Nullable::Val(ExternRef::new(store, *x))),
        Val::FuncRef(Some(_)) => return None,
    })
}

/// Every table, memory and global of every live instance, through the
/// reserved exports. Reads only: no wasm runs.
fn observe(store: &impl AsContext<Data = Data>, scope: &Scope) -> Observation {
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
                let ext = inst.get_export(store.as_context(), &name).expect("instrumented modules export everything");
                let state = match ext {
                    Extern::Table(t) => {
                        let n = t.size(store.as_context());
                        let refs: Vec<Ref> = (0..n).map(|i| t.get(store.as_context(), i).expect("in bounds")).collect();
                        let elems = refs
                            .iter()
                            .map(|r| match r {
                                Ref::Func(f) => to_val(store, &WVal::FuncRef(*f)),
                                Ref::Extern(x) => to_val(store, &WVal::ExternRef(*x)),
                            })
                            .collect();
                        ObjectState::Table { elems }
                    }
                    Extern::Memory(m) => ObjectState::Memory { bytes: m.data(store.as_context()).to_vec() },
                    Extern::Global(g) => {
                        let mutable = g.ty(store.as_context()).mutability() == Mutability::Var;
                        let v = g.get(store.as_context());
                        ObjectState::Global { mutable, value: to_val(store, &v) }
                    }
                    Extern::Func(_) => panic!("a reserved export is a function"),
                };
                obs.objects.insert(key, state);
            }
        }
    }
    obs
}

/// wasmi inside a `lockstep` host call.
struct HostCx<'a> {
    caller: Caller<'a, Data>,
}

impl HostCx<'_> {
    /// The caller's instance number: the label of its first defined
    /// function ([`instrument::SELF_FUNC_EXPORT`]). No wasm runs.
    ///
    /// For a function that a failed instantiation left behind, wasmi's
    /// `Caller::get_export` reads the export map of the placeholder instance
    /// entity (`InstanceEntity::new_uninit`, allocated and never replaced):
    /// an empty map, so `None`, without a crash. In wasmi 2.0.0 such a
    /// function cannot get here anyway: calling an imported function goes
    /// through its instance, and crashes first.
    fn caller_instance(&self) -> Option<InstNum> {
        let Some(Extern::Func(f)) = self.caller.get_export(instrument::SELF_FUNC_EXPORT) else { return None };
        match label_of(self.caller.data(), &f) {
            FuncLabel::Wasm { instance, .. } => Some(instance),
            FuncLabel::Host(_) => None,
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
        host.iter().find(|(m, n, _, _)| m == host::MODULE && n == name).map(|(_, _, e, p)| (*e, p.clone()))
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
        let f = inst.get_func(&self.caller, name)?;
        Some(((f.into(), Provenance::Func(label.clone())), label))
    }

    fn table_slot(&mut self, table: &(Extern, Provenance), i: u32) -> Option<Option<FuncLabel>> {
        let Extern::Table(t) = table.0 else { return None };
        match t.get(&self.caller, u64::from(i))? {
            Ref::Func(Nullable::Val(f)) => Some(Some(label_of(self.caller.data(), &f))),
            _ => Some(None),
        }
    }

    fn table_grow(&mut self, table: &(Extern, Provenance), func: &(Extern, Provenance)) -> Option<u32> {
        let (Extern::Table(t), Extern::Func(f)) = (table.0, func.0) else { return None };
        t.grow(&mut self.caller, 1, Ref::Func(Nullable::Val(f))).ok().map(|old| old as u32)
    }
}

impl Engine for WasmiEngine {
    fn name(&self) -> &'static str {
        "wasmi"
    }

    fn compile(&mut self, bytes: &[u8]) -> Result<ModuleId, Rejected> {
        let engine = self.store.engine().clone();
        let compiled = self.cache.get_or_compile(&self.cache_key, bytes, || {
            // The original and the instrumented module.
            self.compiled.fetch_add(2, Ordering::Relaxed);
            // The original must be accepted as is; the instrumented one then runs.
            Module::new(&engine, bytes).map_err(|e| Rejected::Rejected(e.to_string()))?;
            let info = ModuleInfo::read(bytes).map_err(Rejected::Unsupported)?;
            let instrumented = instrument::instrument_with(bytes, Probe::Off).map_err(Rejected::Unsupported)?;
            let module = Module::new(&engine, &instrumented)
                .map_err(|e| Rejected::Unsupported(format!("the instrumented module does not compile: {e}")))?;
            Ok((module, info))
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
        let Some(f) = inst.get_func(&self.store, export) else { return Outcome::Link };
        let Some(args) = args.iter().map(|a| from_val(&mut self.store, a)).collect::<Option<Vec<_>>>() else {
            return Outcome::Poisoned(Poison::Unsupported("a funcref argument from the script".into()));
        };
        let ty = f.ty(&self.store);
        let mut results: Vec<WVal> = ty.results().iter().map(|t| WVal::default_for_ty(*t)).collect();
        let refusals = self.store.data().limiter.refusals;
        set_fuel(&mut self.store);
        match f.call(&mut self.store, &args, &mut results) {
            Ok(()) => {
                let vals = results.iter().map(|v| to_val(&self.store, v)).collect();
                let limiter = &self.store.data().limiter;
                if limiter.refusals != refusals {
                    return Outcome::Poisoned(limiter.refused(vals));
                }
                Outcome::Values(vals)
            }
            Err(e) => outcome(&mut self.store, refusals, &e),
        }
    }

    fn get_global(&mut self, instance: InstNum, export: &str) -> Outcome {
        let Some(Some(inst)) = self.store.data().instances.get(instance as usize).copied() else {
            return Outcome::Link;
        };
        match inst.get_global(&self.store, export) {
            Some(g) => {
                let v = g.get(&self.store);
                Outcome::Values(vec![to_val(&self.store, &v)])
            }
            None => Outcome::Link,
        }
    }

    fn observe(&mut self, scope: &Scope) -> Observation {
        observe(&self.store, scope)
    }

    fn set_scope(&mut self, scope: Scope) {
        self.store.data_mut().book.scope = scope;
    }

    fn take_host_calls(&mut self) -> Vec<HostCall> {
        std::mem::take(&mut self.store.data_mut().book.calls)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keys read from the `Debug` text follow allocation order, one apart,
    /// whatever else the store allocated in between.
    #[test]
    fn func_keys_count_allocations() {
        let engine = wasmi::Engine::default();
        let mut store = Store::new(&engine, ());
        let a = Func::wrap(&mut store, || {});
        let _global = Global::new(&mut store, WVal::I32(0), Mutability::Var);
        let b = Func::wrap(&mut store, |x: i32| x);
        assert_eq!(func_key(&b), func_key(&a) + 1);
        assert!(format!("{a:?}").contains(&format!("key: {}", func_key(&a))));
        // Another store counts its own.
        let mut other = Store::new(&engine, ());
        assert_eq!(func_key(&Func::wrap(&mut other, || {})), func_key(&a));
    }

    /// A module's defined functions get the keys that follow the next free
    /// one, in index order, and a failed instantiation leaves them labelled.
    #[test]
    fn instances_are_labelled_without_running_them() {
        let mut e = WasmiEngine::new(Limits::default());
        let wat = r#"(module
            (import "spectest" "print_i32" (func (param i32)))
            (table (export "t") 3 funcref)
            (func $a (result i32) (i32.const 1))
            (func $b (result i32) (i32.const 2))
            (elem (i32.const 0) func $b $a 0))"#;
        let m = e.compile(&wat::parse_str(wat).unwrap()).unwrap();
        let import = ImportRef::Host { module: "spectest".into(), name: "print_i32".into() };
        assert_eq!(e.instantiate(m, &[import.clone()]), (Some(0), Outcome::Values(vec![])));
        let label = |index| Some(FuncLabel::Wasm { instance: 0, index });
        let host = Some(FuncLabel::Host("spectest.print_i32".into()));
        let t = (Kind::Table, Origin::Instance { instance: 0, index: 0 });
        let elems = vec![Val::FuncRef(label(2)), Val::FuncRef(label(1)), Val::FuncRef(host)];
        assert_eq!(e.observe(&Scope::All).objects[&t], ObjectState::Table { elems });

        // Element segments that write into #0's table, then trap.
        let wat = r#"(module
            (import "m" "t" (table 3 funcref))
            (global $g (mut i32) (i32.const 0))
            (func $set (global.set $g (i32.const 1)))
            (elem (i32.const 1) func $set)
            (elem (i32.const 3) func $set))"#;
        let bad = e.compile(&wat::parse_str(wat).unwrap()).unwrap();
        let table = ImportRef::Export { instance: 0, name: "t".into() };
        let (num, outcome) = e.instantiate(bad, &[table]);
        assert_eq!((num, outcome), (Some(1), Outcome::Trap(TrapKind::OutOfBoundsTableAccess)));
        let Some(ObjectState::Table { elems }) = e.observe(&Scope::All).objects.get(&t).cloned() else {
            panic!("no table")
        };
        assert_eq!(elems[1], Val::FuncRef(Some(FuncLabel::Wasm { instance: 1, index: 0 })));
    }
}
