//! The modules a scenario is made of, as data, and their WAT text.
//!
//! Only the exported wrappers that the scenario calls are written out
//! (`used`): smaller modules read better and compile faster.
//!
//! Five integer function types, and with floats (`Config::floats`) two
//! more, `[] -> [f32]` and `[f64] -> [f64]`; function bodies that never trap
//! and always terminate (their one loop is bounded by a counter). Floats
//! follow the rules of `float.rs`: a NaN that arithmetic may choose is only
//! returned or written to a global, never stored to memory or reinterpreted
//! unless canonicalised first. Main owns the memory, the table and the float
//! globals; a side imports them (by main's export names, so that both the
//! script and `lockstep.dlopen` can link it) and adds code.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::float::{self, FEnv, FExpr, FTy, FVal};

/// Where main keeps the names that dlopen and dlsym read: 16 bytes apart.
pub(crate) const NAME_SLOT: u32 = 16;
/// How many names fit (below [`FP_BASE`]).
pub(crate) const MAX_NAMES: usize = 32;
/// Main's function pointers (i32 table slots) that JIT patches overwrite.
pub(crate) const FP_BASE: u32 = 512;
/// How many function pointers there are.
pub(crate) const FP_SLOTS: u32 = 4;
/// Where sides' data segments and stores go: above names and pointers.
pub(crate) const DATA_BASE: u32 = 1024;
/// Bytes per wasm page.
pub(crate) const PAGE: u32 = 65536;

/// The function types of generated modules, declared alike in every module
/// (so that `call_indirect` compares them structurally across modules).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Sig {
    /// `[] -> [i32]`
    VI,
    /// `[i32] -> [i32]`
    II,
    /// `[i32 i32] -> [i32]`
    IIi,
    /// `[i64] -> [i64]`
    LL,
    /// `[i32] -> []`
    IV,
    /// `[] -> [f32]` (with floats only)
    VF,
    /// `[f64] -> [f64]` (with floats only)
    DD,
}

impl Sig {
    /// The integer types.
    pub(crate) const INTS: [Sig; 5] = [Sig::VI, Sig::II, Sig::IIi, Sig::LL, Sig::IV];
    /// Every type.
    pub(crate) const ALL: [Sig; 7] = [Sig::VI, Sig::II, Sig::IIi, Sig::LL, Sig::IV, Sig::VF, Sig::DD];

    /// The types of a scenario: every type with floats, else the integer ones.
    pub(crate) fn of(floats: bool) -> &'static [Sig] {
        if floats { &Sig::ALL } else { &Sig::INTS }
    }

    /// The float type of its result, if it returns a float.
    pub(crate) fn float(self) -> Option<FTy> {
        match self {
            Sig::VF => Some(FTy::F32),
            Sig::DD => Some(FTy::F64),
            _ => None,
        }
    }

    /// The type's name in every module (`$i_i`), and main's dispatcher (`call_i_i`).
    pub(crate) fn name(self) -> &'static str {
        match self {
            Sig::VI => "v_i",
            Sig::II => "i_i",
            Sig::IIi => "ii_i",
            Sig::LL => "l_l",
            Sig::IV => "i_v",
            Sig::VF => "v_f",
            Sig::DD => "d_d",
        }
    }

    fn decl(self) -> &'static str {
        match self {
            Sig::VI => "(func (result i32))",
            Sig::II => "(func (param i32) (result i32))",
            Sig::IIi => "(func (param i32 i32) (result i32))",
            Sig::LL => "(func (param i64) (result i64))",
            Sig::IV => "(func (param i32))",
            Sig::VF => "(func (result f32))",
            Sig::DD => "(func (param f64) (result f64))",
        }
    }
}

/// A value in a directive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum V {
    I32(i32),
    I64(i64),
    /// A float of the type, by its exact bits.
    Float(FTy, u64),
    /// As an expected result only: any NaN that arithmetic may choose,
    /// `nan:canonical` (`true`) or `nan:arithmetic`.
    Nan(FTy, bool),
}

impl V {
    /// A float value as far as the spec fixes it, as an expected result.
    pub(crate) fn of(ty: FTy, v: FVal) -> V {
        match v {
            FVal::Exact(bits) => V::Float(ty, bits),
            FVal::Chosen { canonical } => V::Nan(ty, canonical),
        }
    }

