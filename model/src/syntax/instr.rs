//! Instructions (§2.4), in the spec's grouping (`t.unop`, `t.binop`, …).
//!
//! Code is kept flat: a function body is one `Vec<Instr>` ending in `End`, and
//! each structured instruction carries the positions of its `else` and `end`,
//! resolved once by the decoder. The executable configuration is still the
//! spec's: entering a block pushes a label whose continuation is that position
//! (§4.4.8). Flat code is what lets decoder, validator and stepper run without
//! host recursion on nesting depth.

use super::types::{FuncType, NumType, RefType, ValType};

pub type TypeIdx = u32;
pub type FuncIdx = u32;
pub type TableIdx = u32;
pub type MemIdx = u32;
pub type GlobalIdx = u32;
pub type ElemIdx = u32;
pub type DataIdx = u32;
pub type LocalIdx = u32;
pub type LabelIdx = u32;

/// A position in a flat instruction sequence.
pub type Pc = u32;

/// Integer widths of `iN` instructions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IntSize {
    I32,
    I64,
}

/// Float widths of `fN` instructions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FloatSize {
    F32,
    F64,
}

/// Signedness `sx` (§2.4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Sx {
    S,
    U,
}

/// `iunop` (§2.4.1), with the sign-extension operators `extendN_s`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IUnop {
    Clz,
    Ctz,
    Popcnt,
    Extend8S,
    Extend16S,
    /// Only for `i64`.
    Extend32S,
}

/// `ibinop` (§2.4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IBinop {
    Add,
    Sub,
    Mul,
    Div(Sx),
    Rem(Sx),
    And,
    Or,
    Xor,
    Shl,
    Shr(Sx),
    Rotl,
    Rotr,
}

/// `irelop` (§2.4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IRelop {
    Eq,
    Ne,
    Lt(Sx),
    Gt(Sx),
    Le(Sx),
    Ge(Sx),
}

/// `funop` (§2.4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FUnop {
    Abs,
    Neg,
    Sqrt,
    Ceil,
    Floor,
    Trunc,
    Nearest,
}

/// `fbinop` (§2.4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FBinop {
    Add,
    Sub,
    Mul,
    Div,
    Min,
    Max,
    Copysign,
}

/// `frelop` (§2.4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FRelop {
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
}

/// `cvtop` (§2.4.1): every conversion, with its source and target type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cvtop {
    /// `i32.wrap_i64`
    Wrap,
    /// `i64.extend_i32_sx`
    Extend(Sx),
    /// `iN.trunc_fM_sx`, trapping on NaN and overflow.
    Trunc(IntSize, FloatSize, Sx),
    /// `iN.trunc_sat_fM_sx`, saturating.
    TruncSat(IntSize, FloatSize, Sx),
    /// `f32.demote_f64`
    Demote,
    /// `f64.promote_f32`
    Promote,
    /// `fN.convert_iM_sx`
    Convert(FloatSize, IntSize, Sx),
    /// `t.reinterpret_t'`: the bit pattern of the operand as the type `to`.
    Reinterpret { to: NumType },
}

/// `memarg` (§2.4.7): the alignment exponent and the static offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MemArg {
    pub align: u32,
    pub offset: u32,
}

/// The type of a structured instruction (§2.4.8).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BlockType {
    Empty,
    Value(ValType),
    Func(TypeIdx),
}

impl BlockType {
    /// The function type `[t1*] -> [t2*]` a block type stands for, given the
    /// module's types (§3.2.x "Block Types").
    pub fn expand(self, types: &[FuncType]) -> Option<FuncType> {
        Some(match self {
            BlockType::Empty => FuncType::default(),
            BlockType::Value(t) => FuncType { params: vec![], results: vec![t] },
            BlockType::Func(x) => types.get(x as usize)?.clone(),
        })
    }
}

/// The annotation of `select (t*)?` (§2.4.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SelectType {
    /// `select`: no annotation.
    Untyped,
    /// `select (result t)`.
    Typed(ValType),
    /// An annotation with this many types (≠ 1): the binary format can say
    /// it, and validation rejects it (§3.3.4).
    Arity(u32),
}

/// Instructions (§2.4). Numeric constants are kept as bits so that NaN payloads
/// survive exactly.
// `repr(u8)`: a plain tag byte, so that dispatch on it is one table jump.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(u8)]
pub enum Instr {
    // Numeric instructions (§2.4.1).
    I32Const(u32),
    I64Const(u64),
    F32Const(u32),
    F64Const(u64),
    IUnop(IntSize, IUnop),
    IBinop(IntSize, IBinop),
    /// `iN.eqz`, the only `itestop`.
    ITestop(IntSize),
    IRelop(IntSize, IRelop),
    FUnop(FloatSize, FUnop),
    FBinop(FloatSize, FBinop),
    FRelop(FloatSize, FRelop),
    Cvtop(Cvtop),

    // Reference instructions (§2.4.2).
    RefNull(RefType),
    RefIsNull,
    RefFunc(FuncIdx),

    // Parametric instructions (§2.4.4).
    Drop,
    /// `select (t*)?`.
    Select(SelectType),

    // Variable instructions (§2.4.5).
    LocalGet(LocalIdx),
    LocalSet(LocalIdx),
    LocalTee(LocalIdx),
    GlobalGet(GlobalIdx),
    GlobalSet(GlobalIdx),

    // Table instructions (§2.4.6).
    TableGet(TableIdx),
    TableSet(TableIdx),
    TableSize(TableIdx),
    TableGrow(TableIdx),
    TableFill(TableIdx),
    TableCopy {
        dst: TableIdx,
        src: TableIdx,
    },
    TableInit {
        table: TableIdx,
        elem: ElemIdx,
    },
    ElemDrop(ElemIdx),

    // Memory instructions (§2.4.7). `pack` is `N_sx` for packed loads.
    Load {
        ty: NumType,
        pack: Option<(u8, Sx)>,
        memarg: MemArg,
    },
    Store {
        ty: NumType,
        pack: Option<u8>,
        memarg: MemArg,
    },
    MemorySize,
    MemoryGrow,
    MemoryFill,
    MemoryCopy,
    MemoryInit(DataIdx),
    DataDrop(DataIdx),

    // Control instructions (§2.4.8), with resolved positions.
    Nop,
    Unreachable,
    Block {
        ty: BlockType,
        end: Pc,
    },
    Loop {
        ty: BlockType,
        end: Pc,
    },
    /// `else_` is the position of the `Else`, or of the `End` when there is none.
    If {
        ty: BlockType,
        else_: Pc,
        end: Pc,
    },
    /// Reached only at the end of a `then` arm: jumps to `end`.
    Else {
        end: Pc,
    },
    End,
    Br(LabelIdx),
    BrIf(LabelIdx),
    /// `br_table l* lN`: its `len` labels `l*`, then `lN`, are the `len + 1`
    /// [`Instr::BrTableLabel`]s that follow it, so that every instruction is
    /// plain (`Copy`) data, as in the binary format.
    BrTable {
        len: u32,
    },
    /// A label of the `br_table` before it: data, never reduced.
    BrTableLabel(LabelIdx),
    Return,
    Call(FuncIdx),
    CallIndirect {
        table: TableIdx,
        ty: TypeIdx,
    },
}
