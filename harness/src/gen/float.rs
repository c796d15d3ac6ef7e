//! Floats in generated scenarios: constants with chosen bits (NaN payloads
//! and signs included), expressions over them, what the spec fixes of their
//! values, and their WAT text.
//!
//! The spec fixes every float result bit for bit except a NaN that an
//! arithmetic rule produces (§4.3.3 "NaN Propagation", `nans_N`; `demote`
//! and `promote` of a NaN, §4.3.4), which is any member of a set: canonical
//! NaNs when every NaN operand is canonical, else any arithmetic NaN, of
//! either sign. The engines are compared bit for bit everywhere else, and
//! loosely only at the step in which the reference chose such a NaN
//! (`corpus/legitimate-differences.md`, "NaN payloads"). So a value here is
//! either exact bits or a chosen NaN ([`FVal`]), and a chosen NaN may only
//! be returned by the step that chose it, or written to a global that is
//! then read back canonicalised (and overwritten before any later step can
//! observe it exactly). It never reaches memory, a reinterpretation
//! to an integer, or the sign operand of `copysign` (each would show its
//! payload or its sign as exact bits at a later step or as an integer): those
//! places take *exact* expressions ([`FExpr::may_choose`] is false), in which
//! arithmetic appears only canonicalised ([`FExpr::Canon`], the idiom of
//! wasm-smith's `canonicalize_nans`: `local.tee`, compare with itself,
//! `select` the canonical NaN).

use arbitrary::{Result, Unstructured};

/// A float type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FTy {
    F32,
    F64,
}

impl FTy {
    pub(crate) const ALL: [FTy; 2] = [FTy::F32, FTy::F64];

    /// `f32` or `f64`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            FTy::F32 => "f32",
            FTy::F64 => "f64",
        }
    }

    /// The integer type of the same width.
    pub(crate) fn int(self) -> &'static str {
        match self {
            FTy::F32 => "i32",
            FTy::F64 => "i64",
        }
    }

    /// The local every float expression of this type may use (`local.tee`).
    fn local(self) -> &'static str {
        match self {
            FTy::F32 => "$tf",
            FTy::F64 => "$td",
        }
    }

    fn sign(self) -> u64 {
        match self {
            FTy::F32 => 0x8000_0000,
            FTy::F64 => 0x8000_0000_0000_0000,
        }
    }

    fn exponent(self) -> u64 {
        match self {
            FTy::F32 => 0x7f80_0000,
            FTy::F64 => 0x7ff0_0000_0000_0000,
        }
    }

    fn quiet(self) -> u64 {
        match self {
            FTy::F32 => 0x0040_0000,
            FTy::F64 => 0x0008_0000_0000_0000,
        }
    }

    fn mantissa(self) -> u64 {
        (self.quiet() << 1) - 1
    }

    /// The positive canonical NaN (`nan` in the text format).
    pub(crate) fn canonical_nan(self) -> u64 {
        self.exponent() | self.quiet()
    }

    pub(crate) fn is_nan(self, bits: u64) -> bool {
        bits & self.exponent() == self.exponent() && bits & self.mantissa() != 0
    }

    /// Whether `bits` is a canonical NaN of either sign (§4.3.3 "NaN Propagation").
    fn is_canonical_nan(self, bits: u64) -> bool {
        bits & !self.sign() == self.canonical_nan()
    }
}

/// A float value, as far as the spec fixes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FVal {
    /// Every bit is fixed (a NaN too, if no arithmetic chose it).
    Exact(u64),
    /// A NaN that arithmetic chose from a set: a canonical one (when every
    /// NaN operand was canonical), else any arithmetic NaN; either sign.
    Chosen { canonical: bool },
}

impl FVal {
    /// The NaN class of the value if it is a NaN: `Some(canonical)`.
    fn nan(self, ty: FTy) -> Option<bool> {
        match self {
            FVal::Exact(b) if ty.is_nan(b) => Some(ty.is_canonical_nan(b)),
            FVal::Exact(_) => None,
            FVal::Chosen { canonical } => Some(canonical),
        }
    }

    /// What canonicalisation makes of it: the value itself, or the positive
    /// canonical NaN in place of any NaN.
    pub(crate) fn canonicalised(self, ty: FTy) -> u64 {
        match self {
            FVal::Exact(b) if !ty.is_nan(b) => b,
            _ => ty.canonical_nan(),
        }
    }

