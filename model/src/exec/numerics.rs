//! Numerics (§4.3): the pure operators behind `t.unop`, `t.binop`, `t.testop`,
//! `t.relop` and `t.cvtop`.
//!
//! The spec defines each operator once for every width `N`; so does this file.
//! Integer operators compute on the `u64` bits of an `iN` (zero-extended) and
//! the result is cut back to `N` bits when it becomes a [`Value`] again. Float
//! operators are generic over `Float`, implemented by `f32` and `f64`; their
//! bits are likewise carried as `u64`.
//!
//! # NaNs: the model's one choice (§4.3.3 "NaN Propagation")
//!
//! Where the spec allows a *set* of NaNs (`nans_N{z*}`), the model picks one,
//! deterministically and without asking the host FPU:
//! - if an operand is a NaN, the result is the first NaN operand with its quiet
//!   bit set: an arithmetic NaN, and canonical if that operand was canonical;
//! - if no operand is a NaN but the result is one (`0/0`, `∞-∞`, `sqrt(-1)`),
//!   the result is the positive canonical NaN.
//!
//! `demote` and `promote` keep the sign and the top bits of the payload,
//! quieted. `abs`, `neg` and `copysign` are bit operations and never touch the
//! payload. Every choice is recorded ([`nan_choices`], [`chosen_nans`]) with
//! the rule that allowed it: the harness compares float values bit for bit,
//! except a value the model chose, where any member of the same set agrees.

use crate::error::TrapKind;
use crate::runtime::Value;
use crate::syntax::{Cvtop, FBinop, FRelop, FUnop, FloatSize, IBinop, IRelop, IUnop, IntSize, NumType, Sx};
use std::ops::{Add, Div, Mul, Sub};

// ---------------------------------------------------------------------------
// Representations (§4.3.1)

/// The width `N` of `iN`.
#[inline(always)]
fn width(sz: IntSize) -> u32 {
    match sz {
        IntSize::I32 => 32,
        IntSize::I64 => 64,
    }
}

/// The bits of an `iN` operand, zero-extended to 64.
#[inline(always)]
fn ibits(sz: IntSize, v: Value) -> u64 {
    match (sz, v) {
        (IntSize::I32, Value::I32(i)) => i as u64,
        (IntSize::I64, Value::I64(i)) => i,
        _ => panic!("model bug: {v:?} is not an {sz:?} operand"),
    }
}

/// The `iN` value of the low `N` bits of `i` (the `mod 2^N` of the spec).
#[inline(always)]
fn ivalue(sz: IntSize, i: u64) -> Value {
    match sz {
        IntSize::I32 => Value::I32(i as u32),
        IntSize::I64 => Value::I64(i),
    }
}

/// §4.3.1 "signed_N": the low `N` bits of `i` read as two's complement.
#[inline(always)]
fn signed(n: u32, i: u64) -> i64 {
    ((i << (64 - n)) as i64) >> (64 - n)
}

/// The least signed `N`-bit integer, `-2^(N-1)`.
fn signed_min(n: u32) -> i64 {
    i64::MIN >> (64 - n)
}

/// The greatest unsigned `N`-bit integer, `2^N - 1`.
fn unsigned_max(n: u32) -> u64 {
    u64::MAX >> (64 - n)
}

/// The `i32` of a boolean (§4.3.1 "bool").
fn bool(b: bool) -> Value {
    Value::I32(b as u32)
}

// ---------------------------------------------------------------------------
// Integer operations (§4.3.2)

/// §4.3.2 `iunop`: `iclz`, `ictz`, `ipopcnt`, `iextendM_s`.
#[inline(always)]
pub fn iunop(sz: IntSize, op: IUnop, c: Value) -> Value {
    let (n, i) = (width(sz), ibits(sz, c));
    ivalue(
        sz,
        match op {
            // `i` is zero-extended: its 64-bit count includes 64-N extra zeros.
            IUnop::Clz => (i.leading_zeros() - (64 - n)) as u64,
            IUnop::Ctz => i.trailing_zeros().min(n) as u64,
            IUnop::Popcnt => i.count_ones() as u64,
            IUnop::Extend8S => signed(8, i) as u64,
            IUnop::Extend16S => signed(16, i) as u64,
            IUnop::Extend32S => signed(32, i) as u64,
        },
    )
}

