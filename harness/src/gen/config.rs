//! What the scenario generator may generate: configuration as data, every
//! field with its default (wasm-smith's `Config` is the model).

use arbitrary::{Result, Unstructured};

/// Whether a limit declares a maximum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MaxPresence {
    /// Always declares one.
    Always,
    /// Never declares one.
    Never,
    /// The generator picks, per scenario.
    Either,
}

/// The kinds of step the generator interleaves after main is instantiated.
/// Each names the linking situation it exercises.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StepKind {
    /// `call_indirect` from main into a slot, type-correct or deliberately
    /// mismatched, or null or past the end (§4.4.8).
    CallIndirect,
    /// A side instantiated by the script, `(module instance …)` or a plain
    /// `(module …)` against the registered main (§4.5.4).
    InstantiateByScript,
    /// A side instantiated by wasm: main calls `lockstep.dlopen` with a name
    /// in its memory, while it runs.
    Dlopen,
    /// `lockstep.dlsym`: a side's export placed in main's table (reused or appended).
    Dlsym,
    /// `lockstep.dlclose`: the handle closes, the code stays.
    Dlclose,
    /// `table.grow` on the shared table, from main or a side (§4.4.6).
    TableGrow,
    /// `table.set` on the shared table, from main or a side.
    TableSet,
    /// `table.fill` on the shared table, from main or a side.
    TableFill,
    /// `table.copy` within the shared table, from main or a side.
    TableCopy,
    /// `table.init` of a passive segment into the shared table, and `elem.drop`.
    TableInit,
    /// `memory.grow` of the shared memory from main or a side (§4.4.7), and
    /// reads of its size and bytes from another instance.
    MemoryGrow,
    /// An instantiation that fails part-way (element or data segment out of
    /// bounds, a start function that traps), by the script or by dlopen,
    /// then calls into the functions it left in the table.
    FailedInstantiation,
    /// A JIT-patch side: start grows the table, `table.init`s its code at the
    /// new base and stores the slot indices into main's function pointers;
    /// then main calls through them.
    JitPatch,
    /// A side that fails to link (§4.5.3): a table or memory min above the
    /// current size, an incompatible max, a missing export, a wrong type.
    LinkError,
    /// A side writes main's exported mutable global; main reads it.
    GlobalWrite,
    /// A side writes main's exported mutable float global (`f32` or `f64`):
    /// a value the script passes, NaN payloads moved bit for bit, or one its
    /// code computes, where arithmetic may choose a NaN (§4.3.3); main reads
    /// it back, raw, as integer bits or canonicalised (a chosen NaN only
    /// canonicalised, and then overwritten by the side). Without
    /// [`Config::floats`], a [`StepKind::GlobalWrite`] instead.
    FloatGlobal,
    /// A side's export called directly by the script.
    SideCall,
    /// `table.copy` between two different tables: main's shared table and
    /// its `aux` or private table, or a side's own table and a table it
    /// imports; then a call through the destination.
    TableCopyAcross,
    /// Main dlopens a side whose start grows and writes the shared memory
    /// and table, and in the same activation, after the host call returns,
    /// loads the memory's last word or calls through the table's last
    /// slot, at sizes it reads after the call.
    DlopenThenUse,
    /// A host function (`lockstep.dlclose`, `lockstep.dlopen`) placed in
    /// the shared table (main's `table.set`, or a funcref global holding
    /// it) and called through it: a handle closed, a side opened.
    HostInTable,
    /// A side's defined global, initialised by a constant expression
    /// (`i32.const`, `global.get` of main's `tbaseK` or `frefK`,
    /// `ref.null`, `ref.func`), read, or placed in the shared table by
    /// `table.set` or as `table.grow`'s init value; then a call through it.
    GlobalRef,
}

