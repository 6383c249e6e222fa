//! Values as CQL literals ([`CqlValue::to_cql_literal`]), for DESCRIBE output, error
//! messages and tools: text that the CQL parser reads back as the same value.

use super::{temporal, CqlValue};
use num_bigint::BigInt;

impl CqlValue {
    /// The value as a CQL literal: `'it''s'`, `0xcafe`, `'2011-02-03 04:05:00.000000+0000'`,
    /// `{1, 2}`, `[1, 2]`, `{'a': 1}`, `(1, 'x')`, `{f: 1}`, `1h30m`. [`CqlValue::Empty`]
    /// is written `0x` (CQL has no literal for an empty non-blob value).
    pub fn to_cql_literal(&self) -> String {
        let mut s = String::new();
        write_literal(self, &mut s);
        s
    }
}

/// `{}` writes the CQL literal ([`CqlValue::to_cql_literal`]).
impl std::fmt::Display for CqlValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_cql_literal())
    }
}

/// `'...'` with quotes doubled.
pub fn quote_string(v: &str) -> String {
    format!("'{}'", v.replace('\'', "''"))
}

/// Java's `BigDecimal.toString`: plain notation unless the scale is negative or the
/// number is very small, then `1.5E+3` style.
pub fn decimal_to_string(unscaled: &BigInt, scale: i32) -> String {
    let neg = unscaled.sign() == num_bigint::Sign::Minus;
    let coeff = unscaled.magnitude().to_string();
    let len = coeff.len() as i64;
    let adjusted = -i64::from(scale) + (len - 1);
    let body = if scale >= 0 && adjusted >= -6 {
        let scale = scale as usize;
        if scale == 0 {
            coeff
        } else if coeff.len() > scale {
            let (i, f) = coeff.split_at(coeff.len() - scale);
            format!("{i}.{f}")
        } else {
            format!("0.{}{coeff}", "0".repeat(scale - coeff.len()))
        }
    } else {
        let (first, rest) = coeff.split_at(1);
        let mut b = first.to_string();
        if !rest.is_empty() {
            b.push('.');
            b.push_str(rest);
        }
        b.push('E');
        if adjusted >= 0 {
            b.push('+');
        }
        b.push_str(&adjusted.to_string());
        b
    };
    if neg {
        format!("-{body}")
    } else {
        body
    }
}

/// A float as Java prints it where it matters for CQL: `NaN`, `Infinity`,
/// `-Infinity`, otherwise Rust's shortest round-trip form (`1.0`, `1e-7`).
pub fn float_to_string(v: f64, as_f32: Option<f32>) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        }
    } else if let Some(f) = as_f32 {
        format!("{f:?}")
    } else {
        format!("{v:?}")
    }
}

fn join<'a, T: 'a>(
    items: impl Iterator<Item = &'a T>,
    s: &mut String,
    mut f: impl FnMut(&T, &mut String),
) {
    for (i, item) in items.enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        f(item, s);
    }
}