/// §4.3.2 `ibinop`. Only division and remainder can trap.
#[inline(always)]
pub fn ibinop(sz: IntSize, op: IBinop, a: Value, b: Value) -> Result<Value, TrapKind> {
    let (n, i1, i2) = (width(sz), ibits(sz, a), ibits(sz, b));
    let r = match op {
        // Modulo 2^N: the low N bits of the 64-bit results are the same.
        IBinop::Add => i1.wrapping_add(i2),
        IBinop::Sub => i1.wrapping_sub(i2),
        IBinop::Mul => i1.wrapping_mul(i2),
        IBinop::Div(Sx::U) => idiv_u(i1, i2)?,
        IBinop::Div(Sx::S) => idiv_s(n, i1, i2)?,
        IBinop::Rem(Sx::U) => irem_u(i1, i2)?,
        IBinop::Rem(Sx::S) => irem_s(n, i1, i2)?,
        IBinop::And => i1 & i2,
        IBinop::Or => i1 | i2,
        IBinop::Xor => i1 ^ i2,
        // §4.3.2 "ishl", "ishr_u", "ishr_s": the shift count is taken modulo N.
        IBinop::Shl => i1 << (i2 % n as u64),
        IBinop::Shr(Sx::U) => i1 >> (i2 % n as u64),
        IBinop::Shr(Sx::S) => (signed(n, i1) >> (i2 % n as u64)) as u64,
        IBinop::Rotl => irotl(n, i1, i2),
        IBinop::Rotr => irotl(n, i1, n as u64 - i2 % n as u64),
    };
    Ok(ivalue(sz, r))
}

/// §4.3.2 "idiv_u": traps on a zero divisor.
#[inline(always)]
fn idiv_u(i1: u64, i2: u64) -> Result<u64, TrapKind> {
    i1.checked_div(i2).ok_or(TrapKind::IntegerDivideByZero)
}

/// §4.3.2 "idiv_s": traps on a zero divisor and on the one quotient that does
/// not fit, `-2^(N-1) / -1 = 2^(N-1)`.
#[inline(always)]
fn idiv_s(n: u32, i1: u64, i2: u64) -> Result<u64, TrapKind> {
    let (j1, j2) = (signed(n, i1), signed(n, i2));
    match (j1, j2) {
        (_, 0) => Err(TrapKind::IntegerDivideByZero),
        (j1, -1) if j1 == signed_min(n) => Err(TrapKind::IntegerOverflow),
        _ => Ok((j1 / j2) as u64), // Rust's `/` truncates toward zero, as the spec's.
    }
}

/// §4.3.2 "irem_u": traps on a zero divisor.
#[inline(always)]
fn irem_u(i1: u64, i2: u64) -> Result<u64, TrapKind> {
    i1.checked_rem(i2).ok_or(TrapKind::IntegerDivideByZero)
}

/// §4.3.2 "irem_s": traps on a zero divisor; the sign is the dividend's, and
/// `-2^(N-1) rem -1` is 0 (no trap).
#[inline(always)]
fn irem_s(n: u32, i1: u64, i2: u64) -> Result<u64, TrapKind> {
    let (j1, j2) = (signed(n, i1), signed(n, i2));
    if j2 == 0 {
        return Err(TrapKind::IntegerDivideByZero);
    }
    Ok(j1.wrapping_rem(j2) as u64) // `wrapping_` only for i64::MIN % -1, which is 0.
}

/// §4.3.2 "irotl"; "irotr" by `k` is "irotl" by `N - k`.
#[inline(always)]
fn irotl(n: u32, i1: u64, i2: u64) -> u64 {
    let k = (i2 % n as u64) as u32;
    if k == 0 { i1 } else { (i1 << k) | (i1 >> (n - k)) }
}

/// §4.3.2 "ieqz": the only `itestop`; the result is an `i32`.
#[inline(always)]
pub fn itestop(sz: IntSize, c: Value) -> Value {
    bool(ibits(sz, c) == 0)
}

