//! Instructions (§3.3), validated by the spec's algorithm (Appendix
//! "Validation Algorithm"), which decides the declarative typing rules of
//! §3.3.1–§3.3.9 in one pass over a flat instruction sequence.
//!
//! The operand stack holds [`Operand`]s: a value type, or `Unknown` for an
//! operand of the polymorphic stack left by `unreachable`, `br`, `br_table`
//! and `return`. The control stack holds one [`CtrlFrame`] per open block;
//! its label types are `C.labels`. Neither uses host recursion.
//!
//! Run through [`code_types`], the algorithm also records both stacks before
//! every instruction, for the soundness checks of [`crate::exec::typing`];
//! recording changes no verdict and no message.

use super::context::Context;
use super::types::{block_type, single};
use super::{Result, invalid};
use crate::syntax::SelectType;
use crate::syntax::{
    BlockType, Cvtop, FloatSize, FuncType, IUnop, Instr, IntSize, LabelIdx, LocalIdx, MemArg, NumType, Pc, RefType,
    ValType,
};

/// An operand type: `Some(t)`, or `None` for `Unknown`.
type Operand = Option<ValType>;

/// The structured instruction that opened a control frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FrameKind {
    /// The implicit block of a function body or constant expression.
    Func,
    Block,
    Loop,
    If,
    Else,
}

/// A control frame (Appendix, `ctrl_frame`). `else_` and `end` are the
/// positions the decoder resolved, checked when `else` and `end` arrive;
/// `start` is the position of the instruction that opened it.
#[derive(Clone, Copy, Debug)]
struct CtrlFrame<'m> {
    kind: FrameKind,
    start_types: &'m [ValType],
    end_types: &'m [ValType],
    height: usize,
    unreachable: bool,
    start: Pc,
    else_: Pc,
    end: Pc,
}

impl<'m> CtrlFrame<'m> {
    /// The label's types (Appendix, `label_types`): a branch to a loop
    /// continues at its start, to any other block after its end.
    fn label_types(&self) -> &'m [ValType] {
        if self.kind == FrameKind::Loop { self.start_types } else { self.end_types }
    }

    /// Where a branch to the label continues in flat code (§4.4.8): the
    /// `loop` itself, or just past the `end` of any other block.
    fn cont(&self) -> Pc {
        if self.kind == FrameKind::Loop { self.start } else { self.end + 1 }
    }
}

/// The instruction validator: the per-function part of the context
/// (`C.locals`, `C.labels`, `C.return`) and the algorithm's two stacks.
pub(crate) struct ExprValidator<'c, 'm> {
    c: &'c Context<'m>,
    /// `C.locals` is `params ++ locals`; kept as two slices to avoid a copy.
    params: &'m [ValType],
    locals: &'m [ValType],
    /// `C.return`: absent in constant expressions.
    ret: Option<&'m [ValType]>,
    /// Whether every instruction must be constant (§3.3.10).
    constant: bool,
    vals: Vec<Operand>,
    ctrls: Vec<CtrlFrame<'m>>,
    /// Reused by `br_table`, which pops and re-pushes operands per target.
    scratch: Vec<Operand>,
    /// The lowest heights of `vals` and `ctrls` since the last record
    /// ([`ExprValidator::record`]; a frame flagged unreachable counts as
    /// popped): what lies below them is unchanged, so a record shares it.
    vals_low: usize,
    ctrls_low: usize,
    /// When set, the types at every position are recorded ([`code_types`]).
    rec: Option<Recorder>,
}

/// Functions (§3.4.1): the body, with `C.locals = t1* t*`, `C.labels = [t2*]`
/// and `C.return = [t2*]`, must have type `[] -> [t2*]`.
pub(crate) fn func_body<'m>(c: &Context<'m>, ty: &'m FuncType, locals: &'m [ValType], body: &[Instr]) -> Result {
    let mut v = ExprValidator::new(c, &ty.params, locals, Some(&ty.results), false, None);
    v.expr(body, &ty.results)
}

