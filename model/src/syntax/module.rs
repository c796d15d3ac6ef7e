//! Modules (§2.5).

use std::rc::Rc;

use super::instr::{FuncIdx, GlobalIdx, Instr, MemIdx, TableIdx, TypeIdx};
use super::types::{FuncType, GlobalType, MemType, RefType, TableType, ValType};

/// An expression (§2.4.9): a flat instruction sequence ending in `End`.
pub type Expr = Vec<Instr>;

/// A module (§2.5): the unit of deployment, loading and compilation.
#[derive(Clone, Debug, Default)]
pub struct Module {
    pub types: Vec<FuncType>,
    pub funcs: Vec<Func>,
    pub tables: Vec<TableType>,
    pub mems: Vec<MemType>,
    pub globals: Vec<Global>,
    pub elems: Vec<Elem>,
    pub datas: Vec<Data>,
    pub start: Option<FuncIdx>,
    pub imports: Vec<Import>,
    pub exports: Vec<Export>,
}

/// A function definition (§2.5.3). `locals` excludes the parameters. Code is
/// shared (`Rc`) between the module and every function instance made from it:
/// it is immutable, so sharing it is not observable.
#[derive(Clone, Debug)]
pub struct Func {
    pub ty: TypeIdx,
    pub locals: Rc<[ValType]>,
    pub body: Rc<[Instr]>,
}

/// A global definition (§2.5.6).
#[derive(Clone, Debug)]
pub struct Global {
    pub ty: GlobalType,
    pub init: Expr,
}

/// An element segment (§2.5.7).
#[derive(Clone, Debug)]
pub struct Elem {
    pub ty: RefType,
    pub init: Vec<Expr>,
    pub mode: ElemMode,
}

#[derive(Clone, Debug)]
pub enum ElemMode {
    Passive,
    Active { table: TableIdx, offset: Expr },
    Declarative,
}

/// A data segment (§2.5.8).
#[derive(Clone, Debug)]
pub struct Data {
    pub init: Vec<u8>,
    pub mode: DataMode,
}

#[derive(Clone, Debug)]
pub enum DataMode {
    Passive,
    Active { memory: MemIdx, offset: Expr },
}

/// An import (§2.5.11).
#[derive(Clone, Debug)]
pub struct Import {
    pub module: String,
    pub name: String,
    pub desc: ImportDesc,
}

#[derive(Clone, Debug)]
pub enum ImportDesc {
    Func(TypeIdx),
    Table(TableType),
    Mem(MemType),
    Global(GlobalType),
}

/// An export (§2.5.10).
#[derive(Clone, Debug)]
pub struct Export {
    pub name: String,
    pub desc: ExportDesc,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportDesc {
    Func(FuncIdx),
    Table(TableIdx),
    Mem(MemIdx),
    Global(GlobalIdx),
}

impl Module {
    /// The imported functions' type indices, in order (`funcs(import*)`).
    pub fn imported_funcs(&self) -> impl Iterator<Item = TypeIdx> + '_ {
        self.imports.iter().filter_map(|i| match i.desc {
            ImportDesc::Func(x) => Some(x),
            _ => None,
        })
    }
    pub fn imported_tables(&self) -> impl Iterator<Item = TableType> + '_ {
        self.imports.iter().filter_map(|i| match i.desc {
            ImportDesc::Table(t) => Some(t),
            _ => None,
        })
    }
    pub fn imported_mems(&self) -> impl Iterator<Item = MemType> + '_ {
        self.imports.iter().filter_map(|i| match i.desc {
            ImportDesc::Mem(t) => Some(t),
            _ => None,
        })
    }
    pub fn imported_globals(&self) -> impl Iterator<Item = GlobalType> + '_ {
        self.imports.iter().filter_map(|i| match i.desc {
            ImportDesc::Global(t) => Some(t),
            _ => None,
        })
    }
}