/// §4.3.2 `irelop`: "ieq", "ine", "ilt_sx", "igt_sx", "ile_sx", "ige_sx".
#[inline(always)]
pub fn irelop(sz: IntSize, op: IRelop, a: Value, b: Value) -> Value {
    let (n, i1, i2) = (width(sz), ibits(sz, a), ibits(sz, b));
    let (s1, s2) = (signed(n, i1), signed(n, i2));
    bool(match op {
        IRelop::Eq => i1 == i2,
        IRelop::Ne => i1 != i2,
        IRelop::Lt(Sx::U) => i1 < i2,
        IRelop::Lt(Sx::S) => s1 < s2,
        IRelop::Gt(Sx::U) => i1 > i2,
        IRelop::Gt(Sx::S) => s1 > s2,
        IRelop::Le(Sx::U) => i1 <= i2,
        IRelop::Le(Sx::S) => s1 <= s2,
        IRelop::Ge(Sx::U) => i1 >= i2,
        IRelop::Ge(Sx::S) => s1 >= s2,
    })
}

// ---------------------------------------------------------------------------
// Floating-point operations (§4.3.3)

/// The host float standing for `fN`, with its bits carried as `u64`.
///
/// Host arithmetic is IEEE 754 round-to-nearest, so it gives the spec's
/// result whenever that is not a NaN; NaN results are always rebuilt by [`nan`].
trait Float: Copy + PartialOrd + Add<Output = Self> + Sub<Output = Self> + Mul<Output = Self> + Div<Output = Self> {
    /// The sign bit.
    const SIGN: u64;
    /// The quiet bit, the top bit of the payload.
    const QUIET: u64;
    /// The positive canonical NaN: all exponent bits and the quiet bit.
    const CANONICAL_NAN: u64;
    fn from_bits(z: u64) -> Self;
    fn to_bits(self) -> u64;
    fn is_nan(self) -> bool;
    fn sqrt(self) -> Self;
    fn ceil(self) -> Self;
    fn floor(self) -> Self;
    fn trunc(self) -> Self;
    /// Round to the nearest integer, ties to even.
    fn nearest(self) -> Self;
}

macro_rules! impl_float {
    ($f:ty, $bits:ty, $sign:expr, $quiet:expr, $canonical:expr) => {
        impl Float for $f {
            const SIGN: u64 = $sign;
            const QUIET: u64 = $quiet;
            const CANONICAL_NAN: u64 = $canonical;
            fn from_bits(z: u64) -> Self {
                <$f>::from_bits(z as $bits)
            }
            fn to_bits(self) -> u64 {
                <$f>::to_bits(self) as u64
            }
            fn is_nan(self) -> bool {
                <$f>::is_nan(self)
            }
            fn sqrt(self) -> Self {
                <$f>::sqrt(self)
            }
            fn ceil(self) -> Self {
                <$f>::ceil(self)
            }
            fn floor(self) -> Self {
                <$f>::floor(self)
            }
            fn trunc(self) -> Self {
                <$f>::trunc(self)
            }
            fn nearest(self) -> Self {
                <$f>::round_ties_even(self)
            }
        }
    };
}
impl_float!(f32, u32, 0x8000_0000, 0x0040_0000, 0x7fc0_0000);
impl_float!(f64, u64, 0x8000_0000_0000_0000, 0x0008_0000_0000_0000, 0x7ff8_0000_0000_0000);

/// The bits of an `fN` operand.
fn fbits(sz: FloatSize, v: Value) -> u64 {
    match (sz, v) {
        (FloatSize::F32, Value::F32(z)) => z as u64,
        (FloatSize::F64, Value::F64(z)) => z,
        _ => panic!("model bug: {v:?} is not an {sz:?} operand"),
    }
}

/// The `fN` value of bits `z`.
fn fvalue(sz: FloatSize, z: u64) -> Value {
    match sz {
        FloatSize::F32 => Value::F32(z as u32),
        FloatSize::F64 => Value::F64(z),
    }
}

/// A NaN the model chose from a set (§4.3.3 `nans_N`): its bits, its
/// width, and which rule fixed the set: the canonical NaNs (every NaN operand
/// canonical, or none), or every arithmetic NaN.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ChosenNan {
    pub bits: u64,
    pub f64: bool,
    /// The set was `nans_N{}` restricted to canonical NaNs (either sign).
    pub canonical: bool,
}

/// At most this many distinct choices are kept per thread; past it,
/// [`chosen_nans`] says `None` (a comparison must then accept any arithmetic NaN).
const MAX_CHOSEN: usize = 4096;

thread_local! {
    /// How many times this thread chose a NaN from a set (see [`nan_choices`]).
    static NAN_CHOICES: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    /// Every distinct choice, while there are at most [`MAX_CHOSEN`].
    static CHOSEN: std::cell::RefCell<Option<std::collections::BTreeSet<ChosenNan>>> =
        const { std::cell::RefCell::new(Some(std::collections::BTreeSet::new())) };
}

