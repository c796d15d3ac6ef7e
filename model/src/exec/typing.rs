//! Soundness (Appendix A.5): the typing of stores, configurations, threads
//! and frames, checked on demand ([`crate::runtime::Store::check_invariants`]).
//!
//! The appendix extends validation to the runtime so that soundness can be
//! stated: *preservation* (a well-typed configuration steps to a well-typed
//! one) and *progress* (a well-typed configuration that is neither values nor
//! a trap can step). [`crate::exec::run`] checks the judgement below on the
//! configuration it starts from and after every step that leaves the thread
//! running, and types the values of a thread that is done: an ill-typed
//! configuration panics with `model bug: preservation: …`. Progress is then
//! the fact that [`crate::exec::step()`], given each of those well-typed
//! configurations, returned: `Running`, `Done` or an error of the closed
//! error type. A panic inside it with a `model bug:` message is re-raised as
//! `model bug: progress: …`, naming the configuration that did not step.
//!
//! # The judgement
//! - *Values* (§A.5 "Results" and "Administrative Instructions"): a number
//!   has its type; `ref.null t` has type `t`; `ref.func a` has type `funcref`
//!   when the store holds a function at `a`; `ref.extern a` has type
//!   `externref`.
//! - *The store* (§A.5 "Store Validity"): each function instance's type is
//!   its instance's `types[x]` for its code's type index `x` (checked once per
//!   instance: function instances never change), and its code validates under
//!   the context of its module instance (checked when a frame of it is first
//!   seen, with the code's types, below); a table holds exactly `limits.min`
//!   references of its element type, within its max; a memory holds exactly
//!   `limits.min` pages, within its max and 2^16; a global's value has its
//!   type; an element segment's references have its type; a module instance's
//!   addresses, exports included, are allocated.
//! - *Frames*: a frame of function `a` runs `a`'s code in `a`'s instance with
//!   `a`'s result arity; its locals (at `locals` in the operand stack) have
//!   the types of `a`'s parameters and locals; its `pc` is at an instruction
//!   that execution can reach (not a `br_table` label, not dead code after a
//!   branch). Its labels, from `labels` to the next frame's, are exactly the
//!   control frames the validation algorithm has open at `pc`: as many, with
//!   the same arities, continuations and heights (relative to the end of the
//!   locals). Its operands are exactly those the algorithm has at `pc`, each
//!   with the algorithm's type. The algorithm's stacks are recorded by the
//!   validator itself (`valid::code_types`), once per code and module
//!   instance, and kept in the [`TypeCache`].
//! - *Suspended frames*: a frame below another is suspended in a call: the
//!   instruction before its `pc` is `call x` of exactly the function above
//!   it, or `call_indirect` of its type; its operands are the algorithm's at
//!   `pc` without the call's results, which the frame above is to return
//!   (the spec's `frame_n{F} instr*` typed `[] -> [t*]` inside the caller).
//! - *Threads*: the bottom frame starts the stacks; a done thread's values
//!   have the bottom frame's result types.
//!
//! # Frames that are not a function's
//! - Instantiation's sequence ([`crate::exec::instantiate::init_sequence`])
//!   runs in a frame with `func: None`: it is typed as an expression of type
//!   `[] -> []` (arity 0, no locals) under its module instance's context, as
//!   its `table.init`, `memory.init`, drops and `call start` are typed in a
//!   function body of that module. Its body label's continuation is
//!   whatever instantiation put there: a branch to the body label returns,
//!   so no body label's continuation is compared.
//! - Constant expressions ([`crate::exec::instantiate::eval_const`]) are
//!   reduced by `step` alone, outside [`crate::exec::run`], and not checked.
//! - Host functions have no frame: a host call is part of one step. A thread
//!   it runs through the embedder (re-entry) is checked by its own `run`;
//!   the suspended thread is checked again after the step that called the
//!   host, with the host's results on it (their types are checked by the
//!   step itself, which traps otherwise).
//!
//! # What is not checked
//! - The code of a function instance that no frame runs is not re-validated
//!   (instantiation validated its module).
//! - The context of a module instance sets `C.refs` to every function: that
//!   `ref.func x` names a declared function is a premise of validation, not
//!   of soundness.
//! - Store extension (§A.5 "Store Extension": the store after a step extends
//!   the one before) is [`crate::exec::invariants`]'s business.
//! - Between two checks of a run, only the innermost frame and the one it
//!   returned to or called from are re-checked: every rule of §4.4 reduces in
//!   the innermost frame, so a frame below is checked when it is suspended
//!   (at the call) and again when it resumes (after the return), not at each
//!   step in between. [`check_config`] checks every frame.

