//! Numbers: the arithmetic operators (Cassandra's `OperationFcts`), unary minus and the
//! math functions `abs`, `exp`, `log`, `log10`, `round` (`MathFcts`), with the result
//! types and Java semantics Cassandra has:
//! - the result type of `a op b` is the wider of the two (a floating type wins; a
//!   variable-size one — varint, decimal — beats any fixed size; counter counts as
//!   bigint), so `tinyint + int` is an int and `bigint * float` a double;
//! - fixed-size integers wrap like Java (`(byte) (a + b)`), integer division or modulo
//!   by zero fails with Java's `/ by zero`;
//! - float and double follow IEEE (`1.0 / 0` is `Infinity`);
//! - varint and decimal are exact (decimal division: see [`super::decimal`]);
//! - a math function returns its argument's type: `exp(tinyint)` is the Java narrowing
//!   `(byte) Math.exp(x)`, so `exp(100)` on a tinyint is -1 (saturate to
//!   Integer.MAX_VALUE, keep the low byte), as Cassandra's `ByteType.exp`; exp/log/
//!   log10 of decimal and varint are BigDecimal computations ([`super::bigmath`]).

use bytes::Bytes;
use cql::parser::ast::ArithmeticOp;
use cql::types::{CqlType, CqlValue};
use num_bigint::BigInt;
use num_traits::{Signed, ToPrimitive, Zero};

use super::bigmath;
use super::decimal::{bigint_low_i64, Dec, DecError};
use super::{decode, encode, FnError};

/// A numeric type of Cassandra's `NumberType` family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumType {
    Tinyint,
    Smallint,
    Int,
    Bigint,
    Counter,
    Float,
    Double,
    Varint,
    Decimal,
}

impl NumType {
    pub fn of(t: &CqlType) -> Option<NumType> {
        Some(match t.unfrozen() {
            CqlType::Tinyint => NumType::Tinyint,
            CqlType::Smallint => NumType::Smallint,
            CqlType::Int => NumType::Int,
            CqlType::Bigint => NumType::Bigint,
            CqlType::Counter => NumType::Counter,
            CqlType::Float => NumType::Float,
            CqlType::Double => NumType::Double,
            CqlType::Varint => NumType::Varint,
            CqlType::Decimal => NumType::Decimal,
            _ => return None,
        })
    }

    pub fn cql(self) -> CqlType {
        match self {
            NumType::Tinyint => CqlType::Tinyint,
            NumType::Smallint => CqlType::Smallint,
            NumType::Int => CqlType::Int,
            NumType::Bigint => CqlType::Bigint,
            NumType::Counter => CqlType::Counter,
            NumType::Float => CqlType::Float,
            NumType::Double => CqlType::Double,
            NumType::Varint => CqlType::Varint,
            NumType::Decimal => CqlType::Decimal,
        }
    }

    /// Bytes per value (`valueLengthIfFixed`), counter as bigint, unbounded as MAX.
    fn size(self) -> usize {
        match self {
            NumType::Tinyint => 1,
            NumType::Smallint => 2,
            NumType::Int | NumType::Float => 4,
            NumType::Bigint | NumType::Counter | NumType::Double => 8,
            NumType::Varint | NumType::Decimal => usize::MAX,
        }
    }

    fn is_floating(self) -> bool {
        matches!(self, NumType::Float | NumType::Double | NumType::Decimal)
    }
}

/// `OperationFcts.returnType`.
pub fn result_type(l: NumType, r: NumType) -> NumType {
    let size = l.size().max(r.size());
    if l.is_floating() || r.is_floating() {
        match size {
            4 => NumType::Float,
            8 => NumType::Double,
            _ => NumType::Decimal,
        }
    } else {
        match size {
            1 => NumType::Tinyint,
            2 => NumType::Smallint,
            4 => NumType::Int,
            8 => NumType::Bigint,
            _ => NumType::Varint,
        }
    }
}

/// A decoded number, in the widest form of its kind (Java's `Number`).
#[derive(Debug, Clone)]
pub enum Num {
    Int(i64),
    Float(f64),
    Big(BigInt),
    Dec(Dec),
}

