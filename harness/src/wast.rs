//! Runs `.wast` scripts through the model.
//!
//! The `wast` crate parses a script and encodes its text modules to binary;
//! the model decodes, validates, instantiates and runs everything else. So an
//! `assert_malformed` on a *text* module is decided by the `wast` crate (the
//! model has no text format); on a binary module, by the model's decoder.
//!
//! Every directive is one check: a `module` checks that the module
//! instantiates, an `invoke` that it returns, each `assert_*` its assertion.
//! A check the model cannot run (SIMD, a proposal past 2.0) is skipped with
//! its reason, and so is every later check on that module: never silently.

use std::collections::HashMap;
use std::fmt;

use model::embed::{self, ExternVal, Store, ValidModule};
use model::runtime::{ModuleAddr, NanClass, Ref, Value, nan_class_f32, nan_class_f64};
use model::syntax::RefType;
use model::{DecodeError, Error, LinkError};
use wast::core::{AbstractHeapType, HeapType, NanPattern, WastArgCore, WastRetCore};
use wast::parser::{self, ParseBuffer};
use wast::token::Id;
use wast::{QuoteWat, QuoteWatTest, Wast, WastArg, WastDirective, WastExecute, WastInvoke, WastRet};

/// What happened to one script.
#[derive(Debug, Default)]
pub struct ScriptReport {
    pub name: String,
    pub passed: usize,
    pub failed: Vec<Note>,
    pub skipped: Vec<Note>,
}

/// A failed or skipped check: where, and why.
#[derive(Debug, Clone)]
pub struct Note {
    pub line: usize,
    pub what: String,
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.what)
    }
}

impl ScriptReport {
    pub fn ok(&self) -> bool {
        self.failed.is_empty()
    }
}

/// The outcome of one check.
enum Check {
    Pass,
    Fail(String),
    Skip(String),
}

use Check::*;

/// A module the script has named or made current: instantiated, or skipped.
type Instance = Result<ModuleAddr, String>;

/// The state of one script: one store, shared by all its modules.
struct Script {
    store: Store,
    /// `register`ed names (and `spectest`): their exports, for import resolution.
    registry: HashMap<String, Vec<(String, ExternVal)>>,
    instances: HashMap<String, Instance>,
    definitions: HashMap<String, Result<ValidModule, String>>,
    current: Option<Instance>,
}

/// Runs the script `text`; `name` labels the report.
pub fn run_script(name: &str, text: &str) -> ScriptReport {
    let mut report = ScriptReport { name: name.to_string(), ..ScriptReport::default() };
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
    let mut script = Script::new();
    for directive in wast.directives {
        let line = directive.span().linecol_in(text).0 + 1;
        match script.directive(directive) {
            Pass => report.passed += 1,
            Fail(what) => report.failed.push(Note { line, what }),
            Skip(what) => report.skipped.push(Note { line, what }),
        }
    }
    report
}

impl Script {
    fn new() -> Script {
        let mut store = embed::store_init();
        let mut registry = HashMap::new();
        registry.insert("spectest".to_string(), crate::spectest::spectest(&mut store));
        Script { store, registry, instances: HashMap::new(), definitions: HashMap::new(), current: None }
    }

