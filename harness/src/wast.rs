//! Runs `.wast` scripts through several engines in lockstep.
//!
//! The `wast` crate parses a script and encodes its text modules; every
//! engine then decodes, validates, instantiates and runs the same binaries.
//! Each directive is a step. After every step the runner compares each
//! engine with the reference (the first engine, normally the model): the
//! step's outcome, the host calls it made (each with the state at that
//! moment), and the whole observable state (every table, memory and global).
//!
//! # Accounting: every check once, every engine on every step it ran
//!
//! Every directive is one check, counted exactly once: passed, failed (with
//! the engines that failed it), skipped (with its reason), decided by the
//! text format (an `assert_malformed`/`assert_invalid` on a text module that
//! the `wast` crate rejects before any engine sees bytes), or not reached
//! (the reference had stopped). A module the reference cannot run (SIMD, a
//! proposal past 2.0) is skipped with its reason, and so is every check that
//! uses it, including modules that import from it.
//!
//! Each engine has a [`Lane`]: how many steps it was compared on, and where
//! and why it stopped. An engine stops alone: on its own poison (a named
//! limit), a module it does not support, a crash or hang of its worker
//! (placed by [`crate::worker`]), or an instantiation that diverged so that
//! its instances no longer correspond to the reference's. The other engines
//! go on. When the *reference* is poisoned, nothing can be compared any
//! more: every lane ends there, though every engine still runs the script's
//! checks. When the reference crashes, the rest is not reached.
//!
//! Every difference of one engine at one step is one [`Divergence`] listing
//! every differing object ([`compare::Diff`]).

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::rc::Rc;
use std::time::Instant;

use wast::core::{AbstractHeapType, HeapType, NanPattern, WastArgCore, WastRetCore};
use wast::parser::{self, ParseBuffer};
use wast::token::Id;
use wast::{QuoteWat, QuoteWatTest, Wast, WastArg, WastDirective, WastExecute, WastInvoke, WastRet};

use serde::{Deserialize, Serialize};

use crate::compare::{self, Diff, Floats};
use crate::engine::{Engine, ImportRef, InstNum, ModuleId, Origin, Outcome, Poison, Rejected, Scope, TrapKind, Val};
use model::runtime::{NanClass, nan_class_f32, nan_class_f64};

/// What happened to one script.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct ScriptReport {
    pub name: String,
    pub engines: Vec<String>,
    pub passed: usize,
    pub failed: Vec<Note>,
    pub skipped: Vec<Note>,
    /// Checks the text format decided (the `wast` crate rejected the module
    /// text): counted apart, never as passes.
    #[serde(default)]
    pub by_text: Vec<Note>,
    /// Checks not run because the reference had stopped (its worker crashed).
    #[serde(default)]
    pub not_reached: Vec<Note>,
    pub divergences: Vec<Divergence>,
    /// Per engine, in the order of `engines`.
    #[serde(default)]
    pub lanes: Vec<Lane>,
    /// Where the time went.
    #[serde(default)]
    pub time: Timing,
}

/// How one engine fared over a script.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Lane {
    /// Steps at which this engine's outcome and state were compared with the
    /// reference's (for the reference: steps it was the reference for).
    pub compared: usize,
    /// Where it stopped being compared, and why.
    pub stop: Option<Stop>,
}

/// Where and why an engine stopped being compared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stop {
    pub line: usize,
    pub kind: StopKind,
    pub what: String,
}

/// Why an engine stopped being compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StopKind {
    /// It hit one of the limits engines share (call depth, fuel, growth
    /// caps): not a verdict. It is run no further.
    Poisoned,
    /// It cannot run a module of the script. It is run no further.
    Unsupported,
    /// Its worker crashed or hung at this step. It is run no further.
    Crashed,
    /// Its instantiation diverged, so its instances no longer correspond to
    /// the reference's. It is run no further.
    Diverged,
    /// The reference was poisoned: nothing is compared after this step, but
    /// the engine still runs the script's checks.
    ReferenceStopped,
}

impl StopKind {
    pub fn name(self) -> &'static str {
        match self {
            StopKind::Poisoned => "poisoned",
            StopKind::Unsupported => "unsupported",
            StopKind::Crashed => "crashed",
            StopKind::Diverged => "diverged",
            StopKind::ReferenceStopped => "the reference was poisoned",
        }
    }
}

/// A failed, skipped or uncounted check: where, why, and (for a failed one)
/// which engines failed it; none means the script itself (a module that
/// does not encode, a directive that names nothing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    pub line: usize,
    pub what: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub engines: Vec<String>,
}

/// One engine differing from the reference at one step: every object that
/// differs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Divergence {
    pub line: usize,
    /// The directive's source text.
    pub directive: String,
    pub engine: String,
    pub diffs: Vec<Diff>,
    /// The later steps (lines) after which an object of this divergence
    /// still differed exactly so: reported once, here, where it appeared.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub still_differs: Vec<usize>,
}

impl Divergence {
    /// Every difference, as text.
    pub fn what(&self, reference: &str) -> String {
        compare::describe(&self.diffs, reference, &self.engine)
    }

    /// Whether the engine's worker crashed or hung here.
    pub fn is_crash(&self) -> bool {
        self.diffs.iter().any(|d| d.signature == "crash" || d.signature == "hang")
    }
}

/// An engine stopped from outside before a step: its worker crashed or hung
/// there ([`crate::worker`] finds where and who, and runs the script again
/// with the halt). The runner records the crash as that engine's divergence
/// at that step, and does not run the engine from there on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Halt {
    /// One engine, or several joined by `+` when no single one reproduced it.
    pub engine: String,
    pub line: usize,
    /// What happened: `crashed: killed by SIGSEGV (11)`.
    pub what: String,
    /// `crash` or `hang`.
    pub signature: String,
}

/// Seconds spent in each phase of a script, per engine (in the order of
/// [`ScriptReport::engines`]), and in the runner itself.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Timing {
    /// Parsing the script and encoding its modules.
    pub parse: f64,
    /// Comparing outcomes and states.
    pub compare: f64,
    /// Creating the engines (stores, host objects) and dropping them.
    #[serde(default)]
    pub setup: f64,
    pub engines: Vec<[f64; Phase::COUNT]>,
}

/// What an engine spends time on.
#[derive(Debug, Clone, Copy)]
pub enum Phase {
    /// Decoding, validating and compiling a module (with its instrumented copy).
    Compile,
    /// Instantiating, including segments and the start function.
    Instantiate,
    /// Invocations and global reads, including the host calls they make.
    Run,
    /// Reading the whole observable state after a step.
    Observe,
}

impl Phase {
    pub const COUNT: usize = 4;
    pub const ALL: [Phase; Phase::COUNT] = [Phase::Compile, Phase::Instantiate, Phase::Run, Phase::Observe];

    pub fn name(self) -> &'static str {
        match self {
            Phase::Compile => "compile",
            Phase::Instantiate => "instantiate",
            Phase::Run => "run",
            Phase::Observe => "observe",
        }
    }
}

