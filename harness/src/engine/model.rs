//! The model as an engine: the reference the others are compared with.
//! Labels come straight from the store: a function's instance and index,
//! a table's defining instance.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::rc::Rc;

use model::embed::{self, ExternVal, Store, ValidModule};
use model::runtime::{Caller, FuncAddr, FuncInst, ModuleAddr, Ref, Value};
use model::syntax::{FuncType, RefType, ValType};
use model::{DecodeError, Error, ExhaustionKind};

use super::{
    Engine, FuncLabel, HostCall, ImportRef, InstNum, Kind, ModuleCache, ModuleId, ObjectState, Observation, Origin,
    Outcome, Poison, Rejected, Scope, Val,
};
use crate::host::{self, LinkHost, LinkState};
use crate::limits::Limits;

/// The model, with the bookkeeping that labels what it shows.
pub struct ModelEngine {
    store: Store,
    book: Rc<RefCell<Book>>,
    /// Decoded and validated modules by content, shared with other engines.
    cache: ModuleCache,
}

/// Everything the adapter and its host functions share.
#[derive(Default)]
struct Book {
    modules: Vec<ValidModule>,
    definitions: HashMap<String, ModuleId>,
    /// The module address of each instance number (numbers follow addresses).
    instances: Vec<ModuleAddr>,
    /// Instances whose instantiation succeeded: what observations show.
    live: Vec<InstNum>,
    /// Origins of the host objects (`spectest.table`, …).
    host_origins: HashMap<(Kind, u32), Origin>,
    spectest: Vec<(String, ExternVal)>,
    lockstep: Vec<(String, FuncAddr)>,
    link: LinkState,
    calls: Vec<HostCall>,
    /// What host calls observe.
    scope: Scope,
    /// A poison (a dlopen that ran out of something) or an unclassified
    /// error raised inside a host call, to report as the run's outcome once
    /// the caller's run has unwound.
    stop: Option<Outcome>,
}

impl Default for ModelEngine {
    fn default() -> Self {
        Self::new(Limits::default())
    }
}

impl ModelEngine {
    /// A fresh store that decodes and validates every module afresh.
    pub fn new(limits: Limits) -> ModelEngine {
        Self::with_cache(limits, &ModuleCache::disabled())
    }

    /// A fresh store whose modules come from `cache` when it has them: a
    /// validated module is plain immutable data, the store is this engine's.
    pub fn with_cache(limits: Limits, cache: &ModuleCache) -> ModelEngine {
        // A fresh store has chosen no NaN (the record is per thread).
        model::exec::numerics::forget_chosen_nans();
        let mut store = embed::store_init();
        store.policy.max_memory_pages = limits.memory_pages;
        store.policy.max_table_elems = limits.table_elems;
        store.policy.max_call_depth = limits.call_depth;
        store.policy.max_steps = limits.fuel;
        let book = Rc::new(RefCell::new(Book::default()));
        let spectest = crate::spectest::spectest(&mut store);
        let mut lockstep = Vec::new();
        for &(name, arity) in host::FUNCS {
            let ty = FuncType { params: vec![ValType::I32; arity], results: vec![ValType::I32] };
            let shared = book.clone();
            let code = Rc::new(move |store: &mut Store, caller: Caller, args: &[Value]| {
                lockstep_call(store, &shared, caller, name, args)
            });
            lockstep.push((name.to_string(), embed::func_alloc(&mut store, ty, &format!("lockstep.{name}"), code)));
        }
        {
            let mut b = book.borrow_mut();
            for (name, v) in &spectest {
                let label = format!("spectest.{name}");
                let key = match *v {
                    ExternVal::Func(_) => continue,
                    ExternVal::Table(a) => (Kind::Table, a.0),
                    ExternVal::Mem(a) => (Kind::Memory, a.0),
                    ExternVal::Global(a) => (Kind::Global, a.0),
                };
                b.host_origins.insert(key, Origin::Host(label));
            }
            b.spectest = spectest;
            b.lockstep = lockstep;
        }
        ModelEngine { store, book, cache: cache.clone() }
    }

    /// The model's store, for traces and tests.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Checks the store's invariants and the configuration's typing at every
    /// step from now on ([`model::exec::invariants`], [`model::exec::typing`]):
    /// a broken one panics as a model bug.
    pub fn check_invariants(&mut self) {
        self.store.check_invariants = true;
    }

