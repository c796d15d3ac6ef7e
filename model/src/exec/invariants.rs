//! Invariants that hold *across* every step, checked on demand (property
//! tests turn them on with [`crate::runtime::Store::check_invariants`]):
//! the store only grows (§4.2.3: allocation appends, nothing is removed; the
//! appendix's "store extension", §A.5); tables and memories never shrink
//! (§4.5.3: grow only adds), and memories stay whole pages. A broken one is a
//! model bug, and panics as one.
//!
//! What must hold of each single store and configuration (every function
//! reference points to an allocated function, every address a module
//! instance holds is allocated, values have their types, the thread is typed
//! by the code it runs) is the typing judgement of [`crate::exec::typing`],
//! checked alongside.

use crate::runtime::Store;

/// What the invariants compare across a step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shape {
    lengths: [usize; 7],
    tables: Vec<usize>,
    mems: Vec<usize>,
}

impl Shape {
    pub fn of(s: &Store) -> Shape {
        let mut shape = Shape { lengths: [0; 7], tables: Vec::new(), mems: Vec::new() };
        shape.record(s);
        shape
    }

    /// Becomes the shape of `s`, reusing its vectors.
    fn record(&mut self, s: &Store) {
        self.lengths = lengths(s);
        self.tables.clear();
        self.tables.extend(s.tables.iter().map(|t| t.elem.len()));
        self.mems.clear();
        self.mems.extend(s.mems.iter().map(|m| m.data.len()));
    }

    /// Checks the store after a step against this shape (the store's before
    /// it), then becomes the store's shape: [`check`] without allocating.
    pub fn advance(&mut self, s: &Store) {
        compare(self, s);
        self.record(s);
    }
}

fn lengths(s: &Store) -> [usize; 7] {
    [s.funcs.len(), s.tables.len(), s.mems.len(), s.globals.len(), s.elems.len(), s.datas.len(), s.modules.len()]
}

/// Checks the store after a step against its shape before it.
pub fn check(before: &Shape, s: &Store) {
    compare(before, s);
}

fn compare(before: &Shape, s: &Store) {
    for (kind, (b, a)) in ["funcs", "tables", "mems", "globals", "elems", "datas", "modules"]
        .iter()
        .zip(before.lengths.iter().zip(&lengths(s)))
    {
        assert!(a >= b, "model bug: the store's {kind} shrank from {b} to {a}");
    }
    for (i, (b, t)) in before.tables.iter().zip(&s.tables).enumerate() {
        let a = t.elem.len();
        assert!(a >= *b, "model bug: table {i} shrank from {b} to {a}");
    }
    for (i, (b, m)) in before.mems.iter().zip(&s.mems).enumerate() {
        let a = m.data.len();
        assert!(a >= *b, "model bug: memory {i} shrank from {b} to {a} bytes");
        assert!(a % crate::runtime::PAGE_SIZE == 0, "model bug: memory {i} is not whole pages");
    }
}
