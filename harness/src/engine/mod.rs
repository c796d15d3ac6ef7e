//! One engine interface, and what every engine shows through it.
//!
//! Engines do not expose function addresses, and a failed instantiation
//! returns no instance. So everything an engine shows is labelled in terms
//! that mean the same in every engine:
//!
//! - an instance by its number: every instantiation attempt that gets past
//!   linking, in order, whether it then traps or not (`#0`, `#1`, …);
//! - a wasm function by `(instance, function index)`, a host function by its
//!   name ([`FuncLabel`]);
//! - a table, memory or global by its origin: the instance and index that
//!   defined it, or the host object's name ([`Origin`]). Importing it means
//!   showing the same origin.

pub mod book;
pub mod cache;
pub mod faulty;
pub mod model;
pub mod wasmi;
pub mod wasmtime;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

pub use ::model::TrapKind;
pub use cache::{CacheLimit, CacheStats, ModuleCache};

/// The number of an instance, in instantiation order.
pub type InstNum = u32;

/// Who a function is, the same in every engine.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FuncLabel {
    /// Function `index` (in its module's function index space) of instance `instance`.
    Wasm { instance: InstNum, index: u32 },
    /// A host function, by name (`spectest.print_i32`, `lockstep.dlopen`).
    Host(String),
}

/// Where a table, memory or global was defined.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Origin {
    /// Index `index` of its kind in instance `instance`'s own index space.
    Instance { instance: InstNum, index: u32 },
    /// A host object, by name (`spectest.table`).
    Host(String),
}

/// A value as every engine shows it: numbers by their bits, references by label.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Val {
    I32(u32),
    I64(u64),
    F32(u32),
    F64(u64),
    FuncRef(Option<FuncLabel>),
    ExternRef(Option<u32>),
}

/// How a step ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Returned these values (for an instantiation: none).
    Values(Vec<Val>),
    /// Trapped, by class.
    Trap(TrapKind),
    /// Failed to link (§4.5.3); nothing happened.
    Link,
    /// An engine-specific limit was hit: stop comparing this engine.
    Poisoned(Poison),
    /// An engine error that the adapter maps to no class: a finding to look
    /// at (it agrees with nothing), never a poison.
    Unclassified(String),
}

/// Why a case stops being comparable: a limit that is the engine's (or the
/// model's) choice, not the semantics'.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Poison {
    /// The call stack ran out.
    StackExhausted,
    /// Fuel (or the model's step budget) ran out.
    OutOfFuel,
    /// A resource limiter refused a grow the semantics allowed.
    Limit(String),
    /// A limit refused a grow (what, named) and the run then returned
    /// `returned`: compared as that result where the script asserts it.
    Refused { what: String, returned: Vec<Val> },
    /// The engine does not support something the case uses.
    Unsupported(String),
}

/// A table, memory or global as observed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ObjectState {
    Table { elems: Vec<Val> },
    Memory { bytes: Vec<u8> },
    Global { mutable: bool, value: Val },
}

/// What kind of object a label names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Table,
    Memory,
    Global,
}

/// Everything observable after a step: every table, memory and global that
/// a successfully instantiated instance holds, once each, by origin.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Observation {
    pub objects: BTreeMap<(Kind, Origin), ObjectState>,
}

/// Which instances an observation reads: the objects they hold (defined or
/// imported). A step can change only what the code it runs can reach, so
/// the runner observes that after each step and everything at the end of a
/// script; observing every memory after every step would cost instances ×
/// memory size per step.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Scope {
    /// Every live instance.
    #[default]
    All,
    /// These instances and every instance numbered `since` or later (the
    /// ones the step creates).
    Held { instances: BTreeSet<InstNum>, since: InstNum },
}

impl Scope {
    /// Whether the objects instance `num` holds are in scope.
    pub fn holds(&self, num: InstNum) -> bool {
        match self {
            Scope::All => true,
            Scope::Held { instances, since } => num >= *since || instances.contains(&num),
        }
    }

    /// Both scopes.
    pub fn union(self, other: Scope) -> Scope {
        match (self, other) {
            (Scope::Held { mut instances, since }, Scope::Held { instances: more, since: s }) => {
                instances.extend(more);
                Scope::Held { instances, since: since.min(s) }
            }
            _ => Scope::All,
        }
    }
}