impl Timing {
    /// All the time accounted for.
    pub fn total(&self) -> f64 {
        self.parse + self.compare + self.setup + self.engines.iter().flatten().sum::<f64>()
    }

    /// Adds `other`'s times to these, engine by engine.
    pub fn add(&mut self, other: &Timing) {
        self.parse += other.parse;
        self.compare += other.compare;
        self.setup += other.setup;
        if self.engines.len() < other.engines.len() {
            self.engines.resize(other.engines.len(), [0.0; Phase::COUNT]);
        }
        for (mine, theirs) in self.engines.iter_mut().zip(&other.engines) {
            for (m, t) in mine.iter_mut().zip(theirs) {
                *m += t;
            }
        }
    }
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.what)
    }
}

impl ScriptReport {
    /// Every check passed and no engine diverged.
    pub fn ok(&self) -> bool {
        self.failed.is_empty() && self.divergences.is_empty()
    }

    /// The first engine that stopped on a poison, and where.
    pub fn poisoned(&self) -> Option<(&str, &Stop)> {
        self.lanes
            .iter()
            .zip(&self.engines)
            .find_map(|(l, e)| l.stop.as_ref().filter(|s| s.kind == StopKind::Poisoned).map(|s| (e.as_str(), s)))
            .or_else(|| {
                let s = self.lanes.first()?.stop.as_ref()?;
                (s.kind == StopKind::ReferenceStopped).then(|| (self.engines[0].as_str(), s))
            })
    }

    pub fn verdict(&self) -> String {
        if self.engines.len() < 2 {
            return format!("{} alone: nothing compared", self.engines.first().map_or("no engine", String::as_str));
        }
        if !self.divergences.is_empty() {
            return format!("{} divergences", self.divergences.len());
        }
        match self.poisoned() {
            None => "agree".into(),
            Some((e, s)) => format!("agree until {e} was poisoned at line {} ({})", s.line, s.what),
        }
    }

    /// Per engine: how many steps were compared, and where it stopped.
    pub fn lane_lines(&self) -> Vec<String> {
        self.engines
            .iter()
            .zip(&self.lanes)
            .map(|(e, l)| match &l.stop {
                None => format!("{e}: {} steps compared", l.compared),
                Some(s) => {
                    format!("{e}: {} steps compared; {} at line {}: {}", l.compared, s.kind.name(), s.line, s.what)
                }
            })
            .collect()
    }
}

/// Runs the script `text` through fresh engines; `name` labels the report.
pub fn run_script(name: &str, text: &str, engines: Vec<Box<dyn Engine>>) -> ScriptReport {
    run_script_with(name, text, engines, &[], &mut |_, _| {})
}

/// [`run_script`], with engines halted before the given steps (crashes and
/// hangs found by an earlier run), calling `before` with the report so far
/// and the line of each directive before it runs (a worker streams both, so
/// that a crash loses nothing already found and can be placed).
pub fn run_script_with(
    name: &str,
    text: &str,
    engines: Vec<Box<dyn Engine>>,
    halts: &[Halt],
    before: &mut dyn FnMut(&ScriptReport, usize),
) -> ScriptReport {
    let mut report = ScriptReport {
        name: name.to_string(),
        engines: engines.iter().map(|e| e.name().to_string()).collect(),
        lanes: vec![Lane::default(); engines.len()],
        ..ScriptReport::default()
    };
    report.time.engines = vec![[0.0; Phase::COUNT]; engines.len()];
    let parsing = Instant::now();
    let mut lexer = wast::lexer::Lexer::new(text);
    lexer.allow_confusing_unicode(true);
    let buf = match ParseBuffer::new_with_lexer(lexer) {
        Ok(buf) => buf,
        Err(e) => {
            report.failed.push(Note { line: 0, what: format!("cannot lex script: {e}"), engines: vec![] });
            return report;
        }
    };
    let wast: Wast<'_> = match parser::parse(&buf) {
        Ok(w) => w,
        Err(mut e) => {
            e.set_text(text);
            report.failed.push(Note { line: 0, what: format!("cannot parse script: {e}"), engines: vec![] });
            return report;
        }
    };
    report.time.parse += parsing.elapsed().as_secs_f64();
    let mut runner = Runner::new(text, engines, report, halts.to_vec());
    for directive in wast.directives {
        before(&runner.report, runner.lines.line(directive.span().offset()));
        runner.directive(directive);
    }
    runner.finish();
    runner.report
}

/// The outcome of one check.
enum Check {
    Pass,
    /// Why, and the engines that failed it (none: the script itself).
    Fail(String, Vec<usize>),
    Skip(String),
    /// Decided by the text format.
    ByText(String),
}

use Check::*;

/// A module instance the script has named, registered or made current: its
/// number in each engine (none where the engine did not run it), and its
/// exports; or why it was skipped.
type Instance = Result<Rc<Inst>, String>;

struct Inst {
    nums: Vec<Option<InstNum>>,
    exports: Vec<String>,
}

/// A module compiled by the engines: its id in each (none where the engine
/// did not compile it), its imports and its exports.
#[derive(Clone)]
struct Compiled {
    ids: Vec<Option<ModuleId>>,
    imports: Vec<(String, String)>,
    exports: Vec<String>,
}

/// An instantiation in every engine: each one's instance number and outcome
/// (none where the engine did not run), and, if the runner could not
/// resolve an import, which (an "unknown import", §4.5.3: no engine sees it).
struct Instantiated {
    nums: Vec<Option<InstNum>>,
    outcomes: Vec<Option<Outcome>>,
    unknown: Option<String>,
}

struct Runner<'a> {
    text: &'a str,
    lines: LineIndex,
    engines: Vec<Box<dyn Engine>>,
    report: ScriptReport,
    /// `register`ed names.
    registry: HashMap<String, Instance>,
    instances: HashMap<String, Instance>,
    definitions: HashMap<String, Result<Compiled, String>>,
    current: Option<Instance>,
    /// Script names of the reference's instances, for reports.
    names: HashMap<InstNum, String>,
    halts: Vec<Halt>,
    /// The current directive: its line and source text.
    line: usize,
    directive: String,
    /// This step's differences, per engine.
    diffs: Vec<Vec<Diff>>,
    /// Per engine, the objects whose state differed when last observed, as
    /// they differed, by signature, with the line where that was reported: a
    /// difference that a step leaves exactly as it was is not reported
    /// again (it was, at the step that made it), but listed there as still
    /// differing.
    standing: Vec<HashMap<String, (Diff, usize)>>,
    /// The instances the running step entered (the reference's numbers),
    /// and what they could reach before it ran; none when the directive
    /// ran nothing, and then there is nothing to observe.
    step: Option<(Vec<InstNum>, Scope)>,
    /// The engines compared at this step (decided before it runs).
    comparing: Vec<bool>,
}