    /// Whether it is a NaN whose bits are fixed.
    pub(crate) fn is_exact_nan(&self) -> bool {
        matches!(self, V::Float(ty, bits) if ty.is_nan(*bits))
    }
}

impl std::fmt::Display for V {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            V::I32(x) => write!(f, "(i32.const {x})"),
            V::I64(x) => write!(f, "(i64.const {x})"),
            V::Float(ty, bits) => write!(f, "({}.const {})", ty.name(), float::literal(*ty, *bits)),
            V::Nan(ty, true) => write!(f, "({}.const nan:canonical)", ty.name()),
            V::Nan(ty, false) => write!(f, "({}.const nan:arithmetic)", ty.name()),
        }
    }
}

/// Arguments for a call at any [`Sig`]: each takes what it needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Args {
    pub x: i32,
    pub y: i32,
    pub l: i64,
    /// The bits of the `f64` argument (type `d_d`).
    pub d: u64,
}

impl Args {
    pub(crate) fn for_sig(&self, sig: Sig) -> Vec<V> {
        match sig {
            Sig::VI | Sig::VF => vec![],
            Sig::II | Sig::IV => vec![V::I32(self.x)],
            Sig::IIi => vec![V::I32(self.x), V::I32(self.y)],
            Sig::LL => vec![V::I64(self.l)],
            Sig::DD => vec![V::Float(FTy::F64, self.d)],
        }
    }
}

/// What a function computes: an i32 value, adapted to its integer type, or
/// (at type `v_f` or `d_d`) a float.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Body {
    /// A constant.
    Const(i32),
    /// The sum `0 + 1 + … + (n-1)`, by a loop bounded by its counter.
    Loop(u8),
    /// Bumps the instance's own global `$c` and returns it: state that a
    /// function left behind by a failed instantiation still has.
    Counter,
    /// Reads the shared memory at a fixed address (in bounds: page 0).
    Load(u32),
    /// Calls main's `note` (which writes main's global `gm0`) with a constant.
    Note(i32),
    /// Reads main's mutable global `gm0` (imported by a side).
    ReadGm0,
    /// Main's `note` itself: `gm0 := param`. Only at type `i_v`.
    SetGm0,
    /// A float expression, returned: the body of a function of type `v_f`
    /// or `d_d` (and only of those).
    Float(FExpr),
    /// The bits of an exact float expression: `i32.reinterpret_f32` of an
    /// `f32` one as the value (at type `l_l`, `i64.reinterpret_f64` of an
    /// `f64` one added to the parameter).
    Bits(FExpr),
    /// Stores an exact float expression at a fixed address of the memory
    /// (in bounds: page 0); the value is 0.
    StoreF(u32, FExpr),
}

/// A function for tables: a type and a body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FuncDef {
    pub sig: Sig,
    pub body: Body,
}

impl FuncDef {
    /// `(func $name (type $sig) …)`.
    pub(crate) fn render(&self, name: &str, export: Option<&str>) -> String {
        let export = export.map(|e| format!(" (export \"{e}\")")).unwrap_or_default();
        let head = format!("(func ${name}{export} (type ${})", self.sig.name());
        match &self.body {
            Body::SetGm0 => return format!("{head} (global.set $gm0 (local.get 0)))"),
            Body::Float(e) => return format!("{head}{}\n    {})", float::LOCALS, e.render()),
            Body::Bits(e) if self.sig == Sig::LL => {
                let bits = format!("(i64.reinterpret_f64 {})", e.render());
                return format!("{head}{}\n    (i64.add (local.get 0) {bits}))", float::LOCALS);
            }
            _ => {}
        }
        let (locals, prelude, value) = match &self.body {
            Body::Const(k) => ("", String::new(), format!("(i32.const {k})")),
            Body::Loop(n) => (
                " (local $i i32) (local $acc i32)",
                format!(
                    "\n    (block $done (loop $next\n      \
                     (br_if $done (i32.ge_u (local.get $i) (i32.const {n})))\n      \
                     (local.set $acc (i32.add (local.get $acc) (local.get $i)))\n      \
                     (local.set $i (i32.add (local.get $i) (i32.const 1)))\n      (br $next)))"
                ),
                "(local.get $acc)".to_string(),
            ),
            Body::Counter => (
                "",
                " (global.set $c (i32.add (global.get $c) (i32.const 1)))".to_string(),
                "(global.get $c)".to_string(),
            ),
            Body::Load(a) => ("", String::new(), format!("(i32.load (i32.const {a}))")),
            Body::Note(k) => ("", format!(" (call $note (i32.const {k}))"), format!("(i32.const {k})")),
            Body::ReadGm0 => ("", String::new(), "(global.get $gm0)".to_string()),
            Body::Bits(e) => (float::LOCALS, String::new(), format!("\n    (i32.reinterpret_f32 {})", e.render())),
            Body::StoreF(a, e) => (
                float::LOCALS,
                format!("\n    ({}.store (i32.const {a}) {})", e.ty().name(), e.render()),
                "(i32.const 0)".to_string(),
            ),
            Body::SetGm0 | Body::Float(_) => unreachable!(),
        };
        let result = match self.sig {
            Sig::VI => value,
            Sig::II => format!("(i32.add (local.get 0) {value})"),
            Sig::IIi => format!("(i32.add (i32.sub (local.get 0) (local.get 1)) {value})"),
            Sig::LL => format!("(i64.add (local.get 0) (i64.extend_i32_s {value}))"),
            Sig::IV => format!("(drop {value})"),
            Sig::VF | Sig::DD => unreachable!("a float type has a float body"),
        };
        format!("{head}{locals}{prelude} {result})")
    }