use std::collections::HashMap;
use std::fmt;
use std::rc::Rc;

use crate::exec::config::{Frame, Status, Thread};
use crate::runtime::{FuncAddr, FuncInst, ModuleAddr, PAGE_SIZE, Ref, Store, Value};
use crate::syntax::{FuncType, Instr, Pc, RefType, ValType};
use crate::valid::{CodeTypes, Context, FrameKind, code_types};

/// What the judgement computes once and keeps: the validation algorithm's
/// stacks at every position of the code that frames run, once per code and
/// module instance, and how many function and module instances are typed.
#[derive(Debug, Default)]
pub struct TypeCache {
    /// The code itself is kept so that its address is not reused.
    codes: HashMap<CodeKey, (Rc<[Instr]>, Rc<CodeTypes>)>,
    /// Function and module instances `0..funcs` and `0..modules` have been
    /// typed: neither changes once allocated (a module instance is complete
    /// before any code of it runs).
    funcs: usize,
    modules: usize,
    /// The last code looked up, which is the next one at almost every step.
    last: Option<(CodeKey, Rc<CodeTypes>)>,
}

/// Code is typed per module instance: the code's address and length, and
/// the instance.
type CodeKey = (usize, usize, ModuleAddr);

/// What an ill-typed configuration gets wrong.
type Judgement = Result<(), String>;

/// The configuration `s; t` is well-typed (the whole judgement, every
/// frame); otherwise the panic of a model bug: a preservation failure of
/// whatever built it or stepped to it.
pub fn check_config(s: &Store, t: &Thread, cache: &mut TypeCache) {
    if let Err(e) = config(s, t, cache) {
        panic!("model bug: preservation: {e}");
    }
}