fn write_literal(v: &CqlValue, s: &mut String) {
    match v {
        CqlValue::Ascii(t) | CqlValue::Text(t) => s.push_str(&quote_string(t)),
        CqlValue::Bigint(n) | CqlValue::Counter(n) => s.push_str(&n.to_string()),
        CqlValue::Int(n) => s.push_str(&n.to_string()),
        CqlValue::Smallint(n) => s.push_str(&n.to_string()),
        CqlValue::Tinyint(n) => s.push_str(&n.to_string()),
        CqlValue::Varint(n) => s.push_str(&n.to_string()),
        CqlValue::Blob(b) => {
            s.push_str("0x");
            s.push_str(&super::deserialize::hex(b));
        }
        CqlValue::Boolean(b) => s.push_str(if *b { "true" } else { "false" }),
        CqlValue::Decimal { unscaled, scale } => s.push_str(&decimal_to_string(unscaled, *scale)),
        CqlValue::Double(d) => s.push_str(&float_to_string(*d, None)),
        CqlValue::Float(f) => s.push_str(&float_to_string(f64::from(*f), Some(*f))),
        CqlValue::Timestamp(ms) => s.push_str(&quote_string(&temporal::format_timestamp(
            *ms, true, "+0000",
        ))),
        CqlValue::Uuid(u) | CqlValue::Timeuuid(u) => s.push_str(&u.hyphenated().to_string()),
        CqlValue::Inet(ip) => s.push_str(&quote_string(&ip.to_string())),
        CqlValue::Date(d) => s.push_str(&quote_string(&temporal::format_date(*d))),
        CqlValue::Time(t) => s.push_str(&quote_string(&temporal::format_time(*t))),
        CqlValue::Duration {
            months,
            days,
            nanos,
        } => s.push_str(&temporal::format_duration(*months, *days, *nanos)),
        CqlValue::List(items) | CqlValue::Vector(items) => {
            s.push('[');
            join(items.iter(), s, write_literal);
            s.push(']');
        }
        CqlValue::Set(items) => {
            s.push('{');
            join(items.iter(), s, write_literal);
            s.push('}');
        }
        CqlValue::Map(items) => {
            s.push('{');
            join(items.iter(), s, |(k, v), s| {
                write_literal(k, s);
                s.push_str(": ");
                write_literal(v, s);
            });
            s.push('}');
        }
        CqlValue::Tuple(items) => {
            s.push('(');
            join(items.iter(), s, |v, s| match v {
                Some(v) => write_literal(v, s),
                None => s.push_str("null"),
            });
            s.push(')');
        }
        CqlValue::Udt(fields) => {
            s.push('{');
            join(fields.iter(), s, |(name, v), s| {
                s.push_str(&super::quote_identifier(name));
                s.push_str(": ");
                match v {
                    Some(v) => write_literal(v, s),
                    None => s.push_str("null"),
                }
            });
            s.push('}');
        }
        CqlValue::Empty => s.push_str("0x"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    #[test]
    fn literals_look_like_cql() {
        assert_eq!(CqlValue::Text("it's".into()).to_cql_literal(), "'it''s'");
        assert_eq!(
            CqlValue::Blob(Bytes::from_static(&[0xca, 0xfe])).to_cql_literal(),
            "0xcafe"
        );
        assert_eq!(
            CqlValue::Timestamp(1_296_705_900_000).to_cql_literal(),
            "'2011-02-03 04:05:00.000000+0000'"
        );
        assert_eq!(
            CqlValue::Set(vec![CqlValue::Int(1), CqlValue::Int(2)]).to_cql_literal(),
            "{1, 2}"
        );
        assert_eq!(
            CqlValue::List(vec![CqlValue::Int(1), CqlValue::Int(2)]).to_cql_literal(),
            "[1, 2]"
        );
        assert_eq!(
            CqlValue::Map(vec![(CqlValue::Text("a".into()), CqlValue::Int(1))]).to_cql_literal(),
            "{'a': 1}"
        );
        assert_eq!(
            CqlValue::Tuple(vec![
                Some(CqlValue::Int(1)),
                Some(CqlValue::Text("x".into())),
                None
            ])
            .to_cql_literal(),
            "(1, 'x', null)"
        );
        assert_eq!(
            CqlValue::Udt(vec![("f".into(), Some(CqlValue::Int(1)))]).to_cql_literal(),
            "{f: 1}"
        );
        assert_eq!(
            CqlValue::Duration {
                months: 0,
                days: 0,
                nanos: 5_400_000_000_000
            }
            .to_cql_literal(),
            "1h30m"
        );
        assert_eq!(CqlValue::Date(1 << 31).to_cql_literal(), "'1970-01-01'");
        assert_eq!(
            CqlValue::Time(29_574_123_456_789).to_cql_literal(),
            "'08:12:54.123456789'"
        );
        assert_eq!(CqlValue::Double(1.0).to_cql_literal(), "1.0");
        assert_eq!(CqlValue::Float(f32::NAN).to_cql_literal(), "NaN");
    }

    #[test]
    fn decimals_print_like_java_bigdecimal() {
        let d = |u: i64, s: i32| decimal_to_string(&BigInt::from(u), s);
        assert_eq!(d(1250, 2), "12.50");
        assert_eq!(d(-5, 3), "-0.005");
        assert_eq!(d(15, -2), "1.5E+3");
        assert_eq!(d(7, 0), "7");
        assert_eq!(d(1, 10), "1E-10");
    }
}
