//! Generators of dynamic-linking scenarios. A generated scenario *is* a
//! `.wast` script (text modules, so reports speak WAT), so that every case
//! can be run, saved, replayed and minimised like a hand-written scenario.
//!
//! - [`scenario`]: a main module (memory, a funcref table with or without a
//!   max, exported globals and functions, the `lockstep` linker imported),
//!   side modules as `(module definition $sideN …)`, and a sequence of steps
//!   that interleaves calls into main, side instantiation by the script and
//!   by `dlopen`, `dlsym` and `dlclose`, table and memory operations on the
//!   shared table and memory from main or a side, segments at imported-global
//!   offsets, instantiations that fail part-way followed by calls into what
//!   they left behind, link errors, `call_indirect` at the right and the
//!   wrong type, JIT patches, and (with `Config::floats`) float globals
//!   and float functions that move NaN payloads across instances. The
//!   generator predicts every outcome it
//!   asserts from its own abstract state (`state.rs`); where a value depends
//!   on state it does not track it emits a plain `invoke` of a call that
//!   cannot trap, and the runner compares engines.
//!   Modules vary as real ones do (`wat.rs`): type sections in an order
//!   of their own with duplicate and unused types, imports and globals in
//!   any order, tables defined beside imported ones (main's `aux` and a
//!   private one, sides' own) and `table.copy` between them, every Wasm 2.0
//!   form of constant expression in offsets, element items and global
//!   initialisers (`global.get` of main's funcref globals: how a GOT.func
//!   entry reaches a table), host functions in tables called indirectly,
//!   memory accessed at addresses computed after calls into other
//!   instances, and main using, after `dlopen` returns, the pages and slots
//!   the side's start added.
//! - [`smith_pair`]: a wasm-smith main that exports a memory and a table,
//!   and a wasm-smith side generated against main's exports, loaded by
//!   dlopen; only invocations, whose outcomes the runner compares.
//!
//! Both draw most side modules from a [`Pool`] of libraries, so that a
//! campaign compiles each library once per worker and spends its time
//! instantiating, running and comparing (`pool.rs` says why the pool is a
//! function of the seed and the case's epoch, never of earlier cases).
//!
//! Both are driven by `arbitrary`'s [`Unstructured`]: the same bytes give
//! the same scenario. Every function terminates (loops are bounded by a
//! counter in the wasm; wasm-smith's by its fuel global). A NaN whose
//! payload an engine may choose (§4.3.3) never reaches memory: wasm-smith
//! canonicalises NaNs; the scenario generator (`float.rs`) only returns
//! such a NaN from the step that chose it, or writes it to a global that is
//! read back canonicalised and then overwritten, and canonicalises it before a store or a
//! reinterpretation. NaNs that no arithmetic chose move everywhere, and
//! their bits are asserted exactly.
//!
//! Not generated: SIMD, anything past Wasm 2.0, a side that dlopens
//! another, the Emscripten `dylink.0` conventions; in [`scenario`], float
//! parameters other than one `f64`, float loads, and conversions between
//! floats and integers other than reinterpretation.
//!
//! `gen` is a reserved word in Rust 2024: the module is `lockstep::r#gen`.

mod config;
mod events;
mod float;
mod pool;
mod sides;
mod smith;
mod state;
mod steps;
mod wat;

use arbitrary::{Result, Unstructured};

pub use config::{Config, MaxPresence, StepKind};
pub use events::Events;
pub use pool::Pool;
pub use smith::{PairConfig, smith_pair, smith_pair_in};

/// A generated scenario: directives that set it up (module definitions,
/// main, `register`), then the steps.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// The generator that made it (named in the script's first line).
    origin: String,
    setup: Vec<String>,
    steps: Vec<Step>,
    events: Events,
}

/// One step: a directive (sometimes a call that follows up on the step
/// before, counted as a step of its own).
#[derive(Clone, Debug)]
struct Step {
    text: String,
    /// After it, main's table holds a function that a failed instantiation
    /// left behind (calling or probing one crashes wasmi 2.0.0: a known finding).
    left_behind: bool,
}

/// Generates a linking scenario whose sides are drawn from a pool of its
/// own (its seed drawn from `u`, so that the bytes alone fix the script;
/// no other scenario shares its libraries); see [`scenario_in`].
///
/// # Errors
/// Only those of `arbitrary` (never when the input runs out: then every
/// choice is its first option).
pub fn scenario(u: &mut Unstructured<'_>, cfg: &Config) -> Result<Scenario> {
    let pool = Pool::from_seed(u.arbitrary()?);
    steps::generate(u, cfg, &pool)
}

/// Generates a linking scenario (see the module documentation) whose side
/// modules are drawn from `pool` where a library would do
/// ([`Config::pool_size`], [`Config::pool_reuse`]): a campaign passes
/// [`Pool::for_case`], so that the cases of an epoch share libraries.
///
/// # Errors
/// Only those of `arbitrary`, as [`scenario`].
pub fn scenario_in(u: &mut Unstructured<'_>, cfg: &Config, pool: &Pool) -> Result<Scenario> {
    steps::generate(u, cfg, pool)
}

impl Scenario {
    /// The scenario as a `.wast` script.
    pub fn to_wast(&self) -> String {
        self.lines().0
    }

    /// How often each linking event occurs.
    pub fn events(&self) -> Events {
        self.events
    }

    /// The number of steps.
    pub fn len(&self) -> usize {
        self.steps.len()
    }

    /// Whether it has no steps.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// The first line (1-based, in [`Scenario::to_wast`]) of a step after
    /// which main's table holds a function of a failed instantiation.
    pub fn first_left_behind_line(&self) -> Option<usize> {
        let (_, lines) = self.lines();
        self.steps.iter().zip(lines).find(|(s, _)| s.left_behind).map(|(_, l)| l)
    }

    /// The text, and the first line of each step.
    fn lines(&self) -> (String, Vec<usize>) {
        let mut out = format!(";; generated by {}: {} steps\n", self.origin, self.steps.len());
        let events: Vec<String> =
            self.events.counts().into_iter().filter(|(_, n)| *n > 0).map(|(e, n)| format!("{e} {n}")).collect();
        out += &format!(";; events: {}\n", events.join(", "));
        for d in &self.setup {
            out += d;
            out += "\n";
        }
        let mut line = out.lines().count() + 1;
        let mut starts = Vec::new();
        for s in &self.steps {
            starts.push(line);
            out += &s.text;
            out += "\n";
            line += s.text.lines().count();
        }
        (out, starts)
    }
}
