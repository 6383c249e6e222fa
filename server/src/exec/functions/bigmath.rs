//! `exp`, `log` and `log10` of `decimal` and `varint` as Cassandra 5.0 computes them
//! (`DecimalType.exp/log/log10`, on ch.obermuhlner's `BigDecimalMath`): the result
//! has `max(32, precision(x))` significant digits (at most 10000), rounded HALF_EVEN,
//! trailing zeros kept, as `BigDecimal.round(MathContext)` leaves them. A varint goes
//! through the decimal of the same value and comes back truncated toward zero
//! (`IntegerType.exp`: `toBigInteger()`).
//!
//! The values are computed in fixed point on `BigInt` with 25 guard digits and then
//! rounded once, so they are the correctly rounded result (BigDecimalMath aims for the
//! same; it can differ in the last digit only where its own error exceeds half a unit).
//! The special cases are BigDecimalMath's: `exp(0)` is `1`, `log(1)` is `0`, `log10(1)`
//! is the zero `0E+(p+1)` that `0.divide(log(10), mc)` gives.

use num_bigint::BigInt;
use num_traits::{One, Signed, ToPrimitive, Zero};

use super::decimal::{pow10, Dec};

/// `DecimalType.MIN_SIGNIFICANT_DIGITS` and `MAX_PRECISION`.
const MIN_DIGITS: i64 = 32;
const MAX_DIGITS: i64 = 10_000;
/// Digits computed beyond the result's precision before the final rounding.
const GUARD: i64 = 25;
/// Square roots taken before the atanh series of `ln` (the argument gets within
/// 10^(1/4096) of 1; the result is multiplied back by 4096).
const SQRT_STEPS: u32 = 12;
/// Halvings before the Taylor series of `exp` (squared back afterwards).
const EXP_HALVINGS: u32 = 10;
/// A varint result of `exp` with more digits than this is refused rather than
/// materialised (Cassandra would try to build it in memory).
const MAX_VARINT_DIGITS: i64 = 1_000_000;

/// Why a computation has no value: Java's `ArithmeticException` texts.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MathError {
    #[error("Natural log of number zero or less")]
    LogOfNonPositive,
    #[error("Log10 of number zero or less")]
    Log10OfNonPositive,
    /// `intValueExact()` of an integral part beyond an int (BigDecimalMath.exp).
    #[error("Overflow")]
    Overflow,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BigFn {
    Exp,
    Log,
    Log10,
}

/// `DecimalType.exp/log/log10(x)`.
pub fn decimal(f: BigFn, x: &Dec) -> Result<Dec, MathError> {
    let p = x.precision().clamp(MIN_DIGITS, MAX_DIGITS);
    match f {
        BigFn::Exp => exp(x, p),
        BigFn::Log => ln(x, p, MathError::LogOfNonPositive),
        BigFn::Log10 => log10(x, p),
    }
}

/// `IntegerType.exp/log/log10(x)`: the decimal result truncated toward zero.
pub fn varint(f: BigFn, x: &BigInt) -> Result<BigInt, MathError> {
    let d = decimal(f, &Dec::new(x.clone(), 0))?;
    if i64::from(d.scale) < -MAX_VARINT_DIGITS {
        return Err(MathError::Overflow);
    }
    if i64::from(d.scale) >= digits(&d.unscaled) {
        // |d| < 1 (exp of a large negative number): truncates to 0 without
        // materialising 10^scale.
        return Ok(BigInt::zero());
    }
    Ok(d.to_bigint())
}

/// `x.compareTo(ONE) == 0`.
fn is_one(x: &Dec) -> bool {
    x.scale >= 0
        && digits(&x.unscaled) == i64::from(x.scale) + 1
        && x.unscaled == pow10_of(i64::from(x.scale))
}

fn digits(i: &BigInt) -> i64 {
    if i.is_zero() {
        1
    } else {
        i.magnitude().to_string().len() as i64
    }
}