impl<'a> Runner<'a> {
    fn new(text: &'a str, engines: Vec<Box<dyn Engine>>, report: ScriptReport, halts: Vec<Halt>) -> Runner<'a> {
        let n = engines.len();
        Runner {
            text,
            lines: LineIndex::new(text),
            engines,
            report,
            registry: HashMap::new(),
            instances: HashMap::new(),
            definitions: HashMap::new(),
            current: None,
            names: HashMap::new(),
            halts,
            line: 0,
            directive: String::new(),
            diffs: vec![Vec::new(); n],
            standing: vec![HashMap::new(); n],
            step: None,
            comparing: vec![false; n],
        }
    }

    /// Whether engine `e` still runs the script.
    fn runs(&self, e: usize) -> bool {
        self.report.lanes[e].stop.as_ref().is_none_or(|s| s.kind == StopKind::ReferenceStopped)
    }

    /// Whether engine `e` is still compared with the reference.
    fn compared(&self, e: usize) -> bool {
        self.report.lanes[0].stop.is_none() && self.report.lanes[e].stop.is_none()
    }

    /// Stops comparing engine `e` from this step on.
    fn stop(&mut self, e: usize, kind: StopKind, what: String) {
        let lane = &mut self.report.lanes[e];
        if lane.stop.as_ref().is_none_or(|s| s.kind == StopKind::ReferenceStopped && kind != StopKind::ReferenceStopped)
        {
            lane.stop = Some(Stop { line: self.line, kind, what });
        }
    }

    /// How exactly floats must agree: bit for bit, except NaNs the
    /// reference chose from a set ([`Floats`]).
    fn floats(&self) -> Floats {
        Floats::from_choices(self.engines[0].chosen_nans())
    }

    fn directive(&mut self, d: WastDirective<'_>) {
        let span = d.span();
        self.line = self.lines.line(span.offset());
        self.directive = directive_text(self.text, span.offset());
        self.apply_halts();
        let line = self.line;
        if !self.runs(0) {
            let stop = self.report.lanes[0].stop.clone().expect("a stopped reference has a stop");
            // The step where it crashed is counted as a failed check already.
            if stop.line != line {
                let what = format!("not reached: the reference {} at line {}", stop.kind.name(), stop.line);
                self.report.not_reached.push(Note { line, what, engines: vec![] });
            }
            return;
        }
        self.comparing = (0..self.engines.len()).map(|e| self.compared(e)).collect();
        let check = self.check(d);
        let names = |es: Vec<usize>, r: &Runner<'_>| es.iter().map(|&e| r.engines[e].name().to_string()).collect();
        match check {
            Pass => self.report.passed += 1,
            Fail(what, engines) => {
                let engines = names(engines, self);
                self.report.failed.push(Note { line, what, engines })
            }
            Skip(what) => self.report.skipped.push(Note { line, what, engines: vec![] }),
            ByText(what) => self.report.by_text.push(Note { line, what, engines: vec![] }),
        }
        self.compare_state(None);
        for e in 0..self.engines.len() {
            let diffs = std::mem::take(&mut self.diffs[e]);
            if !diffs.is_empty() {
                let engine = self.engines[e].name().to_string();
                let directive = self.directive.clone();
                self.report.divergences.push(Divergence { line, directive, engine, diffs, still_differs: vec![] });
            }
            let stopped_here =
                self.report.lanes[e].stop.as_ref().is_some_and(|s| s.line == line && s.kind != StopKind::Diverged);
            if self.comparing[e] && !stopped_here {
                self.report.lanes[e].compared += 1;
            }
        }
    }

    /// After the last step: every object of every engine still compared
    /// (a step observes only what it could reach; this catches a write
    /// beyond it, reported at the last step).
    fn finish(&mut self) {
        if self.line == 0 || !self.runs(0) {
            return;
        }
        self.comparing = (0..self.engines.len()).map(|e| self.compared(e)).collect();
        self.directive = format!("{}\n;; (the end of the script: every object observed)", self.directive);
        self.compare_state(Some(Scope::All));
        for e in 0..self.engines.len() {
            let diffs = std::mem::take(&mut self.diffs[e]);
            if !diffs.is_empty() {
                let (line, directive, engine) = (self.line, self.directive.clone(), self.engines[e].name().to_string());
                self.report.divergences.push(Divergence { line, directive, engine, diffs, still_differs: vec![] });
            }
        }
    }

    /// Engines halted from outside at this step: each one's crash is its
    /// divergence here, and it runs no further.
    fn apply_halts(&mut self) {
        let due: Vec<Halt> = self.halts.iter().filter(|h| h.line <= self.line).cloned().collect();
        self.halts.retain(|h| h.line > self.line);
        for h in due {
            let stopped: Vec<usize> =
                h.engine.split('+').filter_map(|n| self.engines.iter().position(|e| e.name() == n)).collect();
            // A halt of engines that had stopped already (a crash that an
            // earlier run placed later, before undefined behaviour moved it).
            if !stopped.is_empty() && stopped.iter().all(|&e| self.report.lanes[e].stop.is_some()) {
                continue;
            }
            for &e in &stopped {
                self.stop(e, StopKind::Crashed, h.what.clone());
            }
            let diff = Diff {
                object: "the engine's worker".into(),
                signature: h.signature.clone(),
                reference: "completed the step".into(),
                engine: h.what.clone(),
            };
            let (line, directive) = (self.line, self.directive.clone());
            if stopped == [0] {
                // The reference's own crash: a model bug, a failed check of its own.
                let what = format!("the reference {}", h.what);
                self.report.failed.push(Note { line, what, engines: vec![h.engine] });
            } else {
                let (engine, diffs) = (h.engine, vec![diff]);
                self.report.divergences.push(Divergence { line, directive, engine, diffs, still_differs: vec![] });
            }
        }
    }

    fn check(&mut self, d: WastDirective<'_>) -> Check {
        match d {
            WastDirective::Module(mut m) => {
                let name = m.name();
                let inst = match self.compile(&mut m) {
                    Err(Compile::Skip(why)) => Err(why),
                    Err(Compile::Fail(why)) => {
                        self.set_current(name, Err(format!("its module did not compile at line {}", self.line)));
                        return Fail(format!("module: {why}"), vec![]);
                    }
                    Ok(c) => return self.instantiate_as_current(name, &c, "module failed to instantiate"),
                };
                self.set_current(name, inst)
            }
            WastDirective::ModuleDefinition(mut m) => {
                let name = m.name();
                let def = match self.compile(&mut m) {
                    Ok(c) => Ok(c),
                    Err(Compile::Skip(why)) => Err(why),
                    Err(Compile::Fail(why)) => return Fail(format!("module definition: {why}"), vec![]),
                };
                let check = match &def {
                    Ok(_) => Pass,
                    Err(why) => Skip(why.clone()),
                };
                if let Some(id) = name {
                    if let Ok(c) = &def {
                        for (e, engine) in self.engines.iter_mut().enumerate() {
                            if let Some(m) = c.ids[e] {
                                engine.define(id.name(), m);
                            }
                        }
                    }
                    self.definitions.insert(id.name().to_string(), def);
                }
                check
            }
            WastDirective::ModuleInstance { instance, module, .. } => {
                let def = module.and_then(|m| self.definitions.get(m.name()).cloned());
                let inst = match def {
                    None => return Fail("module instance of an unknown definition".into(), vec![]),
                    Some(Err(why)) => Err(why),
                    Some(Ok(c)) => return self.instantiate_as_current(instance, &c, "module instance failed"),
                };
                self.set_current(instance, inst)
            }
            WastDirective::Register { name, module, .. } => {
                let inst = self.instance(module);
                self.registry.insert(name.to_string(), inst.clone());
                match inst {
                    Err(why) => Skip(why),
                    Ok(_) => Pass,
                }
            }
            WastDirective::Invoke(invoke) => match self.invoke(&invoke, &[]) {
                Run::Skip(why) => Skip(why),
                Run::Fail(why) => Fail(why, vec![]),
                Run::Done(outcomes) => self.expect(&outcomes, |_, o| match o {
                    Outcome::Values(_) => None,
                    other => Some(format!("invoke {}: {other}", invoke.name)),
                }),
            },
            WastDirective::AssertReturn { exec, results, .. } => {
                if results.iter().any(|r| matches!(r, WastRet::Core(WastRetCore::V128(_)))) {
                    return Skip("SIMD (v128) is not modelled".into());
                }
                match self.execute(exec, &results) {
                    Run::Skip(why) => Skip(why),
                    Run::Fail(why) => Fail(why, vec![]),
                    // The shared limits refused a grow and the run did not
                    // end as asserted: the limit decided, not the semantics
                    // (a grow may fail, §4.4.7); every engine has the same limits.
                    Run::Done(outcomes)
                        if matches!(
                            &outcomes[0],
                            Some(Outcome::Poisoned(Poison::Limit(_) | Poison::Refused { .. }))
                        ) =>
                    {
                        let poison = outcomes[0].as_ref().map(|o| o.to_string()).unwrap_or_default();
                        Skip(format!("a shared limit decided the result, not the semantics ({poison})"))
                    }
                    Run::Done(outcomes) => self.expect(&outcomes, |_, o| match o {
                        Outcome::Values(vals) if match_results(vals, &results) => None,
                        other => Some(format!("expected {}, got {other}", show_rets(&results))),
                    }),
                }
            }
            WastDirective::AssertTrap { exec, message, .. } => match self.execute(exec, &[]) {
                Run::Skip(why) => Skip(why),
                Run::Fail(why) => Fail(why, vec![]),
                Run::Done(outcomes) => self.expect(&outcomes, |e, o| match o {
                    // The reference must name the spec's class; other engines an equivalent one.
                    Outcome::Trap(kind) if trap_matches(*kind, message, e > 0) => None,
                    other => Some(format!("expected trap \"{message}\", got {other}")),
                }),
            },
            WastDirective::AssertExhaustion { call, message, .. } => match self.invoke(&call, &[]) {
                Run::Skip(why) => Skip(why),
                Run::Fail(why) => Fail(why, vec![]),
                Run::Done(outcomes) => self.expect(&outcomes, |_, o| match o {
                    // The suite's message, and the corpus's for a resource that a
                    // limit every engine shares refuses (Appendix A.2 lets it).
                    Outcome::Poisoned(Poison::StackExhausted) if message.starts_with("call stack exhausted") => None,
                    Outcome::Poisoned(Poison::Limit(_)) if message.starts_with("resource limit") => None,
                    other => Some(format!("expected exhaustion \"{message}\", got {other}")),
                }),
            },
            WastDirective::AssertMalformed { mut module, message, .. } => {
                self.expect_rejected(&mut module, message, Rejection::Malformed)
            }
            WastDirective::AssertInvalid { mut module, message, .. } => {
                self.expect_rejected(&mut module, message, Rejection::Invalid)
            }
            WastDirective::AssertUnlinkable { module, message, .. } => {
                let mut module = QuoteWat::Wat(module);
                match self.compile(&mut module) {
                    Err(Compile::Skip(why)) => Skip(why),
                    Err(Compile::Fail(why)) => Fail(format!("assert_unlinkable module: {why}"), vec![]),
                    Ok(c) => {
                        let i = self.instantiate(&c);
                        let unknown = i.unknown.is_some();
                        match link_class_matches(message, unknown) {
                            Err(why) => Fail(why, vec![]),
                            Ok(()) => self.expect(&i.outcomes, |_, o| match o {
                                Outcome::Link => None,
                                other => Some(format!("expected unlinkable \"{message}\", got {other}")),
                            }),
                        }
                    }
                }
            }
            WastDirective::AssertInvalidCustom { .. } | WastDirective::AssertMalformedCustom { .. } => {
                Skip("custom-section annotations are not modelled".into())
            }
            WastDirective::AssertException { .. } => Skip("exceptions are not in Wasm 2.0".into()),
            WastDirective::AssertSuspension { .. } => Skip("stack switching is not in Wasm 2.0".into()),
            WastDirective::Thread(_) | WastDirective::Wait { .. } => Skip("threads are not modelled".into()),
        }
    }

    /// Instantiates `c` in every engine and makes it the current (and, if
    /// named, a named) instance: the check is that every engine instantiates
    /// it. The instance stands for later steps if the reference made it, so
    /// that one engine's failure changes nothing the others run.
    fn instantiate_as_current(&mut self, name: Option<Id<'_>>, c: &Compiled, failed: &str) -> Check {
        let i = self.instantiate(c);
        let check = self.expect(&i.outcomes, |_, o| match o {
            Outcome::Values(_) => None,
            other => Some(format!("{failed}: {other}")),
        });
        let inst = if i.nums[0].is_some() && matches!(i.outcomes[0], Some(Outcome::Values(_))) {
            Ok(Rc::new(Inst { nums: i.nums, exports: c.exports.clone() }))
        } else {
            Err(format!("its instantiation failed at line {}", self.line))
        };
        let set = self.set_current(name, inst);
        if let Fail(..) = check { check } else { set }
    }

    /// A check over every engine's outcome (none where it did not run):
    /// `judge` says what is wrong with one, if anything.
    fn expect(&mut self, outcomes: &[Option<Outcome>], judge: impl Fn(usize, &Outcome) -> Option<String>) -> Check {
        let mut wrong = Vec::new();
        let mut who = Vec::new();
        for (e, o) in outcomes.iter().enumerate() {
            if let Some(why) = o.as_ref().and_then(|o| judge(e, o)) {
                wrong.push(if self.engines.len() == 1 { why } else { format!("{}: {why}", self.engines[e].name()) });
                who.push(e);
            }
        }
        if wrong.is_empty() { Pass } else { Fail(wrong.join("; "), who) }
    }

    /// `assert_malformed`/`assert_invalid`: a text module the `wast` crate
    /// rejects is decided by the text format; a binary one must be rejected
    /// by every engine, and by the reference in the phase the assertion
    /// names (its decoder for malformed, its validator for invalid).
    fn expect_rejected(&mut self, module: &mut QuoteWat<'_>, message: &str, want: Rejection) -> Check {
        let bytes = match module_bytes(module) {
            Bytes::Text(why) => return ByText(why),
            Bytes::Unencodable(why) if is_text_error(&why) => return ByText(why),
            Bytes::Unencodable(why) => return Fail(format!("cannot encode module: {why}"), vec![]),
            Bytes::Binary(bytes) => bytes,
        };
        let results = self.each(Phase::Compile, |_, e| e.compile(&bytes));
        if let Some(Err(Rejected::Unsupported(why))) = &results[0] {
            return Skip(why.clone());
        }
        self.compare_acceptance(&results);
        let phase = want.name();
        let mut wrong = Vec::new();
        let mut who = Vec::new();
        for (e, r) in results.iter().enumerate() {
            let Some(r) = r else { continue };
            let why = match (e, r) {
                (_, Ok(_)) => Some(format!("expected {phase} \"{message}\", but the module compiles")),
                (0, Err(Rejected::Malformed(_))) if want == Rejection::Malformed => None,
                (0, Err(Rejected::Invalid(_))) if want == Rejection::Invalid => None,
                (0, Err(other)) => Some(format!("expected {phase} \"{message}\", got {other}")),
                (_, Err(Rejected::Unsupported(why))) => {
                    let why = format!("{} does not support it: {why}", self.engines[e].name());
                    self.stop(e, StopKind::Unsupported, why);
                    None
                }
                (_, Err(_)) => None,
            };
            if let Some(why) = why {
                wrong.push(format!("{}: {why}", self.engines[e].name()));
                who.push(e);
            }
        }
        if wrong.is_empty() { Pass } else { Fail(wrong.join("; "), who) }
    }

    /// Compile results must agree on acceptance.
    fn compare_acceptance<T>(&mut self, results: &[Option<Result<T, Rejected>>]) {
        let accepted = |r: &Option<Result<T, Rejected>>| match r {
            Some(Ok(_)) => Some(true),
            Some(Err(Rejected::Unsupported(_))) | None => None,
            Some(Err(_)) => Some(false),
        };
        let Some(reference) = accepted(&results[0]) else { return };
        for e in 1..results.len() {
            if !self.comparing[e] {
                continue;
            }
            if let Some(a) = accepted(&results[e])
                && a != reference
            {
                let verb = |b: bool| if b { "accepts" } else { "rejects" };
                let show = |r: &Option<Result<T, Rejected>>| match r {
                    Some(Err(why)) => format!("rejects it: {why}"),
                    _ => "accepts it".to_string(),
                };
                self.diffs[e].push(Diff {
                    object: "the module's acceptance".into(),
                    signature: format!("acceptance:{}/{}", verb(reference), verb(a)),
                    reference: show(&results[0]),
                    engine: show(&results[e]),
                });
            }
        }
    }

    fn set_current(&mut self, name: Option<Id<'_>>, inst: Instance) -> Check {
        let check = match &inst {
            Ok(_) => Pass,
            Err(why) => Skip(why.clone()),
        };
        if let Some(id) = name {
            if let Ok(i) = &inst
                && let Some(n) = i.nums[0]
            {
                self.names.insert(n, format!("${}", id.name()));
            }
            self.instances.insert(id.name().to_string(), inst.clone());
        }
        self.current = Some(inst);
        check
    }

    /// Text or binary module → compiled by every engine that runs. A module
    /// the reference cannot run, or that imports from a skipped module, is
    /// skipped; one that another engine cannot run stops that engine.
    fn compile(&mut self, m: &mut QuoteWat<'_>) -> Result<Compiled, Compile> {
        let encoding = Instant::now();
        let bytes = m.encode().map_err(|e| Compile::Fail(format!("cannot encode: {e}")));
        self.report.time.parse += encoding.elapsed().as_secs_f64();
        let bytes = bytes?;
        let (imports, exports) = match model::embed::module_decode(&bytes) {
            Ok(module) => (
                module.imports.iter().map(|i| (i.module.clone(), i.name.clone())).collect::<Vec<_>>(),
                module.exports.iter().map(|x| x.name.clone()).collect(),
            ),
            Err(model::DecodeError::Unsupported(why)) => return Err(Compile::Skip(why)),
            Err(_) => (vec![], vec![]),
        };
        if let Some(why) = imports.iter().find_map(|(m, _)| self.registry.get(m).and_then(|i| i.as_ref().err())) {
            return Err(Compile::Skip(format!("imports from a skipped module ({why})")));
        }
        let results = self.each(Phase::Compile, |_, e| e.compile(&bytes));
        self.compare_acceptance(&results);
        let mut ids = Vec::new();
        for (e, r) in results.into_iter().enumerate() {
            ids.push(match r {
                None => None,
                Some(Ok(id)) => Some(id),
                Some(Err(Rejected::Unsupported(why))) if e == 0 => return Err(Compile::Skip(why)),
                Some(Err(why)) if e == 0 => return Err(Compile::Fail(why.to_string())),
                Some(Err(Rejected::Unsupported(why))) => {
                    let why = format!("{} does not support a module: {why}", self.engines[e].name());
                    self.stop(e, StopKind::Unsupported, why);
                    None
                }
                Some(Err(why)) => {
                    self.stop(e, StopKind::Diverged, format!("it rejected a module the reference accepts: {why}"));
                    None
                }
            });
        }
        Ok(Compiled { ids, imports, exports })
    }

    /// Instantiates in every engine that runs. An engine whose instance (or
    /// its absence) does not correspond to the reference's stops.
    fn instantiate(&mut self, c: &Compiled) -> Instantiated {
        let mut nums = Vec::new();
        let mut outcomes = Vec::new();
        let resolved = self.resolve(&c.imports);
        let unknown = resolved.as_ref().err().cloned();
        if let Ok(imports) = &resolved {
            let exporters = imports.iter().filter_map(|i| match i {
                Resolved::Export { nums, .. } => nums[0],
                Resolved::Host(_) => None,
            });
            self.enter(exporters.collect());
        }
        for e in 0..self.engines.len() {
            let (num, outcome) = match (&resolved, c.ids[e]) {
                (_, None) => (None, None),
                _ if !self.runs(e) => (None, None),
                (Err(_), Some(_)) => (None, Some(Outcome::Link)),
                (Ok(imports), Some(id)) => match imports.iter().map(|i| i.for_engine(e)).collect::<Option<Vec<_>>>() {
                    None => (None, None),
                    Some(imports) => {
                        let (n, o) = self.timed(e, Phase::Instantiate, |eng| eng.instantiate(id, &imports));
                        (n, Some(o))
                    }
                },
            };
            nums.push(num);
            outcomes.push(outcome);
        }
        self.compare_outcomes(&outcomes);
        for e in 1..nums.len() {
            if self.comparing[e] && outcomes[e].is_some() && nums[e] != nums[0] {
                let show = |n: Option<InstNum>| n.map_or("no instance".to_string(), |n| format!("instance #{n}"));
                self.diffs[e].push(Diff {
                    object: "the instance made".into(),
                    signature: "instance-number".into(),
                    reference: show(nums[0]),
                    engine: show(nums[e]),
                });
                self.stop(e, StopKind::Diverged, "its instances no longer correspond to the reference's".into());
            }
        }
        Instantiated { nums, outcomes, unknown }
    }

    /// Imports by registered name, or the host modules; an import that names
    /// no registered instance's export and no host object is unknown.
    fn resolve(&self, imports: &[(String, String)]) -> Result<Vec<Resolved>, String> {
        imports
            .iter()
            .map(|(module, name)| match self.registry.get(module) {
                Some(Ok(inst)) if inst.exports.contains(name) => {
                    Ok(Resolved::Export { nums: inst.nums.clone(), name: name.clone() })
                }
                None if is_host_object(module, name) => {
                    Ok(Resolved::Host(ImportRef::Host { module: module.clone(), name: name.clone() }))
                }
                _ => Err(format!("unknown import \"{module}\" \"{name}\"")),
            })
            .collect()
    }

    fn instance(&self, id: Option<Id<'_>>) -> Instance {
        match id {
            None => self.current.clone().unwrap_or_else(|| Err("no current module".into())),
            Some(id) => {
                self.instances.get(id.name()).cloned().unwrap_or_else(|| Err(format!("no module ${}", id.name())))
            }
        }
    }

    /// Runs an invoke, get or module of an assertion; `asserted` are the
    /// results an `assert_return` states (none for the others).
    fn execute(&mut self, exec: WastExecute<'_>, asserted: &[WastRet<'_>]) -> Run {
        match exec {
            WastExecute::Invoke(invoke) => self.invoke(&invoke, asserted),
            WastExecute::Get { module, global, .. } => {
                let inst = match self.instance(module) {
                    Ok(inst) => inst,
                    Err(why) => return Run::Skip(why),
                };
                self.enter(inst.nums[0].into_iter().collect());
                let outcomes = self.each_in(&inst, Phase::Run, |n, eng| eng.get_global(n, global));
                self.compare_outcomes(&outcomes);
                Run::Done(outcomes)
            }
            WastExecute::Wat(wat) => {
                let mut module = QuoteWat::Wat(wat);
                match self.compile(&mut module) {
                    Err(Compile::Skip(why)) => Run::Skip(why),
                    Err(Compile::Fail(why)) => Run::Fail(format!("module does not compile: {why}")),
                    Ok(c) => Run::Done(self.instantiate(&c).outcomes),
                }
            }
        }
    }