    /// The result of a call, when the generator knows it by construction
    /// (float expressions read main's float globals as `env` has them):
    /// `Some(None)` for no result, `None` when it depends on state.
    pub(crate) fn known_result(&self, args: &Args, env: &FEnv) -> Option<Option<V>> {
        if self.sig == Sig::IV {
            return Some(None);
        }
        let v = match &self.body {
            Body::Const(k) => *k,
            Body::Loop(n) => (0..i32::from(*n)).sum(),
            Body::StoreF(..) => 0,
            Body::Float(e) => return Some(Some(V::of(e.ty(), e.eval(args.d, env)))),
            Body::Bits(e) => match e.eval(args.d, env) {
                FVal::Exact(bits) if self.sig == Sig::LL => {
                    return Some(Some(V::I64(args.l.wrapping_add(bits as i64))));
                }
                FVal::Exact(bits) => bits as u32 as i32,
                FVal::Chosen { .. } => panic!("generator bug: a chosen NaN reinterpreted: {e:?}"),
            },
            _ => return None,
        };
        Some(Some(match self.sig {
            Sig::VI => V::I32(v),
            Sig::II => V::I32(args.x.wrapping_add(v)),
            Sig::IIi => V::I32(args.x.wrapping_sub(args.y).wrapping_add(v)),
            Sig::LL => V::I64(args.l.wrapping_add(i64::from(v))),
            Sig::IV | Sig::VF | Sig::DD => unreachable!(),
        }))
    }
}

/// Limits of a table or memory (its min and optional max).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Limits {
    pub min: u32,
    pub max: Option<u32>,
}

impl std::fmt::Display for Limits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.max {
            Some(max) => write!(f, "{} {max}", self.min),
            None => write!(f, "{}", self.min),
        }
    }
}

fn types(floats: bool) -> String {
    Sig::of(floats).iter().map(|s| format!("  (type ${} {})\n", s.name(), s.decl())).collect()
}

/// Bytes as a WAT string literal.
fn wat_string(bytes: &[u8]) -> String {
    let mut s = String::from("\"");
    for b in bytes {
        if b.is_ascii_alphanumeric() || *b == b'_' {
            s.push(*b as char);
        } else {
            let _ = write!(s, "\\{b:02x}");
        }
    }
    s.push('"');
    s
}

/// Main's float globals, by their initial bits: the mutable `gf` (`f32`)
/// and `gd` (`f64`) that sides write, the immutable `cf` and `cd` that they read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FGlobals {
    pub gf: u64,
    pub gd: u64,
    pub cf: u64,
    pub cd: u64,
}

