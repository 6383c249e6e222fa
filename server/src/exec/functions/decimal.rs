//! `decimal` arithmetic as Java's `BigDecimal` does it for Cassandra's `DecimalType`
//! (unscaled `BigInt` × 10^-scale), and the conversions Cassandra makes on the way in:
//! a non-big number becomes a decimal through `BigDecimal.valueOf(double)`, i.e. the
//! digits of Java's `Double.toString`, so `decimal 2 + int 3` is `5.0`, not `5`.

use num_bigint::{BigInt, Sign};
use num_traits::{Signed, ToPrimitive, Zero};

/// `DecimalType.MIN_SCALE` / `MIN_SIGNIFICANT_DIGITS` and `MAX_SCALE`: the bounds of
/// the scale Cassandra gives a quotient.
const MIN_SCALE: i64 = 32;
const MAX_SCALE: i64 = 1000;

/// A decimal value: `unscaled * 10^-scale`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dec {
    pub unscaled: BigInt,
    pub scale: i32,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DecError {
    #[error("A NaN cannot be converted into a decimal")]
    NaN,
    #[error("An infinite number cannot be converted into a decimal")]
    Infinite,
    /// Java's `ArithmeticException` texts for `BigDecimal.divide` / `remainder`.
    #[error("Division by zero")]
    DivisionByZero,
    #[error("Division undefined")]
    DivisionUndefined,
    #[error("Scale out of range")]
    ScaleOverflow,
}

pub fn pow10(n: u32) -> BigInt {
    num_traits::pow(BigInt::from(10), n as usize)
}

impl Dec {
    pub fn new(unscaled: BigInt, scale: i32) -> Dec {
        Dec { unscaled, scale }
    }

    pub fn from_bigint(i: BigInt) -> Dec {
        Dec::new(i, 0)
    }

    /// `BigDecimal.valueOf(d)`: the decimal whose digits are Java's `Double.toString(d)`.
    pub fn from_f64(d: f64) -> Result<Dec, DecError> {
        if d.is_nan() {
            return Err(DecError::NaN);
        }
        if d.is_infinite() {
            return Err(DecError::Infinite);
        }
        let (digits, exp) = java_digits(d);
        // Java prints at least one fractional digit in plain form ([1e-3, 1e7)) and at
        // least two mantissa digits in E form, so 3.0 has scale 1 and 1.0E7 scale -6.
        let n = digits.len() as i64;
        let abs = d.abs();
        let (unscaled_digits, scale) = if (1e-3..1e7).contains(&abs) || d == 0.0 {
            let frac = if exp >= 0 {
                (n - (exp + 1)).max(1)
            } else {
                n - 1 - exp
            };
            (pad(&digits, frac + exp + 1), frac)
        } else {
            let m = n.max(2);
            (pad(&digits, m), (m - 1) - exp)
        };
        let mut u: BigInt = unscaled_digits.parse().unwrap_or_default();
        if d.is_sign_negative() && d != 0.0 {
            u = -u;
        }
        Ok(Dec::new(u, scale as i32))
    }

    /// Java's `BigDecimal.precision()`: the number of digits of the unscaled value.
    pub fn precision(&self) -> i64 {
        if self.unscaled.is_zero() {
            1
        } else {
            self.unscaled.magnitude().to_string().len() as i64
        }
    }

    fn rescaled(&self, scale: i32) -> BigInt {
        // Only ever called with scale >= self.scale.
        let up = (i64::from(scale) - i64::from(self.scale)).max(0) as u32;
        &self.unscaled * pow10(up)
    }

    pub fn add(&self, o: &Dec) -> Dec {
        let s = self.scale.max(o.scale);
        Dec::new(self.rescaled(s) + o.rescaled(s), s)
    }

    pub fn sub(&self, o: &Dec) -> Dec {
        let s = self.scale.max(o.scale);
        Dec::new(self.rescaled(s) - o.rescaled(s), s)
    }

    pub fn mul(&self, o: &Dec) -> Result<Dec, DecError> {
        let s = i32::try_from(i64::from(self.scale) + i64::from(o.scale))
            .map_err(|_| DecError::ScaleOverflow)?;
        Ok(Dec::new(&self.unscaled * &o.unscaled, s))
    }

