//! Invariants that every step keeps, checked on demand (property tests turn
//! them on with [`crate::runtime::Store::check_invariants`]): the store only
//! grows (§4.2.3: allocation appends, nothing is removed); tables and
//! memories never shrink (§4.5.3: grow only adds); every function reference
//! in a table, segment or global points to an allocated function; every
//! address a module instance holds is allocated. A broken one is a model
//! bug, and panics as one.

use crate::runtime::{Ref, Store, Value};

/// What the invariants compare across a step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shape {
    lengths: [usize; 7],
    tables: Vec<usize>,
    mems: Vec<usize>,
}

impl Shape {
    pub fn of(s: &Store) -> Shape {
        Shape {
            lengths: [
                s.funcs.len(),
                s.tables.len(),
                s.mems.len(),
                s.globals.len(),
                s.elems.len(),
                s.datas.len(),
                s.modules.len(),
            ],
            tables: s.tables.iter().map(|t| t.elem.len()).collect(),
            mems: s.mems.iter().map(|m| m.data.len()).collect(),
        }
    }
}

/// Checks the store after a step against its shape before it.
pub fn check(before: &Shape, s: &Store) {
    let after = Shape::of(s);
    for (kind, (b, a)) in ["funcs", "tables", "mems", "globals", "elems", "datas", "modules"]
        .iter()
        .zip(before.lengths.iter().zip(&after.lengths))
    {
        assert!(a >= b, "model bug: the store's {kind} shrank from {b} to {a}");
    }
    for (i, (b, a)) in before.tables.iter().zip(&after.tables).enumerate() {
        assert!(a >= b, "model bug: table {i} shrank from {b} to {a}");
    }
    for (i, (b, a)) in before.mems.iter().zip(&after.mems).enumerate() {
        assert!(a >= b, "model bug: memory {i} shrank from {b} to {a} bytes");
        assert!(a % crate::runtime::PAGE_SIZE == 0, "model bug: memory {i} is not whole pages");
    }
    let allocated = |r: &Ref| match r {
        Ref::Func(f) => (f.0 as usize) < s.funcs.len(),
        _ => true,
    };
    for (i, t) in s.tables.iter().enumerate() {
        assert!(t.elem.iter().all(allocated), "model bug: table {i} holds an unallocated function");
        assert!(
            t.elem.len() as u64 <= t.ty.limits.max.map_or(u64::from(u32::MAX), u64::from),
            "model bug: table {i} past its max"
        );
    }
    for (i, e) in s.elems.iter().enumerate() {
        assert!(e.elem.iter().all(allocated), "model bug: element segment {i} holds an unallocated function");
    }
    for (i, g) in s.globals.iter().enumerate() {
        if let Value::Ref(r) = &g.value {
            assert!(allocated(r), "model bug: global {i} holds an unallocated function");
        }
    }
    for (i, m) in s.modules.iter().enumerate() {
        let ok = m.funcaddrs.iter().all(|a| (a.0 as usize) < s.funcs.len())
            && m.tableaddrs.iter().all(|a| (a.0 as usize) < s.tables.len())
            && m.memaddrs.iter().all(|a| (a.0 as usize) < s.mems.len())
            && m.globaladdrs.iter().all(|a| (a.0 as usize) < s.globals.len());
        assert!(ok, "model bug: module instance {i} holds an unallocated address");
    }
}
