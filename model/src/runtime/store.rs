//! The store (§4.2.3) and its instances (§4.2.4–§4.2.11), with allocation
//! (§4.5.3).
//!
//! The store is explicit and append-only: one vector per kind of instance, and
//! an address is an index into its vector, handed out as the vector's old length
//! (`$alloctable(s, …) = (s ++ {TABLES ti}, |s.TABLES|)`). Nothing is ever
//! removed. Sharing a table or memory between two module instances means that
//! both hold the same address; there is no other aliasing.

use std::fmt;
use std::rc::Rc;

use crate::error::{Error, ExhaustionKind};
use crate::runtime::value::{Ref, Value};
use crate::syntax::{Func, FuncType, GlobalType, Limits, MemType, RefType, TableType};

macro_rules! addresses {
    ($($(#[$doc:meta])* $name:ident => $field:ident : $inst:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub u32);

        impl std::ops::Index<$name> for Store {
            type Output = $inst;
            fn index(&self, a: $name) -> &$inst {
                match self.$field.get(a.0 as usize) {
                    Some(i) => i,
                    None => panic!("model bug: dangling {} {}", stringify!($name), a.0),
                }
            }
        }

        impl std::ops::IndexMut<$name> for Store {
            fn index_mut(&mut self, a: $name) -> &mut $inst {
                match self.$field.get_mut(a.0 as usize) {
                    Some(i) => i,
                    None => panic!("model bug: dangling {} {}", stringify!($name), a.0),
                }
            }
        }
    )*};
}

addresses! {
    /// The address of a function instance.
    FuncAddr => funcs: FuncInst;
    /// The address of a table instance.
    TableAddr => tables: TableInst;
    /// The address of a memory instance.
    MemAddr => mems: MemInst;
    /// The address of a global instance.
    GlobalAddr => globals: GlobalInst;
    /// The address of an element instance.
    ElemAddr => elems: ElemInst;
    /// The address of a data instance.
    DataAddr => datas: DataInst;
    /// The address of a module instance. The spec keeps module instances out
    /// of the store; keeping them here, append-only too, only gives them names.
    ModuleAddr => modules: ModuleInst;
}

/// The size of a memory page (§4.2.8): 64 KiB.
pub const PAGE_SIZE: usize = 65536;

// ANCHOR: store
/// The store (§4.2.3): every instance ever allocated.
#[derive(Debug, Default)]
pub struct Store {
    pub funcs: Vec<FuncInst>,
    pub tables: Vec<TableInst>,
    pub mems: Vec<MemInst>,
    pub globals: Vec<GlobalInst>,
    pub elems: Vec<ElemInst>,
    pub datas: Vec<DataInst>,
    pub modules: Vec<ModuleInst>,
    /// The implementation's choices where the spec leaves one.
    pub policy: Policy,
    /// How many grows the policy refused that the semantics allowed (below
    /// the declared max): an embedder comparing with another implementation
    /// must know that a -1 came from a limit, not from the semantics.
    pub policy_refusals: u64,
    /// The last such refusal, named (`memory growth to 2000 pages exceeds
    /// the limit of 1024 pages`).
    pub last_refusal: Option<String>,
    /// When `Some`, every step of [`crate::exec::run`] is recorded here
    /// (for traces; costs one branch per step when `None`).
    pub trace: Option<crate::exec::Trace>,
    /// When set, [`crate::exec::run`] checks the store's invariants and the
    /// typing of the configuration (preservation, progress) at every step
    /// ([`crate::exec::invariants`], [`crate::exec::typing`]), for property tests.
    pub check_invariants: bool,
    /// Frames live across all threads: a host function that re-enters wasm
    /// runs a new thread on the same call stack budget.
    pub(crate) depth: usize,
}
// ANCHOR_END: store

/// The choices an implementation makes where the spec lets it (explicit
/// nondeterminism, and the limits of Appendix A.2): when growth fails, how
/// large a table or memory may be allocated, and how deep and how long it
/// may run.
#[derive(Clone, Debug)]
pub struct Policy {
    /// `memory.grow` fails past this many pages, even below the declared
    /// max; allocating a memory of more pages is `Exhaustion(MemorySize)`.
    pub max_memory_pages: u32,
    /// `table.grow` fails past this many elements, even below the declared
    /// max; allocating a table of more elements is `Exhaustion(TableSize)`.
    pub max_table_elems: u32,
    /// Invocation fails with `Exhaustion(CallDepth)` past this many frames.
    pub max_call_depth: usize,
    /// A run fails with `Exhaustion(Steps)` after this many steps.
    pub max_steps: u64,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            max_memory_pages: 16 * 1024, // 1 GiB
            max_table_elems: 10_000_000,
            max_call_depth: 20_000,
            max_steps: u64::MAX,
        }
    }
}

