//! The embedder API (Appendix A.1 "Embedding"), one function per entry,
//! named as there. The store is passed explicitly; what a function may change
//! shows in its signature (`&Store` or `&mut Store`).
//!
//! Host functions get `&mut Store` and may call back into any of these while
//! wasm is running: a host `dlopen` instantiates a module mid-call.
//!
//! # What is refused
//! A.1 returns `error` for an invalid argument, and only ever hands out a
//! valid store (A.1.3 "Pre- and Post-Conditions"). So every value the
//! embedder supplies is checked against the type of the place it goes
//! (§4.5.2 "Value Typing"): the arguments of [`func_invoke`] (§4.5.5 steps
//! 4–5), the reference of [`table_write`] and [`table_grow`], the value of
//! [`global_write`]. A funcref written into an externref table would make
//! the store invalid (§A.5 "Store Validity": every element of a table has
//! its element type). A refused request is [`Error::Link`] and has no
//! effect; so are an index out of bounds and a write to an immutable global.
//! Lookups (`instance_export`, `table_read`, `mem_read`) return `None` for a
//! name or index that is not there.
//!
//! The allocation functions (`table_alloc`, `mem_alloc`, `global_alloc`) have
//! no `error` in A.1: their types and initial values are the embedder's
//! pre-condition, checked, and a broken one panics (see each `# Panics`).
//! Addresses are the embedder's pre-condition everywhere: one that the store
//! never handed out panics as a dangling address.

use std::rc::Rc;

use crate::error::{DecodeError, Error, LinkError, Place, ValidationError};
use crate::exec;
use crate::runtime::*;
use crate::syntax::*;

pub use crate::runtime::{ExternVal, HostFunc, Store};

/// A module that has passed validation: the only kind that can be
/// instantiated. Cheap to clone.
#[derive(Clone, Debug)]
pub struct ValidModule(Rc<Module>);

impl ValidModule {
    pub fn module(&self) -> &Module {
        &self.0
    }
}

/// A.1.4 `store_init()`: the empty store, with the default [`Policy`].
pub fn store_init() -> Store {
    Store::default()
}

/// A.1.5 `module_decode(byte*)`.
pub fn module_decode(bytes: &[u8]) -> Result<Module, DecodeError> {
    crate::binary::module_decode(bytes)
}

/// A.1.5 `module_validate(module)`.
pub fn module_validate(module: Module) -> Result<ValidModule, ValidationError> {
    crate::valid::validate_module(&module)?;
    Ok(ValidModule(Rc::new(module)))
}

/// A.1.5 `module_instantiate(store, module, externval*)`. On a trap during
/// initialisation the partly initialised instance stays in the store (see
/// [`exec::instantiate`]); on a link error nothing changed.
pub fn module_instantiate(store: &mut Store, module: &ValidModule, imports: &[ExternVal]) -> Result<ModuleAddr, Error> {
    exec::instantiate::instantiate(store, module.module(), imports)
}

/// A.1.5 `module_imports(module)`: (module name, name, type) of each import.
pub fn module_imports(module: &ValidModule) -> Vec<(String, String, ExternType)> {
    let m = module.module();
    m.imports
        .iter()
        .map(|i| {
            let ty = match &i.desc {
                ImportDesc::Func(x) => ExternType::Func(m.types[*x as usize].clone()),
                ImportDesc::Table(t) => ExternType::Table(*t),
                ImportDesc::Mem(t) => ExternType::Mem(*t),
                ImportDesc::Global(t) => ExternType::Global(*t),
            };
            (i.module.clone(), i.name.clone(), ty)
        })
        .collect()
}

/// A.1.5 `module_exports(module)`: (name, type) of each export.
pub fn module_exports(module: &ValidModule) -> Vec<(String, ExternType)> {
    let m = module.module();
    let funcs: Vec<TypeIdx> = m.imported_funcs().chain(m.funcs.iter().map(|f| f.ty)).collect();
    let tables: Vec<TableType> = m.imported_tables().chain(m.tables.iter().copied()).collect();
    let mems: Vec<MemType> = m.imported_mems().chain(m.mems.iter().copied()).collect();
    let globals: Vec<GlobalType> = m.imported_globals().chain(m.globals.iter().map(|g| g.ty)).collect();
    m.exports
        .iter()
        .map(|e| {
            let ty = match e.desc {
                ExportDesc::Func(x) => ExternType::Func(m.types[funcs[x as usize] as usize].clone()),
                ExportDesc::Table(x) => ExternType::Table(tables[x as usize]),
                ExportDesc::Mem(x) => ExternType::Mem(mems[x as usize]),
                ExportDesc::Global(x) => ExternType::Global(globals[x as usize]),
            };
            (e.name.clone(), ty)
        })
        .collect()
}

