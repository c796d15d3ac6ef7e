//! Modules (§3.4).

use std::collections::HashSet;

use super::context::Context;
use super::instr::{const_expr, func_body};
use super::types::{memory_type, table_type};
use super::{Result, invalid};
use crate::syntax::{
    Data, DataMode, Elem, ElemMode, Export, ExportDesc, Func, FuncType, Global, Import, ImportDesc, Instr, Module,
    ValType,
};

/// Modules (§3.4.10).
///
/// The context C holds every component of the module, imports first. The
/// constant expressions of globals, element and data segments are checked
/// under C', which differs from C only in `C'.globals = globals(it*)`: in Wasm
/// 2.0 they may read imported globals only (note in §3.3.10).
pub(crate) fn module(m: &Module) -> Result {
    for import in &m.imports {
        self::import(m, import)?;
    }
    let c = context(m)?;
    let c_const = Context { globals: m.imported_globals().collect(), ..c.clone() };

    for &tt in &m.tables {
        table_type(tt)?;
    }
    for &mt in &m.mems {
        memory_type(mt)?;
    }
    // Multiple memories are a later proposal.
    if c.mems.len() > 1 {
        return invalid(format!(
            "multiple memories: {} memories (multi-memory is past Wasm 2.0, which allows one)",
            c.mems.len()
        ));
    }
    for g in &m.globals {
        global(&c_const, g)?;
    }
    for e in &m.elems {
        elem(&c, &c_const, e)?;
    }
    for d in &m.datas {
        data(&c, &c_const, d)?;
    }
    if let Some(x) = m.start {
        start(&c, x)?;
    }
    let mut names = HashSet::with_capacity(m.exports.len());
    for e in &m.exports {
        export(&c, e)?;
        if !names.insert(e.name.as_str()) {
            return invalid(format!("duplicate export name \"{}\"", e.name));
        }
    }
    for f in &m.funcs {
        func(&c, f)?;
    }
    Ok(())
}

/// Builds the context C of §3.4.10, checking on the way that every
/// function's type index is defined (§3.4.1) so that `C.funcs` can hold types.
fn context(m: &Module) -> Result<Context<'_>> {
    let mut c = Context {
        types: &m.types,
        funcs: Vec::with_capacity(m.funcs.len()),
        tables: m.imported_tables().chain(m.tables.iter().copied()).collect(),
        mems: m.imported_mems().chain(m.mems.iter().copied()).collect(),
        globals: m.imported_globals().chain(m.globals.iter().map(|g| g.ty)).collect(),
        elems: m.elems.iter().map(|e| e.ty).collect(),
        datas: m.datas.len(),
        refs: Vec::new(),
    };
    for x in m.imported_funcs().chain(m.funcs.iter().map(|f| f.ty)) {
        let ft = c.type_(x)?;
        c.funcs.push(ft);
    }
    c.refs = refs(m, c.funcs.len());
    Ok(c)
}

/// `C.refs = funcidx(module with funcs = ε, start = ε)` (§3.4.10): the
/// functions referenced outside function bodies, which `ref.func` in a body
/// may name (§3.3.2).
fn refs(m: &Module, n: usize) -> Vec<bool> {
    let mut refs = vec![false; n];
    let exported = m.exports.iter().filter_map(|e| match e.desc {
        ExportDesc::Func(x) => Some(x),
        _ => None,
    });
    let referenced = module_exprs(m).flatten().filter_map(|instr| match instr {
        Instr::RefFunc(x) => Some(*x),
        _ => None,
    });
    for x in exported.chain(referenced) {
        // An undefined index is reported where it occurs.
        if let Some(r) = refs.get_mut(x as usize) {
            *r = true;
        }
    }
    refs
}

/// The expressions of a module outside its functions: global initialisers,
/// element initialisers and offsets, data offsets.
fn module_exprs(m: &Module) -> impl Iterator<Item = &[Instr]> {
    let globals = m.globals.iter().map(|g| g.init.as_slice());
    let elems = m.elems.iter().flat_map(|e| {
        let offset = match &e.mode {
            ElemMode::Active { offset, .. } => Some(offset.as_slice()),
            _ => None,
        };
        e.init.iter().map(|i| i.as_slice()).chain(offset)
    });
    let datas = m.datas.iter().filter_map(|d| match &d.mode {
        DataMode::Active { offset, .. } => Some(offset.as_slice()),
        DataMode::Passive => None,
    });
    globals.chain(elems).chain(datas)
}

/// Functions (§3.4.1): `func {type x, locals t*, body expr}` is valid when
/// `C.types[x] = [t1*] -> [t2*]` and the body has type `[] -> [t2*]` under
/// `C, locals t1* t*, labels [t2*], return [t2*]`.
fn func(c: &Context<'_>, f: &Func) -> Result {
    let ft: &FuncType = c.type_(f.ty)?;
    func_body(c, ft, &f.locals, &f.body)
}

/// Globals (§3.4.4): the initialiser is a constant expression of the
/// global's value type (global types are always valid, §3.2.6).
fn global(c: &Context<'_>, g: &Global) -> Result {
    const_expr(c, &g.init, g.ty.val)
}

/// Element segments (§3.4.5): each initialiser is a constant expression of
/// the segment's reference type; an active segment's table exists and has
/// that element type, and its offset is a constant `i32` expression.
fn elem(c: &Context<'_>, c_const: &Context<'_>, e: &Elem) -> Result {
    for init in &e.init {
        const_expr(c_const, init, ValType::Ref(e.ty))?;
    }
    match &e.mode {
        ElemMode::Passive | ElemMode::Declarative => Ok(()),
        ElemMode::Active { table, offset } => {
            let tt = c.table(*table)?;
            if tt.elem != e.ty {
                return invalid(format!("type mismatch: {} segment for {} table {table}", e.ty, tt.elem));
            }
            const_expr(c_const, offset, ValType::I32)
        }
    }
}

/// Data segments (§3.4.6): an active segment's memory exists and its offset
/// is a constant `i32` expression.
fn data(c: &Context<'_>, c_const: &Context<'_>, d: &Data) -> Result {
    match &d.mode {
        DataMode::Passive => Ok(()),
        DataMode::Active { memory, offset } => {
            c.mem(*memory)?;
            const_expr(c_const, offset, ValType::I32)
        }
    }
}

/// Start function (§3.4.7): `C.funcs[x] = [] -> []`.
fn start(c: &Context<'_>, x: u32) -> Result {
    let ft = c.func(x)?;
    if !ft.params.is_empty() || !ft.results.is_empty() {
        return invalid(format!("start function {x} has type {ft}, not [] -> []"));
    }
    Ok(())
}

/// Exports (§3.4.8): the exported index exists. Name distinctness is a
/// module-level premise, checked by [`module`].
fn export(c: &Context<'_>, e: &Export) -> Result {
    match e.desc {
        ExportDesc::Func(x) => c.func(x).map(drop),
        ExportDesc::Table(x) => c.table(x).map(drop),
        ExportDesc::Mem(x) => c.mem(x).map(drop),
        ExportDesc::Global(x) => c.global(x).map(drop),
    }
}

/// Imports (§3.4.9): the import description is valid — a function's type
/// index exists, table and memory types are valid, global types always are.
fn import(m: &Module, i: &Import) -> Result {
    match i.desc {
        ImportDesc::Func(x) => match m.types.get(x as usize) {
            Some(_) => Ok(()),
            None => invalid(format!("unknown type {x}")),
        },
        ImportDesc::Table(tt) => table_type(tt),
        ImportDesc::Mem(mt) => memory_type(mt),
        ImportDesc::Global(_) => Ok(()),
    }
}