/// A host function: it receives the store (so it may allocate, instantiate
/// and invoke through the embedder API while wasm is running), its caller,
/// and the arguments; it returns results or an error that the caller's
/// thread then propagates.
pub type HostFunc = Rc<dyn Fn(&mut Store, Caller, &[Value]) -> Result<Vec<Value>, Error>>;

/// Who called a host function: the module instance of the calling frame, or
/// `None` when the embedder invoked it directly. The spec gives host
/// functions only the store; this is an embedder extension, as wasmtime's and
/// wasmi's `Caller`, so that a host `dlopen` can link against its caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Caller(pub Option<ModuleAddr>);

/// Function instances (§4.2.6).
#[derive(Clone)]
pub enum FuncInst {
    Wasm { ty: FuncType, module: ModuleAddr, code: Func },
    Host { ty: FuncType, code: HostFunc, name: String },
}

impl FuncInst {
    pub fn ty(&self) -> &FuncType {
        match self {
            FuncInst::Wasm { ty, .. } | FuncInst::Host { ty, .. } => ty,
        }
    }
}

impl fmt::Debug for FuncInst {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FuncInst::Wasm { ty, module, .. } => write!(f, "wasm func {ty} of {module:?}"),
            FuncInst::Host { ty, name, .. } => write!(f, "host func {name} {ty}"),
        }
    }
}

/// Table instances (§4.2.7).
#[derive(Clone, Debug)]
pub struct TableInst {
    pub ty: TableType,
    pub elem: Vec<Ref>,
}

/// Memory instances (§4.2.8).
#[derive(Clone, Debug)]
pub struct MemInst {
    pub ty: MemType,
    pub data: Vec<u8>,
}

/// Global instances (§4.2.9).
#[derive(Clone, Debug)]
pub struct GlobalInst {
    pub ty: GlobalType,
    pub value: Value,
}

/// Element instances (§4.2.10). `elem.drop` empties `elem`.
#[derive(Clone, Debug)]
pub struct ElemInst {
    pub ty: RefType,
    pub elem: Vec<Ref>,
}

/// Data instances (§4.2.11). `data.drop` empties `data`.
#[derive(Clone, Debug)]
pub struct DataInst {
    pub data: Vec<u8>,
}

/// External values (§4.2.12): what imports are given and exports expose.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExternVal {
    Func(FuncAddr),
    Table(TableAddr),
    Mem(MemAddr),
    Global(GlobalAddr),
}

/// Export instances (§4.2.13).
#[derive(Clone, Debug)]
pub struct ExportInst {
    pub name: String,
    pub value: ExternVal,
}

// ANCHOR: module_inst
/// Module instances (§4.2.5): addresses only.
#[derive(Clone, Debug, Default)]
pub struct ModuleInst {
    pub types: Vec<FuncType>,
    pub funcaddrs: Vec<FuncAddr>,
    pub tableaddrs: Vec<TableAddr>,
    pub memaddrs: Vec<MemAddr>,
    pub globaladdrs: Vec<GlobalAddr>,
    pub elemaddrs: Vec<ElemAddr>,
    pub dataaddrs: Vec<DataAddr>,
    pub exports: Vec<ExportInst>,
}
// ANCHOR_END: module_inst

/// Allocation (§4.5.3): each function appends one instance and returns its
/// address, the old length.
impl Store {
    /// §4.5.3.1 "Functions".
    pub fn alloc_func(&mut self, ty: FuncType, module: ModuleAddr, code: Func) -> FuncAddr {
        self.funcs.push(FuncInst::Wasm { ty, module, code });
        FuncAddr(self.funcs.len() as u32 - 1)
    }

    /// §4.5.3.2 "Host Functions".
    pub fn alloc_host_func(&mut self, ty: FuncType, name: String, code: HostFunc) -> FuncAddr {
        self.funcs.push(FuncInst::Host { ty, code, name });
        FuncAddr(self.funcs.len() as u32 - 1)
    }

    // ANCHOR: alloc_table
    /// §4.5.3.3 "Tables": every slot holds `init`. A table larger than the
    /// store's cap ([`Policy::max_table_elems`]) is not allocated: that is
    /// `Exhaustion(TableSize)`, an implementation limit (Appendix A.2), with
    /// no effect on the store.
    pub fn alloc_table(&mut self, ty: TableType, init: Ref) -> Result<TableAddr, Error> {
        let (elems, limit) = (ty.limits.min, self.policy.max_table_elems);
        if elems > limit {
            return Err(Error::Exhaustion(ExhaustionKind::TableSize { elems, limit }));
        }
        self.tables.push(TableInst { ty, elem: vec![init; elems as usize] });
        Ok(TableAddr(self.tables.len() as u32 - 1))
    }
    // ANCHOR_END: alloc_table