    fn invoke(&mut self, invoke: &WastInvoke<'_>, asserted: &[WastRet<'_>]) -> Run {
        let inst = match self.instance(invoke.module) {
            Ok(inst) => inst,
            Err(why) => return Run::Skip(why),
        };
        let mut args = Vec::new();
        for arg in &invoke.args {
            match arg_value(arg) {
                Ok(v) => args.push(v),
                Err(why) => return Run::Skip(why),
            }
        }
        self.enter(inst.nums[0].into_iter().collect());
        let mut outcomes = self.each_in(&inst, Phase::Run, |n, eng| eng.invoke(n, invoke.name, &args));
        // A grow the shared limits refused made a run return what the
        // script asserts: the spec allows that refusal (§4.4.7 "memory.grow"
        // may fail), and the script says this is the result, so it is
        // compared, not poisoned. Every engine has the same limits.
        if !asserted.is_empty() {
            for o in outcomes.iter_mut().flatten() {
                if let Outcome::Poisoned(Poison::Refused { returned, .. }) = o
                    && match_results(returned, asserted)
                {
                    *o = Outcome::Values(std::mem::take(returned));
                }
            }
        }
        self.compare_outcomes(&outcomes);
        Run::Done(outcomes)
    }

    /// Outcomes against the reference. The reference's poison ends every
    /// comparison; another engine's ends only its own.
    fn compare_outcomes(&mut self, outcomes: &[Option<Outcome>]) {
        if let Some(Outcome::Poisoned(p)) = &outcomes[0] {
            for e in 0..self.engines.len() {
                self.stop(e, StopKind::ReferenceStopped, p.to_string());
            }
            return;
        }
        let (Some(reference), floats) = (&outcomes[0], self.floats()) else { return };
        for e in 1..outcomes.len() {
            match &outcomes[e] {
                Some(Outcome::Poisoned(p)) if self.runs(e) => self.stop(e, StopKind::Poisoned, p.to_string()),
                Some(o) if self.comparing[e] => {
                    if let Some(d) = compare::outcomes(reference, o, &floats) {
                        self.diffs[e].push(d);
                    }
                }
                _ => {}
            }
        }
    }

    /// Before an operation that enters the reference's instances `from`:
    /// what it can reach, which host calls observe as it runs.
    fn enter(&mut self, from: Vec<InstNum>) {
        let pre = self.engines[0].reach(&from);
        for e in 0..self.engines.len() {
            if self.runs(e) {
                self.engines[e].set_scope(pre.clone());
            }
        }
        self.step = Some(match self.step.take() {
            Some((mut f, s)) => {
                f.extend(from);
                (f, s.union(pre))
            }
            None => (from, pre),
        });
    }

    /// After every step: host calls and the observable state of every
    /// engine still compared, in the step's scope (what the instances it
    /// entered could reach before it ran and after: an object out of reach
    /// keeps its state), or in `scope` if given (the end of the script).
    fn compare_state(&mut self, scope: Option<Scope>) {
        let calls = self.each(Phase::Observe, |_, e| e.take_host_calls());
        for call in calls[0].iter().flatten() {
            if let Some((num, def)) = &call.opened {
                self.names.insert(*num, format!("${def}, loaded by {} at line {}", call.func, self.line));
            }
        }
        let scope = match (scope, self.step.take()) {
            (Some(s), _) => s,
            (None, Some((from, pre))) => pre.union(self.engines[0].reach(&from)),
            (None, None) => return,
        };
        if !self.compared(0) {
            return;
        }
        let compared: Vec<bool> =
            (0..self.engines.len()).map(|e| e > 0 && self.comparing[e] && self.compared(e)).collect();
        if !compared.contains(&true) {
            return;
        }
        let observations: Vec<_> = (0..self.engines.len())
            .map(|e| (e == 0 || compared[e]).then(|| self.timed(e, Phase::Observe, |eng| eng.observe(&scope))))
            .collect();
        let comparing = Instant::now();
        let names = self.names.clone();
        let name = |o: &Origin| match o {
            Origin::Instance { instance, index } => match names.get(instance) {
                Some(n) => format!("{index} of instance #{instance} ({n})"),
                None => format!("{index} of instance #{instance}"),
            },
            Origin::Host(h) => h.clone(),
        };
        let floats = self.floats();
        let reference = observations[0].as_ref().expect("the reference is observed");
        let ref_calls = calls[0].as_deref().unwrap_or_default();
        for e in 1..self.engines.len() {
            let (Some(obs), Some(c)) = (&observations[e], &calls[e]) else { continue };
            self.diffs[e].extend(compare::host_calls(ref_calls, c, &name, &floats));
            let now = compare::observations(reference, obs, &name, &floats);
            // Differences in objects not observed now stand as they were.
            let observed: HashSet<String> = (reference.objects.keys().chain(obs.objects.keys()))
                .map(|(kind, origin)| compare::object_signature(*kind, origin))
                .collect();
            let mut before = std::mem::take(&mut self.standing[e]);
            self.standing[e] = before
                .extract_if(|sig, _| sig.rsplit_once(':').is_none_or(|(object, _)| !observed.contains(object)))
                .collect();
            let engine = self.engines[e].name();
            for d in now {
                let first = match before.get(&d.signature) {
                    Some((same, first)) if *same == d => {
                        let reported =
                            self.report.divergences.iter_mut().rev().find(|v| v.line == *first && v.engine == engine);
                        if let Some(v) = reported.filter(|v| v.still_differs.last() != Some(&self.line)) {
                            v.still_differs.push(self.line);
                        }
                        *first
                    }
                    _ => {
                        self.diffs[e].push(d.clone());
                        self.line
                    }
                };
                self.standing[e].insert(d.signature.clone(), (d, first));
            }
        }
        self.report.time.compare += comparing.elapsed().as_secs_f64();
    }

    /// `f` on engine `e`, timed as `phase`.
    fn timed<T>(&mut self, e: usize, phase: Phase, f: impl FnOnce(&mut dyn Engine) -> T) -> T {
        let start = Instant::now();
        let t = f(&mut *self.engines[e]);
        self.report.time.engines[e][phase as usize] += start.elapsed().as_secs_f64();
        t
    }

    /// `f` on every engine that runs (with its position), each timed as
    /// `phase`; none for the others.
    fn each<T>(&mut self, phase: Phase, mut f: impl FnMut(usize, &mut dyn Engine) -> T) -> Vec<Option<T>> {
        (0..self.engines.len()).map(|e| self.runs(e).then(|| self.timed(e, phase, |eng| f(e, eng)))).collect()
    }

    /// `f` on every engine that runs and holds the instance, with its number there.
    fn each_in<T>(
        &mut self,
        inst: &Inst,
        phase: Phase,
        mut f: impl FnMut(InstNum, &mut dyn Engine) -> T,
    ) -> Vec<Option<T>> {
        (0..self.engines.len())
            .map(|e| match inst.nums[e] {
                Some(n) if self.runs(e) => Some(self.timed(e, phase, |eng| f(n, eng))),
                _ => None,
            })
            .collect()
    }
}

