//! The book (`book/`) shows nothing that a program could produce and a person
//! typed instead. This test produces it: the traces, the store and table
//! diagrams, the divergence reports and the rule index under
//! `book/src/generated/`, from the model (and the `lockstep` binary), and
//! fails when a checked-in copy is stale. `BLESS=1 cargo test -p lockstep
//! --test book` rewrites them.
//!
//! It also runs the book's own scenarios (`book/examples/*.wast`) on the
//! model, and checks the book's links: every `SUMMARY.md` entry exists, every
//! page is in `SUMMARY.md`, every relative link and `#fragment` resolves, and
//! every `{{#include}}` names a file and anchor that exist (mdbook itself
//! only logs a missing file, and renders a missing anchor as nothing).

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::rc::Rc;

use lockstep::engine::model::ModelEngine;
use lockstep::engine::{
    Engine, HostCall, ImportRef, InstNum, Kind, ModuleId, ObjectState, Observation, Outcome, Rejected, Val,
};
use lockstep::wast::ScriptReport;
use model::exec::TraceStep;
use model::runtime::{ExternVal, FuncInst, Ref, Store, Value};
use model::syntax::{Instr, Module, Mut};

/// Every file this test writes under `book/src/generated/`.
const GENERATED: &[&str] = &[
    "rule-index.md",
    "trace-dlopen-dlsym-call.txt",
    "trace-failed-elem.txt",
    "store-before-dlopen.txt",
    "store-after-dlopen.txt",
    "table-after-failed-instantiation.txt",
    "instrumented-libsq.wat",
    "report-wasmtime.txt",
    "report-wasmi.txt",
    "replay-wasmtime.txt",
    "report-faulty.txt",
    "report-known.txt",
    "run-table.txt",
    "report.json",
];

/// The running example: dlopen → dlsym → call_indirect.
const EXAMPLE: &str = "book/examples/dlopen-dlsym-call.wast";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace").to_path_buf()
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Compares `content` with the checked-in `book/src/generated/NAME`, or
/// writes it under `BLESS=1`.
fn check_generated(name: &str, content: &str) {
    assert!(GENERATED.contains(&name), "{name} is not listed in GENERATED");
    let path = root().join("book/src/generated").join(name);
    if std::env::var_os("BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, content).unwrap();
        return;
    }
    let old = std::fs::read_to_string(&path).unwrap_or_default();
    if old != content {
        let common = old.lines().zip(content.lines()).take_while(|(a, b)| a == b).count();
        let line = common + 1;
        panic!(
            "book/src/generated/{name} is stale (first difference near line {line}); \
             regenerate with BLESS=1 cargo test -p lockstep --test book\n--- generated now:\n{content}"
        );
    }
}

#[test]
fn no_stray_generated_files() {
    let dir = root().join("book/src/generated");
    for entry in std::fs::read_dir(&dir).expect("book/src/generated exists") {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(GENERATED.contains(&name.as_str()), "book/src/generated/{name} is produced by nothing: remove it");
    }
}

// ---------------------------------------------------------------------------
// The model, recording what the book shows

/// What a run on the model left for the book: every step sequence, every
/// module, every instantiation and host call, by the directive's line.
#[derive(Default)]
struct Log {
    /// The line of the directive now running.
    line: usize,
    /// Every compiled module, by its id, as the model decoded it.
    modules: Vec<Module>,
    /// `(module definition $NAME …)`s: what dlopen can load.
    definitions: Vec<(String, ModuleId)>,
    /// Instantiations by the script that got past linking: number, module, line.
    instances: Vec<(InstNum, ModuleId, usize)>,
    /// Instantiations by the script that failed to link with every import
    /// resolved (so the model's import matching ran and refused).
    link_errors: Vec<ModuleId>,
    /// The steps of each instantiation and invocation, and whether it trapped.
    runs: Vec<Run>,
    /// Instantiations that trapped: line, instance, outcome.
    trapped: Vec<(usize, InstNum, Outcome)>,
    /// `lockstep` host calls, by line.
    host_calls: Vec<(usize, HostCall)>,
}

struct Run {
    steps: Vec<TraceStep>,
    /// Ended by a trap or a poison, not by returning.
    failed: bool,
}

/// The model as an engine, shared with the test and recording into a [`Log`].
struct Recorder {
    model: Rc<RefCell<ModelEngine>>,
    log: Rc<RefCell<Log>>,
}

impl Recorder {
    fn take_run(&mut self, outcome: &Outcome) {
        let (steps, _) = self.model.borrow_mut().take_trace();
        let failed = !matches!(outcome, Outcome::Values(_));
        self.log.borrow_mut().runs.push(Run { steps, failed });
    }

    /// Whether the model can resolve `import` (else it reports a link error
    /// without matching anything).
    fn resolvable(&self, import: &ImportRef) -> bool {
        match import {
            ImportRef::Export { instance, name } => {
                let model = self.model.borrow();
                model.store().modules.get(*instance as usize).is_some_and(|m| m.exports.iter().any(|e| &e.name == name))
            }
            ImportRef::Host { module, name } if module == "spectest" => {
                lockstep::spectest::spectest(&mut Store::default()).iter().any(|(n, _)| n == name)
            }
            ImportRef::Host { module, name } => {
                module == lockstep::host::MODULE && lockstep::host::FUNCS.iter().any(|(n, _)| n == name)
            }
        }
    }
}

impl Engine for Recorder {
    fn name(&self) -> &'static str {
        "model"
    }

    fn compile(&mut self, bytes: &[u8]) -> Result<ModuleId, Rejected> {
        let id = self.model.borrow_mut().compile(bytes)?;
        let module = model::embed::module_decode(bytes).expect("the model decoded it once already");
        let mut log = self.log.borrow_mut();
        assert_eq!(id, log.modules.len(), "module ids are given in compile order");
        log.modules.push(module);
        Ok(id)
    }

    fn define(&mut self, name: &str, module: ModuleId) {
        self.model.borrow_mut().define(name, module);
        self.log.borrow_mut().definitions.push((name.to_string(), module));
    }

    fn instantiate(&mut self, module: ModuleId, imports: &[ImportRef]) -> (Option<InstNum>, Outcome) {
        let resolvable = imports.iter().all(|i| self.resolvable(i));
        let (num, outcome) = self.model.borrow_mut().instantiate(module, imports);
        self.take_run(&outcome);
        let mut log = self.log.borrow_mut();
        let line = log.line;
        match num {
            Some(n) => {
                log.instances.push((n, module, line));
                if matches!(outcome, Outcome::Trap(_)) {
                    log.trapped.push((line, n, outcome.clone()));
                }
            }
            None if outcome == Outcome::Link && resolvable => log.link_errors.push(module),
            None => {}
        }
        (num, outcome)
    }

    fn invoke(&mut self, instance: InstNum, export: &str, args: &[Val]) -> Outcome {
        let outcome = self.model.borrow_mut().invoke(instance, export, args);
        self.take_run(&outcome);
        outcome
    }

    fn get_global(&mut self, instance: InstNum, export: &str) -> Outcome {
        self.model.borrow_mut().get_global(instance, export)
    }

    fn observe(&mut self, scope: &lockstep::engine::Scope) -> Observation {
        self.model.borrow_mut().observe(scope)
    }

    fn set_scope(&mut self, scope: lockstep::engine::Scope) {
        self.model.borrow_mut().set_scope(scope)
    }

    fn reach(&self, from: &[InstNum]) -> lockstep::engine::Scope {
        self.model.borrow().reach(from)
    }

    fn take_host_calls(&mut self) -> Vec<HostCall> {
        let calls = self.model.borrow_mut().take_host_calls();
        let mut log = self.log.borrow_mut();
        let line = log.line;
        log.host_calls.extend(calls.iter().map(|c| (line, c.clone())));
        calls
    }
}

