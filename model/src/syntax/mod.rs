//! Abstract syntax (§2): the model's own, decoded from the binary format by
//! [`crate::binary`].

pub mod instr;
pub mod module;
pub mod print;
pub mod types;

pub use instr::*;
pub use module::*;
pub use types::*;
