//! Unit tests of the numeric operators (§4.3), named by outcome: traps, range
//! boundaries, signed zeros and the model's NaN choice.

use model::TrapKind;
use model::exec::numerics::*;
use model::runtime::{NanClass, Value, nan_class_f32, nan_class_f64};
use model::syntax::{Cvtop, FBinop, FRelop, FUnop, FloatSize, IBinop, IRelop, IUnop, IntSize, NumType, Sx};

use FloatSize::{F32, F64};
use IntSize::{I32, I64};

fn i32v(x: i32) -> Value {
    Value::I32(x as u32)
}
fn i64v(x: i64) -> Value {
    Value::I64(x as u64)
}
fn f32v(x: f32) -> Value {
    Value::f32(x)
}
fn f64v(x: f64) -> Value {
    Value::f64(x)
}
fn f32_class(v: Value) -> Option<NanClass> {
    match v {
        Value::F32(z) => nan_class_f32(z),
        _ => panic!("not an f32: {v:?}"),
    }
}
fn f64_class(v: Value) -> Option<NanClass> {
    match v {
        Value::F64(z) => nan_class_f64(z),
        _ => panic!("not an f64: {v:?}"),
    }
}

// Integer operations (§4.3.2)

#[test]
fn div_by_zero_traps() {
    for op in [IBinop::Div(Sx::S), IBinop::Div(Sx::U), IBinop::Rem(Sx::S), IBinop::Rem(Sx::U)] {
        assert_eq!(ibinop(I32, op, i32v(1), i32v(0)), Err(TrapKind::IntegerDivideByZero));
        assert_eq!(ibinop(I64, op, i64v(1), i64v(0)), Err(TrapKind::IntegerDivideByZero));
    }
}

#[test]
fn signed_div_of_min_by_minus_one_overflows() {
    let d = IBinop::Div(Sx::S);
    assert_eq!(ibinop(I32, d, i32v(i32::MIN), i32v(-1)), Err(TrapKind::IntegerOverflow));
    assert_eq!(ibinop(I64, d, i64v(i64::MIN), i64v(-1)), Err(TrapKind::IntegerOverflow));
    // Unsigned, the same bits divide fine.
    assert_eq!(ibinop(I32, IBinop::Div(Sx::U), i32v(i32::MIN), i32v(-1)), Ok(i32v(0)));
}

#[test]
fn signed_rem_of_min_by_minus_one_is_zero() {
    let r = IBinop::Rem(Sx::S);
    assert_eq!(ibinop(I32, r, i32v(i32::MIN), i32v(-1)), Ok(i32v(0)));
    assert_eq!(ibinop(I64, r, i64v(i64::MIN), i64v(-1)), Ok(i64v(0)));
}

#[test]
fn division_truncates_and_rem_takes_dividends_sign() {
    assert_eq!(ibinop(I32, IBinop::Div(Sx::S), i32v(-7), i32v(2)), Ok(i32v(-3)));
    assert_eq!(ibinop(I32, IBinop::Rem(Sx::S), i32v(-7), i32v(2)), Ok(i32v(-1)));
    assert_eq!(ibinop(I32, IBinop::Rem(Sx::S), i32v(7), i32v(-2)), Ok(i32v(1)));
    assert_eq!(ibinop(I32, IBinop::Div(Sx::U), i32v(-1), i32v(2)), Ok(i32v(0x7fff_ffff)));
    assert_eq!(ibinop(I64, IBinop::Rem(Sx::U), i64v(-1), i64v(10)), Ok(i64v(5)));
}

#[test]
fn arithmetic_wraps() {
    assert_eq!(ibinop(I32, IBinop::Add, i32v(i32::MAX), i32v(1)), Ok(i32v(i32::MIN)));
    assert_eq!(ibinop(I32, IBinop::Sub, i32v(0), i32v(1)), Ok(i32v(-1)));
    assert_eq!(ibinop(I32, IBinop::Mul, i32v(0x1000_0001), i32v(16)), Ok(i32v(16)));
    assert_eq!(ibinop(I64, IBinop::Mul, i64v(i64::MAX), i64v(2)), Ok(i64v(-2)));
}