/// The judgement of [`check_config`], as a result: `Err` says what is
/// ill-typed.
pub fn config(s: &Store, t: &Thread, cache: &mut TypeCache) -> Judgement {
    store(s, cache)?;
    if t.frames.is_empty() {
        return Err("a running thread has no frame".into());
    }
    for i in 0..t.frames.len() {
        frame(s, t, i, cache)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Values and the store

/// `S ⊢ val : t` (§A.5 "Results"; references as in "Administrative
/// Instructions").
pub fn value_has_type(s: &Store, v: &Value, t: ValType) -> bool {
    match (v, t) {
        (Value::Ref(r), ValType::Ref(rt)) => ref_has_type(s, r, rt),
        _ => v.ty() == t,
    }
}

/// `S ⊢ ref : rt`: a function reference must point to an allocated function.
pub fn ref_has_type(s: &Store, r: &Ref, rt: RefType) -> bool {
    match r {
        Ref::Null(t) => *t == rt,
        Ref::Func(a) => rt == RefType::FuncRef && (a.0 as usize) < s.funcs.len(),
        Ref::Extern(_) => rt == RefType::ExternRef,
    }
}

/// `⊢ S ok` (§A.5 "Store Validity"), as far as it is cheap: see the module
/// documentation.
pub fn store(s: &Store, cache: &mut TypeCache) -> Judgement {
    for (i, m) in s.modules.iter().enumerate().skip(cache.modules) {
        let allocated = m.funcaddrs.iter().all(|a| (a.0 as usize) < s.funcs.len())
            && m.tableaddrs.iter().all(|a| (a.0 as usize) < s.tables.len())
            && m.memaddrs.iter().all(|a| (a.0 as usize) < s.mems.len())
            && m.globaladdrs.iter().all(|a| (a.0 as usize) < s.globals.len())
            && m.elemaddrs.iter().all(|a| (a.0 as usize) < s.elems.len())
            && m.dataaddrs.iter().all(|a| (a.0 as usize) < s.datas.len());
        if !allocated {
            return Err(format!("module instance {i} holds an unallocated address"));
        }
        for e in &m.exports {
            let ok = match e.value {
                crate::runtime::ExternVal::Func(a) => (a.0 as usize) < s.funcs.len(),
                crate::runtime::ExternVal::Table(a) => (a.0 as usize) < s.tables.len(),
                crate::runtime::ExternVal::Mem(a) => (a.0 as usize) < s.mems.len(),
                crate::runtime::ExternVal::Global(a) => (a.0 as usize) < s.globals.len(),
            };
            if !ok {
                return Err(format!("module instance {i} exports \"{}\" as unallocated {:?}", e.name, e.value));
            }
        }
    }
    cache.modules = s.modules.len();
    for (i, f) in s.funcs.iter().enumerate().skip(cache.funcs) {
        if let FuncInst::Wasm { ty, module, code } = f {
            let declared = s.modules.get(module.0 as usize).and_then(|m| m.types.get(code.ty as usize));
            if declared != Some(ty) {
                return Err(format!(
                    "func {i} has type {ty}, but its code's type {} in {module:?} is {declared:?}",
                    code.ty
                ));
            }
        }
    }
    cache.funcs = s.funcs.len();
    for (i, t) in s.tables.iter().enumerate() {
        let limits = t.ty.limits;
        if t.elem.len() != limits.min as usize || limits.max.is_some_and(|max| limits.min > max) {
            return Err(format!("table {i} holds {} elements, its type says {limits:?}", t.elem.len()));
        }
        if let Some((j, r)) = t.elem.iter().enumerate().find(|(_, r)| !ref_has_type(s, r, t.ty.elem)) {
            return Err(format!("table {i} of {} holds {r:?} at {j}", t.ty.elem));
        }
    }
    for (i, m) in s.mems.iter().enumerate() {
        let limits = m.ty.limits;
        let fits = limits.min <= 65536 && limits.max.is_none_or(|max| limits.min <= max);
        if m.data.len() != limits.min as usize * PAGE_SIZE || !fits {
            return Err(format!("memory {i} holds {} bytes, its type says {limits:?} pages", m.data.len()));
        }
    }
    for (i, g) in s.globals.iter().enumerate() {
        if !value_has_type(s, &g.value, g.ty.val) {
            return Err(format!("global {i} of type {} holds {:?}", g.ty.val, g.value));
        }
    }
    for (i, e) in s.elems.iter().enumerate() {
        if let Some((j, r)) = e.elem.iter().enumerate().find(|(_, r)| !ref_has_type(s, r, e.ty)) {
            return Err(format!("element segment {i} of {} holds {r:?} at {j}", e.ty));
        }
    }
    Ok(())
}

/// The context `C` of a module instance (§A.5 "Store Validity", module
/// instances), under which its functions' code is typed.
fn instance_context(s: &Store, m: ModuleAddr) -> Context<'_> {
    let inst = &s[m];
    Context {
        types: &inst.types,
        funcs: inst.funcaddrs.iter().map(|&a| s[a].ty()).collect(),
        tables: inst.tableaddrs.iter().map(|&a| s[a].ty).collect(),
        mems: inst.memaddrs.iter().map(|&a| s[a].ty).collect(),
        globals: inst.globaladdrs.iter().map(|&a| s[a].ty).collect(),
        elems: inst.elemaddrs.iter().map(|&a| s[a].ty).collect(),
        datas: inst.dataaddrs.len(),
        refs: vec![true; inst.funcaddrs.len()],
    }
}

// ---------------------------------------------------------------------------
// Frames

/// Where a frame is, for reports: its function (or instantiation), its
/// `pc` and the instruction there. Plain data, formatted only on failure.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Site {
    func: Option<FuncAddr>,
    module: ModuleAddr,
    pc: Pc,
    instr: Option<Instr>,
}

impl Site {
    pub fn of(f: &Frame) -> Site {
        Site { func: f.func, module: f.module, pc: f.pc, instr: f.code.get(f.pc as usize).copied() }
    }
}

impl fmt::Display for Site {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.func {
            Some(a) => write!(f, "func {}", a.0)?,
            None => write!(f, "the initialisation of module {}", self.module.0)?,
        }
        match &self.instr {
            Some(instr) => write!(f, " at pc {} (`{instr}`)", self.pc),
            None => write!(f, " at pc {} (past the end of its code)", self.pc),
        }
    }
}

/// What a frame is typed by: its function's parameter and local types, and
/// the types the validation algorithm computes in its code.
struct FrameTypes<'s> {
    params: &'s [ValType],
    locals: &'s [ValType],
    code: Rc<CodeTypes>,
}

