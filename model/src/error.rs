//! The model's one closed error taxonomy (cf. the reference interpreter's
//! `Link`, `Trap`, `Exhaustion`). Decoding and validation have their own
//! errors, because they happen before there is a store.
//!
//! Anything that valid input cannot cause is not an error but a
//! `panic!("model bug: …")`.

use std::fmt;

/// What running (instantiating or invoking) can end in, besides values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// Import matching failed (§4.5.3), or the embedder supplied values of
    /// the wrong types; no effect on the store happened. Boxed: it is rare,
    /// and a small `Error` keeps every step's result small.
    Link(Box<LinkError>),
    /// A trap (§4.4): execution stopped; earlier store effects remain.
    Trap(TrapKind),
    /// A resource of the model ran out: call depth or step budget. Not a
    /// semantic outcome: the spec leaves such limits to the implementation.
    Exhaustion(ExhaustionKind),
}

/// Why an import did not match (§4.5.3, "external typing" and "import matching").
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkError {
    /// The number of supplied external values differs from the imports.
    ImportCount { expected: usize, supplied: usize },
    /// An external value is not of the import's kind or type.
    IncompatibleImport { index: usize, module: String, name: String, reason: String },
    /// No external value was found for an import (embedder-level resolution).
    UnknownImport { module: String, name: String },
    /// `func_invoke` was given arguments that do not have the parameter types.
    Arguments(String),
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

/// Which budget ran out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExhaustionKind {
    CallDepth,
    Steps,
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
            Error::Exhaustion(ExhaustionKind::CallDepth) => f.write_str("exhaustion: call stack exhausted"),
            Error::Exhaustion(ExhaustionKind::Steps) => f.write_str("exhaustion: step budget exhausted"),
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
            LinkError::Arguments(why) => write!(f, "bad arguments: {why}"),
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