/// A script run on the model, with its log and the final model.
struct Recorded {
    report: ScriptReport,
    log: Log,
    model: Rc<RefCell<ModelEngine>>,
}

/// Runs `text` on the model; `before(model, log, line)` is called before
/// each directive.
fn record(name: &str, text: &str, before: &mut dyn FnMut(&mut ModelEngine, &Log, usize)) -> Recorded {
    let model = Rc::new(RefCell::new(ModelEngine::default()));
    model.borrow_mut().start_trace();
    let log = Rc::new(RefCell::new(Log::default()));
    let engine = Recorder { model: model.clone(), log: log.clone() };
    let report = lockstep::wast::run_script_with(name, text, vec![Box::new(engine)], &[], &mut |_, line| {
        before(&mut model.borrow_mut(), &log.borrow(), line);
        log.borrow_mut().line = line;
    });
    let log = std::mem::take(&mut *log.borrow_mut());
    Recorded { report, log, model }
}

/// The module each instance of the store was made from: the script's own
/// instantiations by the log; dlopen's by matching the definitions.
fn instance_modules(store: &Store, log: &Log) -> Vec<ModuleId> {
    let by_script: HashMap<InstNum, ModuleId> = log.instances.iter().map(|&(n, m, _)| (n, m)).collect();
    (0..store.modules.len())
        .map(|i| {
            if let Some(&m) = by_script.get(&(i as InstNum)) {
                return m;
            }
            let inst = &store.modules[i];
            let bodies: Vec<_> = inst
                .funcaddrs
                .iter()
                .filter_map(|&a| match &store[a] {
                    FuncInst::Wasm { module, code, .. } if module.0 as usize == i => Some(code.body.clone()),
                    _ => None,
                })
                .collect();
            let matches = |m: &Module| {
                m.types == inst.types
                    && m.funcs.len() == bodies.len()
                    && m.funcs.iter().zip(&bodies).all(|(f, b)| f.body[..] == b[..])
            };
            log.definitions
                .iter()
                .map(|&(_, id)| id)
                .find(|&id| matches(&log.modules[id]))
                .unwrap_or_else(|| panic!("instance #{i} comes from no module definition of the script"))
        })
        .collect()
}

// ---------------------------------------------------------------------------
// The book's scenarios

fn book_examples() -> Vec<(String, String)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("book/examples"))
        .expect("book/examples exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "wast"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| {
            let rel = p.strip_prefix(root()).unwrap().display().to_string();
            let text = std::fs::read_to_string(p).unwrap();
            (rel, text)
        })
        .collect()
}

#[test]
fn book_examples_pass_on_the_model() {
    let examples = book_examples();
    assert!(!examples.is_empty(), "no book/examples/*.wast");
    for (name, text) in examples {
        assert!(text.starts_with(";; purpose: "), "{name}: the first line says its purpose (`;; purpose: …`)");
        let r = lockstep::wast::run_script(&name, &text, vec![Box::new(ModelEngine::default())]);
        assert!(r.ok() && r.passed > 0 && r.skipped.is_empty(), "{name}: {r:?}");
    }
}

// ---------------------------------------------------------------------------
// Traces (`lockstep trace FILE`)

#[test]
fn traces_are_current() {
    let traces = [
        ("trace-dlopen-dlsym-call.txt", EXAMPLE),
        ("trace-failed-elem.txt", "corpus/findings/wasmtime-data-before-trapping-elem.wast"),
    ];
    for (out, script) in traces {
        check_generated(out, &lockstep::trace::trace_script(script, &read(script)));
    }
}

// ---------------------------------------------------------------------------
// Diagrams of the store

/// Names of the host objects: `ModelEngine` allocates the `spectest` module
/// first, into an empty store, then the `lockstep` functions.
struct HostNames {
    tables: HashMap<u32, String>,
    mems: HashMap<u32, String>,
    globals: HashMap<u32, String>,
}

impl HostNames {
    fn new() -> HostNames {
        let mut names = HostNames { tables: HashMap::new(), mems: HashMap::new(), globals: HashMap::new() };
        for (name, v) in lockstep::spectest::spectest(&mut Store::default()) {
            let name = format!("spectest.{name}");
            match v {
                ExternVal::Func(_) => {}
                ExternVal::Table(a) => drop(names.tables.insert(a.0, name)),
                ExternVal::Mem(a) => drop(names.mems.insert(a.0, name)),
                ExternVal::Global(a) => drop(names.globals.insert(a.0, name)),
            }
        }
        names
    }
}

/// One entry of a store diagram: a key that stays the same while the entry
/// changes (to mark what changed), its address column, and its text.
struct Entry {
    key: String,
    addr: String,
    text: String,
}

