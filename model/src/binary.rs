//! The binary format (§5): `wasmparser` reads the bytes, and this module maps
//! what it read into the model's own abstract syntax ([`crate::syntax`]).
//!
//! The mapping is the only place where the model trusts another crate: it
//! accepts exactly the Wasm 2.0 binary format, so anything `wasmparser` reads
//! that belongs to a later proposal is reported malformed, and SIMD (which is
//! Wasm 2.0 but not modelled) is reported [`DecodeError::Unsupported`]. The
//! binary-format rules that `wasmparser` leaves to its validator (section
//! counts that must agree, the data count requirement, the 2.0 zero bytes)
//! are checked here. Validation (§3) is the model's own: [`crate::valid`].
//!
//! No recursion: structured instructions are matched with an explicit stack.

use wasmparser::{
    BinaryReaderError, ConstExpr, ElementItems, ElementKind, Operator, OperatorsReader, Parser, Payload, TypeRef,
    WasmFeatures,
};

use crate::error::DecodeError;
use crate::syntax::*;

/// More locals than this in one function are valid but not modelled.
const MAX_LOCALS: u64 = 1 << 20;

/// The features of the Wasm 2.0 binary format.
fn features() -> WasmFeatures {
    WasmFeatures::WASM2
}

/// `module_decode(byte*)` (Appendix A.1): the bytes as a module, or why not.
/// Bytes that are malformed for Wasm 2.0 but decode with one later feature
/// say which (`… (the bytes decode with multi_memory, past Wasm 2.0)`).
pub fn module_decode(bytes: &[u8]) -> Result<Module, DecodeError> {
    decode(bytes).map_err(|e| match e {
        DecodeError::Malformed(why) if why.ends_with("is not in Wasm 2.0") => DecodeError::Malformed(why),
        DecodeError::Malformed(why) => match later_feature(bytes) {
            Some(f) => DecodeError::Malformed(format!("{why} (the bytes decode with {f}, past Wasm 2.0)")),
            None => DecodeError::Malformed(why),
        },
        other => other,
    })
}

/// The one feature past Wasm 2.0 that, added to it, makes wasmparser accept
/// `bytes`, by its name in wasmparser (`multi_memory`, `tail_call`).
fn later_feature(bytes: &[u8]) -> Option<String> {
    let later = WasmFeatures::all().difference(features());
    later.iter_names().find_map(|(name, f)| {
        let mut v = wasmparser::Validator::new_with_features(features() | f);
        v.validate_all(bytes).is_ok().then(|| name.to_lowercase())
    })
}

