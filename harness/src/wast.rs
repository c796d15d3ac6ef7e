//! Runs `.wast` scripts through several engines in lockstep.
//!
//! The `wast` crate parses a script and encodes its text modules; every
//! engine then decodes, validates, instantiates and runs the same binaries.
//! Each directive is a step. After every step the runner compares each
//! engine with the reference (the first engine, normally the model): the
//! step's outcome, the host calls it made (each with the state at that
//! moment), and the whole observable state (every table, memory and global).
//!
//! Every directive is also one check: a `module` checks that the module
//! instantiates, an `invoke` that it returns, each `assert_*` its assertion,
//! in every engine. A check the reference cannot run (SIMD, a proposal past
//! 2.0) is skipped with its reason, and so is every later check on that
//! module: never silently. An `assert_malformed`/`assert_invalid` on a
//! *text* module is decided by the `wast` crate, which rejects it before any
//! engine sees bytes.
//!
//! Verdicts: a step whose outcome is poisoned in some engine (stack
//! exhaustion, fuel, a resource limit: an engine's choice, not the
//! semantics') ends the comparison for the rest of the script; a difference
//! anywhere else is a divergence.

use std::collections::HashMap;
use std::fmt;
use std::time::Instant;

use wast::core::{AbstractHeapType, HeapType, NanPattern, WastArgCore, WastRetCore};
use wast::parser::{self, ParseBuffer};
use wast::token::Id;
use wast::{QuoteWat, QuoteWatTest, Wast, WastArg, WastDirective, WastExecute, WastInvoke, WastRet};

use serde::{Deserialize, Serialize};

use crate::compare;
use crate::engine::{Engine, ImportRef, InstNum, ModuleId, Origin, Outcome, Poison, Rejected, TrapKind, Val};
use model::runtime::{NanClass, nan_class_f32, nan_class_f64};

/// What happened to one script.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct ScriptReport {
    pub name: String,
    pub engines: Vec<String>,
    pub passed: usize,
    pub failed: Vec<Note>,
    pub skipped: Vec<Note>,
    pub divergences: Vec<Divergence>,
    /// Where comparison stopped, and why.
    pub poisoned: Option<Note>,
    /// Where the time went.
    #[serde(default)]
    pub time: Timing,
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

/// A failed or skipped check, or a poison: where, and why.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Note {
    pub line: usize,
    pub what: String,
}

/// One engine differing from the reference at one step.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Divergence {
    pub line: usize,
    /// The directive's source text.
    pub directive: String,
    pub engine: String,
    pub what: String,
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

    pub fn verdict(&self) -> String {
        match (&self.divergences[..], &self.poisoned) {
            ([], None) => "agree".into(),
            ([], Some(p)) => format!("poisoned at line {} ({})", p.line, p.what),
            (d, _) => format!("{} divergences", d.len()),
        }
    }
}

/// Runs the script `text` through fresh engines; `name` labels the report.
pub fn run_script(name: &str, text: &str, engines: Vec<Box<dyn Engine>>) -> ScriptReport {
    run_script_with(name, text, engines, &mut |_, _| {})
}

/// [`run_script`], calling `before` with the report so far and the line of
/// each directive before it runs (a worker streams both, so that a crash
/// loses nothing already found and can be placed).
pub fn run_script_with(
    name: &str,
    text: &str,
    engines: Vec<Box<dyn Engine>>,
    before: &mut dyn FnMut(&ScriptReport, usize),
) -> ScriptReport {
    let mut report = ScriptReport {
        name: name.to_string(),
        engines: engines.iter().map(|e| e.name().to_string()).collect(),
        ..ScriptReport::default()
    };
    report.time.engines = vec![[0.0; Phase::COUNT]; engines.len()];
    let parsing = Instant::now();
    let mut lexer = wast::lexer::Lexer::new(text);
    lexer.allow_confusing_unicode(true);
    let buf = match ParseBuffer::new_with_lexer(lexer) {
        Ok(buf) => buf,
        Err(e) => {
            report.failed.push(Note { line: 0, what: format!("cannot lex script: {e}") });
            return report;
        }
    };
    let wast: Wast<'_> = match parser::parse(&buf) {
        Ok(w) => w,
        Err(mut e) => {
            e.set_text(text);
            report.failed.push(Note { line: 0, what: format!("cannot parse script: {e}") });
            return report;
        }
    };
    report.time.parse += parsing.elapsed().as_secs_f64();
    let mut runner = Runner::new(text, engines, report);
    for directive in wast.directives {
        before(&runner.report, directive.span().linecol_in(text).0 + 1);
        runner.directive(directive);
    }
    runner.report
}