    /// §4.5.3.4 "Memories": zeroed pages. A memory larger than the store's
    /// cap ([`Policy::max_memory_pages`]) is not allocated: that is
    /// `Exhaustion(MemorySize)`, with no effect on the store.
    pub fn alloc_mem(&mut self, ty: MemType) -> Result<MemAddr, Error> {
        let (pages, limit) = (ty.limits.min, self.policy.max_memory_pages);
        if pages > limit {
            return Err(Error::Exhaustion(ExhaustionKind::MemorySize { pages, limit }));
        }
        self.mems.push(MemInst { ty, data: vec![0; pages as usize * PAGE_SIZE] });
        Ok(MemAddr(self.mems.len() as u32 - 1))
    }

    /// §4.5.3.5 "Globals".
    pub fn alloc_global(&mut self, ty: GlobalType, value: Value) -> GlobalAddr {
        self.globals.push(GlobalInst { ty, value });
        GlobalAddr(self.globals.len() as u32 - 1)
    }

    /// §4.5.3.6 "Element segments".
    pub fn alloc_elem(&mut self, ty: RefType, elem: Vec<Ref>) -> ElemAddr {
        self.elems.push(ElemInst { ty, elem });
        ElemAddr(self.elems.len() as u32 - 1)
    }

    /// §4.5.3.7 "Data segments".
    pub fn alloc_data(&mut self, data: Vec<u8>) -> DataAddr {
        self.datas.push(DataInst { data });
        DataAddr(self.datas.len() as u32 - 1)
    }

    /// Appends a module instance (see [`ModuleAddr`]).
    pub fn alloc_module(&mut self, inst: ModuleInst) -> ModuleAddr {
        self.modules.push(inst);
        ModuleAddr(self.modules.len() as u32 - 1)
    }

    // ANCHOR: grow_table
    /// §4.5.3.8 "Growing tables": `n` more slots holding `init`, or `None`
    /// when growth fails. It fails past the table's max (or 2^32-1) as the spec
    /// demands, and past the store's cap ([`Policy::max_table_elems`]), which
    /// is the model's use of "growth may fail at any time".
    pub fn grow_table(&mut self, a: TableAddr, n: u32, init: Ref) -> Option<u32> {
        let cap = self.policy.max_table_elems;
        let table = &mut self[a];
        let old = table.elem.len() as u32;
        let new = old.checked_add(n)?;
        if table.ty.limits.max.is_some_and(|max| new > max) {
            return None;
        }
        if new > cap {
            self.policy_refusals += 1;
            self.last_refusal = Some(format!("table growth to {new} elements exceeds the limit of {cap}"));
            return None;
        }
        let table = &mut self[a];
        table.elem.resize(new as usize, init);
        table.ty.limits.min = new;
        Some(old)
    }
    // ANCHOR_END: grow_table

    /// §4.5.3.9 "Growing memories": `n` more zeroed pages, or `None` when
    /// growth fails: past the max (or 65536 pages), or past the store's cap.
    pub fn grow_mem(&mut self, a: MemAddr, n: u32) -> Option<u32> {
        let cap = self.policy.max_memory_pages;
        let mem = &mut self[a];
        let old = (mem.data.len() / PAGE_SIZE) as u32;
        let new = old.checked_add(n)?;
        if new > 65536 || mem.ty.limits.max.is_some_and(|max| new > max) {
            return None;
        }
        if new > cap {
            self.policy_refusals += 1;
            self.last_refusal = Some(format!("memory growth to {new} pages exceeds the limit of {cap} pages"));
            return None;
        }
        let mem = &mut self[a];
        mem.data.resize(new as usize * PAGE_SIZE, 0);
        mem.ty.limits.min = new;
        Some(old)
    }
}

// ANCHOR: current_type
impl TableInst {
    /// The table's current type: its limits' min is its current length. Import
    /// matching compares against this, not the type it was declared with.
    pub fn current_type(&self) -> TableType {
        self.ty
    }
}
// ANCHOR_END: current_type

impl MemInst {
    pub fn pages(&self) -> u32 {
        (self.data.len() / PAGE_SIZE) as u32
    }
}

// ANCHOR: limits_match
/// Limits matching (§4.5.2.x "Limits"): `{min n1, max m1?}` matches
/// `{min n2, max m2?}` iff n1 ≥ n2 and, if m2 is present, m1 is too and m1 ≤ m2.
pub fn limits_match(actual: Limits, expected: Limits) -> bool {
    actual.min >= expected.min
        && match (actual.max, expected.max) {
            (_, None) => true,
            (Some(m1), Some(m2)) => m1 <= m2,
            (None, Some(_)) => false,
        }
}
// ANCHOR_END: limits_match
