//! Types (§3.2).

use super::context::Context;
use super::{Result, invalid};
use crate::syntax::{BlockType, Limits, MemType, TableType, ValType};

/// The largest table size, `2^32 - 1` elements (§3.2.4).
const TABLE_MAX: u64 = u32::MAX as u64;

/// The largest memory size, `2^16` pages of 64 KiB (§3.2.5).
const MEM_MAX_PAGES: u64 = 1 << 16;

/// Limits (§3.2.1): `{min n, max m?}` is valid within range `k` when
/// `n ≤ k`, `m ≤ k` and `n ≤ m`. `too_large` is the message for a bound past `k`.
fn limits(limits: Limits, k: u64, too_large: &str) -> Result {
    let Limits { min, max } = limits;
    if u64::from(min) > k || max.is_some_and(|m| u64::from(m) > k) {
        return invalid(too_large);
    }
    if max.is_some_and(|m| min > m) {
        return invalid("size minimum must not be greater than maximum");
    }
    Ok(())
}

/// Table types (§3.2.4): the limits are valid within `2^32 - 1`.
pub(crate) fn table_type(tt: TableType) -> Result {
    // `u32` limits never exceed the range; the check stays for the rule's shape.
    limits(tt.limits, TABLE_MAX, "table size must be at most 2^32-1")
}

/// Memory types (§3.2.5): the limits are valid within `2^16` pages.
pub(crate) fn memory_type(mt: MemType) -> Result {
    limits(mt.limits, MEM_MAX_PAGES, "memory size must be at most 65536 pages (4GiB)")
}

/// Block types (§3.2.2): `typeidx` must be defined in `C.types`; a value type
/// `t?` stands for `[] -> [t?]`. Returns `(params, results)`.
pub(crate) fn block_type<'m>(c: &Context<'m>, bt: BlockType) -> Result<(&'m [ValType], &'m [ValType])> {
    match bt {
        BlockType::Empty => Ok((&[], &[])),
        BlockType::Value(t) => Ok((&[], single(t))),
        BlockType::Func(x) => {
            let ft = c.type_(x)?;
            Ok((&ft.params, &ft.results))
        }
    }
}

/// `[t]` as a slice that outlives any module: one static slice per type, so
/// that frames can borrow result types without allocating.
pub(crate) fn single(t: ValType) -> &'static [ValType] {
    use crate::syntax::{NumType, RefType};
    match t {
        ValType::Num(NumType::I32) => &[ValType::I32],
        ValType::Num(NumType::I64) => &[ValType::I64],
        ValType::Num(NumType::F32) => &[ValType::F32],
        ValType::Num(NumType::F64) => &[ValType::F64],
        ValType::Ref(RefType::FuncRef) => &[ValType::FUNCREF],
        ValType::Ref(RefType::ExternRef) => &[ValType::EXTERNREF],
    }
}
