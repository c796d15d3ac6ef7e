//! Engines that are wrong on purpose: the model with one fault injected.
//! They exist to show that the comparison and the isolation can fail (the
//! tests run them); no user run should name them.

use super::model::ModelEngine;
use super::{
    Engine, HostCall, ImportRef, InstNum, ModuleCache, ModuleId, ObjectState, Observation, Outcome, Rejected, Scope,
    Val,
};
use crate::limits::Limits;

/// What goes wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Shows the first non-null table slot as null: a table write dropped.
    DropTableWrite,
    /// Returns every i32 result plus one.
    WrongResult,
    /// Aborts the process at the first invocation.
    Abort,
    /// Panics at the first invocation.
    Panic,
    /// Never returns from the first invocation.
    Hang,
    /// Returns a wrong i32 at the first invocation, aborts at the second:
    /// a divergence that a later crash of the same engine must not hide.
    WrongThenAbort,
    /// Flips a low payload bit of every NaN result (a NaN the spec fixes
    /// bit for bit, through a move, must then differ; an arithmetic NaN the
    /// reference chose may).
    NanPayload,
    /// Its instantiations all fail to link: the others must go on.
    LinkError,
    /// From its first invocation of an instance other than `#0` on, shows
    /// byte 0 of `#0`'s memory 0 as 0xff: a write that no code of the step
    /// could reach (a step observes only its reach; the end of the script
    /// observes everything).
    WildWrite,
    /// Right, but takes 600 ms per invocation: time limits are per step,
    /// and a step that only all engines together make slow is no engine's hang.
    Slow,
    /// Shows every mutable global that holds a nonzero i32 as 0: a global
    /// write dropped.
    StaleGlobal,
}

/// The faulty engines, by name.
pub const NAMES: &[(&str, Fault)] = &[
    ("faulty-drop-table-write", Fault::DropTableWrite),
    ("faulty-wrong-result", Fault::WrongResult),
    ("faulty-abort", Fault::Abort),
    ("faulty-panic", Fault::Panic),
    ("faulty-hang", Fault::Hang),
    ("faulty-wrong-then-abort", Fault::WrongThenAbort),
    ("faulty-nan-payload", Fault::NanPayload),
    ("faulty-link-error", Fault::LinkError),
    ("faulty-wild-write", Fault::WildWrite),
    ("faulty-slow", Fault::Slow),
    ("faulty-stale-global", Fault::StaleGlobal),
];

pub struct FaultyEngine {
    inner: ModelEngine,
    fault: Fault,
    name: &'static str,
    invocations: usize,
    /// Whether the wild write has happened.
    wild: bool,
}

impl FaultyEngine {
    /// The faulty engine named `name`; its modules are the model's, from `cache`.
    pub fn new(name: &str, limits: Limits, cache: &ModuleCache) -> Option<FaultyEngine> {
        let &(name, fault) = NAMES.iter().find(|(n, _)| *n == name)?;
        Some(FaultyEngine { inner: ModelEngine::with_cache(limits, cache), fault, name, invocations: 0, wild: false })
    }
}

impl Engine for FaultyEngine {
    fn name(&self) -> &'static str {
        self.name
    }

    fn compile(&mut self, bytes: &[u8]) -> Result<ModuleId, Rejected> {
        self.inner.compile(bytes)
    }

    fn define(&mut self, name: &str, module: ModuleId) {
        self.inner.define(name, module)
    }

    fn instantiate(&mut self, module: ModuleId, imports: &[ImportRef]) -> (Option<InstNum>, Outcome) {
        if self.fault == Fault::LinkError {
            return (None, Outcome::Link);
        }
        self.inner.instantiate(module, imports)
    }

    fn invoke(&mut self, instance: InstNum, export: &str, args: &[Val]) -> Outcome {
        self.invocations += 1;
        self.wild |= self.fault == Fault::WildWrite && instance != 0;
        match self.fault {
            Fault::Abort => std::process::abort(),
            Fault::WrongThenAbort if self.invocations > 1 => std::process::abort(),
            Fault::Panic => panic!("faulty engine: a deliberate panic"),
            Fault::Hang => loop {
                std::thread::park();
            },
            Fault::Slow => std::thread::sleep(std::time::Duration::from_millis(600)),
            _ => {}
        }
        match self.inner.invoke(instance, export, args) {
            Outcome::Values(vals) if self.fault == Fault::NanPayload => Outcome::Values(
                vals.into_iter()
                    .map(|v| match v {
                        // The lowest payload bit, or the next if that one was all of it.
                        Val::F32(x) if f32::from_bits(x).is_nan() => {
                            Val::F32(if f32::from_bits(x ^ 1).is_nan() { x ^ 1 } else { x ^ 2 })
                        }
                        Val::F64(x) if f64::from_bits(x).is_nan() => {
                            Val::F64(if f64::from_bits(x ^ 1).is_nan() { x ^ 1 } else { x ^ 2 })
                        }
                        v => v,
                    })
                    .collect(),
            ),
            Outcome::Values(vals) if matches!(self.fault, Fault::WrongResult | Fault::WrongThenAbort) => {
                Outcome::Values(
                    vals.into_iter()
                        .map(|v| match v {
                            Val::I32(x) => Val::I32(x.wrapping_add(1)),
                            v => v,
                        })
                        .collect(),
                )
            }
            other => other,
        }
    }

    fn get_global(&mut self, instance: InstNum, export: &str) -> Outcome {
        self.inner.get_global(instance, export)
    }

    fn set_scope(&mut self, scope: Scope) {
        self.inner.set_scope(scope)
    }

    fn reach(&self, from: &[InstNum]) -> Scope {
        self.inner.reach(from)
    }

    fn observe(&mut self, scope: &Scope) -> Observation {
        let mut obs = self.inner.observe(scope);
        let first = (super::Kind::Memory, super::Origin::Instance { instance: 0, index: 0 });
        if self.fault == Fault::StaleGlobal {
            for o in obs.objects.values_mut() {
                if let ObjectState::Global { mutable: true, value: v @ Val::I32(1..) } = o {
                    *v = Val::I32(0);
                }
            }
        }
        if self.wild
            && let Some(ObjectState::Memory { bytes }) = obs.objects.get_mut(&first)
            && let Some(b) = bytes.first_mut()
        {
            *b = 0xff;
        }
        if self.fault == Fault::DropTableWrite {
            let slot = obs.objects.values_mut().find_map(|o| match o {
                ObjectState::Table { elems } => elems.iter_mut().find(|v| matches!(v, Val::FuncRef(Some(_)))),
                _ => None,
            });
            if let Some(v) = slot {
                *v = Val::FuncRef(None);
            }
        }
        obs
    }

    fn take_host_calls(&mut self) -> Vec<HostCall> {
        self.inner.take_host_calls()
    }
}