/// An import the runner resolved, for every engine.
#[derive(Clone)]
enum Resolved {
    Export { nums: Vec<Option<InstNum>>, name: String },
    Host(ImportRef),
}

impl Resolved {
    /// The import as engine `e` gets it; none if the engine has no
    /// exporting instance (its instantiation failed where the reference's
    /// did not), and then the engine cannot run the step.
    fn for_engine(&self, e: usize) -> Option<ImportRef> {
        match self {
            Resolved::Export { nums, name } => Some(ImportRef::Export { instance: nums[e]?, name: name.clone() }),
            Resolved::Host(h) => Some(h.clone()),
        }
    }
}

/// Whether `module.name` names an object of a host module the harness provides.
fn is_host_object(module: &str, name: &str) -> bool {
    match module {
        "spectest" => {
            name == "table"
                || name == "memory"
                || crate::spectest::GLOBALS.iter().any(|g| g.0 == name)
                || crate::spectest::PRINTS.iter().any(|p| p.0 == name)
        }
        m if m == crate::host::MODULE => crate::host::FUNCS.iter().any(|f| f.0 == name),
        _ => false,
    }
}

/// Which phase an assertion wants a module rejected in.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Rejection {
    Malformed,
    Invalid,
}

impl Rejection {
    fn name(self) -> &'static str {
        match self {
            Rejection::Malformed => "malformed",
            Rejection::Invalid => "invalid",
        }
    }
}