/// Constant expressions (§3.3.10): `expr` must be constant and have type
/// `[] -> [t]` under `c` (which, at module level, sees only imported globals).
pub(crate) fn const_expr(c: &Context<'_>, expr: &[Instr], t: ValType) -> Result {
    let mut v = ExprValidator::new(c, &[], &[], None, true, None);
    v.expr(expr, single(t))
}

fn is_num(t: Operand) -> bool {
    matches!(t, None | Some(ValType::Num(_)))
}

fn is_ref(t: Operand) -> bool {
    matches!(t, None | Some(ValType::Ref(_)))
}

fn int(sz: IntSize) -> ValType {
    match sz {
        IntSize::I32 => ValType::I32,
        IntSize::I64 => ValType::I64,
    }
}

fn float(sz: FloatSize) -> ValType {
    match sz {
        FloatSize::F32 => ValType::F32,
        FloatSize::F64 => ValType::F64,
    }
}

/// `|t|`, the bit width of a number type (§2.3.1).
fn bit_width(t: NumType) -> u32 {
    match t {
        NumType::I32 | NumType::F32 => 32,
        NumType::I64 | NumType::F64 => 64,
    }
}

fn show(t: Operand) -> String {
    t.map_or_else(|| "unknown".into(), |t| t.to_string())
}

fn malformed<T>(pc: usize, what: &str) -> Result<T> {
    invalid(format!("malformed block structure at {pc}: {what}"))
}

impl<'c, 'm> ExprValidator<'c, 'm> {
    fn new(
        c: &'c Context<'m>,
        params: &'m [ValType],
        locals: &'m [ValType],
        ret: Option<&'m [ValType]>,
        constant: bool,
        rec: Option<Recorder>,
    ) -> Self {
        let (vals, ctrls, scratch) = (Vec::new(), Vec::new(), Vec::new());
        ExprValidator { c, params, locals, ret, constant, vals, ctrls, scratch, vals_low: 0, ctrls_low: 0, rec }
    }
}