    /// Whether it is a NaN whose bits the spec fixes.
    pub(crate) fn is_exact_nan(self, ty: FTy) -> bool {
        matches!(self, FVal::Exact(b) if ty.is_nan(b))
    }
}

/// A binary arithmetic operator (§4.3.3), each of which may choose a NaN.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Arith2 {
    Add,
    Sub,
    Mul,
    Div,
    Min,
    Max,
}

/// A unary arithmetic operator (§4.3.3), each of which may choose a NaN.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Arith1 {
    Sqrt,
    Ceil,
    Floor,
    Trunc,
    Nearest,
}

/// A float expression, typed ([`FExpr::ty`]). Moves and sign operations
/// (`Neg`, `Abs`, `CopySign`, `Select`, `Tee`, `Bits`, `Canon`, reads of
/// globals and the parameter) are fixed bit for bit; `Bin`, `Un`, `Demote`
/// and `Promote` may choose a NaN.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum FExpr {
    /// A constant, by its bits.
    Const(FTy, u64),
    /// The function's `f64` parameter (`local.get 0`, at type `d_d` only).
    Param,
    /// Main's immutable global `cf` or `cd` (imported by a side).
    Imm(FTy),
    /// Main's mutable global `gf` or `gd`, canonicalised as it is read: it
    /// may hold a NaN that an earlier step chose.
    MutCanon(FTy),
    Neg(Box<FExpr>),
    Abs(Box<FExpr>),
    /// `copysign(magnitude, sign)`; the sign operand is exact.
    CopySign(Box<FExpr>, Box<FExpr>),
    /// `select` with a constant condition: the first operand if it is true.
    Select(Box<FExpr>, Box<FExpr>, bool),
    /// Through the function's local of its type (`local.tee`).
    Tee(Box<FExpr>),
    /// Reinterpreted as an integer, xor'ed with the mask, reinterpreted back;
    /// the operand is exact.
    Bits(Box<FExpr>, u64),
    /// Canonicalised: any NaN becomes the positive canonical NaN.
    Canon(Box<FExpr>),
    Bin(Arith2, Box<FExpr>, Box<FExpr>),
    Un(Arith1, Box<FExpr>),
    /// `f32.demote_f64` of an `f64` expression.
    Demote(Box<FExpr>),
    /// `f64.promote_f32` of an `f32` expression.
    Promote(Box<FExpr>),
}

/// What an expression may read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Scope {
    /// The function has an `f64` parameter (type `d_d`).
    pub param: bool,
    /// Main's float globals (`gf`, `gd`, `cf`, `cd`) are in scope.
    pub globals: bool,
}

/// The values an expression reads: main's float globals now (the parameter
/// is given to [`FExpr::eval`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FEnv {
    pub cf: u64,
    pub cd: u64,
    pub gf: FVal,
    pub gd: FVal,
}

/// Constants: ordinary values, zeros, infinities, the extremes, then NaNs
/// of both signs, canonical, arithmetic (quiet bit set) and signalling.
const F32_POOL: &[u32] = &[
    0x3fc0_0000, // 1.5
    0x8000_0000, // -0
    0x0000_0000,
    0xc049_0fdb, // -pi
    0x7f80_0000, // inf
    0xff80_0000, // -inf
    0x0000_0001, // the least subnormal
    0x7f7f_ffff, // the greatest finite
    0x7fc0_0000, // nan
    0xffc0_0000, // -nan
    0x7fa0_0000, // nan:0x200000 (signalling)
    0x7f80_0001, // nan:0x1 (signalling)
    0xff80_0001, // -nan:0x1
    0x7fff_ffff, // nan:0x7fffff
    0x7fc0_0001, // nan:0x400001
    0xffe0_0000, // -nan:0x600000
];