/// The store as a list of sections of entries. Host objects of `spectest`
/// are collapsed into one entry per kind.
fn store_entries(model: &ModelEngine, names: &BTreeMap<InstNum, String>) -> Vec<(&'static str, Vec<Entry>)> {
    let store = model.store();
    let host = HostNames::new();
    let inst_name = |n: usize| match names.get(&(n as InstNum)) {
        Some(name) => format!("#{n} {name}"),
        None => format!("#{n}"),
    };
    // The instance that lists an address first defined it.
    let owner = |addrs: &dyn Fn(&model::runtime::ModuleInst) -> Vec<u32>, a: u32| -> Option<(usize, usize)> {
        store.modules.iter().enumerate().find_map(|(i, m)| addrs(m).iter().position(|&x| x == a).map(|j| (i, j)))
    };
    let list = |v: Vec<u32>| v.iter().map(|a| a.to_string()).collect::<Vec<_>>().join(" ");
    let mut sections = Vec::new();

    let mut modules = Vec::new();
    for (i, m) in store.modules.iter().enumerate() {
        let text = format!(
            "{}\n  funcaddrs [{}]  tableaddrs [{}]  memaddrs [{}]  globaladdrs [{}]  elemaddrs [{}]  dataaddrs [{}]",
            inst_name(i),
            list(m.funcaddrs.iter().map(|a| a.0).collect()),
            list(m.tableaddrs.iter().map(|a| a.0).collect()),
            list(m.memaddrs.iter().map(|a| a.0).collect()),
            list(m.globaladdrs.iter().map(|a| a.0).collect()),
            list(m.elemaddrs.iter().map(|a| a.0).collect()),
            list(m.dataaddrs.iter().map(|a| a.0).collect()),
        );
        modules.push(Entry { key: format!("module {i}"), addr: i.to_string(), text });
    }
    sections.push(("module instances", modules));

    let mut funcs = Vec::new();
    let spectest_funcs: Vec<usize> = (0..store.funcs.len())
        .filter(|&a| matches!(&store.funcs[a], FuncInst::Host { name, .. } if name.starts_with("spectest.")))
        .collect();
    collapse(&mut funcs, "funcs", &spectest_funcs, |a| match &store.funcs[a] {
        FuncInst::Host { name, .. } => name.clone(),
        FuncInst::Wasm { .. } => unreachable!(),
    });
    for (a, f) in store.funcs.iter().enumerate() {
        let text = match f {
            FuncInst::Host { name, ty, .. } if !name.starts_with("spectest.") => format!("host {name}  {ty}"),
            FuncInst::Host { .. } => continue,
            FuncInst::Wasm { ty, .. } => {
                format!("{}  {ty}", model.label(model::runtime::FuncAddr(a as u32)))
            }
        };
        funcs.push(Entry { key: format!("func {a}"), addr: a.to_string(), text });
    }
    sections.push(("funcs", funcs));

    let slot = |r: &Ref| match r {
        Ref::Null(_) => "null".to_string(),
        Ref::Func(a) => format!("func {}", a.0),
        Ref::Extern(x) => format!("extern {x}"),
    };
    let max = |m: Option<u32>| m.map_or("no max".to_string(), |m| format!("max {m}"));
    let mut tables = Vec::new();
    let host_tables: Vec<usize> = (0..store.tables.len()).filter(|a| host.tables.contains_key(&(*a as u32))).collect();
    collapse(&mut tables, "tables", &host_tables, |a| host.tables[&(a as u32)].clone());
    for (a, t) in store.tables.iter().enumerate() {
        let Some((i, j)) = owner(&|m| m.tableaddrs.iter().map(|x| x.0).collect(), a as u32) else { continue };
        if host.tables.contains_key(&(a as u32)) {
            continue;
        }
        let slots: Vec<String> = t.elem.iter().map(slot).collect();
        let text = format!(
            "table {j} of {}  {} slots, {}: [{}]",
            inst_name(i),
            t.elem.len(),
            max(t.ty.limits.max),
            slots.join(", ")
        );
        tables.push(Entry { key: format!("table {a}"), addr: a.to_string(), text });
    }
    sections.push(("tables", tables));

    let mut mems = Vec::new();
    let host_mems: Vec<usize> = (0..store.mems.len()).filter(|a| host.mems.contains_key(&(*a as u32))).collect();
    collapse(&mut mems, "mems", &host_mems, |a| host.mems[&(a as u32)].clone());
    for (a, m) in store.mems.iter().enumerate() {
        if host.mems.contains_key(&(a as u32)) {
            continue;
        }
        let Some((i, j)) = owner(&|m| m.memaddrs.iter().map(|x| x.0).collect(), a as u32) else { continue };
        let pages = m.pages();
        let text = format!(
            "memory {j} of {}  {pages} page{}, {}: {}",
            inst_name(i),
            if pages == 1 { "" } else { "s" },
            max(m.ty.limits.max),
            bytes_summary(&m.data)
        );
        mems.push(Entry { key: format!("mem {a}"), addr: a.to_string(), text });
    }
    sections.push(("mems", mems));

    let mut globals = Vec::new();
    let host_globals: Vec<usize> =
        (0..store.globals.len()).filter(|a| host.globals.contains_key(&(*a as u32))).collect();
    collapse(&mut globals, "globals", &host_globals, |a| host.globals[&(a as u32)].clone());
    for (a, g) in store.globals.iter().enumerate() {
        if host.globals.contains_key(&(a as u32)) {
            continue;
        }
        let Some((i, j)) = owner(&|m| m.globaladdrs.iter().map(|x| x.0).collect(), a as u32) else { continue };
        let mutability = if g.ty.mutability == Mut::Var { "mut " } else { "" };
        let text = format!("global {j} of {}  {mutability}{} = {}", inst_name(i), g.ty.val, value(&g.value));
        globals.push(Entry { key: format!("global {a}"), addr: a.to_string(), text });
    }
    sections.push(("globals", globals));

    let mut elems = Vec::new();
    for (a, e) in store.elems.iter().enumerate() {
        let Some((i, j)) = owner(&|m| m.elemaddrs.iter().map(|x| x.0).collect(), a as u32) else { continue };
        let state = if e.elem.is_empty() {
            "empty (dropped, or no items)".to_string()
        } else {
            format!("[{}]", e.elem.iter().map(slot).collect::<Vec<_>>().join(", "))
        };
        elems.push(Entry {
            key: format!("elem {a}"),
            addr: a.to_string(),
            text: format!("elem {j} of {}  {state}", inst_name(i)),
        });
    }
    sections.push(("elems", elems));

    let mut datas = Vec::new();
    for (a, d) in store.datas.iter().enumerate() {
        let Some((i, j)) = owner(&|m| m.dataaddrs.iter().map(|x| x.0).collect(), a as u32) else { continue };
        let state = if d.data.is_empty() {
            "empty (dropped, or no bytes)".to_string()
        } else {
            format!("{} bytes", d.data.len())
        };
        datas.push(Entry {
            key: format!("data {a}"),
            addr: a.to_string(),
            text: format!("data {j} of {}  {state}", inst_name(i)),
        });
    }
    sections.push(("datas", datas));
    sections
}

/// One entry for a run of host objects of one kind.
fn collapse(out: &mut Vec<Entry>, kind: &str, addrs: &[usize], name: impl Fn(usize) -> String) {
    let (Some(&first), Some(&last)) = (addrs.first(), addrs.last()) else { return };
    let text = if first == last {
        format!("host {}", name(first))
    } else {
        format!("host {} … {}", name(first), name(last))
    };
    let addr = if first == last { first.to_string() } else { format!("{first}–{last}") };
    out.push(Entry { key: format!("host {kind}"), addr, text });
}

fn value(v: &Value) -> String {
    match *v {
        Value::I32(x) => format!("{}", x as i32),
        Value::I64(x) => format!("{}", x as i64),
        Value::F32(x) => format!("{}", f32::from_bits(x)),
        Value::F64(x) => format!("{}", f64::from_bits(x)),
        Value::Ref(Ref::Null(_)) => "null".into(),
        Value::Ref(Ref::Func(a)) => format!("func {}", a.0),
        Value::Ref(Ref::Extern(x)) => format!("extern {x}"),
    }
}