/// Whether an `assert_unlinkable` message names the class of the link
/// failure: the official suite's two messages, and the class each means
/// (§4.5.3 "Instantiation", step 3 and 4: an import that resolves to
/// nothing, and one whose external type does not match). A message with no
/// class in this table fails the check, so that it is added here.
fn link_class_matches(message: &str, unknown: bool) -> Result<(), String> {
    const CLASSES: &[(&str, bool)] = &[("unknown import", true), ("incompatible import type", false)];
    let Some(&(_, want_unknown)) = CLASSES.iter().find(|(m, _)| message.starts_with(m)) else {
        return Err(format!("assert_unlinkable message \"{message}\" names no known link class"));
    };
    let class = |u: bool| if u { "an unknown import" } else { "an incompatible import type" };
    if want_unknown == unknown {
        Ok(())
    } else {
        Err(format!("expected unlinkable \"{message}\", but the failure is {}", class(unknown)))
    }
}

enum Compile {
    Fail(String),
    Skip(String),
}

enum Run {
    /// Each engine's outcome; none where it did not run.
    Done(Vec<Option<Outcome>>),
    Skip(String),
    /// The script's own module does not compile.
    Fail(String),
}

enum Bytes {
    Binary(Vec<u8>),
    /// A text module the `wast` crate rejected (why): malformed or invalid as text.
    Text(String),
    Unencodable(String),
}

