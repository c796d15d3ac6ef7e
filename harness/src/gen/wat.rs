//! The modules a scenario is made of, as data, and their WAT text.
//!
//! Only the exported wrappers that the scenario calls are written out
//! (`used`): smaller modules read better and compile faster. A library of
//! the pool is the exception: it is written whole, with every export, so
//! that its text (and its bytes) are the same in every case that draws it.
//!
//! Five integer function types, and with floats (`Config::floats`) two
//! more, `[] -> [f32]` and `[f64] -> [f64]`; function bodies that never trap
//! and always terminate (their one loop is bounded by a counter). Floats
//! follow the rules of `float.rs`: a NaN that arithmetic may choose is only
//! returned or written to a global, never stored to memory or reinterpreted
//! unless canonicalised first. Main owns the memory, the table and the float
//! globals; a side imports them (by main's export names, so that both the
//! script and `lockstep.dlopen` can link it) and adds code.
//!
//! What varies between modules, as it does between real ones (each named
//! in [`super::Events`] where it happens): the type section (order,
//! duplicates, types no function has: type *indices* differ between
//! modules whose types are equal), the order of imports and of defined
//! globals and tables, tables defined beside an imported one, the forms of
//! constant expressions (`i32.const`, `global.get` of an imported global,
//! `ref.null`, `ref.func`) in offsets, element items and global
//! initialisers, and element segments written as function indices or as
//! expressions. Every table instruction names its table: the shared table
//! is not always table 0.

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

/// The function types of generated modules. Every module declares each of
/// them at least once, in an order of its own, some twice, so that
/// `call_indirect` compares them structurally across modules and within one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
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

    /// The type's name (`i_i`): its first declaration is `$i_i` in every
    /// module, and main's dispatcher through the shared table `call_i_i`.
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

    /// Parameters and result, inline: ` (param i32) (result i32)`.
    fn inline(self) -> (&'static str, &'static str) {
        match self {
            Sig::VI => ("", " (result i32)"),
            Sig::II => (" i32", " (result i32)"),
            Sig::IIi => (" i32 i32", " (result i32)"),
            Sig::LL => (" i64", " (result i64)"),
            Sig::IV => (" i32", ""),
            Sig::VF => ("", " (result f32)"),
            Sig::DD => (" f64", " (result f64)"),
        }
    }
}

/// Function types that no generated function has (a module may declare
/// them anyway, as real modules do).
const UNUSED: [&str; 4] = [
    "(func)",
    "(func (param i64 i64))",
    "(func (param f32) (result i64 i32))",
    "(func (param i32 i32 i32) (result i64))",
];

/// One declaration of a type section.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TypeEntry {
    /// Declaration `dup` (0 or 1) of a scenario type.
    Sig(Sig, u8),
    /// One of [`UNUSED`].
    Unused(usize),
}

/// A module's type section: every scenario type once or twice, and maybe
/// types nothing uses, in an order of the module's own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Types {
    entries: Vec<TypeEntry>,
}

impl Types {
    /// Each of `sigs` once, in that order.
    pub(crate) fn canonical(sigs: &[Sig]) -> Types {
        Types { entries: sigs.iter().map(|&s| TypeEntry::Sig(s, 0)).collect() }
    }

    /// Each of `sigs`, and up to `max_extra` more declarations (a second
    /// declaration of one of them, or an unused type), shuffled.
    pub(crate) fn generate(
        u: &mut arbitrary::Unstructured<'_>,
        sigs: &[Sig],
        max_extra: usize,
    ) -> arbitrary::Result<Types> {
        let mut t = Types::canonical(sigs);
        for _ in 0..u.int_in_range(0..=max_extra)? {
            let entry = if u.arbitrary()? {
                let s = *u.choose(sigs)?;
                TypeEntry::Sig(s, t.count(s))
            } else {
                TypeEntry::Unused(u.choose_index(UNUSED.len())?)
            };
            let fresh = match entry {
                TypeEntry::Sig(_, dup) => dup < 2,
                unused => !t.entries.contains(&unused),
            };
            if fresh {
                t.entries.push(entry);
            }
        }
        shuffle(u, &mut t.entries)?;
        Ok(t)
    }

    /// How many declarations `sig` has (0 if the module lacks it).
    pub(crate) fn count(&self, sig: Sig) -> u8 {
        self.entries.iter().filter(|e| matches!(e, TypeEntry::Sig(s, _) if *s == sig)).count() as u8
    }

    /// The type index of declaration `dup` of `sig`.
    pub(crate) fn index(&self, sig: Sig, dup: u8) -> u32 {
        let i = self.entries.iter().position(|e| *e == TypeEntry::Sig(sig, dup));
        i.expect("a declared type") as u32
    }

    /// A declaration of `sig` to use.
    pub(crate) fn pick(&self, u: &mut arbitrary::Unstructured<'_>, sig: Sig) -> arbitrary::Result<u8> {
        u.int_in_range(0..=self.count(sig).max(1) - 1)
    }

    /// Whether it declares a type no function has.
    pub(crate) fn has_unused(&self) -> bool {
        self.entries.iter().any(|e| matches!(e, TypeEntry::Unused(_)))
    }

    fn render(&self) -> String {
        let mut s = String::new();
        for e in &self.entries {
            let _ = match *e {
                TypeEntry::Sig(sig, dup) => writeln!(s, "  (type {} {})", type_name(sig, dup), sig.decl()),
                TypeEntry::Unused(k) => writeln!(s, "  (type $unused{k} {})", UNUSED[k]),
            };
        }
        s
    }
}