/// The runs of non-zero bytes of a memory: `@32 "text"` or `@8 [01 02]`.
fn bytes_summary(data: &[u8]) -> String {
    let mut runs = Vec::new();
    let mut i = 0;
    while i < data.len() {
        if data[i] == 0 {
            i += 1;
            continue;
        }
        let start = i;
        while i < data.len() && data[i] != 0 {
            i += 1;
        }
        let run = &data[start..i];
        if run.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
            runs.push(format!("@{start} \"{}\"", String::from_utf8_lossy(run)));
        } else {
            let hex: Vec<String> = run.iter().take(8).map(|b| format!("{b:02x}")).collect();
            let more = if run.len() > 8 { " …" } else { "" };
            runs.push(format!("@{start} [{}{more}]", hex.join(" ")));
        }
    }
    match runs.len() {
        0 => "all zero".into(),
        n if n > 8 => format!("{} … ({n} runs of non-zero bytes)", runs[..8].join(", ")),
        _ => runs.join(", "),
    }
}

/// A store diagram: `+` marks an entry `before` did not have, `~` one it had
/// otherwise.
fn render_store(title: &str, sections: &[(&'static str, Vec<Entry>)], before: Option<&[(&str, Vec<Entry>)]>) -> String {
    let old: HashMap<&str, &str> = before
        .into_iter()
        .flatten()
        .flat_map(|(_, entries)| entries.iter().map(|e| (e.key.as_str(), e.text.as_str())))
        .collect();
    let mut out = format!("{title}\n");
    for (kind, entries) in sections {
        let _ = writeln!(out, "\n{kind}");
        if entries.is_empty() {
            let _ = writeln!(out, "      (none)");
        }
        for e in entries {
            let mark = match (before, old.get(e.key.as_str())) {
                (None, _) => ' ',
                (Some(_), None) => '+',
                (Some(_), Some(t)) if *t != e.text => '~',
                _ => ' ',
            };
            let mut lines = e.text.lines();
            let _ = writeln!(out, "  {mark} {:>5}  {}", e.addr, lines.next().unwrap_or(""));
            for rest in lines {
                let _ = writeln!(out, "           {rest}");
            }
        }
    }
    out
}

/// The `$name` a script's directive at `line` gives its module, if any.
fn script_name(text: &str, line: usize) -> Option<String> {
    let source = text.lines().nth(line.checked_sub(1)?)?;
    let word = source.split_whitespace().find(|w| w.starts_with('$'))?;
    Some(word.trim_end_matches(')').to_string())
}

/// The script's names of its instances: `$main`, or the definition that
/// dlopen loaded.
fn instance_names(rec: &Recorded, text: &str) -> BTreeMap<InstNum, String> {
    let model = rec.model.borrow();
    let modules = instance_modules(model.store(), &rec.log);
    let script: HashMap<InstNum, usize> = rec.log.instances.iter().map(|&(n, _, line)| (n, line)).collect();
    let mut names = BTreeMap::new();
    for (i, &m) in modules.iter().enumerate() {
        let n = i as InstNum;
        let name = match script.get(&n) {
            Some(&line) => script_name(text, line).unwrap_or_default(),
            None => {
                let def = rec.log.definitions.iter().find(|(_, id)| *id == m).map_or("", |(d, _)| d.as_str());
                format!("${def}, loaded by lockstep.dlopen")
            }
        };
        if !name.is_empty() {
            names.insert(n, name);
        }
    }
    names
}

#[test]
fn store_diagrams_are_current() {
    let text = read(EXAMPLE);
    // A first run finds the directive that dlopens, and the names of the
    // instances (numbers are never reused, so they hold for the second run).
    let mut before_lines = Vec::new();
    let rec = record(EXAMPLE, &text, &mut |_, _, line| before_lines.push(line));
    assert!(rec.report.ok(), "{:?}", rec.report);
    // The first directive that called dlopen.
    let (dlopen_line, _) = rec
        .log
        .host_calls
        .iter()
        .find(|(_, c)| c.func == "lockstep.dlopen")
        .cloned()
        .expect("the example calls dlopen");
    let names = instance_names(&rec, &text);

    // Run again, stopping to render right before and right after that directive.
    let next = before_lines.iter().copied().find(|&l| l > dlopen_line);
    let mut before = None;
    let mut after = None;
    let rec2 = record(EXAMPLE, &text, &mut |model, _, line| {
        if line == dlopen_line {
            before = Some(store_entries(model, &names));
        }
        if Some(line) == next {
            after = Some(store_entries(model, &names));
        }
    });
    let after = after.unwrap_or_else(|| store_entries(&rec2.model.borrow(), &names));
    let before = before.expect("the dlopen directive ran");
    let directive = text.lines().nth(dlopen_line - 1).unwrap().trim();
    let title = |when: &str| format!(";; {EXAMPLE}\n;; the store {when} line {dlopen_line}: {directive}");
    check_generated("store-before-dlopen.txt", &render_store(&title("before"), &before, None));
    check_generated("store-after-dlopen.txt", &render_store(&title("after"), &after, Some(&before)));
}

#[test]
fn table_diagram_is_current() {
    let script = "corpus/scenarios/failed-inst-elem-oob.wast";
    let text = read(script);
    let mut shown = 0;
    let mut out = format!(";; {script}\n");
    let snapshot = |model: &mut ModelEngine, log: &Log, out: &mut String| {
        let Some(&(line, failed, ref outcome)) = log.trapped.last() else { return };
        let _ = writeln!(out, "\n;; after line {line}: the instantiation of instance #{failed} {outcome}");
        let names: HashMap<InstNum, String> =
            log.instances.iter().filter_map(|&(n, _, line)| Some((n, script_name(&text, line)?))).collect();
        out.push_str(&failed_instance_diagram(model, failed, &names));
    };
    let rec = record(script, &text, &mut |model, log, _| {
        // Right after an instantiation trapped: before the next directive.
        if log.trapped.len() > shown {
            snapshot(model, log, &mut out);
            shown = log.trapped.len();
        }
    });
    if rec.log.trapped.len() > shown {
        snapshot(&mut rec.model.borrow_mut(), &rec.log, &mut out);
    }
    assert!(rec.report.ok(), "{:?}", rec.report);
    assert!(!rec.log.trapped.is_empty(), "{script} has no failed instantiation");
    check_generated("table-after-failed-instantiation.txt", &out);
}

/// What every engine shows (the observation: the tables of live instances,
/// slot by slot) and what only the model's store holds: the failed
/// instance's own objects.
fn failed_instance_diagram(model: &mut ModelEngine, failed: InstNum, names: &HashMap<InstNum, String>) -> String {
    let mut out = String::new();
    let obs = model.observe(&lockstep::engine::Scope::All);
    let _ = writeln!(out, "what the observation shows (every table of a live instance):");
    for ((kind, origin), state) in &obs.objects {
        let (Kind::Table, ObjectState::Table { elems }) = (kind, state) else { continue };
        let name = match origin {
            lockstep::engine::Origin::Instance { instance, .. } => names.get(instance).map(|n| format!(" ({n})")),
            lockstep::engine::Origin::Host(_) => None,
        };
        let _ = writeln!(out, "  table {origin}{}, {} slots", name.unwrap_or_default(), elems.len());
        for (i, v) in elems.iter().enumerate() {
            let note = match v {
                Val::FuncRef(Some(lockstep::engine::FuncLabel::Wasm { instance, .. })) if *instance == failed => {
                    "   <- left by the failed instance"
                }
                _ => "",
            };
            let shown = match v {
                Val::FuncRef(None) => "null".to_string(),
                Val::FuncRef(Some(l)) => l.to_string(),
                other => other.to_string(),
            };
            let _ = writeln!(out, "    slot {i}  {shown}{note}");
        }
    }
    let store = model.store();
    let inst = &store.modules[failed as usize];
    let _ = writeln!(out, "what only the store holds: instance #{failed}, never returned to anyone");
    let earlier = |f: &dyn Fn(&model::runtime::ModuleInst) -> bool| store.modules[..failed as usize].iter().any(f);
    for (j, a) in inst.tableaddrs.iter().enumerate() {
        if earlier(&|m| m.tableaddrs.contains(a)) {
            let _ = writeln!(out, "  table {j}: imported (the shared table above)");
            continue;
        }
        let slots: Vec<String> = store[*a]
            .elem
            .iter()
            .map(|r| match r {
                Ref::Func(f) => model.label(*f).to_string(),
                _ => "null".into(),
            })
            .collect();
        let _ = writeln!(out, "  table {j}: its own, [{}]", slots.join(", "));
    }
    for (j, a) in inst.memaddrs.iter().enumerate() {
        let own = if earlier(&|m| m.memaddrs.contains(a)) { "imported" } else { "its own" };
        let _ = writeln!(out, "  memory {j}: {own}, {}", bytes_summary(&store[*a].data));
    }
    for (j, a) in inst.globaladdrs.iter().enumerate() {
        let own = if earlier(&|m| m.globaladdrs.contains(a)) { "imported" } else { "its own" };
        let _ = writeln!(out, "  global {j}: {own}, {}", value(&store[*a].value));
    }
    out
}

// ---------------------------------------------------------------------------
// What the instrumentation does to a module

#[test]
fn instrumented_module_is_current() {
    let text = read(EXAMPLE);
    let buf = wast::parser::ParseBuffer::new(&text).unwrap();
    let script: wast::Wast<'_> = wast::parser::parse(&buf).unwrap();
    let mut bytes = None;
    for d in script.directives {
        if let wast::WastDirective::ModuleDefinition(mut m) = d
            && m.name().is_some_and(|n| n.name() == "libsq")
        {
            bytes = Some(m.encode().unwrap());
        }
    }
    let bytes = bytes.expect("the example defines $libsq");
    let instrumented = lockstep::instrument::instrument(&bytes).unwrap();
    let wat = wasmprinter::print_bytes(&instrumented).unwrap();
    check_generated(
        "instrumented-libsq.wat",
        &format!(";; $libsq of {EXAMPLE}, as wasmtime runs it (wasmi runs it without the probe)\n{wat}\n"),
    );
}

// ---------------------------------------------------------------------------
// Divergence reports, from the `lockstep` binary

#[test]
fn reports_are_current() {
    let runs: [(&str, &[&str]); 6] = [
        (
            "report-wasmtime.txt",
            &[
                "wast",
                "--known",
                "/dev/null",
                "--engines",
                "model,wasmtime",
                "corpus/findings/wasmtime-data-before-trapping-elem.wast",
            ],
        ),
        (
            "report-wasmi.txt",
            &[
                "wast",
                "--known",
                "/dev/null",
                "--engines",
                "model,wasmi",
                "corpus/findings/wasmi-failed-instance-state.wast",
            ],
        ),
        (
            "replay-wasmtime.txt",
            &[
                "replay",
                "--known",
                "/dev/null",
                "--engines",
                "model,wasmtime",
                "corpus/findings/wasmtime-data-before-trapping-elem.wast",
            ],
        ),
        (
            "report-faulty.txt",
            &[
                "wast",
                "--known",
                "/dev/null",
                "--engines",
                "model,faulty-drop-table-write",
                "harness/tests/scripts/shared-table.wast",
            ],
        ),
        ("report-known.txt", &["wast", "corpus/findings/"]),
        (
            "run-table.txt",
            &[
                "run",
                "corpus/scenarios/dlsym-appends-slot.wast",
                "corpus/scenarios/failed-inst-elem-oob.wast",
                "book/examples/",
            ],
        ),
    ];
    for (out, args) in runs {
        // A worker that wasmi crashes dies of SIGABRT in a debug build (a
        // debug check of wasmi's panics where it cannot unwind) and of
        // SIGSEGV in a release build. The book shows the debug build's,
        // which `cargo test` runs.
        let all_engines = !args.contains(&"--engines");
        if (all_engines || args.iter().any(|a| a.contains("wasmi"))) && !cfg!(debug_assertions) {
            eprintln!("{out}: not compared in a release build (the crash signal differs)");
            continue;
        }
        let output = Command::new(env!("CARGO_BIN_EXE_lockstep"))
            .args(args)
            .current_dir(root())
            .output()
            .expect("lockstep runs");
        let mut text = format!("$ lockstep {}\n", args.join(" "));
        text.push_str(&String::from_utf8_lossy(&output.stdout));
        check_generated(out, &text);
    }
}

/// The JSON report of the chapter "The JSON report", with every time (the
/// only floats in it) written as 0.0: they differ from run to run.
#[test]
fn json_report_is_current() {
    let path = std::env::temp_dir().join(format!("book-report-{}.json", std::process::id()));
    let output = Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .args(["wast", "--known", "/dev/null", "--engines", "model,faulty-drop-table-write", "--json"])
        .arg(&path)
        .arg("harness/tests/scripts/shared-table.wast")
        .current_dir(root())
        .output()
        .expect("lockstep runs");
    let json = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}: {output:?}"));
    let _ = std::fs::remove_file(&path);
    let zero_time = |line: &str| {
        let (key, value) = line.rsplit_once(": ").unwrap_or(("", line.trim_start()));
        let (number, comma) = value.strip_suffix(',').map_or((value, ""), |n| (n, ","));
        if number.contains(['.', 'e']) && number.parse::<f64>().is_ok() {
            let indent = if key.is_empty() { &line[..line.len() - value.len()] } else { "" };
            let key = if key.is_empty() { String::new() } else { format!("{key}: ") };
            format!("{indent}{key}0.0{comma}\n")
        } else {
            format!("{line}\n")
        }
    };
    check_generated("report.json", &json.lines().map(zero_time).collect::<String>());
}

// ---------------------------------------------------------------------------
// The rule index

/// The reduction rules an instruction's step reaches in every case: the
/// function `step` dispatches it to (model/src/exec/step.rs). Constants,
/// `ref.null`, `nop`, `unreachable` and `else` are reduced inline by `step`.
/// The rules reached only in some cases are added by [`rules_of_run`].
fn rules(i: &Instr) -> &'static [&'static str] {
    match i {
        Instr::I32Const(_) | Instr::I64Const(_) | Instr::F32Const(_) | Instr::F64Const(_) => &[],
        Instr::IUnop(..) | Instr::ITestop(_) | Instr::FUnop(..) => &["unop"],
        Instr::IBinop(..) => &["ibinop"],
        Instr::IRelop(..) => &["irelop"],
        Instr::FBinop(..) | Instr::FRelop(..) => &["binop"],
        Instr::Cvtop(_) => &["cvtop"],
        Instr::RefNull(_) => &[],
        Instr::RefIsNull => &["ref_is_null"],
        Instr::RefFunc(_) => &["ref_func"],
        Instr::Drop => &["drop"],
        Instr::Select(_) => &["select"],
        Instr::LocalGet(_) => &["local_get"],
        Instr::LocalSet(_) => &["local_set"],
        Instr::LocalTee(_) => &["local_tee", "local_set"],
        Instr::GlobalGet(_) => &["global_get"],
        Instr::GlobalSet(_) => &["global_set"],
        Instr::TableGet(_) => &["table_get"],
        Instr::TableSet(_) => &["table_set"],
        Instr::TableSize(_) => &["table_size"],
        Instr::TableGrow(_) => &["table_grow"],
        Instr::TableFill(_) => &["table_fill"],
        Instr::TableCopy { .. } => &["table_copy"],
        Instr::TableInit { .. } => &["table_init"],
        Instr::ElemDrop(_) => &["elem_drop"],
        Instr::Load { .. } => &["load"],
        Instr::Store { .. } => &["store_"],
        Instr::MemorySize => &["memory_size"],
        Instr::MemoryGrow => &["memory_grow"],
        Instr::MemoryFill => &["memory_fill"],
        Instr::MemoryCopy => &["memory_copy"],
        Instr::MemoryInit(_) => &["memory_init"],
        Instr::DataDrop(_) => &["data_drop"],
        Instr::Nop | Instr::Unreachable | Instr::Else { .. } => &[],
        Instr::Block { .. } => &["block"],
        Instr::Loop { .. } => &["loop_"],
        Instr::If { .. } => &["if_"],
        Instr::End => &["end"],
        Instr::Br(_) => &["br"],
        Instr::BrIf(_) => &["br_if"],
        Instr::BrTable { .. } => &["br_table", "br"],
        Instr::BrTableLabel(_) => panic!("a br_table label is never reduced"),
        Instr::Return => &["return_", "return_from_frame"],
        Instr::Call(_) => &["call"],
        Instr::CallIndirect { .. } => &["call_indirect_target"],
    }
}