fn decode(bytes: &[u8]) -> Result<Module, DecodeError> {
    let mut parser = Parser::new(0);
    parser.set_features(features());
    let mut module = Module::default();
    let mut func_types: Vec<TypeIdx> = Vec::new();
    let mut code_count = 0usize;
    let mut data_count: Option<u32> = None;
    let mut uses_data_index = false;
    let mut saw_data_section = false;

    for payload in parser.parse_all(bytes) {
        match payload.map_err(malformed)? {
            Payload::Version { encoding, .. } => {
                if encoding != wasmparser::Encoding::Module {
                    return Err(DecodeError::Malformed("not a core module".into()));
                }
            }
            Payload::TypeSection(r) => {
                for ty in r.into_iter_err_on_gc_types() {
                    let ty = ty.map_err(malformed)?;
                    let params = ty.params().iter().map(|&t| val_type(t)).collect::<Result<_, _>>()?;
                    let results = ty.results().iter().map(|&t| val_type(t)).collect::<Result<_, _>>()?;
                    module.types.push(FuncType { params, results });
                }
            }
            Payload::ImportSection(r) => {
                for import in r.into_imports() {
                    let import = import.map_err(malformed)?;
                    let desc = match import.ty {
                        TypeRef::Func(x) => ImportDesc::Func(x),
                        TypeRef::Table(t) => ImportDesc::Table(table_type(t)?),
                        TypeRef::Memory(t) => ImportDesc::Mem(mem_type(t)?),
                        TypeRef::Global(t) => ImportDesc::Global(global_type(t)?),
                        TypeRef::Tag(_) => return Err(not_2_0("a tag import (of the exceptions proposal)".into())),
                        _ => return Err(not_2_0("an import of a kind past Wasm 2.0".into())),
                    };
                    module.imports.push(Import {
                        module: import.module.to_string(),
                        name: import.name.to_string(),
                        desc,
                    });
                }
            }
            Payload::FunctionSection(r) => {
                for x in r {
                    func_types.push(x.map_err(malformed)?);
                }
            }
            Payload::TableSection(r) => {
                for table in r {
                    let table = table.map_err(malformed)?;
                    if !matches!(table.init, wasmparser::TableInit::RefNull) {
                        return Err(not_2_0("table initialiser expression".into()));
                    }
                    module.tables.push(table_type(table.ty)?);
                }
            }
            Payload::MemorySection(r) => {
                for mem in r {
                    module.mems.push(mem_type(mem.map_err(malformed)?)?);
                }
            }
            Payload::GlobalSection(r) => {
                for global in r {
                    let global = global.map_err(malformed)?;
                    let ty = global_type(global.ty)?;
                    let init = const_expr(&global.init_expr)?;
                    module.globals.push(Global { ty, init });
                }
            }
            Payload::ExportSection(r) => {
                for export in r {
                    let export = export.map_err(malformed)?;
                    let desc = match export.kind {
                        wasmparser::ExternalKind::Func => ExportDesc::Func(export.index),
                        wasmparser::ExternalKind::Table => ExportDesc::Table(export.index),
                        wasmparser::ExternalKind::Memory => ExportDesc::Mem(export.index),
                        wasmparser::ExternalKind::Global => ExportDesc::Global(export.index),
                        wasmparser::ExternalKind::Tag => {
                            return Err(not_2_0("a tag export (of the exceptions proposal)".into()));
                        }
                        _ => return Err(not_2_0("an export of a kind past Wasm 2.0".into())),
                    };
                    module.exports.push(Export { name: export.name.to_string(), desc });
                }
            }
            Payload::StartSection { func, .. } => module.start = Some(func),
            Payload::ElementSection(r) => {
                for elem in r {
                    module.elems.push(elem_segment(elem.map_err(malformed)?)?);
                }
            }
            Payload::DataCountSection { count, .. } => data_count = Some(count),
            Payload::DataSection(r) => {
                saw_data_section = true;
                for data in r {
                    let data = data.map_err(malformed)?;
                    let mode = match data.kind {
                        wasmparser::DataKind::Passive => DataMode::Passive,
                        wasmparser::DataKind::Active { memory_index, offset_expr } => {
                            DataMode::Active { memory: memory_index, offset: const_expr(&offset_expr)? }
                        }
                    };
                    module.datas.push(Data { init: data.data.to_vec(), mode });
                }
            }
            Payload::CodeSectionStart { count, .. } => {
                if count as usize != func_types.len() {
                    return Err(inconsistent_function_and_code());
                }
            }
            Payload::CodeSectionEntry(body) => {
                let Some(&ty) = func_types.get(code_count) else {
                    return Err(inconsistent_function_and_code());
                };
                code_count += 1;
                let mut groups = Vec::new();
                for group in body.get_locals_reader().map_err(malformed)? {
                    groups.push(group.map_err(malformed)?);
                }
                let total: u64 = groups.iter().map(|&(n, _)| n as u64).sum();
                if total > u32::MAX as u64 {
                    return Err(DecodeError::Malformed("too many locals".into()));
                }
                if total > MAX_LOCALS {
                    return Err(DecodeError::Unsupported(format!("more than {MAX_LOCALS} locals")));
                }
                let mut locals = Vec::with_capacity(total as usize);
                for (n, t) in groups {
                    locals.extend(std::iter::repeat_n(val_type(t)?, n as usize));
                }
                let reader = body.get_operators_reader().map_err(malformed)?;
                let (body, data_index) = expr(reader)?;
                uses_data_index |= data_index;
                module.funcs.push(Func { ty, locals: locals.into(), body: body.into() });
            }
            Payload::CustomSection(_) | Payload::End(_) => {}
            Payload::TagSection(_) => return Err(not_2_0("a tag section (of the exceptions proposal)".into())),
            Payload::ModuleSection { .. }
            | Payload::InstanceSection(_)
            | Payload::CoreTypeSection(_)
            | Payload::ComponentSection { .. }
            | Payload::ComponentInstanceSection(_)
            | Payload::ComponentAliasSection(_)
            | Payload::ComponentTypeSection(_)
            | Payload::ComponentCanonicalSection(_)
            | Payload::ComponentStartSection { .. }
            | Payload::ComponentImportSection(_)
            | Payload::ComponentExportSection(_) => {
                return Err(not_2_0("a component (of the component model)".into()));
            }
            _ => return Err(not_2_0("a section past Wasm 2.0".into())),
        }
    }

    if code_count != func_types.len() {
        return Err(inconsistent_function_and_code());
    }
    match data_count {
        Some(n) if n as usize != module.datas.len() => {
            return Err(DecodeError::Malformed("data count and data section have inconsistent lengths".into()));
        }
        None if uses_data_index => return Err(DecodeError::Malformed("data count section required".into())),
        _ => {}
    }
    let _ = saw_data_section;
    Ok(module)
}

