//! Modules (§4.5): import matching and instantiation.
//!
//! Instantiation is a pipeline of named phases, as in §4.5.4:
//! [`match_imports`] (no effect when it fails), [`alloc_module`] (every
//! allocation, in the spec's order), then [`init_sequence`]: the element
//! segments as `table.init` + `elem.drop`, the data segments as
//! `memory.init` + `data.drop`, and the start function, run as ordinary
//! instructions by the stepper in a frame of the new instance. A trap there
//! ends instantiation but undoes nothing: slots already written into an
//! imported table stay, and the functions they hold keep their (never
//! returned) instance, whose address is the store's last module address.

use std::rc::Rc;

use crate::error::{Error, LinkError};
use crate::exec::config::{Frame, Label, Status, Thread};
use crate::exec::{run, step};
use crate::runtime::*;
use crate::syntax::*;

// ANCHOR: instantiate
/// `instantiate(S, module, externval*)` (§4.5.4). `module` must be valid.
/// On success, the new instance's address; on a trap during initialisation
/// the instance exists all the same, at the store's last module address (as
/// it does, half allocated, when the policy refuses one of its tables or
/// memories: `Exhaustion`, see [`alloc_module`]).
pub fn instantiate(s: &mut Store, module: &Module, externvals: &[ExternVal]) -> Result<ModuleAddr, Error> {
    match_imports(s, module, externvals)?;
    let m = alloc_module(s, module, externvals)?;
    let code = init_sequence(module);
    let mut t = Thread::default();
    t.frames.push(Frame { func: None, module: m, code: code.into(), pc: 0, arity: 0, locals: 0, labels: 0 });
    t.labels.push(Label { arity: 0, cont: 0, height: 0 });
    run(s, &mut t)?;
    Ok(m)
}
// ANCHOR_END: instantiate

/// §4.5.4 steps 3–4: every external value must match its import's type
/// (§4.5.2 "Import Subtyping"). Tables and memories are matched by their
/// *current* type, whose min is their current size.
pub fn match_imports(s: &Store, module: &Module, externvals: &[ExternVal]) -> Result<(), Error> {
    if module.imports.len() != externvals.len() {
        return Err(LinkError::ImportCount { expected: module.imports.len(), supplied: externvals.len() }.into());
    }
    for (index, (import, ev)) in module.imports.iter().zip(externvals).enumerate() {
        if let Err(reason) = extern_matches(s, module, &import.desc, *ev) {
            return Err(Error::from(LinkError::IncompatibleImport {
                index,
                module: import.module.clone(),
                name: import.name.clone(),
                reason,
            }));
        }
    }
    Ok(())
}

// ANCHOR: extern_matches
/// §4.5.2 "External Typing" of `ev`, then "Import Subtyping" against `desc`.
fn extern_matches(s: &Store, module: &Module, desc: &ImportDesc, ev: ExternVal) -> Result<(), String> {
    match (desc, ev) {
        (ImportDesc::Func(x), ExternVal::Func(a)) => {
            let (expected, actual) = (&module.types[*x as usize], s[a].ty());
            if expected == actual { Ok(()) } else { Err(format!("function type {actual} is not {expected}")) }
        }
        (ImportDesc::Table(expected), ExternVal::Table(a)) => {
            let actual = s[a].current_type();
            if actual.elem != expected.elem {
                Err(format!("table of {} is not a table of {}", actual.elem, expected.elem))
            } else if !limits_match(actual.limits, expected.limits) {
                Err(format!("table limits {:?} do not match {:?}", actual.limits, expected.limits))
            } else {
                Ok(())
            }
        }
        (ImportDesc::Mem(expected), ExternVal::Mem(a)) => {
            let actual = s[a].ty;
            if limits_match(actual.limits, expected.limits) {
                Ok(())
            } else {
                Err(format!("memory limits {:?} do not match {:?}", actual.limits, expected.limits))
            }
        }
        (ImportDesc::Global(expected), ExternVal::Global(a)) => {
            let actual = s[a].ty;
            if actual == *expected { Ok(()) } else { Err(format!("global type {actual:?} is not {expected:?}")) }
        }
        (desc, ev) => Err(format!("{ev:?} supplied for a {} import", kind(desc))),
    }
}
// ANCHOR_END: extern_matches

fn kind(desc: &ImportDesc) -> &'static str {
    match desc {
        ImportDesc::Func(_) => "function",
        ImportDesc::Table(_) => "table",
        ImportDesc::Mem(_) => "memory",
        ImportDesc::Global(_) => "global",
    }
}