/// One instruction of each kind, to check that [`rules`] and the other
/// tables below name every rule function of the source.
fn one_of_each() -> Vec<Instr> {
    use model::syntax::*;
    let bt = BlockType::Empty;
    let memarg = MemArg { align: 0, offset: 0 };
    vec![
        Instr::I32Const(0),
        Instr::IUnop(IntSize::I32, IUnop::Clz),
        Instr::IBinop(IntSize::I32, IBinop::Add),
        Instr::ITestop(IntSize::I32),
        Instr::IRelop(IntSize::I32, IRelop::Eq),
        Instr::FUnop(FloatSize::F32, FUnop::Abs),
        Instr::FBinop(FloatSize::F32, FBinop::Add),
        Instr::FRelop(FloatSize::F32, FRelop::Eq),
        Instr::Cvtop(Cvtop::Wrap),
        Instr::RefNull(RefType::FuncRef),
        Instr::RefIsNull,
        Instr::RefFunc(0),
        Instr::Drop,
        Instr::Select(SelectType::Untyped),
        Instr::LocalGet(0),
        Instr::LocalSet(0),
        Instr::LocalTee(0),
        Instr::GlobalGet(0),
        Instr::GlobalSet(0),
        Instr::TableGet(0),
        Instr::TableSet(0),
        Instr::TableSize(0),
        Instr::TableGrow(0),
        Instr::TableFill(0),
        Instr::TableCopy { dst: 0, src: 0 },
        Instr::TableInit { table: 0, elem: 0 },
        Instr::ElemDrop(0),
        Instr::Load { ty: NumType::I32, pack: None, memarg },
        Instr::Store { ty: NumType::I32, pack: None, memarg },
        Instr::MemorySize,
        Instr::MemoryGrow,
        Instr::MemoryFill,
        Instr::MemoryCopy,
        Instr::MemoryInit(0),
        Instr::DataDrop(0),
        Instr::Nop,
        Instr::Unreachable,
        Instr::Block { ty: bt, end: 0 },
        Instr::Loop { ty: bt, end: 0 },
        Instr::If { ty: bt, else_: 0, end: 0 },
        Instr::Else { end: 0 },
        Instr::End,
        Instr::Br(0),
        Instr::BrIf(0),
        Instr::BrTable { len: 0 },
        Instr::Return,
        Instr::Call(0),
        Instr::CallIndirect { table: 0, ty: 0 },
    ]
}

