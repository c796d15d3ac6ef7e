//! Side module definitions: plain sides (where a library would do: drawn
//! from the pool, or generated fresh against the state of the moment),
//! sides built to fail part-way or to fail to link, JIT patches, and sides
//! whose start grows and writes what they share.

use std::collections::BTreeSet;

use arbitrary::Result;

use super::float::{self, FTy};
use super::pool::Pool;
use super::state::{Instantiated, SHARED};
use super::steps::{Access, Gen, bad_imports, gen_func, gen_func_at, gen_puts, max_funcs};
use super::wat::{
    Body, DATA_BASE, DataSeg, ElemSeg, End, FP_SLOTS, FuncDef, Import, Init, Item, Limits, Offset, PAGE, SideDef, Sig,
    Start, TableId, Types, Write, shuffle,
};

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
    /// An import of an offset global main does not export.
    MissingGlobal,
    Bad(super::wat::BadImport),
}

/// What the functions of `def` may use.
fn access_of(def: &SideDef) -> Access {
    let mut i32_globals = 0u8;
    for (k, g) in def.globals.iter().enumerate().take(8) {
        if g.is_i32() {
            i32_globals |= 1 << k;
        }
    }
    Access {
        note: def.imports_note(),
        gm0: def.has(Import::Gm0),
        floats: def.floats,
        fglobals: def.fglobals.is_some(),
        mg: def.has(Import::Mg(0)),
        shared_memory: def.own_memory.is_none(),
        i32_globals,
    }
}

/// Replaces the import of main's table (or memory) in `def`, or adds it.
fn set_import(def: &mut SideDef, new: Import) {
    let same = |i: &Import| std::mem::discriminant(i) == std::mem::discriminant(&new);
    match def.imports.iter_mut().find(|i| same(i)) {
        Some(i) => *i = new,
        None => def.imports.push(new),
    }
}

