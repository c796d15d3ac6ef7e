//! The limits every engine in a run gets, the same for all (DESIGN §5): a
//! refusal by a limit poisons the case; a refusal by the semantics (a
//! declared maximum) is compared.

/// Growth, depth and fuel limits.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Pages a memory may grow to.
    pub memory_pages: u32,
    /// Elements a table may grow to.
    pub table_elems: u32,
    /// Wasm call depth (engines count frames differently: exhaustion poisons).
    pub call_depth: usize,
    /// Fuel per top-level call (engines count it differently: running out poisons).
    pub fuel: u64,
}

impl Default for Limits {
    fn default() -> Self {
        // Small enough that an observation (which copies every memory) after
        // every step stays cheap; large enough for the official suite.
        Limits { memory_pages: 1024, table_elems: 100_000, call_depth: 5_000, fuel: 200_000_000 }
    }
}
