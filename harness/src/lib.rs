//! Lockstep's harness: runs scripts through the model (and, later, engines).

pub mod bench;
pub mod campaign;
pub mod compare;
pub mod engine;
pub mod fuzzing;
pub mod r#gen;
pub mod host;
pub mod instrument;
pub mod limits;
pub mod output;
pub mod report;
pub mod scripts;
pub mod shrink;
pub mod spectest;
pub mod trace;
pub mod wast;
pub mod worker;