impl Num {
    pub fn from_value(v: &CqlValue) -> Option<Num> {
        Some(match v {
            CqlValue::Tinyint(x) => Num::Int(i64::from(*x)),
            CqlValue::Smallint(x) => Num::Int(i64::from(*x)),
            CqlValue::Int(x) => Num::Int(i64::from(*x)),
            CqlValue::Bigint(x) | CqlValue::Counter(x) => Num::Int(*x),
            CqlValue::Float(x) => Num::Float(f64::from(*x)),
            CqlValue::Double(x) => Num::Float(*x),
            CqlValue::Varint(x) => Num::Big(x.clone()),
            CqlValue::Decimal { unscaled, scale } => Num::Dec(Dec::new(unscaled.clone(), *scale)),
            _ => return None,
        })
    }

    /// `Number.longValue()`.
    pub fn long_value(&self) -> i64 {
        match self {
            Num::Int(i) => *i,
            Num::Float(f) => *f as i64,
            Num::Big(b) => bigint_low_i64(b),
            Num::Dec(d) => d.to_i64_wrapping(),
        }
    }

    /// `Number.intValue()` (also the base of `byteValue` / `shortValue`).
    pub fn int_value(&self) -> i32 {
        match self {
            Num::Float(f) => *f as i32,
            other => other.long_value() as i32,
        }
    }

    /// `Number.doubleValue()`.
    pub fn double_value(&self) -> f64 {
        match self {
            Num::Int(i) => *i as f64,
            Num::Float(f) => *f,
            Num::Big(b) => b.to_f64().unwrap_or(f64::NAN),
            Num::Dec(d) => d.to_f64(),
        }
    }

    /// `Number.floatValue()`.
    pub fn float_value(&self) -> f32 {
        match self {
            Num::Int(i) => *i as f32,
            Num::Float(f) => *f as f32,
            other => other.double_value() as f32,
        }
    }

    /// `IntegerType.toBigInteger`: exact for integers, truncation for the others.
    pub fn big_value(&self) -> BigInt {
        match self {
            Num::Int(i) => BigInt::from(*i),
            Num::Big(b) => b.clone(),
            Num::Dec(d) => d.to_bigint(),
            Num::Float(f) => Dec::from_f64(*f)
                .map(|d| d.to_bigint())
                .unwrap_or_else(|_| BigInt::from(*f as i64)),
        }
    }

    /// `DecimalType.toBigDecimal`: exact for varint/decimal, else through the double.
    pub fn dec_value(&self) -> Result<Dec, DecError> {
        match self {
            Num::Dec(d) => Ok(d.clone()),
            Num::Big(b) => Ok(Dec::from_bigint(b.clone())),
            other => Dec::from_f64(other.double_value()),
        }
    }

    /// The value as a CQL value of numeric type `t`, with Java's narrowing.
    pub fn into_value(self, t: NumType) -> Result<CqlValue, DecError> {
        Ok(match t {
            NumType::Tinyint => CqlValue::Tinyint(self.int_value() as i8),
            NumType::Smallint => CqlValue::Smallint(self.int_value() as i16),
            NumType::Int => CqlValue::Int(self.int_value()),
            NumType::Bigint => CqlValue::Bigint(self.long_value()),
            NumType::Counter => CqlValue::Counter(self.long_value()),
            NumType::Float => CqlValue::Float(self.float_value()),
            NumType::Double => CqlValue::Double(self.double_value()),
            NumType::Varint => CqlValue::Varint(self.big_value()),
            NumType::Decimal => {
                let d = self.dec_value()?;
                CqlValue::Decimal {
                    unscaled: d.unscaled,
                    scale: d.scale,
                }
            }
        })
    }
}

pub fn op_symbol(op: ArithmeticOp) -> char {
    match op {
        ArithmeticOp::Add => '+',
        ArithmeticOp::Sub => '-',
        ArithmeticOp::Mul => '*',
        ArithmeticOp::Div => '/',
        ArithmeticOp::Rem => '%',
    }
}

/// A numeric binary operation, resolved at prepare time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arith {
    pub op: ArithmeticOp,
    pub left: NumType,
    pub right: NumType,
    pub ret: NumType,
}

impl Arith {
    pub fn new(op: ArithmeticOp, left: NumType, right: NumType) -> Arith {
        Arith {
            op,
            left,
            right,
            ret: result_type(left, right),
        }
    }

