//! `lockstep trace`: a script run by the model alone, printing every
//! reduction step of every invocation and instantiation: the instruction,
//! the function and position it is in, and the operands on top of the stack.

use std::cell::RefCell;
use std::fmt::Write;
use std::rc::Rc;

use crate::engine::model::ModelEngine;
use crate::engine::{Engine, HostCall, ImportRef, InstNum, ModuleId, Observation, Outcome, Rejected, Val};
use crate::limits::Limits;

/// The model, writing its steps to `out` after each operation.
pub struct Traced {
    inner: ModelEngine,
    out: Rc<RefCell<String>>,
}

impl Traced {
    pub fn new(out: Rc<RefCell<String>>) -> Traced {
        let mut inner = ModelEngine::new(Limits::default());
        inner.start_trace();
        Traced { inner, out }
    }

    fn flush(&mut self, what: &str, outcome: &Outcome) {
        let (steps, dropped) = self.inner.take_trace();
        let mut out = self.out.borrow_mut();
        let _ = writeln!(out, "  {what}: {} steps, {outcome}", steps.len() as u64 + dropped);
        for s in steps {
            let place = match s.func {
                Some(f) => self.inner.label(f).to_string(),
                None => "instantiation".to_string(),
            };
            let operands: Vec<String> = s.operands.iter().map(|v| short(&self.inner.val(v))).collect();
            let indent = "  ".repeat(s.depth.min(20));
            let _ = writeln!(
                out,
                "  {indent}{:<28} ;; {place}, pc {}; operands [{}]",
                s.instr.to_string(),
                s.pc,
                operands.join(" ")
            );
        }
        if dropped > 0 {
            let _ = writeln!(
                out,
                "  … and {dropped} more steps, not shown (a trace keeps the first {} of an operation)",
                model::exec::Trace::DEFAULT_LIMIT
            );
        }
    }
}

/// Traces the script `text`: each directive's source line, then the steps.
pub fn trace_script(name: &str, text: &str) -> String {
    trace_report(name, text).0
}

/// [`trace_script`], with the script's report (its checks on the model).
pub fn trace_report(name: &str, text: &str) -> (String, crate::wast::ScriptReport) {
    let out = Rc::new(RefCell::new(String::new()));
    let engine = Box::new(Traced::new(out.clone()));
    let mut last = None;
    let report = crate::wast::run_script_with(name, text, vec![engine], &[], &mut |_, line| {
        last = Some(line);
        let source = text.lines().nth(line - 1).unwrap_or("").trim();
        let _ = writeln!(out.borrow_mut(), "\n;; line {line}: {source}");
    });
    let mut text = out.borrow().clone();
    for note in &report.failed {
        let _ = writeln!(text, ";; failed {note}");
    }
    let _ = writeln!(
        text,
        "\n;; {}: {} passed, {} failed, {} skipped",
        report.name,
        report.passed,
        report.failed.len(),
        report.skipped.len()
    );
    let _ = last;
    (text, report)
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
        self.flush(&what, &outcome);
        (num, outcome)
    }

    fn invoke(&mut self, instance: InstNum, export: &str, args: &[Val]) -> Outcome {
        let outcome = self.inner.invoke(instance, export, args);
        self.flush(&format!("invoke \"{export}\" of instance #{instance}"), &outcome);
        outcome
    }

    fn get_global(&mut self, instance: InstNum, export: &str) -> Outcome {
        self.inner.get_global(instance, export)
    }

    fn observe(&mut self) -> Observation {
        self.inner.observe()
    }

    fn take_host_calls(&mut self) -> Vec<HostCall> {
        // Each host call the step made, with its answer and why it was -1.
        let calls = self.inner.take_host_calls();
        let mut out = self.out.borrow_mut();
        for c in &calls {
            let args: Vec<String> = c.args.iter().map(short).collect();
            let results: Vec<String> = c.results.iter().map(short).collect();
            let why = c.why.as_ref().map_or(String::new(), |w| format!(" ;; {w}"));
            let _ = writeln!(out, "  host call {}({}) = {}{why}", c.func, args.join(" "), results.join(" "));
        }
        calls
    }
}