#[test]
fn shift_counts_are_modulo_width() {
    assert_eq!(ibinop(I32, IBinop::Shl, i32v(1), i32v(33)), Ok(i32v(2)));
    assert_eq!(ibinop(I32, IBinop::Shl, i32v(1), i32v(31)), Ok(i32v(i32::MIN)));
    assert_eq!(ibinop(I32, IBinop::Shr(Sx::U), i32v(-1), i32v(32 + 28)), Ok(i32v(0xf)));
    assert_eq!(ibinop(I32, IBinop::Shr(Sx::S), i32v(i32::MIN), i32v(31)), Ok(i32v(-1)));
    assert_eq!(ibinop(I32, IBinop::Shr(Sx::S), i32v(i32::MIN), i32v(-1)), Ok(i32v(-1)));
    assert_eq!(ibinop(I64, IBinop::Shl, i64v(1), i64v(65)), Ok(i64v(2)));
    assert_eq!(ibinop(I64, IBinop::Shr(Sx::S), i64v(i64::MIN), i64v(63)), Ok(i64v(-1)));
    assert_eq!(ibinop(I64, IBinop::Shr(Sx::U), i64v(i64::MIN), i64v(63)), Ok(i64v(1)));
}

#[test]
fn rotates_are_modulo_width() {
    assert_eq!(ibinop(I32, IBinop::Rotl, i32v(0x8000_0001u32 as i32), i32v(1)), Ok(i32v(3)));
    assert_eq!(ibinop(I32, IBinop::Rotl, i32v(0x1234_5678), i32v(32)), Ok(i32v(0x1234_5678)));
    assert_eq!(ibinop(I32, IBinop::Rotr, i32v(1), i32v(33)), Ok(i32v(0x8000_0000u32 as i32)));
    assert_eq!(ibinop(I32, IBinop::Rotr, i32v(0x1234_5678), i32v(0)), Ok(i32v(0x1234_5678)));
    assert_eq!(ibinop(I64, IBinop::Rotl, i64v(i64::MIN), i64v(1)), Ok(i64v(1)));
    assert_eq!(ibinop(I64, IBinop::Rotr, i64v(1), i64v(-1)), Ok(i64v(2)));
}

#[test]
fn bit_counts_count_within_width() {
    assert_eq!(iunop(I32, IUnop::Clz, i32v(0)), i32v(32));
    assert_eq!(iunop(I32, IUnop::Clz, i32v(1)), i32v(31));
    assert_eq!(iunop(I32, IUnop::Clz, i32v(-1)), i32v(0));
    assert_eq!(iunop(I64, IUnop::Clz, i64v(0)), i64v(64));
    assert_eq!(iunop(I32, IUnop::Ctz, i32v(0)), i32v(32));
    assert_eq!(iunop(I32, IUnop::Ctz, i32v(i32::MIN)), i32v(31));
    assert_eq!(iunop(I64, IUnop::Ctz, i64v(0)), i64v(64));
    assert_eq!(iunop(I32, IUnop::Popcnt, i32v(-1)), i32v(32));
    assert_eq!(iunop(I64, IUnop::Popcnt, i64v(0x00ff_0000_0000_0f01)), i64v(13));
}

#[test]
fn sign_extensions_extend_the_low_bits() {
    assert_eq!(iunop(I32, IUnop::Extend8S, i32v(0x80)), i32v(-128));
    assert_eq!(iunop(I32, IUnop::Extend8S, i32v(0x1234_567f)), i32v(0x7f));
    assert_eq!(iunop(I32, IUnop::Extend16S, i32v(0xffff_8000u32 as i32)), i32v(-32768));
    assert_eq!(iunop(I64, IUnop::Extend8S, i64v(0xff)), i64v(-1));
    assert_eq!(iunop(I64, IUnop::Extend32S, i64v(0x8000_0000)), i64v(-0x8000_0000));
    assert_eq!(iunop(I64, IUnop::Extend32S, i64v(0x1_7fff_ffff)), i64v(0x7fff_ffff));
}

#[test]
fn eqz_and_relops_give_i32_booleans() {
    assert_eq!(itestop(I64, i64v(0)), i32v(1));
    assert_eq!(itestop(I32, i32v(5)), i32v(0));
    assert_eq!(irelop(I32, IRelop::Lt(Sx::S), i32v(-1), i32v(0)), i32v(1));
    assert_eq!(irelop(I32, IRelop::Lt(Sx::U), i32v(-1), i32v(0)), i32v(0));
    assert_eq!(irelop(I64, IRelop::Ge(Sx::S), i64v(i64::MIN), i64v(i64::MAX)), i32v(0));
    assert_eq!(irelop(I64, IRelop::Ge(Sx::U), i64v(i64::MIN), i64v(i64::MAX)), i32v(1));
    assert_eq!(irelop(I32, IRelop::Ne, i32v(3), i32v(3)), i32v(0));
}