    fn directive(&mut self, d: WastDirective<'_>) -> Check {
        match d {
            WastDirective::Module(mut m) => {
                let name = m.name();
                let inst = match self.compile(&mut m) {
                    Err(Compile::Skip(why)) => Err(why),
                    Err(Compile::Fail(why)) => return Fail(format!("module: {why}")),
                    Ok(module) => match self.instantiate(&module) {
                        Ok(a) => Ok(a),
                        Err(e) => return Fail(format!("module failed to instantiate: {e}")),
                    },
                };
                self.set_current(name, inst)
            }
            WastDirective::ModuleDefinition(mut m) => {
                let name = m.name();
                let def = match self.compile(&mut m) {
                    Ok(module) => Ok(module),
                    Err(Compile::Skip(why)) => Err(why),
                    Err(Compile::Fail(why)) => return Fail(format!("module definition: {why}")),
                };
                let check = match &def {
                    Ok(_) => Pass,
                    Err(why) => Skip(why.clone()),
                };
                if let Some(id) = name {
                    self.definitions.insert(id.name().to_string(), def);
                }
                check
            }
            WastDirective::ModuleInstance { instance, module, .. } => {
                let def = module.and_then(|m| self.definitions.get(m.name()).cloned());
                let inst = match def {
                    None => return Fail("module instance of an unknown definition".into()),
                    Some(Err(why)) => Err(why),
                    Some(Ok(module)) => match self.instantiate(&module) {
                        Ok(a) => Ok(a),
                        Err(e) => return Fail(format!("module instance failed: {e}")),
                    },
                };
                self.set_current(instance, inst)
            }
            WastDirective::Register { name, module, .. } => match self.instance(module) {
                Err(why) => Skip(why),
                Ok(a) => {
                    let exports = self.store[a].exports.iter().map(|e| (e.name.clone(), e.value)).collect();
                    self.registry.insert(name.to_string(), exports);
                    Pass
                }
            },
            WastDirective::Invoke(invoke) => match self.invoke(&invoke) {
                Run::Skip(why) => Skip(why),
                Run::Done(Ok(_)) => Pass,
                Run::Done(Err(e)) => Fail(format!("invoke {}: {e}", invoke.name)),
            },
            WastDirective::AssertReturn { exec, results, .. } => match self.execute(exec) {
                Run::Skip(why) => Skip(why),
                Run::Done(Err(e)) => Fail(format!("expected {}, got {e}", show_rets(&results))),
                Run::Done(Ok(vals)) => match match_results(&vals, &results) {
                    Ok(true) => Pass,
                    Ok(false) => Fail(format!("expected {}, got {vals:?}", show_rets(&results))),
                    Err(why) => Skip(why),
                },
            },
            WastDirective::AssertTrap { exec, message, .. } => match self.execute(exec) {
                Run::Skip(why) => Skip(why),
                Run::Done(Err(Error::Trap(kind))) if messages_agree(kind.message(), message) => Pass,
                Run::Done(other) => Fail(format!("expected trap \"{message}\", got {}", show_run(&other))),
            },
            WastDirective::AssertExhaustion { call, message, .. } => match self.invoke(&call) {
                Run::Skip(why) => Skip(why),
                Run::Done(Err(Error::Exhaustion(_))) => Pass,
                Run::Done(other) => Fail(format!("expected exhaustion \"{message}\", got {}", show_run(&other))),
            },
            WastDirective::AssertMalformed { mut module, message, .. } => match module_bytes(&mut module) {
                Bytes::Text => Pass,
                Bytes::Binary(bytes) => match embed::module_decode(&bytes) {
                    Err(DecodeError::Malformed(_)) => Pass,
                    Err(DecodeError::Unsupported(why)) => Skip(why),
                    Ok(_) => Fail(format!("expected malformed \"{message}\", but the module decodes")),
                },
                Bytes::Unencodable(why) => Fail(format!("cannot encode module: {why}")),
            },
            WastDirective::AssertInvalid { mut module, message, .. } => match module_bytes(&mut module) {
                Bytes::Text => Pass,
                Bytes::Unencodable(why) if is_text_error(&why) => Pass,
                Bytes::Unencodable(why) => Fail(format!("cannot encode module: {why}")),
                Bytes::Binary(bytes) => match embed::module_decode(&bytes) {
                    Err(DecodeError::Unsupported(why)) => Skip(why),
                    Err(DecodeError::Malformed(why)) => {
                        Fail(format!("expected invalid \"{message}\", but the module is malformed: {why}"))
                    }
                    Ok(module) => match embed::module_validate(module) {
                        Err(_) => Pass,
                        Ok(_) => Fail(format!("expected invalid \"{message}\", but the module validates")),
                    },
                },
            },
            WastDirective::AssertUnlinkable { module, message, .. } => {
                let mut module = QuoteWat::Wat(module);
                match self.compile(&mut module) {
                    Err(Compile::Skip(why)) => Skip(why),
                    Err(Compile::Fail(why)) => Fail(format!("assert_unlinkable module: {why}")),
                    Ok(module) => match self.instantiate(&module) {
                        Err(Error::Link(_)) => Pass,
                        other => {
                            Fail(format!("expected unlinkable \"{message}\", got {}", show_run(&other.map(|_| vec![]))))
                        }
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

    fn set_current(&mut self, name: Option<Id<'_>>, inst: Instance) -> Check {
        let check = match &inst {
            Ok(_) => Pass,
            Err(why) => Skip(why.clone()),
        };
        if let Some(id) = name {
            self.instances.insert(id.name().to_string(), inst.clone());
        }
        self.current = Some(inst);
        check
    }

    /// Text or binary module → decoded and validated module.
    fn compile(&mut self, m: &mut QuoteWat<'_>) -> Result<ValidModule, Compile> {
        let bytes = match m.encode() {
            Ok(bytes) => bytes,
            Err(e) => return Err(Compile::Fail(format!("cannot encode: {e}"))),
        };
        let module = match embed::module_decode(&bytes) {
            Ok(module) => module,
            Err(DecodeError::Unsupported(why)) => return Err(Compile::Skip(why)),
            Err(e) => return Err(Compile::Fail(e.to_string())),
        };
        embed::module_validate(module).map_err(|e| Compile::Fail(e.to_string()))
    }

    /// Resolves imports by registered name, then instantiates.
    fn instantiate(&mut self, module: &ValidModule) -> Result<ModuleAddr, Error> {
        let mut imports = Vec::new();
        for (module_name, name, _) in embed::module_imports(module) {
            let found = self
                .registry
                .get(&module_name)
                .and_then(|exports| exports.iter().find(|(n, _)| *n == name))
                .map(|(_, v)| *v);
            match found {
                Some(v) => imports.push(v),
                None => return Err(LinkError::UnknownImport { module: module_name, name }.into()),
            }
        }
        embed::module_instantiate(&mut self.store, module, &imports)
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
                let a = match self.instance(module) {
                    Ok(a) => a,
                    Err(why) => return Run::Skip(why),
                };
                match embed::instance_export(&self.store, a, global) {
                    Some(ExternVal::Global(g)) => Run::Done(Ok(vec![embed::global_read(&self.store, g)])),
                    _ => Run::Done(Err(Error::from(LinkError::UnknownImport {
                        module: String::new(),
                        name: global.into(),
                    }))),
                }
            }
            WastExecute::Wat(wat) => {
                let mut module = QuoteWat::Wat(wat);
                match self.compile(&mut module) {
                    Err(Compile::Skip(why)) => Run::Skip(why),
                    Err(Compile::Fail(why)) => Run::Skip(format!("module does not compile: {why}")),
                    Ok(module) => Run::Done(self.instantiate(&module).map(|_| vec![])),
                }
            }
        }
    }

    fn invoke(&mut self, invoke: &WastInvoke<'_>) -> Run {
        let a = match self.instance(invoke.module) {
            Ok(a) => a,
            Err(why) => return Run::Skip(why),
        };
        let Some(ExternVal::Func(f)) = embed::instance_export(&self.store, a, invoke.name) else {
            return Run::Done(Err(Error::from(LinkError::UnknownImport {
                module: String::new(),
                name: invoke.name.to_string(),
            })));
        };
        let mut args = Vec::new();
        for arg in &invoke.args {
            match arg_value(arg) {
                Ok(v) => args.push(v),
                Err(why) => return Run::Skip(why),
            }
        }
        Run::Done(embed::func_invoke(&mut self.store, f, &args))
    }
}

enum Compile {
    Fail(String),
    Skip(String),
}

enum Run {
    Done(Result<Vec<Value>, Error>),
    Skip(String),
}

enum Bytes {
    Binary(Vec<u8>),
    /// A text module the `wast` crate rejected: malformed or invalid as text.
    Text,
    Unencodable(String),
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
/// it before the model sees it.
fn is_text_error(why: &str) -> bool {
    why.contains("unknown") || why.contains("failed to find")
}

fn arg_value(arg: &WastArg<'_>) -> Result<Value, String> {
    let WastArg::Core(arg) = arg else { return Err("component values are not modelled".into()) };
    Ok(match arg {
        WastArgCore::I32(x) => Value::I32(*x as u32),
        WastArgCore::I64(x) => Value::I64(*x as u64),
        WastArgCore::F32(x) => Value::F32(x.bits),
        WastArgCore::F64(x) => Value::F64(x.bits),
        WastArgCore::V128(_) => return Err("SIMD (v128) is not modelled".into()),
        WastArgCore::RefNull(HeapType::Abstract { ty: AbstractHeapType::Func, .. }) => {
            Value::Ref(Ref::Null(RefType::FuncRef))
        }
        WastArgCore::RefNull(HeapType::Abstract { ty: AbstractHeapType::Extern, .. }) => {
            Value::Ref(Ref::Null(RefType::ExternRef))
        }
        WastArgCore::RefExtern(n) => Value::Ref(Ref::Extern(*n)),
        other => return Err(format!("argument {other:?} is not in Wasm 2.0")),
    })
}

/// Whether `vals` match the expected results. `Err` when an expectation is
/// outside what the model has (v128).
fn match_results(vals: &[Value], expected: &[WastRet<'_>]) -> Result<bool, String> {
    if vals.len() != expected.len() {
        return Ok(false);
    }
    for (v, e) in vals.iter().zip(expected) {
        let WastRet::Core(e) = e else { return Err("component values are not modelled".into()) };
        if !match_result(v, e)? {
            return Ok(false);
        }
    }
    Ok(true)
}

fn match_result(v: &Value, e: &WastRetCore<'_>) -> Result<bool, String> {
    Ok(match (e, v) {
        (WastRetCore::I32(x), Value::I32(y)) => *x as u32 == *y,
        (WastRetCore::I64(x), Value::I64(y)) => *x as u64 == *y,
        (WastRetCore::F32(p), Value::F32(bits)) => match p {
            NanPattern::CanonicalNan => nan_class_f32(*bits) == Some(NanClass::Canonical),
            NanPattern::ArithmeticNan => {
                matches!(nan_class_f32(*bits), Some(NanClass::Canonical | NanClass::Arithmetic))
            }
            NanPattern::Value(x) => x.bits == *bits,
        },
        (WastRetCore::F64(p), Value::F64(bits)) => match p {
            NanPattern::CanonicalNan => nan_class_f64(*bits) == Some(NanClass::Canonical),
            NanPattern::ArithmeticNan => {
                matches!(nan_class_f64(*bits), Some(NanClass::Canonical | NanClass::Arithmetic))
            }
            NanPattern::Value(x) => x.bits == *bits,
        },
        (WastRetCore::V128(_), _) => return Err("SIMD (v128) is not modelled".into()),
        (WastRetCore::RefNull(ty), Value::Ref(Ref::Null(t))) => match ty {
            None => true,
            Some(HeapType::Abstract { ty: AbstractHeapType::Func, .. }) => *t == RefType::FuncRef,
            Some(HeapType::Abstract { ty: AbstractHeapType::Extern, .. }) => *t == RefType::ExternRef,
            Some(_) => false,
        },
        (WastRetCore::RefExtern(None), Value::Ref(Ref::Extern(_))) => true,
        (WastRetCore::RefExtern(Some(x)), Value::Ref(Ref::Extern(y))) => x == y,
        (WastRetCore::RefFunc(_), Value::Ref(Ref::Func(_))) => true,
        (WastRetCore::Either(alts), v) => {
            for alt in alts {
                if match_result(v, alt)? {
                    return Ok(true);
                }
            }
            false
        }
        _ => false,
    })
}

/// Trap messages agree when one is a prefix of the other (the suite's
/// messages sometimes carry more detail than the trap's kind).
fn messages_agree(ours: &str, expected: &str) -> bool {
    expected.starts_with(ours) || ours.starts_with(expected)
}

fn show_rets(rets: &[WastRet<'_>]) -> String {
    format!("{rets:?}")
}

fn show_run(r: &Result<Vec<Value>, Error>) -> String {
    match r {
        Ok(vals) => format!("{vals:?}"),
        Err(e) => e.to_string(),
    }
}