/// How many NaNs the model has chosen on this thread where the spec allows a
/// set (`nans_N`, §4.3.3): the explicit record of this nondeterminism. Every
/// other float result is fixed bit for bit by the spec, so a comparison may
/// be exact wherever this did not move. Counted per thread, since the
/// operators are pure functions with no store to record it in.
pub fn nan_choices() -> u64 {
    NAN_CHOICES.with(|c| c.get())
}

/// Forgets the NaNs chosen on this thread (a fresh store starts with none).
pub fn forget_chosen_nans() {
    CHOSEN.with(|c| *c.borrow_mut() = Some(std::collections::BTreeSet::new()));
}

/// Every distinct NaN chosen on this thread since [`forget_chosen_nans`],
/// with the rule that allowed it; `None` past [`MAX_CHOSEN`] distinct ones.
pub fn chosen_nans() -> Option<Vec<ChosenNan>> {
    CHOSEN.with(|c| c.borrow().as_ref().map(|set| set.iter().copied().collect()))
}

fn chose_nan(bits: u64, f64: bool, canonical: bool) {
    NAN_CHOICES.with(|c| c.set(c.get() + 1));
    CHOSEN.with(|c| {
        let mut c = c.borrow_mut();
        if let Some(set) = c.as_mut() {
            set.insert(ChosenNan { bits, f64, canonical });
            if set.len() > MAX_CHOSEN {
                *c = None;
            }
        }
    });
}

/// §4.3.3 "NaN Propagation": the model's member of `nans_N{zs}` (module doc):
/// the first NaN among `zs`, quieted; else the positive canonical NaN. The
/// set is the canonical NaNs when every NaN among `zs` is canonical.
fn nan<F: Float>(zs: &[u64]) -> u64 {
    let canonical = zs.iter().all(|&z| !F::from_bits(z).is_nan() || z & !F::SIGN == F::CANONICAL_NAN);
    let bits = match zs.iter().find(|&&z| F::from_bits(z).is_nan()) {
        Some(z) => z | F::QUIET,
        None => F::CANONICAL_NAN,
    };
    chose_nan(bits, F::SIGN == f64::SIGN, canonical);
    bits
}

/// The bits of the host result `r` of an operation on `zs`, unless it is a
/// NaN: then the spec only fixes the set, and [`nan`] picks from it.
fn or_nan<F: Float>(zs: &[u64], r: F) -> u64 {
    if r.is_nan() { nan::<F>(zs) } else { r.to_bits() }
}

/// §4.3.3 `funop`: "fabs", "fneg", "fsqrt", "fceil", "ffloor", "ftrunc", "fnearest".
#[inline]
pub fn funop(sz: FloatSize, op: FUnop, c: Value) -> Value {
    let z = fbits(sz, c);
    fvalue(
        sz,
        match sz {
            FloatSize::F32 => funop_n::<f32>(op, z),
            FloatSize::F64 => funop_n::<f64>(op, z),
        },
    )
}

fn funop_n<F: Float>(op: FUnop, z: u64) -> u64 {
    let x = F::from_bits(z);
    match op {
        // Sign-bit operations, even on NaNs (§4.3.3 "fabs", "fneg").
        FUnop::Abs => z & !F::SIGN,
        FUnop::Neg => z ^ F::SIGN,
        // IEEE keeps the sign of zeros here, as the spec asks (e.g. ceil(-0.5) = -0).
        FUnop::Sqrt => or_nan(&[z], x.sqrt()),
        FUnop::Ceil => or_nan(&[z], x.ceil()),
        FUnop::Floor => or_nan(&[z], x.floor()),
        FUnop::Trunc => or_nan(&[z], x.trunc()),
        FUnop::Nearest => or_nan(&[z], x.nearest()),
    }
}

/// §4.3.3 `fbinop`: "fadd", "fsub", "fmul", "fdiv", "fmin", "fmax", "fcopysign".
#[inline]
pub fn fbinop(sz: FloatSize, op: FBinop, a: Value, b: Value) -> Value {
    let (z1, z2) = (fbits(sz, a), fbits(sz, b));
    fvalue(
        sz,
        match sz {
            FloatSize::F32 => fbinop_n::<f32>(op, z1, z2),
            FloatSize::F64 => fbinop_n::<f64>(op, z1, z2),
        },
    )
}