/// Rules that [`rules_of_run`] adds when a step's effect shows in the next
/// step: a frame left, a `br_if` taken, a call reaching its callee.
const CONDITIONAL_RULES: &[&str] = &["return_from_frame", "br", "call", "call_host"];

/// The rules of instantiation (model/src/exec/instantiate.rs), counted by
/// [`instantiation_rules`].
const INSTANTIATION_RULES: &[&str] =
    &["instantiate", "match_imports", "extern_matches", "alloc_module", "eval_const", "init_sequence"];

/// Counts the rules each step of each run reached.
fn rules_of_run(run: &Run, count: &mut BTreeMap<&'static str, u64>) {
    let steps = &run.steps;
    for (i, s) in steps.iter().enumerate() {
        let next = steps.get(i + 1);
        for r in rules(&s.instr) {
            *count.entry(r).or_default() += 1;
        }
        // The step left its frame when the next one is shallower, or when
        // it was the last of a run that returned.
        let left_frame = next.map_or(!run.failed, |n| n.depth < s.depth);
        // A wasm callee's first step follows its call: one frame deeper, at pc 0.
        let entered = next.is_some_and(|n| n.depth == s.depth + 1 && n.pc == 0 && n.func.is_some());
        // The step did not end the run with a trap.
        let survived = next.is_some() || !run.failed;
        let mut add = |r: &'static str| *count.entry(r).or_default() += 1;
        match s.instr {
            Instr::End | Instr::Br(_) | Instr::BrTable { .. } if left_frame => add("return_from_frame"),
            Instr::BrIf(_) => {
                let taken = match next {
                    Some(n) => n.depth < s.depth || n.pc != s.pc + 1,
                    None => !run.failed,
                };
                if taken {
                    add("br");
                    if left_frame {
                        add("return_from_frame");
                    }
                }
            }
            Instr::CallIndirect { .. } if survived => {
                add("call");
                if !entered {
                    add("call_host");
                }
            }
            // A call that ended the run may have failed in the callee: not counted as host.
            Instr::Call(_) if survived && !entered => add("call_host"),
            _ => {}
        }
    }
}

