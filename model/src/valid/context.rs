//! Contexts (§3.1.1).

use super::{Result, invalid};
use crate::syntax::{
    DataIdx, ElemIdx, FuncIdx, FuncType, GlobalIdx, GlobalType, MemIdx, MemType, RefType, TableIdx, TableType, TypeIdx,
};

/// The module-level components of a context C (§3.1.1): what the indices
/// of a module refer to. The components that vary per function (`locals`,
/// `labels`, `return`) live in the instruction validator
/// ([`super::instr::ExprValidator`]), where `labels` is its control stack.
#[derive(Clone, Debug)]
pub(crate) struct Context<'m> {
    pub types: &'m [FuncType],
    /// Imported functions first, then the module's own (`funcs(it*) ft*`).
    pub funcs: Vec<&'m FuncType>,
    pub tables: Vec<TableType>,
    pub mems: Vec<MemType>,
    pub globals: Vec<GlobalType>,
    pub elems: Vec<RefType>,
    /// `C.datas` is a list of `ok`: only its length matters.
    pub datas: usize,
    /// `C.refs`, as a membership table indexed by function index.
    pub refs: Vec<bool>,
}

impl<'m> Context<'m> {
    /// `C.types[x]`.
    pub fn type_(&self, x: TypeIdx) -> Result<&'m FuncType> {
        match self.types.get(x as usize) {
            Some(ft) => Ok(ft),
            None => invalid(format!("unknown type {x}")),
        }
    }

    /// `C.funcs[x]`.
    pub fn func(&self, x: FuncIdx) -> Result<&'m FuncType> {
        match self.funcs.get(x as usize) {
            Some(ft) => Ok(ft),
            None => invalid(format!("unknown function {x}")),
        }
    }

    /// `C.tables[x]`.
    pub fn table(&self, x: TableIdx) -> Result<TableType> {
        match self.tables.get(x as usize) {
            Some(tt) => Ok(*tt),
            None => invalid(format!("unknown table {x}")),
        }
    }

    /// `C.mems[x]`.
    pub fn mem(&self, x: MemIdx) -> Result<MemType> {
        match self.mems.get(x as usize) {
            Some(mt) => Ok(*mt),
            None => invalid(format!("unknown memory {x}")),
        }
    }

    /// `C.globals[x]`.
    pub fn global(&self, x: GlobalIdx) -> Result<GlobalType> {
        match self.globals.get(x as usize) {
            Some(gt) => Ok(*gt),
            None => invalid(format!("unknown global {x}")),
        }
    }

    /// `C.elems[x]`.
    pub fn elem(&self, x: ElemIdx) -> Result<RefType> {
        match self.elems.get(x as usize) {
            Some(rt) => Ok(*rt),
            None => invalid(format!("unknown elem segment {x}")),
        }
    }

    /// `C.datas[x] = ok`.
    pub fn data(&self, x: DataIdx) -> Result {
        if (x as usize) < self.datas { Ok(()) } else { invalid(format!("unknown data segment {x}")) }
    }

    /// `x ∈ C.refs`, for `ref.func x` (§3.3.2).
    pub fn is_declared(&self, x: FuncIdx) -> bool {
        self.refs.get(x as usize).copied().unwrap_or(false)
    }
}
