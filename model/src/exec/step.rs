//! Instructions (§4.4): [`step`] reduces a thread exactly once, dispatching to
//! one function per reduction rule (or family of rules), named after it.
//!
//! Signatures show what a rule touches, as SpecTec's `Step_pure`,
//! `Step_read` and `Step` do: pure rules take only the thread, reading rules
//! `&Store`, writing rules `&mut Store`. Every rule runs with the frame's `pc`
//! already past the instruction; control rules move it.

use crate::error::{Error, ExhaustionKind, TrapKind};
use crate::exec::config::{Frame, Label, Status, Thread};
use crate::exec::numerics;
use crate::runtime::{
    Caller, DataAddr, ElemAddr, FuncAddr, FuncInst, GlobalAddr, MemAddr, ModuleAddr, Ref, Store, TableAddr, Value,
};
use crate::syntax::*;

// ANCHOR: step
/// Reduces the thread once. `Ok(Status::Done(vals))` when the outermost frame
/// has returned; an error ends the thread (its frames are discarded, the store
/// keeps every effect so far).
#[inline(always)]
pub fn step(store: &mut Store, t: &mut Thread) -> Result<Status, Error> {
    let frame = t.frame_mut();
    let pc = frame.pc;
    frame.pc += 1;
    let module = frame.module;
    let instr = frame.code[pc as usize];
    match &instr {
        Instr::I32Const(c) => t.push(Value::I32(*c)),
        Instr::I64Const(c) => t.push(Value::I64(*c)),
        Instr::F32Const(c) => t.push(Value::F32(*c)),
        Instr::F64Const(c) => t.push(Value::F64(*c)),
        Instr::IUnop(sz, op) => unop(t, |c| numerics::iunop(*sz, *op, c)),
        Instr::IBinop(sz, op) => ibinop(t, *sz, *op)?,
        Instr::ITestop(sz) => unop(t, |c| numerics::itestop(*sz, c)),
        Instr::IRelop(sz, op) => irelop(t, *sz, *op),
        Instr::FUnop(sz, op) => unop(t, |c| numerics::funop(*sz, *op, c)),
        Instr::FBinop(sz, op) => binop(t, |a, b| numerics::fbinop(*sz, *op, a, b)),
        Instr::FRelop(sz, op) => binop(t, |a, b| numerics::frelop(*sz, *op, a, b)),
        Instr::Cvtop(op) => cvtop(t, *op)?,

        Instr::RefNull(ty) => t.push(Value::Ref(Ref::Null(*ty))),
        Instr::RefIsNull => ref_is_null(t),
        Instr::RefFunc(x) => ref_func(store, t, module, *x),

        Instr::Drop => drop(t),
        Instr::Select(_) => select(t),

        Instr::LocalGet(x) => local_get(t, *x),
        Instr::LocalSet(x) => local_set(t, *x),
        Instr::LocalTee(x) => local_tee(t, *x),
        Instr::GlobalGet(x) => global_get(store, t, module, *x),
        Instr::GlobalSet(x) => global_set(store, t, module, *x),

        Instr::TableGet(x) => table_get(store, t, table_addr(store, module, *x))?,
        Instr::TableSet(x) => table_set(store, t, table_addr(store, module, *x))?,
        Instr::TableSize(x) => table_size(store, t, table_addr(store, module, *x)),
        Instr::TableGrow(x) => table_grow(store, t, table_addr(store, module, *x)),
        Instr::TableFill(x) => table_fill(store, t, table_addr(store, module, *x))?,
        Instr::TableCopy { dst, src } => {
            let (dst, src) = (table_addr(store, module, *dst), table_addr(store, module, *src));
            table_copy(store, t, dst, src)?
        }
        Instr::TableInit { table, elem } => {
            let (ta, ea) = (table_addr(store, module, *table), elem_addr(store, module, *elem));
            table_init(store, t, ta, ea)?
        }
        Instr::ElemDrop(x) => elem_drop(store, elem_addr(store, module, *x)),

        Instr::Load { ty, pack, memarg } => load(store, t, mem_addr(store, module), *ty, *pack, *memarg)?,
        Instr::Store { ty, pack, memarg } => store_(store, t, mem_addr(store, module), *ty, *pack, *memarg)?,
        Instr::MemorySize => memory_size(store, t, mem_addr(store, module)),
        Instr::MemoryGrow => memory_grow(store, t, mem_addr(store, module)),
        Instr::MemoryFill => memory_fill(store, t, mem_addr(store, module))?,
        Instr::MemoryCopy => memory_copy(store, t, mem_addr(store, module))?,
        Instr::MemoryInit(x) => memory_init(store, t, mem_addr(store, module), data_addr(store, module, *x))?,
        Instr::DataDrop(x) => data_drop(store, data_addr(store, module, *x)),

        Instr::Nop => {}
        Instr::Unreachable => return Err(TrapKind::Unreachable.into()),
        Instr::Block { ty, end } => block(store, t, module, *ty, *end),
        Instr::Loop { ty, .. } => loop_(store, t, module, *ty, pc),
        Instr::If { ty, else_, end } => if_(store, t, module, *ty, *else_, *end),
        Instr::Else { end } => t.goto(*end),
        Instr::End => return Ok(end(t)),
        Instr::Br(l) => return Ok(br(t, *l)),
        Instr::BrIf(l) => return Ok(br_if(t, *l)),
        Instr::BrTable { len } => return Ok(br_table(t, pc, *len)),
        Instr::BrTableLabel(_) => panic!("model bug: reduced a br_table label"),
        Instr::Return => return Ok(return_(t)),
        Instr::Call(x) => {
            let a = store[module].funcaddrs[*x as usize];
            return call(store, t, a);
        }
        Instr::CallIndirect { table, ty } => {
            let ft = &store[module].types[*ty as usize];
            let a = call_indirect_target(store, t, table_addr(store, module, *table), ft)?;
            return call(store, t, a);
        }
    }
    Ok(Status::Running)
}
// ANCHOR_END: step

