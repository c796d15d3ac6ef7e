//! The comparison, in one place: outcomes, values, observations and host
//! calls of an engine against the reference. Every way in which engines may
//! legitimately differ is listed, with its reason, in
//! `corpus/legitimate-differences.md`, and accounted for here or in an
//! adapter's error mapping; nothing else is forgiven.
//!
//! Every difference is a [`Diff`]: the object that differs, what each side
//! shows, and a *signature* that names the object and the kind of
//! difference but no values, so that a known engine bug can be excused by
//! exactly the difference it makes (`corpus/findings/known.txt`).

use std::fmt::Write;

use serde::{Deserialize, Serialize};

use model::exec::numerics::ChosenNan;
use model::runtime::{NanClass, nan_class_f32, nan_class_f64};

use crate::engine::{HostCall, Kind, ObjectState, Observation, Origin, Outcome, TrapKind, Val};

/// One object that differs between an engine and the reference at a step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diff {
    /// The object, for a person: `the outcome`, `table 0 of instance #1 ($side)`,
    /// `host call 0 (lockstep.dlopen)`.
    pub object: String,
    /// The object and the kind of difference, without values or script
    /// names: `outcome:returned/trap(unreachable)`, `table:#1.0:slots`,
    /// `crash`. What known findings and campaign triage match on.
    pub signature: String,
    /// What the reference shows.
    pub reference: String,
    /// What the engine shows.
    pub engine: String,
}

/// How exactly floats must agree (§4.3.3 "NaN Propagation",
/// legitimate-differences.md "NaN payloads"). The spec fixes every float
/// value bit for bit except a NaN produced by an arithmetic rule, which is
/// chosen from a set: the canonical NaNs (either sign) when every NaN operand
/// is canonical, else every arithmetic NaN. The reference records each NaN it
/// chose and the rule ([`crate::engine::Engine::chosen_nans`]), so a value
/// is compared bit for bit unless the reference's bits are one it chose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Floats {
    /// Every bit must agree, NaNs included.
    Exact,
    /// The NaNs the reference chose: where the reference shows one of these,
    /// the engine's value must be in the same set; elsewhere, bit for bit.
    Chosen(Vec<ChosenNan>),
    /// The reference cannot say: any arithmetic NaN agrees with a NaN.
    Any,
}

impl Floats {
    /// From what the reference says it chose (none: [`Floats::Any`]).
    pub fn from_choices(chosen: Option<Vec<ChosenNan>>) -> Floats {
        match chosen {
            None => Floats::Any,
            Some(c) if c.is_empty() => Floats::Exact,
            Some(c) => Floats::Chosen(c),
        }
    }

    /// Whether the engine's `other` may stand for the reference's NaN `bits`.
    fn allows(&self, bits: u64, f64: bool, other: Option<NanClass>) -> bool {
        let arithmetic = matches!(other, Some(NanClass::Canonical | NanClass::Arithmetic));
        match self {
            Floats::Exact => false,
            Floats::Any => arithmetic,
            // `neg`, `abs` and `copysign` of a chosen NaN give another member
            // of the same set (both sets are closed under the sign): match
            // without the sign bit.
            Floats::Chosen(chosen) => {
                match chosen.iter().find(|c| c.f64 == f64 && unsigned(c.bits, f64) == unsigned(bits, f64)) {
                    Some(c) if c.canonical => other == Some(NanClass::Canonical),
                    Some(_) => arithmetic,
                    None => false,
                }
            }
        }
    }
}

/// The bits of an `f32` (in the low 32) or `f64` without the sign bit.
fn unsigned(bits: u64, f64: bool) -> u64 {
    bits & if f64 { !(1 << 63) } else { !(1 << 31) }
}

/// Whether two values agree under `floats`.
pub fn vals_agree(a: &Val, b: &Val, floats: &Floats) -> bool {
    match (a, b) {
        (Val::F32(x), Val::F32(y)) => {
            x == y || (nan_class_f32(*x).is_some() && floats.allows(u64::from(*x), false, nan_class_f32(*y)))
        }
        (Val::F64(x), Val::F64(y)) => {
            x == y || (nan_class_f64(*x).is_some() && floats.allows(*x, true, nan_class_f64(*y)))
        }
        _ => a == b,
    }
}

/// Whether two engines' trap classes agree (legitimate-differences.md,
/// "`call_indirect` past the end of the table").
pub fn trap_classes_agree(a: TrapKind, b: TrapKind) -> bool {
    let class = |k| match k {
        TrapKind::UndefinedElement => TrapKind::OutOfBoundsTableAccess,
        k => k,
    };
    class(a) == class(b)
}

fn all_agree(a: &[Val], b: &[Val], floats: &Floats) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| vals_agree(x, y, floats))
}

