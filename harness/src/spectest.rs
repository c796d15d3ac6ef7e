//! The `spectest` host module that the official scripts import (as the
//! reference interpreter's `host/spectest.ml` defines it): its contents as
//! data, once, which every engine adapter builds in its own store; and the
//! model's, built through its embedder API.

use std::rc::Rc;

use model::embed::{self, ExternVal, Store};
use model::runtime::{Ref, Value};
use model::syntax::{FuncType, GlobalType, Limits, MemType, Mut, RefType, TableType, ValType};

/// The globals: name, type, value (all immutable).
pub const GLOBALS: [(&str, ValType, Value); 4] = [
    ("global_i32", ValType::I32, Value::I32(666)),
    ("global_i64", ValType::I64, Value::I64(666)),
    ("global_f32", ValType::F32, Value::F32(666.6f32.to_bits())),
    ("global_f64", ValType::F64, Value::F64(666.6f64.to_bits())),
];

/// `table`: a funcref table of 10 slots, at most 20.
pub const TABLE: Limits = Limits { min: 10, max: Some(20) };

/// `memory`: one page, at most two.
pub const MEMORY: Limits = Limits { min: 1, max: Some(2) };

/// The print functions: name and parameters (no results; they do nothing).
pub const PRINTS: [(&str, &[ValType]); 7] = [
    ("print", &[]),
    ("print_i32", &[ValType::I32]),
    ("print_i64", &[ValType::I64]),
    ("print_f32", &[ValType::F32]),
    ("print_f64", &[ValType::F64]),
    ("print_i32_f32", &[ValType::I32, ValType::F32]),
    ("print_f64_f64", &[ValType::F64, ValType::F64]),
];

/// Allocates the `spectest` exports in `store`, as (name, value) pairs.
pub fn spectest(store: &mut Store) -> Vec<(String, ExternVal)> {
    let mut exports = Vec::new();
    for (name, val, v) in GLOBALS {
        let a = embed::global_alloc(store, GlobalType { mutability: Mut::Const, val }, v);
        exports.push((name.to_string(), ExternVal::Global(a)));
    }
    let table = TableType { limits: TABLE, elem: RefType::FuncRef };
    let t = embed::table_alloc(store, table, Ref::Null(RefType::FuncRef));
    exports.push(("table".to_string(), ExternVal::Table(t)));
    let m = embed::mem_alloc(store, MemType { limits: MEMORY });
    exports.push(("memory".to_string(), ExternVal::Mem(m)));
    for (name, params) in PRINTS {
        let ty = FuncType { params: params.to_vec(), results: vec![] };
        let a = embed::func_alloc(store, ty, &format!("spectest.{name}"), Rc::new(|_, _, _| Ok(vec![])));
        exports.push((name.to_string(), ExternVal::Func(a)));
    }
    exports
}