#[inline(always)]
fn table_addr(s: &Store, m: ModuleAddr, x: TableIdx) -> TableAddr {
    s[m].tableaddrs[x as usize]
}
fn elem_addr(s: &Store, m: ModuleAddr, x: ElemIdx) -> ElemAddr {
    s[m].elemaddrs[x as usize]
}
#[inline(always)]
fn mem_addr(s: &Store, m: ModuleAddr) -> MemAddr {
    s[m].memaddrs[0]
}
fn data_addr(s: &Store, m: ModuleAddr, x: DataIdx) -> DataAddr {
    s[m].dataaddrs[x as usize]
}
fn global_addr(s: &Store, m: ModuleAddr, x: GlobalIdx) -> GlobalAddr {
    s[m].globaladdrs[x as usize]
}

// ---------------------------------------------------------------------------
// Numeric instructions (§4.4.1)

/// §4.4.1 "t.unop", "t.testop".
#[inline(always)]
fn unop(t: &mut Thread, f: impl FnOnce(Value) -> Value) {
    let c = t.top();
    *c = f(*c);
}

/// §4.4.1 "t.binop", "t.relop".
#[inline(always)]
fn binop(t: &mut Thread, f: impl FnOnce(Value, Value) -> Value) {
    let c2 = t.pop();
    let c1 = t.top();
    *c1 = f(*c1, c2);
}

/// §4.4.1 "t.binop" for integers: a trap when the operator is undefined
/// (division by zero, signed overflow).
#[inline(always)]
fn ibinop(t: &mut Thread, sz: IntSize, op: IBinop) -> Result<(), TrapKind> {
    let c2 = t.pop();
    let c1 = t.top();
    *c1 = numerics::ibinop(sz, op, *c1, c2)?;
    Ok(())
}

/// §4.4.1 "t.relop" for integers.
#[inline(always)]
fn irelop(t: &mut Thread, sz: IntSize, op: IRelop) {
    let c2 = t.pop();
    let c1 = t.top();
    *c1 = numerics::irelop(sz, op, *c1, c2);
}