fn pow10_of(n: i64) -> BigInt {
    pow10(u32::try_from(n.max(0)).unwrap_or(u32::MAX))
}

/// `value × 10^-scale` rounded HALF_EVEN to `p` significant digits.
fn round_sig(value: BigInt, scale: i64, p: i64) -> Dec {
    let mut scale = scale;
    let mut v = value;
    let drop = digits(&v) - p;
    if drop > 0 {
        v = div_half_even(&v, &pow10_of(drop));
        scale -= drop;
        if digits(&v) > p {
            // 9.99… rounded up to 10.0…: one digit too many, and it is a zero.
            v /= 10;
            scale -= 1;
        }
    }
    Dec::new(v, i32::try_from(scale).unwrap_or(i32::MIN))
}

fn div_half_even(n: &BigInt, d: &BigInt) -> BigInt {
    let (q, r) = num_integer::Integer::div_rem(n, d);
    let twice = r.abs() * 2u32;
    let up = match twice.cmp(&d.abs()) {
        std::cmp::Ordering::Greater => true,
        std::cmp::Ordering::Equal => num_integer::Integer::is_odd(&q),
        std::cmp::Ordering::Less => false,
    };
    if !up {
        q
    } else if n.is_negative() != d.is_negative() {
        q - 1
    } else {
        q + 1
    }
}

/// Fixed point: an integer `X` stands for `X / 10^w`.
struct Fixed {
    w: i64,
    one: BigInt,
}

impl Fixed {
    fn new(w: i64) -> Fixed {
        Fixed {
            w,
            one: pow10_of(w),
        }
    }

    fn mul(&self, a: &BigInt, b: &BigInt) -> BigInt {
        a * b / &self.one
    }

    fn div(&self, a: &BigInt, b: &BigInt) -> BigInt {
        a * &self.one / b
    }

    /// A decimal at this scale (truncated).
    fn of(&self, x: &Dec) -> BigInt {
        let shift = self.w - i64::from(x.scale);
        if shift >= 0 {
            &x.unscaled * pow10_of(shift)
        } else {
            &x.unscaled / pow10_of(-shift)
        }
    }

    /// `ln(m)` for `1 <= m <= 10` given at this scale: `2^j · 2·atanh((y-1)/(y+1))`
    /// with `y = m^(1/2^j)`.
    fn ln_small(&self, m: &BigInt) -> BigInt {
        let mut y = m.clone();
        for _ in 0..SQRT_STEPS {
            y = (&y * &self.one).sqrt();
        }
        let z = self.div(&(&y - &self.one), &(&y + &self.one));
        let z2 = self.mul(&z, &z);
        let mut sum = z.clone();
        let mut term = z;
        let mut n = 1u32;
        loop {
            term = self.mul(&term, &z2);
            if term.is_zero() {
                break;
            }
            sum += &term / (2 * n + 1);
            n += 1;
        }
        sum * (2u32 << SQRT_STEPS)
    }

    fn ln10(&self) -> BigInt {
        self.ln_small(&(&self.one * 10u32))
    }
}

/// `ln(x)` to `p` significant digits.
fn ln(x: &Dec, p: i64, non_positive: MathError) -> Result<Dec, MathError> {
    if !x.unscaled.is_positive() {
        return Err(non_positive);
    }
    if is_one(x) {
        return Ok(Dec::new(BigInt::zero(), 0));
    }
    Ok(ln_fixed(x, p, |w, r| round_sig(r, w, p)))
}

