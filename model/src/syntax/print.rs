//! Instructions in the text format (§6), for traces and reports. Positions
//! resolved by the decoder (`end`, `else`) are not part of the text.

use std::fmt;

use super::instr::*;
use super::types::NumType;

fn int(sz: IntSize) -> &'static str {
    match sz {
        IntSize::I32 => "i32",
        IntSize::I64 => "i64",
    }
}

fn float(sz: FloatSize) -> &'static str {
    match sz {
        FloatSize::F32 => "f32",
        FloatSize::F64 => "f64",
    }
}

fn sx(s: Sx) -> &'static str {
    match s {
        Sx::S => "s",
        Sx::U => "u",
    }
}

fn block_type(f: &mut fmt::Formatter<'_>, bt: &BlockType) -> fmt::Result {
    match bt {
        BlockType::Empty => Ok(()),
        BlockType::Value(t) => write!(f, " (result {t})"),
        BlockType::Func(x) => write!(f, " (type {x})"),
    }
}

fn memarg(f: &mut fmt::Formatter<'_>, m: &MemArg) -> fmt::Result {
    if m.offset != 0 {
        write!(f, " offset={}", m.offset)?;
    }
    write!(f, " align={}", 1u64 << m.align)
}

impl fmt::Display for Instr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Instr::I32Const(c) => write!(f, "i32.const {}", *c as i32),
            Instr::I64Const(c) => write!(f, "i64.const {}", *c as i64),
            Instr::F32Const(c) => write!(f, "f32.const {}", f32::from_bits(*c)),
            Instr::F64Const(c) => write!(f, "f64.const {}", f64::from_bits(*c)),
            Instr::IUnop(sz, op) => {
                let name = match op {
                    IUnop::Clz => "clz",
                    IUnop::Ctz => "ctz",
                    IUnop::Popcnt => "popcnt",
                    IUnop::Extend8S => "extend8_s",
                    IUnop::Extend16S => "extend16_s",
                    IUnop::Extend32S => "extend32_s",
                };
                write!(f, "{}.{name}", int(*sz))
            }
            Instr::IBinop(sz, op) => {
                let t = int(*sz);
                match op {
                    IBinop::Add => write!(f, "{t}.add"),
                    IBinop::Sub => write!(f, "{t}.sub"),
                    IBinop::Mul => write!(f, "{t}.mul"),
                    IBinop::Div(s) => write!(f, "{t}.div_{}", sx(*s)),
                    IBinop::Rem(s) => write!(f, "{t}.rem_{}", sx(*s)),
                    IBinop::And => write!(f, "{t}.and"),
                    IBinop::Or => write!(f, "{t}.or"),
                    IBinop::Xor => write!(f, "{t}.xor"),
                    IBinop::Shl => write!(f, "{t}.shl"),
                    IBinop::Shr(s) => write!(f, "{t}.shr_{}", sx(*s)),
                    IBinop::Rotl => write!(f, "{t}.rotl"),
                    IBinop::Rotr => write!(f, "{t}.rotr"),
                }
            }
            Instr::ITestop(sz) => write!(f, "{}.eqz", int(*sz)),
            Instr::IRelop(sz, op) => {
                let t = int(*sz);
                match op {
                    IRelop::Eq => write!(f, "{t}.eq"),
                    IRelop::Ne => write!(f, "{t}.ne"),
                    IRelop::Lt(s) => write!(f, "{t}.lt_{}", sx(*s)),
                    IRelop::Gt(s) => write!(f, "{t}.gt_{}", sx(*s)),
                    IRelop::Le(s) => write!(f, "{t}.le_{}", sx(*s)),
                    IRelop::Ge(s) => write!(f, "{t}.ge_{}", sx(*s)),
                }
            }
            Instr::FUnop(sz, op) => {
                let name = match op {
                    FUnop::Abs => "abs",
                    FUnop::Neg => "neg",
                    FUnop::Sqrt => "sqrt",
                    FUnop::Ceil => "ceil",
                    FUnop::Floor => "floor",
                    FUnop::Trunc => "trunc",
                    FUnop::Nearest => "nearest",
                };
                write!(f, "{}.{name}", float(*sz))
            }
            Instr::FBinop(sz, op) => {
                let name = match op {
                    FBinop::Add => "add",
                    FBinop::Sub => "sub",
                    FBinop::Mul => "mul",
                    FBinop::Div => "div",
                    FBinop::Min => "min",
                    FBinop::Max => "max",
                    FBinop::Copysign => "copysign",
                };
                write!(f, "{}.{name}", float(*sz))
            }
            Instr::FRelop(sz, op) => {
                let name = match op {
                    FRelop::Eq => "eq",
                    FRelop::Ne => "ne",
                    FRelop::Lt => "lt",
                    FRelop::Gt => "gt",
                    FRelop::Le => "le",
                    FRelop::Ge => "ge",
                };
                write!(f, "{}.{name}", float(*sz))
            }
            Instr::Cvtop(op) => match op {
                Cvtop::Wrap => f.write_str("i32.wrap_i64"),
                Cvtop::Extend(s) => write!(f, "i64.extend_i32_{}", sx(*s)),
                Cvtop::Trunc(i, fl, s) => write!(f, "{}.trunc_{}_{}", int(*i), float(*fl), sx(*s)),
                Cvtop::TruncSat(i, fl, s) => write!(f, "{}.trunc_sat_{}_{}", int(*i), float(*fl), sx(*s)),
                Cvtop::Demote => f.write_str("f32.demote_f64"),
                Cvtop::Promote => f.write_str("f64.promote_f32"),
                Cvtop::Convert(fl, i, s) => write!(f, "{}.convert_{}_{}", float(*fl), int(*i), sx(*s)),
                Cvtop::Reinterpret { to } => {
                    let from = match to {
                        NumType::I32 => "f32",
                        NumType::I64 => "f64",
                        NumType::F32 => "i32",
                        NumType::F64 => "i64",
                    };
                    write!(f, "{to}.reinterpret_{from}")
                }
            },
            Instr::RefNull(t) => {
                write!(f, "ref.null {}", if *t == super::RefType::FuncRef { "func" } else { "extern" })
            }
            Instr::RefIsNull => f.write_str("ref.is_null"),
            Instr::RefFunc(x) => write!(f, "ref.func {x}"),
            Instr::Drop => f.write_str("drop"),
            Instr::Select(SelectType::Untyped) => f.write_str("select"),
            Instr::Select(SelectType::Typed(t)) => write!(f, "select (result {t})"),
            Instr::Select(SelectType::Arity(n)) => write!(f, "select (result …{n} types)"),
            Instr::LocalGet(x) => write!(f, "local.get {x}"),
            Instr::LocalSet(x) => write!(f, "local.set {x}"),
            Instr::LocalTee(x) => write!(f, "local.tee {x}"),
            Instr::GlobalGet(x) => write!(f, "global.get {x}"),
            Instr::GlobalSet(x) => write!(f, "global.set {x}"),
            Instr::TableGet(x) => write!(f, "table.get {x}"),
            Instr::TableSet(x) => write!(f, "table.set {x}"),
            Instr::TableSize(x) => write!(f, "table.size {x}"),
            Instr::TableGrow(x) => write!(f, "table.grow {x}"),
            Instr::TableFill(x) => write!(f, "table.fill {x}"),
            Instr::TableCopy { dst, src } => write!(f, "table.copy {dst} {src}"),
            Instr::TableInit { table, elem } => write!(f, "table.init {table} {elem}"),
            Instr::ElemDrop(x) => write!(f, "elem.drop {x}"),
            Instr::Load { ty, pack, memarg: m } => {
                match pack {
                    None => write!(f, "{ty}.load")?,
                    Some((n, s)) => write!(f, "{ty}.load{n}_{}", sx(*s))?,
                }
                memarg(f, m)
            }
            Instr::Store { ty, pack, memarg: m } => {
                match pack {
                    None => write!(f, "{ty}.store")?,
                    Some(n) => write!(f, "{ty}.store{n}")?,
                }
                memarg(f, m)
            }
            Instr::MemorySize => f.write_str("memory.size"),
            Instr::MemoryGrow => f.write_str("memory.grow"),
            Instr::MemoryFill => f.write_str("memory.fill"),
            Instr::MemoryCopy => f.write_str("memory.copy"),
            Instr::MemoryInit(x) => write!(f, "memory.init {x}"),
            Instr::DataDrop(x) => write!(f, "data.drop {x}"),
            Instr::Nop => f.write_str("nop"),
            Instr::Unreachable => f.write_str("unreachable"),
            Instr::Block { ty, .. } => {
                f.write_str("block")?;
                block_type(f, ty)
            }
            Instr::Loop { ty, .. } => {
                f.write_str("loop")?;
                block_type(f, ty)
            }
            Instr::If { ty, .. } => {
                f.write_str("if")?;
                block_type(f, ty)
            }
            Instr::Else { .. } => f.write_str("else"),
            Instr::End => f.write_str("end"),
            Instr::Br(l) => write!(f, "br {l}"),
            Instr::BrIf(l) => write!(f, "br_if {l}"),
            Instr::BrTable { len } => write!(f, "br_table ({len} labels and a default)"),
            Instr::BrTableLabel(l) => write!(f, "{l}"),
            Instr::Return => f.write_str("return"),
            Instr::Call(x) => write!(f, "call {x}"),
            Instr::CallIndirect { table, ty } => write!(f, "call_indirect {table} (type {ty})"),
        }
    }
}