/// §4.4.1 "t2.cvtop_t1_sx?".
#[inline(always)]
fn cvtop(t: &mut Thread, op: Cvtop) -> Result<(), TrapKind> {
    let c = t.pop();
    t.push(numerics::cvtop(op, c)?);
    Ok(())
}

// ---------------------------------------------------------------------------
// Reference instructions (§4.4.2)

/// §4.4.2 "ref.is_null".
fn ref_is_null(t: &mut Thread) {
    let r = t.pop_ref();
    t.push(Value::I32(matches!(r, Ref::Null(_)) as u32));
}

/// §4.4.2 "ref.func x": the address of the module's function `x`.
fn ref_func(s: &Store, t: &mut Thread, m: ModuleAddr, x: FuncIdx) {
    t.push(Value::Ref(Ref::Func(s[m].funcaddrs[x as usize])));
}

// ---------------------------------------------------------------------------
// Parametric instructions (§4.4.4)

/// §4.4.4 "drop".
#[inline(always)]
fn drop(t: &mut Thread) {
    t.pop();
}

/// §4.4.4 "select": the first operand unless the condition is zero.
#[inline(always)]
fn select(t: &mut Thread) {
    let c = t.pop_i32();
    let v2 = t.pop();
    let v1 = t.pop();
    t.push(if c != 0 { v1 } else { v2 });
}

// ---------------------------------------------------------------------------
// Variable instructions (§4.4.5)

#[inline(always)]
fn local_slot(t: &Thread, x: LocalIdx) -> usize {
    t.frame().locals as usize + x as usize
}

/// §4.4.5 "local.get x".
#[inline(always)]
fn local_get(t: &mut Thread, x: LocalIdx) {
    let v = t.stack[local_slot(t, x)];
    t.push(v);
}

/// §4.4.5 "local.set x".
#[inline(always)]
fn local_set(t: &mut Thread, x: LocalIdx) {
    let v = t.pop();
    let i = local_slot(t, x);
    t.stack[i] = v;
}

/// §4.4.5 "local.tee x" ≡ `val val local.set x`.
#[inline(always)]
fn local_tee(t: &mut Thread, x: LocalIdx) {
    let v = t.pop();
    t.push(v);
    t.push(v);
    local_set(t, x);
}

/// §4.4.5 "global.get x".
#[inline(always)]
fn global_get(s: &Store, t: &mut Thread, m: ModuleAddr, x: GlobalIdx) {
    t.push(s[global_addr(s, m, x)].value);
}

/// §4.4.5 "global.set x".
#[inline(always)]
fn global_set(s: &mut Store, t: &mut Thread, m: ModuleAddr, x: GlobalIdx) {
    let v = t.pop();
    let a = global_addr(s, m, x);
    s[a].value = v;
}

// ---------------------------------------------------------------------------
// Table instructions (§4.4.6)

/// §4.4.6 "table.get x": traps past the table's end.
fn table_get(s: &Store, t: &mut Thread, a: TableAddr) -> Result<(), TrapKind> {
    let i = t.pop_i32();
    let r = *s[a].elem.get(i as usize).ok_or(TrapKind::OutOfBoundsTableAccess)?;
    t.push(Value::Ref(r));
    Ok(())
}

/// §4.4.6 "table.set x": traps past the table's end.
fn table_set(s: &mut Store, t: &mut Thread, a: TableAddr) -> Result<(), TrapKind> {
    let r = t.pop_ref();
    let i = t.pop_i32();
    *s[a].elem.get_mut(i as usize).ok_or(TrapKind::OutOfBoundsTableAccess)? = r;
    Ok(())
}

/// §4.4.6 "table.size x".
fn table_size(s: &Store, t: &mut Thread, a: TableAddr) {
    t.push(Value::I32(s[a].elem.len() as u32));
}

// ANCHOR: table_grow
/// §4.4.6 "table.grow x": the old size, or -1 when growth fails (which it
/// may do at any time: here, as the store's policy decides).
fn table_grow(s: &mut Store, t: &mut Thread, a: TableAddr) {
    let n = t.pop_i32();
    let init = t.pop_ref();
    let r = s.grow_table(a, n, init).map_or(-1i32 as u32, |old| old);
    t.push(Value::I32(r));
}
// ANCHOR_END: table_grow