/// The main module: it owns the memory and the table, exports both (as
/// `memory` and `table`, which dlopen and dlsym use), exports a mutable
/// global and immutable offset globals (and with floats, float globals),
/// imports the `lockstep` linker and exports wrappers around every table,
/// memory, global and linker operation.
#[derive(Clone, Debug)]
pub(crate) struct MainDef {
    pub table: Limits,
    pub memory: Limits,
    /// Functions for the table; `funcs[0]` is `note` (type `i_v`).
    pub funcs: Vec<FuncDef>,
    /// Main's active element segment at offset 0 (indices into `funcs`).
    pub active: Vec<usize>,
    /// Main's passive element segment `$pe` (indices into `funcs`).
    pub passive: Vec<usize>,
    /// Values of the exported `tbaseN` globals (table offsets for sides).
    pub tbases: Vec<u32>,
    /// Values of the exported `mbaseN` globals (memory offsets for sides).
    pub mbases: Vec<u32>,
    /// The float globals, with floats.
    pub floats: Option<FGlobals>,
    /// Names in memory, at `NAME_SLOT * i`.
    pub names: Vec<String>,
    /// The exported wrappers the scenario calls.
    pub used: BTreeSet<String>,
}

impl MainDef {
    /// The name of `funcs[i]` in main's text.
    pub(crate) fn func_name(i: usize) -> String {
        if i == 0 { "note".into() } else { format!("m{i}") }
    }

    pub(crate) fn render(&self) -> String {
        let mut s = String::from("(module $main\n");
        s += &types(self.floats.is_some());
        s += "  (import \"lockstep\" \"dlopen\" (func $dlopen (param i32 i32) (result i32)))\n";
        s += "  (import \"lockstep\" \"dlsym\" (func $dlsym (param i32 i32 i32) (result i32)))\n";
        s += "  (import \"lockstep\" \"dlclose\" (func $dlclose (param i32) (result i32)))\n";
        let _ = writeln!(s, "  (memory (export \"memory\") {})", self.memory);
        let _ = writeln!(s, "  (table $t (export \"table\") {} funcref)", self.table);
        s += "  (global $gm0 (export \"gm0\") (mut i32) (i32.const 0))\n";
        s += "  (global $c (mut i32) (i32.const 0))\n";
        for (i, v) in self.tbases.iter().enumerate() {
            let _ = writeln!(s, "  (global (export \"tbase{i}\") i32 (i32.const {v}))");
        }
        for (i, v) in self.mbases.iter().enumerate() {
            let _ = writeln!(s, "  (global (export \"mbase{i}\") i32 (i32.const {v}))");
        }
        if let Some(g) = self.floats {
            for (ty, mutable, bits) in
                [(FTy::F32, true, g.gf), (FTy::F64, true, g.gd), (FTy::F32, false, g.cf), (FTy::F64, false, g.cd)]
            {
                let (id, t) = (float::global(ty, mutable), ty.name());
                let decl = if mutable { format!("(mut {t})") } else { t.to_string() };
                let init = float::literal(ty, bits);
                let _ = writeln!(s, "  (global {id} (export \"{}\") {decl} ({t}.const {init}))", &id[1..]);
            }
        }
        s += "  ;; names that dlopen and dlsym read, 16 bytes apart\n";
        for (i, name) in self.names.iter().enumerate() {
            let _ = writeln!(s, "  (data (i32.const {}) {})", NAME_SLOT * i as u32, wat_string(name.as_bytes()));
        }
        s += "  ;; functions for the table\n";
        for (i, f) in self.funcs.iter().enumerate() {
            let export = (i == 0).then_some("note");
            let _ = writeln!(s, "  {}", f.render(&Self::func_name(i), export));
        }
        let refs = |idx: &[usize]| idx.iter().map(|&i| format!(" ${}", Self::func_name(i))).collect::<String>();
        if !self.active.is_empty() {
            let _ = writeln!(s, "  (elem (i32.const 0) func{})", refs(&self.active));
        }
        if !self.passive.is_empty() {
            let _ = writeln!(s, "  (elem $pe func{})", refs(&self.passive));
        }
        let all: Vec<usize> = (0..self.funcs.len()).collect();
        let _ = writeln!(s, "  (elem declare func{})", refs(&all));
        s += &self.render_wrappers();
        s.pop();
        s += ")";
        s
    }