/// A.1.6 `instance_export(moduleinst, name)`.
pub fn instance_export(store: &Store, inst: ModuleAddr, name: &str) -> Option<ExternVal> {
    store[inst].exports.iter().find(|e| e.name == name).map(|e| e.value)
}

/// A.1.7 `func_alloc(store, functype, hostfunc)`. `name` labels the function
/// in reports and traces.
pub fn func_alloc(store: &mut Store, ty: FuncType, name: &str, code: HostFunc) -> FuncAddr {
    store.alloc_host_func(ty, name.to_string(), code)
}

/// A.1.7 `func_type(store, funcaddr)`.
pub fn func_type(store: &Store, a: FuncAddr) -> FuncType {
    store[a].ty().clone()
}

/// A.1.7 `func_invoke(store, funcaddr, val*)`: the arguments must be as
/// many as the parameters and have their types (§4.5.5 steps 4–5), else a
/// link error (the embedder's mistake, no effect).
pub fn func_invoke(store: &mut Store, a: FuncAddr, args: &[Value]) -> Result<Vec<Value>, Error> {
    let ty = func_type(store, a);
    if args.len() != ty.params.len() {
        return Err(LinkError::ArgumentCount { expected: ty.params.len(), supplied: args.len() }.into());
    }
    for (i, (v, &t)) in args.iter().zip(&ty.params).enumerate() {
        value_fits(Place::Argument(i), v, t)?;
    }
    exec::invoke(store, a, args)
}

/// §4.5.2 "Value Typing" of a value the embedder supplied, against the type
/// `expected` of the place it goes.
fn value_fits(place: Place, v: &Value, expected: ValType) -> Result<(), Error> {
    let found = v.ty();
    if found == expected { Ok(()) } else { Err(LinkError::ValueType { place, expected, found }.into()) }
}

/// A.1.8 `table_alloc(store, tabletype, ref)`: a table of `ty.limits.min`
/// slots holding `init`.
///
/// # Panics
/// A.1.8 gives `table_alloc` no error result, so what it needs is the
/// embedder's pre-condition: `init` has the table's element type (else the
/// store would not be valid, §A.5 "Store Validity"), and the size is within
/// the store's policy ([`Store::alloc_table`]). A broken one panics.
pub fn table_alloc(store: &mut Store, ty: TableType, init: Ref) -> TableAddr {
    let found = Value::Ref(init).ty();
    if found != ValType::Ref(ty.elem) {
        panic!("embedder error: table_alloc: a table of {} cannot be filled with {found}", ty.elem);
    }
    store.alloc_table(ty, init).unwrap_or_else(|e| panic!("embedder error: table_alloc: {e}"))
}

/// A.1.8 `table_type(store, tableaddr)`: the current type (min = size).
pub fn table_type(store: &Store, a: TableAddr) -> TableType {
    store[a].current_type()
}

/// A.1.8 `table_read(store, tableaddr, i)`.
pub fn table_read(store: &Store, a: TableAddr, i: u32) -> Option<Ref> {
    store[a].elem.get(i as usize).copied()
}

/// A.1.8 `table_write(store, tableaddr, i, ref)`: an error, and no effect,
/// if `i` is out of bounds (step 2) or `ref` does not have the table's
/// element type (§4.5.2).
pub fn table_write(store: &mut Store, a: TableAddr, i: u32, r: Ref) -> Result<(), Error> {
    let table = &mut store[a];
    let len = table.elem.len() as u32;
    let Some(slot) = table.elem.get_mut(i as usize) else {
        return Err(LinkError::OutOfBounds { place: Place::Table(a), index: i, len }.into());
    };
    value_fits(Place::Table(a), &Value::Ref(r), ValType::Ref(table.ty.elem))?;
    *slot = r;
    Ok(())
}

