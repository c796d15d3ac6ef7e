//! A second generator, built on wasm-smith: random code around a fixed
//! linking interface. Main is generated to export a memory (`memory`), a
//! funcref table (`table`), functions (`f0`, …) and globals (`g0`, …) of
//! types chosen here (wasm-smith's `exports`); the side is generated against
//! exactly those exports (`available_imports`: it imports a random subset)
//! and to export functions `s0`, … A hand-written loader, instantiated by
//! the script, re-exports main's exports (dlopen links a side against its
//! caller's exports), dlopens the side and reaches its functions through
//! dlsym and `call_indirect`. Nothing is predicted: every step is an
//! `invoke`, and the runner compares engines.
//!
//! wasm-smith is held to what every engine runs alike: Wasm 2.0 without
//! SIMD, NaNs canonicalised (`canonicalize_nans`), loops and calls bounded
//! by a fuel global inside the wasm (`ensure_termination`), a memory of at
//! most 4 pages. Main has no start function and no code that traps at
//! instantiation (`disallow_traps`), so that `(module $main …)` succeeds;
//! the side may fail anywhere (dlopen then returns -1). wasm-smith 0.263.0
//! generates element segments with no items (DESIGN §6): the side's
//! functions reach the table through dlsym only.
//!
//! Most pairs draw their interface and side from the [`Pool`]
//! ([`PairConfig::pool_reuse`]): the same side, with the same bytes, in
//! many cases of an epoch, against a main generated fresh for each.

use std::fmt::Write;

use arbitrary::{Result, Unstructured};

use super::config::MaxPresence;
use super::events::Events;
use super::pool::Pool;
use super::{Scenario, Step};

/// What [`smith_pair`] may generate. Maxima only.
#[derive(Clone, Debug)]
pub struct PairConfig {
    /// The most functions main exports (`f0`, …), which the side may import
    /// and the script calls. Defaults to 3.
    pub max_main_funcs: usize,
    /// The most globals main exports (`g0`, …), mutable or not. Defaults to 2.
    pub max_main_globals: usize,
    /// The most functions the side exports (`s0`, …), called through dlsym.
    /// Defaults to 3.
    pub max_side_funcs: usize,
    /// The most parameters of an interface function. Defaults to 3.
    pub max_params: usize,
    /// The largest initial size of main's table, and the most its declared
    /// maximum (when it has one) exceeds that (dlsym grows the table by one
    /// slot per new function, and fails at the maximum). Defaults to 8.
    pub max_table: u32,
    /// Whether main's table declares a maximum. Defaults to [`MaxPresence::Either`].
    pub table_max: MaxPresence,
    /// The most instructions of one generated function body (wasm-smith's
    /// `max_instructions`). Defaults to 40.
    pub max_instructions: usize,
    /// Each module's fuel (wasm-smith's `ensure_termination`): function
    /// entries and loop iterations before it traps, over its lifetime.
    /// Defaults to 2000.
    pub fuel: u32,
    /// The most invocations after main is instantiated. Defaults to 10.
    pub max_invocations: usize,
    /// The most sides of the pool a pair draws from (interface and side
    /// together); 0: every side is generated fresh. Defaults to 16.
    pub pool_size: usize,
    /// The percentage of pairs whose interface and side come from the
    /// pool; the others are generated fresh. Defaults to 70.
    pub pool_reuse: u32,
}

impl Default for PairConfig {
    fn default() -> PairConfig {
        PairConfig {
            max_main_funcs: 3,
            max_main_globals: 2,
            max_side_funcs: 3,
            max_params: 3,
            max_table: 8,
            table_max: MaxPresence::Either,
            max_instructions: 40,
            fuel: 2000,
            max_invocations: 10,
            pool_size: 16,
            pool_reuse: 70,
        }
    }
}

/// A value type of the interface.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ty {
    I32,
    I64,
    F32,
    F64,
}

impl Ty {
    fn name(self) -> &'static str {
        match self {
            Ty::I32 => "i32",
            Ty::I64 => "i64",
            Ty::F32 => "f32",
            Ty::F64 => "f64",
        }
    }

    /// A constant of this type (floats: finite, never NaN).
    fn constant(self, u: &mut Unstructured<'_>) -> Result<String> {
        Ok(match self {
            Ty::I32 => format!("(i32.const {})", u.int_in_range(-10..=1000)?),
            Ty::I64 => format!("(i64.const {})", u.int_in_range(-10..=1i64 << 40)?),
            Ty::F32 => format!("(f32.const {})", f32::from(u.int_in_range(-1000i16..=1000)?) / 8.0),
            Ty::F64 => format!("(f64.const {})", f64::from(u.int_in_range(-1000i32..=1000)?) / 8.0),
        })
    }
}