    /// Null or empty on either side gives null (`OperationFunction.execute`).
    pub fn call(&self, l: Option<&Bytes>, r: Option<&Bytes>) -> Result<Option<Bytes>, FnError> {
        let (Some(l), Some(r)) = (l, r) else {
            return Ok(None);
        };
        if l.is_empty() || r.is_empty() {
            return Ok(None);
        }
        let fail = |msg: String| FnError::Operation {
            left: self.left.cql(),
            op: op_symbol(self.op),
            right: self.right.cql(),
            msg,
        };
        let a = Num::from_value(&decode(l, &self.left.cql())?)
            .ok_or_else(|| fail("not a number".into()))?;
        let b = Num::from_value(&decode(r, &self.right.cql())?)
            .ok_or_else(|| fail("not a number".into()))?;
        let v = self.apply(&a, &b).map_err(fail)?;
        Ok(Some(encode(&v, &self.ret.cql())?))
    }

    fn apply(&self, a: &Num, b: &Num) -> Result<CqlValue, String> {
        use ArithmeticOp as Op;
        let div0 = || "/ by zero".to_string();
        Ok(match self.ret {
            NumType::Tinyint | NumType::Smallint | NumType::Int => {
                // Java promotes byte/short/int to int, then narrows the result.
                let (x, y) = (a.int_value(), b.int_value());
                let r = match self.op {
                    Op::Add => x.wrapping_add(y),
                    Op::Sub => x.wrapping_sub(y),
                    Op::Mul => x.wrapping_mul(y),
                    Op::Div if y == 0 => return Err(div0()),
                    Op::Div => x.wrapping_div(y),
                    Op::Rem if y == 0 => return Err(div0()),
                    Op::Rem => x.wrapping_rem(y),
                };
                Num::Int(i64::from(r))
                    .into_value(self.ret)
                    .map_err(|e| e.to_string())?
            }
            NumType::Bigint | NumType::Counter => {
                let (x, y) = (a.long_value(), b.long_value());
                CqlValue::Bigint(match self.op {
                    Op::Add => x.wrapping_add(y),
                    Op::Sub => x.wrapping_sub(y),
                    Op::Mul => x.wrapping_mul(y),
                    Op::Div if y == 0 => return Err(div0()),
                    Op::Div => x.wrapping_div(y),
                    Op::Rem if y == 0 => return Err(div0()),
                    Op::Rem => x.wrapping_rem(y),
                })
            }
            NumType::Float => {
                let (x, y) = (a.float_value(), b.float_value());
                CqlValue::Float(match self.op {
                    Op::Add => x + y,
                    Op::Sub => x - y,
                    Op::Mul => x * y,
                    Op::Div => x / y,
                    Op::Rem => x % y,
                })
            }
            NumType::Double => {
                let (x, y) = (a.double_value(), b.double_value());
                CqlValue::Double(match self.op {
                    Op::Add => x + y,
                    Op::Sub => x - y,
                    Op::Mul => x * y,
                    Op::Div => x / y,
                    Op::Rem => x % y,
                })
            }
            NumType::Varint => {
                let (x, y) = (a.big_value(), b.big_value());
                let zero = || "BigInteger divide by zero".to_string();
                CqlValue::Varint(match self.op {
                    Op::Add => x + y,
                    Op::Sub => x - y,
                    Op::Mul => x * y,
                    Op::Div if y.is_zero() => return Err(zero()),
                    Op::Div => x / y,
                    Op::Rem if y.is_zero() => return Err(zero()),
                    Op::Rem => x % y,
                })
            }
            NumType::Decimal => {
                let x = a.dec_value().map_err(|e| e.to_string())?;
                let y = b.dec_value().map_err(|e| e.to_string())?;
                let d = match self.op {
                    Op::Add => x.add(&y),
                    Op::Sub => x.sub(&y),
                    Op::Mul => x.mul(&y).map_err(|e| e.to_string())?,
                    Op::Div => x.div(&y).map_err(|e| e.to_string())?,
                    Op::Rem => x.rem(&y).map_err(|e| e.to_string())?,
                };
                CqlValue::Decimal {
                    unscaled: d.unscaled,
                    scale: d.scale,
                }
            }
        })
    }
}