/// The kind of an outcome, for signatures (one word, no spaces):
/// `returned`, `trap(<class>)` as in `trap(out-of-bounds-memory-access)`,
/// `link`, `unclassified`, `poisoned`.
pub fn outcome_kind(o: &Outcome) -> String {
    match o {
        Outcome::Values(_) => "returned".into(),
        Outcome::Trap(k) => format!("trap({})", k.message().replace(' ', "-")),
        Outcome::Link => "link".into(),
        Outcome::Unclassified(_) => "unclassified".into(),
        Outcome::Poisoned(_) => "poisoned".into(),
    }
}

/// How `other`'s outcome differs from `reference`'s, if it does. An
/// unclassified engine error agrees with nothing.
pub fn outcomes(reference: &Outcome, other: &Outcome, floats: &Floats) -> Option<Diff> {
    let agree = match (reference, other) {
        (Outcome::Values(a), Outcome::Values(b)) => all_agree(a, b, floats),
        (Outcome::Trap(a), Outcome::Trap(b)) => trap_classes_agree(*a, *b),
        (Outcome::Unclassified(_), _) | (_, Outcome::Unclassified(_)) => false,
        (a, b) => a == b,
    };
    (!agree).then(|| Diff {
        object: "the outcome".into(),
        signature: format!("outcome:{}/{}", outcome_kind(reference), outcome_kind(other)),
        reference: reference.to_string(),
        engine: other.to_string(),
    })
}

/// Every object that differs between two observations, each with its slots
/// or byte ranges (the first few) on both sides.
pub fn observations(
    reference: &Observation,
    other: &Observation,
    names: &dyn Fn(&Origin) -> String,
    floats: &Floats,
) -> Vec<Diff> {
    let mut diffs = Vec::new();
    let sig = |kind: Kind, origin: &Origin, aspect: &str| format!("{}:{aspect}", object_signature(kind, origin));
    for ((kind, origin), a) in &reference.objects {
        let object = format!("{} {}", kind_name(*kind), names(origin));
        match other.objects.get(&(*kind, origin.clone())) {
            None => diffs.push(Diff {
                signature: sig(*kind, origin, "missing"),
                object,
                reference: "present".into(),
                engine: "absent".into(),
            }),
            Some(b) => {
                if let Some((aspect, reference, engine)) = object_diff(a, b, floats) {
                    diffs.push(Diff { signature: sig(*kind, origin, aspect), object, reference, engine });
                }
            }
        }
    }
    for (kind, origin) in other.objects.keys() {
        if !reference.objects.contains_key(&(*kind, origin.clone())) {
            diffs.push(Diff {
                object: format!("{} {}", kind_name(*kind), names(origin)),
                signature: sig(*kind, origin, "extra"),
                reference: "absent".into(),
                engine: "present".into(),
            });
        }
    }
    diffs
}

/// An object without script names: `table:#1.0`, `memory:host:spectest.memory`;
/// the signature of a difference in it is this, `:`, and the aspect.
pub fn object_signature(kind: Kind, origin: &Origin) -> String {
    format!("{}:{}", kind_name(kind), origin_sig(origin))
}

/// An origin without script names: `#1.0`, `host:spectest.table`.
fn origin_sig(o: &Origin) -> String {
    match o {
        Origin::Instance { instance, index } => format!("#{instance}.{index}"),
        Origin::Host(name) => format!("host:{name}"),
    }
}

fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::Table => "table",
        Kind::Memory => "memory",
        Kind::Global => "global",
    }
}

/// How many slots or byte ranges of one object a report shows.
const SHOWN: usize = 4;