/// §4.5.3.10 "Modules" (allocmodule), with the evaluation of global
/// initialisers and element expressions that §4.5.4 does first, in an
/// auxiliary instance that has the imported globals and every function.
/// Here that auxiliary instance is the new one before its own globals exist.
/// A table or memory beyond the store's policy ends allocation there with
/// `Exhaustion` ([`Store::alloc_table`], [`Store::alloc_mem`]): the instance
/// stays in the store as far as it was allocated, and nothing runs in it.
pub fn alloc_module(s: &mut Store, module: &Module, externvals: &[ExternVal]) -> Result<ModuleAddr, Error> {
    let m = s.alloc_module(ModuleInst { types: module.types.clone(), ..ModuleInst::default() });
    for ev in externvals {
        let inst = &mut s[m];
        match *ev {
            ExternVal::Func(a) => inst.funcaddrs.push(a),
            ExternVal::Table(a) => inst.tableaddrs.push(a),
            ExternVal::Mem(a) => inst.memaddrs.push(a),
            ExternVal::Global(a) => inst.globaladdrs.push(a),
        }
    }
    for func in &module.funcs {
        let a = s.alloc_func(module.types[func.ty as usize].clone(), m, func.clone());
        s[m].funcaddrs.push(a);
    }

    let mut global_vals = Vec::with_capacity(module.globals.len());
    for global in &module.globals {
        global_vals.push(eval_const(s, m, &global.init)?);
    }
    let mut elem_refs = Vec::with_capacity(module.elems.len());
    for elem in &module.elems {
        let mut refs = Vec::with_capacity(elem.init.len());
        for e in &elem.init {
            match eval_const(s, m, e)? {
                Value::Ref(r) => refs.push(r),
                v => panic!("model bug: element expression gave {v:?}"),
            }
        }
        elem_refs.push(refs);
    }

    for table in &module.tables {
        let a = s.alloc_table(*table, Ref::Null(table.elem))?;
        s[m].tableaddrs.push(a);
    }
    for mem in &module.mems {
        let a = s.alloc_mem(*mem)?;
        s[m].memaddrs.push(a);
    }
    for (global, val) in module.globals.iter().zip(global_vals) {
        let a = s.alloc_global(global.ty, val);
        s[m].globaladdrs.push(a);
    }
    for (elem, refs) in module.elems.iter().zip(elem_refs) {
        let a = s.alloc_elem(elem.ty, refs);
        s[m].elemaddrs.push(a);
    }
    for data in &module.datas {
        let a = s.alloc_data(data.init.clone());
        s[m].dataaddrs.push(a);
    }
    let exports = module
        .exports
        .iter()
        .map(|e| {
            let inst = &s[m];
            let value = match e.desc {
                ExportDesc::Func(x) => ExternVal::Func(inst.funcaddrs[x as usize]),
                ExportDesc::Table(x) => ExternVal::Table(inst.tableaddrs[x as usize]),
                ExportDesc::Mem(x) => ExternVal::Mem(inst.memaddrs[x as usize]),
                ExportDesc::Global(x) => ExternVal::Global(inst.globaladdrs[x as usize]),
            };
            ExportInst { name: e.name.clone(), value }
        })
        .collect();
    s[m].exports = exports;
    Ok(m)
}

/// §3.3.10 / §4.4.9: a constant expression, evaluated by the stepper in a
/// frame of instance `m`.
pub fn eval_const(s: &mut Store, m: ModuleAddr, expr: &[Instr]) -> Result<Value, Error> {
    let mut t = Thread::default();
    t.frames.push(Frame { func: None, module: m, code: Rc::from(expr), pc: 0, arity: 1, locals: 0, labels: 0 });
    t.labels.push(Label { arity: 1, cont: expr.len() as Pc, height: 0 });
    loop {
        if let Status::Done(vals) = step(s, &mut t)? {
            return match vals.as_slice() {
                [v] => Ok(*v),
                _ => panic!("model bug: constant expression gave {vals:?}"),
            };
        }
    }
}

// ANCHOR: init_sequence
/// §4.5.4 steps 12–15 as one instruction sequence: for each active element
/// segment `i`, its offset, `i32.const 0`, `i32.const n`, `table.init x i`,
/// `elem.drop i`; `elem.drop i` for each declarative one; the same with
/// `memory.init`/`data.drop` for active data segments; then `call start`.
pub fn init_sequence(module: &Module) -> Vec<Instr> {
    let mut code = Vec::new();
    let without_end = |e: &Expr| e[..e.len() - 1].to_vec();
    for (i, elem) in module.elems.iter().enumerate() {
        let i = i as ElemIdx;
        match &elem.mode {
            ElemMode::Active { table, offset } => {
                code.extend(without_end(offset));
                code.push(Instr::I32Const(0));
                code.push(Instr::I32Const(elem.init.len() as u32));
                code.push(Instr::TableInit { table: *table, elem: i });
                code.push(Instr::ElemDrop(i));
            }
            ElemMode::Declarative => code.push(Instr::ElemDrop(i)),
            ElemMode::Passive => {}
        }
    }
    for (i, data) in module.datas.iter().enumerate() {
        if let DataMode::Active { offset, .. } = &data.mode {
            code.extend(without_end(offset));
            code.push(Instr::I32Const(0));
            code.push(Instr::I32Const(data.init.len() as u32));
            code.push(Instr::MemoryInit(i as DataIdx));
            code.push(Instr::DataDrop(i as DataIdx));
        }
    }
    if let Some(start) = module.start {
        code.push(Instr::Call(start));
    }
    code.push(Instr::End);
    code
}
// ANCHOR_END: init_sequence