/// §4.4.6 "table.fill x": checks bounds once, then writes slot by slot (the
/// spec's rule recurses through `table.set`; the effect is the same, as the
/// bounds check comes first).
fn table_fill(s: &mut Store, t: &mut Thread, a: TableAddr) -> Result<(), TrapKind> {
    let n = t.pop_i32() as usize;
    let val = t.pop_ref();
    let i = t.pop_i32() as usize;
    let elem = &mut s[a].elem;
    if i + n > elem.len() {
        return Err(TrapKind::OutOfBoundsTableAccess);
    }
    elem[i..i + n].fill(val);
    Ok(())
}

/// §4.4.6 "table.copy x y": bounds are checked first; overlapping ranges copy
/// as if through a temporary, as the spec's direction-dependent rules do.
fn table_copy(s: &mut Store, t: &mut Thread, dst: TableAddr, src: TableAddr) -> Result<(), TrapKind> {
    let n = t.pop_i32() as usize;
    let si = t.pop_i32() as usize;
    let di = t.pop_i32() as usize;
    if si + n > s[src].elem.len() || di + n > s[dst].elem.len() {
        return Err(TrapKind::OutOfBoundsTableAccess);
    }
    if dst == src {
        s[dst].elem.copy_within(si..si + n, di);
    } else {
        let vals = s[src].elem[si..si + n].to_vec();
        s[dst].elem[di..di + n].copy_from_slice(&vals);
    }
    Ok(())
}

// ANCHOR: table_init
/// §4.4.6 "table.init x y": bounds of both the segment and the table are
/// checked before any write.
fn table_init(s: &mut Store, t: &mut Thread, ta: TableAddr, ea: ElemAddr) -> Result<(), TrapKind> {
    let n = t.pop_i32() as usize;
    let si = t.pop_i32() as usize;
    let di = t.pop_i32() as usize;
    if si + n > s[ea].elem.len() || di + n > s[ta].elem.len() {
        return Err(TrapKind::OutOfBoundsTableAccess);
    }
    let vals = s[ea].elem[si..si + n].to_vec();
    s[ta].elem[di..di + n].copy_from_slice(&vals);
    Ok(())
}
// ANCHOR_END: table_init

/// §4.4.6 "elem.drop x": the segment becomes empty.
fn elem_drop(s: &mut Store, a: ElemAddr) {
    s[a].elem = Vec::new();
}

// ---------------------------------------------------------------------------
// Memory instructions (§4.4.7)

/// The effective address range `[ea, ea + n)`, or a trap if it leaves memory.
#[inline(always)]
fn effective_range(len: usize, i: u32, offset: u32, n: usize) -> Result<std::ops::Range<usize>, TrapKind> {
    let ea = i as usize + offset as usize;
    if ea + n > len {
        return Err(TrapKind::OutOfBoundsMemoryAccess);
    }
    Ok(ea..ea + n)
}

/// §4.4.7 "t.load memarg" and "t.loadN_sx memarg".
#[inline(always)]
fn load(s: &Store, t: &mut Thread, a: MemAddr, ty: NumType, pack: Option<(u8, Sx)>, m: MemArg) -> Result<(), TrapKind> {
    let i = t.pop_i32();
    let width = pack.map_or(num_width(ty), |(n, _)| n as usize / 8);
    let data = &s[a].data;
    let bytes = &data[effective_range(data.len(), i, m.offset, width)?];
    let mut bits = read_le(bytes);
    if let Some((n, Sx::S)) = pack {
        let shift = 64 - n as u32;
        bits = (((bits << shift) as i64) >> shift) as u64;
    }
    t.push(match ty {
        NumType::I32 => Value::I32(bits as u32),
        NumType::I64 => Value::I64(bits),
        NumType::F32 => Value::F32(bits as u32),
        NumType::F64 => Value::F64(bits),
    });
    Ok(())
}