/// The outcome of one check.
enum Check {
    Pass,
    Fail(String),
    Skip(String),
}

use Check::*;

/// A module instance the script has named or made current: its number in
/// each engine, or why it was skipped.
type Instance = Result<Vec<InstNum>, String>;

/// A module compiled by every engine: its id in each, and its imports.
#[derive(Clone)]
struct Compiled {
    ids: Vec<ModuleId>,
    imports: Vec<(String, String)>,
}

struct Runner<'a> {
    text: &'a str,
    engines: Vec<Box<dyn Engine>>,
    report: ScriptReport,
    /// `register`ed names: their instance in each engine.
    registry: HashMap<String, Vec<InstNum>>,
    instances: HashMap<String, Instance>,
    definitions: HashMap<String, Result<Compiled, String>>,
    current: Option<Instance>,
    /// Script names of the reference's instances, for reports.
    names: HashMap<InstNum, String>,
    /// False once a step was poisoned: states may differ legitimately after.
    comparing: bool,
    /// The current directive: its line and source text.
    line: usize,
    directive: String,
}

impl<'a> Runner<'a> {
    fn new(text: &'a str, engines: Vec<Box<dyn Engine>>, report: ScriptReport) -> Runner<'a> {
        Runner {
            text,
            engines,
            report,
            registry: HashMap::new(),
            instances: HashMap::new(),
            definitions: HashMap::new(),
            current: None,
            names: HashMap::new(),
            comparing: true,
            line: 0,
            directive: String::new(),
        }
    }

    fn directive(&mut self, d: WastDirective<'_>) {
        let span = d.span();
        self.line = span.linecol_in(self.text).0 + 1;
        self.directive = directive_text(self.text, span.offset());
        let check = self.check(d);
        let line = self.line;
        match check {
            Pass => self.report.passed += 1,
            Fail(what) => self.report.failed.push(Note { line, what }),
            Skip(what) => self.report.skipped.push(Note { line, what }),
        }
        self.compare_state();
    }

    fn check(&mut self, d: WastDirective<'_>) -> Check {
        match d {
            WastDirective::Module(mut m) => {
                let name = m.name();
                let inst = match self.compile(&mut m) {
                    Err(Compile::Skip(why)) => Err(why),
                    Err(Compile::Fail(why)) => return Fail(format!("module: {why}")),
                    Ok(c) => match self.instantiate(&c) {
                        (Some(nums), Outcome::Values(_)) => Ok(nums),
                        (_, other) => return Fail(format!("module failed to instantiate: {other}")),
                    },
                };
                self.set_current(name, inst)
            }
            WastDirective::ModuleDefinition(mut m) => {
                let name = m.name();
                let def = match self.compile(&mut m) {
                    Ok(c) => Ok(c),
                    Err(Compile::Skip(why)) => Err(why),
                    Err(Compile::Fail(why)) => return Fail(format!("module definition: {why}")),
                };
                let check = match &def {
                    Ok(_) => Pass,
                    Err(why) => Skip(why.clone()),
                };
                if let Some(id) = name {
                    if let Ok(c) = &def {
                        for (e, engine) in self.engines.iter_mut().enumerate() {
                            engine.define(id.name(), c.ids[e]);
                        }
                    }
                    self.definitions.insert(id.name().to_string(), def);
                }
                check
            }
            WastDirective::ModuleInstance { instance, module, .. } => {
                let def = module.and_then(|m| self.definitions.get(m.name()).cloned());
                let inst = match def {
                    None => return Fail("module instance of an unknown definition".into()),
                    Some(Err(why)) => Err(why),
                    Some(Ok(c)) => match self.instantiate(&c) {
                        (Some(nums), Outcome::Values(_)) => Ok(nums),
                        (_, other) => return Fail(format!("module instance failed: {other}")),
                    },
                };
                self.set_current(instance, inst)
            }
            WastDirective::Register { name, module, .. } => match self.instance(module) {
                Err(why) => Skip(why),
                Ok(nums) => {
                    self.registry.insert(name.to_string(), nums);
                    Pass
                }
            },
            WastDirective::Invoke(invoke) => match self.invoke(&invoke) {
                Run::Skip(why) => Skip(why),
                Run::Done(outcomes) => self.expect(&outcomes, |_, o| match o {
                    Outcome::Values(_) => None,
                    other => Some(format!("invoke {}: {other}", invoke.name)),
                }),
            },
            WastDirective::AssertReturn { exec, results, .. } => match self.execute(exec) {
                Run::Skip(why) => Skip(why),
                Run::Done(outcomes) => {
                    if results.iter().any(|r| matches!(r, WastRet::Core(WastRetCore::V128(_)))) {
                        return Skip("SIMD (v128) is not modelled".into());
                    }
                    self.expect(&outcomes, |_, o| match o {
                        Outcome::Values(vals) if match_results(vals, &results) => None,
                        other => Some(format!("expected {}, got {other}", show_rets(&results))),
                    })
                }
            },
            WastDirective::AssertTrap { exec, message, .. } => match self.execute(exec) {
                Run::Skip(why) => Skip(why),
                Run::Done(outcomes) => self.expect(&outcomes, |e, o| match o {
                    // The reference must name the spec's class; other engines an equivalent one.
                    Outcome::Trap(kind) if trap_matches(*kind, message, e > 0) => None,
                    other => Some(format!("expected trap \"{message}\", got {other}")),
                }),
            },
            WastDirective::AssertExhaustion { call, message, .. } => match self.invoke(&call) {
                Run::Skip(why) => Skip(why),
                Run::Done(outcomes) => self.expect(&outcomes, |_, o| match o {
                    Outcome::Poisoned(Poison::StackExhausted) => None,
                    other => Some(format!("expected exhaustion \"{message}\", got {other}")),
                }),
            },
            WastDirective::AssertMalformed { mut module, message, .. }
            | WastDirective::AssertInvalid { mut module, message, .. } => match module_bytes(&mut module) {
                Bytes::Text => Pass,
                Bytes::Unencodable(why) if is_text_error(&why) => Pass,
                Bytes::Unencodable(why) => Fail(format!("cannot encode module: {why}")),
                Bytes::Binary(bytes) => self.expect_rejected(&bytes, message),
            },
            WastDirective::AssertUnlinkable { module, message, .. } => {
                let mut module = QuoteWat::Wat(module);
                match self.compile(&mut module) {
                    Err(Compile::Skip(why)) => Skip(why),
                    Err(Compile::Fail(why)) => Fail(format!("assert_unlinkable module: {why}")),
                    Ok(c) => match self.instantiate(&c) {
                        (_, Outcome::Link) => Pass,
                        (_, other) => Fail(format!("expected unlinkable \"{message}\", got {other}")),
                    },
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

    /// A check over every engine's outcome: `judge` says what is wrong with
    /// one, if anything. Outcomes are also compared with the reference.
    fn expect(&mut self, outcomes: &[Outcome], judge: impl Fn(usize, &Outcome) -> Option<String>) -> Check {
        let mut wrong = Vec::new();
        for (e, o) in outcomes.iter().enumerate() {
            if let Some(why) = judge(e, o) {
                wrong.push(if self.engines.len() == 1 { why } else { format!("{}: {why}", self.engines[e].name()) });
            }
        }
        if wrong.is_empty() { Pass } else { Fail(wrong.join("; ")) }
    }

    fn expect_rejected(&mut self, bytes: &[u8], message: &str) -> Check {
        let results = self.each(Phase::Compile, |_, e| e.compile(bytes));
        if let Err(Rejected::Unsupported(why)) = &results[0] {
            return Skip(why.clone());
        }
        self.compare_acceptance(&results);
        self.expect_each(&results, |r| match r {
            Err(Rejected::Rejected(_)) => None,
            Err(Rejected::Unsupported(why)) => Some(format!("expected \"{message}\", but not supported: {why}")),
            Ok(_) => Some(format!("expected \"{message}\", but the module compiles")),
        })
    }

    fn expect_each<T>(&self, results: &[T], judge: impl Fn(&T) -> Option<String>) -> Check {
        let wrong: Vec<String> = results
            .iter()
            .enumerate()
            .filter_map(|(e, r)| judge(r).map(|why| format!("{}: {why}", self.engines[e].name())))
            .collect();
        if wrong.is_empty() { Pass } else { Fail(wrong.join("; ")) }
    }

    fn set_current(&mut self, name: Option<Id<'_>>, inst: Instance) -> Check {
        let check = match &inst {
            Ok(_) => Pass,
            Err(why) => Skip(why.clone()),
        };
        if let Some(id) = name {
            if let Ok(nums) = &inst {
                self.names.insert(nums[0], format!("${}", id.name()));
            }
            self.instances.insert(id.name().to_string(), inst.clone());
        }
        self.current = Some(inst);
        check
    }

    /// Text or binary module → compiled by every engine.
    fn compile(&mut self, m: &mut QuoteWat<'_>) -> Result<Compiled, Compile> {
        let encoding = Instant::now();
        let bytes = m.encode().map_err(|e| Compile::Fail(format!("cannot encode: {e}")));
        self.report.time.parse += encoding.elapsed().as_secs_f64();
        let bytes = bytes?;
        let imports = match model::embed::module_decode(&bytes) {
            Ok(module) => module.imports.iter().map(|i| (i.module.clone(), i.name.clone())).collect(),
            Err(model::DecodeError::Unsupported(why)) => return Err(Compile::Skip(why)),
            Err(_) => vec![],
        };
        let results = self.each(Phase::Compile, |_, e| e.compile(&bytes));
        self.compare_acceptance(&results);
        let mut ids = Vec::new();
        for (e, r) in results.into_iter().enumerate() {
            match r {
                Ok(id) => ids.push(id),
                Err(Rejected::Rejected(why)) => return Err(Compile::Fail(why)),
                Err(Rejected::Unsupported(why)) => {
                    let why = format!("{} does not support it: {why}", self.engines[e].name());
                    self.poison(why.clone());
                    return Err(Compile::Skip(why));
                }
            }
        }
        Ok(Compiled { ids, imports })
    }

    /// Compile results must agree on acceptance.
    fn compare_acceptance<T>(&mut self, results: &[Result<T, Rejected>]) {
        let accepted = |r: &Result<T, Rejected>| match r {
            Ok(_) => Some(true),
            Err(Rejected::Rejected(_)) => Some(false),
            Err(Rejected::Unsupported(_)) => None,
        };
        let Some(reference) = accepted(&results[0]) else { return };
        for e in 1..results.len() {
            if let Some(a) = accepted(&results[e])
                && a != reference
            {
                let verb = |b: bool| if b { "accepts" } else { "rejects" };
                let what = match &results[e] {
                    Err(Rejected::Rejected(why)) => {
                        format!("the reference accepts the module; this engine rejects it: {why}")
                    }
                    _ => format!("the reference {} the module; this engine {} it", verb(reference), verb(a)),
                };
                self.diverge(e, what);
            }
        }
    }

    /// Instantiates in every engine; the reference's outcome is returned.
    fn instantiate(&mut self, c: &Compiled) -> (Option<Vec<InstNum>>, Outcome) {
        let mut nums = Vec::new();
        let mut outcomes = Vec::new();
        for e in 0..self.engines.len() {
            let (num, outcome) = match self.resolve(&c.imports, e) {
                Some(imports) => self.timed(e, Phase::Instantiate, |eng| eng.instantiate(c.ids[e], &imports)),
                None => (None, Outcome::Link),
            };
            nums.push(num);
            outcomes.push(outcome);
        }
        self.compare_outcomes(&outcomes);
        for e in 1..nums.len() {
            if nums[e] != nums[0] && self.comparing {
                let what = format!("instance number {:?} vs {:?}", nums[0], nums[e]);
                self.diverge(e, what);
            }
        }
        let nums = nums.into_iter().collect::<Option<Vec<_>>>();
        (nums, outcomes.swap_remove(0))
    }

    /// Imports by registered name, or the host modules.
    fn resolve(&self, imports: &[(String, String)], engine: usize) -> Option<Vec<ImportRef>> {
        imports
            .iter()
            .map(|(module, name)| match self.registry.get(module) {
                Some(nums) => Some(ImportRef::Export { instance: nums[engine], name: name.clone() }),
                None if module == "spectest" || module == crate::host::MODULE => {
                    Some(ImportRef::Host { module: module.clone(), name: name.clone() })
                }
                None => None,
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

    fn execute(&mut self, exec: WastExecute<'_>) -> Run {
        match exec {
            WastExecute::Invoke(invoke) => self.invoke(&invoke),
            WastExecute::Get { module, global, .. } => {
                let nums = match self.instance(module) {
                    Ok(nums) => nums,
                    Err(why) => return Run::Skip(why),
                };
                let outcomes = self.each(Phase::Run, |e, eng| eng.get_global(nums[e], global));
                self.compare_outcomes(&outcomes);
                Run::Done(outcomes)
            }
            WastExecute::Wat(wat) => {
                let mut module = QuoteWat::Wat(wat);
                match self.compile(&mut module) {
                    Err(Compile::Skip(why)) => Run::Skip(why),
                    Err(Compile::Fail(why)) => Run::Skip(format!("module does not compile: {why}")),
                    Ok(c) => {
                        let outcomes: Vec<_> = (0..self.engines.len())
                            .map(|e| match self.resolve(&c.imports, e) {
                                Some(imports) => {
                                    self.timed(e, Phase::Instantiate, |eng| eng.instantiate(c.ids[e], &imports)).1
                                }
                                None => Outcome::Link,
                            })
                            .collect();
                        self.compare_outcomes(&outcomes);
                        Run::Done(outcomes)
                    }
                }
            }
        }
    }

    fn invoke(&mut self, invoke: &WastInvoke<'_>) -> Run {
        let nums = match self.instance(invoke.module) {
            Ok(nums) => nums,
            Err(why) => return Run::Skip(why),
        };
        let mut args = Vec::new();
        for arg in &invoke.args {
            match arg_value(arg) {
                Ok(v) => args.push(v),
                Err(why) => return Run::Skip(why),
            }
        }
        let outcomes = self.each(Phase::Run, |e, eng| eng.invoke(nums[e], invoke.name, &args));
        self.compare_outcomes(&outcomes);
        Run::Done(outcomes)
    }

    /// Outcomes against the reference; a poisoned one ends comparison.
    fn compare_outcomes(&mut self, outcomes: &[Outcome]) {
        if let Some(Outcome::Poisoned(p)) = outcomes.iter().find(|o| matches!(o, Outcome::Poisoned(_))) {
            self.poison(format!("{p:?}"));
            return;
        }
        if !self.comparing {
            return;
        }
        for e in 1..outcomes.len() {
            if let Some(what) = compare::outcomes(&outcomes[0], &outcomes[e]) {
                self.diverge(e, what);
            }
        }
    }

    /// After every step: host calls and the whole observable state.
    fn compare_state(&mut self) {
        let calls = self.each(Phase::Observe, |_, e| e.take_host_calls());
        if !self.comparing || self.engines.len() < 2 {
            return;
        }
        let observations = self.each(Phase::Observe, |_, e| e.observe());
        let comparing = Instant::now();
        let names = self.names.clone();
        let name = |o: &Origin| match o {
            Origin::Instance { instance, index } => match names.get(instance) {
                Some(n) => format!("{index} of instance #{instance} ({n})"),
                None => format!("{index} of instance #{instance}"),
            },
            Origin::Host(h) => h.clone(),
        };
        for e in 1..self.engines.len() {
            if let Some(d) = compare::host_calls(&calls[0], &calls[e], &name) {
                self.diverge(e, d);
            } else if let Some(d) = compare::observations(&observations[0], &observations[e], &name) {
                self.diverge(e, format!("after the step, the state differs:\n{d}"));
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

    /// `f` on every engine in turn (with its position), each timed as `phase`.
    fn each<T>(&mut self, phase: Phase, mut f: impl FnMut(usize, &mut dyn Engine) -> T) -> Vec<T> {
        (0..self.engines.len()).map(|e| self.timed(e, phase, |eng| f(e, eng))).collect()
    }

    fn diverge(&mut self, engine: usize, what: String) {
        let d = Divergence {
            line: self.line,
            directive: self.directive.clone(),
            engine: self.engines[engine].name().to_string(),
            what,
        };
        self.report.divergences.push(d);
    }

    fn poison(&mut self, why: String) {
        if self.comparing {
            self.comparing = false;
            self.report.poisoned = Some(Note { line: self.line, what: why });
        }
    }
}

enum Compile {
    Fail(String),
    Skip(String),
}

enum Run {
    Done(Vec<Outcome>),
    Skip(String),
}

enum Bytes {
    Binary(Vec<u8>),
    /// A text module the `wast` crate rejected: malformed or invalid as text.
    Text,
    Unencodable(String),
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

fn module_bytes(m: &mut QuoteWat<'_>) -> Bytes {
    match m.to_test() {
        Ok(QuoteWatTest::Binary(bytes)) => Bytes::Binary(bytes),
        Ok(QuoteWatTest::Text(text)) => match std::str::from_utf8(&text).map_err(|e| e.to_string()).and_then(|t| {
            let buf = ParseBuffer::new(t).map_err(|e| e.to_string())?;
            let mut wat: wast::Wat<'_> = parser::parse(&buf).map_err(|e| e.to_string())?;
            wat.encode().map_err(|e| e.to_string())
        }) {
            Ok(bytes) => Bytes::Binary(bytes),
            Err(_) => Bytes::Text,
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
        other => return Err(format!("argument {other:?} is not in Wasm 2.0")),
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
            other => format!("{other:?}"),
        }
    }
    let shown: Vec<String> = rets
        .iter()
        .map(|r| match r {
            WastRet::Core(c) => one(c),
            other => format!("{other:?}"),
        })
        .collect();
    if shown.is_empty() { "nothing".into() } else { shown.join(" ") }
}