/// A.1.8 `table_size(store, tableaddr)`.
pub fn table_size(store: &Store, a: TableAddr) -> u32 {
    store[a].elem.len() as u32
}

/// A.1.8 `table_grow(store, tableaddr, n, ref)`: an error, and no effect,
/// if `ref` does not have the table's element type (§4.5.2); else the old
/// size, or `None` when growth fails (§4.5.3.8: past the max, or refused by
/// the store's policy: A.1's `error` for a growth the spec allows to fail at
/// any time, kept apart from the embedder's mistakes).
pub fn table_grow(store: &mut Store, a: TableAddr, n: u32, init: Ref) -> Result<Option<u32>, Error> {
    value_fits(Place::Table(a), &Value::Ref(init), ValType::Ref(store[a].ty.elem))?;
    Ok(store.grow_table(a, n, init))
}

/// A.1.9 `mem_alloc(store, memtype)`: `ty.limits.min` zeroed pages.
///
/// # Panics
/// A.1.9 gives `mem_alloc` no error result, so a size beyond the store's
/// policy ([`Store::alloc_mem`]) is a broken pre-condition, and panics.
pub fn mem_alloc(store: &mut Store, ty: MemType) -> MemAddr {
    store.alloc_mem(ty).unwrap_or_else(|e| panic!("embedder error: mem_alloc: {e}"))
}

/// A.1.9 `mem_type(store, memaddr)`: the current type (min = size in pages).
pub fn mem_type(store: &Store, a: MemAddr) -> MemType {
    store[a].ty
}

/// A.1.9 `mem_read(store, memaddr, i)`.
pub fn mem_read(store: &Store, a: MemAddr, i: u32) -> Option<u8> {
    store[a].data.get(i as usize).copied()
}

/// A.1.9 `mem_write(store, memaddr, i, byte)`: an error, and no effect, if
/// `i` is out of bounds (step 2).
pub fn mem_write(store: &mut Store, a: MemAddr, i: u32, b: u8) -> Result<(), Error> {
    let data = &mut store[a].data;
    let len = data.len() as u32;
    match data.get_mut(i as usize) {
        Some(byte) => {
            *byte = b;
            Ok(())
        }
        None => Err(LinkError::OutOfBounds { place: Place::Memory(a), index: i, len }.into()),
    }
}

/// A.1.9 `mem_size(store, memaddr)`, in pages.
pub fn mem_size(store: &Store, a: MemAddr) -> u32 {
    store[a].pages()
}

/// A.1.9 `mem_grow(store, memaddr, n)`: `None` when growth fails.
pub fn mem_grow(store: &mut Store, a: MemAddr, n: u32) -> Option<u32> {
    store.grow_mem(a, n)
}

/// A.1.10 `global_alloc(store, globaltype, val)`.
///
/// # Panics
/// A.1.10 gives `global_alloc` no error result, so `v` having the global's
/// value type is the embedder's pre-condition (else the store would not be
/// valid, §A.5 "Store Validity"); a broken one panics.
pub fn global_alloc(store: &mut Store, ty: GlobalType, v: Value) -> GlobalAddr {
    let found = v.ty();
    if found != ty.val {
        panic!("embedder error: global_alloc: a global of {} cannot hold {found}", ty.val);
    }
    store.alloc_global(ty, v)
}

/// A.1.10 `global_type(store, globaladdr)`.
pub fn global_type(store: &Store, a: GlobalAddr) -> GlobalType {
    store[a].ty
}

/// A.1.10 `global_read(store, globaladdr)`.
pub fn global_read(store: &Store, a: GlobalAddr) -> Value {
    store[a].value
}

/// A.1.10 `global_write(store, globaladdr, val)`: an error, and no effect,
/// if the global is immutable (step 3) or `val` does not have its value
/// type (§4.5.2).
pub fn global_write(store: &mut Store, a: GlobalAddr, v: Value) -> Result<(), Error> {
    let g = &mut store[a];
    if g.ty.mutability != Mut::Var {
        return Err(LinkError::Immutable(a).into());
    }
    value_fits(Place::Global(a), &v, g.ty.val)?;
    g.value = v;
    Ok(())
}