/// The name of declaration `dup` of `sig`: `$i_i`, then `$i_i.1`.
pub(crate) fn type_name(sig: Sig, dup: u8) -> String {
    if dup == 0 { format!("${}", sig.name()) } else { format!("${}.{dup}", sig.name()) }
}

/// Shuffles `v` (Fisher-Yates, driven by `u`).
pub(crate) fn shuffle<T>(u: &mut arbitrary::Unstructured<'_>, v: &mut [T]) -> arbitrary::Result<()> {
    for i in (1..v.len()).rev() {
        let j = u.int_in_range(0..=i)?;
        v.swap(i, j);
    }
    Ok(())
}

/// `items` in the order `key` gives them: the same key, the same order;
/// key 0 keeps them as they are.
pub(crate) fn permuted<T>(mut items: Vec<T>, key: u64) -> Vec<T> {
    let mut x = key;
    for i in (1..items.len()).rev() {
        if key == 0 {
            break;
        }
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        items.swap(i, (x % (i as u64 + 1)) as usize);
    }
    items
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

/// A `lockstep` host function that main imports and may place in tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Host {
    /// `dlclose`, at type `i_i`.
    Dlclose,
    /// `dlopen`, at type `ii_i`: it reads the name from the *caller's*
    /// exported memory, so only main can open anything with it.
    Dlopen,
}

impl Host {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Host::Dlclose => "dlclose",
            Host::Dlopen => "dlopen",
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
    /// Main's `mg`, at type `i_i`: `memory.grow` of the shared memory by
    /// the parameter if that keeps it within the cap (the pages a scenario
    /// lets it reach), else -1.
    Mg(u32),
    /// A host function main imports (never rendered as a definition).
    Host(Host),
    /// A side's defined `i32` global `$gK`, read.
    Global(usize),
    /// A call into main's `mg` that grows the shared memory by a page, then
    /// a store and a load at an address computed from its result in the
    /// new page; the value, or 0 if it did not grow. At type `v_i`, in
    /// sides that import main's memory and `mg`.
    GrowThenUse { off: u32, value: i32 },
    /// A call into main's `mg` (growing nothing: it returns the shared
    /// memory's size), then a store and a load of the caller's *own* memory
    /// at an address computed from the result; the value. At type `v_i`, in
    /// sides that import `mg` (with a memory of their own or main's).
    CallThenOwn { off: u32, value: i32 },
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

/// A function for tables: a type (declaration `dup` of `sig` in its
/// module's type section) and a body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FuncDef {
    pub sig: Sig,
    pub dup: u8,
    pub body: Body,
}