    /// Starts recording every step ([`model::exec::TraceStep`]).
    pub fn start_trace(&mut self) {
        self.store.trace = Some(model::exec::Trace::new(model::exec::Trace::DEFAULT_LIMIT));
    }

    /// Starts handing every step to `sink` as it is taken, with the label of
    /// its function (`None`: instantiation code) and its operands as every
    /// engine shows them: at most `limit` steps between two
    /// [`Self::take_trace`], the rest only counted.
    pub fn stream_trace(
        &mut self,
        limit: usize,
        mut sink: impl FnMut(&model::exec::TraceStep, Option<FuncLabel>, Vec<Val>) + 'static,
    ) {
        let book = self.book.clone();
        let each = move |store: &Store, step: model::exec::TraceStep| {
            let (place, operands) = {
                let b = book.borrow();
                (
                    step.func.map(|f| func_label(store, &b, f)),
                    step.operands.iter().map(|v| to_val(store, &b, v)).collect(),
                )
            };
            sink(&step, place, operands)
        };
        self.store.trace = Some(model::exec::Trace::streaming(limit, Box::new(each)));
    }

    /// The steps recorded since the last call (none when streamed), and how
    /// many more ran past the trace's limit and were only counted.
    pub fn take_trace(&mut self) -> (Vec<model::exec::TraceStep>, u64) {
        self.store.trace.as_mut().map_or((vec![], 0), |t| t.take())
    }

    /// A function's label.
    pub fn label(&self, f: FuncAddr) -> FuncLabel {
        func_label(&self.store, &self.book.borrow(), f)
    }

    /// A value as every engine shows it.
    pub fn val(&self, v: &Value) -> Val {
        to_val(&self.store, &self.book.borrow(), v)
    }
}

/// A `lockstep` host call: recorded with the observation at its entry.
fn lockstep_call(
    store: &mut Store,
    book: &RefCell<Book>,
    caller: Caller,
    name: &str,
    args: &[Value],
) -> Result<Vec<Value>, Error> {
    let args: Vec<Val> = args.iter().map(|v| to_val(store, &book.borrow(), v)).collect();
    let observation = {
        let b = book.borrow();
        observe(store, &b, &b.scope)
    };
    let mut cx = HostCx { store, book, caller };
    let (record, result) = host::call_recorded(&mut cx, name, args, observation);
    book.borrow_mut().calls.push(record);
    match result {
        Ok(r) => Ok(vec![Value::I32(r as u32)]),
        // A poison inside: end the caller's run, and report that outcome
        // (not the step budget this unwinds with) once it has ended.
        Err(p) => {
            book.borrow_mut().stop = Some(p);
            Err(Error::Exhaustion(ExhaustionKind::Steps))
        }
    }
}

/// The model inside a host call.
struct HostCx<'a> {
    store: &'a mut Store,
    book: &'a RefCell<Book>,
    caller: Caller,
}

impl HostCx<'_> {
    fn caller(&self) -> Option<ModuleAddr> {
        self.caller.0
    }
}

impl LinkHost for HostCx<'_> {
    type Extern = ExternVal;

    fn with_link_state<R>(&mut self, f: impl FnOnce(&mut LinkState) -> R) -> R {
        f(&mut self.book.borrow_mut().link)
    }

    fn caller_memory(&mut self, ptr: u32, len: u32) -> Option<Vec<u8>> {
        let ExternVal::Mem(m) = embed::instance_export(self.store, self.caller()?, "memory")? else { return None };
        let data = &self.store[m].data;
        data.get(ptr as usize..(ptr as usize).checked_add(len as usize)?).map(<[u8]>::to_vec)
    }

    fn caller_export(&mut self, name: &str) -> Option<ExternVal> {
        embed::instance_export(self.store, self.caller()?, name)
    }

    fn host_func(&mut self, name: &str) -> Option<ExternVal> {
        let b = self.book.borrow();
        b.lockstep.iter().find(|(n, _)| n == name).map(|(_, a)| ExternVal::Func(*a))
    }

    fn definition_imports(&mut self, def: &str) -> Option<Vec<(String, String)>> {
        let b = self.book.borrow();
        let module = &b.modules[*b.definitions.get(def)?];
        Some(embed::module_imports(module).into_iter().map(|(m, n, _)| (m, n)).collect())
    }

    fn instantiate_definition(&mut self, def: &str, imports: &[ExternVal]) -> (Option<InstNum>, Outcome) {
        let module = {
            let b = self.book.borrow();
            b.modules[b.definitions[def]].clone()
        };
        instantiate(self.store, self.book, &module, imports)
    }

    fn export_func(&mut self, instance: InstNum, name: &str) -> Option<(ExternVal, FuncLabel)> {
        let addr = *self.book.borrow().instances.get(instance as usize)?;
        let ExternVal::Func(f) = embed::instance_export(self.store, addr, name)? else { return None };
        let label = func_label(self.store, &self.book.borrow(), f);
        Some((ExternVal::Func(f), label))
    }

    fn table_slot(&mut self, table: &ExternVal, i: u32) -> Option<Option<FuncLabel>> {
        let ExternVal::Table(t) = *table else { return None };
        match embed::table_read(self.store, t, i)? {
            Ref::Func(f) => Some(Some(func_label(self.store, &self.book.borrow(), f))),
            _ => Some(None),
        }
    }

    fn table_grow(&mut self, table: &ExternVal, func: &ExternVal) -> Option<u32> {
        let (ExternVal::Table(t), ExternVal::Func(f)) = (*table, *func) else { return None };
        // Refused (a function reference for an externref table, A.1.8) or
        // failed (§4.5.3.8): either way the host sees no slot, as in the
        // engines, whose `Table::grow` refuses the wrong type.
        embed::table_grow(self.store, t, 1, Ref::Func(f)).ok().flatten()
    }
}

