//! What the generator knows by construction: every table slot by slot
//! (main's shared one, main's others, sides' own), the memory's size,
//! main's globals, every instance (failed ones included) with its defined
//! globals and passive segment, the linker's handles and dlsym slots, and
//! main's function pointers. Each operation here is the spec's rule,
//! applied to that abstract state, so that the generator can predict the
//! outcome it asserts; the model then checks the prediction (a failed
//! assertion on the model is a generator bug).

use std::collections::HashMap;

use super::float::{FEnv, FTy, FVal};
use super::wat::{
    Args, BadImport, Body, DATA_BASE, End, FP_SLOTS, FuncDef, Host, Import, Init, Item, Limits, MainDef, Offset, PAGE,
    SideDef, Sig, TableId, Types, V, Write,
};

/// An instance, numbered in the order the generator made it (main is 0).
pub(crate) type InstId = usize;

/// A table, by its place in [`State::tables`]: main's shared table is 0.
pub(crate) type TableAddr = usize;

/// The shared table's address.
pub(crate) const SHARED: TableAddr = 0;

/// A function: function `func` of instance `inst`'s table functions. Two
/// instances of one definition have different functions (their own state).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct FuncRef {
    pub inst: InstId,
    pub func: usize,
}

/// main's `note`, which sides import (and may place in the table).
pub(crate) const NOTE: FuncRef = FuncRef { inst: 0, func: 0 };

/// How a call or an instantiation traps, with the spec's message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Trap {
    Unreachable,
    TableOob,
    MemoryOob,
    UndefinedElement,
    UninitializedElement,
    Mismatch,
}

impl Trap {
    pub(crate) fn message(self) -> &'static str {
        match self {
            Trap::Unreachable => "unreachable",
            Trap::TableOob => "out of bounds table access",
            Trap::MemoryOob => "out of bounds memory access",
            Trap::UndefinedElement => "undefined element",
            Trap::UninitializedElement => "uninitialized element",
            Trap::Mismatch => "indirect call type mismatch",
        }
    }
}

/// The outcome of an instantiation (§4.5.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Instantiated {
    /// A link error: nothing happened, no instance. `unknown`: an import
    /// names no export of main (else one does not match its export's type).
    Link {
        unknown: bool,
    },
    /// Trapped part-way: the instance exists, failed; its writes stay.
    Trap(InstId, Trap),
    Ok(InstId),
}

/// What an instantiation did, for the event counts.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Effects {
    pub imported_global_segments: u32,
    pub ref_func_imports: u32,
    /// Element items `global.get $frefK` written to a table.
    pub item_global_gets: u32,
    /// Host functions written to a table.
    pub host_in_table: u32,
    /// Defined globals initialised by `global.get` of an imported global.
    pub global_inits_imported: u32,
    /// `table.grow` by the start with a function as the init value, that grew.
    pub grows_with_func: u32,
    pub jit_patched: bool,
    /// Writes of main's mutable globals (`gm0`, `gf`, `gd`) by the start function.
    pub global_writes: u32,
    /// The side has a memory of its own, with data segments.
    pub own_memory_data: bool,
    /// The side defines tables beside the one it imports.
    pub own_tables: bool,
    /// The side imports globals and defines some besides `$c`: the indices
    /// of its defined globals start past the imported ones.
    pub defined_after_imported_globals: bool,
    /// Its type section declares a type no function has.
    pub unused_type: bool,
}

/// A defined global's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum GVal {
    I32(i32),
    Ref(Option<FuncRef>),
}

#[derive(Clone, Debug)]
pub(crate) struct Instance {
    pub funcs: Vec<FuncDef>,
    pub types: Types,
    /// The side definition it came from (`None`: main).
    pub def: Option<usize>,
    pub failed: bool,
    /// Its passive segment's references; `None` once dropped (or if it has none).
    pub passive: Option<Vec<Option<FuncRef>>>,
    /// Its tables by name.
    pub tables: Vec<(TableId, TableAddr)>,
    /// Its defined globals besides `$c` (`$gK`).
    pub globals: Vec<GVal>,
}

impl Instance {
    pub(crate) fn table(&self, t: TableId) -> Option<TableAddr> {
        self.tables.iter().find(|(id, _)| *id == t).map(|(_, a)| *a)
    }
}