fn fbinop_n<F: Float>(op: FBinop, z1: u64, z2: u64) -> u64 {
    let (x1, x2) = (F::from_bits(z1), F::from_bits(z2));
    match op {
        FBinop::Add => or_nan(&[z1, z2], x1 + x2),
        FBinop::Sub => or_nan(&[z1, z2], x1 - x2),
        FBinop::Mul => or_nan(&[z1, z2], x1 * x2),
        FBinop::Div => or_nan(&[z1, z2], x1 / x2),
        FBinop::Min => fmin::<F>(z1, z2),
        FBinop::Max => fmax::<F>(z1, z2),
        // §4.3.3 "fcopysign": the magnitude of z1, the sign of z2, NaNs included.
        FBinop::Copysign => (z1 & !F::SIGN) | (z2 & F::SIGN),
    }
}

/// §4.3.3 "fmin": a NaN if either is one; else the lesser, with -0 < +0.
fn fmin<F: Float>(z1: u64, z2: u64) -> u64 {
    let (x1, x2) = (F::from_bits(z1), F::from_bits(z2));
    if x1.is_nan() || x2.is_nan() {
        nan::<F>(&[z1, z2])
    } else if x1 == x2 {
        z1 | z2 // Equal bits, or ±0: the sign bit of either makes -0.
    } else if x1 < x2 {
        z1
    } else {
        z2
    }
}

/// §4.3.3 "fmax": a NaN if either is one; else the greater, with -0 < +0.
fn fmax<F: Float>(z1: u64, z2: u64) -> u64 {
    let (x1, x2) = (F::from_bits(z1), F::from_bits(z2));
    if x1.is_nan() || x2.is_nan() {
        nan::<F>(&[z1, z2])
    } else if x1 == x2 {
        z1 & z2 // Equal bits, or ±0: +0 unless both are -0.
    } else if x1 > x2 {
        z1
    } else {
        z2
    }
}

/// §4.3.3 `frelop`: "feq", "fne", "flt", "fgt", "fle", "fge". IEEE comparison:
/// false on NaN (but "fne" true), and -0 = +0.
#[inline]
pub fn frelop(sz: FloatSize, op: FRelop, a: Value, b: Value) -> Value {
    let (z1, z2) = (fbits(sz, a), fbits(sz, b));
    bool(match sz {
        FloatSize::F32 => frelop_n::<f32>(op, z1, z2),
        FloatSize::F64 => frelop_n::<f64>(op, z1, z2),
    })
}

fn frelop_n<F: Float>(op: FRelop, z1: u64, z2: u64) -> bool {
    let (x1, x2) = (F::from_bits(z1), F::from_bits(z2));
    match op {
        FRelop::Eq => x1 == x2,
        FRelop::Ne => x1 != x2,
        FRelop::Lt => x1 < x2,
        FRelop::Gt => x1 > x2,
        FRelop::Le => x1 <= x2,
        FRelop::Ge => x1 >= x2,
    }
}

// ---------------------------------------------------------------------------
// Conversions (§4.3.4)

/// §4.3.4 `cvtop`. Only the trapping `trunc` can trap.
#[inline]
pub fn cvtop(op: Cvtop, c: Value) -> Result<Value, TrapKind> {
    Ok(match op {
        // §4.3.4 "wrap": the low 32 bits.
        Cvtop::Wrap => Value::I32(ibits(IntSize::I64, c) as u32),
        // §4.3.4 "extend_u", "extend_s".
        Cvtop::Extend(Sx::U) => Value::I64(ibits(IntSize::I32, c)),
        Cvtop::Extend(Sx::S) => Value::I64(signed(32, ibits(IntSize::I32, c)) as u64),
        Cvtop::Trunc(n, m, sx) => {
            let z = f64_of(m, c);
            let i = trunc(width(n), sx, z).ok_or(if z.is_nan() {
                TrapKind::InvalidConversionToInteger
            } else {
                TrapKind::IntegerOverflow
            })?;
            ivalue(n, i)
        }
        Cvtop::TruncSat(n, m, sx) => ivalue(n, trunc_sat(width(n), sx, f64_of(m, c))),
        Cvtop::Demote => Value::F32(demote(fbits(FloatSize::F64, c))),
        Cvtop::Promote => Value::F64(promote(fbits(FloatSize::F32, c) as u32)),
        Cvtop::Convert(m, n, sx) => convert(m, width(n), sx, ibits(n, c)),
        Cvtop::Reinterpret { to } => reinterpret(to, c),
    })
}