#[test]
#[should_panic(expected = "model bug")]
fn mismatched_operand_is_a_model_bug() {
    let _ = ibinop(I32, IBinop::Add, f32v(1.0), i32v(1));
}

// Floating-point operations (§4.3.3)

#[test]
fn nearest_rounds_half_to_even() {
    assert_eq!(funop(F32, FUnop::Nearest, f32v(2.5)), f32v(2.0));
    assert_eq!(funop(F32, FUnop::Nearest, f32v(3.5)), f32v(4.0));
    assert_eq!(funop(F64, FUnop::Nearest, f64v(-2.5)), f64v(-2.0));
    assert_eq!(funop(F64, FUnop::Nearest, f64v(-0.5)), f64v(-0.0));
    assert_eq!(funop(F64, FUnop::Nearest, f64v(4503599627370497.0)), f64v(4503599627370497.0));
}

#[test]
fn rounding_keeps_the_sign_of_zero() {
    assert_eq!(funop(F32, FUnop::Ceil, f32v(-0.5)), f32v(-0.0));
    assert_eq!(funop(F32, FUnop::Floor, f32v(0.5)), f32v(0.0));
    assert_eq!(funop(F64, FUnop::Floor, f64v(-0.5)), f64v(-1.0));
    assert_eq!(funop(F64, FUnop::Trunc, f64v(-0.9)), f64v(-0.0));
    assert_eq!(funop(F64, FUnop::Sqrt, f64v(-0.0)), f64v(-0.0));
}

#[test]
fn min_max_order_negative_zero_below_positive() {
    assert_eq!(fbinop(F32, FBinop::Min, f32v(-0.0), f32v(0.0)), f32v(-0.0));
    assert_eq!(fbinop(F32, FBinop::Min, f32v(0.0), f32v(-0.0)), f32v(-0.0));
    assert_eq!(fbinop(F64, FBinop::Max, f64v(-0.0), f64v(0.0)), f64v(0.0));
    assert_eq!(fbinop(F64, FBinop::Max, f64v(0.0), f64v(-0.0)), f64v(0.0));
    assert_eq!(fbinop(F64, FBinop::Max, f64v(-0.0), f64v(-0.0)), f64v(-0.0));
    assert_eq!(fbinop(F64, FBinop::Min, f64v(f64::NEG_INFINITY), f64v(1.0)), f64v(f64::NEG_INFINITY));
    assert_eq!(fbinop(F32, FBinop::Max, f32v(-3.0), f32v(2.0)), f32v(2.0));
}

#[test]
fn min_max_of_a_nan_is_a_nan() {
    // Unlike Rust's `f32::min`, which returns the other operand.
    let nan = Value::F32(0x7fc0_0000);
    assert_eq!(fbinop(F32, FBinop::Min, nan, f32v(1.0)), nan);
    assert_eq!(fbinop(F32, FBinop::Max, f32v(1.0), nan), nan);
    assert_eq!(
        f64_class(fbinop(F64, FBinop::Max, f64v(1.0), Value::F64(0x7ff0_0000_0000_0001))),
        Some(NanClass::Arithmetic)
    );
}

#[test]
fn nan_operand_propagates_quieted() {
    // The first NaN operand, quiet bit set, payload and sign kept.
    let snan = Value::F32(0xff80_0001);
    assert_eq!(fbinop(F32, FBinop::Add, snan, f32v(1.0)), Value::F32(0xffc0_0001));
    assert_eq!(fbinop(F32, FBinop::Mul, f32v(1.0), snan), Value::F32(0xffc0_0001));
    let arith = Value::F32(0x7fe0_0000);
    assert_eq!(fbinop(F32, FBinop::Sub, arith, snan), arith);
    assert_eq!(fbinop(F32, FBinop::Sub, snan, arith), Value::F32(0xffc0_0001));
    // A canonical operand gives a canonical result, of its sign.
    let neg_canon = Value::F64(0xfff8_0000_0000_0000);
    assert_eq!(fbinop(F64, FBinop::Div, neg_canon, f64v(2.0)), neg_canon);
    assert_eq!(f64_class(fbinop(F64, FBinop::Div, neg_canon, f64v(2.0))), Some(NanClass::Canonical));
    for op in [FUnop::Sqrt, FUnop::Ceil, FUnop::Floor, FUnop::Trunc, FUnop::Nearest] {
        assert_eq!(funop(F64, op, Value::F64(0x7ff0_0000_0000_0001)), Value::F64(0x7ff8_0000_0000_0001));
        assert_eq!(f32_class(funop(F32, op, Value::F32(0x7fc0_0000))), Some(NanClass::Canonical));
    }
}