/// `ln(x)` at a working scale large enough for `p` significant digits, handed to
/// `finish` with that scale. Near 1 (or just below a power of ten) the logarithm is
/// small and the digits cancel, so the scale grows until enough digits survive.
fn ln_fixed<T>(x: &Dec, p: i64, finish: impl Fn(i64, BigInt) -> T) -> T {
    let d = digits(&x.unscaled);
    // x = m · 10^k with 1 <= m < 10.
    let k = d - 1 - i64::from(x.scale);
    let mut w = p + GUARD;
    loop {
        let fx = Fixed::new(w);
        let m = fx.of(&Dec::new(
            x.unscaled.clone(),
            i32::try_from(d - 1).unwrap_or(i32::MAX),
        ));
        let mut r = fx.ln_small(&m);
        if k != 0 {
            // k·ln(10) needs ln(10) to digits(k) more places.
            let kd = digits(&BigInt::from(k));
            let f10 = Fixed::new(w + kd);
            r += BigInt::from(k) * f10.ln10() / pow10_of(kd);
        }
        let have = if r.is_zero() { 0 } else { digits(&r) };
        if have >= p + GUARD / 2 || w > p + GUARD + 4 * (d + i64::from(x.scale).abs() + p) {
            return finish(w, r);
        }
        w += p + GUARD - have;
    }
}

fn log10(x: &Dec, p: i64) -> Result<Dec, MathError> {
    if !x.unscaled.is_positive() {
        return Err(MathError::Log10OfNonPositive);
    }
    if is_one(x) {
        // log(1) is ZERO, and ZERO.divide(log(10) at p+2 digits) keeps the preferred
        // scale 0 - (p+1).
        return Ok(Dec::new(
            BigInt::zero(),
            i32::try_from(-(p + 1)).unwrap_or(i32::MIN),
        ));
    }
    Ok(ln_fixed(x, p, |w, r| {
        let fx = Fixed::new(w);
        round_sig(fx.div(&r, &fx.ln10()), w, p)
    }))
}