const F64_POOL: &[u64] = &[
    0x3ff8_0000_0000_0000, // 1.5
    0x8000_0000_0000_0000, // -0
    0x0000_0000_0000_0000,
    0xc009_21fb_5444_2d18, // -pi
    0x7ff0_0000_0000_0000, // inf
    0xfff0_0000_0000_0000, // -inf
    0x0000_0000_0000_0001, // the least subnormal
    0x7fef_ffff_ffff_ffff, // the greatest finite
    0x47ef_ffff_e000_0000, // the greatest finite f32, exactly
    0x7ff8_0000_0000_0000, // nan
    0xfff8_0000_0000_0000, // -nan
    0x7ff4_0000_0000_0000, // nan:0x4000000000000 (signalling)
    0x7ff0_0000_0000_0001, // nan:0x1 (signalling; demoted, its payload is gone)
    0xfff0_0000_0000_0001, // -nan:0x1
    0x7fff_ffff_ffff_ffff, // nan:0xfffffffffffff
    0x7ff8_0000_2000_0000, // nan:0x8000020000000 (demoted: nan:0x400001)
];

/// Masks for [`FExpr::Bits`]: none, the sign, the lowest payload bit, the
/// quiet bit, everything but the sign.
fn masks(ty: FTy) -> [u64; 5] {
    [0, ty.sign(), 1, ty.quiet(), !ty.sign() & (ty.exponent() | ty.mantissa())]
}

/// A constant of type `ty`: mostly from the pool (half of it NaNs), else any bits.
pub(crate) fn gen_const(u: &mut Unstructured<'_>, ty: FTy) -> Result<u64> {
    let any = u.ratio(1, 5)?;
    Ok(match ty {
        FTy::F32 if any => u64::from(u.arbitrary::<u32>()?),
        FTy::F32 => u64::from(*u.choose(F32_POOL)?),
        FTy::F64 if any => u.arbitrary()?,
        FTy::F64 => *u.choose(F64_POOL)?,
    })
}

/// The kinds of node of [`gen_expr`], moves first (an input that runs out
/// chooses the first).
#[derive(Clone, Copy)]
enum Node {
    Neg,
    Abs,
    CopySign,
    Select,
    Tee,
    Bits,
    Canon,
    Bin,
    Un,
    Convert,
}

/// An expression of type `ty`, at most `depth` deep, over what `scope`
/// allows; `exact`: one that never chooses a NaN (arithmetic only inside
/// [`FExpr::Canon`]).
pub(crate) fn gen_expr(u: &mut Unstructured<'_>, ty: FTy, scope: Scope, exact: bool, depth: u32) -> Result<FExpr> {
    if depth == 0 || u.ratio(1, 3)? {
        return gen_leaf(u, ty, scope);
    }
    let d = depth - 1;
    let mut nodes = vec![Node::Neg, Node::Abs, Node::CopySign, Node::Select, Node::Tee, Node::Bits, Node::Canon];
    if !exact {
        // Arithmetic twice as likely as any one move.
        nodes.extend([Node::Bin, Node::Bin, Node::Un, Node::Un, Node::Convert, Node::Convert]);
    }
    let sub = |u: &mut Unstructured<'_>, exact: bool| gen_expr(u, ty, scope, exact, d).map(Box::new);
    let e = match *u.choose(&nodes)? {
        Node::Neg => FExpr::Neg(sub(u, exact)?),
        Node::Abs => FExpr::Abs(sub(u, exact)?),
        Node::CopySign => FExpr::CopySign(sub(u, exact)?, sub(u, true)?),
        Node::Select => FExpr::Select(sub(u, exact)?, sub(u, exact)?, u.arbitrary()?),
        Node::Tee => FExpr::Tee(sub(u, exact)?),
        Node::Bits => FExpr::Bits(sub(u, true)?, *u.choose(&masks(ty))?),
        Node::Canon => FExpr::Canon(sub(u, false)?),
        Node::Bin => {
            let op = *u.choose(&[Arith2::Add, Arith2::Sub, Arith2::Mul, Arith2::Div, Arith2::Min, Arith2::Max])?;
            FExpr::Bin(op, sub(u, exact)?, sub(u, exact)?)
        }
        Node::Un => {
            let op = *u.choose(&[Arith1::Sqrt, Arith1::Ceil, Arith1::Floor, Arith1::Trunc, Arith1::Nearest])?;
            FExpr::Un(op, sub(u, exact)?)
        }
        Node::Convert => match ty {
            FTy::F32 => FExpr::Demote(Box::new(gen_expr(u, FTy::F64, scope, exact, d)?)),
            FTy::F64 => FExpr::Promote(Box::new(gen_expr(u, FTy::F32, scope, exact, d)?)),
        },
    };
    debug_assert!(!exact || !e.may_choose(), "an exact expression that may choose a NaN: {e:?}");
    Ok(e)
}

