//! The linking scenario generator: main, then steps drawn from the
//! configured kinds, each a directive whose outcome the generator predicts
//! from its [`State`] (an `assert_*`) or leaves to the comparison of
//! engines (an `invoke`, only where a value depends on state it does not
//! track; such a call never traps).

use std::collections::BTreeSet;

use arbitrary::{Result, Unstructured};

use super::config::{Config, MaxPresence, StepKind};
use super::events::Events;
use super::float::{self, FTy, FVal, Scope};
use super::state::{FuncRef, InstId, Instantiated, State, Trap};
use super::wat::{
    Args, BadImport, Body, DATA_BASE, DataSeg, ElemSeg, End, FGlobals, FP_SLOTS, FuncDef, Item, Limits, MAX_NAMES,
    MainDef, NAME_SLOT, Offset, PAGE, Puts, SideDef, Sig, Start, V, Write,
};
use super::{Scenario, Step};

/// Generates a scenario; see [`super::scenario`].
pub(crate) fn generate(u: &mut Unstructured<'_>, cfg: &Config) -> Result<Scenario> {
    let main = gen_main(u, cfg)?;
    let mut g = Gen {
        st: State::new(&main),
        main,
        u,
        cfg,
        sides: Vec::new(),
        steps: Vec::new(),
        events: Events::default(),
        named: Vec::new(),
        last_dlsym: None,
    };
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

/// The most side definitions (their names must fit in main's memory).
const MAX_SIDES: usize = 16;
/// The most table functions per module (dlsym names `f0`…`f7`).
const MAX_FUNCS: usize = 8;
/// The deepest float expression.
const FLOAT_DEPTH: u32 = 3;

fn max_funcs(cfg: &Config) -> usize {
    cfg.max_funcs.clamp(1, MAX_FUNCS)
}

fn present(u: &mut Unstructured<'_>, p: MaxPresence) -> Result<bool> {
    Ok(match p {
        MaxPresence::Always => true,
        MaxPresence::Never => false,
        MaxPresence::Either => u.arbitrary()?,
    })
}

/// Main: memory, table (with or without max), offset globals, functions
/// for the table, an active segment at 0 and a passive one.
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
    let access = Access { note: true, gm0: true, floats: cfg.floats, fglobals: cfg.floats };
    let mut funcs = vec![FuncDef { sig: Sig::IV, body: Body::SetGm0 }];
    for _ in 0..u.int_in_range(1..=max_funcs(cfg))? {
        funcs.push(gen_func(u, access)?);
    }
    let active = pick_funcs(u, funcs.len(), tmin.min(4) as usize)?;
    let passive = pick_funcs(u, funcs.len(), 3)?;
    let mut tbases = Vec::new();
    for _ in 0..u.int_in_range(0..=cfg.max_base_globals)? {
        tbases.push(u.int_in_range(0..=tmin + 4)?);
    }
    let mut mbases = Vec::new();
    for _ in 0..u.int_in_range(0..=cfg.max_base_globals)? {
        // In bounds; at the very end (short segments fit, longer do not);
        // or in the next page (fits once the memory has grown).
        let choices = [DATA_BASE + 64 * u.int_in_range(0..=8)?, pages * PAGE - 2, pages * PAGE + DATA_BASE];
        mbases.push(*u.choose(&choices)?);
    }
    let mut names = vec!["nosuch".to_string()];
    names.extend((0..max_funcs(cfg)).map(|k| format!("f{k}")));
    Ok(MainDef {
        table: Limits { min: tmin, max: tmax },
        memory: Limits { min: pages, max: pmax },
        funcs,
        active,
        passive,
        tbases,
        mbases,
        floats,
        names,
        used: BTreeSet::new(),
    })
}

/// Up to `max` indices below `n`.
fn pick_funcs(u: &mut Unstructured<'_>, n: usize, max: usize) -> Result<Vec<usize>> {
    let mut v = Vec::new();
    for _ in 0..u.int_in_range(0..=max)? {
        v.push(u.choose_index(n)?);
    }
    Ok(v)
}

/// What a generated function may use besides its own instance: what its
/// module imports from main, and whether the scenario has floats.
#[derive(Clone, Copy, Debug, Default)]
struct Access {
    /// Main's `note`.
    note: bool,
    /// Main's `gm0`.
    gm0: bool,
    /// Float types and float bodies.
    floats: bool,
    /// Main's float globals.
    fglobals: bool,
}

