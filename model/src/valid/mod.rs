//! Validation (§3).

use crate::error::ValidationError;
use crate::syntax::Module;

/// Module validation (§3.4.10).
pub fn validate_module(module: &Module) -> Result<(), ValidationError> {
    let _ = module;
    Ok(())
}