/// A table: its slots, its declared max, and the instance that defined it.
#[derive(Clone, Debug)]
pub(crate) struct TableSt {
    pub slots: Vec<Option<FuncRef>>,
    pub max: Option<u32>,
    pub owner: InstId,
}

#[derive(Clone, Debug)]
pub(crate) struct State {
    /// Every table; [`SHARED`] is main's `table`.
    pub tables: Vec<TableSt>,
    /// Main's `aux`, if it has one.
    pub aux: Option<TableAddr>,
    pub pages: u32,
    pub pages_max: Option<u32>,
    /// The pages main's `mg` lets the memory reach.
    pub mem_cap: u32,
    pub tbases: Vec<u32>,
    pub mbases: Vec<u32>,
    /// Main's `frefK` globals.
    pub frefs: Vec<Option<FuncRef>>,
    /// Main exports float globals.
    pub floats: bool,
    pub instances: Vec<Instance>,
    /// `lockstep` handles: the instance of each, `None` once closed.
    pub handles: Vec<Option<InstId>>,
    /// The slot dlsym last gave each function.
    pub dlsym_slots: HashMap<FuncRef, u32>,
    /// Main's function pointers (memory at `FP_BASE`) that a JIT patch
    /// stored, as slot indices; `None`: still 0 (slot 0).
    pub fps: [Option<u32>; FP_SLOTS as usize],
    /// A side has imported main's table and memory.
    pub shared: bool,
    /// Main's float globals (all zero without floats): what `gf` and `gd`
    /// hold now, a chosen NaN included, and the bits of `cf` and `cd`.
    pub gf: FVal,
    pub gd: FVal,
    pub cf: u64,
    pub cd: u64,
}

impl State {
    /// Main, just instantiated (its active segments at 0 written).
    pub(crate) fn new(main: &MainDef) -> State {
        let func = |k: usize| Some(FuncRef { inst: 0, func: k });
        let mut tables = vec![TableSt { slots: vec![None; main.table.min as usize], max: main.table.max, owner: 0 }];
        for (slot, &f) in main.active.iter().enumerate() {
            tables[SHARED].slots[slot] = func(f);
        }
        let mut own = vec![(TableId::Shared, SHARED)];
        let mut aux = None;
        for (t, l) in [(TableId::Aux, main.aux), (TableId::Priv, main.private)] {
            if let Some(l) = l {
                let mut slots = vec![None; l.min as usize];
                if t == TableId::Aux {
                    for (slot, &f) in main.aux_active.iter().enumerate() {
                        slots[slot] = func(f);
                    }
                    aux = Some(tables.len());
                }
                own.push((t, tables.len()));
                tables.push(TableSt { slots, max: l.max, owner: 0 });
            }
        }
        State {
            tables,
            aux,
            pages: main.memory.min,
            pages_max: main.memory.max,
            mem_cap: main.mem_cap,
            tbases: main.tbases.clone(),
            mbases: main.mbases.clone(),
            frefs: main.frefs.iter().map(|f| f.and_then(func)).collect(),
            floats: main.floats.is_some(),
            instances: vec![Instance {
                funcs: main.funcs.clone(),
                types: main.types.clone(),
                def: None,
                failed: false,
                passive: (!main.passive.is_empty()).then(|| main.passive.iter().map(|&k| func(k)).collect()),
                tables: own,
                globals: Vec::new(),
            }],
            handles: Vec::new(),
            dlsym_slots: HashMap::new(),
            fps: [None; FP_SLOTS as usize],
            shared: false,
            gf: FVal::Exact(main.floats.map_or(0, |g| g.gf)),
            gd: FVal::Exact(main.floats.map_or(0, |g| g.gd)),
            cf: main.floats.map_or(0, |g| g.cf),
            cd: main.floats.map_or(0, |g| g.cd),
        }
    }

    /// Main's float globals now, as float expressions read them.
    pub(crate) fn fenv(&self) -> FEnv {
        FEnv { cf: self.cf, cd: self.cd, gf: self.gf, gd: self.gd }
    }

    /// The mutable float global of type `ty` (`gf` or `gd`).
    pub(crate) fn fglobal(&mut self, ty: FTy) -> &mut FVal {
        match ty {
            FTy::F32 => &mut self.gf,
            FTy::F64 => &mut self.gd,
        }
    }

    /// The shared table's slots.
    pub(crate) fn table(&self) -> &[Option<FuncRef>] {
        &self.tables[SHARED].slots
    }

    /// The shared table's size.
    pub(crate) fn size(&self) -> u32 {
        self.len(SHARED)
    }