    /// Every exported wrapper, by name; [`MainDef::render`] writes the used ones.
    fn wrappers(&self) -> Vec<(String, String)> {
        let mut w: Vec<(String, String)> = Vec::new();
        let mut add = |name: &str, text: String| w.push((name.to_string(), text));
        add("size", "(func (export \"size\") (result i32) (table.size $t))".into());
        add(
            "grow",
            "(func (export \"grow\") (param i32) (result i32) (table.grow $t (ref.null func) (local.get 0)))".into(),
        );
        for i in 0..self.funcs.len() {
            let name = Self::func_name(i);
            add(
                &format!("put{i}"),
                format!("(func (export \"put{i}\") (param i32) (table.set $t (local.get 0) (ref.func ${name})))"),
            );
        }
        add(
            "fill",
            "(func (export \"fill\") (param i32 i32) (table.fill $t (local.get 0) (ref.null func) (local.get 1)))"
                .into(),
        );
        add(
            "copy",
            "(func (export \"copy\") (param i32 i32 i32) (table.copy (local.get 0) (local.get 1) (local.get 2)))"
                .into(),
        );
        if !self.passive.is_empty() {
            add(
                "init",
                "(func (export \"init\") (param i32 i32 i32) \
                 (table.init $pe (local.get 0) (local.get 1) (local.get 2)))"
                    .into(),
            );
            add("drop", "(func (export \"drop\") (elem.drop $pe))".into());
        }
        // Calls through the table: arguments, then the slot.
        for sig in Sig::ALL {
            let n = sig.name();
            let (params, result) = match sig {
                Sig::VI => ("", " (result i32)"),
                Sig::II => (" i32", " (result i32)"),
                Sig::IIi => (" i32 i32", " (result i32)"),
                Sig::LL => (" i64", " (result i64)"),
                Sig::IV => (" i32", ""),
                Sig::VF => ("", " (result f32)"),
                Sig::DD => (" f64", " (result f64)"),
            };
            let args = params.split_whitespace().count();
            let gets: String = (0..=args).map(|i| format!(" (local.get {i})")).collect();
            add(
                &format!("call_{n}"),
                format!(
                    "(func (export \"call_{n}\") (param{params} i32){result} (call_indirect $t (type ${n}){gets}))"
                ),
            );
        }
        // A call through function pointer k: an i32 slot index in memory.
        add(
            "call_fp",
            format!(
                "(func (export \"call_fp\") (param i32 i32) (result i32)\n    \
                 (call_indirect $t (type $i_i) (local.get 1)\n      \
                 (i32.load (i32.add (i32.const {FP_BASE}) (i32.shl (local.get 0) (i32.const 2))))))"
            ),
        );
        add("load", "(func (export \"load\") (param i32) (result i32) (i32.load (local.get 0)))".into());
        add("msize", "(func (export \"msize\") (result i32) (memory.size))".into());
        add("mgrow", "(func (export \"mgrow\") (param i32) (result i32) (memory.grow (local.get 0)))".into());
        add("get_gm0", "(func (export \"get_gm0\") (result i32) (global.get $gm0))".into());
        // The float globals read back: raw, canonicalised, as integer bits.
        for ty in FTy::ALL {
            let (g, t, i) = (&float::global(ty, true)[1..], ty.name(), ty.int());
            add(&format!("get_{g}"), format!("(func (export \"get_{g}\") (result {t}) (global.get ${g}))"));
            let canon = float::canon(ty, &format!("(global.get ${g})"));
            add(
                &format!("get_{g}_c"),
                format!("(func (export \"get_{g}_c\") (result {t}){}\n    {canon})", float::LOCALS),
            );
            add(
                &format!("{g}_bits"),
                format!("(func (export \"{g}_bits\") (result {i}) ({i}.reinterpret_{t} (global.get ${g})))"),
            );
        }
        add(
            "open",
            "(func (export \"open\") (param i32 i32) (result i32) (call $dlopen (local.get 0) (local.get 1)))".into(),
        );
        add(
            "sym",
            "(func (export \"sym\") (param i32 i32 i32) (result i32)\n    \
             (call $dlsym (local.get 0) (local.get 1) (local.get 2)))"
                .into(),
        );
        add("close", "(func (export \"close\") (param i32) (result i32) (call $dlclose (local.get 0)))".into());
        w
    }

    fn render_wrappers(&self) -> String {
        let mut s = String::new();
        for (name, text) in self.wrappers() {
            if self.used.contains(&name) {
                let _ = writeln!(s, "  {text}");
            }
        }
        if s.is_empty() { s } else { format!("  ;; the exports the scenario calls\n{s}") }
    }
}
/// The offset of an active segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Offset {
    Const(u32),
    /// Main's exported global `tbaseN` (element segments) or `mbaseN` (data segments).
    Global(usize),
}

/// An item of a side's element segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Item {
    /// The side's own function.
    Own(usize),
    /// `ref.func` of the imported `note`: main's function.
    Note,
    Null,
}