impl<'m> ExprValidator<'_, 'm> {
    /// Expressions (§3.3.10) and instruction sequences (§3.3.9): the flat
    /// sequence is the body of an implicit block of type `[] -> [results]`
    /// whose `end` is its last instruction.
    fn expr(&mut self, code: &[Instr], results: &'m [ValType]) -> Result {
        let Some(last) = code.len().checked_sub(1) else {
            return malformed(0, "empty expression");
        };
        self.push_ctrl(FrameKind::Func, &[], results, 0, last as Pc, last as Pc);
        let mut pc = 0;
        while let Some(instr) = code.get(pc) {
            if self.ctrls.is_empty() {
                return malformed(pc, "instruction after the final end");
            }
            if self.constant {
                self.constant_instr(instr)?;
            }
            if self.rec.is_some() {
                self.record(pc, instr);
            }
            self.instr(code, pc, instr)?;
            // A br_table's labels are its immediates, not instructions.
            pc += match instr {
                Instr::BrTable { len } => *len as usize + 2,
                _ => 1,
            };
        }
        if !self.ctrls.is_empty() {
            return malformed(code.len(), "missing end");
        }
        Ok(())
    }

    // The algorithm's stack operations (Appendix).

    fn push_val(&mut self, t: Operand) {
        self.vals.push(t);
    }

    fn pop_val(&mut self) -> Result<Operand> {
        let frame = self.ctrls.last().expect("model bug: no open control frame");
        if self.vals.len() == frame.height {
            if frame.unreachable {
                return Ok(None);
            }
            return invalid("type mismatch: operand stack underflow");
        }
        let t = self.vals.pop().expect("model bug: operand above the frame height");
        self.vals_low = self.vals_low.min(self.vals.len());
        Ok(t)
    }

    fn pop_expect(&mut self, expect: ValType) -> Result<Operand> {
        let actual = self
            .pop_val()
            .or_else(|_| invalid(format!("type mismatch: expected {expect}, but the block has no operand left")))?;
        match actual {
            Some(t) if t != expect => invalid(format!("type mismatch: expected {expect}, found {t}")),
            _ => Ok(actual),
        }
    }

    fn push_vals(&mut self, ts: &[ValType]) {
        self.vals.extend(ts.iter().map(|&t| Some(t)));
    }

    fn pop_vals(&mut self, ts: &[ValType]) -> Result {
        for &t in ts.iter().rev() {
            self.pop_expect(t)?;
        }
        Ok(())
    }

    /// `push_vals(pop_vals(ts))`: checks the top of the stack against `ts`,
    /// leaving the operands popped (which may be `Unknown`) in place.
    fn repush_vals(&mut self, ts: &[ValType]) -> Result {
        let mut popped = std::mem::take(&mut self.scratch);
        popped.clear();
        for &t in ts.iter().rev() {
            popped.push(self.pop_expect(t)?);
        }
        self.vals.extend(popped.drain(..).rev());
        self.scratch = popped;
        Ok(())
    }

    /// The `else` arm of the `if` frame just popped: same types and positions.
    fn push_else(&mut self, if_: &CtrlFrame<'m>) {
        self.push_ctrl(FrameKind::Else, if_.start_types, if_.end_types, if_.start, if_.else_, if_.end);
    }

    fn push_ctrl(&mut self, kind: FrameKind, ins: &'m [ValType], outs: &'m [ValType], start: Pc, else_: Pc, end: Pc) {
        self.ctrls.push(CtrlFrame {
            kind,
            start_types: ins,
            end_types: outs,
            height: self.vals.len(),
            unreachable: false,
            start,
            else_,
            end,
        });
        self.push_vals(ins);
    }

    fn pop_ctrl(&mut self) -> Result<CtrlFrame<'m>> {
        let frame = *self.ctrls.last().expect("model bug: no open control frame");
        self.pop_vals(frame.end_types)?;
        if self.vals.len() != frame.height {
            return invalid(format!(
                "type mismatch: {} values left on the stack at the end of a block",
                self.vals.len() - frame.height
            ));
        }
        self.ctrls.pop();
        self.ctrls_low = self.ctrls_low.min(self.ctrls.len());
        Ok(frame)
    }

    /// The frame of label `l`, `C.labels[l]`.
    fn label(&self, l: LabelIdx) -> Result<CtrlFrame<'m>> {
        match self.ctrls.len().checked_sub(1 + l as usize) {
            Some(i) => Ok(self.ctrls[i]),
            None => invalid(format!("unknown label {l}")),
        }
    }

    /// Makes the rest of the current block stack-polymorphic (Appendix, `unreachable`).
    fn unreachable(&mut self) {
        let frame = self.ctrls.last_mut().expect("model bug: no open control frame");
        self.vals.truncate(frame.height);
        frame.unreachable = true;
        self.vals_low = self.vals_low.min(self.vals.len());
        self.ctrls_low = self.ctrls_low.min(self.ctrls.len() - 1);
    }

    /// `[t1*] -> [t2*]`: pops the operands, pushes the results.
    fn op(&mut self, ins: &[ValType], outs: &[ValType]) -> Result {
        self.pop_vals(ins)?;
        self.push_vals(outs);
        Ok(())
    }

    /// Constant instructions (§3.3.10): `t.const c`, `ref.null t`,
    /// `ref.func x`, and `global.get x` of an immutable global.
    fn constant_instr(&self, instr: &Instr) -> Result {
        match instr {
            Instr::I32Const(_)
            | Instr::I64Const(_)
            | Instr::F32Const(_)
            | Instr::F64Const(_)
            | Instr::RefNull(_)
            | Instr::RefFunc(_)
            | Instr::End => Ok(()),
            Instr::GlobalGet(x) => {
                if self.c.global(*x)?.mutability == crate::syntax::Mut::Var {
                    return invalid(format!("constant expression required: global.get {x} of a mutable global"));
                }
                Ok(())
            }
            other @ Instr::IBinop(
                _,
                crate::syntax::IBinop::Add | crate::syntax::IBinop::Sub | crate::syntax::IBinop::Mul,
            ) => invalid(format!(
                "constant expression required: found {other} (extended constant expressions are past Wasm 2.0)"
            )),
            other => invalid(format!("constant expression required: found {other}")),
        }
    }

    /// One instruction at position `pc`, by the rules of §3.3.1–§3.3.8.
    fn instr(&mut self, code: &[Instr], pc: usize, instr: &Instr) -> Result {
        use ValType as T;
        const I32: &[ValType] = &[T::I32];
        const I32_I32_I32: &[ValType] = &[T::I32, T::I32, T::I32];
        match instr {
            // Numeric instructions (§3.3.1).
            Instr::I32Const(_) => self.op(&[], I32),
            Instr::I64Const(_) => self.op(&[], &[T::I64]),
            Instr::F32Const(_) => self.op(&[], &[T::F32]),
            Instr::F64Const(_) => self.op(&[], &[T::F64]),
            Instr::IUnop(sz, op) => {
                // `i32.extend32_s` has no binary form, so the decoder never makes it.
                if *sz == IntSize::I32 && *op == IUnop::Extend32S {
                    return invalid("malformed instruction: i32.extend32_s");
                }
                let t = int(*sz);
                self.op(&[t], &[t])
            }
            Instr::IBinop(sz, _) => {
                let t = int(*sz);
                self.op(&[t, t], &[t])
            }
            Instr::ITestop(sz) => self.op(&[int(*sz)], I32),
            Instr::IRelop(sz, _) => {
                let t = int(*sz);
                self.op(&[t, t], I32)
            }
            Instr::FUnop(sz, _) => {
                let t = float(*sz);
                self.op(&[t], &[t])
            }
            Instr::FBinop(sz, _) => {
                let t = float(*sz);
                self.op(&[t, t], &[t])
            }
            Instr::FRelop(sz, _) => {
                let t = float(*sz);
                self.op(&[t, t], I32)
            }
            Instr::Cvtop(op) => {
                let (from, to) = cvtop_type(*op);
                self.op(&[from], &[to])
            }

            // Reference instructions (§3.3.2).
            Instr::RefNull(t) => self.op(&[], &[T::Ref(*t)]),
            Instr::RefIsNull => {
                let t = self.pop_val()?;
                if !is_ref(t) {
                    return invalid(format!("type mismatch: ref.is_null expects a reference, found {}", show(t)));
                }
                self.op(&[], I32)
            }
            Instr::RefFunc(x) => {
                self.c.func(*x)?;
                if !self.c.is_declared(*x) {
                    return invalid(format!("undeclared function reference {x}"));
                }
                self.op(&[], &[T::FUNCREF])
            }

            // Parametric instructions (§3.3.4).
            Instr::Drop => self.pop_val().map(drop),
            Instr::Select(SelectType::Untyped) => {
                self.pop_expect(T::I32)?;
                let t1 = self.pop_val()?;
                let t2 = self.pop_val()?;
                // Without an annotation only number types may be selected.
                if !(is_num(t1) && is_num(t2)) {
                    return invalid(format!(
                        "type mismatch: select without a type needs numbers, found {} and {}",
                        show(t2),
                        show(t1)
                    ));
                }
                if let (Some(a), Some(b)) = (t1, t2)
                    && a != b
                {
                    return invalid(format!("type mismatch: select of {b} and {a}"));
                }
                self.push_val(t1.or(t2));
                Ok(())
            }
            Instr::Select(SelectType::Typed(t)) => self.op(&[*t, *t, T::I32], &[*t]),
            Instr::Select(SelectType::Arity(n)) => invalid(format!("invalid result arity: select with {n} types")),

            // Variable instructions (§3.3.5).
            Instr::LocalGet(x) => {
                let t = self.local(*x)?;
                self.op(&[], &[t])
            }
            Instr::LocalSet(x) => {
                let t = self.local(*x)?;
                self.op(&[t], &[])
            }
            Instr::LocalTee(x) => {
                let t = self.local(*x)?;
                self.op(&[t], &[t])
            }
            Instr::GlobalGet(x) => {
                let t = self.c.global(*x)?.val;
                self.op(&[], &[t])
            }
            Instr::GlobalSet(x) => {
                let gt = self.c.global(*x)?;
                if gt.mutability != crate::syntax::Mut::Var {
                    return invalid(format!("global is immutable: global.set {x}"));
                }
                self.op(&[gt.val], &[])
            }

            // Table instructions (§3.3.6).
            Instr::TableGet(x) => {
                let t = T::Ref(self.c.table(*x)?.elem);
                self.op(I32, &[t])
            }
            Instr::TableSet(x) => {
                let t = T::Ref(self.c.table(*x)?.elem);
                self.op(&[T::I32, t], &[])
            }
            Instr::TableSize(x) => {
                self.c.table(*x)?;
                self.op(&[], I32)
            }
            Instr::TableGrow(x) => {
                let t = T::Ref(self.c.table(*x)?.elem);
                self.op(&[t, T::I32], I32)
            }
            Instr::TableFill(x) => {
                let t = T::Ref(self.c.table(*x)?.elem);
                self.op(&[T::I32, t, T::I32], &[])
            }
            Instr::TableCopy { dst, src } => {
                let (t1, t2) = (self.c.table(*dst)?.elem, self.c.table(*src)?.elem);
                if t1 != t2 {
                    return invalid(format!("type mismatch: table.copy from a {t2} table into a {t1} table"));
                }
                self.op(I32_I32_I32, &[])
            }
            Instr::TableInit { table, elem } => {
                let (t1, t2) = (self.c.table(*table)?.elem, self.c.elem(*elem)?);
                if t1 != t2 {
                    return invalid(format!("type mismatch: table.init of a {t2} segment into a {t1} table"));
                }
                self.op(I32_I32_I32, &[])
            }
            Instr::ElemDrop(x) => self.c.elem(*x).map(drop),

            // Memory instructions (§3.3.7).
            Instr::Load { ty, pack, memarg } => {
                let width = match pack {
                    None => bit_width(*ty),
                    Some((n, _)) => self.packed_width(*ty, *n)?,
                };
                self.memarg(*memarg, width)?;
                self.op(I32, &[T::Num(*ty)])
            }
            Instr::Store { ty, pack, memarg } => {
                let width = match pack {
                    None => bit_width(*ty),
                    Some(n) => self.packed_width(*ty, *n)?,
                };
                self.memarg(*memarg, width)?;
                self.op(&[T::I32, T::Num(*ty)], &[])
            }
            Instr::MemorySize => {
                self.c.mem(0)?;
                self.op(&[], I32)
            }
            Instr::MemoryGrow => {
                self.c.mem(0)?;
                self.op(I32, I32)
            }
            Instr::MemoryFill | Instr::MemoryCopy => {
                self.c.mem(0)?;
                self.op(I32_I32_I32, &[])
            }
            Instr::MemoryInit(x) => {
                self.c.mem(0)?;
                self.c.data(*x)?;
                self.op(I32_I32_I32, &[])
            }
            Instr::DataDrop(x) => self.c.data(*x),

            // Control instructions (§3.3.8).
            Instr::Nop => Ok(()),
            Instr::Unreachable => {
                self.unreachable();
                Ok(())
            }
            Instr::Block { ty, end } => self.block(FrameKind::Block, pc, *ty, *end, *end),
            Instr::Loop { ty, end } => self.block(FrameKind::Loop, pc, *ty, *end, *end),
            Instr::If { ty, else_, end } => {
                self.pop_expect(T::I32)?;
                self.block(FrameKind::If, pc, *ty, *else_, *end)
            }
            Instr::Else { end } => {
                let frame = self.pop_ctrl()?;
                if frame.kind != FrameKind::If || frame.else_ as usize != pc || frame.end != *end {
                    return malformed(pc, "else does not match its if");
                }
                self.push_else(&frame);
                Ok(())
            }
            Instr::End => {
                let frame = self.pop_ctrl()?;
                if frame.end as usize != pc {
                    return malformed(pc, "end does not match its block");
                }
                if frame.kind == FrameKind::If {
                    // No `else`: the empty else arm must have type [t1*] -> [t2*].
                    if frame.else_ as usize != pc {
                        return malformed(pc, "if without else has a misplaced else position");
                    }
                    self.push_else(&frame);
                    self.pop_ctrl()?;
                }
                self.push_vals(frame.end_types);
                Ok(())
            }
            Instr::Br(l) => {
                let ts = self.label(*l)?.label_types();
                self.pop_vals(ts)?;
                self.unreachable();
                Ok(())
            }
            Instr::BrIf(l) => {
                let ts = self.label(*l)?.label_types();
                self.pop_expect(T::I32)?;
                self.op(ts, ts)
            }
            Instr::BrTableLabel(_) => malformed(pc, "br_table label without its br_table"),
            Instr::BrTable { len } => {
                // The labels follow, as `BrTableLabel`s (the last is lN).
                let Some(entries) = code.get(pc + 1..pc + 2 + *len as usize) else {
                    return malformed(pc, "br_table without its labels");
                };
                let mut labels = Vec::with_capacity(entries.len());
                for e in entries {
                    match e {
                        Instr::BrTableLabel(l) => labels.push(*l),
                        _ => return malformed(pc, "br_table without its labels"),
                    }
                }
                let (default, labels) = labels.split_last().expect("at least the default label");
                self.pop_expect(T::I32)?;
                let arity = self.label(*default)?.label_types().len();
                for &l in labels.iter() {
                    let ts = self.label(l)?.label_types();
                    if ts.len() != arity {
                        return invalid(format!(
                            "type mismatch: br_table target {l} has arity {}, the default {arity}",
                            ts.len()
                        ));
                    }
                    self.repush_vals(ts)?;
                }
                let ts = self.label(*default)?.label_types();
                self.pop_vals(ts)?;
                self.unreachable();
                Ok(())
            }
            Instr::Return => {
                let Some(ts) = self.ret else {
                    return invalid("constant expression required: return");
                };
                self.pop_vals(ts)?;
                self.unreachable();
                Ok(())
            }
            Instr::Call(x) => {
                let ft = self.c.func(*x)?;
                self.op(&ft.params, &ft.results)
            }
            Instr::CallIndirect { table, ty } => {
                let tt = self.c.table(*table)?;
                if tt.elem != RefType::FuncRef {
                    return invalid(format!("type mismatch: call_indirect through {} table {table}", tt.elem));
                }
                let ft = self.c.type_(*ty)?;
                self.pop_expect(T::I32)?;
                self.op(&ft.params, &ft.results)
            }
        }
    }

    /// `C.locals[x]`.
    fn local(&self, x: LocalIdx) -> Result<ValType> {
        let x = x as usize;
        let t = match x.checked_sub(self.params.len()) {
            None => self.params.get(x),
            Some(i) => self.locals.get(i),
        };
        match t {
            Some(t) => Ok(*t),
            None => invalid(format!("unknown local {x}")),
        }
    }

    /// The width `N` of a packed access `t.load N_sx` / `t.store N`: only for
    /// integer types, and narrower than the type.
    fn packed_width(&self, t: NumType, n: u8) -> Result<u32> {
        let n = u32::from(n);
        let int = matches!(t, NumType::I32 | NumType::I64);
        if !int || !matches!(n, 8 | 16 | 32) || n >= bit_width(t) {
            return invalid(format!("malformed instruction: packed {t} access of width {n}"));
        }
        Ok(n)
    }

    /// The memory and alignment premises of loads and stores (§3.3.7):
    /// `C.mems[0]` exists and `2^align ≤ N/8`.
    fn memarg(&self, memarg: MemArg, width: u32) -> Result {
        self.c.mem(0)?;
        let natural = (width / 8).trailing_zeros();
        if memarg.align > natural {
            return invalid(format!(
                "alignment must not be larger than natural: 2^{} > {} bytes",
                memarg.align,
                width / 8
            ));
        }
        Ok(())
    }

    /// `block`, `loop` and `if` (§3.3.8): the block type expands to
    /// `[t1*] -> [t2*]`; the parameters are popped and reopened in a new frame.
    fn block(&mut self, kind: FrameKind, pc: usize, bt: BlockType, else_: Pc, end: Pc) -> Result {
        if !(pc < else_ as usize && else_ <= end) {
            return malformed(pc, "block positions out of order");
        }
        let (ins, outs) = block_type(self.c, bt)?;
        self.pop_vals(ins)?;
        self.push_ctrl(kind, ins, outs, pc as Pc, else_, end);
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// The types at every position, for the soundness checks (Appendix "Soundness").

/// No node: the empty stack.
const NIL: u32 = u32::MAX;

/// The operand and control stacks the algorithm computes before each
/// instruction of one code sequence, for [`crate::exec::typing`].
///
/// Stacks at consecutive positions share most of their entries, so they are
/// kept as persistent linked stacks: every position names its top operand
/// and its innermost control frame, each of which names the entry below it.
/// Building them costs one node per pushed operand or opened frame, not
/// one copy of the stacks per position.
#[derive(Debug)]
pub(crate) struct CodeTypes {
    operands: Vec<OperandNode>,
    labels: Vec<LabelType>,
    /// Indexed by position; `None` where no instruction starts (a
    /// `br_table`'s labels).
    at: Vec<Option<At>>,
}

/// An operand type, and the node of the operand below it.
#[derive(Clone, Copy, Debug)]
struct OperandNode {
    ty: Operand,
    below: u32,
}

/// A control frame as the configuration shows it: a label (§4.2.14.2).
#[derive(Clone, Copy, Debug)]
pub(crate) struct LabelType {
    pub kind: FrameKind,
    /// The number of label types.
    pub arity: u32,
    /// Where a branch continues (not meaningful for the body's own frame,
    /// to which a branch returns).
    pub cont: Pc,
    /// The operand height at entry, minus the block's parameters.
    pub height: u32,
    /// Whether the rest of the block is unreachable (stack-polymorphic).
    unreachable: bool,
    /// Whether every enclosing frame was reachable when it was opened.
    live: bool,
    below: u32,
}

/// The stacks before one instruction.
#[derive(Clone, Copy, Debug)]
struct At {
    operands: u32,
    labels: u32,
    reachable: bool,
}

/// The stacks before the instruction at one position (see [`CodeTypes::at`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct StackTypes<'a> {
    types: &'a CodeTypes,
    at: At,
}