/// How `b` differs from `a`: the aspect (`length`, `slots`, `pages`,
/// `bytes`, `value`, `mutability`, `kind`) and each side, described.
fn object_diff(a: &ObjectState, b: &ObjectState, floats: &Floats) -> Option<(&'static str, String, String)> {
    match (a, b) {
        (ObjectState::Table { elems: x }, ObjectState::Table { elems: y }) => {
            if x.len() != y.len() {
                return Some(("length", format!("length {}", x.len()), format!("length {}", y.len())));
            }
            let slots: Vec<usize> = (0..x.len()).filter(|&i| !vals_agree(&x[i], &y[i], floats)).collect();
            (!slots.is_empty()).then(|| {
                let show = |t: &[Val]| {
                    let mut s: Vec<String> = slots.iter().take(SHOWN).map(|&i| format!("slot {i} {}", t[i])).collect();
                    if slots.len() > SHOWN {
                        s.push(format!("… {} more slots differ", slots.len() - SHOWN));
                    }
                    s.join("; ")
                };
                ("slots", show(x), show(y))
            })
        }
        (ObjectState::Memory { bytes: x }, ObjectState::Memory { bytes: y }) => {
            if x.len() != y.len() {
                return Some(("pages", format!("{} pages", x.len() / 65536), format!("{} pages", y.len() / 65536)));
            }
            let ranges = differing_ranges(x, y);
            (!ranges.is_empty()).then(|| {
                let show = |m: &[u8]| {
                    let mut s: Vec<String> = ranges
                        .iter()
                        .take(SHOWN)
                        .map(|&(lo, hi)| format!("[{lo:#x}, {hi:#x}) = {}", hex(&m[lo..hi.min(lo + 16)])))
                        .collect();
                    if ranges.len() > SHOWN {
                        s.push(format!("… {} more ranges differ", ranges.len() - SHOWN));
                    }
                    s.join("; ")
                };
                ("bytes", show(x), show(y))
            })
        }
        (ObjectState::Global { mutable: m1, value: v1 }, ObjectState::Global { mutable: m2, value: v2 }) => {
            if m1 != m2 {
                let m = |m: &bool| if *m { "mutable" } else { "immutable" }.to_string();
                Some(("mutability", m(m1), m(m2)))
            } else {
                (!vals_agree(v1, v2, floats)).then(|| ("value", v1.to_string(), v2.to_string()))
            }
        }
        _ => {
            let kind = |o: &ObjectState| match o {
                ObjectState::Table { .. } => "a table",
                ObjectState::Memory { .. } => "a memory",
                ObjectState::Global { .. } => "a global",
            };
            Some(("kind", kind(a).to_string(), kind(b).to_string()))
        }
    }
}

/// Maximal ranges `[lo, hi)` where two equally long byte strings differ.
pub fn differing_ranges(x: &[u8], y: &[u8]) -> Vec<(usize, usize)> {
    let mut ranges = Vec::new();
    let mut i = 0;
    // Compare in chunks first: memories are large and mostly equal.
    while i < x.len() {
        let end = (i + 4096).min(x.len());
        if x[i..end] == y[i..end] {
            i = end;
            continue;
        }
        while i < end {
            if x[i] != y[i] {
                let lo = i;
                while i < x.len() && x[i] != y[i] {
                    i += 1;
                }
                ranges.push((lo, i));
            } else {
                i += 1;
            }
        }
    }
    ranges
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect::<Vec<_>>().join(" ")
}

/// How two sequences of host calls differ: at the first call that does,
/// every difference of that call (its function and arguments, the state it
/// saw, its results); or the number of calls.
pub fn host_calls(
    reference: &[HostCall],
    other: &[HostCall],
    names: &dyn Fn(&Origin) -> String,
    floats: &Floats,
) -> Vec<Diff> {
    let show =
        |c: &HostCall| format!("{}({})", c.func, c.args.iter().map(Val::to_string).collect::<Vec<_>>().join(" "));
    for (i, (a, b)) in reference.iter().zip(other).enumerate() {
        let at = format!("host call {i} ({})", a.func);
        let mut diffs = Vec::new();
        if a.func != b.func || !all_agree(&a.args, &b.args, floats) {
            diffs.push(Diff {
                object: at.clone(),
                signature: format!("host-call:{}:call", a.func),
                reference: show(a),
                engine: show(b),
            });
        } else {
            for d in observations(&a.observation, &b.observation, names, floats) {
                diffs.push(Diff {
                    object: format!("at {at}: {}", d.object),
                    signature: format!("host-call:{}:{}", a.func, d.signature),
                    ..d
                });
            }
            if !all_agree(&a.results, &b.results, floats) {
                // With why it answered -1, which is not compared: the results are.
                let vals = |c: &HostCall| {
                    let vals = c.results.iter().map(Val::to_string).collect::<Vec<_>>().join(" ");
                    match &c.why {
                        Some(why) => format!("{vals} ({why})"),
                        None => vals,
                    }
                };
                diffs.push(Diff {
                    object: format!("{at}: its results"),
                    signature: format!("host-call:{}:results", a.func),
                    reference: vals(a),
                    engine: vals(b),
                });
            }
        }
        if !diffs.is_empty() {
            return diffs;
        }
    }
    if reference.len() == other.len() {
        return vec![];
    }
    let list = |c: &[HostCall]| format!("{} calls: {}", c.len(), c.iter().map(show).collect::<Vec<_>>().join(", "));
    vec![Diff {
        object: "the host calls".into(),
        signature: "host-call:count".into(),
        reference: list(reference),
        engine: list(other),
    }]
}

/// A divergence's differences as text, each object with both sides.
pub fn describe(diffs: &[Diff], reference: &str, engine: &str) -> String {
    let width = reference.len().max(engine.len()) + 1;
    let mut out = String::new();
    for d in diffs {
        let _ = writeln!(out, "{}:", d.object);
        let _ = writeln!(out, "  {:<width$} {}", format!("{reference}:"), d.reference);
        let _ = writeln!(out, "  {:<width$} {}", format!("{engine}:"), d.engine);
    }
    out
}
