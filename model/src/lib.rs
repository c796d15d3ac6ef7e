//! An executable small-step reference model of the WebAssembly 2.0 core store.
//!
//! Read it beside the specification: folders follow its chapters
//! ([`syntax`] §2, [`valid`] §3, [`runtime`] and [`exec`] §4, [`binary`] §5,
//! [`embed`] Appendix A.1), and each reduction rule is one function that cites
//! its section.
//!
//! # What is not modelled
//! - Fixed-width SIMD (`v128`) and every proposal past Wasm 2.0: the decoder
//!   rejects them as [`DecodeError::Unsupported`].
//! - The text format: scripts are parsed by the `wast` crate and handed to the
//!   model as binary modules.
//! - Threads and atomics; the model runs one thread at a time.
//! - Resource limits are the model's own choices ([`runtime::Policy`]), not
//!   the spec's; running out of one is [`Error::Exhaustion`], never a panic,
//!   whatever a module asks for. (Only the embedder's own `table_alloc` and
//!   `mem_alloc`, which Appendix A.1 gives no error result, panic when asked
//!   for more: see [`embed`].)

pub mod binary;
pub mod embed;
pub mod error;
pub mod exec;
pub mod runtime;
pub mod syntax;
pub mod valid;

pub use error::{DecodeError, Error, ExhaustionKind, LinkError, Place, TrapKind, ValidationError};