impl CodeTypes {
    /// The stacks before the instruction at `pc`; `None` if no instruction
    /// starts there.
    pub fn at(&self, pc: Pc) -> Option<StackTypes<'_>> {
        let at = (*self.at.get(pc as usize)?)?;
        Some(StackTypes { types: self, at })
    }
}

impl<'a> StackTypes<'a> {
    /// Whether execution can be at this position: every open frame is
    /// reachable there. The `end` of an `if` counts as reached whenever the
    /// `if` was, as it is also jumped to.
    pub fn reachable(&self) -> bool {
        self.at.reachable
    }

    /// The operand types, top first (`None`: unknown, only where unreachable).
    pub fn operands(&self) -> impl Iterator<Item = Operand> + 'a {
        let ops = &self.types.operands;
        let mut i = self.at.operands;
        std::iter::from_fn(move || {
            let node = ops.get(i as usize)?;
            i = node.below;
            Some(node.ty)
        })
    }

    /// The open control frames, innermost first; the last is the body's.
    pub fn labels(&self) -> impl Iterator<Item = &'a LabelType> + 'a {
        let labels = &self.types.labels;
        let mut i = self.at.labels;
        std::iter::from_fn(move || {
            let node = labels.get(i as usize)?;
            i = node.below;
            Some(node)
        })
    }
}