#[test]
fn invalid_operation_gives_positive_canonical_nan() {
    let canon32 = Value::F32(0x7fc0_0000);
    let canon64 = Value::F64(0x7ff8_0000_0000_0000);
    assert_eq!(fbinop(F32, FBinop::Div, f32v(0.0), f32v(-0.0)), canon32);
    assert_eq!(fbinop(F32, FBinop::Sub, f32v(f32::INFINITY), f32v(f32::INFINITY)), canon32);
    assert_eq!(fbinop(F64, FBinop::Mul, f64v(f64::INFINITY), f64v(0.0)), canon64);
    assert_eq!(fbinop(F64, FBinop::Add, f64v(f64::NEG_INFINITY), f64v(f64::INFINITY)), canon64);
    assert_eq!(funop(F64, FUnop::Sqrt, f64v(-1.0)), canon64);
}

#[test]
fn sign_operations_never_touch_the_payload() {
    let snan = Value::F32(0x7f80_0001);
    assert_eq!(funop(F32, FUnop::Neg, snan), Value::F32(0xff80_0001));
    assert_eq!(funop(F32, FUnop::Abs, Value::F32(0xff80_0001)), snan);
    assert_eq!(fbinop(F32, FBinop::Copysign, snan, f32v(-1.0)), Value::F32(0xff80_0001));
    assert_eq!(fbinop(F64, FBinop::Copysign, f64v(2.0), Value::F64(0xfff0_0000_0000_0001)), f64v(-2.0));
    assert_eq!(funop(F64, FUnop::Neg, f64v(0.0)), f64v(-0.0));
    assert_eq!(funop(F64, FUnop::Abs, Value::F64(0xfff0_0000_0000_0001)), Value::F64(0x7ff0_0000_0000_0001));
}

#[test]
fn arithmetic_is_correctly_rounded() {
    assert_eq!(fbinop(F32, FBinop::Add, f32v(16777216.0), f32v(1.0)), f32v(16777216.0));
    assert_eq!(fbinop(F64, FBinop::Div, f64v(1.0), f64v(3.0)), f64v(1.0 / 3.0));
    assert_eq!(fbinop(F64, FBinop::Sub, f64v(0.0), f64v(0.0)), f64v(0.0));
    assert_eq!(fbinop(F64, FBinop::Sub, f64v(-0.0), f64v(0.0)), f64v(-0.0));
}

#[test]
fn float_comparisons_are_false_on_nan_and_equate_zeros() {
    let nan = Value::F64(0x7ff8_0000_0000_0000);
    assert_eq!(frelop(F64, FRelop::Eq, nan, nan), i32v(0));
    assert_eq!(frelop(F64, FRelop::Ne, nan, nan), i32v(1));
    assert_eq!(frelop(F64, FRelop::Le, nan, f64v(0.0)), i32v(0));
    assert_eq!(frelop(F32, FRelop::Eq, f32v(-0.0), f32v(0.0)), i32v(1));
    assert_eq!(frelop(F32, FRelop::Lt, f32v(-0.0), f32v(0.0)), i32v(0));
    assert_eq!(frelop(F32, FRelop::Gt, f32v(1.0), f32v(f32::NEG_INFINITY)), i32v(1));
}

// Conversions (§4.3.4)

fn trunc(n: IntSize, m: FloatSize, sx: Sx, c: Value) -> Result<Value, TrapKind> {
    cvtop(Cvtop::Trunc(n, m, sx), c)
}

fn trunc_sat(n: IntSize, m: FloatSize, sx: Sx, c: Value) -> Value {
    cvtop(Cvtop::TruncSat(n, m, sx), c).expect("trunc_sat never traps")
}

#[test]
fn trunc_of_nan_is_invalid_conversion() {
    let e = Err(TrapKind::InvalidConversionToInteger);
    assert_eq!(trunc(I32, F32, Sx::S, Value::F32(0x7fc0_0000)), e);
    assert_eq!(trunc(I64, F64, Sx::U, Value::F64(0xfff0_0000_0000_0001)), e);
}

