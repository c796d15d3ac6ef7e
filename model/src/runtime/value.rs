//! Values (§4.2.1) and results (§4.2.2).
//!
//! Floats are kept as their bit patterns, so that NaN payloads are exact and a
//! comparison can tell a canonical NaN from an arithmetic one (§4.3.3).

use crate::runtime::store::FuncAddr;
use crate::syntax::{NumType, RefType, ValType};

/// A value: a number or a reference.
// `repr(u8)`: the tag first and the payload aligned, so that moving a value
// on the operand stack is one 16-byte copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Value {
    I32(u32),
    I64(u64),
    /// The bits of an IEEE 754 binary32.
    F32(u32),
    /// The bits of an IEEE 754 binary64.
    F64(u64),
    Ref(Ref),
}

/// A reference value (§4.2.1): null, a function address, or an opaque host
/// (external) reference.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ref {
    Null(RefType),
    Func(FuncAddr),
    /// `ref.extern a`: an address the embedder chose.
    Extern(u32),
}

impl Value {
    /// The default value of a type (§4.2.1): zero or null.
    pub fn default_of(t: ValType) -> Value {
        match t {
            ValType::Num(NumType::I32) => Value::I32(0),
            ValType::Num(NumType::I64) => Value::I64(0),
            ValType::Num(NumType::F32) => Value::F32(0),
            ValType::Num(NumType::F64) => Value::F64(0),
            ValType::Ref(r) => Value::Ref(Ref::Null(r)),
        }
    }

    /// The value type of a value (§4.5.2 "Value Typing"; that a function
    /// address is allocated is the store's business, see
    /// [`crate::exec::typing::value_has_type`]).
    pub fn ty(&self) -> ValType {
        match self {
            Value::I32(_) => ValType::I32,
            Value::I64(_) => ValType::I64,
            Value::F32(_) => ValType::F32,
            Value::F64(_) => ValType::F64,
            Value::Ref(Ref::Null(t)) => ValType::Ref(*t),
            Value::Ref(Ref::Func(_)) => ValType::FUNCREF,
            Value::Ref(Ref::Extern(_)) => ValType::EXTERNREF,
        }
    }

    pub fn f32(x: f32) -> Value {
        Value::F32(x.to_bits())
    }
    pub fn f64(x: f64) -> Value {
        Value::F64(x.to_bits())
    }
}

/// The class of a NaN (§4.3.3): canonical NaNs have only the quiet bit set in
/// their payload; arithmetic NaNs have it set, with any other payload bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NanClass {
    Canonical,
    Arithmetic,
    /// A signalling NaN: no arithmetic operation may produce one.
    Signalling,
}

/// The NaN class of an f32 bit pattern, or `None` if it is not a NaN.
pub fn nan_class_f32(bits: u32) -> Option<NanClass> {
    let (exp, payload) = ((bits >> 23) & 0xff, bits & 0x7f_ffff);
    if exp != 0xff || payload == 0 {
        return None;
    }
    Some(match payload {
        0x40_0000 => NanClass::Canonical,
        p if p & 0x40_0000 != 0 => NanClass::Arithmetic,
        _ => NanClass::Signalling,
    })
}

/// The NaN class of an f64 bit pattern, or `None` if it is not a NaN.
pub fn nan_class_f64(bits: u64) -> Option<NanClass> {
    let (exp, payload) = ((bits >> 52) & 0x7ff, bits & 0xf_ffff_ffff_ffff);
    if exp != 0x7ff || payload == 0 {
        return None;
    }
    Some(match payload {
        0x8_0000_0000_0000 => NanClass::Canonical,
        p if p & 0x8_0000_0000_0000 != 0 => NanClass::Arithmetic,
        _ => NanClass::Signalling,
    })
}