/// Instantiation with numbering: an instance that gets past linking is
/// numbered before anything runs (a start function that dlopens sees it
/// numbered first), and numbers follow module addresses.
fn instantiate(
    store: &mut Store,
    book: &RefCell<Book>,
    module: &ValidModule,
    imports: &[ExternVal],
) -> (Option<InstNum>, Outcome) {
    let before = store.modules.len();
    let num = {
        let mut b = book.borrow_mut();
        b.instances.push(ModuleAddr(before as u32));
        b.instances.len() as InstNum - 1
    };
    let refusals = store.policy_refusals;
    let result = embed::module_instantiate(store, module, imports);
    let inner = book.borrow_mut().stop.take();
    if store.modules.len() == before {
        // A link error: nothing ran, so no other instance was numbered since.
        book.borrow_mut().instances.pop();
        return (None, outcome(store, refusals, inner, result.map(|_| vec![])));
    }
    if result.is_ok() {
        book.borrow_mut().live.push(num);
    }
    (Some(num), outcome(store, refusals, inner, result.map(|_| vec![])))
}

/// A function's label, from the store: its instance and its index there.
fn func_label(store: &Store, b: &Book, a: FuncAddr) -> FuncLabel {
    match &store[a] {
        FuncInst::Host { name, .. } => FuncLabel::Host(name.clone()),
        FuncInst::Wasm { module, .. } => {
            let instance = b.instances.iter().position(|m| m == module).expect("every instance is numbered") as InstNum;
            let index = store[*module].funcaddrs.iter().position(|f| *f == a).expect("a function is in its instance");
            FuncLabel::Wasm { instance, index: index as u32 }
        }
    }
}

/// An object's origin: the first instance (in address order) that holds it
/// defined it, at that index; or a host object.
fn origin(store: &Store, b: &Book, kind: Kind, addr: u32) -> Origin {
    if let Some(o) = b.host_origins.get(&(kind, addr)) {
        return o.clone();
    }
    for (num, m) in b.instances.iter().enumerate() {
        let Some(inst) = store.modules.get(m.0 as usize) else { continue };
        let addrs: Vec<u32> = match kind {
            Kind::Table => inst.tableaddrs.iter().map(|a| a.0).collect(),
            Kind::Memory => inst.memaddrs.iter().map(|a| a.0).collect(),
            Kind::Global => inst.globaladdrs.iter().map(|a| a.0).collect(),
        };
        if let Some(index) = addrs.iter().position(|a| *a == addr) {
            return Origin::Instance { instance: num as InstNum, index: index as u32 };
        }
    }
    panic!("{kind:?} {addr} belongs to no instance")
}