/// `-x` in the operand's own type (`(byte) -x` wraps).
pub fn negate(t: NumType, b: Option<&Bytes>) -> Result<Option<Bytes>, FnError> {
    let Some(b) = b.filter(|b| !b.is_empty()) else {
        return Ok(None);
    };
    let n = Num::from_value(&decode(b, &t.cql())?).ok_or(FnError::NotANumber)?;
    let v = match (t, n) {
        (NumType::Tinyint | NumType::Smallint | NumType::Int, n) => {
            Num::Int(i64::from(n.int_value().wrapping_neg())).into_value(t)?
        }
        (NumType::Bigint | NumType::Counter, n) => CqlValue::Bigint(n.long_value().wrapping_neg()),
        (NumType::Float, n) => CqlValue::Float(-n.float_value()),
        (NumType::Double, n) => CqlValue::Double(-n.double_value()),
        (NumType::Varint, n) => CqlValue::Varint(-n.big_value()),
        (NumType::Decimal, n) => {
            let d = n.dec_value()?.neg();
            CqlValue::Decimal {
                unscaled: d.unscaled,
                scale: d.scale,
            }
        }
    };
    Ok(Some(encode(&v, &t.cql())?))
}

/// The 5.0 math functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MathFn {
    Abs,
    Exp,
    Log,
    Log10,
    Round,
}

impl MathFn {
    pub fn by_name(n: &str) -> Option<MathFn> {
        Some(match n {
            "abs" => MathFn::Abs,
            "exp" => MathFn::Exp,
            "log" => MathFn::Log,
            "log10" => MathFn::Log10,
            "round" => MathFn::Round,
            _ => return None,
        })
    }

    /// The BigDecimal computation of exp/log/log10 (decimal and varint).
    fn big_fn(self) -> Option<bigmath::BigFn> {
        match self {
            MathFn::Exp => Some(bigmath::BigFn::Exp),
            MathFn::Log => Some(bigmath::BigFn::Log),
            MathFn::Log10 => Some(bigmath::BigFn::Log10),
            MathFn::Abs | MathFn::Round => None,
        }
    }

    fn real(self, x: f64) -> f64 {
        match self {
            MathFn::Abs => x.abs(),
            MathFn::Exp => x.exp(),
            MathFn::Log => x.ln(),
            MathFn::Log10 => x.log10(),
            MathFn::Round => java_round(x),
        }
    }

    pub fn call(self, t: NumType, b: Option<&Bytes>) -> Result<Option<Bytes>, FnError> {
        let Some(b) = b.filter(|b| !b.is_empty()) else {
            return Ok(None);
        };
        let n = Num::from_value(&decode(b, &t.cql())?).ok_or(FnError::NotANumber)?;
        let v = match t {
            NumType::Tinyint | NumType::Smallint | NumType::Int => {
                let x = n.int_value();
                let r = match self {
                    MathFn::Abs => x.wrapping_abs(),
                    MathFn::Round => x,
                    // (byte) Math.exp(x): double → int saturating, then narrowed.
                    _ => self.real(f64::from(x)) as i32,
                };
                Num::Int(i64::from(r)).into_value(t)?
            }
            NumType::Bigint | NumType::Counter => {
                let x = n.long_value();
                CqlValue::Bigint(match self {
                    MathFn::Abs => x.wrapping_abs(),
                    MathFn::Round => x,
                    _ => self.real(x as f64) as i64,
                })
            }
            NumType::Float => {
                let x = n.float_value();
                CqlValue::Float(match self {
                    MathFn::Abs => x.abs(),
                    // Math.round(float) returns an int.
                    MathFn::Round => {
                        java_round(f64::from(x)).clamp(i32::MIN.into(), i32::MAX.into()) as f32
                    }
                    _ => self.real(f64::from(x)) as f32,
                })
            }
            NumType::Double => {
                let x = n.double_value();
                CqlValue::Double(match self {
                    // Math.round(double) returns a long.
                    MathFn::Round => (java_round(x) as i64) as f64,
                    _ => self.real(x),
                })
            }
            NumType::Varint => match self.big_fn() {
                None if self == MathFn::Abs => CqlValue::Varint(n.big_value().abs()),
                None => CqlValue::Varint(n.big_value()),
                Some(f) => CqlValue::Varint(bigmath::varint(f, &n.big_value())?),
            },
            NumType::Decimal => {
                let d = n.dec_value()?;
                let r = match self.big_fn() {
                    None if self == MathFn::Abs => d.abs(),
                    None => d.round(),
                    Some(f) => bigmath::decimal(f, &d)?,
                };
                CqlValue::Decimal {
                    unscaled: r.unscaled,
                    scale: r.scale,
                }
            }
        };
        Ok(Some(encode(&v, &t.cql())?))
    }
}

