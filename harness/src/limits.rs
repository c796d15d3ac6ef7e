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

/// The decisions behind every engine's resource limiter, written once. The
/// limiter refuses only what lies beyond the spec's own bounds: a grow within
/// [`Limits`] is allowed even past the declared maximum, so that the engine's
/// own maximum check (which runs after the limiter in wasmi and wasmtime) is
/// what refuses it, and is compared. A grow past [`Limits`] is the limit's
/// refusal, counted, so that the -1 it causes poisons the case (named) instead
/// of being compared; past both the maximum and the limits, the semantics
/// refuse anyway and nothing is counted.
#[derive(Debug)]
pub struct Growth {
    pub limits: Limits,
    /// Grows refused by the limits (not by a declared maximum).
    pub refusals: u64,
    /// The last refusal, named: what grew, to what, past which limit.
    pub last_refusal: Option<String>,
}

impl Growth {
    pub fn new(limits: Limits) -> Growth {
        Growth { limits, refusals: 0, last_refusal: None }
    }

    /// A memory growing to `desired` bytes.
    pub fn memory(&mut self, desired: usize, max: Option<usize>) -> bool {
        let cap = self.limits.memory_pages as usize * 65536;
        self.allow(desired, max, cap, || {
            format!("memory growth to {} pages exceeds the limit of {} pages", desired / 65536, cap / 65536)
        })
    }

    /// A table growing to `desired` elements.
    pub fn table(&mut self, desired: usize, max: Option<usize>) -> bool {
        let cap = self.limits.table_elems as usize;
        self.allow(desired, max, cap, || format!("table growth to {desired} elements exceeds the limit of {cap}"))
    }

    /// The poison of the last refusal, named.
    pub fn poison(&self) -> crate::engine::Poison {
        crate::engine::Poison::Limit(self.what())
    }

    /// The poison of the last refusal, in a run that then returned `returned`.
    pub fn refused(&self, returned: Vec<crate::engine::Val>) -> crate::engine::Poison {
        crate::engine::Poison::Refused { what: self.what(), returned }
    }

    fn what(&self) -> String {
        self.last_refusal.clone().unwrap_or_else(|| "a growth limit".into())
    }

    fn allow(&mut self, desired: usize, max: Option<usize>, cap: usize, name: impl Fn() -> String) -> bool {
        if desired <= cap {
            return true;
        }
        // Beyond the limits: the limit's refusal, unless the maximum refuses too.
        if max.is_none_or(|m| desired <= m) {
            self.refusals += 1;
            self.last_refusal = Some(name());
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limiter_leaves_the_declared_maximum_to_the_engine() {
        let mut g = Growth::new(Limits { table_elems: 100, ..Limits::default() });
        // Past the maximum but within the limits: allowed, so the engine's
        // own maximum check must refuse it.
        assert!(g.table(10, Some(5)));
        assert_eq!(g.refusals, 0);
        // Past the limits: the limit's refusal, counted (a named poison).
        assert!(!g.table(101, None));
        assert_eq!(g.refusals, 1);
        // Past both: the semantics refuse anyway; not counted.
        assert!(!g.table(101, Some(50)));
        assert_eq!(g.refusals, 1);
    }
}
