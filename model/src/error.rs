//! The model's one closed error taxonomy (cf. the reference interpreter's
//! `Link`, `Trap`, `Exhaustion`). Decoding and validation have their own
//! errors, because they happen before there is a store.
//!
//! Anything that valid input cannot cause is not an error but a
//! `panic!("model bug: …")`.

use std::fmt;

use crate::runtime::{GlobalAddr, MemAddr, TableAddr};
use crate::syntax::ValType;

/// What running (instantiating or invoking) can end in, besides values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// Import matching failed (§4.5.4), or the embedder's request was
    /// invalid (Appendix A.1's `error` for an invalid argument: a value of
    /// the wrong type, an index out of bounds, a write to an immutable
    /// global); no effect on the store happened. Boxed: it is rare, and a
    /// small `Error` keeps every step's result small.
    Link(Box<LinkError>),
    /// A trap (§4.4): execution stopped; earlier store effects remain.
    Trap(TrapKind),
    /// A resource of the model ran out: call depth, step budget, or the size
    /// a table or memory may be allocated with. Not a semantic outcome: the
    /// spec leaves such limits to the implementation (Appendix A.2).
    Exhaustion(ExhaustionKind),
}

/// Why an import did not match (§4.5.4 steps 3–4, "external typing" and
/// "import matching"), or why the embedder API refused a request
/// (Appendix A.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkError {
    /// The number of supplied external values differs from the imports.
    ImportCount { expected: usize, supplied: usize },
    /// An external value is not of the import's kind or type.
    IncompatibleImport { index: usize, module: String, name: String, reason: String },
    /// No external value was found for an import (embedder-level resolution).
    UnknownImport { module: String, name: String },
    /// `func_invoke` was given another number of arguments than the
    /// function has parameters (§4.5.5 step 4).
    ArgumentCount { expected: usize, supplied: usize },
    /// A value the embedder supplied does not have the type of the place it
    /// was meant for (§4.5.2 "Value Typing"; §4.5.5 step 5 for arguments).
    ValueType { place: Place, expected: ValType, found: ValType },
    /// An index past the end of a table or memory (A.1.8 `table_write`
    /// step 2, A.1.9 `mem_write` step 2).
    OutOfBounds { place: Place, index: u32, len: u32 },
    /// `global_write` of an immutable global (A.1.10 `global_write` step 3).
    Immutable(GlobalAddr),
}

/// Where a value the embedder supplied was meant to go: named in messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// The argument at this position of a `func_invoke`.
    Argument(usize),
    Table(TableAddr),
    Memory(MemAddr),
    Global(GlobalAddr),
}

/// The kinds of trap, one per reason the spec's rules can trap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TrapKind {
    Unreachable,
    IntegerDivideByZero,
    IntegerOverflow,
    InvalidConversionToInteger,
    OutOfBoundsMemoryAccess,
    OutOfBoundsTableAccess,
    /// `call_indirect` on a slot index past the table's end.
    UndefinedElement,
    /// `call_indirect` on a null slot.
    UninitializedElement,
    IndirectCallTypeMismatch,
    /// A host function trapped, or broke its contract (returned values of
    /// the wrong types).
    Host,
}

/// Which budget or limit ran out (the store's [`crate::runtime::Policy`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExhaustionKind {
    CallDepth,
    Steps,
    /// A table would be allocated with `elems` elements, more than the
    /// policy's `limit` ([`crate::runtime::Policy::max_table_elems`]).
    TableSize {
        elems: u32,
        limit: u32,
    },
    /// A memory would be allocated with `pages` pages, more than the
    /// policy's `limit` ([`crate::runtime::Policy::max_memory_pages`]).
    MemorySize {
        pages: u32,
        limit: u32,
    },
}

impl TrapKind {
    /// The message the official test suite expects (prefix-matched there).
    pub fn message(&self) -> &'static str {
        match self {
            TrapKind::Unreachable => "unreachable",
            TrapKind::IntegerDivideByZero => "integer divide by zero",
            TrapKind::IntegerOverflow => "integer overflow",
            TrapKind::InvalidConversionToInteger => "invalid conversion to integer",
            TrapKind::OutOfBoundsMemoryAccess => "out of bounds memory access",
            TrapKind::OutOfBoundsTableAccess => "out of bounds table access",
            TrapKind::UndefinedElement => "undefined element",
            TrapKind::UninitializedElement => "uninitialized element",
            TrapKind::IndirectCallTypeMismatch => "indirect call type mismatch",
            TrapKind::Host => "host trap",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Link(e) => write!(f, "link error: {e}"),
            Error::Trap(k) => write!(f, "trap: {}", k.message()),
            Error::Exhaustion(k) => write!(f, "exhaustion: {k}"),
        }
    }
}

impl fmt::Display for ExhaustionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExhaustionKind::CallDepth => f.write_str("call stack exhausted"),
            ExhaustionKind::Steps => f.write_str("step budget exhausted"),
            ExhaustionKind::TableSize { elems, limit } => {
                write!(f, "a table of {elems} elements exceeds the limit of {limit} elements")
            }
            ExhaustionKind::MemorySize { pages, limit } => {
                write!(f, "a memory of {pages} pages exceeds the limit of {limit} pages")
            }
        }
    }
}

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LinkError::ImportCount { expected, supplied } => {
                write!(f, "{supplied} external values supplied for {expected} imports")
            }
            LinkError::IncompatibleImport { index, module, name, reason } => {
                write!(f, "incompatible import type for import {index} \"{module}\" \"{name}\": {reason}")
            }
            LinkError::UnknownImport { module, name } => write!(f, "unknown import \"{module}\" \"{name}\""),
            LinkError::ArgumentCount { expected, supplied } => {
                write!(f, "{supplied} arguments supplied for {expected} parameters")
            }
            LinkError::ValueType { place: place @ Place::Argument(_), expected, found } => {
                write!(f, "{place} must be {expected}, not {found}")
            }
            LinkError::ValueType { place, expected, found } => write!(f, "{place} holds {expected}, not {found}"),
            LinkError::OutOfBounds { place: place @ Place::Memory(_), index, len } => {
                write!(f, "byte {index} is out of bounds of {place} ({len} bytes)")
            }
            LinkError::OutOfBounds { place, index, len } => {
                write!(f, "index {index} is out of bounds of {place} ({len} elements)")
            }
            LinkError::Immutable(a) => write!(f, "{} is immutable", Place::Global(*a)),
        }
    }
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::Argument(i) => write!(f, "argument {i}"),
            Place::Table(a) => write!(f, "table {}", a.0),
            Place::Memory(a) => write!(f, "memory {}", a.0),
            Place::Global(a) => write!(f, "global {}", a.0),
        }
    }
}

impl std::error::Error for Error {}

impl From<LinkError> for Error {
    fn from(e: LinkError) -> Self {
        Error::Link(Box::new(e))
    }
}

impl From<TrapKind> for Error {
    fn from(k: TrapKind) -> Self {
        Error::Trap(k)
    }
}

/// A module that could not be decoded (§5): malformed, or using a feature the
/// model does not model (SIMD, proposals past 2.0).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeError {
    Malformed(String),
    Unsupported(String),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Malformed(s) => write!(f, "malformed: {s}"),
            DecodeError::Unsupported(s) => write!(f, "not modelled: {s}"),
        }
    }
}

impl std::error::Error for DecodeError {}

/// A module that is not valid (§3). The text names the broken rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidationError(pub String);

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid: {}", self.0)
    }
}

impl std::error::Error for ValidationError {}