/// Counts the rules of instantiation that a script's instantiations
/// reached. Every module instance in the (append-only) store is one run of
/// `alloc_module` and `init_sequence`, after `instantiate` and
/// `match_imports` (and `extern_matches` when it has imports); `eval_const`
/// when it has globals or element segment items. A script's link error
/// (every import resolved, refused by matching) reaches `instantiate`,
/// `match_imports` and `extern_matches`.
fn instantiation_rules(store: &Store, log: &Log, count: &mut BTreeMap<&'static str, u64>) {
    let mut add = |r: &'static str| *count.entry(r).or_default() += 1;
    let modules = instance_modules(store, log);
    for &m in &modules {
        let module = &log.modules[m];
        for r in ["instantiate", "match_imports", "alloc_module", "init_sequence"] {
            add(r);
        }
        if !module.imports.is_empty() {
            add("extern_matches");
        }
        if !module.globals.is_empty() || module.elems.iter().any(|e| !e.init.is_empty()) {
            add("eval_const");
        }
    }
    for &m in &log.link_errors {
        add("instantiate");
        add("match_imports");
        if !log.modules[m].imports.is_empty() {
            add("extern_matches");
        }
    }
}

/// A rule function of the model's source: its name, file and spec reference.
struct RuleFn {
    name: String,
    file: &'static str,
    spec: String,
}

/// Every function of `file` whose doc comment's first line cites a section (`§`).
fn rule_functions(file: &'static str) -> Vec<RuleFn> {
    let source = read(file);
    let mut out = Vec::new();
    let mut doc: Vec<String> = Vec::new();
    for line in source.lines() {
        let t = line.trim();
        if let Some(d) = t.strip_prefix("///") {
            doc.push(d.trim().to_string());
            continue;
        }
        if t.starts_with("#[") || t.starts_with("// ANCHOR") {
            continue;
        }
        let signature = t.strip_prefix("pub ").unwrap_or(t);
        if let Some(rest) = signature.strip_prefix("fn ") {
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if doc.first().is_some_and(|d| d.contains('§')) {
                let paragraph: Vec<&str> = doc.iter().take_while(|d| !d.is_empty()).map(String::as_str).collect();
                out.push(RuleFn { name, file, spec: spec_of(&paragraph.join(" ")) });
            }
        }
        doc.clear();
    }
    out
}

/// The part of a doc paragraph that names the rule: up to the first `: ` or
/// `. ` outside quotes and code; if that is long, up to the first `, `.
fn spec_of(doc: &str) -> String {
    let cut = |stops: &[char]| -> Option<String> {
        let (mut quoted, mut code) = (false, false);
        let chars: Vec<char> = doc.chars().collect();
        for (i, &c) in chars.iter().enumerate() {
            match c {
                '"' if !code => quoted = !quoted,
                '`' => code = !code,
                c if stops.contains(&c) && !quoted && !code && chars.get(i + 1) == Some(&' ') => {
                    return Some(chars[..i].iter().collect());
                }
                _ => {}
            }
        }
        None
    };
    let spec = cut(&[':', '.']).unwrap_or_else(|| doc.trim_end_matches('.').to_string());
    if spec.chars().count() > 80 { cut(&[',']).unwrap_or(spec) } else { spec }
}

/// Which scripts the rule index covers: the corpus.
fn corpus_scripts() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for dir in ["corpus/scenarios", "corpus/findings"] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "wast"))
            .collect();
        files.sort();
        for p in files {
            let rel = p.strip_prefix(root()).unwrap().display().to_string();
            out.push((rel, std::fs::read_to_string(&p).unwrap()));
        }
    }
    out
}

#[test]
fn rule_index_is_current() {
    let mut fns = rule_functions("model/src/exec/step.rs");
    fns.extend(rule_functions("model/src/exec/instantiate.rs"));
    let in_source: BTreeSet<&str> = fns.iter().map(|f| f.name.as_str()).collect();
    let mut mapped: BTreeSet<&str> = one_of_each().iter().flat_map(|i| rules(i).iter().copied()).collect();
    mapped.extend(CONDITIONAL_RULES);
    mapped.extend(INSTANTIATION_RULES);
    let unknown: Vec<_> = mapped.difference(&in_source).collect();
    assert!(unknown.is_empty(), "the mapping names functions that are no rule (no `§` doc line): {unknown:?}");
    let unmapped: Vec<_> = in_source.difference(&mapped).collect();
    assert!(unmapped.is_empty(), "rule functions that the mapping in harness/tests/book.rs misses: {unmapped:?}");

    // Per rule: steps, and per script the steps.
    let scripts = corpus_scripts();
    let mut reached: BTreeMap<&str, BTreeMap<String, u64>> = BTreeMap::new();
    for (name, text) in &scripts {
        let rec = record(name, text, &mut |_, _, _| {});
        let mut count = BTreeMap::new();
        for run in &rec.log.runs {
            rules_of_run(run, &mut count);
        }
        instantiation_rules(rec.model.borrow().store(), &rec.log, &mut count);
        let short = name
            .trim_start_matches("corpus/scenarios/")
            .trim_start_matches("corpus/")
            .trim_end_matches(".wast")
            .to_string();
        for (rule, n) in count {
            reached.entry(rule).or_default().insert(short.clone(), n);
        }
    }

    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Appendix: rule index\n\n\
         <!-- Generated by harness/tests/book.rs: do not edit. \
         Regenerate with `BLESS=1 cargo test -p lockstep --test book`. -->\n\n\
         One row per reduction rule of the model: each function of \
         `model/src/exec/step.rs` and `model/src/exec/instantiate.rs` whose doc \
         comment cites the specification. *Times* counts how often the rule ran \
         over the {} scripts of `corpus/scenarios/` and `corpus/findings/`, run on \
         the model; *scripts* how many of them reach it, the ones that reach it \
         most first (named by file, without `corpus/scenarios/`).\n\n\
         How a step is mapped to its rules: each instruction to the function \
         `step` dispatches it to (a table in `harness/tests/book.rs`); \
         `return_from_frame`, a taken `br_if`, and `call` after `call_indirect` \
         when the next traced step shows their effect; `call_host` when a call is \
         not followed by its callee's first step. Instantiation is counted from the \
         store, which keeps every module instance ever allocated: each one ran \
         `instantiate`, `match_imports`, `alloc_module` and `init_sequence`; \
         `extern_matches` if it has imports; `eval_const` if it has globals or \
         element segment items. A link error of a script's own module counts for \
         `instantiate`, `match_imports` and `extern_matches`; one inside \
         `lockstep.dlopen` cannot be told from outside the model and is not counted.\n",
        scripts.len()
    );
    let mut unreached = Vec::new();
    for (file, title) in
        [("model/src/exec/step.rs", "Instructions"), ("model/src/exec/instantiate.rs", "Instantiation")]
    {
        let _ = writeln!(
            out,
            "## {title} (`{file}`)\n\n| Rule | Spec | Times | Scripts | Reached most by |\n|---|---|--:|--:|---|"
        );
        for f in fns.iter().filter(|f| f.file == file) {
            let by = reached.get(f.name.as_str()).cloned().unwrap_or_default();
            if by.is_empty() {
                unreached.push(f.name.clone());
            }
            let steps: u64 = by.values().sum();
            let mut order: Vec<(&String, &u64)> = by.iter().collect();
            order.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            let shown: Vec<String> = order.iter().take(3).map(|(s, _)| s.to_string()).collect();
            let more = if order.len() > 3 { format!(" and {} more", order.len() - 3) } else { String::new() };
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} | {}{} |",
                f.name,
                f.spec.replace('|', "\\|"),
                steps,
                by.len(),
                shown.join(", "),
                more
            );
        }
        out.push('\n');
    }
    let _ = writeln!(out, "## Reached by no script\n");
    if unreached.is_empty() {
        let _ = writeln!(out, "None.");
    } else {
        let names: Vec<String> = unreached.iter().map(|n| format!("`{n}`")).collect();
        let _ = writeln!(
            out,
            "{}. The corpus is about linking; the instructions themselves are the official \
             suite's subject (`spec:wasm-v2`, which the main job runs on every engine).",
            names.join(", ")
        );
    }
    check_generated("rule-index.md", &out);
}