impl StepKind {
    /// Every step kind.
    pub const ALL: &'static [StepKind] = &[
        StepKind::CallIndirect,
        StepKind::InstantiateByScript,
        StepKind::Dlopen,
        StepKind::Dlsym,
        StepKind::Dlclose,
        StepKind::TableGrow,
        StepKind::TableSet,
        StepKind::TableFill,
        StepKind::TableCopy,
        StepKind::TableInit,
        StepKind::MemoryGrow,
        StepKind::FailedInstantiation,
        StepKind::JitPatch,
        StepKind::LinkError,
        StepKind::GlobalWrite,
        StepKind::FloatGlobal,
        StepKind::SideCall,
        StepKind::TableCopyAcross,
        StepKind::DlopenThenUse,
        StepKind::HostInTable,
        StepKind::GlobalRef,
    ];
}

/// The generator's configuration: maxima only, never minima, so that every
/// configuration is valid (as in wasm-smith).
#[derive(Clone, Debug)]
pub struct Config {
    /// The most side-module definitions in one scenario (plain, JIT-patch,
    /// failing or unlinkable), at most 16 (their names live in main's
    /// memory). Defaults to 6.
    pub max_sides: usize,
    /// The most steps after main is instantiated; a step is one directive,
    /// sometimes followed by a call into what it left. Defaults to 30.
    pub max_steps: usize,
    /// The largest initial size of main's table. Defaults to 6.
    pub max_table_initial: u32,
    /// The largest maximum main's table declares, when it declares one (it
    /// is never below the initial size). Defaults to 16.
    pub max_table_max: u32,
    /// Whether main's table declares a maximum. Defaults to [`MaxPresence::Either`].
    pub table_max: MaxPresence,
    /// The most slots one `table.grow`, `fill`, `copy` or `init` step asks
    /// for. Defaults to 3.
    pub max_table_delta: u32,
    /// The largest initial size of main's memory, in pages (it is at least
    /// 1: names and function pointers live in page 0). Defaults to 1.
    pub max_memory_pages: u32,
    /// The largest size main's memory reaches, in pages: its declared
    /// maximum when it has one; without one, the generator grows it no
    /// further (every step observes every byte: keep it small). Defaults to 3.
    pub max_memory_max: u32,
    /// Whether main's memory declares a maximum. Defaults to [`MaxPresence::Either`].
    pub memory_max: MaxPresence,
    /// The most pages one `memory.grow` step asks for. Defaults to 1.
    pub max_memory_delta: u32,
    /// The most functions a generated module defines for tables, at most 8.
    /// Defaults to 4.
    pub max_funcs: usize,
    /// The most active element segments, and the most data segments, of one
    /// side. Defaults to 3.
    pub max_segments: usize,
    /// The most immutable `i32` globals main exports as table offsets
    /// (`tbaseN`), and as memory offsets (`mbaseN`), each. Defaults to 2.
    pub max_base_globals: usize,
    /// Whether a side may define a memory of its own instead of importing
    /// main's (then a failed instantiation leaves functions that read a
    /// memory nothing else can reach, written by no data segment if an
    /// element segment trapped). Defaults to `true`.
    pub own_memory: bool,
    /// Whether scenarios have floats: main exports float globals (mutable
    /// and immutable, `f32` and `f64`, with NaN payloads of both signs),
    /// sides import, write and read them, and functions of two more types
    /// (`[] -> [f32]`, `[f64] -> [f64]`) return floats through calls,
    /// `call_indirect` and the shared table; integer functions may
    /// reinterpret floats or store them. A NaN that arithmetic may choose
    /// is only returned or written to a global, and canonicalised before
    /// it reaches memory or an integer (`corpus/legitimate-differences.md`,
    /// "NaN payloads"). Defaults to `true`.
    pub floats: bool,
    /// The most tables a module defines besides the shared one: main's
    /// `aux` (exported) and a private one; a side's own tables, beside the
    /// ones it imports. At most 2. Defaults to 2.
    pub max_tables: usize,
    /// The most globals a side defines besides its counter, each
    /// initialised by a constant expression of another form. Defaults to 3.
    pub max_globals: usize,
    /// The most immutable funcref globals main exports (`frefN`: a table of
    /// function references, as a GOT.func is), holding one of its
    /// functions, a host function or null. Defaults to 2.
    pub max_frefs: usize,
    /// The most declarations a module's type section adds to the
    /// scenario's types (a second declaration of one of them, or a type no
    /// function has); the order of every type section varies too. Defaults to 3.
    pub max_extra_types: usize,
    /// The most libraries of the pool a scenario draws from: the first
    /// `pool_size` (at most [`Pool::CAPACITY`](super::Pool::CAPACITY)) of
    /// the [`Pool`](super::Pool) it is generated with; 0: every side is
    /// generated fresh. Defaults to 24.
    pub pool_size: usize,
    /// Of the side definitions a scenario adds (a plain side, one built to
    /// fail or not to link, a JIT patch), the percentage drawn from the
    /// pool, from 0 to 100: a library the scenario has not defined yet
    /// that does, instantiated now, what the step asks for (the generator's
    /// state predicts it); the others, and those no library fits, are
    /// generated fresh against the state of the moment. Defaults to 70.
    pub pool_reuse: u32,
    /// The steps that may be generated. Defaults to [`StepKind::ALL`].
    pub steps: Vec<StepKind>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            max_sides: 6,
            max_steps: 30,
            max_table_initial: 6,
            max_table_max: 16,
            table_max: MaxPresence::Either,
            max_table_delta: 3,
            max_memory_pages: 1,
            max_memory_max: 3,
            memory_max: MaxPresence::Either,
            max_memory_delta: 1,
            max_funcs: 4,
            max_segments: 3,
            max_base_globals: 2,
            own_memory: true,
            floats: true,
            max_tables: 2,
            max_globals: 3,
            max_frefs: 2,
            max_extra_types: 3,
            pool_size: 24,
            pool_reuse: 70,
            steps: StepKind::ALL.to_vec(),
        }
    }
}