    /// `DecimalType.divide`: the quotient at a scale of at least 32 significant digits
    /// (bounded by 1000), rounded HALF_UP, trailing zeros stripped.
    pub fn div(&self, o: &Dec) -> Result<Dec, DecError> {
        if o.unscaled.is_zero() {
            return Err(if self.unscaled.is_zero() {
                DecError::DivisionUndefined
            } else {
                DecError::DivisionByZero
            });
        }
        let first_digit =
            (self.precision() - i64::from(self.scale)) - (o.precision() - i64::from(o.scale));
        let scale = (MIN_SCALE - first_digit)
            .max(i64::from(self.scale))
            .max(i64::from(o.scale))
            .clamp(MIN_SCALE, MAX_SCALE);
        // unscaled result = self.u * 10^(o.s + scale - self.s) / o.u
        let e = i64::from(o.scale) + scale - i64::from(self.scale);
        let (num, den) = if e >= 0 {
            (&self.unscaled * pow10(e as u32), o.unscaled.clone())
        } else {
            (self.unscaled.clone(), &o.unscaled * pow10((-e) as u32))
        };
        let q = div_half_up(&num, &den);
        Ok(Dec::new(q, scale as i32).strip_trailing_zeros())
    }

    /// `BigDecimal.remainder`: the sign of the dividend, at the larger scale.
    pub fn rem(&self, o: &Dec) -> Result<Dec, DecError> {
        if o.unscaled.is_zero() {
            return Err(if self.unscaled.is_zero() {
                DecError::DivisionUndefined
            } else {
                DecError::DivisionByZero
            });
        }
        let s = self.scale.max(o.scale);
        Ok(Dec::new(self.rescaled(s) % o.rescaled(s), s))
    }

    pub fn neg(&self) -> Dec {
        Dec::new(-&self.unscaled, self.scale)
    }

    pub fn abs(&self) -> Dec {
        Dec::new(self.unscaled.abs(), self.scale)
    }

    /// `setScale(0, HALF_UP)`.
    pub fn round(&self) -> Dec {
        if self.scale <= 0 {
            return Dec::new(self.rescaled(0), 0);
        }
        Dec::new(div_half_up(&self.unscaled, &pow10(self.scale as u32)), 0)
    }

    /// `BigDecimal.toBigInteger()`: truncation toward zero.
    pub fn to_bigint(&self) -> BigInt {
        if self.scale <= 0 {
            self.rescaled(0)
        } else {
            &self.unscaled / pow10(self.scale as u32)
        }
    }

    /// `BigDecimal.doubleValue()`, through the decimal text (exact to the nearest double).
    pub fn to_f64(&self) -> f64 {
        let s = format!("{}e{}", self.unscaled, -i64::from(self.scale));
        s.parse().unwrap_or(f64::NAN)
    }

    /// `BigDecimal.longValue()`: the low 64 bits of the truncated integer.
    pub fn to_i64_wrapping(&self) -> i64 {
        bigint_low_i64(&self.to_bigint())
    }

    pub fn strip_trailing_zeros(mut self) -> Dec {
        if self.unscaled.is_zero() {
            return Dec::new(BigInt::zero(), 0);
        }
        let ten = BigInt::from(10);
        loop {
            let (q, r) = num_integer::Integer::div_rem(&self.unscaled, &ten);
            if !r.is_zero() {
                break;
            }
            self.unscaled = q;
            self.scale -= 1;
        }
        self
    }
}

/// Java's `BigInteger.longValue()`: two's-complement truncation to 64 bits.
pub fn bigint_low_i64(i: &BigInt) -> i64 {
    if let Some(v) = i.to_i64() {
        return v;
    }
    let bytes = i.to_signed_bytes_le();
    let mut low = [if i.sign() == Sign::Minus { 0xFF } else { 0 }; 8];
    for (d, s) in low.iter_mut().zip(bytes.iter()) {
        *d = *s;
    }
    i64::from_le_bytes(low)
}

/// Integer division rounding half away from zero (`RoundingMode.HALF_UP`).
fn div_half_up(num: &BigInt, den: &BigInt) -> BigInt {
    let (q, r) = num_integer::Integer::div_rem(num, den);
    if (r.abs() * 2u32) >= den.abs() {
        let neg = (num.sign() == Sign::Minus) != (den.sign() == Sign::Minus);
        if neg {
            q - 1
        } else {
            q + 1
        }
    } else {
        q
    }
}

/// The shortest round-trip digits of `d` (no leading zeros) and the decimal exponent
/// of the first digit: 1234.5 → ("12345", 3). Java 19+ prints exactly these digits.
fn java_digits(d: f64) -> (String, i64) {
    if d == 0.0 {
        return ("0".into(), 0);
    }
    let s = format!("{:e}", d.abs());
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let digits: String = mant.chars().filter(char::is_ascii_digit).collect();
    let digits = digits.trim_end_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    (digits.to_string(), exp.parse().unwrap_or(0))
}