#[derive(Clone, Debug)]
pub(crate) struct ElemSeg {
    pub offset: Offset,
    pub items: Vec<Item>,
}

#[derive(Clone, Debug)]
pub(crate) struct DataSeg {
    pub offset: Offset,
    pub bytes: Vec<u8>,
}

/// An effect of a side's start function before it ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Write {
    /// Sets the side's own global `$c`.
    Counter(i32),
    /// Calls main's `note` (main's `gm0` := v).
    Note(i32),
    /// Sets main's imported mutable global `gm0`.
    Gm0(i32),
    /// Stores into the shared memory.
    Store { addr: u32, value: i32 },
    /// `table.set` of the side's `$f0` into the shared table (traps if out of bounds).
    TableSet(u32),
    /// Sets main's imported float global `gf` or `gd` to a constant (exact bits).
    FGlobal(FTy, u64),
}

/// How a side's start function ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum End {
    Return,
    /// `unreachable`: the instantiation fails after every write before it.
    Unreachable,
    /// `call_indirect` into the shared table (traps if null, out of bounds, mismatched).
    CallIndirect {
        slot: u32,
        sig: Sig,
        args: Args,
    },
    /// The JIT patch: `table.grow` by the passive segment's length (return if
    /// it fails), `table.init` of it at the old size, `elem.drop`, then
    /// `base + i` stored into main's function pointer `fps[i]`.
    JitPatch {
        fps: Vec<u32>,
    },
}

#[derive(Clone, Debug)]
pub(crate) struct Start {
    pub writes: Vec<Write>,
    pub end: End,
}

/// An import that makes a side unlinkable whatever the state (§4.5.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BadImport {
    /// `main.nosuch`: no such export.
    MissingExport,
    /// `main.note` at type `l_l`.
    FuncType,
    /// `main.gm0` imported as immutable.
    GlobalMutability,
    /// `main.gf` (a mutable `f32`) imported as a mutable `f64` (with floats only).
    FloatGlobalType,
}

/// What a side that imports main's float globals writes to them with its
/// exports `put_gf` and `put_gd`: expressions that may choose a NaN.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Puts {
    pub gf: FExpr,
    pub gd: FExpr,
}

/// A side module definition (`(module definition $sideN …)`): it imports
/// main's table, memory and some globals and functions, and adds its own
/// functions through segments, its start function and its exports.
#[derive(Clone, Debug)]
pub(crate) struct SideDef {
    pub name: String,
    pub table: Limits,
    /// The import of main's memory (ignored when `own_memory` is set).
    pub memory: Limits,
    /// Pages of a memory of its own, instead of main's: its data segments,
    /// loads and stores use it, and a failed instantiation leaves functions
    /// that still read it.
    pub own_memory: Option<u32>,
    pub imports_note: bool,
    pub imports_gm0: bool,
    /// It declares the float types (the scenario has floats).
    pub floats: bool,
    /// It imports main's float globals (`gf`, `gd`, `cf`, `cd`), and writes
    /// these to `gf` and `gd` with its exports `put_gf` and `put_gd`.
    pub fglobals: Option<Puts>,
    pub bad_import: Option<BadImport>,
    pub counter: i32,
    pub funcs: Vec<FuncDef>,
    pub elems: Vec<ElemSeg>,
    /// The passive segment `$code` (indices into `funcs`), if not empty.
    pub passive: Vec<usize>,
    pub datas: Vec<DataSeg>,
    pub start: Option<Start>,
    /// Whether it exports its functions (`fN`) and table/memory operations.
    pub exports: bool,
    /// Of those, the ones the scenario calls (the others are not written out).
    pub used: BTreeSet<String>,
}

impl SideDef {
    /// Whether it exports the operation `op` (`init`, `set_gm0`, …).
    pub(crate) fn exports_op(&self, op: &str) -> bool {
        self.exports
            && match op {
                "init" | "drop" => !self.passive.is_empty(),
                "set_gm0" => self.imports_gm0,
                "set_gf" | "set_gd" | "put_gf" | "put_gd" => self.fglobals.is_some(),
                "msize" | "mgrow" | "load" => self.own_memory.is_none(),
                _ => true,
            }
    }