/// Where each line of a text starts, to find an offset's line in log time
/// (the `wast` crate's `linecol_in` scans from the start: a script's
/// directives would cost quadratic time).
pub struct LineIndex(Vec<usize>);

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        LineIndex(std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect())
    }

    /// The 1-based line of byte `offset`.
    pub fn line(&self, offset: usize) -> usize {
        self.0.partition_point(|&start| start <= offset)
    }
}

/// The source text of the directive at `offset`: up to its closing paren.
pub fn directive_text(text: &str, offset: usize) -> String {
    let start = text[..offset].rfind('(').unwrap_or(offset);
    let mut depth = 0i32;
    for (i, c) in text[start..].char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return text[start..start + i + 1].to_string();
                }
            }
            _ => {}
        }
    }
    text[start..].to_string()
}

/// How many directives a script has (every one is one check).
pub fn count_directives(text: &str) -> Result<usize, String> {
    let mut lexer = wast::lexer::Lexer::new(text);
    lexer.allow_confusing_unicode(true);
    let buf = ParseBuffer::new_with_lexer(lexer).map_err(|e| e.to_string())?;
    let wast: Wast<'_> = parser::parse(&buf).map_err(|e| e.to_string())?;
    Ok(wast.directives.len())
}

/// The source text of the directive that starts on `line` (1-based).
pub fn directive_at_line(text: &str, line: usize) -> String {
    let offset: usize = text.split_inclusive('\n').take(line.saturating_sub(1)).map(str::len).sum();
    match text.get(offset..).and_then(|rest| rest.find('(')) {
        Some(i) => directive_text(text, offset + i + 1),
        None => String::new(),
    }
}