fn gen_leaf(u: &mut Unstructured<'_>, ty: FTy, scope: Scope) -> Result<FExpr> {
    let mut leaves = vec![0u8];
    if scope.param && ty == FTy::F64 {
        leaves.extend([1, 1]);
    }
    if scope.globals {
        leaves.extend([2, 3]);
    }
    Ok(match *u.choose(&leaves)? {
        1 => FExpr::Param,
        2 => FExpr::Imm(ty),
        3 => FExpr::MutCanon(ty),
        _ => FExpr::Const(ty, gen_const(u, ty)?),
    })
}

impl FExpr {
    pub(crate) fn ty(&self) -> FTy {
        match self {
            FExpr::Const(t, _) | FExpr::Imm(t) | FExpr::MutCanon(t) => *t,
            FExpr::Param | FExpr::Promote(_) => FTy::F64,
            FExpr::Demote(_) => FTy::F32,
            FExpr::Neg(e)
            | FExpr::Abs(e)
            | FExpr::CopySign(e, _)
            | FExpr::Select(e, _, _)
            | FExpr::Tee(e)
            | FExpr::Bits(e, _)
            | FExpr::Canon(e)
            | FExpr::Bin(_, e, _)
            | FExpr::Un(_, e) => e.ty(),
        }
    }

    /// Whether it may choose a NaN: arithmetic outside [`FExpr::Canon`].
    pub(crate) fn may_choose(&self) -> bool {
        match self {
            FExpr::Const(..) | FExpr::Param | FExpr::Imm(_) | FExpr::MutCanon(_) | FExpr::Canon(_) => false,
            FExpr::Bin(..) | FExpr::Un(..) | FExpr::Demote(_) | FExpr::Promote(_) => true,
            FExpr::Neg(e) | FExpr::Abs(e) | FExpr::Tee(e) | FExpr::Bits(e, _) => e.may_choose(),
            FExpr::CopySign(a, b) | FExpr::Select(a, b, _) => a.may_choose() || b.may_choose(),
        }
    }

    /// Its value (§4.3.3), given the parameter's bits and main's globals.
    ///
    /// # Panics
    /// If a reinterpretation or a `copysign`'s sign sees a chosen NaN (the
    /// generator never makes such an expression).
    pub(crate) fn eval(&self, param: u64, env: &FEnv) -> FVal {
        let ty = self.ty();
        let exact = |e: &FExpr| match e.eval(param, env) {
            FVal::Exact(b) => b,
            FVal::Chosen { .. } => panic!("generator bug: a chosen NaN in an exact place: {e:?}"),
        };
        match self {
            FExpr::Const(_, b) => FVal::Exact(*b),
            FExpr::Param => FVal::Exact(param),
            FExpr::Imm(FTy::F32) => FVal::Exact(env.cf),
            FExpr::Imm(FTy::F64) => FVal::Exact(env.cd),
            FExpr::MutCanon(FTy::F32) => FVal::Exact(env.gf.canonicalised(FTy::F32)),
            FExpr::MutCanon(FTy::F64) => FVal::Exact(env.gd.canonicalised(FTy::F64)),
            FExpr::Neg(e) => match e.eval(param, env) {
                FVal::Exact(b) => FVal::Exact(b ^ ty.sign()),
                chosen => chosen,
            },
            FExpr::Abs(e) => match e.eval(param, env) {
                FVal::Exact(b) => FVal::Exact(b & !ty.sign()),
                chosen => chosen,
            },
            FExpr::CopySign(a, s) => {
                let sign = exact(s) & ty.sign();
                match a.eval(param, env) {
                    FVal::Exact(b) => FVal::Exact(b & !ty.sign() | sign),
                    chosen => chosen,
                }
            }
            FExpr::Select(a, b, first) => {
                let (a, b) = (a.eval(param, env), b.eval(param, env));
                if *first { a } else { b }
            }
            FExpr::Tee(e) => e.eval(param, env),
            FExpr::Bits(e, mask) => FVal::Exact(exact(e) ^ mask),
            FExpr::Canon(e) => FVal::Exact(e.eval(param, env).canonicalised(ty)),
            FExpr::Bin(op, a, b) => arith(ty, &[a.eval(param, env), b.eval(param, env)], |x| bin(ty, *op, x[0], x[1])),
            FExpr::Un(op, e) => arith(ty, &[e.eval(param, env)], |x| un(ty, *op, x[0])),
            FExpr::Demote(e) => {
                arith_from(FTy::F64, ty, e.eval(param, env), |x| u64::from((f64::from_bits(x) as f32).to_bits()))
            }
            FExpr::Promote(e) => {
                arith_from(FTy::F32, ty, e.eval(param, env), |x| f64::from(f32::from_bits(x as u32)).to_bits())
            }
        }
    }

