//! Execution (§4.3–§4.5): numerics, the small-step reduction of instructions,
//! invocation and instantiation.

pub mod config;
pub mod instantiate;
pub mod invariants;
pub mod numerics;
pub mod step;

pub use config::{Frame, Label, Status, Thread};
pub use step::step;

use crate::error::{Error, ExhaustionKind};
use crate::runtime::{FuncAddr, Store, Value};

/// One recorded step: the instruction about to be reduced, where, and the
/// operands on top of the stack (at most three, the top last).
#[derive(Clone, Debug)]
pub struct TraceStep {
    /// Frames on the call stack, counting re-entrant threads below.
    pub depth: usize,
    /// The function the instruction belongs to (`None`: instantiation code).
    pub func: Option<FuncAddr>,
    pub pc: crate::syntax::Pc,
    pub instr: crate::syntax::Instr,
    pub operands: Vec<Value>,
}

fn record(store: &mut Store, t: &Thread) {
    let depth = store.depth + t.frames.len();
    if let (Some(trace), Some(frame)) = (&mut store.trace, t.frames.last()) {
        // The frame's operands start where its body's label was entered.
        let base = t.labels.get(frame.labels as usize).map_or(frame.locals, |l| l.height) as usize;
        let n = t.stack.len().saturating_sub(base).min(3);
        trace.push(TraceStep {
            depth,
            func: frame.func,
            pc: frame.pc,
            instr: frame.code[frame.pc as usize],
            operands: t.stack[t.stack.len() - n..].to_vec(),
        });
    }
}

/// Reduces `t` until it is done, under the store's step budget
/// ([`crate::runtime::Policy::max_steps`]).
pub fn run(store: &mut Store, t: &mut Thread) -> Result<Vec<Value>, Error> {
    if store.check_invariants { run_loop::<true>(store, t) } else { run_loop::<false>(store, t) }
}

/// The loop of [`run`]; with `CHECK`, the store's invariants are checked
/// after every step. A const parameter, so that the common loop stays small.
fn run_loop<const CHECK: bool>(store: &mut Store, t: &mut Thread) -> Result<Vec<Value>, Error> {
    let mut budget = store.policy.max_steps;
    loop {
        if budget == 0 {
            return Err(Error::Exhaustion(ExhaustionKind::Steps));
        }
        budget -= 1;
        if store.trace.is_some() {
            record(store, t);
        }
        let before = if CHECK { Some(invariants::Shape::of(store)) } else { None };
        let status = step(store, t);
        if let Some(before) = &before {
            invariants::check(before, store);
        }
        if let Status::Done(vals) = status? {
            return Ok(vals);
        }
    }
}

/// A thread about to invoke the function at `a` with `args` (§4.4.10.1),
/// for an embedder that wants to step it itself. The arguments must match
/// the function's parameter types (checked by [`crate::embed::func_invoke`]).
pub fn thread_invoke(store: &mut Store, a: FuncAddr, args: &[Value]) -> Result<(Thread, Status), Error> {
    let mut t = Thread::default();
    t.stack.extend_from_slice(args);
    let status = step::call(store, &mut t, a)?;
    Ok((t, status))
}

/// Invokes the function at `a` with `args` and runs it to completion.
pub fn invoke(store: &mut Store, a: FuncAddr, args: &[Value]) -> Result<Vec<Value>, Error> {
    match thread_invoke(store, a, args)? {
        (_, Status::Done(vals)) => Ok(vals),
        (mut t, Status::Running) => run(store, &mut t),
    }
}