/// A function type of the interface.
#[derive(Clone, Debug)]
struct FnTy {
    params: Vec<Ty>,
    results: Vec<Ty>,
}

impl FnTy {
    fn arbitrary(u: &mut Unstructured<'_>, max_params: usize) -> Result<FnTy> {
        let tys = [Ty::I32, Ty::I64, Ty::F32, Ty::F64];
        let mut params = Vec::new();
        for _ in 0..u.int_in_range(0..=max_params)? {
            params.push(*u.choose(&tys)?);
        }
        let mut results = Vec::new();
        for _ in 0..u.int_in_range(0..=2)? {
            results.push(*u.choose(&tys)?);
        }
        Ok(FnTy { params, results })
    }

    /// `(param …) (result …)`.
    fn text(&self) -> String {
        let mut s = String::new();
        if !self.params.is_empty() {
            s += &format!(" (param{})", self.params.iter().map(|t| format!(" {}", t.name())).collect::<String>());
        }
        if !self.results.is_empty() {
            s += &format!(" (result{})", self.results.iter().map(|t| format!(" {}", t.name())).collect::<String>());
        }
        s
    }

    fn args(&self, u: &mut Unstructured<'_>) -> Result<String> {
        let mut s = String::new();
        for p in &self.params {
            s += " ";
            s += &p.constant(u)?;
        }
        Ok(s)
    }
}

/// Main's exports: the interface both modules are generated against.
struct Interface {
    pages: (u32, u32),
    table: (u32, Option<u32>),
    funcs: Vec<FnTy>,
    /// Globals: type and mutability.
    globals: Vec<(Ty, bool)>,
    side_funcs: Vec<FnTy>,
}

impl Interface {
    fn arbitrary(u: &mut Unstructured<'_>, cfg: &PairConfig) -> Result<Interface> {
        let min_pages = u.int_in_range(1..=2)?;
        let tmin = u.int_in_range(0..=cfg.max_table)?;
        let has_max = match cfg.table_max {
            MaxPresence::Always => true,
            MaxPresence::Never => false,
            MaxPresence::Either => u.arbitrary()?,
        };
        let tmax = if has_max { Some(tmin + u.int_in_range(0..=cfg.max_table)?) } else { None };
        let mut funcs = Vec::new();
        for _ in 0..u.int_in_range(1..=cfg.max_main_funcs.max(1))? {
            funcs.push(FnTy::arbitrary(u, cfg.max_params)?);
        }
        let mut globals = Vec::new();
        for _ in 0..u.int_in_range(0..=cfg.max_main_globals)? {
            globals.push((*u.choose(&[Ty::I32, Ty::I64, Ty::F32, Ty::F64])?, u.arbitrary()?));
        }
        let mut side_funcs = Vec::new();
        for _ in 0..u.int_in_range(1..=cfg.max_side_funcs.max(1))? {
            side_funcs.push(FnTy::arbitrary(u, cfg.max_params)?);
        }
        Ok(Interface {
            pages: (min_pages, u.int_in_range(min_pages..=4)?),
            table: (tmin, tmax),
            funcs,
            globals,
            side_funcs,
        })
    }

    fn table_text(&self) -> String {
        match self.table {
            (min, Some(max)) => format!("{min} {max} funcref"),
            (min, None) => format!("{min} funcref"),
        }
    }

    fn global_text(&self, i: usize) -> String {
        let (ty, mutable) = self.globals[i];
        if mutable { format!("(mut {})", ty.name()) } else { ty.name().to_string() }
    }

    /// A module with main's exports (wasm-smith's `exports`).
    fn main_exports(&self) -> String {
        let mut s = String::from("(module\n");
        let _ = writeln!(s, "  (memory (export \"memory\") {} {})", self.pages.0, self.pages.1);
        let _ = writeln!(s, "  (table (export \"table\") {})", self.table_text());
        for (i, f) in self.funcs.iter().enumerate() {
            let _ = writeln!(s, "  (func (export \"f{i}\"){} unreachable)", f.text());
        }
        for (i, (ty, _)) in self.globals.iter().enumerate() {
            let _ = writeln!(s, "  (global (export \"g{i}\") {} ({}.const 0))", self.global_text(i), ty.name());
        }
        s + ")"
    }

    /// A module importing every export of main (wasm-smith's `available_imports`).
    fn main_imports(&self) -> String {
        let mut s = String::from("(module\n");
        let _ = writeln!(s, "  (import \"main\" \"memory\" (memory {} {}))", self.pages.0, self.pages.1);
        let _ = writeln!(s, "  (import \"main\" \"table\" (table {}))", self.table_text());
        for (i, f) in self.funcs.iter().enumerate() {
            let _ = writeln!(s, "  (import \"main\" \"f{i}\" (func{}))", f.text());
        }
        for i in 0..self.globals.len() {
            let _ = writeln!(s, "  (import \"main\" \"g{i}\" (global {}))", self.global_text(i));
        }
        s + ")"
    }