fn module_bytes(m: &mut QuoteWat<'_>) -> Bytes {
    match m.to_test() {
        Ok(QuoteWatTest::Binary(bytes)) => Bytes::Binary(bytes),
        Ok(QuoteWatTest::Text(text)) => match std::str::from_utf8(&text).map_err(|e| e.to_string()).and_then(|t| {
            let buf = ParseBuffer::new(t).map_err(|e| e.to_string())?;
            let mut wat: wast::Wat<'_> = parser::parse(&buf).map_err(|e| e.to_string())?;
            wat.encode().map_err(|e| e.to_string())
        }) {
            Ok(bytes) => Bytes::Binary(bytes),
            Err(why) => Bytes::Text(why.lines().next().unwrap_or("").to_string()),
        },
        Err(e) => Bytes::Unencodable(e.to_string()),
    }
}

/// Errors of the text format that make an `assert_invalid` module
/// unencodable (identifiers that do not resolve): the text front end rejects
/// it before any engine sees it.
fn is_text_error(why: &str) -> bool {
    why.contains("unknown") || why.contains("failed to find")
}

fn arg_value(arg: &WastArg<'_>) -> Result<Val, String> {
    let WastArg::Core(arg) = arg else { return Err("component values are not modelled".into()) };
    Ok(match arg {
        WastArgCore::I32(x) => Val::I32(*x as u32),
        WastArgCore::I64(x) => Val::I64(*x as u64),
        WastArgCore::F32(x) => Val::F32(x.bits),
        WastArgCore::F64(x) => Val::F64(x.bits),
        WastArgCore::V128(_) => return Err("SIMD (v128) is not modelled".into()),
        WastArgCore::RefNull(HeapType::Abstract { ty: AbstractHeapType::Func, .. }) => Val::FuncRef(None),
        WastArgCore::RefNull(HeapType::Abstract { ty: AbstractHeapType::Extern, .. }) => Val::ExternRef(None),
        WastArgCore::RefExtern(n) => Val::ExternRef(Some(*n)),
        _ => return Err("a reference argument of a type past Wasm 2.0".into()),
    })
}

/// Whether `vals` match the expected results.
fn match_results(vals: &[Val], expected: &[WastRet<'_>]) -> bool {
    vals.len() == expected.len()
        && vals.iter().zip(expected).all(|(v, e)| matches!(e, WastRet::Core(e) if match_result(v, e)))
}

fn match_result(v: &Val, e: &WastRetCore<'_>) -> bool {
    match (e, v) {
        (WastRetCore::I32(x), Val::I32(y)) => *x as u32 == *y,
        (WastRetCore::I64(x), Val::I64(y)) => *x as u64 == *y,
        (WastRetCore::F32(p), Val::F32(bits)) => match p {
            NanPattern::CanonicalNan => nan_class_f32(*bits) == Some(NanClass::Canonical),
            NanPattern::ArithmeticNan => {
                matches!(nan_class_f32(*bits), Some(NanClass::Canonical | NanClass::Arithmetic))
            }
            NanPattern::Value(x) => x.bits == *bits,
        },
        (WastRetCore::F64(p), Val::F64(bits)) => match p {
            NanPattern::CanonicalNan => nan_class_f64(*bits) == Some(NanClass::Canonical),
            NanPattern::ArithmeticNan => {
                matches!(nan_class_f64(*bits), Some(NanClass::Canonical | NanClass::Arithmetic))
            }
            NanPattern::Value(x) => x.bits == *bits,
        },
        (WastRetCore::RefNull(ty), Val::FuncRef(None)) => {
            matches!(ty, None | Some(HeapType::Abstract { ty: AbstractHeapType::Func, .. }))
        }
        (WastRetCore::RefNull(ty), Val::ExternRef(None)) => {
            matches!(ty, None | Some(HeapType::Abstract { ty: AbstractHeapType::Extern, .. }))
        }
        (WastRetCore::RefExtern(None), Val::ExternRef(Some(_))) => true,
        (WastRetCore::RefExtern(Some(x)), Val::ExternRef(Some(y))) => x == y,
        (WastRetCore::RefFunc(_), Val::FuncRef(Some(_))) => true,
        (WastRetCore::Either(alts), v) => alts.iter().any(|alt| match_result(v, alt)),
        _ => false,
    }
}

/// Whether a trap is the one the script expects: its message and the
/// kind's agree when one is a prefix of the other (the suite's messages
/// sometimes carry more detail); with `equivalent`, a kind of the same class
/// also does ([`compare::trap_classes_agree`]).
fn trap_matches(kind: TrapKind, expected: &str, equivalent: bool) -> bool {
    let agree = |k: TrapKind| expected.starts_with(k.message()) || k.message().starts_with(expected);
    agree(kind) || (equivalent && ALL_TRAPS.iter().any(|&k| agree(k) && compare::trap_classes_agree(k, kind)))
}

const ALL_TRAPS: &[TrapKind] = &[
    TrapKind::Unreachable,
    TrapKind::IntegerDivideByZero,
    TrapKind::IntegerOverflow,
    TrapKind::InvalidConversionToInteger,
    TrapKind::OutOfBoundsMemoryAccess,
    TrapKind::OutOfBoundsTableAccess,
    TrapKind::UndefinedElement,
    TrapKind::UninitializedElement,
    TrapKind::IndirectCallTypeMismatch,
    TrapKind::Host,
];

/// Expected results as WAT, e.g. `(i32.const 5) (f32.const nan:canonical)`.
fn show_rets(rets: &[WastRet<'_>]) -> String {
    fn nan<T>(p: &NanPattern<T>, t: &str, bits: impl Fn(&T) -> String) -> String {
        match p {
            NanPattern::CanonicalNan => format!("({t}.const nan:canonical)"),
            NanPattern::ArithmeticNan => format!("({t}.const nan:arithmetic)"),
            NanPattern::Value(x) => format!("({t}.const {})", bits(x)),
        }
    }
    fn one(r: &WastRetCore<'_>) -> String {
        match r {
            WastRetCore::I32(x) => format!("(i32.const {x})"),
            WastRetCore::I64(x) => format!("(i64.const {x})"),
            WastRetCore::F32(p) => nan(p, "f32", |x| format!("{}", f32::from_bits(x.bits))),
            WastRetCore::F64(p) => nan(p, "f64", |x| format!("{}", f64::from_bits(x.bits))),
            WastRetCore::RefNull(_) => "(ref.null)".into(),
            WastRetCore::RefExtern(Some(x)) => format!("(ref.extern {x})"),
            WastRetCore::RefExtern(None) => "(ref.extern)".into(),
            WastRetCore::RefFunc(_) => "(ref.func)".into(),
            WastRetCore::Either(alts) => format!("(either {})", alts.iter().map(one).collect::<Vec<_>>().join(" ")),
            _ => "(a result of a type past Wasm 2.0)".into(),
        }
    }
    let shown: Vec<String> = rets
        .iter()
        .map(|r| match r {
            WastRet::Core(c) => one(c),
            _ => "(a component model result)".into(),
        })
        .collect();
    if shown.is_empty() { "nothing".into() } else { shown.join(" ") }
}