    pub(crate) fn len(&self, t: TableAddr) -> u32 {
        self.tables[t].slots.len() as u32
    }

    pub(crate) fn func(&self, f: FuncRef) -> &FuncDef {
        &self.instances[f.inst].funcs[f.func]
    }

    /// The host function `f` is, if it is one.
    pub(crate) fn host(&self, f: FuncRef) -> Option<Host> {
        match self.func(f).body {
            Body::Host(h) => Some(h),
            _ => None,
        }
    }

    /// The type index of `f` in the module that defines it.
    pub(crate) fn type_index(&self, f: FuncRef) -> u32 {
        let def = self.func(f);
        self.instances[f.inst].types.index(def.sig, def.dup)
    }

    /// Whether a table that engines can observe holds a function of a
    /// failed instantiation (the tables of a failed instance have no handle).
    pub(crate) fn has_left_behind(&self) -> bool {
        self.tables
            .iter()
            .filter(|t| !self.instances[t.owner].failed)
            .any(|t| t.slots.iter().any(|s| s.is_some_and(|f| self.instances[f.inst].failed)))
    }

    /// Slots of the shared table that hold a function of a failed instantiation.
    pub(crate) fn left_behind_slots(&self) -> impl Iterator<Item = u32> + '_ {
        self.table()
            .iter()
            .enumerate()
            .filter(|(_, s)| s.is_some_and(|f| self.instances[f.inst].failed))
            .map(|(i, _)| i as u32)
    }

    /// `call_indirect` through the shared table (§4.4.8).
    pub(crate) fn call(&self, slot: u32, sig: Sig) -> Result<FuncRef, Trap> {
        self.call_in(SHARED, slot, sig)
    }

    /// `call_indirect` through table `t` (§4.4.8): the function it reaches,
    /// or its trap. Generated functions never trap themselves.
    pub(crate) fn call_in(&self, t: TableAddr, slot: u32, sig: Sig) -> Result<FuncRef, Trap> {
        match self.tables[t].slots.get(slot as usize) {
            None => Err(Trap::UndefinedElement),
            Some(None) => Err(Trap::UninitializedElement),
            Some(Some(f)) if self.func(*f).sig != sig => Err(Trap::Mismatch),
            Some(Some(f)) => Ok(*f),
        }
    }

    /// `table.grow` (§4.4.6): the old size, or -1 past the max.
    pub(crate) fn table_grow(&mut self, t: TableAddr, n: u32, init: Option<FuncRef>) -> i32 {
        let old = self.len(t);
        match old.checked_add(n) {
            Some(new) if self.tables[t].max.is_none_or(|m| new <= m) => {
                self.tables[t].slots.resize(new as usize, init);
                old as i32
            }
            _ => -1,
        }
    }

    /// `table.set`.
    pub(crate) fn table_set(&mut self, t: TableAddr, slot: u32, f: Option<FuncRef>) -> Result<(), Trap> {
        let s = self.tables[t].slots.get_mut(slot as usize).ok_or(Trap::TableOob)?;
        *s = f;
        Ok(())
    }

    /// `table.fill`: bounds first, then every slot.
    pub(crate) fn table_fill(&mut self, t: TableAddr, d: u32, n: u32, f: Option<FuncRef>) -> Result<(), Trap> {
        let end = self.in_table(t, d, n)?;
        self.tables[t].slots[d as usize..end].fill(f);
        Ok(())
    }

    /// `table.copy` from table `src` to table `dst` (the same table or
    /// another; overlapping ranges copy as if through a buffer).
    pub(crate) fn table_copy(&mut self, dst: TableAddr, src: TableAddr, d: u32, s: u32, n: u32) -> Result<(), Trap> {
        self.in_table(dst, d, n)?;
        let end = self.in_table(src, s, n)?;
        let moved: Vec<Option<FuncRef>> = self.tables[src].slots[s as usize..end].to_vec();
        self.tables[dst].slots[d as usize..(d + n) as usize].copy_from_slice(&moved);
        Ok(())
    }

    /// `table.init` of instance `inst`'s passive segment into table `t`; a
    /// dropped segment has length 0.
    pub(crate) fn table_init(&mut self, t: TableAddr, inst: InstId, d: u32, s: u32, n: u32) -> Result<(), Trap> {
        let items = self.instances[inst].passive.clone().unwrap_or_default();
        if u64::from(s) + u64::from(n) > items.len() as u64 {
            return Err(Trap::TableOob);
        }
        self.in_table(t, d, n)?;
        for i in 0..n {
            self.tables[t].slots[(d + i) as usize] = items[(s + i) as usize];
        }
        Ok(())
    }

    fn in_table(&self, t: TableAddr, start: u32, n: u32) -> Result<usize, Trap> {
        let end = u64::from(start) + u64::from(n);
        if end > u64::from(self.len(t)) { Err(Trap::TableOob) } else { Ok(end as usize) }
    }

    /// `memory.grow` (§4.4.7): the old size in pages, or -1 past the max.
    pub(crate) fn memory_grow(&mut self, n: u32) -> i32 {
        let old = self.pages;
        let new = u64::from(old) + u64::from(n);
        if new <= u64::from(self.pages_max.unwrap_or(PAGE)) {
            self.pages = new as u32;
            old as i32
        } else {
            -1
        }
    }

    /// Main's `mg(n)`: grows by `n` if the size plus `n` (mod 2^32, as
    /// `i32.add` computes it) is within the cap, else -1.
    pub(crate) fn mg(&mut self, n: i32) -> i32 {
        if self.pages.wrapping_add(n as u32) <= self.mem_cap { self.memory_grow(n as u32) } else { -1 }
    }

    /// Whether `[addr, addr + len)` is inside the memory.
    pub(crate) fn in_memory(&self, addr: u32, len: u32) -> bool {
        u64::from(addr) + u64::from(len) <= u64::from(self.pages) * u64::from(PAGE)
    }

    /// Whether a side's imports match main's exports now (§4.5.3): the
    /// current size stands for the export's min, and a declared max needs a
    /// max on the export that is not larger. `Err(unknown)`: it does not
    /// link, because an import names nothing (`true`) or does not match.
    pub(crate) fn links(&self, def: &SideDef) -> Result<(), bool> {
        let matches = |import: Limits, current: u32, max: Option<u32>| {
            import.min <= current && import.max.is_none_or(|m| max.is_some_and(|x| x <= m))
        };
        let (mut unknown, mut incompatible) = (false, false);
        for i in def.all_imports() {
            let ok = match i {
                Import::Table(l) => matches(l, self.size(), self.tables[SHARED].max),
                Import::Aux(l) => match self.aux {
                    Some(a) => matches(l, self.len(a), self.tables[a].max),
                    None => {
                        unknown = true;
                        true
                    }
                },
                Import::Memory(l) => matches(l, self.pages, self.pages_max),
                Import::TBase(k) => {
                    unknown |= k >= self.tbases.len();
                    true
                }
                Import::MBase(k) => {
                    unknown |= k >= self.mbases.len();
                    true
                }
                Import::FRef(k) => {
                    unknown |= k >= self.frefs.len();
                    true
                }
                Import::Gm0 | Import::Note(_) | Import::Mg(_) => true,
                Import::FGlobal(..) => {
                    unknown |= !self.floats;
                    true
                }
                Import::Bad(BadImport::MissingExport) => {
                    unknown = true;
                    true
                }
                Import::Bad(BadImport::FloatGlobalType) if !self.floats => {
                    unknown = true;
                    true
                }
                Import::Bad(_) => false,
            };
            incompatible |= !ok;
        }
        if unknown || incompatible { Err(unknown) } else { Ok(()) }
    }

    /// An item's reference in instance `inst`.
    fn item(&self, inst: InstId, item: Item) -> Option<FuncRef> {
        match item {
            Item::Own(k) => Some(FuncRef { inst, func: k }),
            Item::Note => Some(NOTE),
            Item::Null => None,
            Item::FRef(k) => self.frefs[k],
        }
    }

    /// Instantiates side definition `d` (§4.5.4): link check, allocation
    /// (its own tables, its globals from their initialisers, its passive
    /// segment), then the active element segments in order, the data
    /// segments in order, and the start function; the first trap ends it,
    /// keeping every write before.
    pub(crate) fn instantiate(&mut self, d: usize, def: &SideDef) -> (Instantiated, Effects) {
        let mut fx = Effects {
            own_memory_data: def.own_memory.is_some() && !def.datas.is_empty(),
            own_tables: !def.own_tables.is_empty(),
            defined_after_imported_globals: !def.globals.is_empty() && def.imported_globals() > 0,
            unused_type: def.types.has_unused(),
            ..Effects::default()
        };
        if let Err(unknown) = self.links(def) {
            return (Instantiated::Link { unknown }, fx);
        }
        let inst = self.instances.len();
        let mut tables = vec![(TableId::Shared, SHARED)];
        if let Some(a) = self.aux
            && def.imports.iter().any(|i| matches!(i, Import::Aux(_)))
        {
            tables.push((TableId::Aux, a));
        }
        for (k, l) in def.own_tables.iter().enumerate() {
            tables.push((TableId::Own(k as u8), self.tables.len()));
            self.tables.push(TableSt { slots: vec![None; l.min as usize], max: l.max, owner: inst });
        }
        let globals = def
            .globals
            .iter()
            .map(|g| match *g {
                Init::I32(v) => GVal::I32(v),
                Init::TBase(k) => {
                    fx.global_inits_imported += 1;
                    GVal::I32(self.tbases[k] as i32)
                }
                Init::Null => GVal::Ref(None),
                Init::Func(k) => GVal::Ref(Some(FuncRef { inst, func: k })),
                Init::Note => GVal::Ref(Some(NOTE)),
                Init::FRef(k) => {
                    fx.global_inits_imported += 1;
                    GVal::Ref(self.frefs[k])
                }
            })
            .collect();
        let passive = (!def.passive.is_empty()).then(|| def.passive.iter().map(|i| self.item(inst, *i)).collect());
        self.instances.push(Instance {
            funcs: def.funcs.clone(),
            types: def.types.clone(),
            def: Some(d),
            failed: false,
            passive,
            tables,
            globals,
        });
        self.shared = true;
        let outcome = self.run_segments(inst, def, &mut fx).and_then(|()| self.run_start(inst, def, &mut fx));
        match outcome {
            Ok(()) => (Instantiated::Ok(inst), fx),
            Err(t) => {
                self.instances[inst].failed = true;
                (Instantiated::Trap(inst, t), fx)
            }
        }
    }

    fn run_segments(&mut self, inst: InstId, def: &SideDef, fx: &mut Effects) -> Result<(), Trap> {
        for e in &def.elems {
            let t = self.instances[inst].table(e.table).expect("a segment's table is the side's");
            let offset = match e.offset {
                Offset::Const(c) => c,
                Offset::Global(k) => {
                    fx.imported_global_segments += 1;
                    self.tbases[k]
                }
            };
            self.in_table(t, offset, e.items.len() as u32)?;
            for (i, item) in e.items.iter().enumerate() {
                let f = self.item(inst, *item);
                match item {
                    Item::Note => fx.ref_func_imports += 1,
                    Item::FRef(_) => fx.item_global_gets += 1,
                    _ => {}
                }
                if f.is_some_and(|f| self.host(f).is_some()) {
                    fx.host_in_table += 1;
                }
                self.tables[t].slots[offset as usize + i] = f;
            }
        }
        for data in &def.datas {
            let offset = match data.offset {
                Offset::Const(c) => c,
                Offset::Global(k) => {
                    fx.imported_global_segments += 1;
                    self.mbases[k]
                }
            };
            let pages = def.own_memory.unwrap_or(self.pages);
            if u64::from(offset) + data.bytes.len() as u64 > u64::from(pages) * u64::from(PAGE) {
                return Err(Trap::MemoryOob);
            }
            debug_assert!(offset >= DATA_BASE, "data segments stay above names and function pointers");
        }
        Ok(())
    }

    fn run_start(&mut self, inst: InstId, def: &SideDef, fx: &mut Effects) -> Result<(), Trap> {
        let Some(start) = &def.start else { return Ok(()) };
        for w in &start.writes {
            match *w {
                Write::TableSet(slot) => self.table_set(SHARED, slot, Some(FuncRef { inst, func: 0 }))?,
                Write::Note(_) | Write::Gm0(_) => fx.global_writes += 1,
                Write::FGlobal(ty, bits) => {
                    *self.fglobal(ty) = FVal::Exact(bits);
                    fx.global_writes += 1;
                }
                Write::TableGrow { n, item } => {
                    let f = self.item(inst, item);
                    if self.table_grow(SHARED, n, f) >= 0 && n > 0 && f.is_some() {
                        fx.grows_with_func += 1;
                        if f.is_some_and(|f| self.host(f).is_some()) {
                            fx.host_in_table += 1;
                        }
                    }
                }
                Write::MemGrow { cap } => {
                    debug_assert!(def.own_memory.is_none(), "a start grows the shared memory only");
                    if self.pages < cap {
                        self.memory_grow(1);
                    }
                }
                Write::Counter(_) | Write::Store { .. } | Write::StoreTop(_) => {}
            }
        }
        match &start.end {
            End::Return => Ok(()),
            End::Unreachable => Err(Trap::Unreachable),
            End::CallIndirect { slot, sig, args, .. } => {
                let f = self.call(*slot, *sig)?;
                // The start's frame is the side's: a host dlopen finds no
                // memory `memory` to read a name from.
                match self.host(f) {
                    Some(Host::Dlclose) => {
                        self.dlclose(args.x as u32);
                    }
                    Some(Host::Dlopen) => {}
                    None => {
                        self.run(f, args);
                    }
                }
                Ok(())
            }
            End::JitPatch { fps } => {
                let n = def.passive.len() as u32;
                let base = self.table_grow(SHARED, n, None);
                if base < 0 {
                    return Ok(());
                }
                self.table_init(SHARED, inst, base as u32, 0, n)?;
                self.instances[inst].passive = None;
                for (i, &fp) in fps.iter().enumerate() {
                    self.fps[fp as usize] = Some(base as u32 + i as u32);
                }
                fx.jit_patched = true;
                Ok(())
            }
        }
    }

    /// Runs wasm function `f` (not a host function) with `args`: its
    /// result where the generator knows it (`Some(None)`: none), with its
    /// effects on the state. Generated functions never trap.
    pub(crate) fn run(&mut self, f: FuncRef, args: &Args) -> Option<Option<V>> {
        let def = self.func(f).clone();
        // Bodies with effects first: at type `i_v` the result alone is known.
        match def.body {
            Body::Mg(_) => return Some(Some(V::I32(self.mg(args.x)))),
            Body::GrowThenUse { value, .. } => {
                let v = if self.mg(1) >= 0 { value } else { 0 };
                return Some((def.sig != Sig::IV).then(|| def.adapt(v, args)));
            }
            _ => {}
        }
        if let Some(known) = def.known_result(args, &self.fenv()) {
            return Some(known);
        }
        match def.body {
            Body::Global(k) => match self.instances[f.inst].globals[k] {
                GVal::I32(v) => Some(Some(def.adapt(v, args))),
                GVal::Ref(_) => panic!("generator bug: a funcref global read as i32"),
            },
            Body::Host(h) => panic!("generator bug: host function {} run as wasm", h.name()),
            _ => None,
        }
    }

    /// `lockstep.dlopen` of side `d`: the new handle, or -1 (host.rs).
    pub(crate) fn dlopen(&mut self, d: usize, def: &SideDef) -> (i32, Instantiated, Effects) {
        let (outcome, fx) = self.instantiate(d, def);
        let handle = match outcome {
            Instantiated::Ok(inst) => {
                self.handles.push(Some(inst));
                self.handles.len() as i32 - 1
            }
            _ => -1,
        };
        (handle, outcome, fx)
    }

    /// `lockstep.dlsym(handle, "f{k}")`: the slot the function had if the
    /// table still holds it there, else a new slot appended by growing the
    /// table by one; -1 for a closed or unknown handle, a missing export, or
    /// a table at its max (host.rs).
    pub(crate) fn dlsym(&mut self, handle: u32, k: usize, defs: &[SideDef]) -> (i32, bool) {
        let Some(&Some(inst)) = self.handles.get(handle as usize) else { return (-1, false) };
        let def = &defs[self.instances[inst].def.expect("a handle is a side")];
        if !def.exports || k >= def.funcs.len() {
            return (-1, false);
        }
        let f = FuncRef { inst, func: k };
        if let Some(&slot) = self.dlsym_slots.get(&f)
            && self.table().get(slot as usize) == Some(&Some(f))
        {
            return (slot as i32, true);
        }
        let slot = self.table_grow(SHARED, 1, Some(f));
        if slot >= 0 {
            self.dlsym_slots.insert(f, slot as u32);
        }
        (slot, false)
    }

    /// `lockstep.dlclose`: 0, or -1 if the handle was not open.
    pub(crate) fn dlclose(&mut self, handle: u32) -> i32 {
        match self.handles.get_mut(handle as usize) {
            Some(open @ Some(_)) => {
                *open = None;
                0
            }
            _ => -1,
        }
    }
}