    /// Its folded WAT text; it may use the locals `$tf` (`f32`) and `$td`
    /// (`f64`) (see [`LOCALS`]), and main's globals `$gf`, `$gd`, `$cf`, `$cd`.
    pub(crate) fn render(&self) -> String {
        let t = self.ty().name();
        match self {
            FExpr::Const(ty, b) => format!("({t}.const {})", literal(*ty, *b)),
            FExpr::Param => "(local.get 0)".into(),
            FExpr::Imm(ty) => format!("(global.get {})", global(*ty, false)),
            FExpr::MutCanon(ty) => canon(*ty, &format!("(global.get {})", global(*ty, true))),
            FExpr::Neg(e) => format!("({t}.neg {})", e.render()),
            FExpr::Abs(e) => format!("({t}.abs {})", e.render()),
            FExpr::CopySign(a, s) => format!("({t}.copysign {} {})", a.render(), s.render()),
            FExpr::Select(a, b, first) => {
                format!("(select {} {} (i32.const {}))", a.render(), b.render(), *first as i32)
            }
            FExpr::Tee(e) => format!("(local.tee {} {})", self.ty().local(), e.render()),
            FExpr::Bits(e, mask) => {
                let i = self.ty().int();
                let mask = match self.ty() {
                    FTy::F32 => i64::from(*mask as u32 as i32),
                    FTy::F64 => *mask as i64,
                };
                format!("({t}.reinterpret_{i} ({i}.xor ({i}.reinterpret_{t} {}) ({i}.const {mask})))", e.render())
            }
            FExpr::Canon(e) => canon(self.ty(), &e.render()),
            FExpr::Bin(op, a, b) => {
                let op = match op {
                    Arith2::Add => "add",
                    Arith2::Sub => "sub",
                    Arith2::Mul => "mul",
                    Arith2::Div => "div",
                    Arith2::Min => "min",
                    Arith2::Max => "max",
                };
                format!("({t}.{op} {} {})", a.render(), b.render())
            }
            FExpr::Un(op, e) => {
                let op = match op {
                    Arith1::Sqrt => "sqrt",
                    Arith1::Ceil => "ceil",
                    Arith1::Floor => "floor",
                    Arith1::Trunc => "trunc",
                    Arith1::Nearest => "nearest",
                };
                format!("({t}.{op} {})", e.render())
            }
            FExpr::Demote(e) => format!("(f32.demote_f64 {})", e.render()),
            FExpr::Promote(e) => format!("(f64.promote_f32 {})", e.render()),
        }
    }
}

/// The locals a function declares to hold [`FExpr`]s.
pub(crate) const LOCALS: &str = " (local $tf f32) (local $td f64)";

/// Main's float global of type `ty`: mutable (`$gf`, `$gd`) or not (`$cf`, `$cd`).
pub(crate) fn global(ty: FTy, mutable: bool) -> &'static str {
    match (ty, mutable) {
        (FTy::F32, true) => "$gf",
        (FTy::F64, true) => "$gd",
        (FTy::F32, false) => "$cf",
        (FTy::F64, false) => "$cd",
    }
}

/// `value` canonicalised: through the local, compared with itself, the
/// canonical NaN selected where it is a NaN.
pub(crate) fn canon(ty: FTy, value: &str) -> String {
    let (t, l) = (ty.name(), ty.local());
    format!("(select ({t}.const nan) (local.tee {l} {value}) ({t}.ne (local.get {l}) (local.get {l})))")
}

