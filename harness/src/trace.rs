//! `lockstep trace`: a script run by the model alone, printing every
//! reduction step of every invocation and instantiation: the instruction,
//! the function and position it is in, and the operands on top of the stack.
//!
//! The trace is written as it is produced: each step as the model takes it
//! (through the writer's buffer, flushed before each directive and when an
//! operation reaches its step limit), so that a long or endless run shows
//! its first steps at once and holds no more than one step in memory.

use std::cell::RefCell;
use std::fmt;
use std::io::{self, Write};
use std::rc::Rc;

use crate::engine::model::ModelEngine;
use crate::engine::{Engine, FuncLabel, HostCall, ImportRef, InstNum, ModuleId, Observation, Outcome, Rejected, Val};
use crate::limits::Limits;

/// The steps printed per operation by default: an instantiation or an
/// invocation, with everything it runs (a module a host call instantiates
/// meanwhile included). The rest are counted.
pub const DEFAULT_MAX_STEPS: usize = model::exec::Trace::DEFAULT_LIMIT;

/// Where a trace goes, shared by the engine, the model's step sink and the
/// directive headers.
struct Out {
    w: Box<dyn Write>,
    /// The first write error: nothing is written after it, and the trace
    /// ends with it.
    error: Option<io::Error>,
    /// Steps printed per operation; the others are only counted.
    max_steps: usize,
    /// Steps printed in the operation running.
    shown: usize,
}

impl Out {
    fn line(&mut self, args: fmt::Arguments<'_>) {
        if self.error.is_none()
            && let Err(e) = self.w.write_fmt(args).and_then(|()| self.w.write_all(b"\n"))
        {
            self.error = Some(e);
        }
    }

    fn flush(&mut self) {
        if self.error.is_none()
            && let Err(e) = self.w.flush()
        {
            self.error = Some(e);
        }
    }

    /// One step: the instruction, indented by call depth, its place and
    /// its operands (the top last).
    fn step(&mut self, step: &model::exec::TraceStep, place: Option<FuncLabel>, operands: &[Val]) {
        let place = place.map_or_else(|| "instantiation".to_string(), |l| l.to_string());
        let operands: Vec<String> = operands.iter().map(short).collect();
        let indent = "  ".repeat(step.depth.min(20));
        self.line(format_args!(
            "  {indent}{:<28} ;; {place}, pc {}; operands [{}]",
            step.instr.to_string(),
            step.pc,
            operands.join(" ")
        ));
        self.shown += 1;
        if self.shown == self.max_steps {
            // The model goes on counting, maybe for long: show all until now.
            let max = self.max_steps;
            self.line(format_args!(
                "  … --max-steps {max} reached: this operation's other steps are counted, not shown"
            ));
            self.flush();
        }
    }
}

/// The model, its steps streamed to `out`; the host calls of an operation
/// are printed at its end, before its outcome.
struct Traced {
    inner: ModelEngine,
    out: Rc<RefCell<Out>>,
    /// Host calls printed and not yet taken by the runner.
    calls: Vec<HostCall>,
}

impl Traced {
    fn new(out: Rc<RefCell<Out>>) -> Traced {
        let mut inner = ModelEngine::new(Limits::default());
        let max_steps = out.borrow().max_steps;
        let sink = out.clone();
        inner.stream_trace(max_steps, move |step, place, operands| sink.borrow_mut().step(step, place, &operands));
        Traced { inner, out, calls: Vec::new() }
    }

    /// Ends an operation: the steps not shown, its host calls (each with
    /// its answer and why it was -1), its step count and outcome.
    fn end(&mut self, what: &str, outcome: &Outcome) {
        let (_, dropped) = self.inner.take_trace();
        let calls = self.inner.take_host_calls();
        let mut out = self.out.borrow_mut();
        let shown = std::mem::take(&mut out.shown);
        if dropped > 0 && out.max_steps > 0 {
            let max = out.max_steps;
            out.line(format_args!("  … and {dropped} more steps, not shown (--max-steps {max})"));
        }
        for c in &calls {
            let args: Vec<String> = c.args.iter().map(short).collect();
            let (func, args) = (&c.func, args.join(" "));
            // No results: the call ended the caller's run (a poison), as
            // the outcome says.
            if c.results.is_empty() {
                out.line(format_args!("  host call {func}({args}) did not return: it ended the run"));
                continue;
            }
            let results: Vec<String> = c.results.iter().map(short).collect();
            let why = c.why.as_ref().map_or(String::new(), |w| format!(" ;; {w}"));
            out.line(format_args!("  host call {func}({args}) = {}{why}", results.join(" ")));
        }
        out.line(format_args!("  {what}: {} steps, {outcome}", shown as u64 + dropped));
        self.calls.extend(calls);
    }
}