/// A function for tables, of any type the scenario has.
fn gen_func(u: &mut Unstructured<'_>, access: Access) -> Result<FuncDef> {
    let sig = *u.choose(Sig::of(access.floats))?;
    gen_func_at(u, sig, access)
}

/// A function of type `sig`: at a float type, a float expression (which
/// may choose a NaN: it is only returned); at an integer type, an integer
/// body, or with floats the bits of an exact float expression, or a store
/// of one.
fn gen_func_at(u: &mut Unstructured<'_>, sig: Sig, access: Access) -> Result<FuncDef> {
    if let Some(ty) = sig.float() {
        let scope = Scope { param: sig == Sig::DD, globals: access.fglobals };
        return Ok(FuncDef { sig, body: Body::Float(float::gen_expr(u, ty, scope, false, FLOAT_DEPTH)?) });
    }
    #[derive(Clone, Copy)]
    enum Kind {
        Const,
        Loop,
        Counter,
        Load,
        Note,
        ReadGm0,
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
    Ok(FuncDef { sig, body })
}

/// What a side that imports main's float globals writes to `gf` and `gd`
/// with `put_gf` and `put_gd`: expressions that may choose a NaN.
fn gen_puts(u: &mut Unstructured<'_>) -> Result<Puts> {
    let scope = Scope { param: false, globals: true };
    Ok(Puts {
        gf: float::gen_expr(u, FTy::F32, scope, false, FLOAT_DEPTH)?,
        gd: float::gen_expr(u, FTy::F64, scope, false, FLOAT_DEPTH)?,
    })
}

/// A failure a side is built to have.
#[derive(Clone, Copy)]
enum Failure {
    ElemOob,
    DataOob,
    StartTrap,
    StartCall,
}

/// How a side fails to link.
#[derive(Clone, Copy)]
enum Unlinkable {
    TableMin,
    TableMax,
    MemoryMin,
    MemoryMax,
    Bad(BadImport),
}

struct Gen<'c, 'a, 'b> {
    u: &'a mut Unstructured<'b>,
    cfg: &'c Config,
    main: MainDef,
    sides: Vec<SideDef>,
    st: State,
    steps: Vec<Pending>,
    events: Events,
    /// Side instances the script named (`$iN` for instance N), that export their operations.
    named: Vec<InstId>,
    last_dlsym: Option<(u32, usize)>,
}

/// Where a step found a side that writes a global (`Gen::writer`).
enum Writer {
    Found(InstId),
    /// A new side was added, and its instantiation failed.
    Failed,
    /// No side writes it, and no side may be added.
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

    fn args(&mut self) -> Result<Args> {
        Ok(Args {
            x: self.u.int_in_range(-3..=40)?,
            y: self.u.int_in_range(-3..=40)?,
            l: self.u.int_in_range(-5..=1 << 40)?,
            d: if self.cfg.floats { float::gen_const(self.u, FTy::F64)? } else { 0 },
        })
    }

