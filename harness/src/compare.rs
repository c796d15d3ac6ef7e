//! The comparison, in one place: outcomes, values, observations and host
//! calls of an engine against the reference. Every way in which engines may
//! legitimately differ is listed, with its reason, in
//! `corpus/legitimate-differences.md`, and accounted for here or in an
//! adapter's error mapping; nothing else is forgiven.

use std::fmt::Write;

use model::runtime::{NanClass, nan_class_f32, nan_class_f64};

use crate::engine::{HostCall, Kind, ObjectState, Observation, Origin, Outcome, TrapKind, Val};

/// Whether two values agree: bit for bit, except that two quiet NaNs agree
/// (legitimate-differences.md, "NaN payloads").
pub fn vals_agree(a: &Val, b: &Val) -> bool {
    let quiet = |c: Option<NanClass>| matches!(c, Some(NanClass::Canonical | NanClass::Arithmetic));
    match (a, b) {
        (Val::F32(x), Val::F32(y)) => x == y || (quiet(nan_class_f32(*x)) && quiet(nan_class_f32(*y))),
        (Val::F64(x), Val::F64(y)) => x == y || (quiet(nan_class_f64(*x)) && quiet(nan_class_f64(*y))),
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

fn all_agree(a: &[Val], b: &[Val]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| vals_agree(x, y))
}

/// How `other` differs from `reference`, if it does.
pub fn outcomes(reference: &Outcome, other: &Outcome) -> Option<String> {
    let agree = match (reference, other) {
        (Outcome::Values(a), Outcome::Values(b)) => all_agree(a, b),
        (Outcome::Trap(a), Outcome::Trap(b)) => trap_classes_agree(*a, *b),
        (a, b) => a == b,
    };
    (!agree).then(|| format!("{reference}  vs  {other}"))
}

/// How two observations differ: the first few differences, each naming the
/// object (`table 0 of instance #1`), the slot or byte range, and both sides.
pub fn observations(reference: &Observation, other: &Observation, names: &dyn Fn(&Origin) -> String) -> Option<String> {
    let mut out = String::new();
    let mut n = 0;
    let mut note = |s: String| {
        n += 1;
        if n <= 8 {
            let _ = writeln!(out, "  {s}");
        }
    };
    for ((kind, origin), a) in &reference.objects {
        let what = format!("{} {}", kind_name(*kind), names(origin));
        match other.objects.get(&(*kind, origin.clone())) {
            None => note(format!("{what}: present in the reference only")),
            Some(b) => {
                if let Some(d) = object(a, b) {
                    note(format!("{what}: {d}"));
                }
            }
        }
    }
    for (kind, origin) in other.objects.keys() {
        if !reference.objects.contains_key(&(*kind, origin.clone())) {
            note(format!("{} {}: present in this engine only", kind_name(*kind), names(origin)));
        }
    }
    if n > 8 {
        let _ = writeln!(out, "  … and {} more differences", n - 8);
    }
    (n > 0).then_some(out)
}

fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::Table => "table",
        Kind::Memory => "memory",
        Kind::Global => "global",
    }
}

fn object(a: &ObjectState, b: &ObjectState) -> Option<String> {
    match (a, b) {
        (ObjectState::Table { elems: x }, ObjectState::Table { elems: y }) => {
            if x.len() != y.len() {
                return Some(format!("length {} vs {}", x.len(), y.len()));
            }
            let slots: Vec<String> = x
                .iter()
                .zip(y)
                .enumerate()
                .filter(|(_, (p, q))| !vals_agree(p, q))
                .take(4)
                .map(|(i, (p, q))| format!("slot {i}: {p} vs {q}"))
                .collect();
            (!slots.is_empty()).then(|| slots.join("; "))
        }
        (ObjectState::Memory { bytes: x }, ObjectState::Memory { bytes: y }) => {
            if x.len() != y.len() {
                return Some(format!("{} pages vs {}", x.len() / 65536, y.len() / 65536));
            }
            let ranges = differing_ranges(x, y);
            (!ranges.is_empty()).then(|| {
                ranges
                    .iter()
                    .take(3)
                    .map(|&(lo, hi)| {
                        let shown = hi.min(lo + 16);
                        format!("bytes [{lo:#x}, {hi:#x}): {} vs {}", hex(&x[lo..shown]), hex(&y[lo..shown]))
                    })
                    .collect::<Vec<_>>()
                    .join("; ")
            })
        }
        (ObjectState::Global { mutable: m1, value: v1 }, ObjectState::Global { mutable: m2, value: v2 }) => {
            if m1 != m2 {
                Some(format!("mutability {m1} vs {m2}"))
            } else {
                (!vals_agree(v1, v2)).then(|| format!("{v1} vs {v2}"))
            }
        }
        _ => Some("different kinds of object".into()),
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

/// How two sequences of host calls differ: the first call that does.
pub fn host_calls(reference: &[HostCall], other: &[HostCall], names: &dyn Fn(&Origin) -> String) -> Option<String> {
    for (i, (a, b)) in reference.iter().zip(other).enumerate() {
        if a.func != b.func || !all_agree(&a.args, &b.args) {
            return Some(format!("host call {i}: {}{:?} vs {}{:?}", a.func, a.args, b.func, b.args));
        }
        if let Some(d) = observations(&a.observation, &b.observation, names) {
            return Some(format!("at host call {i} ({}), the state differs:\n{d}", a.func));
        }
        if !all_agree(&a.results, &b.results) {
            return Some(format!("host call {i} ({}) returned {:?} vs {:?}", a.func, a.results, b.results));
        }
    }
    (reference.len() != other.len()).then(|| format!("{} host calls vs {}", reference.len(), other.len()))
}