/// Traces the script `text` into a string, at most [`DEFAULT_MAX_STEPS`]
/// steps per operation: each directive's source line, then the steps of
/// what it ran.
pub fn trace_script(name: &str, text: &str) -> String {
    #[derive(Clone, Default)]
    struct Shared(Rc<RefCell<Vec<u8>>>);
    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.borrow_mut().write(buf)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let buf = Shared::default();
    trace_to(name, text, DEFAULT_MAX_STEPS, Box::new(buf.clone())).expect("writing to memory");
    String::from_utf8(buf.0.take()).expect("a trace is text")
}

/// Traces the script `text` to `w` as it runs: for each directive, a
/// header `;; line N: <its first source line>`; under it, for each
/// instantiation or invocation it ran, one line per step (at most
/// `max_steps` per operation, the rest counted; 0: none), then its host
/// calls, then `<what>: <N> steps, <outcome>`. At the end, the checks that
/// failed and the counts. Returns the script's report (its checks on the
/// model).
///
/// # Errors
/// The first error writing to `w`; the script still runs to its end.
pub fn trace_to(name: &str, text: &str, max_steps: usize, w: Box<dyn Write>) -> io::Result<crate::wast::ScriptReport> {
    let out = Rc::new(RefCell::new(Out { w, error: None, max_steps, shown: 0 }));
    let engine = Box::new(Traced::new(out.clone()));
    let report = crate::wast::run_script_with(name, text, vec![engine], &[], &mut |_, line| {
        let source = text.lines().nth(line - 1).unwrap_or("").trim();
        let mut out = out.borrow_mut();
        out.line(format_args!("\n;; line {line}: {source}"));
        // What ran before shows now, whatever this directive takes.
        out.flush();
    });
    let mut out = out.borrow_mut();
    for note in &report.failed {
        out.line(format_args!(";; failed {note}"));
    }
    out.line(format_args!(
        "\n;; {}: {} passed, {} failed, {} skipped",
        report.name,
        report.passed,
        report.failed.len(),
        report.skipped.len()
    ));
    out.flush();
    match out.error.take() {
        Some(e) => Err(e),
        None => Ok(report),
    }
}

fn short(v: &Val) -> String {
    match v {
        Val::I32(x) => format!("{}", *x as i32),
        Val::I64(x) => format!("{}i64", *x as i64),
        Val::F32(x) => format!("{}f32", f32::from_bits(*x)),
        Val::F64(x) => format!("{}f64", f64::from_bits(*x)),
        other => other.to_string(),
    }
}

impl Engine for Traced {
    fn name(&self) -> &'static str {
        "model"
    }

    fn compile(&mut self, bytes: &[u8]) -> Result<ModuleId, Rejected> {
        self.inner.compile(bytes)
    }

    fn define(&mut self, name: &str, module: ModuleId) {
        self.inner.define(name, module)
    }

    fn instantiate(&mut self, module: ModuleId, imports: &[ImportRef]) -> (Option<InstNum>, Outcome) {
        let (num, outcome) = self.inner.instantiate(module, imports);
        let what = match num {
            Some(n) => format!("instantiate as instance #{n}"),
            None => "instantiate".to_string(),
        };
        self.end(&what, &outcome);
        (num, outcome)
    }

    fn invoke(&mut self, instance: InstNum, export: &str, args: &[Val]) -> Outcome {
        let outcome = self.inner.invoke(instance, export, args);
        self.end(&format!("invoke \"{export}\" of instance #{instance}"), &outcome);
        outcome
    }

    fn get_global(&mut self, instance: InstNum, export: &str) -> Outcome {
        self.inner.get_global(instance, export)
    }

    fn observe(&mut self, scope: &crate::engine::Scope) -> Observation {
        self.inner.observe(scope)
    }

    fn set_scope(&mut self, scope: crate::engine::Scope) {
        self.inner.set_scope(scope)
    }

    fn reach(&self, from: &[InstNum]) -> crate::engine::Scope {
        self.inner.reach(from)
    }

    fn take_host_calls(&mut self) -> Vec<HostCall> {
        // Printed at the end of the operation that made them.
        std::mem::take(&mut self.calls)
    }
}
