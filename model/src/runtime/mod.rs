//! Runtime structure (§4.2): values, the store, instances.

pub mod store;
pub mod value;

pub use store::*;
pub use value::*;
