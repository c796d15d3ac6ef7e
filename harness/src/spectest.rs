//! The `spectest` host module that the official scripts import (as the
//! reference interpreter's `host/spectest.ml` defines it), built through the
//! model's embedder API.

use std::rc::Rc;

use model::embed::{self, ExternVal, Store};
use model::runtime::{Ref, Value};
use model::syntax::{FuncType, GlobalType, Limits, MemType, Mut, RefType, TableType, ValType};

/// Allocates the `spectest` exports in `store`, as (name, value) pairs.
pub fn spectest(store: &mut Store) -> Vec<(String, ExternVal)> {
    let mut exports = Vec::new();
    let globals = [
        ("global_i32", ValType::I32, Value::I32(666)),
        ("global_i64", ValType::I64, Value::I64(666)),
        ("global_f32", ValType::F32, Value::f32(666.6)),
        ("global_f64", ValType::F64, Value::f64(666.6)),
    ];
    for (name, val, v) in globals {
        let a = embed::global_alloc(store, GlobalType { mutability: Mut::Const, val }, v);
        exports.push((name.to_string(), ExternVal::Global(a)));
    }
    let table = TableType { limits: Limits { min: 10, max: Some(20) }, elem: RefType::FuncRef };
    let t = embed::table_alloc(store, table, Ref::Null(RefType::FuncRef));
    exports.push(("table".to_string(), ExternVal::Table(t)));
    let m = embed::mem_alloc(store, MemType { limits: Limits { min: 1, max: Some(2) } });
    exports.push(("memory".to_string(), ExternVal::Mem(m)));
    let prints: [(&str, &[ValType]); 7] = [
        ("print", &[]),
        ("print_i32", &[ValType::I32]),
        ("print_i64", &[ValType::I64]),
        ("print_f32", &[ValType::F32]),
        ("print_f64", &[ValType::F64]),
        ("print_i32_f32", &[ValType::I32, ValType::F32]),
        ("print_f64_f64", &[ValType::F64, ValType::F64]),
    ];
    for (name, params) in prints {
        let ty = FuncType { params: params.to_vec(), results: vec![] };
        let a = embed::func_alloc(store, ty, &format!("spectest.{name}"), Rc::new(|_, _, _| Ok(vec![])));
        exports.push((name.to_string(), ExternVal::Func(a)));
    }
    exports
}