/// `e^x` to `p` significant digits: `x = n·ln(10) + f`, `e^x = e^f · 10^n`.
fn exp(x: &Dec, p: i64) -> Result<Dec, MathError> {
    if x.unscaled.is_zero() {
        return Ok(Dec::new(BigInt::one(), 0));
    }
    let w = p + GUARD;
    // |x| below 10^-w: e^x rounds to 1 (or to the p nines just below it), and x itself
    // need not be scaled (its scale may be near i32::MAX).
    if digits(&x.unscaled) - i64::from(x.scale) < -w {
        return Ok(if x.unscaled.is_positive() {
            Dec::new(pow10_of(p - 1), i32::try_from(p - 1).unwrap_or(i32::MAX))
        } else {
            Dec::new(pow10_of(p) - 1, i32::try_from(p).unwrap_or(i32::MAX))
        });
    }
    // BigDecimalMath.exp takes `integralPart.intValueExact()` (looked at through the
    // digits first: 10^10 is past any int, and a huge exponent is not materialised).
    if digits(&x.unscaled) - 1 - i64::from(x.scale) >= 10 || x.to_bigint().to_i32().is_none() {
        return Err(MathError::Overflow);
    }
    let n = (x.to_f64() / std::f64::consts::LN_10).floor() as i64;
    let nd = digits(&BigInt::from(n)) + 1;
    let wide = Fixed::new(w + nd);
    let f_wide = wide.of(x) - BigInt::from(n) * wide.ln10();
    let fx = Fixed::new(w);
    let g = f_wide / pow10_of(nd) / (1u32 << EXP_HALVINGS);
    let mut sum = fx.one.clone();
    let mut term = fx.one.clone();
    let mut i = 1u32;
    loop {
        term = fx.mul(&term, &g) / i;
        if term.is_zero() {
            break;
        }
        sum += &term;
        i += 1;
    }
    for _ in 0..EXP_HALVINGS {
        sum = fx.mul(&sum, &sum);
    }
    Ok(round_sig(sum, w - n, p))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Dec {
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        let u: BigInt = format!("{int}{frac}").parse().unwrap();
        Dec::new(u, frac.len() as i32)
    }

    fn text(d: &Dec) -> String {
        format!("{}E{}", d.unscaled, -d.scale)
    }

    #[test]
    fn exp_log_log10_of_decimals_have_32_digits() {
        // e, ln 2, log10 2 to 32 significant digits (HALF_EVEN).
        let e = decimal(BigFn::Exp, &dec("1")).unwrap();
        assert_eq!(text(&e), "27182818284590452353602874713527E-31");
        let l2 = decimal(BigFn::Log, &dec("2")).unwrap();
        assert_eq!(text(&l2), "69314718055994530941723212145818E-32");
        let lg2 = decimal(BigFn::Log10, &dec("2")).unwrap();
        assert_eq!(text(&lg2), "30102999566398119521373889472449E-32");
        let l10 = decimal(BigFn::Log, &dec("10")).unwrap();
        assert_eq!(text(&l10), "23025850929940456840179914546844E-31");
        let em1 = decimal(BigFn::Exp, &dec("-1")).unwrap();
        assert_eq!(text(&em1), "36787944117144232159552377016146E-32");
    }

    #[test]
    fn special_values_and_errors() {
        assert_eq!(text(&decimal(BigFn::Exp, &dec("0.00")).unwrap()), "1E0");
        assert_eq!(text(&decimal(BigFn::Log, &dec("1.000")).unwrap()), "0E0");
        assert_eq!(text(&decimal(BigFn::Log10, &dec("1")).unwrap()), "0E33");
        assert_eq!(
            text(&decimal(BigFn::Log10, &dec("100")).unwrap()),
            "20000000000000000000000000000000E-31"
        );
        assert_eq!(
            decimal(BigFn::Log, &dec("0")),
            Err(MathError::LogOfNonPositive)
        );
        assert_eq!(
            decimal(BigFn::Log10, &dec("-1")),
            Err(MathError::Log10OfNonPositive)
        );
        assert_eq!(
            decimal(BigFn::Exp, &dec("3000000000")),
            Err(MathError::Overflow)
        );
        // Tiny arguments, even at an extreme scale: 1 and the 32 nines below it.
        let tiny = Dec::new(BigInt::from(5), i32::MAX);
        assert_eq!(
            text(&decimal(BigFn::Exp, &tiny).unwrap()),
            "10000000000000000000000000000000E-31"
        );
        let tiny = Dec::new(BigInt::from(-5), i32::MAX);
        assert_eq!(
            text(&decimal(BigFn::Exp, &tiny).unwrap()),
            "99999999999999999999999999999999E-32"
        );
        assert_eq!(
            varint(BigFn::Exp, &BigInt::from(-100_000)).unwrap(),
            BigInt::zero()
        );
    }

    #[test]
    fn logs_near_one_keep_their_digits() {
        // ln(1.0000001) = 9.9999995000000333333308333335333e-8
        let r = decimal(BigFn::Log, &dec("1.0000001")).unwrap();
        assert_eq!(text(&r), "99999995000000333333308333335333E-39");
        // ln(0.999) = -0.0010005003335835335001429822540683
        let r = decimal(BigFn::Log, &dec("0.999")).unwrap();
        assert_eq!(text(&r), "-10005003335835335001429822540683E-34");
    }

    #[test]
    fn varints_truncate_the_decimal_result() {
        assert_eq!(
            varint(BigFn::Exp, &BigInt::from(10)).unwrap(),
            BigInt::from(22026)
        );
        assert_eq!(
            varint(BigFn::Log, &BigInt::from(100)).unwrap(),
            BigInt::from(4)
        );
        assert_eq!(
            varint(BigFn::Log10, &BigInt::from(999)).unwrap(),
            BigInt::from(2)
        );
        let big = varint(BigFn::Exp, &BigInt::from(100)).unwrap();
        // e^100 = 2.6881171418161354484126255515800135873611118773741922…e43: 32
        // digits kept, the rest zeros.
        assert_eq!(
            big.to_string(),
            "26881171418161354484126255515800000000000000"
        );
        assert_eq!(
            varint(BigFn::Log, &BigInt::from(0)),
            Err(MathError::LogOfNonPositive)
        );
    }
}