/// §4.4.7 "t.store memarg" and "t.storeN memarg": the low N bits.
#[inline(always)]
fn store_(s: &mut Store, t: &mut Thread, a: MemAddr, ty: NumType, pack: Option<u8>, m: MemArg) -> Result<(), TrapKind> {
    let c = t.pop();
    let i = t.pop_i32();
    let width = pack.map_or(num_width(ty), |n| n as usize / 8);
    let bits = match c {
        Value::I32(x) | Value::F32(x) => x as u64,
        Value::I64(x) | Value::F64(x) => x,
        Value::Ref(_) => panic!("model bug: store of a reference"),
    };
    let data = &mut s[a].data;
    let range = effective_range(data.len(), i, m.offset, width)?;
    write_le(&mut data[range], bits);
    Ok(())
}

/// The little-endian number in 1, 2, 4 or 8 bytes (one fixed-size read each).
#[inline(always)]
fn read_le(b: &[u8]) -> u64 {
    match *b {
        [b0] => b0 as u64,
        [b0, b1] => u16::from_le_bytes([b0, b1]) as u64,
        [b0, b1, b2, b3] => u32::from_le_bytes([b0, b1, b2, b3]) as u64,
        _ => u64::from_le_bytes(b.try_into().unwrap_or_else(|_| panic!("model bug: access of {} bytes", b.len()))),
    }
}

/// Writes the low bytes of `bits`, little-endian, into all of `b`.
#[inline(always)]
fn write_le(b: &mut [u8], bits: u64) {
    match b.len() {
        1 => b[0] = bits as u8,
        2 => b.copy_from_slice(&(bits as u16).to_le_bytes()),
        4 => b.copy_from_slice(&(bits as u32).to_le_bytes()),
        _ => b.copy_from_slice(&bits.to_le_bytes()),
    }
}

#[inline(always)]
fn num_width(ty: NumType) -> usize {
    match ty {
        NumType::I32 | NumType::F32 => 4,
        NumType::I64 | NumType::F64 => 8,
    }
}

/// §4.4.7 "memory.size".
fn memory_size(s: &Store, t: &mut Thread, a: MemAddr) {
    t.push(Value::I32(s[a].pages()));
}

/// §4.4.7 "memory.grow": the old size in pages, or -1 when growth fails.
fn memory_grow(s: &mut Store, t: &mut Thread, a: MemAddr) {
    let n = t.pop_i32();
    let r = s.grow_mem(a, n).map_or(-1i32 as u32, |old| old);
    t.push(Value::I32(r));
}

/// §4.4.7 "memory.fill": bounds first, then the bytes.
fn memory_fill(s: &mut Store, t: &mut Thread, a: MemAddr) -> Result<(), TrapKind> {
    let n = t.pop_i32() as usize;
    let val = t.pop_i32() as u8;
    let d = t.pop_i32() as usize;
    let data = &mut s[a].data;
    if d + n > data.len() {
        return Err(TrapKind::OutOfBoundsMemoryAccess);
    }
    data[d..d + n].fill(val);
    Ok(())
}

/// §4.4.7 "memory.copy": bounds first; overlap behaves as through a temporary.
fn memory_copy(s: &mut Store, t: &mut Thread, a: MemAddr) -> Result<(), TrapKind> {
    let n = t.pop_i32() as usize;
    let src = t.pop_i32() as usize;
    let d = t.pop_i32() as usize;
    let data = &mut s[a].data;
    if src + n > data.len() || d + n > data.len() {
        return Err(TrapKind::OutOfBoundsMemoryAccess);
    }
    data.copy_within(src..src + n, d);
    Ok(())
}

/// §4.4.7 "memory.init x": bounds of segment and memory first.
fn memory_init(s: &mut Store, t: &mut Thread, ma: MemAddr, da: DataAddr) -> Result<(), TrapKind> {
    let n = t.pop_i32() as usize;
    let src = t.pop_i32() as usize;
    let d = t.pop_i32() as usize;
    if src + n > s[da].data.len() || d + n > s[ma].data.len() {
        return Err(TrapKind::OutOfBoundsMemoryAccess);
    }
    let (mems, datas) = (&mut s.mems, &s.datas);
    mems[ma.0 as usize].data[d..d + n].copy_from_slice(&datas[da.0 as usize].data[src..src + n]);
    Ok(())
}