/// The one place where the model's errors become outcomes. `inner` is a
/// poison raised inside a host call of the run, which ended it.
fn outcome(store: &Store, refusals_before: u64, inner: Option<Outcome>, r: Result<Vec<Val>, Error>) -> Outcome {
    if let Some(o) = inner {
        return o;
    }
    if store.policy_refusals != refusals_before {
        let what = store.last_refusal.clone().unwrap_or_default();
        return Outcome::Poisoned(match r {
            Ok(returned) => Poison::Refused { what, returned },
            Err(_) => Poison::Limit(what),
        });
    }
    match r {
        Ok(vals) => Outcome::Values(vals),
        Err(Error::Link(_)) => Outcome::Link,
        Err(Error::Trap(k)) => Outcome::Trap(k),
        Err(Error::Exhaustion(ExhaustionKind::CallDepth)) => Outcome::Poisoned(Poison::StackExhausted),
        Err(Error::Exhaustion(ExhaustionKind::Steps)) => Outcome::Poisoned(Poison::OutOfFuel),
        // A table or memory larger than the policy allows: named, with its size.
        Err(Error::Exhaustion(k @ (ExhaustionKind::TableSize { .. } | ExhaustionKind::MemorySize { .. }))) => {
            Outcome::Poisoned(Poison::Limit(format!("the model's policy refused an allocation: {k}")))
        }
    }
}

fn to_val(store: &Store, b: &Book, v: &Value) -> Val {
    match *v {
        Value::I32(x) => Val::I32(x),
        Value::I64(x) => Val::I64(x),
        Value::F32(x) => Val::F32(x),
        Value::F64(x) => Val::F64(x),
        Value::Ref(Ref::Null(RefType::FuncRef)) => Val::FuncRef(None),
        Value::Ref(Ref::Null(RefType::ExternRef)) => Val::ExternRef(None),
        Value::Ref(Ref::Func(a)) => Val::FuncRef(Some(func_label(store, b, a))),
        Value::Ref(Ref::Extern(x)) => Val::ExternRef(Some(x)),
    }
}

fn from_val(v: &Val) -> Option<Value> {
    Some(match v {
        Val::I32(x) => Value::I32(*x),
        Val::I64(x) => Value::I64(*x),
        Val::F32(x) => Value::F32(*x),
        Val::F64(x) => Value::F64(*x),
        Val::FuncRef(None) => Value::Ref(Ref::Null(RefType::FuncRef)),
        Val::ExternRef(None) => Value::Ref(Ref::Null(RefType::ExternRef)),
        Val::ExternRef(Some(x)) => Value::Ref(Ref::Extern(*x)),
        Val::FuncRef(Some(_)) => return None,
    })
}

fn observe(store: &Store, b: &Book, scope: &Scope) -> Observation {
    let mut obs = Observation::default();
    for &num in b.live.iter().filter(|&&n| scope.holds(n)) {
        let inst = &store[b.instances[num as usize]];
        for a in &inst.tableaddrs {
            let elems = store[*a].elem.iter().map(|r| to_val(store, b, &Value::Ref(*r))).collect();
            obs.objects.insert((Kind::Table, origin(store, b, Kind::Table, a.0)), ObjectState::Table { elems });
        }
        for a in &inst.memaddrs {
            let bytes = store[*a].data.clone();
            obs.objects.insert((Kind::Memory, origin(store, b, Kind::Memory, a.0)), ObjectState::Memory { bytes });
        }
        for a in &inst.globaladdrs {
            let g = &store[*a];
            let mutable = g.ty.mutability == model::syntax::Mut::Var;
            let state = ObjectState::Global { mutable, value: to_val(store, b, &g.value) };
            obs.objects.insert((Kind::Global, origin(store, b, Kind::Global, a.0)), state);
        }
    }
    obs
}

