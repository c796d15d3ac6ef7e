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

/// The decisions behind every engine's resource limiter, written once: a
/// grow past the declared maximum is the semantics' refusal and is not
/// counted; a grow past [`Limits`] is the limit's, and is counted, so that
/// the -1 it causes poisons the case instead of being compared.
#[derive(Debug)]
pub struct Growth {
    pub limits: Limits,
    /// Grows refused by the limits (not by a declared maximum).
    pub refusals: u64,
}

impl Growth {
    pub fn new(limits: Limits) -> Growth {
        Growth { limits, refusals: 0 }
    }

    /// A memory growing to `desired` bytes.
    pub fn memory(&mut self, desired: usize, max: Option<usize>) -> bool {
        self.allow(desired, max, self.limits.memory_pages as usize * 65536)
    }

    /// A table growing to `desired` elements.
    pub fn table(&mut self, desired: usize, max: Option<usize>) -> bool {
        self.allow(desired, max, self.limits.table_elems as usize)
    }

    fn allow(&mut self, desired: usize, max: Option<usize>, cap: usize) -> bool {
        if max.is_some_and(|m| desired > m) {
            return false;
        }
        let ok = desired <= cap;
        self.refusals += u64::from(!ok);
        ok
    }
}
