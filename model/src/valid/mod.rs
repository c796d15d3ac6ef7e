//! Validation (§3): the typing rules of the abstract syntax.
//!
//! The rules for instruction sequences are run as the spec's own algorithm
//! (Appendix "Validation Algorithm"): an operand stack whose entries may be
//! `Unknown` (operands of the polymorphic stack after `unreachable`, `br`, …)
//! and a control stack of frames that carry the label types. Both are
//! explicit vectors and code is flat ([`crate::syntax::instr`]), so
//! validation uses no host recursion, however deeply blocks nest.
//!
//! # Errors
//! A [`ValidationError`] whose text begins with the message the official
//! test suite expects for the broken rule (`type mismatch`, `unknown local`,
//! …), followed by details.
//!
//! # What is checked elsewhere
//! The decoder guarantees that the data count section is present when
//! `memory.init` or `data.drop` occurs (§5.5.13), and that `select` carries at
//! most one type (a binary form with more is rejected there). The positions of
//! `else` and `end` carried by structured instructions are re-checked here,
//! because execution relies on them.

mod context;
mod instr;
mod module;
mod types;

use crate::error::ValidationError;
use crate::syntax::Module;

pub(crate) use context::Context;
pub(crate) use instr::{CodeTypes, FrameKind, code_types};

/// The result of a validation rule: `Ok` when the rule's premises hold.
type Result<T = ()> = std::result::Result<T, ValidationError>;

/// Fails validation with `msg`, which starts with the test suite's message.
fn invalid<T>(msg: impl Into<String>) -> Result<T> {
    Err(ValidationError(msg.into()))
}

/// Module validation (§3.4.10).
pub fn validate_module(module: &Module) -> std::result::Result<(), ValidationError> {
    module::module(module)
}
