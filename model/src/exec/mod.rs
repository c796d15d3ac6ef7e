//! Execution (§4.3–§4.5): numerics, the small-step reduction of instructions,
//! invocation and instantiation.

pub mod config;
pub mod instantiate;
pub mod numerics;
pub mod step;

pub use config::{Frame, Label, Status, Thread};
pub use step::step;

use crate::error::{Error, ExhaustionKind};
use crate::runtime::{FuncAddr, Store, Value};

/// Reduces `t` until it is done, under the store's step budget
/// ([`crate::runtime::Policy::max_steps`]).
pub fn run(store: &mut Store, t: &mut Thread) -> Result<Vec<Value>, Error> {
    let mut budget = store.policy.max_steps;
    loop {
        if budget == 0 {
            return Err(Error::Exhaustion(ExhaustionKind::Steps));
        }
        budget -= 1;
        if let Status::Done(vals) = step(store, t)? {
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