/// The [`FrameTypes`] of frame `f`, checking that it runs its function's
/// code in its function's instance.
fn frame_types<'s>(s: &'s Store, f: &Frame, cache: &mut TypeCache) -> Result<FrameTypes<'s>, String> {
    if f.module.0 as usize >= s.modules.len() {
        return Err(format!("its module instance {} is not allocated", f.module.0));
    }
    let (ty, locals) = match f.func {
        Some(a) => {
            let Some(inst) = s.funcs.get(a.0 as usize) else {
                return Err(format!("func {} is not allocated", a.0));
            };
            let FuncInst::Wasm { ty, module, code } = inst else {
                return Err(format!("func {} is a host function", a.0));
            };
            if *module != f.module || !Rc::ptr_eq(&code.body, &f.code) {
                return Err(format!("it runs code of {:?}, not its function's (of {module:?})", f.module));
            }
            if f.arity as usize != ty.results.len() {
                return Err(format!("its arity is {}, its function's type is {ty}", f.arity));
            }
            (Some(ty), &code.locals[..])
        }
        None if f.arity != 0 => return Err(format!("its arity is {}, instantiation's is 0", f.arity)),
        None => (None, &[][..]),
    };
    let key = (f.code.as_ptr() as usize, f.code.len(), f.module);
    let hit = match &cache.last {
        Some((last, types)) if *last == key => Some(types.clone()),
        _ => cache.codes.get(&key).map(|(_, types)| types.clone()),
    };
    let types = match hit {
        Some(types) => types,
        None => {
            let c = instance_context(s, f.module);
            let types = match code_types(&c, ty, locals, &f.code) {
                Ok(types) => Rc::new(types),
                Err(e) => return Err(format!("its code does not validate under its module instance: {}", e.0)),
            };
            cache.codes.insert(key, (f.code.clone(), types.clone()));
            types
        }
    };
    cache.last = Some((key, types.clone()));
    let params = ty.map_or(&[][..], |ty| &ty.params[..]);
    Ok(FrameTypes { params, locals, code: types })
}

/// Frame `i` of `t` is well-typed: see the module documentation.
fn frame(s: &Store, t: &Thread, i: usize, cache: &mut TypeCache) -> Judgement {
    let f = &t.frames[i];
    frame_judgement(s, t, i, cache).map_err(|e| format!("frame {i} of {}, {}: {e}", t.frames.len(), Site::of(f)))
}

fn frame_judgement(s: &Store, t: &Thread, i: usize, cache: &mut TypeCache) -> Judgement {
    let f = &t.frames[i];
    let callee = t.frames.get(i + 1);
    let (ops_end, labels_end) = match callee {
        Some(g) => (g.locals as usize, g.labels as usize),
        None => (t.stack.len(), t.labels.len()),
    };
    if i == 0 && (f.locals != 0 || f.labels != 0) {
        return Err(format!("the bottom frame starts at operand {} and label {}, not 0", f.locals, f.labels));
    }
    let FrameTypes { params, locals, code: types } = frame_types(s, f, cache)?;

    // Locals.
    let base = f.locals as usize + params.len() + locals.len();
    if base > ops_end || ops_end > t.stack.len() || labels_end < f.labels as usize || labels_end > t.labels.len() {
        return Err(format!(
            "its locals end at {base} and labels start at {}, but its region is operands ..{ops_end}, labels ..{labels_end}",
            f.labels
        ));
    }
    for (x, (v, &lt)) in t.stack[f.locals as usize..base].iter().zip(params.iter().chain(locals)).enumerate() {
        if !value_has_type(s, v, lt) {
            return Err(format!("local {x} holds {v:?}, expected {lt}"));
        }
    }

    // The position.
    let Some(at) = types.at(f.pc) else {
        return Err("pc is not at an instruction".into());
    };
    if !at.reachable() {
        return Err("pc is in unreachable code".into());
    }

    // Labels, innermost first.
    let labels = &t.labels[f.labels as usize..labels_end];
    let expected = at.labels().count();
    if labels.len() != expected {
        return Err(format!("{} labels, but {expected} blocks are open here", labels.len()));
    }
    for (l, (label, lt)) in labels.iter().rev().zip(at.labels()).enumerate() {
        let height = base + lt.height as usize;
        let cont_ok = lt.kind == FrameKind::Func || label.cont == lt.cont;
        if label.arity != lt.arity || label.height as usize != height || !cont_ok {
            return Err(format!(
                "label {l} is {label:?}, expected arity {}, cont {}, height {height} (a {:?})",
                lt.arity, lt.cont, lt.kind
            ));
        }
    }

    // Operands, top first; a suspended frame lacks its call's results.
    let mut expected = at.operands();
    if let Some(g) = callee {
        let results = call_results(s, f, g)?;
        for (k, &rt) in results.iter().rev().enumerate() {
            if expected.next() != Some(Some(rt)) {
                return Err(format!("result {k} (from the top) of the call is not {rt} here"));
            }
        }
    }
    let operands = &t.stack[base..ops_end];
    let mut count = 0;
    for (k, v) in operands.iter().enumerate().rev() {
        match expected.next() {
            Some(Some(ot)) if value_has_type(s, v, ot) => count += 1,
            Some(Some(ot)) => return Err(format!("operand {k} (from the bottom) is {v:?}, expected {ot}")),
            Some(None) => return Err(format!("operand {k} has an unknown type in reachable code")),
            None => return Err(format!("{} operands, expected {count}", operands.len())),
        }
    }
    let missing = expected.count();
    if missing != 0 {
        return Err(format!("{} operands, expected {}", operands.len(), operands.len() + missing));
    }
    Ok(())
}

