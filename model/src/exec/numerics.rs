//! Numerics (§4.3): the pure operators behind `t.unop`, `t.binop`, `t.testop`,
//! `t.relop` and `t.cvtop`.

use crate::error::TrapKind;
use crate::runtime::Value;
use crate::syntax::{Cvtop, FBinop, FRelop, FUnop, FloatSize, IBinop, IRelop, IUnop, IntSize};

pub fn iunop(sz: IntSize, op: IUnop, c: Value) -> Value {
    let _ = (sz, op);
    c
}
pub fn ibinop(sz: IntSize, op: IBinop, a: Value, b: Value) -> Result<Value, TrapKind> {
    let _ = (sz, op, b);
    Ok(a)
}
pub fn itestop(sz: IntSize, c: Value) -> Value {
    let _ = sz;
    c
}
pub fn irelop(sz: IntSize, op: IRelop, a: Value, b: Value) -> Value {
    let _ = (sz, op, b);
    a
}
pub fn funop(sz: FloatSize, op: FUnop, c: Value) -> Value {
    let _ = (sz, op);
    c
}
pub fn fbinop(sz: FloatSize, op: FBinop, a: Value, b: Value) -> Value {
    let _ = (sz, op, b);
    a
}
pub fn frelop(sz: FloatSize, op: FRelop, a: Value, b: Value) -> Value {
    let _ = (sz, op, b);
    a
}
pub fn cvtop(op: Cvtop, c: Value) -> Result<Value, TrapKind> {
    let _ = op;
    Ok(c)
}
