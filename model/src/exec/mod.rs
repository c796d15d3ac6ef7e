//! Execution (§4.3–§4.5): numerics, the small-step reduction of instructions,
//! invocation and instantiation.

pub mod config;
pub mod instantiate;
pub mod invariants;
pub mod numerics;
pub mod step;
pub mod typing;

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

/// Where a trace's steps go: into [`Trace::steps`], or, with a sink, each
/// handed to it as it is taken, with the store it was taken in (to name what
/// it shows), so that a long run streams in constant memory.
pub type TraceSink = Box<dyn FnMut(&Store, TraceStep)>;

/// The steps recorded for a trace, at most `limit` of them until the next
/// [`Trace::take`]: a step past it is only counted in `dropped`, so that
/// tracing a loop that runs until the step budget ends costs neither all the
/// host's memory nor a record per step.
pub struct Trace {
    /// Steps recorded and not yet taken (always empty with a `sink`).
    pub steps: Vec<TraceStep>,
    /// Steps recorded between two takes.
    pub limit: usize,
    /// Steps recorded since the last take, into `steps` or the sink.
    pub recorded: usize,
    /// Steps past `limit` since the last take, counted and not recorded.
    pub dropped: u64,
    /// Where steps go instead of `steps`.
    pub sink: Option<TraceSink>,
}

impl Trace {
    /// The steps a trace keeps by default before it only counts them.
    pub const DEFAULT_LIMIT: usize = 1_000_000;

    /// A trace that keeps its steps in [`Trace::steps`].
    pub fn new(limit: usize) -> Trace {
        Trace { steps: Vec::new(), limit, recorded: 0, dropped: 0, sink: None }
    }

    /// A trace that hands each step to `sink` as it is taken.
    pub fn streaming(limit: usize, sink: TraceSink) -> Trace {
        Trace { sink: Some(sink), ..Trace::new(limit) }
    }

    /// The steps kept and the number dropped since the last take; the limit
    /// starts again.
    pub fn take(&mut self) -> (Vec<TraceStep>, u64) {
        self.recorded = 0;
        (std::mem::take(&mut self.steps), std::mem::take(&mut self.dropped))
    }
}

impl std::fmt::Debug for Trace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trace")
            .field("steps", &self.steps)
            .field("limit", &self.limit)
            .field("recorded", &self.recorded)
            .field("dropped", &self.dropped)
            .field("sink", &self.sink.as_ref().map(|_| ".."))
            .finish()
    }
}

fn record(store: &mut Store, t: &Thread) {
    let depth = store.depth + t.frames.len();
    let (Some(trace), Some(frame)) = (&mut store.trace, t.frames.last()) else { return };
    if trace.recorded >= trace.limit {
        trace.dropped += 1;
        return;
    }
    trace.recorded += 1;
    // The frame's operands start where its body's label was entered.
    let base = t.labels.get(frame.labels as usize).map_or(frame.locals, |l| l.height) as usize;
    let n = t.stack.len().saturating_sub(base).min(3);
    let step = TraceStep {
        depth,
        func: frame.func,
        pc: frame.pc,
        instr: frame.code[frame.pc as usize],
        operands: t.stack[t.stack.len() - n..].to_vec(),
    };
    let Some(mut sink) = trace.sink.take() else {
        trace.steps.push(step);
        return;
    };
    // Out of the store while it runs, so that it can read the store.
    sink(store, step);
    if let Some(trace) = &mut store.trace {
        trace.sink = Some(sink);
    }
}

/// Reduces `t` until it is done, under the store's step budget
/// ([`crate::runtime::Policy::max_steps`]).
pub fn run(store: &mut Store, t: &mut Thread) -> Result<Vec<Value>, Error> {
    if store.check_invariants { run_loop::<true>(store, t) } else { run_loop::<false>(store, t) }
}

/// The loop of [`run`]. A const parameter, so that the common loop stays
/// small; with `CHECK`, the soundness properties are checked at every step
/// ([`typing`]): the configuration the run starts from is well-typed, and so
/// is the one after each step that leaves the thread running (the one the
/// next step starts from: nothing runs between two steps but the trace,
/// which only reads), or its values when it is done (*preservation*); `step`
/// returns from each of them (*progress*); and across each step the store
/// only grows ([`invariants`]).
fn run_loop<const CHECK: bool>(store: &mut Store, t: &mut Thread) -> Result<Vec<Value>, Error> {
    let mut budget = store.policy.max_steps;
    let mut checks = if CHECK { Some((typing::RunCheck::start(store, t), invariants::Shape::of(store))) } else { None };
    loop {
        if budget == 0 {
            return Err(Error::Exhaustion(ExhaustionKind::Steps));
        }
        budget -= 1;
        if store.trace.is_some() {
            record(store, t);
        }
        if CHECK && let Some((typing, shape)) = &mut checks {
            let at = typing::Site::of(t.frame());
            let status = typing::step_with_progress(store, t, &at);
            shape.advance(store);
            let status = status?;
            typing.after(store, t, &status, &at);
            if let Status::Done(vals) = status {
                return Ok(vals);
            }
            continue;
        }
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