fn malformed(e: BinaryReaderError) -> DecodeError {
    DecodeError::Malformed(e.message().to_string())
}

fn not_2_0(what: String) -> DecodeError {
    DecodeError::Malformed(format!("{what} is not in Wasm 2.0"))
}

fn inconsistent_function_and_code() -> DecodeError {
    DecodeError::Malformed("function and code section have inconsistent lengths".into())
}

fn ref_type(t: wasmparser::RefType) -> Result<RefType, DecodeError> {
    if t == wasmparser::RefType::FUNCREF {
        Ok(RefType::FuncRef)
    } else if t == wasmparser::RefType::EXTERNREF {
        Ok(RefType::ExternRef)
    } else {
        Err(not_2_0(format!("reference type {t:?}")))
    }
}

fn val_type(t: wasmparser::ValType) -> Result<ValType, DecodeError> {
    Ok(match t {
        wasmparser::ValType::I32 => ValType::I32,
        wasmparser::ValType::I64 => ValType::I64,
        wasmparser::ValType::F32 => ValType::F32,
        wasmparser::ValType::F64 => ValType::F64,
        wasmparser::ValType::V128 => return Err(simd()),
        wasmparser::ValType::Ref(r) => ValType::Ref(ref_type(r)?),
    })
}

fn simd() -> DecodeError {
    DecodeError::Unsupported("SIMD (v128) is not modelled".into())
}

/// Limits as the 2.0 format has them: 32-bit, so a larger value cannot occur.
fn limits(min: u64, max: Option<u64>) -> Result<Limits, DecodeError> {
    let narrow = |x: u64| u32::try_from(x).map_err(|_| DecodeError::Malformed("integer too large".into()));
    Ok(Limits { min: narrow(min)?, max: max.map(narrow).transpose()? })
}

fn table_type(t: wasmparser::TableType) -> Result<TableType, DecodeError> {
    if t.table64 || t.shared {
        return Err(not_2_0("64-bit or shared table".into()));
    }
    Ok(TableType { limits: limits(t.initial, t.maximum)?, elem: ref_type(t.element_type)? })
}

fn mem_type(t: wasmparser::MemoryType) -> Result<MemType, DecodeError> {
    if t.memory64 || t.shared || t.page_size_log2.is_some() {
        return Err(not_2_0("64-bit, shared or custom-page-size memory".into()));
    }
    Ok(MemType { limits: limits(t.initial, t.maximum)? })
}

fn global_type(t: wasmparser::GlobalType) -> Result<GlobalType, DecodeError> {
    if t.shared {
        return Err(not_2_0("shared global".into()));
    }
    let mutability = if t.mutable { Mut::Var } else { Mut::Const };
    Ok(GlobalType { mutability, val: val_type(t.content_type)? })
}

fn elem_segment(elem: wasmparser::Element<'_>) -> Result<Elem, DecodeError> {
    let (ty, init) = match elem.items {
        ElementItems::Functions(r) => {
            let mut init = Vec::new();
            for x in r {
                init.push(vec![Instr::RefFunc(x.map_err(malformed)?), Instr::End]);
            }
            (RefType::FuncRef, init)
        }
        ElementItems::Expressions(t, r) => {
            let mut init = Vec::new();
            for e in r {
                init.push(const_expr(&e.map_err(malformed)?)?);
            }
            (ref_type(t)?, init)
        }
    };
    let mode = match elem.kind {
        ElementKind::Passive => ElemMode::Passive,
        ElementKind::Declared => ElemMode::Declarative,
        ElementKind::Active { table_index, offset_expr } => {
            ElemMode::Active { table: table_index.unwrap_or(0), offset: const_expr(&offset_expr)? }
        }
    };
    Ok(Elem { ty, init, mode })
}

fn const_expr(e: &ConstExpr<'_>) -> Result<Expr, DecodeError> {
    let (body, _) = expr(e.get_operators_reader())?;
    Ok(body)
}

