//! Types (§2.3).

use std::fmt;

/// Number types (§2.3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NumType {
    I32,
    I64,
    F32,
    F64,
}

/// Reference types (§2.3.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RefType {
    FuncRef,
    ExternRef,
}

/// Value types (§2.3.4). Vector types are not modelled: the decoder rejects them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ValType {
    Num(NumType),
    Ref(RefType),
}

impl ValType {
    pub const I32: ValType = ValType::Num(NumType::I32);
    pub const I64: ValType = ValType::Num(NumType::I64);
    pub const F32: ValType = ValType::Num(NumType::F32);
    pub const F64: ValType = ValType::Num(NumType::F64);
    pub const FUNCREF: ValType = ValType::Ref(RefType::FuncRef);
    pub const EXTERNREF: ValType = ValType::Ref(RefType::ExternRef);
}

/// Function types (§2.3.6): `[t1*] -> [t2*]`. Equality is structural, which is
/// what import matching and `call_indirect` compare across modules.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct FuncType {
    pub params: Vec<ValType>,
    pub results: Vec<ValType>,
}

/// Limits (§2.3.7), in pages for memories and in elements for tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Limits {
    pub min: u32,
    pub max: Option<u32>,
}

/// Memory types (§2.3.8).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MemType {
    pub limits: Limits,
}

/// Table types (§2.3.9).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TableType {
    pub limits: Limits,
    pub elem: RefType,
}

/// Mutability of a global (§2.3.10).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mut {
    Const,
    Var,
}

/// Global types (§2.3.10).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GlobalType {
    pub mutability: Mut,
    pub val: ValType,
}

/// External types (§2.3.11): the type of an import or export.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ExternType {
    Func(FuncType),
    Table(TableType),
    Mem(MemType),
    Global(GlobalType),
}

impl fmt::Display for NumType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NumType::I32 => "i32",
            NumType::I64 => "i64",
            NumType::F32 => "f32",
            NumType::F64 => "f64",
        })
    }
}

impl fmt::Display for RefType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RefType::FuncRef => "funcref",
            RefType::ExternRef => "externref",
        })
    }
}

impl fmt::Display for ValType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValType::Num(t) => t.fmt(f),
            ValType::Ref(t) => t.fmt(f),
        }
    }
}

impl fmt::Display for FuncType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |ts: &[ValType]| ts.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(" ");
        write!(f, "[{}] -> [{}]", list(&self.params), list(&self.results))
    }
}