/// A call that wasm made to a host function of the `lockstep` module: a step
/// of its own, with what was observable when it was made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostCall {
    pub func: String,
    pub args: Vec<Val>,
    pub results: Vec<Val>,
    pub observation: Observation,
    /// Why it answered -1, for a person (`no module definition named
    /// "libx"`); not compared: the results are.
    pub why: Option<String>,
    /// The instance a `dlopen` made (also one whose instantiation then
    /// trapped) and the definition's name, for reports.
    pub opened: Option<(InstNum, String)>,
}

/// Why a module was not compiled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rejected {
    /// Malformed or invalid: engines do not tell the two apart reliably.
    Rejected(String),
    /// Malformed: the binary decoder refused it (§5). Only the reference
    /// tells the two apart, and `assert_malformed` requires this.
    Malformed(String),
    /// Invalid: the validator refused it (§3); what `assert_invalid` requires.
    Invalid(String),
    /// The engine does not support it (a poison, not a verdict).
    Unsupported(String),
}

/// An import, as the runner resolved it: an export of an instance, or a
/// host object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImportRef {
    Export {
        instance: InstNum,
        name: String,
    },
    /// `spectest.NAME` or `lockstep.NAME`.
    Host {
        module: String,
        name: String,
    },
}

/// The engines this build has, by name; the first is the reference.
pub const ALL: &[&str] = &["model", "wasmi", "wasmtime", "wasmtime-quick", "wasmtime-winch"];

/// The version of the engine a name runs, as this build links it (from
/// `Cargo.lock`, by `build.rs`; a `[patch]`ed build shows its source):
/// `model` is this crate's version.
pub fn version(name: &str) -> Option<&'static str> {
    match name {
        "model" => Some(env!("CARGO_PKG_VERSION")),
        "wasmi" => Some(env!("LOCKSTEP_VERSION_WASMI")),
        n if n.starts_with("wasmtime") => Some(env!("LOCKSTEP_VERSION_WASMTIME")),
        _ => None,
    }
}

/// `name VERSION` for each engine, for reports: `wasmi 2.0.0`.
pub fn versions(names: &[String]) -> Vec<String> {
    names.iter().map(|n| format!("{n} {}", version(n).unwrap_or("(no version)"))).collect()
}

// ANCHOR: make
/// A fresh engine by name, compiling through `cache`: a module compiled
/// before (by an engine of the same name and configuration made with a
/// clone of `cache`) is not compiled again. Everything else (store, fuel,
/// limits, host functions) is the new engine's own.
pub fn make_cached(name: &str, limits: crate::limits::Limits, cache: &ModuleCache) -> Result<Box<dyn Engine>, String> {
    match name {
        "model" => Ok(Box::new(model::ModelEngine::with_cache(limits, cache))),
        "wasmi" => Ok(Box::new(wasmi::WasmiEngine::with_cache(limits, cache))),
        name if let Some(&c) = wasmtime::Compiler::ALL.iter().find(|c| c.name() == name) => {
            Ok(Box::new(wasmtime::WasmtimeEngine::with_cache(limits, c, cache)))
        }
        // Engines wrong on purpose, for the harness's own tests.
        other if other.starts_with("faulty-") => match faulty::FaultyEngine::new(other, limits, cache) {
            Some(e) => Ok(Box::new(e)),
            None => Err(format!("no engine {other}")),
        },
        other => Err(format!("no engine {other} (engines: {})", ALL.join(", "))),
    }
}
// ANCHOR_END: make

/// A fresh engine by name that compiles every module afresh
/// ([`make_cached`] with a cache that keeps nothing).
pub fn make(name: &str, limits: crate::limits::Limits) -> Result<Box<dyn Engine>, String> {
    make_cached(name, limits, &ModuleCache::disabled())
}

/// A compiled module, by the engine's own numbering (in compile order).
pub type ModuleId = usize;

// ANCHOR: engine_trait
/// One engine: the model, wasmi, wasmtime. Adapters are thin: each keeps
/// its store, maps its errors to [`Outcome`] in one function, and labels
/// what it shows (see the module doc).
pub trait Engine {
    fn name(&self) -> &'static str;

    /// Decodes and validates `bytes`.
    fn compile(&mut self, bytes: &[u8]) -> Result<ModuleId, Rejected>;