/// Java's `Math.round` as a double: `floor(x + 0.5)`, NaN → 0.
fn java_round(x: f64) -> f64 {
    if x.is_nan() {
        return 0.0;
    }
    let f = x.floor();
    if x - f >= 0.5 {
        f + 1.0
    } else {
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::values;

    fn ser(v: CqlValue, t: &CqlType) -> Bytes {
        values::serialize(&v, t)
    }

    fn arith(
        op: ArithmeticOp,
        l: CqlValue,
        lt: CqlType,
        r: CqlValue,
        rt: CqlType,
    ) -> Result<CqlValue, FnError> {
        let a = Arith::new(op, NumType::of(&lt).unwrap(), NumType::of(&rt).unwrap());
        let out = a.call(Some(&ser(l, &lt)), Some(&ser(r, &rt)))?.unwrap();
        Ok(values::deserialize(&out, &a.ret.cql()).unwrap())
    }

    #[test]
    fn result_types_follow_operation_fcts() {
        use NumType::*;
        assert_eq!(result_type(Tinyint, Int), Int);
        assert_eq!(result_type(Bigint, Float), Double);
        assert_eq!(result_type(Float, Smallint), Float);
        assert_eq!(result_type(Varint, Int), Varint);
        assert_eq!(result_type(Varint, Double), Decimal);
        assert_eq!(result_type(Counter, Int), Bigint);
    }

    #[test]
    fn integers_wrap_and_division_by_zero_fails() {
        use ArithmeticOp::*;
        let v = arith(
            Add,
            CqlValue::Int(i32::MAX),
            CqlType::Int,
            CqlValue::Int(1),
            CqlType::Int,
        )
        .unwrap();
        assert_eq!(v, CqlValue::Int(i32::MIN));
        let v = arith(
            Add,
            CqlValue::Tinyint(127),
            CqlType::Tinyint,
            CqlValue::Tinyint(1),
            CqlType::Tinyint,
        )
        .unwrap();
        assert_eq!(v, CqlValue::Tinyint(-128));
        let e = arith(
            Div,
            CqlValue::Int(1),
            CqlType::Int,
            CqlValue::Int(0),
            CqlType::Int,
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "the operation 'int / int' failed: / by zero");
        let v = arith(
            Rem,
            CqlValue::Int(-7),
            CqlType::Int,
            CqlValue::Int(2),
            CqlType::Int,
        )
        .unwrap();
        assert_eq!(v, CqlValue::Int(-1));
        let v = arith(
            Div,
            CqlValue::Double(1.0),
            CqlType::Double,
            CqlValue::Int(0),
            CqlType::Int,
        )
        .unwrap();
        assert_eq!(v, CqlValue::Double(f64::INFINITY));
    }

    #[test]
    fn decimal_mixes_with_ints_through_double() {
        let d = CqlValue::Decimal {
            unscaled: BigInt::from(2),
            scale: 0,
        };
        let v = arith(
            ArithmeticOp::Add,
            d,
            CqlType::Decimal,
            CqlValue::Int(3),
            CqlType::Int,
        )
        .unwrap();
        assert_eq!(
            v,
            CqlValue::Decimal {
                unscaled: BigInt::from(50),
                scale: 1
            }
        );
    }

    #[test]
    fn math_narrows_like_java() {
        let exp = |x: i8| {
            let out = MathFn::Exp
                .call(
                    NumType::Tinyint,
                    Some(&ser(CqlValue::Tinyint(x), &CqlType::Tinyint)),
                )
                .unwrap()
                .unwrap();
            values::deserialize(&out, &CqlType::Tinyint).unwrap()
        };
        assert_eq!(exp(100), CqlValue::Tinyint(-1));
        assert_eq!(exp(2), CqlValue::Tinyint(7));
        assert_eq!(java_round(2.5), 3.0);
        assert_eq!(java_round(-2.5), -2.0);
        assert_eq!(java_round(-2.6), -3.0);
    }
}