/// The result of an arithmetic rule on `operands` (§4.3.3): a chosen NaN if
/// an operand is one (canonical if all NaN operands are) or if `f` gives
/// one (canonical), else exactly what `f` computes.
fn arith(ty: FTy, operands: &[FVal], f: impl Fn(&[u64]) -> u64) -> FVal {
    if let Some(canonical) = nan_operands(ty, operands) {
        return FVal::Chosen { canonical };
    }
    let bits: Vec<u64> = operands
        .iter()
        .map(|v| match v {
            FVal::Exact(b) => *b,
            FVal::Chosen { .. } => unreachable!("a chosen value is a NaN"),
        })
        .collect();
    let r = f(&bits);
    if ty.is_nan(r) { FVal::Chosen { canonical: true } } else { FVal::Exact(r) }
}

/// A conversion from `from` to `to` (§4.3.4 `demote`, `promote`): a NaN
/// gives a chosen NaN, canonical if the operand was.
fn arith_from(from: FTy, to: FTy, v: FVal, f: impl Fn(u64) -> u64) -> FVal {
    match v.nan(from) {
        Some(canonical) => FVal::Chosen { canonical },
        None => match v {
            FVal::Exact(b) => {
                let r = f(b);
                if to.is_nan(r) { FVal::Chosen { canonical: true } } else { FVal::Exact(r) }
            }
            FVal::Chosen { .. } => unreachable!("a chosen value is a NaN"),
        },
    }
}

/// `Some(all canonical)` if some operand is a NaN.
fn nan_operands(ty: FTy, operands: &[FVal]) -> Option<bool> {
    let nans: Vec<bool> = operands.iter().filter_map(|v| v.nan(ty)).collect();
    (!nans.is_empty()).then(|| nans.iter().all(|c| *c))
}

/// A binary operator on non-NaN operands (IEEE 754, round to nearest even;
/// `min`/`max` order the zeros, §4.3.3 `fmin`, `fmax`).
fn bin(ty: FTy, op: Arith2, x: u64, y: u64) -> u64 {
    macro_rules! go {
        ($f:ty, $u:ty) => {{
            let (a, b) = (<$f>::from_bits(x as $u), <$f>::from_bits(y as $u));
            let r: $f = match op {
                Arith2::Add => a + b,
                Arith2::Sub => a - b,
                Arith2::Mul => a * b,
                Arith2::Div => a / b,
                // Equal operands: the same bits unless they are zeros of both
                // signs, where min is -0 (either sign bit) and max is +0 (both).
                Arith2::Min if a == b => <$f>::from_bits(a.to_bits() | b.to_bits()),
                Arith2::Max if a == b => <$f>::from_bits(a.to_bits() & b.to_bits()),
                Arith2::Min => {
                    if a < b {
                        a
                    } else {
                        b
                    }
                }
                Arith2::Max => {
                    if a > b {
                        a
                    } else {
                        b
                    }
                }
            };
            u64::from(r.to_bits())
        }};
    }
    match ty {
        FTy::F32 => go!(f32, u32),
        FTy::F64 => go!(f64, u64),
    }
}

/// A unary operator on a non-NaN operand (IEEE 754; zeros keep their sign).
fn un(ty: FTy, op: Arith1, x: u64) -> u64 {
    macro_rules! go {
        ($f:ty, $u:ty) => {{
            let a = <$f>::from_bits(x as $u);
            let r: $f = match op {
                Arith1::Sqrt => a.sqrt(),
                Arith1::Ceil => a.ceil(),
                Arith1::Floor => a.floor(),
                Arith1::Trunc => a.trunc(),
                Arith1::Nearest => a.round_ties_even(),
            };
            u64::from(r.to_bits())
        }};
    }
    match ty {
        FTy::F32 => go!(f32, u32),
        FTy::F64 => go!(f64, u64),
    }
}