// ---------------------------------------------------------------------------
// Links

/// The pages of `book/src`, relative to it.
fn pages() -> Vec<PathBuf> {
    fn walk(dir: &Path, base: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                walk(&p, base, out);
            } else if p.extension().is_some_and(|e| e == "md") {
                out.push(p.strip_prefix(base).unwrap().to_path_buf());
            }
        }
    }
    let base = root().join("book/src");
    let mut out = Vec::new();
    walk(&base, &base, &mut out);
    out.sort();
    out
}

/// mdbook's id of a heading: lower case, spaces to `-`, other punctuation dropped.
fn heading_id(heading: &str) -> String {
    let text: String = heading.replace('`', "");
    text.trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// The heading ids of a page (outside code blocks).
fn heading_ids(text: &str) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        }
        if !fenced && line.starts_with('#') {
            ids.insert(heading_id(line.trim_start_matches('#')));
        }
    }
    ids
}

/// Every `](target)` of a page outside code, with its line.
fn link_targets(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut fenced = false;
    for (n, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        // Drop inline code spans.
        let mut plain = String::new();
        for (i, part) in line.split('`').enumerate() {
            if i % 2 == 0 {
                plain.push_str(part);
            }
        }
        let mut rest = plain.as_str();
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let end = after.find(')').unwrap_or(after.len());
            out.push((n + 1, after[..end].to_string()));
            rest = &after[end..];
        }
    }
    out
}

/// Every `{{#include PATH}}` or `{{#include PATH:ANCHOR}}` of a page, with its line.
fn includes(text: &str) -> Vec<(usize, String, Option<String>)> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let mut rest = line;
        while let Some(at) = rest.find("{{#include ") {
            let after = &rest[at + "{{#include ".len()..];
            let end = after.find("}}").expect("an include closes on its line");
            let arg = after[..end].trim();
            let (path, anchor) = match arg.split_once(':') {
                Some((p, a)) => (p.to_string(), Some(a.to_string())),
                None => (arg.to_string(), None),
            };
            out.push((n + 1, path, anchor));
            rest = &after[end..];
        }
    }
    out
}

#[test]
fn links_resolve() {
    let src = root().join("book/src");
    let summary = std::fs::read_to_string(src.join("SUMMARY.md")).expect("book/src/SUMMARY.md");
    let mut listed = BTreeSet::new();
    let mut shown = BTreeSet::new();
    let mut errors = Vec::new();
    for (line, target) in link_targets(&summary) {
        if target.is_empty() {
            errors.push(format!("SUMMARY.md:{line}: a draft chapter (empty link)"));
            continue;
        }
        if !src.join(&target).is_file() {
            errors.push(format!("SUMMARY.md:{line}: {target} does not exist"));
        }
        listed.insert(PathBuf::from(target));
    }
    for page in pages() {
        if page != Path::new("SUMMARY.md") && !listed.contains(&page) {
            errors.push(format!("{} is not in SUMMARY.md", page.display()));
        }
    }
    for page in pages() {
        let text = std::fs::read_to_string(src.join(&page)).unwrap();
        let dir = src.join(&page).parent().unwrap().to_path_buf();
        let at = |line: usize| format!("{}:{line}", page.display());
        for (line, target) in link_targets(&text) {
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            let (file, fragment) = match target.split_once('#') {
                Some((f, frag)) => (f, Some(frag)),
                None => (target.as_str(), None),
            };
            let path = if file.is_empty() { src.join(&page) } else { dir.join(file) };
            if !path.exists() {
                errors.push(format!("{}: {target}: no such file", at(line)));
                continue;
            }
            if let Some(fragment) = fragment
                && path.extension().is_some_and(|e| e == "md")
            {
                let ids = heading_ids(&std::fs::read_to_string(&path).unwrap());
                if !ids.contains(fragment) {
                    errors.push(format!("{}: {target}: no heading #{fragment} (has {ids:?})", at(line)));
                }
            }
        }
        for (line, file, anchor) in includes(&text) {
            let path = dir.join(&file);
            if let Ok(rel) = path.strip_prefix(src.join("generated")) {
                let name = rel.display().to_string();
                // Under BLESS the other tests may be writing it right now.
                if std::env::var_os("BLESS").is_some() && GENERATED.contains(&name.as_str()) {
                    shown.insert(name);
                    continue;
                }
                shown.insert(name);
            }
            let Ok(included) = std::fs::read_to_string(&path) else {
                errors.push(format!("{}: {{{{#include {file}}}}}: no such file", at(line)));
                continue;
            };
            let Some(anchor) = anchor else { continue };
            if anchor.chars().all(|c| c.is_ascii_digit() || c == ':') {
                errors.push(format!("{}: {file}:{anchor}: include by anchor, not by line numbers", at(line)));
                continue;
            }
            for mark in [format!("ANCHOR: {anchor}"), format!("ANCHOR_END: {anchor}")] {
                if !included.lines().any(|l| l.trim_end().ends_with(&mark)) {
                    errors.push(format!("{}: {file} has no `// {mark}`", at(line)));
                }
            }
        }
    }
    for name in GENERATED {
        if !shown.contains(*name) && !listed.contains(&Path::new("generated").join(name)) {
            errors.push(format!("generated/{name} is generated but shown nowhere"));
        }
    }
    assert!(errors.is_empty(), "the book's links:\n{}", errors.join("\n"));
}