impl Engine for ModelEngine {
    fn name(&self) -> &'static str {
        "model"
    }

    fn compile(&mut self, bytes: &[u8]) -> Result<ModuleId, Rejected> {
        let module = self.cache.get_or_compile("model", bytes, || {
            let module = match embed::module_decode(bytes) {
                Ok(m) => m,
                Err(DecodeError::Unsupported(why)) => return Err(Rejected::Unsupported(why)),
                Err(DecodeError::Malformed(why)) => return Err(Rejected::Malformed(why)),
            };
            embed::module_validate(module).map_err(|e| Rejected::Invalid(e.0))
        })?;
        let mut b = self.book.borrow_mut();
        b.modules.push(module);
        Ok(b.modules.len() - 1)
    }

    fn define(&mut self, name: &str, module: ModuleId) {
        self.book.borrow_mut().definitions.insert(name.to_string(), module);
    }

    fn instantiate(&mut self, module: ModuleId, imports: &[ImportRef]) -> (Option<InstNum>, Outcome) {
        // An import the script cannot name is a link error, before anything runs.
        let Some(externs) = imports.iter().map(|i| self.resolve(i)).collect::<Option<Vec<_>>>() else {
            return (None, Outcome::Link);
        };
        let module = self.book.borrow().modules[module].clone();
        instantiate(&mut self.store, &self.book, &module, &externs)
    }

    fn invoke(&mut self, instance: InstNum, export: &str, args: &[Val]) -> Outcome {
        let Some(addr) = self.book.borrow().instances.get(instance as usize).copied() else { return Outcome::Link };
        let Some(ExternVal::Func(f)) = embed::instance_export(&self.store, addr, export) else { return Outcome::Link };
        let Some(args) = args.iter().map(from_val).collect::<Option<Vec<_>>>() else {
            return Outcome::Poisoned(Poison::Unsupported("a funcref argument from the script".into()));
        };
        let refusals = self.store.policy_refusals;
        let result = embed::func_invoke(&mut self.store, f, &args);
        let inner = self.book.borrow_mut().stop.take();
        let b = self.book.borrow();
        let result = result.map(|vals| vals.iter().map(|v| to_val(&self.store, &b, v)).collect());
        outcome(&self.store, refusals, inner, result)
    }

    fn get_global(&mut self, instance: InstNum, export: &str) -> Outcome {
        let Some(addr) = self.book.borrow().instances.get(instance as usize).copied() else { return Outcome::Link };
        match embed::instance_export(&self.store, addr, export) {
            Some(ExternVal::Global(g)) => {
                Outcome::Values(vec![to_val(&self.store, &self.book.borrow(), &embed::global_read(&self.store, g))])
            }
            _ => Outcome::Link,
        }
    }

    fn observe(&mut self, scope: &Scope) -> Observation {
        observe(&self.store, &self.book.borrow(), scope)
    }

    fn set_scope(&mut self, scope: Scope) {
        self.book.borrow_mut().scope = scope;
    }

    /// The instances whose code an operation entering `from` can run: the
    /// closure over every function an instance holds (its own, imported,
    /// in a table or an element segment it holds, in a global it holds), to
    /// the instance that function belongs to; and every instance the
    /// operation creates.
    fn reach(&self, from: &[InstNum]) -> Scope {
        let b = self.book.borrow();
        let store = &self.store;
        // Numbers follow addresses, so the instances are sorted by address.
        let number = |m: ModuleAddr| b.instances.binary_search(&m).ok().map(|n| n as InstNum);
        let (mut seen, mut todo) = (BTreeSet::new(), from.to_vec());
        while let Some(n) = todo.pop() {
            if !seen.insert(n) {
                continue;
            }
            let Some(&m) = b.instances.get(n as usize) else { continue };
            let inst = &store[m];
            let func = |r: &Ref| match r {
                Ref::Func(f) => Some(*f),
                _ => None,
            };
            let tables = inst.tableaddrs.iter().flat_map(|&t| store[t].elem.iter().filter_map(func));
            let segments = inst.elemaddrs.iter().flat_map(|&e| store[e].elem.iter().filter_map(func));
            let globals = inst.globaladdrs.iter().filter_map(|&g| match &store[g].value {
                Value::Ref(r) => func(r),
                _ => None,
            });
            for f in inst.funcaddrs.iter().copied().chain(tables).chain(segments).chain(globals) {
                if let FuncInst::Wasm { module, .. } = &store[f]
                    && let Some(k) = number(*module)
                    && !seen.contains(&k)
                {
                    todo.push(k);
                }
            }
        }
        Scope::Held { instances: seen, since: b.instances.len() as InstNum }
    }

    fn take_host_calls(&mut self) -> Vec<HostCall> {
        std::mem::take(&mut self.book.borrow_mut().calls)
    }

    fn chosen_nans(&self) -> Option<Vec<model::exec::numerics::ChosenNan>> {
        model::exec::numerics::chosen_nans()
    }
}

impl ModelEngine {
    fn resolve(&self, import: &ImportRef) -> Option<ExternVal> {
        let b = self.book.borrow();
        match import {
            ImportRef::Export { instance, name } => {
                embed::instance_export(&self.store, *b.instances.get(*instance as usize)?, name)
            }
            ImportRef::Host { module, name } if module == "spectest" => {
                b.spectest.iter().find(|(n, _)| n == name).map(|(_, v)| *v)
            }
            ImportRef::Host { module, name } if module == host::MODULE => {
                b.lockstep.iter().find(|(n, _)| n == name).map(|(_, a)| ExternVal::Func(*a))
            }
            ImportRef::Host { .. } => None,
        }
    }
}