/// `digits` right-padded with zeros to `len` characters (at least the digits).
fn pad(digits: &str, len: i64) -> String {
    let mut s = digits.to_string();
    while (s.len() as i64) < len {
        s.push('0');
    }
    s
}

/// Java's `Double.toString` / `Float.toString` layout over the shortest digits:
/// plain with at least one fractional digit in [1e-3, 1e7), else `d.dddE±n`.
pub fn java_float_text(v: f64, digits_of: Option<f32>) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    let (digits, exp) = match digits_of {
        Some(f) => {
            let s = format!("{:e}", f.abs());
            let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
            let d: String = m.chars().filter(char::is_ascii_digit).collect();
            let d = d.trim_end_matches('0').to_string();
            (
                if d.is_empty() { "0".into() } else { d },
                e.parse().unwrap_or(0),
            )
        }
        None => java_digits(v),
    };
    let sign = if v.is_sign_negative() { "-" } else { "" };
    let abs = v.abs();
    if abs == 0.0 {
        return format!("{sign}0.0");
    }
    let n = digits.len() as i64;
    if (1e-3..1e7).contains(&abs) {
        if exp >= 0 {
            let int_len = (exp + 1) as usize;
            let padded = pad(&digits, exp + 2);
            let (i, f) = padded.split_at(int_len);
            let f = f.trim_end_matches('0');
            format!("{sign}{i}.{}", if f.is_empty() { "0" } else { f })
        } else {
            format!("{sign}0.{}{digits}", "0".repeat((-exp - 1) as usize))
        }
    } else {
        let (first, rest) = digits.split_at(1);
        let rest = if n > 1 { rest.to_string() } else { "0".into() };
        format!("{sign}{first}.{rest}E{exp}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(u: i64, s: i32) -> Dec {
        Dec::new(BigInt::from(u), s)
    }

    #[test]
    fn value_of_double_keeps_java_scale() {
        assert_eq!(Dec::from_f64(3.0).unwrap(), d(30, 1));
        assert_eq!(Dec::from_f64(1.5).unwrap(), d(15, 1));
        assert_eq!(Dec::from_f64(1e7).unwrap(), d(10, -6));
        assert_eq!(Dec::from_f64(0.001).unwrap(), d(1, 3));
        assert_eq!(Dec::from_f64(-0.25).unwrap(), d(-25, 2));
        assert_eq!(Dec::from_f64(0.0).unwrap(), d(0, 1));
        assert_eq!(Dec::from_f64(f64::NAN), Err(DecError::NaN));
    }

    #[test]
    fn division_has_32_significant_digits_half_up() {
        let q = d(1, 0).div(&d(3, 0)).unwrap();
        assert_eq!(q.scale, 32);
        assert_eq!(q.unscaled.to_string(), "3".repeat(32));
        assert_eq!(d(10, 0).div(&d(4, 0)).unwrap(), d(25, 1));
        assert_eq!(
            d(2, 0).div(&d(3, 0)).unwrap().unscaled.to_string(),
            format!("{}7", "6".repeat(31))
        );
        assert_eq!(d(1, 0).div(&d(0, 0)), Err(DecError::DivisionByZero));
    }

    #[test]
    fn round_half_up_and_remainder_sign() {
        assert_eq!(d(25, 1).round(), d(3, 0));
        assert_eq!(d(-25, 1).round(), d(-3, 0));
        assert_eq!(d(24, 1).round(), d(2, 0));
        assert_eq!(d(-7, 0).rem(&d(2, 0)).unwrap(), d(-1, 0));
        assert_eq!(d(75, 1).rem(&d(2, 0)).unwrap(), d(15, 1));
    }

    #[test]
    fn java_text_of_floats() {
        assert_eq!(java_float_text(1.0, None), "1.0");
        assert_eq!(java_float_text(1e10, None), "1.0E10");
        assert_eq!(java_float_text(1.5e-5, None), "1.5E-5");
        assert_eq!(java_float_text(123.25, None), "123.25");
        assert_eq!(java_float_text(0.0015, None), "0.0015");
        assert_eq!(java_float_text(-2.5, None), "-2.5");
        assert_eq!(java_float_text(f64::from(0.1f32), Some(0.1)), "0.1");
        assert_eq!(java_float_text(f64::NEG_INFINITY, None), "-Infinity");
    }

    #[test]
    fn low_bits_like_java() {
        let big = BigInt::from(u64::MAX) + 2u32; // 2^64 + 1
        assert_eq!(bigint_low_i64(&big), 1);
        assert_eq!(bigint_low_i64(&BigInt::from(-5)), -5);
    }
}