/// Decodes an instruction sequence up to its final `end`, resolving the
/// positions of each block's `else` and `end` with an explicit stack. Also
/// says whether a data index occurs (the data count requirement, §5.5.16).
fn expr(mut reader: OperatorsReader<'_>) -> Result<(Expr, bool), DecodeError> {
    let mut code: Vec<Instr> = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    let mut data_index = false;
    loop {
        if reader.eof() {
            return Err(DecodeError::Malformed("unexpected end of section or function".into()));
        }
        let op = reader.read().map_err(malformed)?;
        let pc = code.len();
        let instr = match op {
            Operator::Block { blockty } => {
                open.push(pc);
                Instr::Block { ty: block_type(blockty)?, end: 0 }
            }
            Operator::Loop { blockty } => {
                open.push(pc);
                Instr::Loop { ty: block_type(blockty)?, end: 0 }
            }
            Operator::If { blockty } => {
                open.push(pc);
                Instr::If { ty: block_type(blockty)?, else_: 0, end: 0 }
            }
            Operator::Else => {
                match open.last().map(|&p| &mut code[p]) {
                    Some(Instr::If { else_, .. }) if *else_ == 0 => *else_ = pc as Pc,
                    _ => return Err(DecodeError::Malformed("else without if".into())),
                }
                Instr::Else { end: 0 }
            }
            Operator::End => {
                match open.pop() {
                    None => {
                        code.push(Instr::End);
                        break;
                    }
                    Some(start) => close_block(&mut code, start, pc),
                }
                Instr::End
            }
            Operator::MemoryInit { data_index: x, mem } => {
                data_index = true;
                zero_byte(mem)?;
                Instr::MemoryInit(x)
            }
            Operator::BrTable { targets } => {
                let labels = targets.targets().collect::<Result<Vec<_>, _>>().map_err(malformed)?;
                code.push(Instr::BrTable { len: labels.len() as u32 });
                code.extend(labels.into_iter().chain([targets.default()]).map(Instr::BrTableLabel));
                continue;
            }
            Operator::DataDrop { data_index: x } => {
                data_index = true;
                Instr::DataDrop(x)
            }
            op => instr(op)?,
        };
        code.push(instr);
    }
    reader.finish().map_err(malformed)?;
    Ok((code, data_index))
}

/// Records the position of the `end` (and of the `else`, if any) in the
/// instructions that open a block.
fn close_block(code: &mut [Instr], start: usize, end_pc: usize) {
    let end_pc = end_pc as Pc;
    let else_pc = match &mut code[start] {
        Instr::Block { end, .. } | Instr::Loop { end, .. } => {
            *end = end_pc;
            None
        }
        Instr::If { else_, end, .. } => {
            *end = end_pc;
            if *else_ == 0 {
                *else_ = end_pc;
                None
            } else {
                Some(*else_)
            }
        }
        other => panic!("model bug: block stack points at {other:?}"),
    };
    if let Some(p) = else_pc {
        code[p as usize] = Instr::Else { end: end_pc };
    }
}

fn block_type(t: wasmparser::BlockType) -> Result<BlockType, DecodeError> {
    Ok(match t {
        wasmparser::BlockType::Empty => BlockType::Empty,
        wasmparser::BlockType::Type(t) => BlockType::Value(val_type(t)?),
        wasmparser::BlockType::FuncType(x) => BlockType::Func(x),
    })
}

/// In Wasm 2.0 a memory index in code is a reserved zero byte.
fn zero_byte(mem: u32) -> Result<(), DecodeError> {
    if mem != 0 { Err(DecodeError::Malformed("zero byte expected".into())) } else { Ok(()) }
}

fn memarg(m: wasmparser::MemArg) -> Result<MemArg, DecodeError> {
    match m.target {
        wasmparser::MemArgTarget::Memory(mem) => zero_byte(mem)?,
        wasmparser::MemArgTarget::Array(_) => return Err(not_2_0("array memarg".into())),
    }
    // The 2.0 format reads the alignment as a u32 whose value must be below 32.
    if m.align >= 32 {
        return Err(DecodeError::Malformed("malformed memop flags".into()));
    }
    if m.ordering.is_some() {
        return Err(not_2_0("memory ordering".into()));
    }
    let offset = u32::try_from(m.offset).map_err(|_| DecodeError::Malformed("offset out of range".into()))?;
    Ok(MemArg { align: m.align as u32, offset })
}