    /// A module with the side's exports.
    fn side_exports(&self) -> String {
        let mut s = String::from("(module\n");
        for (i, f) in self.side_funcs.iter().enumerate() {
            let _ = writeln!(s, "  (func (export \"s{i}\"){} unreachable)", f.text());
        }
        s + ")"
    }

    /// The loader: re-exports main's exports under the same names, dlopens
    /// the side (`load`) and calls its export `sK` through dlsym (`run_sK`).
    /// Names are stored at address 0 of the shared memory before each call.
    fn loader(&self) -> String {
        let mut s = String::from("(module $loader\n");
        for (i, f) in self.side_funcs.iter().enumerate() {
            let _ = writeln!(s, "  (type $s{i} (func{}))", f.text());
        }
        s += "  (import \"lockstep\" \"dlopen\" (func $dlopen (param i32 i32) (result i32)))\n";
        s += "  (import \"lockstep\" \"dlsym\" (func $dlsym (param i32 i32 i32) (result i32)))\n";
        s += "  (import \"main\" \"memory\" (memory $memory 0))\n";
        s += "  (import \"main\" \"table\" (table $table 0 funcref))\n";
        for (i, f) in self.funcs.iter().enumerate() {
            let _ = writeln!(s, "  (import \"main\" \"f{i}\" (func $f{i}{}))", f.text());
        }
        for i in 0..self.globals.len() {
            let _ = writeln!(s, "  (import \"main\" \"g{i}\" (global $g{i} {}))", self.global_text(i));
        }
        s += "  (export \"memory\" (memory $memory))\n  (export \"table\" (table $table))\n";
        for i in 0..self.funcs.len() {
            let _ = writeln!(s, "  (export \"f{i}\" (func $f{i}))");
        }
        for i in 0..self.globals.len() {
            let _ = writeln!(s, "  (export \"g{i}\" (global $g{i}))");
        }
        s += "  (global $h (mut i32) (i32.const -1))\n";
        let _ = writeln!(
            s,
            "  (func (export \"load\") (result i32)\n    (i64.store (i32.const 0) (i64.const {}))  ;; \"side\"\n    \
             (global.set $h (call $dlopen (i32.const 0) (i32.const 4)))\n    (global.get $h))",
            name_word("side")
        );
        for (i, f) in self.side_funcs.iter().enumerate() {
            let gets: String = (0..f.params.len()).map(|p| format!(" (local.get {p})")).collect();
            let _ = writeln!(
                s,
                "  (func (export \"run_s{i}\"){}\n    (i64.store (i32.const 0) (i64.const {}))  ;; \"s{i}\"\n    \
                 (call_indirect (type $s{i}){gets} (call $dlsym (global.get $h) (i32.const 0) (i32.const {}))))",
                f.text(),
                name_word(&format!("s{i}")),
                format!("s{i}").len()
            );
        }
        s.pop();
        s + ")"
    }
}

/// A name of at most 8 bytes as the i64 whose little-endian bytes spell it.
fn name_word(name: &str) -> i64 {
    let mut bytes = [0u8; 8];
    bytes[..name.len()].copy_from_slice(name.as_bytes());
    i64::from_le_bytes(bytes)
}

/// wasm-smith held to Wasm 2.0 without SIMD, with NaNs canonicalised and
/// small memories and tables (every step observes every byte and slot).
fn smith_config(cfg: &PairConfig) -> wasm_smith::Config {
    wasm_smith::Config {
        simd_enabled: false,
        relaxed_simd_enabled: false,
        threads_enabled: false,
        tail_call_enabled: false,
        exceptions_enabled: false,
        gc_enabled: false,
        memory64_enabled: false,
        extended_const_enabled: false,
        custom_page_sizes_enabled: false,
        wide_arithmetic_enabled: false,
        compact_imports_enabled: false,
        shared_everything_threads_enabled: false,
        custom_descriptors_enabled: false,
        reference_types_enabled: true,
        bulk_memory_enabled: true,
        multi_value_enabled: true,
        sign_extension_ops_enabled: true,
        saturating_float_to_int_enabled: true,
        canonicalize_nans: true,
        max_instructions: cfg.max_instructions,
        max_funcs: 8,
        max_globals: 6,
        max_types: 12,
        max_data_segments: 3,
        max_element_segments: 3,
        max_elements: 4,
        max_memory32_bytes: 4 * 65536,
        memory_max_size_required: true,
        max_table_elements: 16,
        table_max_size_required: true,
        ..wasm_smith::Config::default()
    }
}