/// §4.4.7 "data.drop x": the segment becomes empty.
fn data_drop(s: &mut Store, a: DataAddr) {
    s[a].data = Vec::new();
}

// ---------------------------------------------------------------------------
// Control instructions (§4.4.8)

/// The number of parameters and results of a block type.
#[inline(always)]
fn block_arity(s: &Store, m: ModuleAddr, bt: BlockType) -> (u32, u32) {
    match bt {
        BlockType::Empty => (0, 0),
        BlockType::Value(_) => (0, 1),
        BlockType::Func(x) => {
            let ft = &s[m].types[x as usize];
            (ft.params.len() as u32, ft.results.len() as u32)
        }
    }
}

/// Enters a label whose parameters are the top `params` operands.
#[inline(always)]
fn enter(t: &mut Thread, arity: u32, cont: Pc, params: u32) {
    let height = t.stack.len() as u32 - params;
    t.labels.push(Label { arity, cont, height });
}

/// §4.4.8 "block bt instr* end": a label of the block's result arity whose
/// continuation is past the `end`.
#[inline(always)]
fn block(s: &Store, t: &mut Thread, m: ModuleAddr, bt: BlockType, end: Pc) {
    let (params, results) = block_arity(s, m, bt);
    enter(t, results, end + 1, params);
}

/// §4.4.8 "loop bt instr* end": a label of the loop's parameter arity whose
/// continuation is the loop itself.
#[inline(always)]
fn loop_(s: &Store, t: &mut Thread, m: ModuleAddr, bt: BlockType, pc: Pc) {
    let (params, _) = block_arity(s, m, bt);
    enter(t, params, pc, params);
}

/// §4.4.8 "if bt instr1* else instr2* end": a block around one of the arms.
#[inline(always)]
fn if_(s: &Store, t: &mut Thread, m: ModuleAddr, bt: BlockType, else_: Pc, end: Pc) {
    let c = t.pop_i32();
    let (params, results) = block_arity(s, m, bt);
    enter(t, results, end + 1, params);
    if c == 0 {
        // Into the `else` arm, or straight to the `end` that leaves the label.
        t.goto(if else_ == end { end } else { else_ + 1 });
    }
}

/// §4.4.8 "Exiting instr* with label L": reaching `end`, the label is left
/// with its values; the function body's own label returns from the frame.
#[inline(always)]
fn end(t: &mut Thread) -> Status {
    t.labels.pop();
    if t.labels.len() as u32 == t.frame().labels { return_from_frame(t) } else { Status::Running }
}

/// §4.4.8 "br l": unwinds to the `l`-th label, keeping its arity's values.
#[inline(always)]
fn br(t: &mut Thread, l: LabelIdx) -> Status {
    let label = t.label(l);
    t.keep_top(label.arity, label.height);
    t.labels.truncate(t.labels.len() - 1 - l as usize);
    if t.labels.len() as u32 == t.frame().labels {
        // The function body's label: `br` to it is `return`.
        return return_from_frame(t);
    }
    t.goto(label.cont);
    Status::Running
}

/// §4.4.8 "br_if l".
#[inline(always)]
fn br_if(t: &mut Thread, l: LabelIdx) -> Status {
    if t.pop_i32() != 0 { br(t, l) } else { Status::Running }
}

/// §4.4.8 "br_table l* lN": the operand picks a label, or the default (the
/// labels follow the instruction at `pc`).
fn br_table(t: &mut Thread, pc: Pc, len: u32) -> Status {
    let i = t.pop_i32().min(len);
    match t.frame().code[(pc + 1 + i) as usize] {
        Instr::BrTableLabel(l) => br(t, l),
        other => panic!("model bug: br_table followed by {other:?}"),
    }
}