/// The exact text of a float (hexadecimal, or `nan:0x…` with its payload),
/// without the `fN.const`.
pub(crate) fn literal(ty: FTy, bits: u64) -> String {
    let sign = if bits & ty.sign() != 0 { "-" } else { "" };
    let (exp_bits, mant_bits, bias) = match ty {
        FTy::F32 => (8, 23, 127),
        FTy::F64 => (11, 52, 1023),
    };
    let exp = (bits >> mant_bits) & ((1 << exp_bits) - 1);
    let mant = bits & ((1u64 << mant_bits) - 1);
    // The fraction in whole hex digits: 23 bits shifted to 24, 52 as they are.
    let (digits, frac) = match ty {
        FTy::F32 => (6, mant << 1),
        FTy::F64 => (13, mant),
    };
    if exp == (1 << exp_bits) - 1 {
        return if mant == 0 { format!("{sign}inf") } else { format!("{sign}nan:0x{mant:x}") };
    }
    if exp == 0 {
        return if mant == 0 { format!("{sign}0x0p+0") } else { format!("{sign}0x0.{frac:0digits$x}p{}", 1 - bias) };
    }
    format!("{sign}0x1.{frac:0digits$x}p{}", exp as i64 - bias)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bits the text format gives `lit` (a module with one global).
    fn parsed(ty: FTy, lit: &str) -> u64 {
        let text = format!("(module (global {t} ({t}.const {lit})))", t = ty.name());
        let bytes = wat::parse_str(&text).expect("a literal parses");
        for payload in wasmparser::Parser::new(0).parse_all(&bytes) {
            if let wasmparser::Payload::GlobalSection(r) = payload.expect("valid") {
                let g = r.into_iter().next().expect("one global").expect("valid");
                return match g.init_expr.get_operators_reader().read().expect("valid") {
                    wasmparser::Operator::F32Const { value } => u64::from(value.bits()),
                    wasmparser::Operator::F64Const { value } => value.bits(),
                    op => panic!("not a float constant: {op:?}"),
                };
            }
        }
        panic!("no global")
    }

    #[test]
    fn literals_are_exact() {
        assert_eq!(literal(FTy::F32, 0x3fc0_0000), "0x1.800000p0");
        assert_eq!(literal(FTy::F32, 0x8000_0001), "-0x0.000002p-126");
        assert_eq!(literal(FTy::F32, 0xff80_0001), "-nan:0x1");
        assert_eq!(literal(FTy::F64, 0x8000_0000_0000_0000), "-0x0p+0");
        assert_eq!(literal(FTy::F64, 0x7ff0_0000_0000_0000), "inf");
        let mut bits: Vec<(FTy, u64)> = F32_POOL.iter().map(|b| (FTy::F32, u64::from(*b))).collect();
        bits.extend(F64_POOL.iter().map(|b| (FTy::F64, *b)));
        // And a few thousand others (a linear congruential sequence).
        let mut x: u64 = 0x5eed;
        for _ in 0..4000 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            bits.push((FTy::F32, x >> 32));
            bits.push((FTy::F64, x));
        }
        for (ty, b) in bits {
            assert_eq!(parsed(ty, &literal(ty, b)), b, "{} {b:#x}: {}", ty.name(), literal(ty, b));
        }
    }

    #[test]
    fn nan_classes_follow_the_operands() {
        let env = FEnv { cf: 0, cd: 0, gf: FVal::Exact(0), gd: FVal::Exact(0) };
        let c = |b: u64| Box::new(FExpr::Const(FTy::F32, b));
        let add = |a, b| FExpr::Bin(Arith2::Add, c(a), c(b)).eval(0, &env);
        assert_eq!(add(0x7fc0_0000, 0x3fc0_0000), FVal::Chosen { canonical: true });
        assert_eq!(add(0xffc0_0000, 0x7f80_0001), FVal::Chosen { canonical: false });
        assert_eq!(add(0x7f80_0000, 0xff80_0000), FVal::Chosen { canonical: true });
        assert_eq!(add(0x3fc0_0000, 0x3fc0_0000), FVal::Exact(0x4040_0000));
        let min = FExpr::Bin(Arith2::Min, c(0), c(0x8000_0000)).eval(0, &env);
        assert_eq!(min, FVal::Exact(0x8000_0000));
        let neg = FExpr::Neg(Box::new(FExpr::Bin(Arith2::Add, c(0x7fa0_0000), c(0))));
        assert_eq!(neg.eval(0, &env), FVal::Chosen { canonical: false });
        assert!(neg.may_choose());
        assert_eq!(FExpr::Canon(Box::new(neg)).eval(0, &env), FVal::Exact(0x7fc0_0000));
        assert_eq!(FExpr::Bits(c(0x7fa0_0000), 0x8000_0000).eval(0, &env), FVal::Exact(0xffa0_0000));
    }
}