/// What the validator keeps while recording: the node of each entry of its
/// stacks, as of the last record.
struct Recorder {
    types: CodeTypes,
    operand_nodes: Vec<u32>,
    label_nodes: Vec<u32>,
}

impl ExprValidator<'_, '_> {
    /// Records the stacks before the instruction at `pc`: the entries above
    /// the low-water marks get new nodes, those below are shared.
    fn record(&mut self, pc: usize, instr: &Instr) {
        let Some(rec) = &mut self.rec else { return };
        let CodeTypes { operands, labels, at } = &mut rec.types;
        rec.operand_nodes.truncate(self.vals_low);
        for &ty in &self.vals[rec.operand_nodes.len()..] {
            let below = rec.operand_nodes.last().copied().unwrap_or(NIL);
            rec.operand_nodes.push(operands.len() as u32);
            operands.push(OperandNode { ty, below });
        }
        self.vals_low = self.vals.len();
        rec.label_nodes.truncate(self.ctrls_low);
        for f in &self.ctrls[rec.label_nodes.len()..] {
            let below = rec.label_nodes.last().copied().unwrap_or(NIL);
            let live = labels.get(below as usize).is_none_or(|b| b.live && !b.unreachable);
            rec.label_nodes.push(labels.len() as u32);
            labels.push(LabelType {
                kind: f.kind,
                arity: f.label_types().len() as u32,
                cont: f.cont(),
                height: f.height as u32,
                unreachable: f.unreachable,
                live,
                below,
            });
        }
        self.ctrls_low = self.ctrls.len();
        let (Some(&top), Some(frame)) = (rec.label_nodes.last(), self.ctrls.last()) else { return };
        let top_label = labels[top as usize];
        let here = if *instr == Instr::End {
            // Whichever way `end` is reached, the block's results lie on its
            // height, as `pop_ctrl` requires of the arm it checks.
            let mut below = frame.height.checked_sub(1).map_or(NIL, |h| rec.operand_nodes[h]);
            for &ty in frame.end_types {
                operands.push(OperandNode { ty: Some(ty), below });
                below = operands.len() as u32 - 1;
            }
            // The `end` of an `if` is also reached by a jump: from its `else`
            // (the `then` arm's end) or from a false condition without
            // `else`, whichever arm the algorithm checked last.
            let jumped_to = matches!(frame.kind, FrameKind::If | FrameKind::Else);
            At { operands: below, labels: top, reachable: top_label.live && (jumped_to || !top_label.unreachable) }
        } else {
            let top_operand = rec.operand_nodes.last().copied().unwrap_or(NIL);
            At { operands: top_operand, labels: top, reachable: top_label.live && !top_label.unreachable }
        };
        at[pc] = Some(here);
    }
}