impl Config {
    /// A random configuration, for swarm testing (Groce et al., "Swarm
    /// Testing", ISSTA 2012): each scenario draws its own maxima and its own
    /// subset of step kinds. Leaving kinds out makes the rest more frequent
    /// and lets states arise that a mix of everything rarely reaches: with no
    /// `table.grow` and no dlsym the table stays small, so segments at
    /// imported-global offsets fail more often; with no failures, long chains
    /// of dlopen and dlsym build up; without floats, the integer types are
    /// called more often. Only maxima (and switches) vary, never minima, so
    /// every draw is a valid configuration; at least one step kind stays enabled.
    pub fn swarm(u: &mut Unstructured<'_>) -> Result<Config> {
        let mut steps: Vec<StepKind> = Vec::new();
        for &kind in StepKind::ALL {
            if u.arbitrary()? {
                steps.push(kind);
            }
        }
        if steps.is_empty() {
            steps.push(*u.choose(StepKind::ALL)?);
        }
        let presence = |u: &mut Unstructured<'_>| -> Result<MaxPresence> {
            Ok(*u.choose(&[MaxPresence::Always, MaxPresence::Never, MaxPresence::Either])?)
        };
        Ok(Config {
            max_sides: u.int_in_range(1..=16)?,
            max_steps: u.int_in_range(1..=60)?,
            max_table_initial: u.int_in_range(0..=12)?,
            max_table_max: u.int_in_range(0..=32)?,
            table_max: presence(u)?,
            max_table_delta: u.int_in_range(0..=6)?,
            max_memory_pages: u.int_in_range(1..=2)?,
            max_memory_max: u.int_in_range(1..=4)?,
            memory_max: presence(u)?,
            max_memory_delta: u.int_in_range(0..=2)?,
            max_funcs: u.int_in_range(1..=8)?,
            max_segments: u.int_in_range(0..=4)?,
            max_base_globals: u.int_in_range(0..=3)?,
            own_memory: u.arbitrary()?,
            floats: u.arbitrary()?,
            max_tables: u.int_in_range(0..=2)?,
            max_globals: u.int_in_range(0..=4)?,
            max_frefs: u.int_in_range(0..=3)?,
            max_extra_types: u.int_in_range(0..=4)?,
            // Mostly libraries, as real programs load: a campaign's time
            // goes to instantiating and comparing, not compiling.
            pool_size: if u.ratio(1, 16)? { 0 } else { u.int_in_range(8..=32)? },
            pool_reuse: u.int_in_range(50..=100)?,
            steps,
        })
    }
}
