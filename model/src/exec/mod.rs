//! Execution (§4.3–§4.5): numerics, the small-step reduction of instructions,
//! invocation and instantiation.

pub mod numerics;