    /// Makes a compiled module available to `lockstep.dlopen` under `name`.
    fn define(&mut self, name: &str, module: ModuleId);

    /// Instantiates a module with the given imports, in module import order.
    /// Returns the instance's number when instantiation got past linking
    /// (even if it then trapped), and the outcome.
    fn instantiate(&mut self, module: ModuleId, imports: &[ImportRef]) -> (Option<InstNum>, Outcome);

    /// Invokes an exported function.
    fn invoke(&mut self, instance: InstNum, export: &str, args: &[Val]) -> Outcome;

    /// Reads an exported global.
    fn get_global(&mut self, instance: InstNum, export: &str) -> Outcome;

    /// The objects in `scope` as they are now: every table, memory and
    /// global held by an instance in scope, once each, by origin.
    fn observe(&mut self, scope: &Scope) -> Observation;

    /// The scope that `lockstep` host calls observe in the operations that
    /// follow (a host call's observation is compared like a step's).
    fn set_scope(&mut self, scope: Scope);

    /// What an operation entering `from` can change, computed in this
    /// engine's store: [`Scope::All`] for an engine that cannot tell (only
    /// the reference is asked).
    fn reach(&self, from: &[InstNum]) -> Scope {
        let _ = from;
        Scope::All
    }

    /// The host calls made since the last call of this.
    fn take_host_calls(&mut self) -> Vec<HostCall>;

    /// Every NaN the engine has chosen in this script where the spec allows
    /// a set (§4.3.3 "NaN Propagation"), with the rule that allowed it. Only
    /// the reference can say; the comparison is bit-exact for every other
    /// value. Engines that cannot tell say `None`.
    fn chosen_nans(&self) -> Option<Vec<::model::exec::numerics::ChosenNan>> {
        None
    }
}
// ANCHOR_END: engine_trait

impl fmt::Display for FuncLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FuncLabel::Wasm { instance, index } => write!(f, "func {index} of instance #{instance}"),
            FuncLabel::Host(name) => write!(f, "host func {name}"),
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Instance { instance, index } => write!(f, "{index} of instance #{instance}"),
            Origin::Host(name) => write!(f, "host {name}"),
        }
    }
}

impl fmt::Display for Val {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Val::I32(x) => write!(f, "(i32.const {})", *x as i32),
            Val::I64(x) => write!(f, "(i64.const {})", *x as i64),
            Val::F32(x) => write!(f, "(f32.const {}) ;; 0x{x:08x}", f32::from_bits(*x)),
            Val::F64(x) => write!(f, "(f64.const {}) ;; 0x{x:016x}", f64::from_bits(*x)),
            Val::FuncRef(None) => f.write_str("(ref.null func)"),
            Val::FuncRef(Some(l)) => write!(f, "(ref.func {l})"),
            Val::ExternRef(None) => f.write_str("(ref.null extern)"),
            Val::ExternRef(Some(x)) => write!(f, "(ref.extern {x})"),
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Values(vals) if vals.is_empty() => f.write_str("returned nothing"),
            Outcome::Values(vals) => {
                f.write_str("returned")?;
                for v in vals {
                    write!(f, " {v}")?;
                }
                Ok(())
            }
            Outcome::Trap(k) => write!(f, "trapped: {}", k.message()),
            Outcome::Link => f.write_str("link error"),
            Outcome::Poisoned(p) => write!(f, "poisoned: {p}"),
            Outcome::Unclassified(e) => write!(f, "unclassified error: {e}"),
        }
    }
}

impl fmt::Display for Poison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Poison::StackExhausted => f.write_str("call stack exhausted"),
            Poison::OutOfFuel => f.write_str("fuel ran out"),
            Poison::Limit(what) | Poison::Refused { what, .. } => write!(f, "limit: {what}"),
            Poison::Unsupported(what) => write!(f, "unsupported: {what}"),
        }
    }
}

impl fmt::Display for Rejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rejected::Rejected(why) => write!(f, "rejected: {why}"),
            Rejected::Malformed(why) => write!(f, "malformed: {why}"),
            Rejected::Invalid(why) => write!(f, "invalid: {why}"),
            Rejected::Unsupported(why) => write!(f, "unsupported: {why}"),
        }
    }
}
