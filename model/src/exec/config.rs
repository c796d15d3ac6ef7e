//! Configurations (§4.2.14–§4.2.15): a thread of frames, labels and operands.
//!
//! The spec writes a configuration as `s; f; instr*`, with labels and frames
//! nested inside the instruction sequence. Here the same structure is kept in
//! three explicit stacks, so that nothing in the model recurses on wasm depth:
//!
//! - `stack`: operands, and below each frame's operands its locals (a frame's
//!   locals are the bottom of its region of the stack);
//! - `labels`: `label_n{instr*}`, as an arity, a continuation position and the
//!   operand height the label was entered at;
//! - `frames`: `frame_n{F}`, as the module instance, the code, the position of
//!   the next instruction, and where its locals and labels start.

use std::rc::Rc;

use crate::runtime::{FuncAddr, ModuleAddr, Ref, Value};
use crate::syntax::{Instr, Pc};

/// A label (§4.2.14.2).
#[derive(Clone, Copy, Debug)]
pub struct Label {
    /// How many values a branch to this label carries.
    pub arity: u32,
    /// Where a branch continues: the `loop` itself, or just past the block's `end`.
    pub cont: Pc,
    /// The operand stack height when the label was entered, minus its parameters.
    pub height: u32,
}

/// An activation frame (§4.2.14.3), with the position in its code.
#[derive(Clone, Debug)]
pub struct Frame {
    /// The function this frame runs (`None` for the instantiation sequence).
    pub func: Option<FuncAddr>,
    pub module: ModuleAddr,
    pub code: Rc<[Instr]>,
    /// The next instruction to reduce.
    pub pc: Pc,
    /// How many values the frame returns.
    pub arity: u32,
    /// Where the frame's locals start in the operand stack.
    pub locals: u32,
    /// Where the frame's labels start in the label stack.
    pub labels: u32,
}

/// A thread (§4.2.15): what is left to reduce.
#[derive(Clone, Debug, Default)]
pub struct Thread {
    pub stack: Vec<Value>,
    pub labels: Vec<Label>,
    pub frames: Vec<Frame>,
}

/// What one step left behind.
#[derive(Clone, Debug, PartialEq)]
pub enum Status {
    /// More to reduce.
    Running,
    /// The outermost frame returned these values: the thread is done.
    Done(Vec<Value>),
}

impl Thread {
    #[inline(always)]
    pub fn push(&mut self, v: Value) {
        self.stack.push(v);
    }

    #[inline(always)]
    pub fn pop(&mut self) -> Value {
        match self.stack.pop() {
            Some(v) => v,
            None => panic!("model bug: operand stack underflow"),
        }
    }

    /// The top operand, in place: a rule that pops one and pushes one.
    #[inline(always)]
    pub fn top(&mut self) -> &mut Value {
        match self.stack.last_mut() {
            Some(v) => v,
            None => panic!("model bug: operand stack underflow"),
        }
    }

    #[inline(always)]
    pub fn pop_i32(&mut self) -> u32 {
        match self.pop() {
            Value::I32(c) => c,
            v => panic!("model bug: expected i32, found {v:?}"),
        }
    }

    #[inline(always)]
    pub fn pop_ref(&mut self) -> Ref {
        match self.pop() {
            Value::Ref(r) => r,
            v => panic!("model bug: expected a reference, found {v:?}"),
        }
    }

    #[inline(always)]
    pub fn frame(&self) -> &Frame {
        match self.frames.last() {
            Some(f) => f,
            None => panic!("model bug: no frame"),
        }
    }

    #[inline(always)]
    pub fn frame_mut(&mut self) -> &mut Frame {
        match self.frames.last_mut() {
            Some(f) => f,
            None => panic!("model bug: no frame"),
        }
    }

    /// Jumps: the current frame continues at `pc`.
    pub fn goto(&mut self, pc: Pc) {
        self.frame_mut().pc = pc;
    }

    /// Keeps the top `n` operands and drops everything between them and `height`.
    pub fn keep_top(&mut self, n: u32, height: u32) {
        let len = self.stack.len();
        let (n, height) = (n as usize, height as usize);
        if height + n != len {
            self.stack.copy_within(len - n.., height);
            self.stack.truncate(height + n);
        }
    }

    /// The label `l` levels out (`l = 0` is the innermost).
    pub fn label(&self, l: u32) -> Label {
        self.labels[self.labels.len() - 1 - l as usize]
    }

    /// Whether the thread has reduced to values.
    pub fn is_done(&self) -> bool {
        self.frames.is_empty()
    }
}