/// Validates `code` as the body of a function of type `ty` with `locals`
/// (as [`func_body`]), or, with `ty = None`, as an expression of type
/// `[] -> []` that is not constant (the instantiation sequence of
/// [`crate::exec::instantiate::init_sequence`]), recording the stacks
/// before every instruction.
pub(crate) fn code_types<'m>(
    c: &Context<'m>,
    ty: Option<&'m FuncType>,
    locals: &'m [ValType],
    code: &[Instr],
) -> Result<CodeTypes> {
    let empty = CodeTypes { operands: Vec::new(), labels: Vec::new(), at: vec![None; code.len()] };
    let rec = Recorder { types: empty, operand_nodes: Vec::new(), label_nodes: Vec::new() };
    let mut v = ExprValidator::new(
        c,
        ty.map_or(&[], |ty| &ty.params),
        locals,
        ty.map(|ty| ty.results.as_slice()),
        false,
        Some(rec),
    );
    v.expr(code, ty.map_or(&[], |ty| &ty.results))?;
    Ok(v.rec.take().expect("model bug: the recorder went missing").types)
}

/// The type `[t1] -> [t2]` of a conversion (§3.3.1, `t2.cvtop_t1_sx?`).
fn cvtop_type(op: Cvtop) -> (ValType, ValType) {
    use ValType as T;
    match op {
        Cvtop::Wrap => (T::I64, T::I32),
        Cvtop::Extend(_) => (T::I32, T::I64),
        Cvtop::Trunc(i, f, _) | Cvtop::TruncSat(i, f, _) => (float(f), int(i)),
        Cvtop::Demote => (T::F64, T::F32),
        Cvtop::Promote => (T::F32, T::F64),
        Cvtop::Convert(f, i, _) => (int(i), float(f)),
        Cvtop::Reinterpret { to } => {
            // The operand is the other type of the same width.
            let from = match to {
                NumType::I32 => T::F32,
                NumType::I64 => T::F64,
                NumType::F32 => T::I32,
                NumType::F64 => T::I64,
            };
            (from, T::Num(to))
        }
    }
}
