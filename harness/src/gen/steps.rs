//! The linking scenario generator: main, then steps drawn from the
//! configured kinds, each a directive whose outcome the generator predicts
//! from its [`State`] (an `assert_*`) or leaves to the comparison of
//! engines (an `invoke`, only where a value depends on state it does not
//! track; such a call never traps). Side definitions are made in
//! `sides.rs`, drawn from the pool or fresh.

use std::collections::BTreeSet;

use arbitrary::{Result, Unstructured};

use super::config::{Config, MaxPresence, StepKind};
use super::events::Events;
use super::float::{self, FTy, FVal, Scope};
use super::pool::Pool;
use super::state::{FuncRef, InstId, Instantiated, SHARED, State, Trap};
use super::wat::{
    Args, BadImport, Body, DATA_BASE, FGlobals, FP_SLOTS, FuncDef, Host, Init, Limits, MAX_NAMES, MainDef, NAME_SLOT,
    PAGE, Puts, SideDef, Sig, Start, TableId, Types, V, call_export, copy_export, shuffle,
};
use super::{Scenario, Step};

/// Generates a scenario; see [`super::scenario_in`].
pub(crate) fn generate(u: &mut Unstructured<'_>, cfg: &Config, pool: &Pool) -> Result<Scenario> {
    let main = gen_main(u, cfg)?;
    let mut g = Gen::new(u, cfg, pool, main);
    let n = g.u.int_in_range(1..=cfg.max_steps.max(1))?;
    for _ in 0..n {
        let kind = match &cfg.steps[..] {
            [] => StepKind::CallIndirect,
            kinds => *g.u.choose(kinds)?,
        };
        g.step(kind)?;
        // A step that leaves a function behind is already one after which
        // the harness probes it (its observation reads the table).
        if g.st.has_left_behind()
            && let Some(last) = g.steps.last_mut()
        {
            last.left_behind = true;
        }
    }
    Ok(g.finish())
}

/// Library `k` of a pool: a plain side generated from `bytes` against a
/// main of the pool's own (generated from `main_bytes` with the default
/// configuration, but at most one offset global of each kind and one
/// funcref global: what most mains export), so that it links with mains
/// like it; `None` if the bytes make none.
pub(crate) fn library(bytes: &[u8], main_bytes: &[u8], k: usize) -> Option<SideDef> {
    let cfg = Config { max_base_globals: 1, max_frefs: 1, ..Config::default() };
    let main = gen_main(&mut Unstructured::new(main_bytes), &cfg).ok()?;
    let mut u = Unstructured::new(bytes);
    let pool = Pool::empty();
    let mut g = Gen::new(&mut u, &cfg, &pool, main);
    g.library = true;
    // Libraries of every kind, as scenarios need them: most plain, some
    // that trap or do not link against most mains, JIT patches, and some
    // whose start grows what it shares.
    let kind = g.u.int_in_range(0..=19u8).ok()?;
    let made = match kind {
        0..=10 => g.plain_side(),
        11..=12 => g.failing_side(),
        13..=14 => g.unlinkable_side(),
        15..=16 => g.jit_side(),
        _ => g.growing_side(),
    };
    let mut def = made.ok()?;
    def.pool = Some(k);
    def.name = format!("lib{k}");
    Some(def)
}

/// The most side definitions (their names must fit in main's memory).
pub(super) const MAX_SIDES: usize = 16;
/// The most table functions per module (dlsym names `f0`…`f7`).
pub(super) const MAX_FUNCS: usize = 8;
/// The deepest float expression.
pub(super) const FLOAT_DEPTH: u32 = 3;

pub(super) fn max_funcs(cfg: &Config) -> usize {
    cfg.max_funcs.clamp(1, MAX_FUNCS)
}

fn present(u: &mut Unstructured<'_>, p: MaxPresence) -> Result<bool> {
    Ok(match p {
        MaxPresence::Always => true,
        MaxPresence::Never => false,
        MaxPresence::Either => u.arbitrary()?,
    })
}

/// Limits of a table main defines besides the shared one.
fn small_table(u: &mut Unstructured<'_>) -> Result<Limits> {
    let min = u.int_in_range(0..=4)?;
    let max = if u.arbitrary()? { Some(min + u.int_in_range(0..=4)?) } else { None };
    Ok(Limits { min, max })
}

/// Main: types, memory, tables (the shared one with or without max, maybe
/// `aux` and a private one, in any order), offset globals, funcref
/// globals, functions for the tables (`note`, `mg`, generated ones, and
/// the host functions it imports), active segments at 0 and a passive one.
fn gen_main(u: &mut Unstructured<'_>, cfg: &Config) -> Result<MainDef> {
    let tmin = u.int_in_range(0..=cfg.max_table_initial)?;
    let tmax =
        if present(u, cfg.table_max)? { Some(u.int_in_range(tmin..=cfg.max_table_max.max(tmin))?) } else { None };
    let pages = u.int_in_range(1..=cfg.max_memory_pages.max(1))?;
    let pmax =
        if present(u, cfg.memory_max)? { Some(u.int_in_range(pages..=cfg.max_memory_max.max(pages))?) } else { None };
    let floats = if cfg.floats {
        Some(FGlobals {
            gf: float::gen_const(u, FTy::F32)?,
            gd: float::gen_const(u, FTy::F64)?,
            cf: float::gen_const(u, FTy::F32)?,
            cd: float::gen_const(u, FTy::F64)?,
        })
    } else {
        None
    };
    // Main declares every type: its `call_*` wrappers reach any side's functions.
    let types = Types::generate(u, &Sig::ALL, cfg.max_extra_types)?;
    let access = Access { note: true, gm0: true, floats: cfg.floats, fglobals: cfg.floats, ..Access::default() };
    let mem_cap = cfg.max_memory_max.max(pages);
    let mut funcs = vec![
        FuncDef { sig: Sig::IV, dup: types.pick(u, Sig::IV)?, body: Body::SetGm0 },
        FuncDef { sig: Sig::II, dup: types.pick(u, Sig::II)?, body: Body::Mg(mem_cap) },
    ];
    for _ in 0..u.int_in_range(1..=max_funcs(cfg))? {
        funcs.push(gen_func(u, access, &types)?);
    }
    // The host functions, imported at their types' first declarations.
    funcs.push(FuncDef { sig: Sig::II, dup: 0, body: Body::Host(Host::Dlclose) });
    funcs.push(FuncDef { sig: Sig::IIi, dup: 0, body: Body::Host(Host::Dlopen) });
    let aux = if cfg.max_tables >= 1 && u.arbitrary()? { Some(small_table(u)?) } else { None };
    let private = if cfg.max_tables >= 2 && u.arbitrary()? { Some(small_table(u)?) } else { None };
    let mut table_order = vec![TableId::Shared];
    table_order.extend(aux.map(|_| TableId::Aux));
    table_order.extend(private.map(|_| TableId::Priv));
    shuffle(u, &mut table_order)?;
    let active = pick_funcs(u, funcs.len(), tmin.min(4) as usize)?;
    let aux_active = match aux {
        Some(l) => pick_funcs(u, funcs.len(), l.min.min(4) as usize)?,
        None => Vec::new(),
    };
    let passive = pick_funcs(u, funcs.len(), 3)?;
    // At least one of each kind the configuration allows: the libraries
    // of a pool use `tbase0`, `mbase0` and `fref0` (as every Emscripten
    // main exports `__table_base` and `__memory_base`).
    let at_least_one = |max: usize| max.min(1);
    let mut tbases = Vec::new();
    for _ in 0..u.int_in_range(at_least_one(cfg.max_base_globals)..=cfg.max_base_globals)? {
        tbases.push(u.int_in_range(0..=tmin + 4)?);
    }
    let mut mbases = Vec::new();
    for _ in 0..u.int_in_range(at_least_one(cfg.max_base_globals)..=cfg.max_base_globals)? {
        // In bounds; at the very end (short segments fit, longer do not);
        // or in the next page (fits once the memory has grown).
        let choices = [DATA_BASE + 64 * u.int_in_range(0..=8)?, pages * PAGE - 2, pages * PAGE + DATA_BASE];
        mbases.push(*u.choose(&choices)?);
    }
    let mut frefs = Vec::new();
    for _ in 0..u.int_in_range(at_least_one(cfg.max_frefs)..=cfg.max_frefs)? {
        frefs.push(if u.ratio(4, 5)? { Some(u.choose_index(funcs.len())?) } else { None });
    }
    let mut call_dups = [0u8; 7];
    for (i, sig) in Sig::ALL.iter().enumerate() {
        call_dups[i] = types.pick(u, *sig)?;
    }
    // Every export name dlsym may ask for: a library may have more
    // functions than this configuration gives a fresh module.
    let mut names = vec!["nosuch".to_string()];
    names.extend((0..MAX_FUNCS).map(|k| format!("f{k}")));
    Ok(MainDef {
        types,
        table: Limits { min: tmin, max: tmax },
        aux,
        private,
        table_order,
        memory: Limits { min: pages, max: pmax },
        mem_cap,
        funcs,
        active,
        aux_active,
        passive,
        tbases,
        mbases,
        frefs,
        floats,
        global_key: u.arbitrary()?,
        import_key: u.arbitrary()?,
        call_dups,
        names,
        used: BTreeSet::new(),
    })
}