/// §4.4.8 "return": unwinds the whole frame.
fn return_(t: &mut Thread) -> Status {
    let base = t.frame().labels as usize;
    t.labels.truncate(base);
    return_from_frame(t)
}

/// §4.4.10.2 "Returning from a function": the frame's results replace its
/// locals and operands; the caller continues where it left off.
fn return_from_frame(t: &mut Thread) -> Status {
    let frame = t.frames.pop().unwrap_or_else(|| panic!("model bug: return without a frame"));
    t.keep_top(frame.arity, frame.locals);
    t.labels.truncate(frame.labels as usize);
    if t.frames.is_empty() { Status::Done(std::mem::take(&mut t.stack)) } else { Status::Running }
}

/// §4.4.8 "call x" and §4.4.10.1 "Invocation of function address a".
pub fn call(s: &mut Store, t: &mut Thread, a: FuncAddr) -> Result<Status, Error> {
    match &s[a] {
        FuncInst::Wasm { ty, module, code } => {
            if t.frames.len() + s.depth >= s.policy.max_call_depth {
                return Err(Error::Exhaustion(ExhaustionKind::CallDepth));
            }
            let (params, arity) = (ty.params.len() as u32, ty.results.len() as u32);
            let locals = t.stack.len() as u32 - params;
            t.stack.extend(code.locals.iter().map(|&l| Value::default_of(l)));
            let labels = t.labels.len() as u32;
            let frame = Frame { func: Some(a), module: *module, code: code.body.clone(), pc: 0, arity, locals, labels };
            t.frames.push(frame);
            // The body is a block of the function's result arity (§4.4.10.1).
            let body_end = code.body.len() as Pc;
            t.labels.push(Label { arity, cont: body_end, height: t.stack.len() as u32 });
            Ok(Status::Running)
        }
        FuncInst::Host { .. } => call_host(s, t, a),
    }
}

// ANCHOR: call_host
/// §4.4.10.3 "Host Functions": the host runs with the store, and may itself
/// allocate, instantiate and invoke; its results must have the function's
/// result types. Its own re-entrant threads count towards the call depth.
fn call_host(s: &mut Store, t: &mut Thread, a: FuncAddr) -> Result<Status, Error> {
    let FuncInst::Host { ty, code, name } = &s[a] else { panic!("model bug: not a host function") };
    let (code, ty, name) = (code.clone(), ty.clone(), name.clone());
    let args = t.stack.split_off(t.stack.len() - ty.params.len());
    let outer = s.depth;
    s.depth += t.frames.len();
    let caller = Caller(t.frames.last().map(|f| f.module));
    let results = code(s, caller, &args);
    s.depth = outer;
    let results = results?;
    let types_ok = results.len() == ty.results.len() && results.iter().zip(&ty.results).all(|(v, &rt)| v.ty() == rt);
    if !types_ok {
        let _ = name;
        return Err(TrapKind::Host.into());
    }
    t.stack.extend(results);
    if t.frames.is_empty() { Ok(Status::Done(std::mem::take(&mut t.stack))) } else { Ok(Status::Running) }
}
// ANCHOR_END: call_host

// ANCHOR: call_indirect_target
/// §4.4.8 "call_indirect x y": the function in slot `i` of the table, if the
/// slot exists, is not null, and holds a function of exactly type `ft`
/// (structural equality, whichever module defined either type).
fn call_indirect_target(s: &Store, t: &mut Thread, ta: TableAddr, ft: &FuncType) -> Result<FuncAddr, TrapKind> {
    let i = t.pop_i32();
    let r = *s[ta].elem.get(i as usize).ok_or(TrapKind::UndefinedElement)?;
    let a = match r {
        Ref::Func(a) => a,
        Ref::Null(_) => return Err(TrapKind::UninitializedElement),
        Ref::Extern(_) => panic!("model bug: externref in a funcref table"),
    };
    if s[a].ty() != ft {
        return Err(TrapKind::IndirectCallTypeMismatch);
    }
    Ok(a)
}
// ANCHOR_END: call_indirect_target