/// Every other Wasm 2.0 instruction, one line each (§5.4).
fn instr(op: Operator<'_>) -> Result<Instr, DecodeError> {
    use FloatSize::{F32 as D32, F64 as D64};
    use Instr as I;
    use IntSize::{I32 as W32, I64 as W64};
    use Sx::{S, U};
    let load = |ty, pack, m| -> Result<Instr, DecodeError> { Ok(I::Load { ty, pack, memarg: memarg(m)? }) };
    let store = |ty, pack, m| -> Result<Instr, DecodeError> { Ok(I::Store { ty, pack, memarg: memarg(m)? }) };
    Ok(match op {
        // Control (§5.4.1)
        Operator::Unreachable => I::Unreachable,
        Operator::Nop => I::Nop,
        Operator::Br { relative_depth } => I::Br(relative_depth),
        Operator::BrIf { relative_depth } => I::BrIf(relative_depth),
        Operator::Return => I::Return,
        Operator::Call { function_index } => I::Call(function_index),
        Operator::CallIndirect { type_index, table_index } => I::CallIndirect { table: table_index, ty: type_index },

        // Reference (§5.4.2)
        Operator::RefNull { hty } => {
            I::RefNull(ref_type(wasmparser::RefType::new(true, hty).ok_or_else(|| not_2_0("heap type".into()))?)?)
        }
        Operator::RefIsNull => I::RefIsNull,
        Operator::RefFunc { function_index } => I::RefFunc(function_index),

        // Parametric (§5.4.3)
        Operator::Drop => I::Drop,
        Operator::Select => I::Select(SelectType::Untyped),
        Operator::TypedSelect { ty } => I::Select(SelectType::Typed(val_type(ty)?)),
        Operator::TypedSelectMulti { tys } => {
            for t in &tys {
                val_type(*t)?;
            }
            I::Select(SelectType::Arity(tys.len() as u32))
        }

        // Variable (§5.4.4)
        Operator::LocalGet { local_index } => I::LocalGet(local_index),
        Operator::LocalSet { local_index } => I::LocalSet(local_index),
        Operator::LocalTee { local_index } => I::LocalTee(local_index),
        Operator::GlobalGet { global_index } => I::GlobalGet(global_index),
        Operator::GlobalSet { global_index } => I::GlobalSet(global_index),

        // Table (§5.4.5)
        Operator::TableGet { table } => I::TableGet(table),
        Operator::TableSet { table } => I::TableSet(table),
        Operator::TableSize { table } => I::TableSize(table),
        Operator::TableGrow { table } => I::TableGrow(table),
        Operator::TableFill { table } => I::TableFill(table),
        Operator::TableCopy { dst_table, src_table } => I::TableCopy { dst: dst_table, src: src_table },
        Operator::TableInit { elem_index, table } => I::TableInit { table, elem: elem_index },
        Operator::ElemDrop { elem_index } => I::ElemDrop(elem_index),

        // Memory (§5.4.6)
        Operator::I32Load { memarg: m } => load(NumType::I32, None, m)?,
        Operator::I64Load { memarg: m } => load(NumType::I64, None, m)?,
        Operator::F32Load { memarg: m } => load(NumType::F32, None, m)?,
        Operator::F64Load { memarg: m } => load(NumType::F64, None, m)?,
        Operator::I32Load8S { memarg: m } => load(NumType::I32, Some((8, S)), m)?,
        Operator::I32Load8U { memarg: m } => load(NumType::I32, Some((8, U)), m)?,
        Operator::I32Load16S { memarg: m } => load(NumType::I32, Some((16, S)), m)?,
        Operator::I32Load16U { memarg: m } => load(NumType::I32, Some((16, U)), m)?,
        Operator::I64Load8S { memarg: m } => load(NumType::I64, Some((8, S)), m)?,
        Operator::I64Load8U { memarg: m } => load(NumType::I64, Some((8, U)), m)?,
        Operator::I64Load16S { memarg: m } => load(NumType::I64, Some((16, S)), m)?,
        Operator::I64Load16U { memarg: m } => load(NumType::I64, Some((16, U)), m)?,
        Operator::I64Load32S { memarg: m } => load(NumType::I64, Some((32, S)), m)?,
        Operator::I64Load32U { memarg: m } => load(NumType::I64, Some((32, U)), m)?,
        Operator::I32Store { memarg: m } => store(NumType::I32, None, m)?,
        Operator::I64Store { memarg: m } => store(NumType::I64, None, m)?,
        Operator::F32Store { memarg: m } => store(NumType::F32, None, m)?,
        Operator::F64Store { memarg: m } => store(NumType::F64, None, m)?,
        Operator::I32Store8 { memarg: m } => store(NumType::I32, Some(8), m)?,
        Operator::I32Store16 { memarg: m } => store(NumType::I32, Some(16), m)?,
        Operator::I64Store8 { memarg: m } => store(NumType::I64, Some(8), m)?,
        Operator::I64Store16 { memarg: m } => store(NumType::I64, Some(16), m)?,
        Operator::I64Store32 { memarg: m } => store(NumType::I64, Some(32), m)?,
        Operator::MemorySize { mem } => {
            zero_byte(mem)?;
            I::MemorySize
        }
        Operator::MemoryGrow { mem } => {
            zero_byte(mem)?;
            I::MemoryGrow
        }
        Operator::MemoryFill { mem } => {
            zero_byte(mem)?;
            I::MemoryFill
        }
        Operator::MemoryCopy { dst_mem, src_mem } => {
            zero_byte(dst_mem)?;
            zero_byte(src_mem)?;
            I::MemoryCopy
        }

        // Numeric (§5.4.7)
        Operator::I32Const { value } => I::I32Const(value as u32),
        Operator::I64Const { value } => I::I64Const(value as u64),
        Operator::F32Const { value } => I::F32Const(value.bits()),
        Operator::F64Const { value } => I::F64Const(value.bits()),

        Operator::I32Eqz => I::ITestop(W32),
        Operator::I32Eq => I::IRelop(W32, IRelop::Eq),
        Operator::I32Ne => I::IRelop(W32, IRelop::Ne),
        Operator::I32LtS => I::IRelop(W32, IRelop::Lt(S)),
        Operator::I32LtU => I::IRelop(W32, IRelop::Lt(U)),
        Operator::I32GtS => I::IRelop(W32, IRelop::Gt(S)),
        Operator::I32GtU => I::IRelop(W32, IRelop::Gt(U)),
        Operator::I32LeS => I::IRelop(W32, IRelop::Le(S)),
        Operator::I32LeU => I::IRelop(W32, IRelop::Le(U)),
        Operator::I32GeS => I::IRelop(W32, IRelop::Ge(S)),
        Operator::I32GeU => I::IRelop(W32, IRelop::Ge(U)),
        Operator::I64Eqz => I::ITestop(W64),
        Operator::I64Eq => I::IRelop(W64, IRelop::Eq),
        Operator::I64Ne => I::IRelop(W64, IRelop::Ne),
        Operator::I64LtS => I::IRelop(W64, IRelop::Lt(S)),
        Operator::I64LtU => I::IRelop(W64, IRelop::Lt(U)),
        Operator::I64GtS => I::IRelop(W64, IRelop::Gt(S)),
        Operator::I64GtU => I::IRelop(W64, IRelop::Gt(U)),
        Operator::I64LeS => I::IRelop(W64, IRelop::Le(S)),
        Operator::I64LeU => I::IRelop(W64, IRelop::Le(U)),
        Operator::I64GeS => I::IRelop(W64, IRelop::Ge(S)),
        Operator::I64GeU => I::IRelop(W64, IRelop::Ge(U)),

        Operator::F32Eq => I::FRelop(D32, FRelop::Eq),
        Operator::F32Ne => I::FRelop(D32, FRelop::Ne),
        Operator::F32Lt => I::FRelop(D32, FRelop::Lt),
        Operator::F32Gt => I::FRelop(D32, FRelop::Gt),
        Operator::F32Le => I::FRelop(D32, FRelop::Le),
        Operator::F32Ge => I::FRelop(D32, FRelop::Ge),
        Operator::F64Eq => I::FRelop(D64, FRelop::Eq),
        Operator::F64Ne => I::FRelop(D64, FRelop::Ne),
        Operator::F64Lt => I::FRelop(D64, FRelop::Lt),
        Operator::F64Gt => I::FRelop(D64, FRelop::Gt),
        Operator::F64Le => I::FRelop(D64, FRelop::Le),
        Operator::F64Ge => I::FRelop(D64, FRelop::Ge),

        Operator::I32Clz => I::IUnop(W32, IUnop::Clz),
        Operator::I32Ctz => I::IUnop(W32, IUnop::Ctz),
        Operator::I32Popcnt => I::IUnop(W32, IUnop::Popcnt),
        Operator::I32Add => I::IBinop(W32, IBinop::Add),
        Operator::I32Sub => I::IBinop(W32, IBinop::Sub),
        Operator::I32Mul => I::IBinop(W32, IBinop::Mul),
        Operator::I32DivS => I::IBinop(W32, IBinop::Div(S)),
        Operator::I32DivU => I::IBinop(W32, IBinop::Div(U)),
        Operator::I32RemS => I::IBinop(W32, IBinop::Rem(S)),
        Operator::I32RemU => I::IBinop(W32, IBinop::Rem(U)),
        Operator::I32And => I::IBinop(W32, IBinop::And),
        Operator::I32Or => I::IBinop(W32, IBinop::Or),
        Operator::I32Xor => I::IBinop(W32, IBinop::Xor),
        Operator::I32Shl => I::IBinop(W32, IBinop::Shl),
        Operator::I32ShrS => I::IBinop(W32, IBinop::Shr(S)),
        Operator::I32ShrU => I::IBinop(W32, IBinop::Shr(U)),
        Operator::I32Rotl => I::IBinop(W32, IBinop::Rotl),
        Operator::I32Rotr => I::IBinop(W32, IBinop::Rotr),
        Operator::I64Clz => I::IUnop(W64, IUnop::Clz),
        Operator::I64Ctz => I::IUnop(W64, IUnop::Ctz),
        Operator::I64Popcnt => I::IUnop(W64, IUnop::Popcnt),
        Operator::I64Add => I::IBinop(W64, IBinop::Add),
        Operator::I64Sub => I::IBinop(W64, IBinop::Sub),
        Operator::I64Mul => I::IBinop(W64, IBinop::Mul),
        Operator::I64DivS => I::IBinop(W64, IBinop::Div(S)),
        Operator::I64DivU => I::IBinop(W64, IBinop::Div(U)),
        Operator::I64RemS => I::IBinop(W64, IBinop::Rem(S)),
        Operator::I64RemU => I::IBinop(W64, IBinop::Rem(U)),
        Operator::I64And => I::IBinop(W64, IBinop::And),
        Operator::I64Or => I::IBinop(W64, IBinop::Or),
        Operator::I64Xor => I::IBinop(W64, IBinop::Xor),
        Operator::I64Shl => I::IBinop(W64, IBinop::Shl),
        Operator::I64ShrS => I::IBinop(W64, IBinop::Shr(S)),
        Operator::I64ShrU => I::IBinop(W64, IBinop::Shr(U)),
        Operator::I64Rotl => I::IBinop(W64, IBinop::Rotl),
        Operator::I64Rotr => I::IBinop(W64, IBinop::Rotr),

        Operator::F32Abs => I::FUnop(D32, FUnop::Abs),
        Operator::F32Neg => I::FUnop(D32, FUnop::Neg),
        Operator::F32Ceil => I::FUnop(D32, FUnop::Ceil),
        Operator::F32Floor => I::FUnop(D32, FUnop::Floor),
        Operator::F32Trunc => I::FUnop(D32, FUnop::Trunc),
        Operator::F32Nearest => I::FUnop(D32, FUnop::Nearest),
        Operator::F32Sqrt => I::FUnop(D32, FUnop::Sqrt),
        Operator::F32Add => I::FBinop(D32, FBinop::Add),
        Operator::F32Sub => I::FBinop(D32, FBinop::Sub),
        Operator::F32Mul => I::FBinop(D32, FBinop::Mul),
        Operator::F32Div => I::FBinop(D32, FBinop::Div),
        Operator::F32Min => I::FBinop(D32, FBinop::Min),
        Operator::F32Max => I::FBinop(D32, FBinop::Max),
        Operator::F32Copysign => I::FBinop(D32, FBinop::Copysign),
        Operator::F64Abs => I::FUnop(D64, FUnop::Abs),
        Operator::F64Neg => I::FUnop(D64, FUnop::Neg),
        Operator::F64Ceil => I::FUnop(D64, FUnop::Ceil),
        Operator::F64Floor => I::FUnop(D64, FUnop::Floor),
        Operator::F64Trunc => I::FUnop(D64, FUnop::Trunc),
        Operator::F64Nearest => I::FUnop(D64, FUnop::Nearest),
        Operator::F64Sqrt => I::FUnop(D64, FUnop::Sqrt),
        Operator::F64Add => I::FBinop(D64, FBinop::Add),
        Operator::F64Sub => I::FBinop(D64, FBinop::Sub),
        Operator::F64Mul => I::FBinop(D64, FBinop::Mul),
        Operator::F64Div => I::FBinop(D64, FBinop::Div),
        Operator::F64Min => I::FBinop(D64, FBinop::Min),
        Operator::F64Max => I::FBinop(D64, FBinop::Max),
        Operator::F64Copysign => I::FBinop(D64, FBinop::Copysign),

        Operator::I32WrapI64 => I::Cvtop(Cvtop::Wrap),
        Operator::I32TruncF32S => I::Cvtop(Cvtop::Trunc(W32, D32, S)),
        Operator::I32TruncF32U => I::Cvtop(Cvtop::Trunc(W32, D32, U)),
        Operator::I32TruncF64S => I::Cvtop(Cvtop::Trunc(W32, D64, S)),
        Operator::I32TruncF64U => I::Cvtop(Cvtop::Trunc(W32, D64, U)),
        Operator::I64ExtendI32S => I::Cvtop(Cvtop::Extend(S)),
        Operator::I64ExtendI32U => I::Cvtop(Cvtop::Extend(U)),
        Operator::I64TruncF32S => I::Cvtop(Cvtop::Trunc(W64, D32, S)),
        Operator::I64TruncF32U => I::Cvtop(Cvtop::Trunc(W64, D32, U)),
        Operator::I64TruncF64S => I::Cvtop(Cvtop::Trunc(W64, D64, S)),
        Operator::I64TruncF64U => I::Cvtop(Cvtop::Trunc(W64, D64, U)),
        Operator::F32ConvertI32S => I::Cvtop(Cvtop::Convert(D32, W32, S)),
        Operator::F32ConvertI32U => I::Cvtop(Cvtop::Convert(D32, W32, U)),
        Operator::F32ConvertI64S => I::Cvtop(Cvtop::Convert(D32, W64, S)),
        Operator::F32ConvertI64U => I::Cvtop(Cvtop::Convert(D32, W64, U)),
        Operator::F32DemoteF64 => I::Cvtop(Cvtop::Demote),
        Operator::F64ConvertI32S => I::Cvtop(Cvtop::Convert(D64, W32, S)),
        Operator::F64ConvertI32U => I::Cvtop(Cvtop::Convert(D64, W32, U)),
        Operator::F64ConvertI64S => I::Cvtop(Cvtop::Convert(D64, W64, S)),
        Operator::F64ConvertI64U => I::Cvtop(Cvtop::Convert(D64, W64, U)),
        Operator::F64PromoteF32 => I::Cvtop(Cvtop::Promote),
        Operator::I32ReinterpretF32 => I::Cvtop(Cvtop::Reinterpret { to: NumType::I32 }),
        Operator::I64ReinterpretF64 => I::Cvtop(Cvtop::Reinterpret { to: NumType::I64 }),
        Operator::F32ReinterpretI32 => I::Cvtop(Cvtop::Reinterpret { to: NumType::F32 }),
        Operator::F64ReinterpretI64 => I::Cvtop(Cvtop::Reinterpret { to: NumType::F64 }),

        Operator::I32Extend8S => I::IUnop(W32, IUnop::Extend8S),
        Operator::I32Extend16S => I::IUnop(W32, IUnop::Extend16S),
        Operator::I64Extend8S => I::IUnop(W64, IUnop::Extend8S),
        Operator::I64Extend16S => I::IUnop(W64, IUnop::Extend16S),
        Operator::I64Extend32S => I::IUnop(W64, IUnop::Extend32S),

        Operator::I32TruncSatF32S => I::Cvtop(Cvtop::TruncSat(W32, D32, S)),
        Operator::I32TruncSatF32U => I::Cvtop(Cvtop::TruncSat(W32, D32, U)),
        Operator::I32TruncSatF64S => I::Cvtop(Cvtop::TruncSat(W32, D64, S)),
        Operator::I32TruncSatF64U => I::Cvtop(Cvtop::TruncSat(W32, D64, U)),
        Operator::I64TruncSatF32S => I::Cvtop(Cvtop::TruncSat(W64, D32, S)),
        Operator::I64TruncSatF32U => I::Cvtop(Cvtop::TruncSat(W64, D32, U)),
        Operator::I64TruncSatF64S => I::Cvtop(Cvtop::TruncSat(W64, D64, S)),
        Operator::I64TruncSatF64U => I::Cvtop(Cvtop::TruncSat(W64, D64, U)),

        op => {
            return Err(match operator_name(&op) {
                (_, "simd") => simd(),
                (name, "mvp") => DecodeError::Malformed(format!("illegal opcode: {name}")),
                (name, proposal) => not_2_0(format!("{name} (an operator of the {proposal} proposal)")),
            });
        }
    })
}

/// An operator's name in wasmparser's table of operators (its visitor's
/// name: `return_call`, `i32x4_splat`) and the proposal it belongs to
/// (`tail_call`, `simd`: fixed-width SIMD, Wasm 2.0 but not modelled).
#[allow(unreachable_patterns)]
fn operator_name(op: &Operator<'_>) -> (&'static str, &'static str) {
    macro_rules! names {
        ($( @$proposal:ident $op:ident $({ $($arg:ident: $argty:ty),* })? => $visit:ident ($($ann:tt)*) )*) => {
            match op {
                $( Operator::$op { .. } => (stringify!($visit), stringify!($proposal)), )*
                _ => ("visit_unknown", "unknown"),
            }
        };
    }
    let (visit, proposal) = wasmparser::for_each_operator!(names);
    (visit.trim_start_matches("visit_"), proposal)
}