    fn tbases(&self) -> Vec<usize> {
        let mut v: Vec<usize> = self
            .elems
            .iter()
            .filter_map(|e| match e.offset {
                Offset::Global(k) => Some(k),
                Offset::Const(_) => None,
            })
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    fn mbases(&self) -> Vec<usize> {
        let mut v: Vec<usize> = self
            .datas
            .iter()
            .filter_map(|d| match d.offset {
                Offset::Global(k) => Some(k),
                Offset::Const(_) => None,
            })
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// The module's text, opened by `header`: `(module definition $side0`,
    /// `(module $i3` or `(module`.
    pub(crate) fn render(&self, header: &str) -> String {
        let mut s = format!("{header}\n");
        s += &types(self.floats);
        let _ = writeln!(s, "  (import \"main\" \"table\" (table {} funcref))", self.table);
        if self.own_memory.is_none() {
            let _ = writeln!(s, "  (import \"main\" \"memory\" (memory {}))", self.memory);
        }
        for k in self.tbases() {
            let _ = writeln!(s, "  (import \"main\" \"tbase{k}\" (global $tbase{k} i32))");
        }
        for k in self.mbases() {
            let _ = writeln!(s, "  (import \"main\" \"mbase{k}\" (global $mbase{k} i32))");
        }
        if self.imports_note {
            s += "  (import \"main\" \"note\" (func $note (type $i_v)))\n";
        }
        if self.imports_gm0 {
            s += "  (import \"main\" \"gm0\" (global $gm0 (mut i32)))\n";
        }
        if self.fglobals.is_some() {
            for (ty, mutable) in [(FTy::F32, true), (FTy::F64, true), (FTy::F32, false), (FTy::F64, false)] {
                let (id, t) = (float::global(ty, mutable), ty.name());
                let decl = if mutable { format!("(mut {t})") } else { t.to_string() };
                let _ = writeln!(s, "  (import \"main\" \"{}\" (global {id} {decl}))", &id[1..]);
            }
        }
        match self.bad_import {
            None => {}
            Some(BadImport::MissingExport) => s += "  (import \"main\" \"nosuch\" (func (type $v_i)))\n",
            Some(BadImport::FuncType) => s += "  (import \"main\" \"note\" (func (type $l_l)))\n",
            Some(BadImport::GlobalMutability) => s += "  (import \"main\" \"gm0\" (global i32))\n",
            Some(BadImport::FloatGlobalType) => s += "  (import \"main\" \"gf\" (global (mut f64)))\n",
        }
        if let Some(pages) = self.own_memory {
            let _ = writeln!(s, "  (memory {pages})");
        }
        let _ = writeln!(s, "  (global $c (mut i32) (i32.const {}))", self.counter);
        for (i, f) in self.funcs.iter().enumerate() {
            let _ = writeln!(s, "  {}", f.render(&format!("f{i}"), None));
        }
        s += &self.render_segments();
        if let Some(start) = &self.start {
            s += &self.render_start(start);
        }
        if self.exports {
            s += &self.render_exports();
        }
        s.pop();
        s += ")";
        s
    }

    fn render_segments(&self) -> String {
        let mut s = String::new();
        let item = |i: &Item| match i {
            Item::Own(k) => format!(" (ref.func $f{k})"),
            Item::Note => " (ref.func $note)".to_string(),
            Item::Null => " (ref.null func)".to_string(),
        };
        for e in &self.elems {
            let off = match e.offset {
                Offset::Const(c) => format!("(i32.const {c})"),
                Offset::Global(k) => format!("(global.get $tbase{k})"),
            };
            let items: String = e.items.iter().map(item).collect();
            let _ = writeln!(s, "  (elem {off} funcref{items})");
        }
        if !self.passive.is_empty() {
            let items: String = self.passive.iter().map(|&k| format!(" $f{k}")).collect();
            let _ = writeln!(s, "  (elem $code func{items})");
        }
        let all: String = (0..self.funcs.len()).map(|k| format!(" $f{k}")).collect();
        let _ = writeln!(s, "  (elem declare func{all})");
        for d in &self.datas {
            let off = match d.offset {
                Offset::Const(c) => format!("(i32.const {c})"),
                Offset::Global(k) => format!("(global.get $mbase{k})"),
            };
            let _ = writeln!(s, "  (data {off} {})", wat_string(&d.bytes));
        }
        s
    }

    fn render_start(&self, start: &Start) -> String {
        let jit = matches!(start.end, End::JitPatch { .. });
        let mut s = format!("  (func $start{}\n", if jit { " (local $base i32)" } else { "" });
        for w in &start.writes {
            let line = match w {
                Write::Counter(v) => format!("(global.set $c (i32.const {v}))"),
                Write::Note(v) => format!("(call $note (i32.const {v}))"),
                Write::Gm0(v) => format!("(global.set $gm0 (i32.const {v}))"),
                Write::Store { addr, value } => format!("(i32.store (i32.const {addr}) (i32.const {value}))"),
                Write::TableSet(slot) => format!("(table.set (i32.const {slot}) (ref.func $f0))"),
                Write::FGlobal(ty, bits) => {
                    let (g, t) = (float::global(*ty, true), ty.name());
                    format!("(global.set {g} ({t}.const {}))", float::literal(*ty, *bits))
                }
            };
            let _ = writeln!(s, "    {line}");
        }
        match &start.end {
            End::Return => {}
            End::Unreachable => s += "    (unreachable)\n",
            End::CallIndirect { slot, sig, args } => {
                let args: String = args.for_sig(*sig).iter().map(|v| format!(" {v}")).collect();
                let call = format!("(call_indirect (type ${}){args} (i32.const {slot}))", sig.name());
                let call = if *sig == Sig::IV { call } else { format!("(drop {call})") };
                let _ = writeln!(s, "    {call}");
            }
            End::JitPatch { fps } => {
                let n = self.passive.len();
                let _ = writeln!(s, "    (local.set $base (table.grow (ref.null func) (i32.const {n})))");
                s += "    (if (i32.eq (local.get $base) (i32.const -1)) (then (return)))\n";
                let _ = writeln!(s, "    (table.init $code (local.get $base) (i32.const 0) (i32.const {n}))");
                s += "    (elem.drop $code)\n";
                for (i, fp) in fps.iter().enumerate() {
                    let _ = writeln!(
                        s,
                        "    (i32.store (i32.const {}) (i32.add (local.get $base) (i32.const {i})))",
                        FP_BASE + 4 * fp
                    );
                }
            }
        }
        s.pop();
        s += ")\n  (start $start)\n";
        s
    }

    fn render_exports(&self) -> String {
        let mut w: Vec<(String, String)> = Vec::new();
        let mut add = |name: &str, text: &str| w.push((name.to_string(), text.to_string()));
        for k in 0..self.funcs.len() {
            add(&format!("f{k}"), &format!("(export \"f{k}\" (func $f{k}))"));
        }
        add("size", "(func (export \"size\") (result i32) (table.size))");
        add("grow", "(func (export \"grow\") (param i32) (result i32) (table.grow (ref.func $f0) (local.get 0)))");
        add("put0", "(func (export \"put0\") (param i32) (table.set (local.get 0) (ref.func $f0)))");
        add("fill", "(func (export \"fill\") (param i32 i32) (table.fill (local.get 0) (ref.func $f0) (local.get 1)))");
        add(
            "copy",
            "(func (export \"copy\") (param i32 i32 i32) (table.copy (local.get 0) (local.get 1) (local.get 2)))",
        );
        if !self.passive.is_empty() {
            add(
                "init",
                "(func (export \"init\") (param i32 i32 i32) \
                 (table.init $code (local.get 0) (local.get 1) (local.get 2)))",
            );
            add("drop", "(func (export \"drop\") (elem.drop $code))");
        }
        add("msize", "(func (export \"msize\") (result i32) (memory.size))");
        add("mgrow", "(func (export \"mgrow\") (param i32) (result i32) (memory.grow (local.get 0)))");
        add("load", "(func (export \"load\") (param i32) (result i32) (i32.load (local.get 0)))");
        if self.imports_gm0 {
            add("set_gm0", "(func (export \"set_gm0\") (param i32) (global.set $gm0 (local.get 0)))");
        }
        if let Some(puts) = &self.fglobals {
            for (ty, e) in [(FTy::F32, &puts.gf), (FTy::F64, &puts.gd)] {
                let (g, t) = (&float::global(ty, true)[1..], ty.name());
                add(
                    &format!("set_{g}"),
                    &format!("(func (export \"set_{g}\") (param {t}) (global.set ${g} (local.get 0)))"),
                );
                add(
                    &format!("put_{g}"),
                    &format!("(func (export \"put_{g}\"){}\n    (global.set ${g} {}))", float::LOCALS, e.render()),
                );
            }
        }
        w.into_iter().filter(|(name, _)| self.used.contains(name)).map(|(_, text)| format!("  {text}\n")).collect()
    }
}