/// Up to `max` indices below `n`.
pub(super) fn pick_funcs(u: &mut Unstructured<'_>, n: usize, max: usize) -> Result<Vec<usize>> {
    let mut v = Vec::new();
    for _ in 0..u.int_in_range(0..=max)? {
        v.push(u.choose_index(n)?);
    }
    Ok(v)
}

/// What a generated function may use besides its own instance: what its
/// module imports from main, its defined globals, and whether the scenario
/// has floats.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Access {
    /// Main's `note`.
    pub note: bool,
    /// Main's `gm0`.
    pub gm0: bool,
    /// Float types and float bodies.
    pub floats: bool,
    /// Main's float globals.
    pub fglobals: bool,
    /// Main's `mg`.
    pub mg: bool,
    /// The memory is main's (else the module's own).
    pub shared_memory: bool,
    /// Its defined `i32` globals (`$gK`), as a bit mask.
    pub i32_globals: u8,
}

/// A function for tables, of any type the scenario has.
pub(super) fn gen_func(u: &mut Unstructured<'_>, access: Access, types: &Types) -> Result<FuncDef> {
    let sig = *u.choose(Sig::of(access.floats))?;
    gen_func_at(u, sig, access, types)
}

/// A function of type `sig`: at a float type, a float expression (which
/// may choose a NaN: it is only returned); at an integer type, an integer
/// body, or with floats the bits of an exact float expression, or a store
/// of one.
pub(super) fn gen_func_at(u: &mut Unstructured<'_>, sig: Sig, access: Access, types: &Types) -> Result<FuncDef> {
    let dup = types.pick(u, sig)?;
    if let Some(ty) = sig.float() {
        let scope = Scope { param: sig == Sig::DD, globals: access.fglobals };
        return Ok(FuncDef { sig, dup, body: Body::Float(float::gen_expr(u, ty, scope, false, FLOAT_DEPTH)?) });
    }
    #[derive(Clone, Copy)]
    enum Kind {
        Const,
        Loop,
        Counter,
        Load,
        Note,
        ReadGm0,
        Global,
        GrowThenUse,
        CallThenOwn,
        Bits,
        StoreF,
    }
    let mut kinds = vec![Kind::Const, Kind::Loop, Kind::Counter, Kind::Load];
    if access.note {
        kinds.push(Kind::Note);
    }
    if access.gm0 {
        kinds.push(Kind::ReadGm0);
    }
    if access.i32_globals != 0 {
        kinds.push(Kind::Global);
    }
    if access.mg {
        // Twice as likely as another kind: a call into main, then memory.
        if access.shared_memory {
            kinds.extend([Kind::GrowThenUse, Kind::GrowThenUse, Kind::CallThenOwn]);
        } else {
            kinds.extend([Kind::CallThenOwn, Kind::CallThenOwn]);
        }
    }
    if access.floats {
        kinds.extend([Kind::Bits, Kind::StoreF]);
    }
    let scope = Scope { param: false, globals: access.fglobals };
    let body = match *u.choose(&kinds)? {
        Kind::Const => Body::Const(u.int_in_range(-100..=1000)?),
        Kind::Loop => Body::Loop(u.int_in_range(0..=12)?),
        Kind::Counter => Body::Counter,
        Kind::Load => Body::Load(DATA_BASE + 4 * u.int_in_range(0..=16)?),
        Kind::Note => Body::Note(u.int_in_range(0..=99)?),
        Kind::ReadGm0 => Body::ReadGm0,
        Kind::Global => {
            let set: Vec<usize> = (0..8).filter(|k| access.i32_globals & (1 << k) != 0).collect();
            Body::Global(*u.choose(&set)?)
        }
        Kind::GrowThenUse => Body::GrowThenUse { off: 4 * u.int_in_range(0..=64)?, value: u.int_in_range(1..=9999)? },
        Kind::CallThenOwn => Body::CallThenOwn { off: 4 * u.int_in_range(0..=32)?, value: u.int_in_range(1..=9999)? },
        Kind::Bits => {
            let ty = if sig == Sig::LL { FTy::F64 } else { FTy::F32 };
            Body::Bits(float::gen_expr(u, ty, scope, true, FLOAT_DEPTH)?)
        }
        Kind::StoreF => {
            let addr = DATA_BASE + 4 * u.int_in_range(0..=16)?;
            let ty = *u.choose(&FTy::ALL)?;
            Body::StoreF(addr, float::gen_expr(u, ty, scope, true, FLOAT_DEPTH)?)
        }
    };
    Ok(FuncDef { sig, dup, body })
}

/// What a side that imports main's float globals writes to `gf` and `gd`
/// with `put_gf` and `put_gd`: expressions that may choose a NaN.
pub(super) fn gen_puts(u: &mut Unstructured<'_>) -> Result<Puts> {
    let scope = Scope { param: false, globals: true };
    Ok(Puts {
        gf: float::gen_expr(u, FTy::F32, scope, false, FLOAT_DEPTH)?,
        gd: float::gen_expr(u, FTy::F64, scope, false, FLOAT_DEPTH)?,
    })
}

pub(super) struct Gen<'c, 'a, 'b> {
    pub u: &'a mut Unstructured<'b>,
    pub cfg: &'c Config,
    pub pool: &'c Pool,
    pub main: MainDef,
    pub sides: Vec<SideDef>,
    pub st: State,
    steps: Vec<Pending>,
    pub events: Events,
    /// Side instances the script named (`$iN` for instance N), that export their operations.
    pub named: Vec<InstId>,
    last_dlsym: Option<(u32, usize)>,
    /// Generating a library of the pool: imports that ask little of main.
    pub library: bool,
}

/// Where a step found a side that does something (`Gen::writer`).
enum Writer {
    Found(InstId),
    /// A new side was added, and its instantiation failed.
    Failed,
    /// No side does it, and no side may be added.
    None,
}

/// A step whose text is written at the end, when every definition knows
/// which of its exports the scenario calls.
struct Pending {
    piece: Piece,
    left_behind: bool,
}

enum Piece {
    Text(String),
    /// Side definition `def`'s text opened by `header`, inside `before … after`.
    Module {
        def: usize,
        header: String,
        before: String,
        after: String,
    },
}

fn assert_return(inv: &str, results: &[V]) -> String {
    let results: String = results.iter().map(|r| format!(" {r}")).collect();
    format!("(assert_return {inv}{results})")
}

fn assert_trap(inv: &str, t: Trap) -> String {
    format!("(assert_trap {inv} \"{}\")", t.message())
}

impl<'c, 'a, 'b> Gen<'c, 'a, 'b> {
    fn new(u: &'a mut Unstructured<'b>, cfg: &'c Config, pool: &'c Pool, main: MainDef) -> Self {
        Gen {
            st: State::new(&main),
            main,
            u,
            cfg,
            pool,
            sides: Vec::new(),
            steps: Vec::new(),
            events: Events::default(),
            named: Vec::new(),
            last_dlsym: None,
            library: false,
        }
    }
}