/// An `fN` operand as an `f64`: exact for `f32`, so `trunc` can work on one type.
fn f64_of(sz: FloatSize, c: Value) -> f64 {
    match sz {
        FloatSize::F32 => f32::from_bits(fbits(sz, c) as u32) as f64,
        FloatSize::F64 => f64::from_bits(fbits(sz, c)),
    }
}

/// `2^k` as an `f64`: exact, being a power of two.
fn pow2(k: u32) -> f64 {
    (1u128 << k) as f64
}

/// §4.3.4 "trunc_u", "trunc_s": the integer part of `z`, if `iN` read with
/// `sx` can hold it; `None` for NaN, infinities and everything out of range.
fn trunc(n: u32, sx: Sx, z: f64) -> Option<u64> {
    let t = z.trunc(); // Exact; `-0.9` becomes `-0`, which is in range for `_u`.
    match sx {
        Sx::U => (0.0 <= t && t < pow2(n)).then_some(t as u64),
        Sx::S => (-pow2(n - 1) <= t && t < pow2(n - 1)).then_some(t as i64 as u64),
    }
}

/// §4.3.4 "trunc_sat_u", "trunc_sat_s": as "trunc", but NaN becomes 0 and
/// out-of-range values the nearest bound.
fn trunc_sat(n: u32, sx: Sx, z: f64) -> u64 {
    trunc(n, sx, z).unwrap_or(match sx {
        _ if z.is_nan() => 0,
        Sx::U if z < 0.0 => 0,
        Sx::U => unsigned_max(n),
        Sx::S if z < 0.0 => signed_min(n) as u64,
        Sx::S => unsigned_max(n - 1),
    })
}

/// §4.3.4 "demote": rounded to nearest, ties to even. A NaN keeps its sign and
/// the top 23 bits of its payload, quieted: canonical stays canonical.
fn demote(z: u64) -> u32 {
    let x = f64::from_bits(z);
    if x.is_nan() {
        let sign = (z >> 32) as u32 & 0x8000_0000;
        let bits = sign | 0x7fc0_0000 | ((z >> 29) as u32 & 0x007f_ffff);
        chose_nan(bits as u64, false, z & !<f64 as Float>::SIGN == <f64 as Float>::CANONICAL_NAN);
        bits
    } else {
        (x as f32).to_bits()
    }
}

/// §4.3.4 "promote": exact. A NaN keeps its sign and payload (as the payload's
/// top bits), quieted: canonical stays canonical.
fn promote(z: u32) -> u64 {
    let x = f32::from_bits(z);
    if x.is_nan() {
        let sign = (z as u64 & 0x8000_0000) << 32;
        let bits = sign | 0x7ff8_0000_0000_0000 | ((z as u64 & 0x007f_ffff) << 29);
        chose_nan(bits, true, z as u64 & !<f32 as Float>::SIGN == <f32 as Float>::CANONICAL_NAN);
        bits
    } else {
        (x as f64).to_bits()
    }
}

/// §4.3.4 "convert_u", "convert_s": the nearest float, ties to even. Rust's
/// integer-to-float `as` rounds exactly so, in one step (no double rounding
/// for `i64` to `f32`).
fn convert(m: FloatSize, n: u32, sx: Sx, i: u64) -> Value {
    match (m, sx) {
        (FloatSize::F32, Sx::U) => Value::f32(i as f32),
        (FloatSize::F32, Sx::S) => Value::f32(signed(n, i) as f32),
        (FloatSize::F64, Sx::U) => Value::f64(i as f64),
        (FloatSize::F64, Sx::S) => Value::f64(signed(n, i) as f64),
    }
}

/// §4.3.4 "reinterpret": the same bits, as the other type of the same width.
fn reinterpret(to: NumType, c: Value) -> Value {
    match (to, c) {
        (NumType::I32, Value::F32(z)) => Value::I32(z),
        (NumType::I64, Value::F64(z)) => Value::I64(z),
        (NumType::F32, Value::I32(i)) => Value::F32(i),
        (NumType::F64, Value::I64(i)) => Value::F64(i),
        _ => panic!("model bug: cannot reinterpret {c:?} as {to:?}"),
    }
}
