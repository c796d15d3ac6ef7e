//! wasmi 2.x as an engine. It runs instrumented modules
//! ([`crate::instrument`]): a function read from a table is identified by
//! calling it with the probe on, and every table, memory and global of an
//! instance is read through its reserved exports.

use wasmi::{
    AsContext, AsContextMut, Caller, Extern, ExternRef, Func, FuncType, Global, Instance, Memory, Module, Mutability,
    Nullable, Ref, Store, Table, TableType, TrapCode, Val as WVal, ValType as WValType,
};

use super::book::{Book, ExtKind, ModuleInfo, Provenance, kind_index};
use super::{
    Engine, FuncLabel, HostCall, ImportRef, InstNum, Kind, ModuleId, ObjectState, Observation, Origin, Outcome, Poison,
    Rejected, TrapKind, Val,
};
use crate::host::{self, LinkHost, LinkState};
use crate::instrument;
use crate::limits::{Growth, Limits};
use crate::spectest;

/// wasmi, with its store and the bookkeeping that labels what it shows.
pub struct WasmiEngine {
    store: Store<Data>,
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
    /// A poison raised inside a host call, to report once the call unwinds.
    poison: Option<Poison>,
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
    pub fn new(limits: Limits) -> WasmiEngine {
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
        config.set_max_recursion_depth(limits.call_depth);
        let engine = wasmi::Engine::new(&config);
        let data = Data {
            book: Book::default(),
            modules: Vec::new(),
            instances: Vec::new(),
            probe_on: None,
            probe_id: None,
            host: Vec::new(),
            host_labels: Vec::new(),
            limiter: Growth::new(limits),
            poison: None,
        };
        let mut store = Store::new(&engine, data);
        store.limiter(|d| &mut d.limiter);
        let on = Global::new(&mut store, WVal::I32(0), Mutability::Var);
        let id = Global::new(&mut store, WVal::I64(0), Mutability::Var);
        store.data_mut().probe_on = Some(on);
        store.data_mut().probe_id = Some(id);
        let mut e = WasmiEngine { store };
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
            let ty = FuncType::new(vec![WValType::I32; arity], [WValType::I32]);
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
                    let observation = observe(&mut caller);
                    let mut cx = HostCx { caller };
                    let (record, result) = host::call_recorded(&mut cx, name, args, observation);
                    let mut caller = cx.caller;
                    caller.data_mut().book.calls.push(record);
                    match result {
                        Ok(r) => {
                            results[0] = WVal::I32(r);
                            Ok(())
                        }
                        Err(p) => {
                            caller.data_mut().poison = Some(p);
                            Err(wasmi::Error::new("lockstep: poisoned inside a host call"))
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

/// If the probe is on, a host function reports who it is (as -1 - its
/// position) and must return at once.
fn probed(caller: &mut Caller<'_, Data>, label: usize) -> bool {
    let (on, id) = (caller.data().probe_on.unwrap(), caller.data().probe_id.unwrap());
    if !matches!(on.get(&*caller), WVal::I32(1)) {
        return false;
    }
    id.set(&mut *caller, WVal::I64(-1 - label as i64)).expect("probe id is a mutable i64");
    true
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
    let data = store.data();
    let (on, id) = (data.probe_on.unwrap(), data.probe_id.unwrap());
    let wasm = data.modules[module].clone();
    let me = Global::new(&mut store, WVal::I64(instrument::probe_id(num, 0)), Mutability::Const);
    let mut externs: Vec<Extern> = imports.iter().map(|(e, _)| *e).collect();
    externs.extend([Extern::from(on), Extern::from(id), Extern::from(me)]);
    let externs = wasmi_order(&wasm, &store.data().book.modules[module].imports, externs);
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

/// wasmi wants imports in the order of its `Module::imports`, which groups
/// them by kind; `externs` are in the module's import order (with the
/// instrumentation's three probe globals last).
fn wasmi_order(wasm: &Module, declared: &[(String, String, ExtKind)], externs: Vec<Extern>) -> Vec<Extern> {
    let probes = [instrument::PROBE_ON, instrument::PROBE_ID, instrument::PROBE_SELF]
        .map(|n| (instrument::PROBE_MODULE.to_string(), n.to_string()));
    let names: Vec<(String, String)> = declared.iter().map(|(m, n, _)| (m.clone(), n.clone())).chain(probes).collect();
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
    if let Some(p) = data.poison.take() {
        return Outcome::Poisoned(p);
    }
    if data.limiter.refusals != refusals_before {
        return Outcome::Poisoned(Poison::Limit("wasmi's limiter refused a grow".into()));
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
        _ => Outcome::Poisoned(Poison::Unsupported(format!("unexpected wasmi error: {e}"))),
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

/// The label of a function: call it with the probe on.
fn label_of(store: &mut impl AsContextMut<Data = Data>, f: &Func) -> FuncLabel {
    let ctx = store.as_context();
    let (on, id) = (ctx.data().probe_on.unwrap(), ctx.data().probe_id.unwrap());
    let ty = f.ty(store.as_context());
    let args: Vec<WVal> = ty.params().iter().map(|t| WVal::default_for_ty(*t)).collect();
    let mut results: Vec<WVal> = ty.results().iter().map(|t| WVal::default_for_ty(*t)).collect();
    on.set(store.as_context_mut(), WVal::I32(1)).expect("probe flag");
    let called = f.call(store.as_context_mut(), &args, &mut results);
    on.set(store.as_context_mut(), WVal::I32(0)).expect("probe flag");
    if let Err(e) = called {
        panic!("probing a function failed: {e}");
    }
    match id.get(store.as_context()) {
        WVal::I64(x) if x < 0 => store.as_context().data().host_labels[(-1 - x) as usize].clone(),
        WVal::I64(x) => {
            let (instance, index) = instrument::decode_probe_id(x);
            FuncLabel::Wasm { instance, index }
        }
        other => panic!("probe id is {other:?}"),
    }
}

fn to_val(store: &mut impl AsContextMut<Data = Data>, v: &WVal) -> Val {
    match v {
        WVal::I32(x) => Val::I32(*x as u32),
        WVal::I64(x) => Val::I64(*x as u64),
        WVal::F32(x) => Val::F32(x.to_bits()),
        WVal::F64(x) => Val::F64(x.to_bits()),
        WVal::FuncRef(Nullable::Null) => Val::FuncRef(None),
        WVal::FuncRef(Nullable::Val(f)) => Val::FuncRef(Some(label_of(store, f))),
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
/// reserved exports.
fn observe(store: &mut impl AsContextMut<Data = Data>) -> Observation {
    let mut obs = Observation::default();
    let live = store.as_context().data().book.live.clone();
    for num in live {
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
    fn caller_instance(&self) -> Option<InstNum> {
        let Some(Extern::Global(g)) = self.caller.get_export(instrument::SELF_EXPORT) else { return None };
        match g.get(&self.caller) {
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
            Ref::Func(Nullable::Val(f)) => Some(Some(label_of(&mut self.caller, &f))),
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
        // The original must be accepted as is; the instrumented one then runs.
        Module::new(self.store.engine(), bytes).map_err(|e| Rejected::Rejected(e.to_string()))?;
        let info = ModuleInfo::read(bytes).map_err(Rejected::Unsupported)?;
        let instrumented = instrument::instrument(bytes).map_err(Rejected::Unsupported)?;
        let module = Module::new(self.store.engine(), &instrumented)
            .map_err(|e| Rejected::Unsupported(format!("the instrumented module does not compile: {e}")))?;
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
                let refused = self.store.data().limiter.refusals != refusals;
                if refused {
                    return Outcome::Poisoned(Poison::Limit("wasmi's limiter refused a grow".into()));
                }
                Outcome::Values(results.iter().map(|v| to_val(&mut self.store, v)).collect())
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
                Outcome::Values(vec![to_val(&mut self.store, &v)])
            }
            None => Outcome::Link,
        }
    }

    fn observe(&mut self) -> Observation {
        observe(&mut self.store)
    }

    fn take_host_calls(&mut self) -> Vec<HostCall> {
        std::mem::take(&mut self.store.data_mut().book.calls)
    }
}