#[test]
fn trunc_f32_to_i32_boundaries() {
    let o = Err(TrapKind::IntegerOverflow);
    assert_eq!(trunc(I32, F32, Sx::S, f32v(2147483648.0)), o);
    assert_eq!(trunc(I32, F32, Sx::S, f32v(2147483520.0)), Ok(i32v(2147483520)));
    assert_eq!(trunc(I32, F32, Sx::S, f32v(-2147483648.0)), Ok(i32v(i32::MIN)));
    assert_eq!(trunc(I32, F32, Sx::S, f32v(-2147483904.0)), o);
    assert_eq!(trunc(I32, F32, Sx::S, f32v(f32::INFINITY)), o);
    assert_eq!(trunc(I32, F32, Sx::U, f32v(4294967040.0)), Ok(i32v(-256)));
    assert_eq!(trunc(I32, F32, Sx::U, f32v(4294967296.0)), o);
    assert_eq!(trunc(I32, F32, Sx::U, f32v(-0.9)), Ok(i32v(0)));
    assert_eq!(trunc(I32, F32, Sx::U, f32v(-1.0)), o);
    assert_eq!(trunc(I32, F32, Sx::U, f32v(f32::NEG_INFINITY)), o);
}

#[test]
fn trunc_f64_to_i32_boundaries() {
    let o = Err(TrapKind::IntegerOverflow);
    assert_eq!(trunc(I32, F64, Sx::S, f64v(-2147483648.9)), Ok(i32v(i32::MIN)));
    assert_eq!(trunc(I32, F64, Sx::S, f64v(-2147483649.0)), o);
    assert_eq!(trunc(I32, F64, Sx::S, f64v(2147483647.9)), Ok(i32v(i32::MAX)));
    assert_eq!(trunc(I32, F64, Sx::S, f64v(2147483648.0)), o);
    assert_eq!(trunc(I32, F64, Sx::U, f64v(4294967295.9)), Ok(i32v(-1)));
    assert_eq!(trunc(I32, F64, Sx::U, f64v(4294967296.0)), o);
    assert_eq!(trunc(I32, F64, Sx::U, f64v(-0.9999)), Ok(i32v(0)));
    assert_eq!(trunc(I32, F64, Sx::S, f64v(-1.5)), Ok(i32v(-1)));
}

#[test]
fn trunc_to_i64_boundaries() {
    let o = Err(TrapKind::IntegerOverflow);
    assert_eq!(trunc(I64, F32, Sx::S, f32v(-9223372036854775808.0)), Ok(i64v(i64::MIN)));
    assert_eq!(trunc(I64, F32, Sx::S, f32v(9223372036854775808.0)), o);
    assert_eq!(trunc(I64, F64, Sx::S, f64v(9223372036854774784.0)), Ok(i64v(9223372036854774784)));
    assert_eq!(trunc(I64, F64, Sx::S, f64v(9223372036854775808.0)), o);
    assert_eq!(trunc(I64, F64, Sx::S, f64v(-9223372036854777856.0)), o);
    assert_eq!(trunc(I64, F64, Sx::U, f64v(18446744073709549568.0)), Ok(i64v(-2048)));
    assert_eq!(trunc(I64, F64, Sx::U, f64v(18446744073709551616.0)), o);
    assert_eq!(trunc(I64, F32, Sx::U, f32v(18446742974197923840.0)), Ok(Value::I64(18446742974197923840)));
}

#[test]
fn trunc_sat_saturates_and_maps_nan_to_zero() {
    assert_eq!(trunc_sat(I32, F32, Sx::S, Value::F32(0x7fc0_0000)), i32v(0));
    assert_eq!(trunc_sat(I32, F32, Sx::S, f32v(2147483648.0)), i32v(i32::MAX));
    assert_eq!(trunc_sat(I32, F32, Sx::S, f32v(f32::NEG_INFINITY)), i32v(i32::MIN));
    assert_eq!(trunc_sat(I32, F64, Sx::U, f64v(-1.0)), i32v(0));
    assert_eq!(trunc_sat(I32, F64, Sx::U, f64v(1e10)), i32v(-1));
    assert_eq!(trunc_sat(I32, F64, Sx::U, f64v(4294967295.9)), i32v(-1));
    assert_eq!(trunc_sat(I64, F64, Sx::S, f64v(f64::INFINITY)), i64v(i64::MAX));
    assert_eq!(trunc_sat(I64, F64, Sx::S, f64v(-1e30)), i64v(i64::MIN));
    assert_eq!(trunc_sat(I64, F32, Sx::U, f32v(f32::INFINITY)), i64v(-1));
    assert_eq!(trunc_sat(I64, F64, Sx::U, Value::F64(0xfff8_0000_0000_0000)), i64v(0));
    assert_eq!(trunc_sat(I64, F64, Sx::S, f64v(-7.9)), i64v(-7));
}