/// The results a suspended frame `f` awaits from the frame `g` above it: `f`
/// is just past a call of `g`'s function, which has the call's type.
fn call_results<'s>(s: &'s Store, f: &Frame, g: &Frame) -> Result<&'s [ValType], String> {
    let Some(a) = g.func else {
        return Err("the frame above is not a function's".into());
    };
    let Some(callee) = s.funcs.get(a.0 as usize) else {
        return Err(format!("the frame above runs func {}, which is not allocated", a.0));
    };
    let call = f.pc.checked_sub(1).and_then(|pc| f.code.get(pc as usize));
    let inst = &s[f.module];
    let ok = match call {
        Some(Instr::Call(x)) => inst.funcaddrs.get(*x as usize) == Some(&a),
        Some(Instr::CallIndirect { ty, .. }) => inst.types.get(*ty as usize) == Some(callee.ty()),
        _ => false,
    };
    if !ok {
        let call = call.map_or("nothing".into(), |c| format!("`{c}`"));
        return Err(format!("it is suspended past {call}, which does not call func {} of type {}", a.0, callee.ty()));
    }
    Ok(&callee.ty().results)
}

// ---------------------------------------------------------------------------
// Along a run

/// The judgement along one run of [`crate::exec::run`]: the whole
/// configuration at the start, then after each step the store, the
/// innermost frame, and any frame that has just been suspended.
#[derive(Debug)]
pub(crate) struct RunCheck {
    cache: TypeCache,
    /// Frames `0..suspended` were checked as suspended and not resumed since.
    suspended: usize,
    /// The bottom frame's result types: a done thread's values have them.
    results: Vec<ValType>,
}

impl RunCheck {
    /// Checks the configuration a run starts from.
    pub fn start(s: &Store, t: &Thread) -> RunCheck {
        let mut cache = TypeCache::default();
        if let Err(e) = config(s, t, &mut cache) {
            panic!("model bug: preservation: the run starts from an ill-typed configuration: {e}");
        }
        let results = match t.frames[0].func {
            Some(a) => s[a].ty().results.clone(),
            None => Vec::new(),
        };
        RunCheck { cache, suspended: t.frames.len() - 1, results }
    }

    /// Checks the configuration after the step at `at`, which left `status`.
    pub fn after(&mut self, s: &Store, t: &Thread, status: &Status, at: &Site) {
        if let Err(e) = self.judge(s, t, status) {
            panic!("model bug: preservation: the step of {at} led to an ill-typed configuration: {e}");
        }
    }

    fn judge(&mut self, s: &Store, t: &Thread, status: &Status) -> Judgement {
        store(s, &mut self.cache)?;
        match status {
            Status::Done(vals) => {
                if !(t.frames.is_empty() && t.labels.is_empty() && t.stack.is_empty()) {
                    return Err("the thread is done, but frames, labels or operands are left".into());
                }
                let ok = vals.len() == self.results.len()
                    && vals.iter().zip(&self.results).all(|(v, &rt)| value_has_type(s, v, rt));
                if !ok {
                    return Err(format!(
                        "the thread returned {vals:?}, expected {}",
                        FuncType { params: vec![], results: self.results.clone() }
                    ));
                }
                Ok(())
            }
            Status::Running => {
                let Some(top) = t.frames.len().checked_sub(1) else {
                    return Err("a running thread has no frame".into());
                };
                for i in self.suspended.min(top)..top {
                    frame(s, t, i, &mut self.cache)?;
                }
                self.suspended = top;
                frame(s, t, top, &mut self.cache)
            }
        }
    }
}

/// Progress: [`crate::exec::step()`] from a well-typed configuration returns.
/// A model bug inside it is re-raised as a progress failure at `at`.
pub(crate) fn step_with_progress(s: &mut Store, t: &mut Thread, at: &Site) -> Result<Status, crate::Error> {
    let stepped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| crate::exec::step(s, t)));
    match stepped {
        Ok(r) => r,
        Err(payload) => {
            let msg = payload
                .downcast_ref::<&str>()
                .map(|m| m.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned());
            match msg {
                Some(m)
                    if m.starts_with("model bug: ")
                        && !m.starts_with("model bug: progress: ")
                        && !m.starts_with("model bug: preservation: ") =>
                {
                    panic!("model bug: progress: the well-typed configuration at {at} did not step: {m}")
                }
                _ => std::panic::resume_unwind(payload),
            }
        }
    }
}
