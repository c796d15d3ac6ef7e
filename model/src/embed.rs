//! The embedder API (Appendix A.1 "Embedding"), one function per entry,
//! named as there. The store is passed explicitly; what a function may change
//! shows in its signature (`&Store` or `&mut Store`).
//!
//! Host functions get `&mut Store` and may call back into any of these while
//! wasm is running: a host `dlopen` instantiates a module mid-call.

use std::rc::Rc;

use crate::error::{DecodeError, Error, LinkError, ValidationError};
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

/// A.1.1 `store_init()`: the empty store, with the default [`Policy`].
pub fn store_init() -> Store {
    Store::default()
}

/// A.1.2 `module_decode(byte*)`.
pub fn module_decode(bytes: &[u8]) -> Result<Module, DecodeError> {
    crate::binary::module_decode(bytes)
}

/// A.1.2 `module_validate(module)`.
pub fn module_validate(module: Module) -> Result<ValidModule, ValidationError> {
    crate::valid::validate_module(&module)?;
    Ok(ValidModule(Rc::new(module)))
}

/// A.1.2 `module_instantiate(store, module, externval*)`. On a trap during
/// initialisation the partly initialised instance stays in the store (see
/// [`exec::instantiate`]); on a link error nothing changed.
pub fn module_instantiate(store: &mut Store, module: &ValidModule, imports: &[ExternVal]) -> Result<ModuleAddr, Error> {
    exec::instantiate::instantiate(store, module.module(), imports)
}

/// A.1.2 `module_imports(module)`: (module name, name, type) of each import.
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

/// A.1.2 `module_exports(module)`: (name, type) of each export.
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

/// A.1.3 `instance_export(moduleinst, name)`.
pub fn instance_export(store: &Store, inst: ModuleAddr, name: &str) -> Option<ExternVal> {
    store[inst].exports.iter().find(|e| e.name == name).map(|e| e.value)
}

/// A.1.4 `func_alloc(store, functype, hostfunc)`. `name` labels the function
/// in reports and traces.
pub fn func_alloc(store: &mut Store, ty: FuncType, name: &str, code: HostFunc) -> FuncAddr {
    store.alloc_host_func(ty, name.to_string(), code)
}

/// A.1.4 `func_type(store, funcaddr)`.
pub fn func_type(store: &Store, a: FuncAddr) -> FuncType {
    store[a].ty().clone()
}

/// A.1.4 `func_invoke(store, funcaddr, val*)`: the arguments must have the
/// parameter types, else a link error (the embedder's mistake, no effect).
pub fn func_invoke(store: &mut Store, a: FuncAddr, args: &[Value]) -> Result<Vec<Value>, Error> {
    let ty = func_type(store, a);
    let ok = args.len() == ty.params.len() && args.iter().zip(&ty.params).all(|(v, &t)| v.ty() == t);
    if !ok {
        return Err(LinkError::Arguments(format!("{args:?} do not have the types {ty}")).into());
    }
    exec::invoke(store, a, args)
}

/// A.1.5 `table_alloc(store, tabletype, ref)`.
pub fn table_alloc(store: &mut Store, ty: TableType, init: Ref) -> TableAddr {
    store.alloc_table(ty, init)
}

/// A.1.5 `table_type(store, tableaddr)`: the current type (min = size).
pub fn table_type(store: &Store, a: TableAddr) -> TableType {
    store[a].current_type()
}

/// A.1.5 `table_read(store, tableaddr, i)`.
pub fn table_read(store: &Store, a: TableAddr, i: u32) -> Option<Ref> {
    store[a].elem.get(i as usize).copied()
}

/// A.1.5 `table_write(store, tableaddr, i, ref)`: `None` out of bounds.
pub fn table_write(store: &mut Store, a: TableAddr, i: u32, r: Ref) -> Option<()> {
    *store[a].elem.get_mut(i as usize)? = r;
    Some(())
}

/// A.1.5 `table_size(store, tableaddr)`.
pub fn table_size(store: &Store, a: TableAddr) -> u32 {
    store[a].elem.len() as u32
}

/// A.1.5 `table_grow(store, tableaddr, n, ref)`: `None` when growth fails.
pub fn table_grow(store: &mut Store, a: TableAddr, n: u32, init: Ref) -> Option<u32> {
    store.grow_table(a, n, init)
}

/// A.1.6 `mem_alloc(store, memtype)`.
pub fn mem_alloc(store: &mut Store, ty: MemType) -> MemAddr {
    store.alloc_mem(ty)
}

/// A.1.6 `mem_type(store, memaddr)`: the current type (min = size in pages).
pub fn mem_type(store: &Store, a: MemAddr) -> MemType {
    store[a].ty
}

/// A.1.6 `mem_read(store, memaddr, i)`.
pub fn mem_read(store: &Store, a: MemAddr, i: u32) -> Option<u8> {
    store[a].data.get(i as usize).copied()
}

/// A.1.6 `mem_write(store, memaddr, i, byte)`.
pub fn mem_write(store: &mut Store, a: MemAddr, i: u32, b: u8) -> Option<()> {
    *store[a].data.get_mut(i as usize)? = b;
    Some(())
}

/// A.1.6 `mem_size(store, memaddr)`, in pages.
pub fn mem_size(store: &Store, a: MemAddr) -> u32 {
    store[a].pages()
}

/// A.1.6 `mem_grow(store, memaddr, n)`: `None` when growth fails.
pub fn mem_grow(store: &mut Store, a: MemAddr, n: u32) -> Option<u32> {
    store.grow_mem(a, n)
}

/// A.1.7 `global_alloc(store, globaltype, val)`.
pub fn global_alloc(store: &mut Store, ty: GlobalType, v: Value) -> GlobalAddr {
    store.alloc_global(ty, v)
}

/// A.1.7 `global_type(store, globaladdr)`.
pub fn global_type(store: &Store, a: GlobalAddr) -> GlobalType {
    store[a].ty
}

/// A.1.7 `global_read(store, globaladdr)`.
pub fn global_read(store: &Store, a: GlobalAddr) -> Value {
    store[a].value
}

/// A.1.7 `global_write(store, globaladdr, val)`: `None` if the global is
/// immutable or the value has another type.
pub fn global_write(store: &mut Store, a: GlobalAddr, v: Value) -> Option<()> {
    let g = &mut store[a];
    if g.ty.mutability != Mut::Var || v.ty() != g.ty.val {
        return None;
    }
    g.value = v;
    Some(())
}