/// One wasm-smith module, made to terminate, as WAT.
fn smith_module(u: &mut Unstructured<'_>, config: wasm_smith::Config, fuel: u32) -> Result<String> {
    let mut m = wasm_smith::Module::new(config, u)?;
    m.ensure_termination(fuel).map_err(|_| arbitrary::Error::IncorrectFormat)?;
    wasmprinter::print_bytes(m.to_bytes()).map_err(|_| arbitrary::Error::IncorrectFormat)
}

fn wat(text: &str) -> Vec<u8> {
    wat::parse_str(text).expect("the generator's interface modules are valid")
}

/// Generates a main/side pair and a few invocations, with a pool of its
/// own (its seed drawn from `u`); see [`smith_pair_in`].
///
/// # Errors
/// Those of `arbitrary` and wasm-smith (not when the input runs out).
pub fn smith_pair(u: &mut Unstructured<'_>, cfg: &PairConfig) -> Result<Scenario> {
    let pool = Pool::from_seed(u.arbitrary()?);
    smith_pair_in(u, cfg, &pool)
}

/// Salts the bytes of the pool's pairs apart from its libraries.
const PAIR_SALT: u64 = 0x7061_6972;

/// The interface and side of pair `k` of `pool`, generated from its own bytes.
fn pooled(pool: &Pool, k: usize, cfg: &PairConfig) -> Option<(Interface, String)> {
    let bytes = pool.bytes(PAIR_SALT, k, 8192)?;
    let mut u = Unstructured::new(&bytes);
    let iface = Interface::arbitrary(&mut u, cfg).ok()?;
    let side = smith_side(&mut u, &iface, cfg).ok()?;
    Some((iface, side))
}

/// The side, generated against the interface.
fn smith_side(u: &mut Unstructured<'_>, iface: &Interface, cfg: &PairConfig) -> Result<String> {
    smith_module(
        u,
        wasm_smith::Config {
            available_imports: Some(wat(&iface.main_imports())),
            exports: Some(wat(&iface.side_exports())),
            max_memories: 1,
            max_tables: 2,
            ..smith_config(cfg)
        },
        cfg.fuel,
    )
}

/// Generates a main/side pair and a few invocations; see the module
/// documentation. The interface and side come from `pool` at the rate
/// [`PairConfig::pool_reuse`], else from `u`; main always from `u`.
///
/// # Errors
/// Those of `arbitrary` and wasm-smith (not when the input runs out).
pub fn smith_pair_in(u: &mut Unstructured<'_>, cfg: &PairConfig, pool: &Pool) -> Result<Scenario> {
    let mut events = Events::default();
    let n = cfg.pool_size.min(Pool::CAPACITY);
    let drawn = if !pool.is_empty() && n > 0 && u.int_in_range(1..=100u32)? <= cfg.pool_reuse {
        let k = u.choose_index(n)?;
        pooled(pool, k, cfg)
    } else {
        None
    };
    let from_pool = drawn.is_some();
    let (iface, side) = match drawn {
        Some(pair) => pair,
        None => {
            let iface = Interface::arbitrary(u, cfg)?;
            let side = smith_side(u, &iface, cfg)?;
            (iface, side)
        }
    };
    let main = smith_module(
        u,
        wasm_smith::Config {
            exports: Some(wat(&iface.main_exports())),
            max_imports: 0,
            max_memories: 0,
            max_tables: 1,
            allow_start_export: false,
            disallow_traps: true,
            ..smith_config(cfg)
        },
        cfg.fuel,
    )?;
    let setup = vec![
        side.replacen("(module", "(module definition $side", 1),
        main.replacen("(module", "(module $main", 1),
        "(register \"main\" $main)".to_string(),
        iface.loader(),
    ];
    let mut steps = Vec::new();
    let mut step = |text: String| steps.push(Step { text, left_behind: false });
    let mut loaded = false;
    for _ in 0..u.int_in_range(1..=cfg.max_invocations.max(1))? {
        // Load the side before calling it, most of the time.
        let what = if loaded { u.int_in_range(0..=5)? } else { u.int_in_range(0..=1)? };
        match what {
            0 => {
                let k = u.choose_index(iface.funcs.len())?;
                step(format!("(invoke $main \"f{k}\"{})", iface.funcs[k].args(u)?));
            }
            1 | 2 => {
                loaded = true;
                events.dlopen += 1;
                if from_pool {
                    events.pool_library += 1;
                } else {
                    events.fresh_side += 1;
                }
                step("(invoke $loader \"load\")".to_string());
            }
            _ => {
                let k = u.choose_index(iface.side_funcs.len())?;
                events.dlsym += 1;
                step(format!("(invoke $loader \"run_s{k}\"{})", iface.side_funcs[k].args(u)?));
            }
        }
    }
    Ok(Scenario { origin: "lockstep::gen::smith_pair".into(), setup, steps, events })
}