impl FuncDef {
    /// `(func $name (type $sig) …)`.
    pub(crate) fn render(&self, name: &str, export: Option<&str>) -> String {
        let export = export.map(|e| format!(" (export \"{e}\")")).unwrap_or_default();
        let head = format!("(func ${name}{export} (type {})", type_name(self.sig, self.dup));
        match &self.body {
            Body::SetGm0 => return format!("{head} (global.set $gm0 (local.get 0)))"),
            Body::Float(e) => return format!("{head}{}\n    {})", float::LOCALS, e.render()),
            Body::Bits(e) if self.sig == Sig::LL => {
                let bits = format!("(i64.reinterpret_f64 {})", e.render());
                return format!("{head}{}\n    (i64.add (local.get 0) {bits}))", float::LOCALS);
            }
            Body::Mg(cap) => {
                return format!(
                    "{head}\n    (if (result i32) (i32.le_u (i32.add (memory.size) (local.get 0)) (i32.const {cap}))\n      \
                     (then (memory.grow (local.get 0))) (else (i32.const -1))))"
                );
            }
            Body::Host(h) => panic!("generator bug: host function {} rendered as a definition", h.name()),
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
            Body::Global(k) => ("", String::new(), format!("(global.get $g{k})")),
            // The address is computed after the call returns: an engine
            // that kept the memory's base or bound from before the call
            // would miss the new page.
            Body::GrowThenUse { off, value } => (
                " (local $p i32)",
                format!(
                    "\n    (local.set $p (call $mg (i32.const 1)))\n    \
                     (if (i32.ge_s (local.get $p) (i32.const 0)) (then\n      \
                     (local.set $p (i32.add (i32.shl (local.get $p) (i32.const 16)) (i32.const {off})))\n      \
                     (i32.store (local.get $p) (i32.const {value}))))"
                ),
                "\n    (if (result i32) (i32.ge_s (local.get $p) (i32.const 0))\n      \
                 (then (i32.load (local.get $p))) (else (i32.const 0)))"
                    .to_string(),
            ),
            Body::CallThenOwn { off, value } => (
                " (local $p i32)",
                format!(
                    "\n    (local.set $p (i32.add (i32.and (call $mg (i32.const 0)) (i32.const 15)) (i32.const {})))\n    \
                     (i32.store (local.get $p) (i32.const {value}))",
                    DATA_BASE + off
                ),
                "(i32.load (local.get $p))".to_string(),
            ),
            Body::Bits(e) => (float::LOCALS, String::new(), format!("\n    (i32.reinterpret_f32 {})", e.render())),
            Body::StoreF(a, e) => (
                float::LOCALS,
                format!("\n    ({}.store (i32.const {a}) {})", e.ty().name(), e.render()),
                "(i32.const 0)".to_string(),
            ),
            Body::SetGm0 | Body::Float(_) | Body::Mg(_) | Body::Host(_) => unreachable!(),
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

    /// The result of a call, when the body alone fixes it (float
    /// expressions read main's float globals as `env` has them):
    /// `Some(None)` for no result, `None` when it depends on state (the
    /// abstract state completes it: `State::run`).
    pub(crate) fn known_result(&self, args: &Args, env: &FEnv) -> Option<Option<V>> {
        if self.sig == Sig::IV {
            return Some(None);
        }
        let v = match &self.body {
            Body::Const(k) => *k,
            Body::Loop(n) => (0..i32::from(*n)).sum(),
            Body::StoreF(..) => 0,
            Body::CallThenOwn { value, .. } => *value,
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
        Some(Some(self.adapt(v, args)))
    }

    /// The i32 value `v` of the body, as its type returns it.
    pub(crate) fn adapt(&self, v: i32, args: &Args) -> V {
        match self.sig {
            Sig::VI => V::I32(v),
            Sig::II => V::I32(args.x.wrapping_add(v)),
            Sig::IIi => V::I32(args.x.wrapping_sub(args.y).wrapping_add(v)),
            Sig::LL => V::I64(args.l.wrapping_add(i64::from(v))),
            Sig::IV | Sig::VF | Sig::DD => unreachable!("an integer body at an integer type with a result"),
        }
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

/// A table as a module names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum TableId {
    /// Main's table `table`: defined by main, imported by sides; dlsym's.
    Shared,
    /// Main's second exported table `aux`, which sides may import too.
    Aux,
    /// A table main defines and does not export.
    Priv,
    /// A side's own table `k`, beside the imported ones.
    Own(u8),
}

impl TableId {
    /// Its name in the text: `$t`, `$aux`, `$priv`, `$o0`.
    pub(crate) fn id(self) -> String {
        format!("${}", self.short())
    }

    /// Its name in export names: `t`, `aux`, `priv`, `o0`.
    pub(crate) fn short(self) -> String {
        match self {
            TableId::Shared => "t".into(),
            TableId::Aux => "aux".into(),
            TableId::Priv => "priv".into(),
            TableId::Own(k) => format!("o{k}"),
        }
    }
}

/// The name of the wrapper that calls through `table` at `sig`: main's
/// `call_i_i` (the shared table), `call_i_i_aux`, a side's `call_i_i_o0`.
pub(crate) fn call_export(sig: Sig, table: TableId) -> String {
    match table {
        TableId::Shared => format!("call_{}", sig.name()),
        t => format!("call_{}_{}", sig.name(), t.short()),
    }
}

/// The name of the wrapper that copies from table `src` to table `dst`.
pub(crate) fn copy_export(dst: TableId, src: TableId) -> String {
    format!("xcopy_{}_{}", dst.short(), src.short())
}

/// A wrapper calling through `table` at declaration `dup` of `sig`:
/// arguments, then the slot.
fn call_wrapper(name: &str, sig: Sig, dup: u8, table: TableId) -> String {
    let (params, result) = sig.inline();
    let args = params.split_whitespace().count();
    let gets: String = (0..=args).map(|i| format!(" (local.get {i})")).collect();
    format!(
        "(func (export \"{name}\") (param{params} i32){result} (call_indirect {} (type {}){gets}))",
        table.id(),
        type_name(sig, dup)
    )
}

fn copy_wrapper(dst: TableId, src: TableId) -> String {
    format!(
        "(func (export \"{}\") (param i32 i32 i32) (table.copy {} {} (local.get 0) (local.get 1) (local.get 2)))",
        copy_export(dst, src),
        dst.id(),
        src.id()
    )
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
/// global, immutable offset globals, immutable funcref globals (a GOT of
/// function references) and with floats float globals, imports the
/// `lockstep` linker and exports wrappers around every table, memory,
/// global and linker operation.
#[derive(Clone, Debug)]
pub(crate) struct MainDef {
    pub types: Types,
    /// The shared table `table` (`$t`).
    pub table: Limits,
    /// A second exported table `aux`, if any.
    pub aux: Option<Limits>,
    /// A table main keeps to itself, if any.
    pub private: Option<Limits>,
    /// The order main defines its tables in (the shared one is not always table 0).
    pub table_order: Vec<TableId>,
    pub memory: Limits,
    /// The pages `mg` lets the memory reach.
    pub mem_cap: u32,
    /// Functions for the table: `funcs[0]` is `note` (type `i_v`), `funcs[1]`
    /// is `mg`, the host functions are imports.
    pub funcs: Vec<FuncDef>,
    /// Main's active element segment at offset 0 of `$t` (indices into `funcs`).
    pub active: Vec<usize>,
    /// Its active segment at offset 0 of `aux`.
    pub aux_active: Vec<usize>,
    /// Main's passive element segment `$pe` (indices into `funcs`).
    pub passive: Vec<usize>,
    /// Values of the exported `tbaseN` globals (table offsets for sides).
    pub tbases: Vec<u32>,
    /// Values of the exported `mbaseN` globals (memory offsets for sides).
    pub mbases: Vec<u32>,
    /// The exported immutable funcref globals `frefN`: `ref.func` of
    /// `funcs[k]` (a host function too) or `ref.null`.
    pub frefs: Vec<Option<usize>>,
    /// The float globals, with floats.
    pub floats: Option<FGlobals>,
    /// The order of its global definitions, and of its imports, as keys of [`permuted`].
    pub global_key: u64,
    pub import_key: u64,
    /// The declaration of each type its `call_*` wrappers use (by [`Sig::ALL`] position).
    pub call_dups: [u8; 7],
    /// Names in memory, at `NAME_SLOT * i`.
    pub names: Vec<String>,
    /// The exported wrappers the scenario calls.
    pub used: BTreeSet<String>,
}

impl MainDef {
    /// The name of `funcs[i]` in main's text.
    pub(crate) fn func_name(&self, i: usize) -> String {
        match self.funcs[i].body {
            Body::Host(h) => h.name().into(),
            Body::Mg(_) => "mg".into(),
            _ if i == 0 => "note".into(),
            _ => format!("m{i}"),
        }
    }

    /// The declaration of `sig` that its `call_*` wrappers use.
    pub(crate) fn call_dup(&self, sig: Sig) -> u8 {
        self.call_dups[Sig::ALL.iter().position(|s| *s == sig).expect("a type")]
    }

    /// The index of a table in main's table index space.
    pub(crate) fn table_index(&self, t: TableId) -> u32 {
        self.table_order.iter().position(|x| *x == t).expect("main's table") as u32
    }

    /// Main's tables other than the shared one.
    pub(crate) fn other_tables(&self) -> Vec<TableId> {
        self.table_order.iter().copied().filter(|t| *t != TableId::Shared).collect()
    }

    pub(crate) fn render(&self) -> String {
        let mut s = String::from("(module $main\n");
        s += &self.types.render();
        let imports: Vec<String> = [Host::Dlopen, Host::Dlclose]
            .iter()
            .map(|h| {
                let sig = if *h == Host::Dlopen { Sig::IIi } else { Sig::II };
                format!("  (import \"lockstep\" \"{0}\" (func ${0} (type {1})))\n", h.name(), type_name(sig, 0))
            })
            .chain(std::iter::once(
                "  (import \"lockstep\" \"dlsym\" (func $dlsym (param i32 i32 i32) (result i32)))\n".to_string(),
            ))
            .collect();
        s += &permuted(imports, self.import_key).concat();
        let _ = writeln!(s, "  (memory (export \"memory\") {})", self.memory);
        for t in &self.table_order {
            let _ = match t {
                TableId::Shared => writeln!(s, "  (table $t (export \"table\") {} funcref)", self.table),
                TableId::Aux => writeln!(s, "  (table $aux (export \"aux\") {} funcref)", self.aux.expect("aux")),
                TableId::Priv => writeln!(s, "  (table $priv {} funcref)", self.private.expect("priv")),
                TableId::Own(_) => unreachable!("main owns no side tables"),
            };
        }
        s += &permuted(self.globals(), self.global_key).concat();
        s += "  ;; names that dlopen and dlsym read, 16 bytes apart\n";
        for (i, name) in self.names.iter().enumerate() {
            let _ = writeln!(s, "  (data (i32.const {}) {})", NAME_SLOT * i as u32, wat_string(name.as_bytes()));
        }
        s += "  ;; functions for the tables\n";
        for (i, f) in self.funcs.iter().enumerate() {
            if matches!(f.body, Body::Host(_)) {
                continue;
            }
            let export = match f.body {
                Body::Mg(_) => Some("mg"),
                _ => (i == 0).then_some("note"),
            };
            let _ = writeln!(s, "  {}", f.render(&self.func_name(i), export));
        }
        let refs = |idx: &[usize]| idx.iter().map(|&i| format!(" ${}", self.func_name(i))).collect::<String>();
        if !self.active.is_empty() {
            let _ = writeln!(s, "  (elem (table $t) (i32.const 0) func{})", refs(&self.active));
        }
        if !self.aux_active.is_empty() {
            let _ = writeln!(s, "  (elem (table $aux) (i32.const 0) func{})", refs(&self.aux_active));
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

    /// Its global definitions, one line each, in canonical order.
    fn globals(&self) -> Vec<String> {
        let mut g = vec![
            "  (global $gm0 (export \"gm0\") (mut i32) (i32.const 0))\n".to_string(),
            "  (global $c (mut i32) (i32.const 0))\n".to_string(),
        ];
        for (i, v) in self.tbases.iter().enumerate() {
            g.push(format!("  (global (export \"tbase{i}\") i32 (i32.const {v}))\n"));
        }
        for (i, v) in self.mbases.iter().enumerate() {
            g.push(format!("  (global (export \"mbase{i}\") i32 (i32.const {v}))\n"));
        }
        for (i, f) in self.frefs.iter().enumerate() {
            let init = match f {
                Some(k) => format!("(ref.func ${})", self.func_name(*k)),
                None => "(ref.null func)".into(),
            };
            g.push(format!("  (global (export \"fref{i}\") funcref {init})\n"));
        }
        if let Some(fg) = self.floats {
            for (ty, mutable, bits) in
                [(FTy::F32, true, fg.gf), (FTy::F64, true, fg.gd), (FTy::F32, false, fg.cf), (FTy::F64, false, fg.cd)]
            {
                let (id, t) = (float::global(ty, mutable), ty.name());
                let decl = if mutable { format!("(mut {t})") } else { t.to_string() };
                let init = float::literal(ty, bits);
                g.push(format!("  (global {id} (export \"{}\") {decl} ({t}.const {init}))\n", &id[1..]));
            }
        }
        g
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
            let name = self.func_name(i);
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
            "(func (export \"copy\") (param i32 i32 i32) (table.copy $t $t (local.get 0) (local.get 1) (local.get 2)))"
                .into(),
        );
        if !self.passive.is_empty() {
            add(
                "init",
                "(func (export \"init\") (param i32 i32 i32) \
                 (table.init $t $pe (local.get 0) (local.get 1) (local.get 2)))"
                    .into(),
            );
            add("drop", "(func (export \"drop\") (elem.drop $pe))".into());
        }
        // Calls through each table: arguments, then the slot.
        for t in &self.table_order {
            for sig in Sig::ALL {
                let name = call_export(sig, *t);
                add(&name, call_wrapper(&name, sig, self.call_dup(sig), *t));
            }
        }
        for dst in &self.table_order {
            for src in &self.table_order {
                if dst != src {
                    add(&copy_export(*dst, *src), copy_wrapper(*dst, *src));
                }
            }
        }
        // A call through function pointer k: an i32 slot index in memory.
        add(
            "call_fp",
            format!(
                "(func (export \"call_fp\") (param i32 i32) (result i32)\n    \
                 (call_indirect $t (type {}) (local.get 1)\n      \
                 (i32.load (i32.add (i32.const {FP_BASE}) (i32.shl (local.get 0) (i32.const 2))))))",
                type_name(Sig::II, self.call_dup(Sig::II))
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
        // What the caller does after dlopen returns, in the same activation:
        // the last word of memory at the size read after the call, and a
        // call through the last slot of the table at its size after the call.
        add(
            "open_top",
            "(func (export \"open_top\") (param i32 i32) (result i32)\n    \
             (drop (call $dlopen (local.get 0) (local.get 1)))\n    \
             (i32.load (i32.sub (i32.shl (memory.size) (i32.const 16)) (i32.const 4))))"
                .into(),
        );
        add(
            "open_last",
            format!(
                "(func (export \"open_last\") (param i32 i32 i32) (result i32)\n    \
                 (drop (call $dlopen (local.get 0) (local.get 1)))\n    \
                 (call_indirect $t (type {}) (local.get 2) (i32.sub (table.size $t) (i32.const 1))))",
                type_name(Sig::II, self.call_dup(Sig::II))
            ),
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

/// An item of a side's element segment (a constant expression, §3.3.10).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Item {
    /// `ref.func` of the side's own function.
    Own(usize),
    /// `ref.func` of the imported `note`: main's function.
    Note,
    Null,
    /// `global.get` of main's imported funcref global `frefK` (how a
    /// GOT.func entry reaches a table).
    FRef(usize),
}

#[derive(Clone, Debug)]
pub(crate) struct ElemSeg {
    pub table: TableId,
    pub offset: Offset,
    pub items: Vec<Item>,
    /// Written as expressions (`funcref (ref.func $f0) …`) even where
    /// function indices (`func $f0 …`) would do: another encoding.
    pub exprs: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct DataSeg {
    pub offset: Offset,
    pub bytes: Vec<u8>,
}

/// A constant expression initialising a side's defined global `$gK`
/// (Wasm 2.0: `global.get` of an *imported* global only).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Init {
    /// An `i32` global: `i32.const`.
    I32(i32),
    /// An `i32` global: `global.get` of main's imported `tbaseK`.
    TBase(usize),
    /// A funcref global: `ref.null func`.
    Null,
    /// A funcref global: `ref.func` of the side's own function.
    Func(usize),
    /// A funcref global: `ref.func` of the imported `note`.
    Note,
    /// A funcref global: `global.get` of main's imported `frefK`.
    FRef(usize),
}

impl Init {
    pub(crate) fn is_i32(self) -> bool {
        matches!(self, Init::I32(_) | Init::TBase(_))
    }

    fn render(self) -> String {
        match self {
            Init::I32(v) => format!("i32 (i32.const {v})"),
            Init::TBase(k) => format!("i32 (global.get $tbase{k})"),
            Init::Null => "funcref (ref.null func)".into(),
            Init::Func(k) => format!("funcref (ref.func $f{k})"),
            Init::Note => "funcref (ref.func $note)".into(),
            Init::FRef(k) => format!("funcref (global.get $fref{k})"),
        }
    }
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
    /// Stores into the memory (the shared one, or its own).
    Store { addr: u32, value: i32 },
    /// `table.set` of the side's `$f0` into the shared table (traps if out of bounds).
    TableSet(u32),
    /// Sets main's imported float global `gf` or `gd` to a constant (exact bits).
    FGlobal(FTy, u64),
    /// `table.grow` of the shared table by `n` slots holding `item` (the
    /// result dropped: -1 past the max).
    TableGrow { n: u32, item: Item },
    /// `memory.grow` of the shared memory by a page while it has fewer than
    /// `cap` pages (the result dropped).
    MemGrow { cap: u32 },
    /// A store to the last word of the memory, at the address computed
    /// from `memory.size` (in the page a [`Write::MemGrow`] added).
    StoreTop(i32),
}

/// How a side's start function ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum End {
    Return,
    /// `unreachable`: the instantiation fails after every write before it.
    Unreachable,
    /// `call_indirect` into the shared table at declaration `dup` of `sig`
    /// (traps if null, out of bounds, mismatched).
    CallIndirect {
        slot: u32,
        sig: Sig,
        dup: u8,
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

/// What a side imports from main (by export name), in its import order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Import {
    /// `table` as `$t`.
    Table(Limits),
    /// `aux` as `$aux`.
    Aux(Limits),
    /// `memory` (unless it has its own).
    Memory(Limits),
    /// `tbaseK` (i32), for segment offsets and global initialisers.
    TBase(usize),
    /// `mbaseK` (i32), for data segment offsets.
    MBase(usize),
    /// `frefK` (funcref), for element items and global initialisers.
    FRef(usize),
    /// `gm0` (mut i32).
    Gm0,
    /// `note`, at declaration `dup` of `i_v`.
    Note(u8),
    /// `mg`, at declaration `dup` of `i_i`.
    Mg(u8),
    /// `gf`, `gd` (mutable) or `cf`, `cd`.
    FGlobal(FTy, bool),
    Bad(BadImport),
}

impl Import {
    fn render(self) -> String {
        match self {
            Import::Table(l) => format!("(import \"main\" \"table\" (table $t {l} funcref))"),
            Import::Aux(l) => format!("(import \"main\" \"aux\" (table $aux {l} funcref))"),
            Import::Memory(l) => format!("(import \"main\" \"memory\" (memory {l}))"),
            Import::TBase(k) => format!("(import \"main\" \"tbase{k}\" (global $tbase{k} i32))"),
            Import::MBase(k) => format!("(import \"main\" \"mbase{k}\" (global $mbase{k} i32))"),
            Import::FRef(k) => format!("(import \"main\" \"fref{k}\" (global $fref{k} funcref))"),
            Import::Gm0 => "(import \"main\" \"gm0\" (global $gm0 (mut i32)))".into(),
            Import::Note(dup) => format!("(import \"main\" \"note\" (func $note (type {})))", type_name(Sig::IV, dup)),
            Import::Mg(dup) => format!("(import \"main\" \"mg\" (func $mg (type {})))", type_name(Sig::II, dup)),
            Import::FGlobal(ty, mutable) => {
                let (id, t) = (float::global(ty, mutable), ty.name());
                let decl = if mutable { format!("(mut {t})") } else { t.to_string() };
                format!("(import \"main\" \"{}\" (global {id} {decl}))", &id[1..])
            }
            Import::Bad(BadImport::MissingExport) => "(import \"main\" \"nosuch\" (func (type $v_i)))".into(),
            Import::Bad(BadImport::FuncType) => "(import \"main\" \"note\" (func (type $l_l)))".into(),
            Import::Bad(BadImport::GlobalMutability) => "(import \"main\" \"gm0\" (global i32))".into(),
            Import::Bad(BadImport::FloatGlobalType) => "(import \"main\" \"gf\" (global (mut f64)))".into(),
        }
    }
}

/// What a side that imports main's float globals writes to them with its
/// exports `put_gf` and `put_gd`: expressions that may choose a NaN.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Puts {
    pub gf: FExpr,
    pub gd: FExpr,
}

/// A side module definition (`(module definition $sideN …)`, or `$libK`
/// drawn from the pool): it imports main's table, memory and some globals
/// and functions, and adds its own functions (and maybe tables and
/// globals) through segments, its start function and its exports.
#[derive(Clone, Debug)]
pub(crate) struct SideDef {
    pub name: String,
    /// Library `k` of the pool: its text is the same in every case.
    pub pool: Option<usize>,
    pub types: Types,
    /// Its imports of main's table, memory, functions and globals (those
    /// that segments and initialisers read are added by [`SideDef::imports`]).
    pub imports: Vec<Import>,
    /// The order of its imports and of its defined globals (keys of [`permuted`]).
    pub import_key: u64,
    pub global_key: u64,
    /// Pages of a memory of its own, instead of main's: its data segments,
    /// loads and stores use it, and a failed instantiation leaves functions
    /// that still read it.
    pub own_memory: Option<u32>,
    /// Tables it defines beside the imported ones (`$o0`, …).
    pub own_tables: Vec<Limits>,
    /// It declares the float types.
    pub floats: bool,
    /// It imports main's float globals (`gf`, `gd`, `cf`, `cd`), and writes
    /// these to `gf` and `gd` with its exports `put_gf` and `put_gd`.
    pub fglobals: Option<Puts>,
    pub counter: i32,
    /// Its defined globals besides `$c`: `$g0`, `$g1`, …
    pub globals: Vec<Init>,
    pub funcs: Vec<FuncDef>,
    pub elems: Vec<ElemSeg>,
    /// The passive segment `$code`, if not empty.
    pub passive: Vec<Item>,
    pub datas: Vec<DataSeg>,
    pub start: Option<Start>,
    /// Whether it exports its functions (`fN`) and table/memory operations.
    pub exports: bool,
    /// Of those, the ones the scenario calls (the others are not written
    /// out, unless it is a library of the pool).
    pub used: BTreeSet<String>,
}

impl SideDef {
    /// Whether it exports the operation `op` (`init`, `set_gm0`, …).
    pub(crate) fn exports_op(&self, op: &str) -> bool {
        self.exports
            && match op {
                "init" | "drop" => !self.passive.is_empty(),
                "set_gm0" => self.has(Import::Gm0),
                "set_gf" | "set_gd" | "put_gf" | "put_gd" => self.fglobals.is_some(),
                "msize" | "mgrow" | "load" => self.own_memory.is_none(),
                _ => true,
            }
    }

    /// Whether its explicit imports include `i` (for `Note` and `Mg`, at any declaration).
    pub(crate) fn has(&self, i: Import) -> bool {
        self.imports.iter().any(|x| match (x, i) {
            (Import::Note(_), Import::Note(_)) | (Import::Mg(_), Import::Mg(_)) => true,
            _ => *x == i,
        })
    }

    pub(crate) fn imports_note(&self) -> bool {
        self.has(Import::Note(0))
    }

    /// Adds an import (last, unless it has it).
    pub(crate) fn add_import(&mut self, i: Import) {
        if !self.has(i) {
            self.imports.push(i);
        }
    }

    /// Every import, in its order: the explicit ones and those its
    /// segments and global initialisers read.
    pub(crate) fn all_imports(&self) -> Vec<Import> {
        let mut all = self.imports.clone();
        let mut add = |i: Import| {
            if !all.contains(&i) {
                all.push(i);
            }
        };
        for e in &self.elems {
            if let Offset::Global(k) = e.offset {
                add(Import::TBase(k));
            }
            for item in &e.items {
                if let Item::FRef(k) = item {
                    add(Import::FRef(*k));
                }
            }
        }
        for item in &self.passive {
            if let Item::FRef(k) = item {
                add(Import::FRef(*k));
            }
        }
        for d in &self.datas {
            if let Offset::Global(k) = d.offset {
                add(Import::MBase(k));
            }
        }
        for g in &self.globals {
            match g {
                Init::TBase(k) => add(Import::TBase(*k)),
                Init::FRef(k) => add(Import::FRef(*k)),
                _ => {}
            }
        }
        if let Some(Start { writes, .. }) = &self.start {
            for w in writes {
                if let Write::TableGrow { item: Item::FRef(k), .. } = w {
                    add(Import::FRef(*k));
                }
            }
        }
        if self.own_memory.is_some() {
            all.retain(|i| !matches!(i, Import::Memory(_)));
        }
        permuted(all, self.import_key)
    }

    /// Its tables in index order: the imported ones in import order, then its own.
    pub(crate) fn tables(&self) -> Vec<TableId> {
        let mut t: Vec<TableId> = self
            .all_imports()
            .iter()
            .filter_map(|i| match i {
                Import::Table(_) => Some(TableId::Shared),
                Import::Aux(_) => Some(TableId::Aux),
                _ => None,
            })
            .collect();
        t.extend((0..self.own_tables.len()).map(|k| TableId::Own(k as u8)));
        t
    }

    /// The index of table `t` in its table index space.
    pub(crate) fn table_index(&self, t: TableId) -> u32 {
        self.tables().iter().position(|x| *x == t).expect("a table of the side") as u32
    }

    /// How many globals it imports.
    pub(crate) fn imported_globals(&self) -> usize {
        let global = |i: &Import| {
            matches!(
                i,
                Import::TBase(_)
                    | Import::MBase(_)
                    | Import::FRef(_)
                    | Import::Gm0
                    | Import::FGlobal(..)
                    | Import::Bad(BadImport::GlobalMutability | BadImport::FloatGlobalType)
            )
        };
        self.all_imports().iter().filter(|i| global(i)).count()
    }

    /// The module's text, opened by `header`: `(module definition $side0`,
    /// `(module $i3` or `(module`. It carries its name in an `@name`
    /// annotation (the module name of its name section), so that its bytes
    /// are the same whichever way the script names it: compiled once.
    pub(crate) fn render(&self, header: &str) -> String {
        let mut s = format!("{header} (@name \"{}\")\n", self.name);
        s += &self.types.render();
        for i in self.all_imports() {
            let _ = writeln!(s, "  {}", i.render());
        }
        if let Some(pages) = self.own_memory {
            let _ = writeln!(s, "  (memory {pages})");
        }
        for (k, l) in self.own_tables.iter().enumerate() {
            let _ = writeln!(s, "  (table $o{k} {l} funcref)");
        }
        let mut globals = vec![format!("  (global $c (mut i32) (i32.const {}))\n", self.counter)];
        for (k, g) in self.globals.iter().enumerate() {
            globals.push(format!("  (global $g{k} {})\n", g.render()));
        }
        s += &permuted(globals, self.global_key).concat();
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
        let expr = |i: &Item| match i {
            Item::Own(k) => format!(" (ref.func $f{k})"),
            Item::Note => " (ref.func $note)".to_string(),
            Item::Null => " (ref.null func)".to_string(),
            Item::FRef(k) => format!(" (global.get $fref{k})"),
        };
        let payload = |items: &[Item], exprs: bool| -> String {
            let indices = !exprs && items.iter().all(|i| matches!(i, Item::Own(_) | Item::Note));
            if indices {
                let names: String = items
                    .iter()
                    .map(|i| match i {
                        Item::Own(k) => format!(" $f{k}"),
                        _ => " $note".to_string(),
                    })
                    .collect();
                format!("func{names}")
            } else {
                format!("funcref{}", items.iter().map(expr).collect::<String>())
            }
        };
        for e in &self.elems {
            let off = match e.offset {
                Offset::Const(c) => format!("(i32.const {c})"),
                Offset::Global(k) => format!("(global.get $tbase{k})"),
            };
            let _ = writeln!(s, "  (elem (table {}) {off} {})", e.table.id(), payload(&e.items, e.exprs));
        }
        if !self.passive.is_empty() {
            let _ = writeln!(s, "  (elem $code {})", payload(&self.passive, false));
        }
        let mut all: String = (0..self.funcs.len()).map(|k| format!(" $f{k}")).collect();
        if self.imports_note() {
            // Code may take `ref.func $note` too (a start's `table.grow`).
            all += " $note";
        }
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
                Write::TableSet(slot) => format!("(table.set $t (i32.const {slot}) (ref.func $f0))"),
                Write::FGlobal(ty, bits) => {
                    let (g, t) = (float::global(*ty, true), ty.name());
                    format!("(global.set {g} ({t}.const {}))", float::literal(*ty, *bits))
                }
                Write::TableGrow { n, item } => {
                    let init = match item {
                        Item::Own(k) => format!("(ref.func $f{k})"),
                        Item::Note => "(ref.func $note)".into(),
                        Item::Null => "(ref.null func)".into(),
                        Item::FRef(k) => format!("(global.get $fref{k})"),
                    };
                    format!("(drop (table.grow $t {init} (i32.const {n})))")
                }
                Write::MemGrow { cap } => {
                    format!("(if (i32.lt_u (memory.size) (i32.const {cap})) (then (drop (memory.grow (i32.const 1)))))")
                }
                Write::StoreTop(v) => {
                    format!(
                        "(i32.store (i32.sub (i32.shl (memory.size) (i32.const 16)) (i32.const 4)) (i32.const {v}))"
                    )
                }
            };
            let _ = writeln!(s, "    {line}");
        }
        match &start.end {
            End::Return => {}
            End::Unreachable => s += "    (unreachable)\n",
            End::CallIndirect { slot, sig, dup, args } => {
                let args: String = args.for_sig(*sig).iter().map(|v| format!(" {v}")).collect();
                let call = format!("(call_indirect $t (type {}){args} (i32.const {slot}))", type_name(*sig, *dup));
                let call = if *sig == Sig::IV { call } else { format!("(drop {call})") };
                let _ = writeln!(s, "    {call}");
            }
            End::JitPatch { fps } => {
                let n = self.passive.len();
                let _ = writeln!(s, "    (local.set $base (table.grow $t (ref.null func) (i32.const {n})))");
                s += "    (if (i32.eq (local.get $base) (i32.const -1)) (then (return)))\n";
                let _ = writeln!(s, "    (table.init $t $code (local.get $base) (i32.const 0) (i32.const {n}))");
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

    /// Every exported operation, by name; [`SideDef::render`] writes the
    /// used ones (a library of the pool: all).
    fn exports(&self) -> Vec<(String, String)> {
        let mut w: Vec<(String, String)> = Vec::new();
        let mut add = |name: &str, text: &str| w.push((name.to_string(), text.to_string()));
        for k in 0..self.funcs.len() {
            add(&format!("f{k}"), &format!("(export \"f{k}\" (func $f{k}))"));
        }
        add("size", "(func (export \"size\") (result i32) (table.size $t))");
        add("grow", "(func (export \"grow\") (param i32) (result i32) (table.grow $t (ref.func $f0) (local.get 0)))");
        add("put0", "(func (export \"put0\") (param i32) (table.set $t (local.get 0) (ref.func $f0)))");
        add(
            "fill",
            "(func (export \"fill\") (param i32 i32) (table.fill $t (local.get 0) (ref.func $f0) (local.get 1)))",
        );
        add(
            "copy",
            "(func (export \"copy\") (param i32 i32 i32) (table.copy $t $t (local.get 0) (local.get 1) (local.get 2)))",
        );
        if !self.passive.is_empty() {
            add(
                "init",
                "(func (export \"init\") (param i32 i32 i32) \
                 (table.init $t $code (local.get 0) (local.get 1) (local.get 2)))",
            );
            add("drop", "(func (export \"drop\") (elem.drop $code))");
        }
        let tables = self.tables();
        // Through its other tables, at the types of its own functions (a
        // library is written with every export: keep it small).
        let mut sigs: Vec<Sig> = self.funcs.iter().map(|f| f.sig).collect();
        sigs.sort_unstable();
        sigs.dedup();
        for t in &tables {
            if *t == TableId::Shared {
                continue;
            }
            for sig in &sigs {
                let name = call_export(*sig, *t);
                add(&name, &call_wrapper(&name, *sig, 0, *t));
            }
        }
        for dst in &tables {
            for src in &tables {
                if dst != src {
                    add(&copy_export(*dst, *src), &copy_wrapper(*dst, *src));
                }
            }
        }
        for (k, g) in self.globals.iter().enumerate() {
            if g.is_i32() {
                add(&format!("gval{k}"), &format!("(func (export \"gval{k}\") (result i32) (global.get $g{k}))"));
            } else {
                add(
                    &format!("gput{k}"),
                    &format!("(func (export \"gput{k}\") (param i32) (table.set $t (local.get 0) (global.get $g{k})))"),
                );
                add(
                    &format!("ggrow{k}"),
                    &format!(
                        "(func (export \"ggrow{k}\") (param i32) (result i32) \
                         (table.grow $t (global.get $g{k}) (local.get 0)))"
                    ),
                );
            }
        }
        if self.own_memory.is_none() {
            add("msize", "(func (export \"msize\") (result i32) (memory.size))");
            add("mgrow", "(func (export \"mgrow\") (param i32) (result i32) (memory.grow (local.get 0)))");
            add("load", "(func (export \"load\") (param i32) (result i32) (i32.load (local.get 0)))");
        }
        if self.has(Import::Gm0) {
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
        w
    }

    fn render_exports(&self) -> String {
        let whole = self.pool.is_some();
        self.exports()
            .into_iter()
            .filter(|(name, _)| whole || self.used.contains(name))
            .map(|(_, text)| format!("  {text}\n"))
            .collect()
    }
}