#[test]
fn wrap_and_extend() {
    assert_eq!(cvtop(Cvtop::Wrap, i64v(0x1_2345_6789)), Ok(i32v(0x2345_6789)));
    assert_eq!(cvtop(Cvtop::Extend(Sx::S), i32v(-1)), Ok(i64v(-1)));
    assert_eq!(cvtop(Cvtop::Extend(Sx::U), i32v(-1)), Ok(i64v(0xffff_ffff)));
}

#[test]
fn convert_rounds_to_nearest_even_once() {
    let c = |m, n, sx, v| cvtop(Cvtop::Convert(m, n, sx), v).unwrap();
    // 2^53 + 2^29 + 1: correctly 2^53 + 2^30; rounding via f64 would give 2^53.
    assert_eq!(c(F32, I64, Sx::S, i64v(9007199791611905)), f32v(9007200328482816.0));
    assert_eq!(c(F32, I64, Sx::U, i64v(-1)), f32v(18446744073709551616.0));
    assert_eq!(c(F32, I32, Sx::S, i32v(16777217)), f32v(16777216.0));
    assert_eq!(c(F32, I32, Sx::S, i32v(16777219)), f32v(16777220.0));
    assert_eq!(c(F32, I32, Sx::U, i32v(-1)), f32v(4294967296.0));
    assert_eq!(c(F64, I32, Sx::S, i32v(i32::MIN)), f64v(-2147483648.0));
    assert_eq!(c(F64, I64, Sx::U, i64v(-1)), f64v(18446744073709551616.0));
    assert_eq!(c(F64, I64, Sx::S, i64v(9007199254740993)), f64v(9007199254740992.0));
    assert_eq!(c(F64, I64, Sx::S, i64v(9007199254740995)), f64v(9007199254740996.0));
}

#[test]
fn demote_and_promote() {
    let demote = |v| cvtop(Cvtop::Demote, v).unwrap();
    let promote = |v| cvtop(Cvtop::Promote, v).unwrap();
    assert_eq!(demote(f64v(1e300)), f32v(f32::INFINITY));
    assert_eq!(demote(f64v(-0.0)), f32v(-0.0));
    assert_eq!(demote(f64v(1.0 + f64::EPSILON)), f32v(1.0));
    assert_eq!(promote(f32v(0.1)), f64v(0.1f32 as f64));
    // NaNs: quieted, sign and the payload's top bits kept; canonical stays canonical.
    assert_eq!(demote(Value::F64(0xfff8_0000_0000_0000)), Value::F32(0xffc0_0000));
    assert_eq!(demote(Value::F64(0x7ff4_0000_0000_0000)), Value::F32(0x7fe0_0000));
    assert_eq!(f32_class(demote(Value::F64(0x7ff0_0000_0000_0001))), Some(NanClass::Canonical));
    assert_eq!(promote(Value::F32(0x7fc0_0000)), Value::F64(0x7ff8_0000_0000_0000));
    assert_eq!(promote(Value::F32(0xff80_0001)), Value::F64(0xfff8_0000_2000_0000));
    assert_eq!(f64_class(promote(Value::F32(0x7fa0_0000))), Some(NanClass::Arithmetic));
}

#[test]
fn reinterpret_keeps_every_bit() {
    let r = |to, v| cvtop(Cvtop::Reinterpret { to }, v).unwrap();
    assert_eq!(r(NumType::I32, Value::F32(0x7fa0_0001)), Value::I32(0x7fa0_0001));
    assert_eq!(r(NumType::F32, Value::I32(0xff80_0001)), Value::F32(0xff80_0001));
    assert_eq!(r(NumType::I64, Value::F64(0xfff0_0000_0000_0001)), Value::I64(0xfff0_0000_0000_0001));
    assert_eq!(r(NumType::F64, i64v(-1)), Value::F64(u64::MAX));
    assert_eq!(r(NumType::I32, f32v(-0.0)), Value::I32(0x8000_0000));
}