impl Gen<'_, '_, '_> {
    /// A new side definition where a library would do, added to the
    /// scenario: from the pool (one that `want`s, and mostly one that
    /// would instantiate now; at the configured rate), else fresh (which
    /// may not be what `want` asks for).
    pub(super) fn new_side(&mut self, want: impl Fn(&SideDef) -> bool) -> Result<usize> {
        let any = self.u.ratio(1, 8)?;
        if let Some(d) = self.pool_pick(|d, o| want(d) && (any || matches!(o, Instantiated::Ok(_))))? {
            return Ok(d);
        }
        let def = self.plain_side()?;
        Ok(self.add_side(def))
    }

    /// At the rate `Config::pool_reuse`, a library of the pool (one of its
    /// first `Config::pool_size`) that the scenario has not defined yet,
    /// added to the scenario: one that `want`s, given what instantiating
    /// it now would do (a library may fit this main, need what it lacks,
    /// trap in its segments or start, or be a JIT patch).
    pub(super) fn pool_pick(&mut self, want: impl Fn(&SideDef, Instantiated) -> bool) -> Result<Option<usize>> {
        let n = self.cfg.pool_size.min(Pool::CAPACITY);
        if self.pool.is_empty() || n == 0 || !self.can_add_side() {
            return Ok(None);
        }
        if self.u.int_in_range(1..=100u32)? > self.cfg.pool_reuse {
            return Ok(None);
        }
        let present: Vec<usize> = self.sides.iter().filter_map(|d| d.pool).collect();
        let mut wanted = Vec::new();
        for k in (0..n).filter(|k| !present.contains(k)) {
            let Some(lib) = self.pool.library(k) else { continue };
            if !self.allows(&lib) {
                continue;
            }
            let trial = self.st.clone().instantiate(self.sides.len(), &lib).0;
            if want(&lib, trial) {
                wanted.push(lib);
            }
        }
        if wanted.is_empty() {
            return Ok(None);
        }
        let lib = wanted.swap_remove(self.u.choose_index(wanted.len())?);
        Ok(Some(self.add_side((*lib).clone())))
    }

    /// Whether this scenario's configuration allows library `lib` (its
    /// maxima and switches, which libraries are not generated with).
    fn allows(&self, lib: &SideDef) -> bool {
        let floats = lib.fglobals.is_some() || lib.funcs.iter().any(|f| f.sig.float().is_some());
        (self.cfg.own_memory || lib.own_memory.is_none())
            && (self.cfg.floats || !floats)
            && lib.own_tables.len() <= self.cfg.max_tables
            && lib.globals.len() <= self.cfg.max_globals
            && lib.funcs.len() <= max_funcs(self.cfg)
    }

    /// A side that links and (mostly) instantiates now: imports within the
    /// current sizes (in an order of its own, and sometimes main's `aux`
    /// and `mg` too), maybe tables of its own, globals initialised by
    /// constant expressions of every form, segments mostly in bounds, a
    /// start that may write, grow and call through the shared state.
    pub(super) fn plain_side(&mut self) -> Result<SideDef> {
        let size = self.st.size();
        let floats = self.cfg.floats;
        let types = Types::generate(self.u, Sig::of(floats), self.cfg.max_extra_types)?;
        let table = Limits { min: self.u.int_in_range(0..=size)?, max: self.import_max(self.st.tables[SHARED].max)? };
        let memory = Limits { min: self.u.int_in_range(0..=self.st.pages)?, max: self.import_max(self.st.pages_max)? };
        // A library asks for any table and memory (as a side module
        // imports `env.memory` and `env.__indirect_function_table`).
        let (table, memory) = if self.library && self.u.ratio(7, 8)? {
            (Limits { min: 0, max: None }, Limits { min: self.u.int_in_range(0..=1)?, max: None })
        } else {
            (table, memory)
        };
        let own_memory =
            if self.cfg.own_memory && self.u.ratio(1, 4)? { Some(self.u.int_in_range(1..=2)?) } else { None };
        let mut imports = vec![Import::Table(table)];
        if own_memory.is_none() {
            imports.push(Import::Memory(memory));
        }
        let (note, gm0) = (self.u.arbitrary()?, self.u.arbitrary()?);
        // A side with a memory of its own mostly calls main's `mg` too.
        let mg = if own_memory.is_some() { self.u.ratio(3, 4)? } else { self.u.arbitrary()? };
        if note {
            imports.push(Import::Note(types.pick(self.u, Sig::IV)?));
        }
        if gm0 {
            imports.push(Import::Gm0);
        }
        if mg {
            imports.push(Import::Mg(types.pick(self.u, Sig::II)?));
        }
        let fglobals = floats && self.u.arbitrary()?;
        if fglobals {
            for (ty, mutable) in [(FTy::F32, true), (FTy::F64, true), (FTy::F32, false), (FTy::F64, false)] {
                imports.push(Import::FGlobal(ty, mutable));
            }
        }
        if let Some(a) = self.st.aux
            && self.u.ratio(1, if self.library { 6 } else { 3 })?
        {
            let l =
                Limits { min: self.u.int_in_range(0..=self.st.len(a))?, max: self.import_max(self.st.tables[a].max)? };
            imports.push(Import::Aux(l));
        }
        shuffle(self.u, &mut imports)?;
        let mut own_tables = Vec::new();
        if self.cfg.max_tables > 0 && self.u.ratio(1, 3)? {
            for _ in 0..self.u.int_in_range(1..=self.cfg.max_tables.min(2))? {
                let min = self.u.int_in_range(0..=4)?;
                let max = if self.u.arbitrary()? { Some(min + self.u.int_in_range(0..=4)?) } else { None };
                own_tables.push(Limits { min, max });
            }
        }
        let nfuncs = self.u.int_in_range(1..=max_funcs(self.cfg))?;
        let mut def = SideDef {
            name: String::new(),
            pool: None,
            types,
            imports,
            import_key: 0,
            global_key: 0,
            own_memory,
            own_tables,
            floats,
            fglobals: None,
            counter: self.u.int_in_range(-5..=100)?,
            globals: Vec::new(),
            funcs: Vec::new(),
            elems: Vec::new(),
            passive: Vec::new(),
            datas: Vec::new(),
            start: None,
            exports: true,
            used: BTreeSet::new(),
        };
        for _ in 0..self.u.int_in_range(0..=self.cfg.max_globals)? {
            let g = self.global_init(&def, nfuncs)?;
            def.globals.push(g);
        }
        let access = access_of(&def);
        let access = Access { fglobals, ..access };
        for _ in 0..nfuncs {
            let f = gen_func(self.u, access, &def.types)?;
            def.funcs.push(f);
        }
        if fglobals {
            def.fglobals = Some(gen_puts(self.u)?);
        }
        for _ in 0..self.u.int_in_range(0..=self.cfg.max_segments)? {
            if let Some(e) = self.elem_seg(&def)? {
                def.elems.push(e);
            }
        }
        for _ in 0..self.u.int_in_range(0..=3)? {
            let item = if self.u.ratio(3, 4)? { Item::Own(self.u.choose_index(nfuncs)?) } else { self.item(&def)? };
            def.passive.push(item);
        }
        let pages = own_memory.unwrap_or(self.st.pages);
        for _ in 0..self.u.int_in_range(0..=self.cfg.max_segments)? {
            let d = self.data_seg(pages)?;
            def.datas.push(d);
        }
        if self.u.ratio(1, 3)? {
            let writes = self.start_writes(&def)?;
            let end = self.safe_call(&def)?.unwrap_or(End::Return);
            def.start = Some(Start { writes, end });
        }
        def.import_key = self.u.arbitrary()?;
        def.global_key = self.u.arbitrary()?;
        Ok(def)
    }

    /// The initialiser of a defined global of `def` (whose functions are
    /// `$f0` … below `nfuncs`): every constant-expression form of Wasm 2.0.
    pub(super) fn global_init(&mut self, def: &SideDef, nfuncs: usize) -> Result<Init> {
        let mut choices =
            vec![Init::I32(self.u.int_in_range(-9..=999)?), Init::Null, Init::Func(self.u.choose_index(nfuncs)?)];
        if !self.st.tbases.is_empty() {
            choices.push(Init::TBase(self.u.choose_index(self.st.tbases.len())?));
        }
        if !self.st.frefs.is_empty() {
            let k = self.u.choose_index(self.st.frefs.len())?;
            choices.extend([Init::FRef(k), Init::FRef(k)]);
        }
        if def.imports_note() {
            choices.push(Init::Note);
        }
        Ok(*self.u.choose(&choices)?)
    }

    /// An import's max: none, or the export's max or more (so it links).
    fn import_max(&mut self, export_max: Option<u32>) -> Result<Option<u32>> {
        Ok(match export_max {
            Some(m) if self.u.arbitrary()? => Some(m + self.u.int_in_range(0..=2)?),
            _ => None,
        })
    }

    /// An element item of `def`: every constant-expression form of a funcref.
    fn item(&mut self, def: &SideDef) -> Result<Item> {
        let mut items = vec![Item::Own(self.u.choose_index(def.funcs.len())?), Item::Null];
        if def.imports_note() {
            items.push(Item::Note);
        }
        if !self.st.frefs.is_empty() {
            items.push(Item::FRef(self.u.choose_index(self.st.frefs.len())?));
        }
        Ok(*self.u.choose(&items)?)
    }

    /// An active element segment, mostly into the shared table: at an
    /// imported global's offset (whatever it is), or at a constant offset
    /// that fits the table now; sometimes into `aux` or a table of its own.
    fn elem_seg(&mut self, def: &SideDef) -> Result<Option<ElemSeg>> {
        let mut targets = vec![TableId::Shared, TableId::Shared];
        if def.imports.iter().any(|i| matches!(i, Import::Aux(_))) {
            targets.push(TableId::Aux);
        }
        targets.extend((0..def.own_tables.len()).map(|k| TableId::Own(k as u8)));
        let table = *self.u.choose(&targets)?;
        let size = match table {
            TableId::Shared => self.st.size(),
            TableId::Aux => self.st.aux.map_or(0, |a| self.st.len(a)),
            TableId::Own(k) => def.own_tables[k as usize].min,
            TableId::Priv => unreachable!("a side has no private table of main's"),
        };
        let global = table == TableId::Shared && !self.st.tbases.is_empty() && self.u.ratio(1, 3)?;
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
        Ok(Some(ElemSeg { table, offset, items, exprs: self.u.ratio(1, 3)? }))
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
    /// constants), the memory (at a fixed address, or at its last word), an
    /// in-bounds table slot; and growth of the shared table (with one of
    /// its items) and of the shared memory.
    fn start_writes(&mut self, def: &SideDef) -> Result<Vec<Write>> {
        let mut writes = Vec::new();
        for _ in 0..self.u.int_in_range(1..=3)? {
            let v = self.u.int_in_range(0..=999)?;
            let mut choices = vec![
                Write::Counter(v),
                Write::Store { addr: DATA_BASE + 4 * self.u.int_in_range(0..=32)?, value: v },
                Write::StoreTop(v),
                Write::TableGrow { n: self.u.int_in_range(0..=2)?, item: self.item(def)? },
            ];
            if def.imports_note() {
                choices.push(Write::Note(v));
            }
            if def.has(Import::Gm0) {
                choices.push(Write::Gm0(v));
            }
            if def.fglobals.is_some() {
                let ty = *self.u.choose(&FTy::ALL)?;
                choices.push(Write::FGlobal(ty, float::gen_const(self.u, ty)?));
            }
            if self.st.size() > 0 {
                choices.push(Write::TableSet(self.u.int_in_range(0..=self.st.size() - 1)?));
            }
            if def.own_memory.is_none() {
                choices.push(Write::MemGrow { cap: self.st.mem_cap });
            }
            writes.push(*self.u.choose(&choices)?);
        }
        Ok(writes)
    }

    /// A start's `call_indirect` that succeeds now: a full slot at its type
    /// (one `def` declares).
    fn safe_call(&mut self, def: &SideDef) -> Result<Option<End>> {
        let sigs = Sig::of(def.floats);
        let table = self.st.table();
        let full: Vec<u32> = (0..table.len() as u32)
            .filter(|&s| table[s as usize].is_some_and(|f| sigs.contains(&self.st.func(f).sig)))
            .collect();
        if full.is_empty() || !self.u.arbitrary()? {
            return Ok(None);
        }
        let slot = *self.u.choose(&full)?;
        let held = self.st.table()[slot as usize];
        let sig = held.map(|f| self.st.func(f).sig).expect("a full slot");
        let dup = def.types.pick(self.u, sig)?;
        let mut args = self.args()?;
        if held.is_some_and(|f| self.st.host(f).is_some()) {
            // A handle that may be open: a start may close it.
            args.x = self.u.int_in_range(-1..=self.st.handles.len() as i32)?;
        }
        Ok(Some(End::CallIndirect { slot, sig, dup, args }))
    }

    /// A side built to fail part-way, in one of four ways.
    pub(super) fn failing_side(&mut self) -> Result<SideDef> {
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
                let end = self.failing_call(&def)?;
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
            def.funcs[0] = FuncDef { sig: Sig::VI, dup: def.types.pick(self.u, Sig::VI)?, body: Body::Load(DATA_BASE) };
            def.datas.push(DataSeg { offset: Offset::Const(DATA_BASE), bytes: vec![0x2a] });
        }
        let size = self.st.size();
        if size > 0 {
            let len = self.u.int_in_range(1..=size.min(3))?;
            let offset = self.u.int_in_range(0..=size - len)?;
            let items = (0..len).map(|i| Item::Own(i as usize % def.funcs.len())).collect();
            let seg = ElemSeg { table: TableId::Shared, offset: Offset::Const(offset), items, exprs: false };
            def.elems.insert(0, seg);
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
        def.elems.push(ElemSeg { table: TableId::Shared, offset, items, exprs: self.u.arbitrary()? });
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
    fn failing_call(&mut self, def: &SideDef) -> Result<End> {
        let sigs = Sig::of(def.floats);
        let slot = self.pick_slot()?;
        let sig = match self.st.table().get(slot as usize) {
            Some(Some(f)) => {
                let own = self.st.func(*f).sig;
                let others: Vec<Sig> = sigs.iter().copied().filter(|s| *s != own).collect();
                *self.u.choose(&others)?
            }
            _ => *self.u.choose(sigs)?,
        };
        let dup = def.types.pick(self.u, sig)?;
        Ok(End::CallIndirect { slot, sig, dup, args: self.args()? })
    }

    /// A JIT patch: imports only the memory and the table, `i_i` code in a
    /// passive segment, and a start that appends it and redirects pointers.
    pub(super) fn jit_side(&mut self) -> Result<SideDef> {
        let n = self.u.int_in_range(1..=3)?;
        let floats = self.cfg.floats;
        let types = Types::generate(self.u, Sig::of(floats), self.cfg.max_extra_types)?;
        let mut funcs = Vec::new();
        let mut fps = Vec::new();
        let access = Access { floats, shared_memory: true, ..Access::default() };
        for _ in 0..n {
            funcs.push(gen_func_at(self.u, Sig::II, access, &types)?);
            fps.push(self.u.int_in_range(0..=FP_SLOTS - 1)?);
        }
        let min = if self.library { 0 } else { self.u.int_in_range(0..=self.st.size())? };
        let mut imports = vec![Import::Table(Limits { min, max: None }), Import::Memory(Limits { min: 1, max: None })];
        shuffle(self.u, &mut imports)?;
        Ok(SideDef {
            name: String::new(),
            pool: None,
            types,
            imports,
            import_key: 0,
            global_key: 0,
            own_memory: None,
            own_tables: Vec::new(),
            floats,
            fglobals: None,
            counter: 0,
            globals: Vec::new(),
            funcs,
            elems: Vec::new(),
            passive: (0..n as usize).map(Item::Own).collect(),
            datas: Vec::new(),
            start: Some(Start { writes: Vec::new(), end: End::JitPatch { fps } }),
            exports: false,
            used: BTreeSet::new(),
        })
    }

    /// A side whose start grows the shared memory (then stores at its last
    /// word) and appends to the shared table (an `i_i` function of its
    /// own, for main to call through the last slot).
    pub(super) fn growing_side(&mut self) -> Result<SideDef> {
        let mut def = self.plain_side()?;
        if def.own_memory.take().is_some() {
            set_import(&mut def, Import::Memory(Limits { min: 0, max: None }));
        }
        let k = match def.funcs.iter().position(|f| f.sig == Sig::II) {
            Some(k) => k,
            None => {
                // In place of its last function: dlsym names at most `f7`.
                let k = def.funcs.len() - 1;
                def.funcs[k] = gen_func_at(self.u, Sig::II, access_of(&def), &def.types)?;
                k
            }
        };
        let mut writes = Vec::new();
        let memory = self.u.ratio(3, 4)?;
        if memory {
            writes.push(Write::MemGrow { cap: self.st.mem_cap });
            writes.push(Write::StoreTop(self.u.int_in_range(1..=9999)?));
        }
        if !memory || self.u.ratio(3, 4)? {
            let grow = Write::TableGrow { n: self.u.int_in_range(1..=2)?, item: Item::Own(k) };
            if self.u.arbitrary()? { writes.push(grow) } else { writes.insert(0, grow) }
        }
        def.start = Some(Start { writes, end: End::Return });
        Ok(def)
    }

    /// A side that does not link now: a min above the current size, a max
    /// the export's does not meet, an import main does not export, or a bad
    /// import.
    pub(super) fn unlinkable_side(&mut self) -> Result<SideDef> {
        let mut def = self.plain_side()?;
        let mut ways = vec![
            Unlinkable::TableMin,
            Unlinkable::TableMax,
            Unlinkable::MemoryMin,
            Unlinkable::MemoryMax,
            Unlinkable::MissingGlobal,
        ];
        ways.extend(bad_imports(self.cfg.floats).into_iter().map(Unlinkable::Bad));
        let how = *self.u.choose(&ways)?;
        match how {
            Unlinkable::TableMin => {
                let l = Limits { min: self.st.size() + self.u.int_in_range(1..=3)?, max: None };
                set_import(&mut def, Import::Table(l));
            }
            Unlinkable::TableMax => {
                let l = self.max_too_small(self.st.tables[SHARED].max)?;
                set_import(&mut def, Import::Table(l));
            }
            Unlinkable::MemoryMin => {
                def.own_memory = None;
                set_import(&mut def, Import::Memory(Limits { min: self.st.pages + 1, max: None }));
            }
            Unlinkable::MemoryMax => {
                def.own_memory = None;
                let l = self.max_too_small(self.st.pages_max)?;
                set_import(&mut def, Import::Memory(l));
            }
            Unlinkable::MissingGlobal => def.imports.push(Import::TBase(self.st.tbases.len())),
            Unlinkable::Bad(bad) => def.imports.push(Import::Bad(bad)),
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
}