    /// The function types of the scenario.
    fn sigs(&self) -> &'static [Sig] {
        Sig::of(self.cfg.floats)
    }

    /// A slot to call or write: mostly one holding a function, else any
    /// slot up to one past the end.
    fn pick_slot(&mut self) -> Result<u32> {
        let full: Vec<u32> = (0..self.st.size()).filter(|&s| self.st.table[s as usize].is_some()).collect();
        if !full.is_empty() && self.u.ratio(3, 4)? {
            return Ok(*self.u.choose(&full)?);
        }
        self.u.int_in_range(0..=self.st.size())
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

    fn side_of(&self, inst: InstId) -> Option<&SideDef> {
        self.st.instances[inst].def.map(|d| &self.sides[d])
    }

    fn can_add_side(&self) -> bool {
        self.sides.len() < self.cfg.max_sides.min(MAX_SIDES) && self.main.names.len() < MAX_NAMES
    }

    /// Adds a definition (and its name to main's memory).
    fn add_side(&mut self, mut def: SideDef) -> usize {
        def.name = format!("side{}", self.sides.len());
        self.main.names.push(def.name.clone());
        self.sides.push(def);
        self.sides.len() - 1
    }

    // ---- calls through the table ------------------------------------------

    /// `call_indirect` from main (§4.4.8): into a slot, at its function's
    /// type or deliberately another; null and out-of-bounds slots too.
    fn call_indirect(&mut self) -> Result<()> {
        if self.st.fps.iter().any(Option::is_some) && self.u.ratio(1, 3)? {
            return self.call_fp();
        }
        let slot = self.pick_slot()?;
        let sig = match self.st.table.get(slot as usize) {
            Some(Some(f)) if self.u.ratio(2, 3)? => self.st.func(*f).sig,
            _ => *self.u.choose(self.sigs())?,
        };
        let args = self.args()?;
        self.call_slot(slot, sig, args);
        Ok(())
    }

    fn call_slot(&mut self, slot: u32, sig: Sig, args: Args) {
        let mut vals = args.for_sig(sig);
        vals.push(V::I32(slot as i32));
        let inv = self.invoke(0, &format!("call_{}", sig.name()), &vals);
        let outcome = self.st.call(slot, sig).map(|f| self.reached(f, &args));
        self.count_call(&outcome);
        self.expect(inv, outcome);
    }

    /// A call reached `f`: its result if known by construction.
    fn reached(&mut self, f: FuncRef, args: &Args) -> Option<Option<V>> {
        let result = self.st.func(f).known_result(args, &self.st.fenv());
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
        let x = self.u.int_in_range(-3..=40)?;
        let args = Args { x, y: 0, l: 0, d: 0 };
        if self.st.fps[k as usize].is_some() {
            self.events.call_through_patched_pointer += 1;
        }
        let slot = self.st.fps[k as usize].unwrap_or(0);
        let inv = self.invoke(0, "call_fp", &[V::I32(k as i32), V::I32(x)]);
        let outcome = self.st.call(slot, Sig::II).map(|f| self.reached(f, &args));
        self.count_call(&outcome);
        self.expect(inv, outcome);
        Ok(())
    }

    /// A call into a function that a failed instantiation left in the table
    /// (it keeps its own instance's state, §4.5.4).
    fn call_left_behind(&mut self) -> Result<()> {
        let slots: Vec<u32> = self.st.left_behind_slots().collect();
        let slot = *self.u.choose(&slots)?;
        let own = self.st.table[slot as usize].map(|f| self.st.func(f).sig).expect("a left function");
        let sig = if self.u.ratio(4, 5)? { own } else { *self.u.choose(self.sigs())? };
        let args = self.args()?;
        self.call_slot(slot, sig, args);
        Ok(())
    }

    fn maybe_call_left_behind(&mut self) -> Result<()> {
        if self.st.has_left_behind() && self.u.ratio(2, 3)? {
            self.call_left_behind()?;
        }
        Ok(())
    }

    // ---- side modules -----------------------------------------------------

    /// A side that links and (mostly) instantiates now: imports within the
    /// current sizes, segments mostly in bounds, a start that may write
    /// the shared state and call through the table at a matching type.
    fn plain_side(&mut self) -> Result<SideDef> {
        let size = self.st.size();
        let table = Limits { min: self.u.int_in_range(0..=size)?, max: self.import_max(self.st.table_max)? };
        let memory = Limits { min: self.u.int_in_range(0..=self.st.pages)?, max: self.import_max(self.st.pages_max)? };
        let own_memory =
            if self.cfg.own_memory && self.u.ratio(1, 4)? { Some(self.u.int_in_range(1..=2)?) } else { None };
        let imports_note = self.u.arbitrary()?;
        let imports_gm0 = self.u.arbitrary()?;
        let floats = self.cfg.floats;
        let imports_fglobals = floats && self.u.arbitrary()?;
        let access = Access { note: imports_note, gm0: imports_gm0, floats, fglobals: imports_fglobals };
        let mut funcs = Vec::new();
        for _ in 0..self.u.int_in_range(1..=max_funcs(self.cfg))? {
            funcs.push(gen_func(self.u, access)?);
        }
        let fglobals = if imports_fglobals { Some(gen_puts(self.u)?) } else { None };
        let mut def = SideDef {
            name: String::new(),
            table,
            memory,
            own_memory,
            imports_note,
            imports_gm0,
            floats,
            fglobals,
            bad_import: None,
            counter: self.u.int_in_range(-5..=100)?,
            funcs,
            elems: Vec::new(),
            passive: Vec::new(),
            datas: Vec::new(),
            start: None,
            exports: true,
            used: BTreeSet::new(),
        };
        for _ in 0..self.u.int_in_range(0..=self.cfg.max_segments)? {
            if let Some(e) = self.elem_seg(&def)? {
                def.elems.push(e);
            }
        }
        def.passive = pick_funcs(self.u, def.funcs.len(), 3)?;
        let pages = own_memory.unwrap_or(self.st.pages);
        for _ in 0..self.u.int_in_range(0..=self.cfg.max_segments)? {
            let d = self.data_seg(pages)?;
            def.datas.push(d);
        }
        if self.u.ratio(1, 3)? {
            let writes = self.start_writes(&def)?;
            let end = self.safe_call()?.unwrap_or(End::Return);
            def.start = Some(Start { writes, end });
        }
        Ok(def)
    }

    /// An import's max: none, or the export's max or more (so it links).
    fn import_max(&mut self, export_max: Option<u32>) -> Result<Option<u32>> {
        Ok(match export_max {
            Some(m) if self.u.arbitrary()? => Some(m + self.u.int_in_range(0..=2)?),
            _ => None,
        })
    }

    fn item(&mut self, def: &SideDef) -> Result<Item> {
        let mut items = vec![Item::Own(self.u.choose_index(def.funcs.len())?), Item::Null];
        if def.imports_note {
            items.push(Item::Note);
        }
        Ok(*self.u.choose(&items)?)
    }

    /// An active element segment: at an imported global's offset (whatever
    /// it is), or at a constant offset that fits the table now.
    fn elem_seg(&mut self, def: &SideDef) -> Result<Option<ElemSeg>> {
        let size = self.st.size();
        let global = !self.st.tbases.is_empty() && self.u.ratio(1, 3)?;
        let max_len = if global { 3 } else { size.min(3) };
        if max_len == 0 {
            return Ok(None);
        }
        let len = self.u.int_in_range(1..=max_len)?;
        let offset = if global {
            let fits: Vec<usize> = (0..self.st.tbases.len()).filter(|&k| self.st.tbases[k] + len <= size).collect();
            // Mostly one that fits now; sometimes any (it may not, then the side fails).
            let k = if !fits.is_empty() && self.u.ratio(7, 8)? {
                *self.u.choose(&fits)?
            } else {
                self.u.choose_index(self.st.tbases.len())?
            };
            Offset::Global(k)
        } else {
            Offset::Const(self.u.int_in_range(0..=size - len)?)
        };
        let mut items = Vec::new();
        for _ in 0..len {
            items.push(self.item(def)?);
        }
        Ok(Some(ElemSeg { offset, items }))
    }

    /// A data segment into a memory of `pages` (the shared one, or the
    /// side's own), above names and pointers.
    fn data_seg(&mut self, pages: u32) -> Result<DataSeg> {
        let len = self.u.int_in_range(1..=4)?;
        let offset = if !self.st.mbases.is_empty() && self.u.ratio(1, 3)? {
            let fits: Vec<usize> =
                (0..self.st.mbases.len()).filter(|&k| self.st.mbases[k] + len <= pages * PAGE).collect();
            // Mostly one that fits now; sometimes any (it may not, then the side fails).
            let k = if !fits.is_empty() && self.u.ratio(7, 8)? {
                *self.u.choose(&fits)?
            } else {
                self.u.choose_index(self.st.mbases.len())?
            };
            Offset::Global(k)
        } else {
            Offset::Const(DATA_BASE + 4 * self.u.int_in_range(0..=32)?)
        };
        let mut bytes = Vec::new();
        for _ in 0..len {
            bytes.push(self.u.arbitrary()?);
        }
        Ok(DataSeg { offset, bytes })
    }

    /// What a start function writes before it ends: its own global, main's
    /// global (directly or through `note`), main's float globals (exact
    /// constants), the shared memory, an in-bounds table slot.
    fn start_writes(&mut self, def: &SideDef) -> Result<Vec<Write>> {
        let mut writes = Vec::new();
        for _ in 0..self.u.int_in_range(1..=3)? {
            let v = self.u.int_in_range(0..=999)?;
            let mut choices =
                vec![Write::Counter(v), Write::Store { addr: DATA_BASE + 4 * self.u.int_in_range(0..=32)?, value: v }];
            if def.imports_note {
                choices.push(Write::Note(v));
            }
            if def.imports_gm0 {
                choices.push(Write::Gm0(v));
            }
            if def.fglobals.is_some() {
                let ty = *self.u.choose(&FTy::ALL)?;
                choices.push(Write::FGlobal(ty, float::gen_const(self.u, ty)?));
            }
            if self.st.size() > 0 {
                choices.push(Write::TableSet(self.u.int_in_range(0..=self.st.size() - 1)?));
            }
            writes.push(*self.u.choose(&choices)?);
        }
        Ok(writes)
    }

    /// A start's `call_indirect` that succeeds now: a full slot at its type.
    fn safe_call(&mut self) -> Result<Option<End>> {
        let full: Vec<u32> = (0..self.st.size()).filter(|&s| self.st.table[s as usize].is_some()).collect();
        if full.is_empty() || !self.u.arbitrary()? {
            return Ok(None);
        }
        let slot = *self.u.choose(&full)?;
        let sig = self.st.table[slot as usize].map(|f| self.st.func(f).sig).expect("a full slot");
        Ok(Some(End::CallIndirect { slot, sig, args: self.args()? }))
    }

    /// A side built to fail part-way, in one of four ways.
    fn failing_side(&mut self) -> Result<SideDef> {
        let mut def = self.plain_side()?;
        let failure = *self.u.choose(&[Failure::ElemOob, Failure::DataOob, Failure::StartTrap, Failure::StartCall])?;
        match failure {
            Failure::ElemOob => self.break_elems(&mut def)?,
            Failure::DataOob => self.break_datas(&mut def)?,
            Failure::StartTrap => {
                let writes = self.start_writes(&def)?;
                def.start = Some(Start { writes, end: End::Unreachable });
            }
            Failure::StartCall => {
                let writes = self.start_writes(&def)?;
                let end = self.failing_call()?;
                def.start = Some(Start { writes, end });
            }
        }
        Ok(def)
    }

    /// Segments that write the table, then one that does not fit: at an
    /// imported offset too large, or at a constant offset one past the end.
    fn break_elems(&mut self, def: &mut SideDef) -> Result<()> {
        if def.own_memory.is_some() {
            // Its `$f0` reads what a data segment would write, had it run.
            def.funcs[0] = FuncDef { sig: Sig::VI, body: Body::Load(DATA_BASE) };
            def.datas.push(DataSeg { offset: Offset::Const(DATA_BASE), bytes: vec![0x2a] });
        }
        let size = self.st.size();
        if size > 0 {
            let len = self.u.int_in_range(1..=size.min(3))?;
            let offset = self.u.int_in_range(0..=size - len)?;
            let items = (0..len).map(|i| Item::Own(i as usize % def.funcs.len())).collect();
            def.elems.insert(0, ElemSeg { offset: Offset::Const(offset), items });
        }
        let len = self.u.int_in_range(1..=3)?;
        let too_far: Vec<usize> = (0..self.st.tbases.len()).filter(|&k| self.st.tbases[k] + len > size).collect();
        let offset = if !too_far.is_empty() && self.u.arbitrary()? {
            Offset::Global(*self.u.choose(&too_far)?)
        } else {
            Offset::Const((size + 1).saturating_sub(len))
        };
        let mut items = Vec::new();
        for _ in 0..len {
            items.push(self.item(def)?);
        }
        def.elems.push(ElemSeg { offset, items });
        Ok(())
    }

    /// A data segment that does not fit the memory (its table writes stay).
    fn break_datas(&mut self, def: &mut SideDef) -> Result<()> {
        let end = def.own_memory.unwrap_or(self.st.pages) * PAGE;
        let len = self.u.int_in_range(1..=4)?;
        let too_far: Vec<usize> = (0..self.st.mbases.len()).filter(|&k| self.st.mbases[k] + len > end).collect();
        let offset = if !too_far.is_empty() && self.u.arbitrary()? {
            Offset::Global(*self.u.choose(&too_far)?)
        } else {
            Offset::Const(end + 1 - len)
        };
        def.datas.push(DataSeg { offset, bytes: vec![0xaa; len as usize] });
        Ok(())
    }

    /// A start's `call_indirect` that traps: a mismatched type, a null slot
    /// or one past the end.
    fn failing_call(&mut self) -> Result<End> {
        let slot = self.pick_slot()?;
        let sig = match self.st.table.get(slot as usize) {
            Some(Some(f)) => {
                let own = self.st.func(*f).sig;
                let others: Vec<Sig> = self.sigs().iter().copied().filter(|s| *s != own).collect();
                *self.u.choose(&others)?
            }
            _ => *self.u.choose(self.sigs())?,
        };
        Ok(End::CallIndirect { slot, sig, args: self.args()? })
    }

    /// A JIT patch: imports only the memory and the table, `i_i` code in a
    /// passive segment, and a start that appends it and redirects pointers.
    fn jit_side(&mut self) -> Result<SideDef> {
        let n = self.u.int_in_range(1..=3)?;
        let mut funcs = Vec::new();
        let mut fps = Vec::new();
        let access = Access { floats: self.cfg.floats, ..Access::default() };
        for _ in 0..n {
            funcs.push(gen_func_at(self.u, Sig::II, access)?);
            fps.push(self.u.int_in_range(0..=FP_SLOTS - 1)?);
        }
        Ok(SideDef {
            name: String::new(),
            table: Limits { min: self.u.int_in_range(0..=self.st.size())?, max: None },
            memory: Limits { min: 1, max: None },
            own_memory: None,
            imports_note: false,
            imports_gm0: false,
            floats: self.cfg.floats,
            fglobals: None,
            bad_import: None,
            counter: 0,
            funcs,
            elems: Vec::new(),
            passive: (0..n as usize).collect(),
            datas: Vec::new(),
            start: Some(Start { writes: Vec::new(), end: End::JitPatch { fps } }),
            exports: false,
            used: BTreeSet::new(),
        })
    }

    /// A side that does not link now: a min above the current size, a max
    /// the export's does not meet, or a bad import.
    fn unlinkable_side(&mut self) -> Result<SideDef> {
        let mut def = self.plain_side()?;
        let mut ways = vec![
            Unlinkable::TableMin,
            Unlinkable::TableMax,
            Unlinkable::MemoryMin,
            Unlinkable::MemoryMax,
            Unlinkable::Bad(BadImport::MissingExport),
            Unlinkable::Bad(BadImport::FuncType),
            Unlinkable::Bad(BadImport::GlobalMutability),
        ];
        if self.cfg.floats {
            ways.push(Unlinkable::Bad(BadImport::FloatGlobalType));
        }
        let how = *self.u.choose(&ways)?;
        match how {
            Unlinkable::TableMin => {
                def.table = Limits { min: self.st.size() + self.u.int_in_range(1..=3)?, max: None };
            }
            Unlinkable::TableMax => def.table = self.max_too_small(self.st.table_max)?,
            Unlinkable::MemoryMin => {
                def.own_memory = None;
                def.memory = Limits { min: self.st.pages + 1, max: None };
            }
            Unlinkable::MemoryMax => {
                def.own_memory = None;
                def.memory = self.max_too_small(self.st.pages_max)?;
            }
            Unlinkable::Bad(bad) => def.bad_import = Some(bad),
        }
        Ok(def)
    }

    /// Import limits whose max the export cannot meet: below its max, or
    /// any max when it has none.
    fn max_too_small(&mut self, export_max: Option<u32>) -> Result<Limits> {
        Ok(match export_max {
            Some(m) if m > 0 => Limits { min: 0, max: Some(self.u.int_in_range(0..=m - 1)?) },
            Some(_) => Limits { min: 0, max: None },
            None => Limits { min: 0, max: Some(self.u.int_in_range(0..=20)?) },
        })
    }

    // ---- instantiation ----------------------------------------------------

    fn record(&mut self, outcome: Instantiated, fx: super::state::Effects) {
        self.events.segment_at_imported_global += fx.imported_global_segments;
        self.events.ref_func_import_in_segment += fx.ref_func_imports;
        self.events.jit_patch += u32::from(fx.jit_patched);
        self.events.mutable_global_write += fx.global_writes;
        match outcome {
            Instantiated::Link => self.events.link_error += 1,
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
    fn script_instantiates(&mut self, d: usize) -> Result<Instantiated> {
        let def = self.sides[d].clone();
        let (outcome, fx) = self.st.instantiate(d, &def);
        self.record(outcome, fx);
        self.events.script_instantiation += 1;
        let module = |header: &str, before: String, after: String| Piece::Module {
            def: d,
            header: header.into(),
            before,
            after,
        };
        let piece = match outcome {
            Instantiated::Link => {
                let msg = if def.bad_import == Some(BadImport::MissingExport) {
                    "unknown import"
                } else {
                    "incompatible import type"
                };
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

    /// Main dlopens side `d` (its name read from main's memory).
    fn dlopens(&mut self, d: usize) -> Instantiated {
        let def = self.sides[d].clone();
        let name = self.name(&def.name);
        let (handle, outcome, fx) = self.st.dlopen(d, &def);
        self.record(outcome, fx);
        self.events.dlopen += 1;
        if handle < 0 {
            self.events.dlopen_failed += 1;
        }
        self.returns(0, "open", &name, &[V::I32(handle)]);
        outcome
    }

    /// Instantiates `d` by the script or by dlopen.
    fn instantiate_either(&mut self, d: usize) -> Result<Instantiated> {
        if self.u.arbitrary()? { self.script_instantiates(d) } else { Ok(self.dlopens(d)) }
    }

    /// A new plain side, or (half of the time, or at the cap) an existing definition.
    fn some_side(&mut self) -> Result<Option<usize>> {
        if self.can_add_side() && (self.sides.is_empty() || self.u.arbitrary()?) {
            let def = self.plain_side()?;
            return Ok(Some(self.add_side(def)));
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
            let def = self.plain_side()?;
            let d = self.add_side(def);
            self.dlopens(d);
        }
        let (handle, k) = match self.last_dlsym {
            Some(last) if self.u.arbitrary()? => last,
            _ => self.dlsym_target()?,
        };
        let name = if k < max_funcs(self.cfg) { format!("f{k}") } else { "nosuch".into() };
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
            let sig = self.st.table[slot as usize].map(|f| self.st.func(f).sig).expect("dlsym filled the slot");
            let args = self.args()?;
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
        let def = self.failing_side()?;
        let d = self.add_side(def);
        self.instantiate_either(d)?;
        if self.st.has_left_behind() && self.u.ratio(3, 4)? {
            self.call_left_behind()?;
        }
        Ok(())
    }

    /// A JIT patch, new or (a third of the time) one applied before, then
    /// (mostly) a call through a pointer it redirected.
    fn jit_patch(&mut self) -> Result<()> {
        let old: Vec<usize> = (0..self.sides.len())
            .filter(|&d| matches!(self.sides[d].start, Some(Start { end: End::JitPatch { .. }, .. })))
            .collect();
        let d = if !old.is_empty() && (!self.can_add_side() || self.u.ratio(1, 3)?) {
            *self.u.choose(&old)?
        } else if self.can_add_side() {
            let def = self.jit_side()?;
            self.add_side(def)
        } else {
            return self.call_fp();
        };
        self.instantiate_either(d)?;
        if let Some(Start { end: End::JitPatch { fps }, .. }) = &self.sides[d].start
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
        let def = self.unlinkable_side()?;
        let d = self.add_side(def);
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
        let r = self.st.table_grow(n, init);
        self.returns(inst, "grow", &[V::I32(n as i32)], &[V::I32(r)]);
        if self.u.ratio(1, 3)? {
            let rinst = self.actor("size")?;
            if rinst != inst {
                self.events.cross_instance_read += 1;
            }
            let size = self.st.size() as i32;
            self.returns(rinst, "size", &[], &[V::I32(size)]);
        }
        Ok(())
    }

    /// `table.set` of one of main's functions (by main) or a side's `$f0`.
    fn table_set(&mut self) -> Result<()> {
        let inst = self.actor("put0")?;
        let k = if inst == 0 { self.u.choose_index(self.main.funcs.len())? } else { 0 };
        let slot = self.pick_slot()?;
        if self.st.shared {
            self.events.table_set_shared += 1;
        }
        let outcome = self.st.table_set(slot, Some(FuncRef { inst, func: k }));
        let inv = self.invoke(inst, &format!("put{k}"), &[V::I32(slot as i32)]);
        self.expect(inv, outcome.map(|()| Some(None)));
        Ok(())
    }

    /// A range `(start, n)` of the table, in bounds or just past.
    fn range(&mut self) -> Result<(u32, u32)> {
        let start = self.u.int_in_range(0..=self.st.size())?;
        let n = self.u.int_in_range(0..=self.cfg.max_table_delta)?;
        Ok((start, n))
    }

    /// `table.fill` with null (main) or the side's `$f0`.
    fn table_fill(&mut self) -> Result<()> {
        let inst = self.actor("fill")?;
        let (d, n) = self.range()?;
        let value = (inst != 0).then_some(FuncRef { inst, func: 0 });
        if self.st.shared {
            self.events.table_fill_shared += 1;
        }
        let outcome = self.st.table_fill(d, n, value);
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
        let outcome = self.st.table_copy(d, s, n);
        let inv = self.invoke(inst, "copy", &[V::I32(d as i32), V::I32(s as i32), V::I32(n as i32)]);
        self.expect(inv, outcome.map(|()| Some(None)));
        Ok(())
    }

    /// `table.init` of main's or a side's passive segment into the shared
    /// table, or (a quarter of the time) `elem.drop` of it.
    fn table_init(&mut self) -> Result<()> {
        let mut owners: Vec<(InstId, Vec<usize>)> = Vec::new();
        if !self.main.passive.is_empty() {
            owners.push((0, self.main.passive.clone()));
        }
        for &inst in &self.named {
            if let Some(def) = self.side_of(inst).filter(|d| !d.passive.is_empty()) {
                owners.push((inst, def.passive.clone()));
            }
        }
        if owners.is_empty() {
            return self.table_set();
        }
        let (inst, items) = owners.swap_remove(self.u.choose_index(owners.len())?);
        if self.u.ratio(1, 4)? {
            self.st.instances[inst].passive_dropped = true;
            self.events.elem_drop += 1;
            self.returns(inst, "drop", &[], &[]);
            return Ok(());
        }
        let (d, n) = self.range()?;
        let s = self.u.int_in_range(0..=items.len() as u32)?;
        if self.st.shared {
            self.events.table_init_shared += 1;
        }
        let outcome = self.st.table_init(inst, &items, d, s, n);
        let inv = self.invoke(inst, "init", &[V::I32(d as i32), V::I32(s as i32), V::I32(n as i32)]);
        self.expect(inv, outcome.map(|()| Some(None)));
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

    /// A named side that exports `op`; else a new plain side (with `equip`
    /// applied) that the script instantiates; else none, when no side may be added.
    fn writer(&mut self, op: &str, equip: impl FnOnce(&mut Self, &mut SideDef) -> Result<()>) -> Result<Writer> {
        let writers: Vec<InstId> =
            self.named.iter().copied().filter(|i| self.side_of(*i).is_some_and(|d| d.exports_op(op))).collect();
        if !writers.is_empty() {
            return Ok(Writer::Found(*self.u.choose(&writers)?));
        }
        if !self.can_add_side() {
            return Ok(Writer::None);
        }
        let mut def = self.plain_side()?;
        equip(self, &mut def)?;
        let d = self.add_side(def);
        Ok(match self.script_instantiates(d)? {
            Instantiated::Ok(inst) => Writer::Found(inst),
            _ => Writer::Failed,
        })
    }

    /// A side writes main's mutable global `gm0`; main reads the value.
    fn global_write(&mut self) -> Result<()> {
        let inst = match self.writer("set_gm0", |_, def| {
            def.imports_gm0 = true;
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
        let def = self.st.func(f).clone();
        let inv = self.invoke(inst, &format!("f{k}"), &args.for_sig(def.sig));
        self.expect(inv, Ok(def.known_result(&args, &self.st.fenv())));
        Ok(())
    }
}

/// Indents every line after the first by two spaces.
fn indent(text: &str) -> String {
    text.replace('\n', "\n  ")
}