impl Gen<'_, '_, '_> {
    fn step(&mut self, kind: StepKind) -> Result<()> {
        match kind {
            StepKind::CallIndirect => self.call_indirect(),
            StepKind::InstantiateByScript => self.instantiate_by_script(),
            StepKind::Dlopen => self.dlopen(),
            StepKind::Dlsym => self.dlsym(),
            StepKind::Dlclose => self.dlclose(),
            StepKind::TableGrow => self.table_grow(),
            StepKind::TableSet => self.table_set(),
            StepKind::TableFill => self.table_fill(),
            StepKind::TableCopy => self.table_copy(),
            StepKind::TableInit => self.table_init(),
            StepKind::MemoryGrow => self.memory(),
            StepKind::FailedInstantiation => self.failed_instantiation(),
            StepKind::JitPatch => self.jit_patch(),
            StepKind::LinkError => self.link_error(),
            StepKind::GlobalWrite => self.global_write(),
            StepKind::FloatGlobal => self.float_global(),
            StepKind::SideCall => self.side_call(),
            StepKind::TableCopyAcross => self.table_copy_across(),
            StepKind::DlopenThenUse => self.dlopen_then_use(),
            StepKind::HostInTable => self.host_in_table(),
            StepKind::GlobalRef => self.global_ref(),
        }
    }

    fn finish(self) -> Scenario {
        let mut setup: Vec<String> =
            self.sides.iter().map(|d| d.render(&format!("(module definition ${}", d.name))).collect();
        setup.push(self.main.render());
        setup.push("(register \"main\" $main)".into());
        let steps = self
            .steps
            .into_iter()
            .map(|p| {
                let text = match p.piece {
                    Piece::Text(t) => t,
                    Piece::Module { def, header, before, after } => {
                        let module = self.sides[def].render(&header);
                        if before.is_empty() { module } else { format!("{before}{}{after}", indent(&module)) }
                    }
                };
                Step { text, left_behind: p.left_behind }
            })
            .collect();
        Scenario { origin: "lockstep::gen::scenario".into(), setup, steps, events: self.events }
    }

    fn emit(&mut self, text: String) {
        self.emit_piece(Piece::Text(text));
    }

    fn emit_piece(&mut self, piece: Piece) {
        self.steps.push(Pending { piece, left_behind: self.st.has_left_behind() });
    }

    /// Emits `(assert_return (invoke …) results…)`.
    fn returns(&mut self, inst: InstId, func: &str, args: &[V], results: &[V]) {
        let inv = self.invoke(inst, func, args);
        self.emit(assert_return(&inv, results));
    }

    /// `(invoke $target "func" args…)` on main (instance 0) or a named side,
    /// noting that the scenario calls that export.
    fn invoke(&mut self, inst: InstId, func: &str, args: &[V]) -> String {
        let target = if inst == 0 {
            self.main.used.insert(func.to_string());
            "$main".to_string()
        } else {
            let d = self.st.instances[inst].def.expect("a side");
            self.sides[d].used.insert(func.to_string());
            format!("$i{inst}")
        };
        let args: String = args.iter().map(|a| format!(" {a}")).collect();
        format!("(invoke {target} \"{func}\"{args})")
    }

    /// Emits `inv` with its predicted outcome: a trap, a known result, or
    /// (unknown value) a plain invoke.
    fn expect(&mut self, inv: String, outcome: Result<Option<Option<V>>, Trap>) {
        let text = match outcome {
            Err(t) => assert_trap(&inv, t),
            Ok(Some(result)) => assert_return(&inv, &Vec::from_iter(result)),
            Ok(None) => inv,
        };
        self.emit(text);
    }

    /// Where dlopen and dlsym find `name` in main's memory.
    fn name(&self, name: &str) -> [V; 2] {
        let i = self.main.names.iter().position(|n| n == name).expect("every name is in main's memory");
        [V::I32((NAME_SLOT * i as u32) as i32), V::I32(name.len() as i32)]
    }

    /// The name `lockstep.dlopen` reads at `[ptr, ptr + len)` of main's
    /// memory, if the range is in bounds (host.rs): the names main's data
    /// segments wrote, 16 bytes apart, zeros between (nothing else writes
    /// below [`super::wat::FP_BASE`]).
    fn name_at(&self, ptr: u32, len: u32) -> Option<String> {
        if !self.st.in_memory(ptr, len) {
            return None;
        }
        let region = MAX_NAMES * NAME_SLOT as usize;
        let end = ptr as usize + len as usize;
        assert!(end <= region, "generator bug: dlopen through the table reads past the names ({ptr}+{len})");
        let mut bytes = vec![0u8; region];
        for (i, n) in self.main.names.iter().enumerate() {
            let at = i * NAME_SLOT as usize;
            bytes[at..at + n.len()].copy_from_slice(n.as_bytes());
        }
        String::from_utf8(bytes[ptr as usize..end].to_vec()).ok()
    }

    pub(super) fn args(&mut self) -> Result<Args> {
        Ok(Args {
            x: self.u.int_in_range(-3..=40)?,
            y: self.u.int_in_range(-3..=40)?,
            l: self.u.int_in_range(-5..=1 << 40)?,
            d: if self.cfg.floats { float::gen_const(self.u, FTy::F64)? } else { 0 },
        })
    }

    /// Arguments for a call that may reach `f`: for a host function, ones
    /// that mean something to it (a handle that may be open, a name in
    /// main's memory), else [`Gen::args`].
    fn args_for(&mut self, f: Option<FuncRef>) -> Result<Args> {
        let mut args = self.args()?;
        match f.and_then(|f| self.st.host(f)) {
            Some(Host::Dlclose) => args.x = self.u.int_in_range(-1..=self.st.handles.len() as i32)?,
            Some(Host::Dlopen) => {
                let mut names = vec!["nosuch".to_string()];
                names.extend(self.sides.iter().map(|d| d.name.clone()));
                let name = self.u.choose(&names)?.clone();
                let [V::I32(ptr), V::I32(len)] = self.name(&name) else { unreachable!() };
                (args.x, args.y) = (ptr, len);
            }
            None => {}
        }
        Ok(args)
    }

    /// The function types of the scenario.
    pub(super) fn sigs(&self) -> &'static [Sig] {
        Sig::of(self.cfg.floats)
    }

    /// A slot of table `t` to call or write: mostly one holding a
    /// function, else any slot up to one past the end.
    fn pick_slot_in(&mut self, t: usize) -> Result<u32> {
        let slots = &self.st.tables[t].slots;
        let full: Vec<u32> = (0..slots.len() as u32).filter(|&s| slots[s as usize].is_some()).collect();
        if !full.is_empty() && self.u.ratio(3, 4)? {
            return Ok(*self.u.choose(&full)?);
        }
        self.u.int_in_range(0..=self.st.len(t))
    }

    /// A slot of the shared table (see [`Gen::pick_slot_in`]).
    pub(super) fn pick_slot(&mut self) -> Result<u32> {
        self.pick_slot_in(SHARED)
    }

    /// Main (0), or (half of the time) a named side instance that exports `op`.
    fn actor(&mut self, op: &str) -> Result<InstId> {
        let sides: Vec<InstId> =
            self.named.iter().copied().filter(|inst| self.side_of(*inst).is_some_and(|d| d.exports_op(op))).collect();
        if !sides.is_empty() && self.u.arbitrary()? {
            return Ok(*self.u.choose(&sides)?);
        }
        Ok(0)
    }

    /// Counts an instruction on the shared table by instance `inst`.
    fn shared_use(&mut self, inst: InstId) {
        let index = match self.side_of(inst) {
            Some(def) => def.table_index(TableId::Shared),
            None => self.main.table_index(TableId::Shared),
        };
        if index != 0 {
            self.events.shared_table_not_index0 += 1;
        }
    }

    pub(super) fn side_of(&self, inst: InstId) -> Option<&SideDef> {
        self.st.instances[inst].def.map(|d| &self.sides[d])
    }

    pub(super) fn can_add_side(&self) -> bool {
        self.sides.len() < self.cfg.max_sides.min(MAX_SIDES) && self.main.names.len() < MAX_NAMES
    }

    /// Adds a definition (and its name to main's memory): a fresh one is
    /// named `sideN`, a library keeps its name `libK`.
    pub(super) fn add_side(&mut self, mut def: SideDef) -> usize {
        if def.pool.is_none() {
            def.name = format!("side{}", self.sides.len());
        }
        self.main.names.push(def.name.clone());
        self.sides.push(def);
        self.sides.len() - 1
    }

    // ---- calls through the tables -----------------------------------------

    /// `call_indirect` from main (§4.4.8): into a slot of the shared table
    /// (or of another of main's tables), at its function's type or
    /// deliberately another; null and out-of-bounds slots too.
    fn call_indirect(&mut self) -> Result<()> {
        if self.st.fps.iter().any(Option::is_some) && self.u.ratio(1, 3)? {
            return self.call_fp();
        }
        let others = self.main.other_tables();
        let table = if !others.is_empty() && self.u.ratio(1, 4)? { *self.u.choose(&others)? } else { TableId::Shared };
        let t = self.st.instances[0].table(table).expect("main's table");
        let slot = self.pick_slot_in(t)?;
        let held = self.st.tables[t].slots.get(slot as usize).copied().flatten();
        let sig = match held {
            Some(f) if self.u.ratio(2, 3)? => self.st.func(f).sig,
            _ => *self.u.choose(self.sigs())?,
        };
        let args = self.args_for(held)?;
        self.call_slot_in(table, slot, sig, args);
        Ok(())
    }

    fn call_slot(&mut self, slot: u32, sig: Sig, args: Args) {
        self.call_slot_in(TableId::Shared, slot, sig, args);
    }

    /// Main calls through its table `table` at `sig`.
    fn call_slot_in(&mut self, table: TableId, slot: u32, sig: Sig, args: Args) {
        let t = self.st.instances[0].table(table).expect("main's table");
        let mut vals = args.for_sig(sig);
        vals.push(V::I32(slot as i32));
        let inv = self.invoke(0, &call_export(sig, table), &vals);
        if table == TableId::Shared {
            self.shared_use(0);
        } else {
            self.events.call_indirect_other_table += 1;
        }
        let dup = self.main.call_dup(sig);
        let outcome = self.st.call_in(t, slot, sig).map(|f| {
            self.count_type_use(0, sig, dup, f);
            self.reach(f, &args, 0)
        });
        self.count_call(&outcome);
        self.expect(inv, outcome);
    }

    /// Counts a type-correct call at declaration `dup` of `sig` of instance
    /// `caller`'s module that reached `f`.
    fn count_type_use(&mut self, caller: InstId, sig: Sig, dup: u8, f: FuncRef) {
        let types = &self.st.instances[caller].types;
        let (index, duplicate) = (types.index(sig, dup), types.count(sig) > 1);
        if self.st.host(f).is_none() && self.st.type_index(f) != index {
            self.events.type_index_differs += 1;
        }
        if duplicate {
            self.events.duplicate_type_call += 1;
        }
    }

    /// A call from instance `caller` reached `f`: its result if known,
    /// with its effects (a host function's too).
    fn reach(&mut self, f: FuncRef, args: &Args, caller: InstId) -> Option<Option<V>> {
        if let Some(h) = self.st.host(f) {
            self.events.call_indirect_host += 1;
            let r = match h {
                Host::Dlclose => {
                    self.events.dlclose += 1;
                    self.st.dlclose(args.x as u32)
                }
                // dlopen reads the name in its caller's memory: only main exports one.
                Host::Dlopen if caller == 0 => self.dlopen_at(args.x as u32, args.y as u32),
                Host::Dlopen => -1,
            };
            return Some(Some(V::I32(r)));
        }
        let result = self.run(f, args);
        if f.inst != 0 {
            self.events.call_indirect_side += 1;
            match result {
                Some(Some(v)) if v.is_exact_nan() => self.events.float_nan_move += 1,
                Some(Some(V::Nan(..))) => self.events.float_nan_chosen += 1,
                _ => {}
            }
        }
        if self.st.instances[f.inst].failed {
            self.events.call_left_behind += 1;
        }
        result
    }

    /// Runs wasm function `f` (`State::run`), counting what its body does
    /// after a call into main.
    fn run(&mut self, f: FuncRef, args: &Args) -> Option<Option<V>> {
        let pages = self.st.pages;
        let result = self.st.run(f, args);
        match self.st.func(f).body {
            Body::GrowThenUse { .. } if self.st.pages > pages => self.events.new_page_after_call += 1,
            Body::CallThenOwn { .. } if self.side_of(f.inst).is_some_and(|d| d.own_memory.is_some()) => {
                self.events.own_memory_after_call += 1;
            }
            _ => {}
        }
        result
    }

    fn count_call<T>(&mut self, outcome: &std::result::Result<T, Trap>) {
        match outcome {
            Err(Trap::Mismatch) => self.events.call_indirect_mismatch += 1,
            Err(_) => self.events.call_indirect_null_or_oob += 1,
            Ok(_) => {}
        }
    }

    /// Main calls through its function pointer `k` (`i_i`), which a JIT
    /// patch may have redirected.
    fn call_fp(&mut self) -> Result<()> {
        let k = self.u.int_in_range(0..=FP_SLOTS - 1)?;
        self.call_fp_at(k)
    }

    fn call_fp_at(&mut self, k: u32) -> Result<()> {
        if self.st.fps[k as usize].is_some() {
            self.events.call_through_patched_pointer += 1;
        }
        let slot = self.st.fps[k as usize].unwrap_or(0);
        let held = self.st.table().get(slot as usize).copied().flatten();
        let x = self.args_for(held)?.x;
        let args = Args { x, y: 0, l: 0, d: 0 };
        let inv = self.invoke(0, "call_fp", &[V::I32(k as i32), V::I32(x)]);
        self.shared_use(0);
        let dup = self.main.call_dup(Sig::II);
        let outcome = self.st.call(slot, Sig::II).map(|f| {
            self.count_type_use(0, Sig::II, dup, f);
            self.reach(f, &args, 0)
        });
        self.count_call(&outcome);
        self.expect(inv, outcome);
        Ok(())
    }

    /// A call into a function that a failed instantiation left in the table
    /// (it keeps its own instance's state, §4.5.4).
    fn call_left_behind(&mut self) -> Result<()> {
        let slots: Vec<u32> = self.st.left_behind_slots().collect();
        let Some(&slot) = slots.get(self.u.choose_index(slots.len().max(1))?) else { return Ok(()) };
        let own = self.st.table()[slot as usize].map(|f| self.st.func(f).sig).expect("a left function");
        let sig = if self.u.ratio(4, 5)? { own } else { *self.u.choose(self.sigs())? };
        let args = self.args()?;
        self.call_slot(slot, sig, args);
        Ok(())
    }

    fn maybe_call_left_behind(&mut self) -> Result<()> {
        if self.st.left_behind_slots().next().is_some() && self.u.ratio(2, 3)? {
            self.call_left_behind()?;
        }
        Ok(())
    }

    // ---- instantiation ----------------------------------------------------

    fn record(&mut self, d: usize, outcome: Instantiated, fx: super::state::Effects) {
        if self.sides[d].pool.is_some() {
            self.events.pool_library += 1;
        } else {
            self.events.fresh_side += 1;
        }
        self.events.segment_at_imported_global += fx.imported_global_segments;
        self.events.ref_func_import_in_segment += fx.ref_func_imports;
        self.events.item_global_get += fx.item_global_gets;
        self.events.host_func_in_table += fx.host_in_table;
        self.events.table_grow_with_func += fx.grows_with_func;
        self.events.jit_patch += u32::from(fx.jit_patched);
        self.events.mutable_global_write += fx.global_writes;
        if !matches!(outcome, Instantiated::Link { .. }) {
            self.events.global_init_global_get += fx.global_inits_imported;
            self.events.own_table_beside_import += u32::from(fx.own_tables);
            self.events.defined_global_after_imports += u32::from(fx.defined_after_imported_globals);
            self.events.unused_type += u32::from(fx.unused_type);
        }
        match outcome {
            Instantiated::Link { .. } => self.events.link_error += 1,
            Instantiated::Trap(..) => {
                self.events.failed_instantiation += 1;
                self.events.failed_with_own_memory += u32::from(fx.own_memory_data);
            }
            Instantiated::Ok(_) => {}
        }
    }

    /// The script instantiates side `d` against the registered main:
    /// `(module instance …)` or a plain `(module …)` when it succeeds,
    /// `assert_trap`/`assert_unlinkable` when it does not.
    pub(super) fn script_instantiates(&mut self, d: usize) -> Result<Instantiated> {
        let def = self.sides[d].clone();
        let (outcome, fx) = self.st.instantiate(d, &def);
        self.record(d, outcome, fx);
        self.events.script_instantiation += 1;
        let module = |header: &str, before: String, after: String| Piece::Module {
            def: d,
            header: header.into(),
            before,
            after,
        };
        let piece = match outcome {
            Instantiated::Link { unknown } => {
                let msg = if unknown { "unknown import" } else { "incompatible import type" };
                module("(module", "(assert_unlinkable\n  ".into(), format!("\n  \"{msg}\")"))
            }
            Instantiated::Trap(_, t) => {
                module("(module", "(assert_trap\n  ".into(), format!("\n  \"{}\")", t.message()))
            }
            Instantiated::Ok(inst) => {
                if def.exports {
                    self.named.push(inst);
                }
                if self.u.arbitrary()? {
                    Piece::Text(format!("(module instance $i{inst} ${})", def.name))
                } else {
                    module(&format!("(module $i{inst}"), String::new(), String::new())
                }
            }
        };
        self.emit_piece(piece);
        Ok(outcome)
    }

    /// `lockstep.dlopen` of side `d` by main, however it is called: the
    /// state and the events; the handle.
    fn open_effects(&mut self, d: usize) -> i32 {
        let def = self.sides[d].clone();
        let (handle, outcome, fx) = self.st.dlopen(d, &def);
        self.record(d, outcome, fx);
        self.events.dlopen += 1;
        if handle < 0 {
            self.events.dlopen_failed += 1;
        }
        handle
    }

    /// `lockstep.dlopen(ptr, len)` called by main through a table.
    fn dlopen_at(&mut self, ptr: u32, len: u32) -> i32 {
        let name = self.name_at(ptr, len);
        match name.and_then(|n| self.sides.iter().position(|d| d.name == n)) {
            Some(d) => self.open_effects(d),
            None => {
                self.events.dlopen += 1;
                self.events.dlopen_failed += 1;
                -1
            }
        }
    }

    /// Main dlopens side `d` (its name read from main's memory).
    pub(super) fn dlopens(&mut self, d: usize) {
        let name = self.name(&self.sides[d].name.clone());
        let handle = self.open_effects(d);
        self.returns(0, "open", &name, &[V::I32(handle)]);
    }

    /// Instantiates `d` by the script or by dlopen.
    fn instantiate_either(&mut self, d: usize) -> Result<()> {
        if self.u.arbitrary()? {
            self.script_instantiates(d)?;
        } else {
            self.dlopens(d);
        }
        Ok(())
    }

    /// A new side where a library would do (from the pool, or fresh), or
    /// (half of the time, or at the cap) an existing definition.
    fn some_side(&mut self) -> Result<Option<usize>> {
        if self.can_add_side() && (self.sides.is_empty() || self.u.arbitrary()?) {
            return self.new_side(|_| true).map(Some);
        }
        if self.sides.is_empty() {
            return Ok(None);
        }
        Ok(Some(self.u.choose_index(self.sides.len())?))
    }

    /// A side instantiated by the script (§4.5.4 against the registered main).
    fn instantiate_by_script(&mut self) -> Result<()> {
        match self.some_side()? {
            Some(d) => {
                self.script_instantiates(d)?;
                self.maybe_call_left_behind()
            }
            None => self.call_indirect(),
        }
    }

    /// main calls `lockstep.dlopen` with a definition's name, or an unknown one.
    fn dlopen(&mut self) -> Result<()> {
        if self.u.ratio(1, 10)? {
            let name = self.name("nosuch");
            self.events.dlopen += 1;
            self.events.dlopen_failed += 1;
            self.returns(0, "open", &name, &[V::I32(-1)]);
            return Ok(());
        }
        match self.some_side()? {
            Some(d) => {
                self.dlopens(d);
                self.maybe_call_left_behind()
            }
            None => self.call_indirect(),
        }
    }

    /// `lockstep.dlsym`: a handle (open, closed or unknown) and an export
    /// name (present or not); a third of the time the last one again, to
    /// reuse its slot. Then, half of the time, main calls the new slot.
    fn dlsym(&mut self) -> Result<()> {
        if self.open_handles().is_empty() && self.can_add_side() && self.u.ratio(3, 4)? {
            let d = self.new_side(|d| d.exports)?;
            self.dlopens(d);
        }
        let (handle, k) = match self.last_dlsym {
            Some(last) if self.u.arbitrary()? => last,
            _ => self.dlsym_target()?,
        };
        // `f{k}` past the most functions a module has is `nosuch`: missing either way.
        let (name, k) = if k < MAX_FUNCS { (format!("f{k}"), k) } else { ("nosuch".into(), usize::MAX) };
        if let Some(&Some(inst)) = self.st.handles.get(handle as usize)
            && let Some(d) = self.st.instances[inst].def
        {
            self.sides[d].used.insert(name.clone());
        }
        let [ptr, len] = self.name(&name);
        let (slot, reused) = self.st.dlsym(handle, k, &self.sides);
        self.events.dlsym += 1;
        self.events.dlsym_reuse += u32::from(reused);
        self.last_dlsym = (slot >= 0).then_some((handle, k));
        self.returns(0, "sym", &[V::I32(handle as i32), ptr, len], &[V::I32(slot)]);
        if slot >= 0 && self.u.arbitrary()? {
            let held = self.st.table()[slot as usize];
            let sig = held.map(|f| self.st.func(f).sig).expect("dlsym filled the slot");
            let args = self.args_for(held)?;
            self.call_slot(slot as u32, sig, args);
        }
        Ok(())
    }

    /// Open handles of sides that export functions.
    fn open_handles(&self) -> Vec<u32> {
        (0..self.st.handles.len() as u32)
            .filter(|&h| self.st.handles[h as usize].is_some_and(|i| self.side_of(i).is_some_and(|d| d.exports)))
            .collect()
    }

    /// A handle and an export for dlsym: mostly an open handle and one of
    /// its exports; else a closed or unknown handle, or a missing export.
    fn dlsym_target(&mut self) -> Result<(u32, usize)> {
        let open = self.open_handles();
        if !open.is_empty() && self.u.ratio(4, 5)? {
            let h = *self.u.choose(&open)?;
            let funcs = self.st.instances[self.st.handles[h as usize].expect("open")].funcs.len();
            let k = if self.u.ratio(9, 10)? { self.u.choose_index(funcs)? } else { funcs };
            return Ok((h, k));
        }
        let h = self.u.int_in_range(0..=self.st.handles.len() as u32)?;
        Ok((h, self.u.int_in_range(0..=1)?))
    }

    /// `lockstep.dlclose` of an open, closed or unknown handle.
    fn dlclose(&mut self) -> Result<()> {
        let handle = self.u.int_in_range(0..=self.st.handles.len() as u32)?;
        let r = self.st.dlclose(handle);
        self.events.dlclose += 1;
        self.returns(0, "close", &[V::I32(handle as i32)], &[V::I32(r)]);
        Ok(())
    }

    /// A side built to fail part-way, by the script or by dlopen, then
    /// (mostly) a call into what it left behind.
    fn failed_instantiation(&mut self) -> Result<()> {
        if !self.can_add_side() {
            return self.instantiate_by_script();
        }
        let d = match self.pool_pick(|_, o| matches!(o, Instantiated::Trap(..)))? {
            Some(d) => d,
            None => {
                let def = self.failing_side()?;
                self.add_side(def)
            }
        };
        self.instantiate_either(d)?;
        if self.st.left_behind_slots().next().is_some() && self.u.ratio(3, 4)? {
            self.call_left_behind()?;
        }
        Ok(())
    }

    /// A JIT patch, new or (a third of the time) one applied before, then
    /// (mostly) a call through a pointer it redirected.
    fn jit_patch(&mut self) -> Result<()> {
        let old: Vec<usize> = (0..self.sides.len())
            .filter(|&d| matches!(self.sides[d].start, Some(Start { end: super::wat::End::JitPatch { .. }, .. })))
            .collect();
        let d = if !old.is_empty() && (!self.can_add_side() || self.u.ratio(1, 3)?) {
            *self.u.choose(&old)?
        } else if self.can_add_side() {
            let jit = |d: &SideDef| matches!(d.start, Some(Start { end: super::wat::End::JitPatch { .. }, .. }));
            match self.pool_pick(|d, _| jit(d))? {
                Some(d) => d,
                None => {
                    let def = self.jit_side()?;
                    self.add_side(def)
                }
            }
        } else {
            return self.call_fp();
        };
        self.instantiate_either(d)?;
        if let Some(Start { end: super::wat::End::JitPatch { fps }, .. }) = &self.sides[d].start
            && self.u.ratio(2, 3)?
        {
            let k = *self.u.choose(&fps.clone())?;
            self.call_fp_at(k)?;
        }
        Ok(())
    }

    /// A side that fails to link, by the script or by dlopen: no effects.
    fn link_error(&mut self) -> Result<()> {
        if !self.can_add_side() {
            return self.instantiate_by_script();
        }
        let d = match self.pool_pick(|_, o| matches!(o, Instantiated::Link { .. }))? {
            Some(d) => d,
            None => {
                let def = self.unlinkable_side()?;
                self.add_side(def)
            }
        };
        self.instantiate_either(d)?;
        Ok(())
    }

    // ---- the shared table -------------------------------------------------

    /// `table.grow` on the shared table by main (null) or a side (its
    /// `$f0`): the old size or -1 past the max; then, a third of the time,
    /// the size as another instance sees it.
    fn table_grow(&mut self) -> Result<()> {
        let inst = self.actor("grow")?;
        let n = self.u.int_in_range(0..=self.cfg.max_table_delta)?;
        let init = (inst != 0).then_some(FuncRef { inst, func: 0 });
        if self.st.shared {
            self.events.table_grow_shared += 1;
        }
        self.shared_use(inst);
        let r = self.st.table_grow(SHARED, n, init);
        if r >= 0 && n > 0 && init.is_some() {
            self.events.table_grow_with_func += 1;
        }
        self.returns(inst, "grow", &[V::I32(n as i32)], &[V::I32(r)]);
        if self.u.ratio(1, 3)? {
            let rinst = self.actor("size")?;
            if rinst != inst {
                self.events.cross_instance_read += 1;
            }
            self.shared_use(rinst);
            let size = self.st.size() as i32;
            self.returns(rinst, "size", &[], &[V::I32(size)]);
        }
        Ok(())
    }

    /// `table.set` of one of main's functions (by main: a host function
    /// too) or a side's `$f0`.
    fn table_set(&mut self) -> Result<()> {
        let inst = self.actor("put0")?;
        let k = if inst == 0 { self.u.choose_index(self.main.funcs.len())? } else { 0 };
        let slot = self.pick_slot()?;
        self.put(inst, k, slot);
        Ok(())
    }

    /// Instance `inst` puts its function `k` in slot `slot` of the shared
    /// table (`put{k}`); whether it did.
    fn put(&mut self, inst: InstId, k: usize, slot: u32) -> bool {
        if self.st.shared {
            self.events.table_set_shared += 1;
        }
        self.shared_use(inst);
        let f = FuncRef { inst, func: k };
        let outcome = self.st.table_set(SHARED, slot, Some(f));
        if outcome.is_ok() && self.st.host(f).is_some() {
            self.events.host_func_in_table += 1;
        }
        let inv = self.invoke(inst, &format!("put{k}"), &[V::I32(slot as i32)]);
        let done = outcome.is_ok();
        self.expect(inv, outcome.map(|()| Some(None)));
        done
    }

    /// A range `(start, n)` of a table of `len` slots, in bounds or just past.
    fn range_of(&mut self, len: u32) -> Result<(u32, u32)> {
        let start = self.u.int_in_range(0..=len)?;
        let n = self.u.int_in_range(0..=self.cfg.max_table_delta)?;
        Ok((start, n))
    }

    fn range(&mut self) -> Result<(u32, u32)> {
        self.range_of(self.st.size())
    }

    /// `table.fill` with null (main) or the side's `$f0`.
    fn table_fill(&mut self) -> Result<()> {
        let inst = self.actor("fill")?;
        let (d, n) = self.range()?;
        let value = (inst != 0).then_some(FuncRef { inst, func: 0 });
        if self.st.shared {
            self.events.table_fill_shared += 1;
        }
        self.shared_use(inst);
        let outcome = self.st.table_fill(SHARED, d, n, value);
        let inv = self.invoke(inst, "fill", &[V::I32(d as i32), V::I32(n as i32)]);
        self.expect(inv, outcome.map(|()| Some(None)));
        Ok(())
    }

    /// `table.copy` within the shared table (ranges may overlap).
    fn table_copy(&mut self) -> Result<()> {
        let inst = self.actor("copy")?;
        let (d, n) = self.range()?;
        let s = self.u.int_in_range(0..=self.st.size())?;
        if self.st.shared {
            self.events.table_copy_shared += 1;
        }
        self.shared_use(inst);
        let outcome = self.st.table_copy(SHARED, SHARED, d, s, n);
        let inv = self.invoke(inst, "copy", &[V::I32(d as i32), V::I32(s as i32), V::I32(n as i32)]);
        self.expect(inv, outcome.map(|()| Some(None)));
        Ok(())
    }

    /// `table.init` of main's or a side's passive segment into the shared
    /// table, or (a quarter of the time) `elem.drop` of it.
    fn table_init(&mut self) -> Result<()> {
        let mut owners: Vec<InstId> = Vec::new();
        if !self.main.passive.is_empty() {
            owners.push(0);
        }
        for &inst in &self.named {
            if self.side_of(inst).is_some_and(|d| !d.passive.is_empty()) {
                owners.push(inst);
            }
        }
        if owners.is_empty() {
            return self.table_set();
        }
        let inst = *self.u.choose(&owners)?;
        if self.u.ratio(1, 4)? {
            self.st.instances[inst].passive = None;
            self.events.elem_drop += 1;
            self.returns(inst, "drop", &[], &[]);
            return Ok(());
        }
        let len = self.st.instances[inst].passive.as_ref().map_or(0, Vec::len);
        let full = match self.side_of(inst) {
            Some(def) => def.passive.len(),
            None => self.main.passive.len(),
        };
        let (d, n) = self.range()?;
        let s = self.u.int_in_range(0..=full as u32)?;
        if self.st.shared {
            self.events.table_init_shared += 1;
        }
        self.shared_use(inst);
        let outcome = self.st.table_init(SHARED, inst, d, s, n);
        if outcome.is_ok() && n > 0 && (s as usize) < len {
            let placed = self.side_of(inst).map(|def| def.passive[s as usize..(s + n) as usize].to_vec());
            let fref = |i: &super::wat::Item| matches!(i, super::wat::Item::FRef(_));
            self.events.item_global_get += placed.map_or(0, |p| p.iter().filter(|i| fref(i)).count() as u32);
        }
        let inv = self.invoke(inst, "init", &[V::I32(d as i32), V::I32(s as i32), V::I32(n as i32)]);
        self.expect(inv, outcome.map(|()| Some(None)));
        Ok(())
    }

    /// `table.copy` between two different tables of main (its shared
    /// table, `aux`, its private one) or of a named side (the tables it
    /// imports and its own); then, mostly, a call through the destination.
    fn table_copy_across(&mut self) -> Result<()> {
        let mut actors: Vec<InstId> = Vec::new();
        if self.main.table_order.len() > 1 {
            actors.push(0);
        }
        actors.extend(self.named.iter().copied().filter(|i| self.side_of(*i).is_some_and(|d| d.tables().len() > 1)));
        if actors.is_empty() {
            if !self.can_add_side() {
                return self.table_copy();
            }
            let d = self.new_side(|d| d.exports && d.tables().len() > 1)?;
            if self.sides[d].tables().len() < 2 {
                // A fresh side: give it a table of its own.
                self.sides[d].own_tables.push(Limits { min: self.u.int_in_range(1..=4)?, max: None });
            }
            match self.script_instantiates(d)? {
                Instantiated::Ok(inst) if self.sides[d].exports => actors.push(inst),
                _ => return Ok(()),
            }
        }
        let inst = *self.u.choose(&actors)?;
        let tables = match self.side_of(inst) {
            Some(def) => def.tables(),
            None => self.main.table_order.clone(),
        };
        let dst = *self.u.choose(&tables)?;
        let others: Vec<TableId> = tables.iter().copied().filter(|t| *t != dst).collect();
        let src = *self.u.choose(&others)?;
        let (da, sa) = {
            let i = &self.st.instances[inst];
            (i.table(dst).expect("dst"), i.table(src).expect("src"))
        };
        let (d, n) = self.range_of(self.st.len(da))?;
        let s = self.u.int_in_range(0..=self.st.len(sa))?;
        if dst == TableId::Shared || src == TableId::Shared {
            self.shared_use(inst);
        }
        self.events.table_copy_between_tables += 1;
        let outcome = self.st.table_copy(da, sa, d, s, n);
        let inv = self.invoke(inst, &copy_export(dst, src), &[V::I32(d as i32), V::I32(s as i32), V::I32(n as i32)]);
        let copied = outcome.is_ok() && n > 0;
        self.expect(inv, outcome.map(|()| Some(None)));
        if copied && self.u.ratio(3, 4)? {
            let slot = d + self.u.int_in_range(0..=n - 1)?;
            if inst == 0 {
                let held = self.st.tables[da].slots[slot as usize];
                let sig = match held {
                    Some(f) if self.u.ratio(4, 5)? => self.st.func(f).sig,
                    _ => *self.u.choose(self.sigs())?,
                };
                let args = self.args_for(held)?;
                self.call_slot_in(dst, slot, sig, args);
            } else if dst != TableId::Shared {
                self.side_calls_through(inst, dst, slot)?;
            }
        }
        Ok(())
    }

    /// Named side `inst` calls through its table `table` (not the shared
    /// one) at `slot`, mostly at the type of the function there.
    fn side_calls_through(&mut self, inst: InstId, table: TableId, slot: u32) -> Result<()> {
        let t = self.st.instances[inst].table(table).expect("the side's table");
        let held = self.st.tables[t].slots.get(slot as usize).copied().flatten();
        // It calls through its other tables at the types of its own functions.
        let mut sigs: Vec<Sig> = self.side_of(inst).expect("a side").funcs.iter().map(|f| f.sig).collect();
        sigs.sort_unstable();
        sigs.dedup();
        let sig = match held {
            Some(f) if self.u.ratio(4, 5)? && sigs.contains(&self.st.func(f).sig) => self.st.func(f).sig,
            _ => *self.u.choose(&sigs)?,
        };
        let args = self.args_for(held)?;
        let mut vals = args.for_sig(sig);
        vals.push(V::I32(slot as i32));
        let inv = self.invoke(inst, &call_export(sig, table), &vals);
        self.events.call_indirect_other_table += 1;
        let outcome = self.st.call_in(t, slot, sig).map(|f| {
            self.count_type_use(inst, sig, 0, f);
            self.reach(f, &args, inst)
        });
        self.count_call(&outcome);
        self.expect(inv, outcome);
        Ok(())
    }

    // ---- the shared memory and global -----------------------------------------

    /// `memory.grow` of the shared memory by main or a side, or a read of
    /// its size or bytes (from another instance than the one that wrote).
    fn memory(&mut self) -> Result<()> {
        match self.u.int_in_range(0..=2)? {
            0 => self.memory_grow(),
            1 => self.memory_size(),
            _ => self.memory_load(),
        }
    }

    fn memory_grow(&mut self) -> Result<()> {
        let inst = self.actor("mgrow")?;
        let mut n = self.u.int_in_range(0..=self.cfg.max_memory_delta)?;
        if self.st.pages_max.is_none() {
            n = n.min(self.cfg.max_memory_max.saturating_sub(self.st.pages));
        }
        if self.st.shared {
            self.events.memory_grow_shared += 1;
        }
        let r = self.st.memory_grow(n);
        self.returns(inst, "mgrow", &[V::I32(n as i32)], &[V::I32(r)]);
        Ok(())
    }

    fn memory_size(&mut self) -> Result<()> {
        let inst = self.actor("msize")?;
        if inst != 0 {
            self.events.cross_instance_read += 1;
        }
        let pages = self.st.pages as i32;
        self.returns(inst, "msize", &[], &[V::I32(pages)]);
        Ok(())
    }

    /// An i32 load: where sides write, at an offset global, or just past the end.
    fn memory_load(&mut self) -> Result<()> {
        let inst = self.actor("load")?;
        let mut addrs = vec![DATA_BASE + 4 * self.u.int_in_range(0..=32)?, self.st.pages * PAGE - 2];
        addrs.extend(self.st.mbases.iter().copied());
        let addr = *self.u.choose(&addrs)?;
        if inst != 0 || self.st.shared {
            self.events.cross_instance_read += 1;
        }
        let inv = self.invoke(inst, "load", &[V::I32(addr as i32)]);
        let outcome = if self.st.in_memory(addr, 4) { Ok(None) } else { Err(Trap::MemoryOob) };
        self.expect(inv, outcome);
        Ok(())
    }

    /// Main dlopens a side whose start grows the shared memory and table
    /// and writes them, then in the same activation uses what it added:
    /// `open_top` loads the memory's last word (at the size it reads after
    /// the call), `open_last` calls through the table's last slot.
    fn dlopen_then_use(&mut self) -> Result<()> {
        let growing = |d: &SideDef| {
            d.own_memory.is_none()
                && d.start.as_ref().is_some_and(|s| {
                    s.writes
                        .iter()
                        .any(|w| matches!(w, super::wat::Write::MemGrow { .. } | super::wat::Write::TableGrow { .. }))
                })
        };
        let old: Vec<usize> = (0..self.sides.len()).filter(|&d| growing(&self.sides[d])).collect();
        let d = if !old.is_empty() && (!self.can_add_side() || self.u.ratio(1, 3)?) {
            *self.u.choose(&old)?
        } else if self.can_add_side() {
            match self.pool_pick(|d, o| growing(d) && matches!(o, Instantiated::Ok(_)))? {
                Some(d) => d,
                None => {
                    let def = self.growing_side()?;
                    self.add_side(def)
                }
            }
        } else {
            return self.dlopen();
        };
        let [ptr, len] = self.name(&self.sides[d].name.clone());
        let (pages, size) = (self.st.pages, self.st.size());
        if self.u.arbitrary()? {
            self.open_effects(d);
            if self.st.pages > pages {
                self.events.dlopen_then_new_page += 1;
            }
            // The word's value is whatever the start (or a segment) left: compared, not predicted.
            let inv = self.invoke(0, "open_top", &[ptr, len]);
            self.expect(inv, Ok(None));
        } else {
            let handle = self.open_effects(d);
            let slot = self.st.size().wrapping_sub(1);
            let held = self.st.table().get(slot as usize).copied().flatten();
            let mut args = self.args_for(held)?;
            if held.is_some_and(|f| self.st.host(f) == Some(Host::Dlclose)) && self.u.arbitrary()? {
                args.x = handle;
            }
            let inv = self.invoke(0, "open_last", &[ptr, len, V::I32(args.x)]);
            self.shared_use(0);
            let dup = self.main.call_dup(Sig::II);
            let outcome = self.st.call(slot, Sig::II).map(|f| {
                self.count_type_use(0, Sig::II, dup, f);
                self.reach(f, &args, 0)
            });
            if outcome.is_ok() && self.st.size() > size && slot >= size {
                self.events.dlopen_then_new_slot += 1;
            }
            self.count_call(&outcome);
            self.expect(inv, outcome);
        }
        Ok(())
    }

    /// Main places a host function (`dlclose` or `dlopen`) in its table
    /// and calls it through the table: a handle closed, a library opened.
    fn host_in_table(&mut self) -> Result<()> {
        let hosts: Vec<usize> =
            (0..self.main.funcs.len()).filter(|&k| matches!(self.main.funcs[k].body, Body::Host(_))).collect();
        let k = *self.u.choose(&hosts)?;
        let slot = if self.st.size() > 0 && self.u.ratio(7, 8)? {
            self.u.int_in_range(0..=self.st.size() - 1)?
        } else {
            self.st.size()
        };
        if !self.put(0, k, slot) {
            return Ok(());
        }
        let f = FuncRef { inst: 0, func: k };
        let sig = self.st.func(f).sig;
        let args = self.args_for(Some(f))?;
        self.call_slot(slot, sig, args);
        Ok(())
    }

    /// A named side's defined global: an `i32` one read, or a funcref one
    /// placed in the shared table (`table.set`, or `table.grow`'s init
    /// value), then mostly called through.
    fn global_ref(&mut self) -> Result<()> {
        let with_globals = |d: &SideDef| d.exports && !d.globals.is_empty();
        let mut holders: Vec<InstId> =
            self.named.iter().copied().filter(|i| self.side_of(*i).is_some_and(with_globals)).collect();
        if holders.is_empty() {
            if !self.can_add_side() {
                return self.side_call();
            }
            let d = match self.pool_pick(|d, o| with_globals(d) && matches!(o, Instantiated::Ok(_)))? {
                Some(d) => d,
                None => {
                    let mut def = self.plain_side()?;
                    if def.globals.is_empty() {
                        let init = self.global_init(&def, def.funcs.len())?;
                        def.globals.push(init);
                    }
                    self.add_side(def)
                }
            };
            match self.script_instantiates(d)? {
                Instantiated::Ok(inst) if with_globals(&self.sides[d]) => holders.push(inst),
                _ => return Ok(()),
            }
        }
        let inst = *self.u.choose(&holders)?;
        let def = self.side_of(inst).expect("a side").clone();
        let k = self.u.choose_index(def.globals.len())?;
        let init = def.globals[k];
        if matches!(init, Init::TBase(_) | Init::FRef(_)) {
            self.events.global_init_global_get += 1;
        }
        let value = self.st.instances[inst].globals[k];
        match value {
            super::state::GVal::I32(v) => {
                self.returns(inst, &format!("gval{k}"), &[], &[V::I32(v)]);
                return Ok(());
            }
            super::state::GVal::Ref(f) => {
                let by_ref_func = match init {
                    Init::Func(_) | Init::Note => true,
                    Init::FRef(j) => self.main.frefs.get(j).copied().flatten().is_some(),
                    _ => false,
                };
                if by_ref_func && f.is_some() {
                    self.events.global_init_ref_func += 1;
                }
                if f.is_some_and(|f| self.st.host(f).is_some()) {
                    self.events.host_func_in_table += 1;
                }
                self.shared_use(inst);
                let slot = if self.u.arbitrary()? {
                    let slot = self.pick_slot()?;
                    let outcome = self.st.table_set(SHARED, slot, f);
                    let inv = self.invoke(inst, &format!("gput{k}"), &[V::I32(slot as i32)]);
                    let ok = outcome.is_ok();
                    self.expect(inv, outcome.map(|()| Some(None)));
                    ok.then_some(slot)
                } else {
                    let n = self.u.int_in_range(0..=self.cfg.max_table_delta.max(1))?;
                    let r = self.st.table_grow(SHARED, n, f);
                    if r >= 0 && n > 0 && f.is_some() {
                        self.events.table_grow_with_func += 1;
                    }
                    self.returns(inst, &format!("ggrow{k}"), &[V::I32(n as i32)], &[V::I32(r)]);
                    (r >= 0 && n > 0).then_some(r as u32)
                };
                if let Some(slot) = slot
                    && self.u.ratio(3, 4)?
                {
                    let sig = match f {
                        Some(f) => self.st.func(f).sig,
                        None => *self.u.choose(self.sigs())?,
                    };
                    let args = self.args_for(f)?;
                    self.call_slot(slot, sig, args);
                }
            }
        }
        Ok(())
    }

    /// A named side that exports `op`; else a new side (a library of the
    /// pool that exports it, or a fresh one with `equip` applied) that the
    /// script instantiates; else none, when no side may be added.
    fn writer(&mut self, op: &str, equip: impl FnOnce(&mut Self, &mut SideDef) -> Result<()>) -> Result<Writer> {
        let writers: Vec<InstId> =
            self.named.iter().copied().filter(|i| self.side_of(*i).is_some_and(|d| d.exports_op(op))).collect();
        if !writers.is_empty() {
            return Ok(Writer::Found(*self.u.choose(&writers)?));
        }
        if !self.can_add_side() {
            return Ok(Writer::None);
        }
        let d = match self.pool_pick(|d, o| d.exports_op(op) && matches!(o, Instantiated::Ok(_)))? {
            Some(d) => d,
            None => {
                let mut def = self.plain_side()?;
                equip(self, &mut def)?;
                self.add_side(def)
            }
        };
        Ok(match self.script_instantiates(d)? {
            Instantiated::Ok(inst) if self.sides[d].exports => Writer::Found(inst),
            _ => Writer::Failed,
        })
    }

    /// A side writes main's mutable global `gm0`; main reads the value.
    fn global_write(&mut self) -> Result<()> {
        let inst = match self.writer("set_gm0", |_, def| {
            def.add_import(super::wat::Import::Gm0);
            Ok(())
        })? {
            Writer::Found(inst) => inst,
            Writer::Failed => return Ok(()),
            Writer::None => return self.side_call(),
        };
        let v = self.u.int_in_range(-50..=5000)?;
        self.events.mutable_global_write += 1;
        self.events.cross_instance_read += 1;
        self.returns(inst, "set_gm0", &[V::I32(v)], &[]);
        self.returns(0, "get_gm0", &[], &[V::I32(v)]);
        Ok(())
    }

    /// A side writes main's float global `gf` or `gd`: a value the script
    /// passes (`set_gf`: NaN payloads moved bit for bit), or one the side
    /// computes (`put_gf`: arithmetic may choose a NaN); then main reads it,
    /// and a chosen NaN is overwritten with a constant right after.
    fn float_global(&mut self) -> Result<()> {
        if !self.cfg.floats {
            return self.global_write();
        }
        let inst = match self.writer("set_gf", |g, def| {
            if def.fglobals.is_none() {
                def.fglobals = Some(gen_puts(g.u)?);
                for (ty, mutable) in [(FTy::F32, true), (FTy::F64, true), (FTy::F32, false), (FTy::F64, false)] {
                    def.add_import(super::wat::Import::FGlobal(ty, mutable));
                }
            }
            Ok(())
        })? {
            Writer::Found(inst) => inst,
            Writer::Failed => return Ok(()),
            Writer::None => return self.side_call(),
        };
        let ty = *self.u.choose(&FTy::ALL)?;
        let g = &float::global(ty, true)[1..];
        if self.u.arbitrary()? {
            let bits = float::gen_const(self.u, ty)?;
            self.returns(inst, &format!("set_{g}"), &[V::Float(ty, bits)], &[]);
            *self.st.fglobal(ty) = FVal::Exact(bits);
        } else {
            let puts = self.side_of(inst).and_then(|d| d.fglobals.clone()).expect("a writer imports gf and gd");
            let e = match ty {
                FTy::F32 => puts.gf,
                FTy::F64 => puts.gd,
            };
            let v = e.eval(0, &self.st.fenv());
            if matches!(v, FVal::Chosen { .. }) {
                self.events.float_nan_chosen += 1;
            }
            self.returns(inst, &format!("put_{g}"), &[], &[]);
            *self.st.fglobal(ty) = v;
        }
        self.events.mutable_global_write += 1;
        self.events.cross_instance_read += 1;
        self.read_fglobal(ty)?;
        if let FVal::Chosen { .. } = *self.st.fglobal(ty) {
            // The harness compares the globals it observes in a later step's
            // host calls (dlopen, dlsym, dlclose) at that step's precision,
            // bit for bit unless that step chose a NaN: so no chosen NaN is
            // left in a global past the step that reads it back.
            let bits = float::gen_const(self.u, ty)?;
            self.returns(inst, &format!("set_{g}"), &[V::Float(ty, bits)], &[]);
            *self.st.fglobal(ty) = FVal::Exact(bits);
        }
        Ok(())
    }

    /// Main reads its float global of type `ty`: exactly (raw, as integer
    /// bits, or by the script's `get`) or canonicalised; only canonicalised
    /// when it holds a NaN that arithmetic chose at an earlier step (the
    /// engines compare the result of this step bit for bit).
    fn read_fglobal(&mut self, ty: FTy) -> Result<()> {
        let g = &float::global(ty, true)[1..];
        let v = *self.st.fglobal(ty);
        let canon = V::Float(ty, v.canonicalised(ty));
        let FVal::Exact(bits) = v else {
            self.returns(0, &format!("get_{g}_c"), &[], &[canon]);
            return Ok(());
        };
        let way = self.u.int_in_range(0..=3)?;
        if way < 3 && v.is_exact_nan(ty) {
            self.events.float_nan_move += 1;
        }
        match way {
            0 => self.returns(0, &format!("get_{g}"), &[], &[V::Float(ty, bits)]),
            1 => {
                let int = match ty {
                    FTy::F32 => V::I32(bits as u32 as i32),
                    FTy::F64 => V::I64(bits as i64),
                };
                self.returns(0, &format!("{g}_bits"), &[], &[int]);
            }
            2 => self.emit(assert_return(&format!("(get $main \"{g}\")"), &[V::Float(ty, bits)])),
            _ => self.returns(0, &format!("get_{g}_c"), &[], &[canon]),
        }
        Ok(())
    }

    /// The script calls a named side's function directly.
    fn side_call(&mut self) -> Result<()> {
        if self.named.is_empty() {
            return self.instantiate_by_script();
        }
        let inst = *self.u.choose(&self.named)?;
        let k = self.u.choose_index(self.st.instances[inst].funcs.len())?;
        let f = FuncRef { inst, func: k };
        let args = self.args()?;
        let sig = self.st.func(f).sig;
        let inv = self.invoke(inst, &format!("f{k}"), &args.for_sig(sig));
        let result = self.run(f, &args);
        self.expect(inv, Ok(result));
        Ok(())
    }
}

/// Indents every line after the first by two spaces.
fn indent(text: &str) -> String {
    text.replace('\n', "\n  ")
}

/// The bad imports a scenario can have (a float one only with floats).
pub(super) fn bad_imports(floats: bool) -> Vec<BadImport> {
    let mut v = vec![BadImport::MissingExport, BadImport::FuncType, BadImport::GlobalMutability];
    if floats {
        v.push(BadImport::FloatGlobalType);
    }
    v
}
