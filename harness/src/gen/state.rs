//! What the generator knows by construction: the shared table slot by slot,
//! the memory's size, main's float globals, every instance (failed ones
//! included), the linker's handles and dlsym slots, and main's function
//! pointers. Each operation
//! here is the spec's rule, applied to that abstract state, so that the
//! generator can predict the outcome it asserts; the model then checks the
//! prediction (a failed assertion on the model is a generator bug).

use std::collections::HashMap;

use super::float::{FEnv, FTy, FVal};
use super::wat::{DATA_BASE, End, FP_SLOTS, FuncDef, Item, Limits, MainDef, Offset, PAGE, SideDef, Sig, Write};

/// An instance, numbered in the order the generator made it (main is 0).
pub(crate) type InstId = usize;

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
    /// A link error: nothing happened, no instance.
    Link,
    /// Trapped part-way: the instance exists, failed; its writes stay.
    Trap(InstId, Trap),
    Ok(InstId),
}

/// What an instantiation did, for the event counts.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Effects {
    pub imported_global_segments: u32,
    pub ref_func_imports: u32,
    pub jit_patched: bool,
    /// Writes of main's mutable globals (`gm0`, `gf`, `gd`) by the start function.
    pub global_writes: u32,
    /// The side has a memory of its own, with data segments.
    pub own_memory_data: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct Instance {
    pub funcs: Vec<FuncDef>,
    /// The side definition it came from (`None`: main).
    pub def: Option<usize>,
    pub failed: bool,
    /// Its passive segment was dropped (or it has none left).
    pub passive_dropped: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct State {
    pub table: Vec<Option<FuncRef>>,
    pub table_max: Option<u32>,
    pub pages: u32,
    pub pages_max: Option<u32>,
    pub tbases: Vec<u32>,
    pub mbases: Vec<u32>,
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
    /// Main, just instantiated (its active segment at 0 written).
    pub(crate) fn new(main: &MainDef) -> State {
        let mut table = vec![None; main.table.min as usize];
        for (slot, &f) in main.active.iter().enumerate() {
            table[slot] = Some(FuncRef { inst: 0, func: f });
        }
        State {
            table,
            table_max: main.table.max,
            pages: main.memory.min,
            pages_max: main.memory.max,
            tbases: main.tbases.clone(),
            mbases: main.mbases.clone(),
            instances: vec![Instance {
                funcs: main.funcs.clone(),
                def: None,
                failed: false,
                passive_dropped: main.passive.is_empty(),
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

    pub(crate) fn size(&self) -> u32 {
        self.table.len() as u32
    }

    pub(crate) fn func(&self, f: FuncRef) -> &FuncDef {
        &self.instances[f.inst].funcs[f.func]
    }

    /// Whether some slot holds a function of a failed instantiation.
    pub(crate) fn has_left_behind(&self) -> bool {
        self.left_behind_slots().next().is_some()
    }

    pub(crate) fn left_behind_slots(&self) -> impl Iterator<Item = u32> + '_ {
        self.table
            .iter()
            .enumerate()
            .filter(|(_, s)| s.is_some_and(|f| self.instances[f.inst].failed))
            .map(|(i, _)| i as u32)
    }

    /// `call_indirect` (§4.4.8): the function it reaches, or its trap.
    /// Generated functions never trap themselves.
    pub(crate) fn call(&self, slot: u32, sig: Sig) -> Result<FuncRef, Trap> {
        match self.table.get(slot as usize) {
            None => Err(Trap::UndefinedElement),
            Some(None) => Err(Trap::UninitializedElement),
            Some(Some(f)) if self.func(*f).sig != sig => Err(Trap::Mismatch),
            Some(Some(f)) => Ok(*f),
        }
    }

    /// `table.grow` (§4.4.6): the old size, or -1 past the max.
    pub(crate) fn table_grow(&mut self, n: u32, init: Option<FuncRef>) -> i32 {
        let old = self.size();
        match old.checked_add(n) {
            Some(new) if self.table_max.is_none_or(|m| new <= m) => {
                self.table.resize(new as usize, init);
                old as i32
            }
            _ => -1,
        }
    }

    /// `table.set`.
    pub(crate) fn table_set(&mut self, slot: u32, f: Option<FuncRef>) -> Result<(), Trap> {
        let s = self.table.get_mut(slot as usize).ok_or(Trap::TableOob)?;
        *s = f;
        Ok(())
    }

    /// `table.fill`: bounds first, then every slot.
    pub(crate) fn table_fill(&mut self, d: u32, n: u32, f: Option<FuncRef>) -> Result<(), Trap> {
        let end = self.in_table(d, n)?;
        self.table[d as usize..end].fill(f);
        Ok(())
    }

    /// `table.copy` (overlapping ranges copy as if through a buffer).
    pub(crate) fn table_copy(&mut self, d: u32, s: u32, n: u32) -> Result<(), Trap> {
        self.in_table(d, n)?;
        let end = self.in_table(s, n)?;
        self.table.copy_within(s as usize..end, d as usize);
        Ok(())
    }

    /// `table.init` of instance `inst`'s passive segment (`items`, indices
    /// into its functions); a dropped segment has length 0.
    pub(crate) fn table_init(&mut self, inst: InstId, items: &[usize], d: u32, s: u32, n: u32) -> Result<(), Trap> {
        let len = if self.instances[inst].passive_dropped { 0 } else { items.len() as u64 };
        if u64::from(s) + u64::from(n) > len {
            return Err(Trap::TableOob);
        }
        self.in_table(d, n)?;
        for i in 0..n {
            self.table[(d + i) as usize] = Some(FuncRef { inst, func: items[(s + i) as usize] });
        }
        Ok(())
    }

    fn in_table(&self, start: u32, n: u32) -> Result<usize, Trap> {
        let end = u64::from(start) + u64::from(n);
        if end > u64::from(self.size()) { Err(Trap::TableOob) } else { Ok(end as usize) }
    }

    /// `memory.grow` (§4.4.7): the old size in pages, or -1 past the max.
    pub(crate) fn memory_grow(&mut self, n: u32) -> i32 {
        let old = self.pages;
        let new = old + n;
        if new <= self.pages_max.unwrap_or(PAGE) {
            self.pages = new;
            old as i32
        } else {
            -1
        }
    }

    /// Whether `[addr, addr + len)` is inside the memory.
    pub(crate) fn in_memory(&self, addr: u32, len: u32) -> bool {
        u64::from(addr) + u64::from(len) <= u64::from(self.pages) * u64::from(PAGE)
    }

    /// Whether a side's imports match main's exports now (§4.5.3): the
    /// current size stands for the export's min, and a declared max needs a
    /// max on the export that is not larger.
    pub(crate) fn links(&self, def: &SideDef) -> bool {
        let matches = |import: Limits, current: u32, max: Option<u32>| {
            import.min <= current && import.max.is_none_or(|m| max.is_some_and(|x| x <= m))
        };
        def.bad_import.is_none()
            && matches(def.table, self.size(), self.table_max)
            && (def.own_memory.is_some() || matches(def.memory, self.pages, self.pages_max))
    }

    /// Instantiates side definition `d` (§4.5.4): link check, then the
    /// active element segments in order, the data segments in order, and
    /// the start function; the first trap ends it, keeping every write before.
    pub(crate) fn instantiate(&mut self, d: usize, def: &SideDef) -> (Instantiated, Effects) {
        let mut fx =
            Effects { own_memory_data: def.own_memory.is_some() && !def.datas.is_empty(), ..Effects::default() };
        if !self.links(def) {
            return (Instantiated::Link, fx);
        }
        let inst = self.instances.len();
        self.instances.push(Instance {
            funcs: def.funcs.clone(),
            def: Some(d),
            failed: false,
            passive_dropped: def.passive.is_empty(),
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
            let offset = match e.offset {
                Offset::Const(c) => c,
                Offset::Global(k) => {
                    fx.imported_global_segments += 1;
                    self.tbases[k]
                }
            };
            self.in_table(offset, e.items.len() as u32)?;
            fx.ref_func_imports += e.items.iter().filter(|i| **i == Item::Note).count() as u32;
            for (i, item) in e.items.iter().enumerate() {
                self.table[offset as usize + i] = match item {
                    Item::Own(k) => Some(FuncRef { inst, func: *k }),
                    Item::Note => Some(NOTE),
                    Item::Null => None,
                };
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
                Write::TableSet(slot) => self.table_set(slot, Some(FuncRef { inst, func: 0 }))?,
                Write::Note(_) | Write::Gm0(_) => fx.global_writes += 1,
                Write::FGlobal(ty, bits) => {
                    *self.fglobal(ty) = FVal::Exact(bits);
                    fx.global_writes += 1;
                }
                Write::Counter(_) | Write::Store { .. } => {}
            }
        }
        match &start.end {
            End::Return => Ok(()),
            End::Unreachable => Err(Trap::Unreachable),
            End::CallIndirect { slot, sig, .. } => self.call(*slot, *sig).map(|_| ()),
            End::JitPatch { fps } => {
                let n = def.passive.len() as u32;
                let base = self.table_grow(n, None);
                if base < 0 {
                    return Ok(());
                }
                self.table_init(inst, &def.passive, base as u32, 0, n)?;
                self.instances[inst].passive_dropped = true;
                for (i, &fp) in fps.iter().enumerate() {
                    self.fps[fp as usize] = Some(base as u32 + i as u32);
                }
                fx.jit_patched = true;
                Ok(())
            }
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
            && self.table.get(slot as usize) == Some(&Some(f))
        {
            return (slot as i32, true);
        }
        let slot = self.table_grow(1, Some(f));
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
