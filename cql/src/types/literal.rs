//! Constants to values: [`from_literal`] turns a parser constant (its [`LiteralKind`]
//! and text) into a [`CqlValue`] of the receiver's type, with Cassandra's rules
//! (`Constants.Literal.testAssignment` and each type's `fromString`) and messages.
//! Collection, tuple and UDT literals are not constants: the parser builds those from
//! their elements, each converted here.

use std::net::IpAddr;
use std::str::FromStr;

use bytes::Bytes;
use num_bigint::BigInt;
use uuid::Uuid;

use super::temporal;
use super::{CqlType, CqlValue, LiteralKind, TypeError};

/// Converts the constant `text` of lexical kind `kind` to a value of type `typ`.
///
/// A constant of a kind the type does not accept gives [`TypeError::InvalidConstant`]
/// (render it with [`TypeError::for_receiver`] to get Cassandra's
/// `Invalid STRING constant (foo) for "k" of type int`); a constant of the right kind
/// whose value does not fit gives [`TypeError::InvalidValue`] with Cassandra's text
/// (`Unable to make int from '12345678901'`).
pub fn from_literal(kind: LiteralKind, text: &str, typ: &CqlType) -> Result<CqlValue, TypeError> {
    let typ = typ.unfrozen();
    if !accepts(kind, typ) {
        return Err(TypeError::InvalidConstant {
            kind,
            text: text.to_string(),
            typ: typ.cql_name(),
        });
    }
    let invalid =
        |what: &str| TypeError::InvalidValue(format!("Unable to make {what} from '{text}'"));
    Ok(match typ {
        CqlType::Ascii => {
            if !text.is_ascii() {
                return Err(TypeError::InvalidValue(
                    "Invalid ASCII character in string literal".into(),
                ));
            }
            CqlValue::Ascii(text.to_string())
        }
        CqlType::Text => CqlValue::Text(text.to_string()),
        CqlType::Int => CqlValue::Int(text.parse().map_err(|_| invalid("int"))?),
        CqlType::Bigint => CqlValue::Bigint(text.parse().map_err(|_| invalid("long"))?),
        CqlType::Counter => CqlValue::Counter(text.parse().map_err(|_| invalid("long"))?),
        CqlType::Smallint => CqlValue::Smallint(text.parse().map_err(|_| invalid("short"))?),
        CqlType::Tinyint => CqlValue::Tinyint(text.parse().map_err(|_| invalid("byte"))?),
        CqlType::Varint => {
            CqlValue::Varint(BigInt::from_str(text).map_err(|_| {
                TypeError::InvalidValue(format!("unable to make int from '{text}'"))
            })?)
        }
        // Parsed as f32 directly: going through f64 could round twice.
        CqlType::Float => CqlValue::Float(parse_float(text).ok_or_else(|| invalid("float"))?),
        CqlType::Double => CqlValue::Double(parse_float(text).ok_or_else(|| invalid("double"))?),
        CqlType::Decimal => {
            let (unscaled, scale) = parse_decimal(text).ok_or_else(|| {
                TypeError::InvalidValue(format!("unable to make BigDecimal from '{text}'"))
            })?;
            CqlValue::Decimal { unscaled, scale }
        }
        CqlType::Boolean => match text.to_ascii_lowercase().as_str() {
            "true" => CqlValue::Boolean(true),
            "false" => CqlValue::Boolean(false),
            _ => return Err(invalid("boolean")),
        },
        CqlType::Blob => CqlValue::Blob(parse_hex(text).ok_or_else(|| {
            TypeError::InvalidValue(format!("cannot parse '{text}' as hex bytes"))
        })?),
        CqlType::Uuid => CqlValue::Uuid(Uuid::parse_str(text).map_err(|_| invalid("UUID"))?),
        CqlType::Timeuuid => {
            let u = Uuid::parse_str(text).map_err(|_| {
                TypeError::InvalidValue(format!("Unknown timeuuid representation: {text}"))
            })?;
            if u.get_version_num() != 1 {
                return Err(TypeError::InvalidValue(
                    "TimeUUID supports only version 1 UUIDs".into(),
                ));
            }
            CqlValue::Timeuuid(u)
        }
        CqlType::Inet => {
            CqlValue::Inet(IpAddr::from_str(text.trim()).map_err(|_| invalid("inet address"))?)
        }
        CqlType::Timestamp => CqlValue::Timestamp(temporal::parse_timestamp(text)?),
        CqlType::Date => CqlValue::Date(temporal::parse_date(text)?),
        CqlType::Time => CqlValue::Time(temporal::parse_time(text)?),
        CqlType::Duration => {
            let (months, days, nanos) = temporal::parse_duration(text)?;
            CqlValue::Duration {
                months,
                days,
                nanos,
            }
        }
        _ => {
            return Err(TypeError::InvalidConstant {
                kind,
                text: text.to_string(),
                typ: typ.cql_name(),
            })
        }
    })
}

/// Whether a constant of `kind` may be assigned to `typ` (Cassandra's
/// `Constants.Type` sets).
pub fn accepts(kind: LiteralKind, typ: &CqlType) -> bool {
    use CqlType as T;
    match kind {
        LiteralKind::String => matches!(
            typ,
            T::Ascii | T::Text | T::Inet | T::Timestamp | T::Date | T::Time
        ),
        LiteralKind::Integer => matches!(
            typ,
            T::Bigint
                | T::Counter
                | T::Date
                | T::Decimal
                | T::Double
                | T::Float
                | T::Int
                | T::Smallint
                | T::Time
                | T::Timestamp
                | T::Tinyint
                | T::Varint
        ),
        LiteralKind::Float => matches!(typ, T::Decimal | T::Double | T::Float),
        LiteralKind::Boolean => matches!(typ, T::Boolean),
        LiteralKind::Uuid => matches!(typ, T::Uuid | T::Timeuuid),
        LiteralKind::Hex => matches!(typ, T::Blob),
        LiteralKind::Duration => matches!(typ, T::Duration),
    }
}

fn parse_float<F: FromStr + From<f32>>(text: &str) -> Option<F> {
    match text {
        // The parser folds a minus sign into the constant: `-NaN` is NaN too.
        "NaN" | "-NaN" | "+NaN" => Some(F::from(f32::NAN)),
        "Infinity" | "+Infinity" => Some(F::from(f32::INFINITY)),
        "-Infinity" => Some(F::from(f32::NEG_INFINITY)),
        t if t
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E')) =>
        {
            t.parse().ok()
        }
        _ => None,
    }
}

/// `0xcafe` (or `cafe`) to bytes; `None` for odd length or a non-hex digit.
pub fn parse_hex(text: &str) -> Option<Bytes> {
    let digits = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))
        .unwrap_or(text)
        .as_bytes();
    if digits.len() & 1 == 1 {
        return None;
    }
    let nibble = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    digits
        .chunks_exact(2)
        .map(|p| Some(nibble(*p.first()?)? << 4 | nibble(*p.get(1)?)?))
        .collect::<Option<Vec<u8>>>()
        .map(Bytes::from)
}

/// A decimal number (`-12.50`, `1e3`, `1.5E-7`) as Java's `BigDecimal(String)` reads
/// it: the digits give the unscaled value, the fraction length minus the exponent the
/// scale.
pub fn parse_decimal(text: &str) -> Option<(BigInt, i32)> {
    let t = text.trim();
    let (mantissa, exp) = match t.find(['e', 'E']) {
        Some(i) => (
            t.get(..i)?,
            t.get(i + 1..)?
                .trim_start_matches('+')
                .parse::<i64>()
                .ok()?,
        ),
        None => (t, 0),
    };
    let (neg, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa.strip_prefix('+').unwrap_or(mantissa)),
    };
    let (int_part, frac) = match mantissa.split_once('.') {
        Some((i, f)) => (i, f),
        None => (mantissa, ""),
    };
    if int_part.is_empty() && frac.is_empty() {
        return None;
    }
    if !int_part
        .bytes()
        .chain(frac.bytes())
        .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let digits = format!("{}{int_part}{frac}", if neg { "-" } else { "" });
    let unscaled = BigInt::from_str(&digits).ok()?;
    let scale = i32::try_from(frac.len() as i64 - exp).ok()?;
    Some((unscaled, scale))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(kind: LiteralKind, text: &str, typ: CqlType) -> Result<CqlValue, TypeError> {
        from_literal(kind, text, &typ)
    }

    #[test]
    fn integers_fit_their_types_or_fail_like_cassandra() {
        use LiteralKind::Integer as I;
        assert_eq!(lit(I, "42", CqlType::Int), Ok(CqlValue::Int(42)));
        assert_eq!(
            lit(I, "-128", CqlType::Tinyint),
            Ok(CqlValue::Tinyint(-128))
        );
        assert_eq!(
            lit(I, "12345678901", CqlType::Int).map_err(|e| e.to_string()),
            Err("Unable to make int from '12345678901'".to_string())
        );
        assert!(lit(I, "40000", CqlType::Smallint).is_err());
        assert_eq!(lit(I, "3", CqlType::Double), Ok(CqlValue::Double(3.0)));
        assert_eq!(
            lit(I, "123456789012345678901234567890", CqlType::Varint),
            Ok(CqlValue::Varint(
                BigInt::from_str("123456789012345678901234567890").unwrap()
            ))
        );
        assert_eq!(
            lit(I, "1299038700000", CqlType::Timestamp),
            Ok(CqlValue::Timestamp(1_299_038_700_000))
        );
    }

    #[test]
    fn wrong_kind_gives_cassandras_message() {
        let e = lit(LiteralKind::String, "foo", CqlType::Int).expect_err("string into int");
        assert_eq!(
            e.for_receiver("k"),
            "Invalid STRING constant (foo) for \"k\" of type int"
        );
        assert!(lit(LiteralKind::Integer, "1", CqlType::Text).is_err());
        assert!(lit(LiteralKind::Float, "1.5", CqlType::Int).is_err());
        assert!(lit(LiteralKind::Hex, "0x01", CqlType::Text).is_err());
    }

    #[test]
    fn floats_and_decimals() {
        use LiteralKind::Float as F;
        assert_eq!(lit(F, "1.5", CqlType::Float), Ok(CqlValue::Float(1.5)));
        assert!(matches!(lit(F, "NaN", CqlType::Double), Ok(CqlValue::Double(d)) if d.is_nan()));
        assert_eq!(
            lit(F, "-Infinity", CqlType::Double),
            Ok(CqlValue::Double(f64::NEG_INFINITY))
        );
        assert_eq!(
            lit(F, "-12.50", CqlType::Decimal),
            Ok(CqlValue::Decimal {
                unscaled: BigInt::from(-1250),
                scale: 2
            })
        );
        assert_eq!(
            lit(F, "1.5e3", CqlType::Decimal),
            Ok(CqlValue::Decimal {
                unscaled: BigInt::from(15),
                scale: -2
            })
        );
        assert!(lit(F, "NaN", CqlType::Decimal).is_err());
        assert!(matches!(lit(F, "-NaN", CqlType::Float), Ok(CqlValue::Float(f)) if f.is_nan()));
        assert_eq!(lit(F, "1.", CqlType::Double), Ok(CqlValue::Double(1.0)));
        assert_eq!(lit(F, "-.5", CqlType::Float), Ok(CqlValue::Float(-0.5)));
    }

    #[test]
    fn strings_for_temporal_and_inet() {
        use LiteralKind::String as S;
        let ts = 1_296_705_900_000; // 2011-02-03 04:05:00 UTC
        for s in [
            "2011-02-03 04:05+0000",
            "2011-02-03 04:05:00+0000",
            "2011-02-03 04:05:00.000+0000",
            "2011-02-03T04:05+0000",
            "2011-02-03T04:05:00.000+0000",
            "2011-02-03T04:05:00Z",
            "2011-02-03 04:05:00",
            "2011-02-03T06:05:00+02:00",
        ] {
            assert_eq!(
                lit(S, s, CqlType::Timestamp),
                Ok(CqlValue::Timestamp(ts)),
                "{s}"
            );
        }
        assert_eq!(
            lit(S, "2011-02-03", CqlType::Timestamp),
            Ok(CqlValue::Timestamp(1_296_691_200_000))
        );
        assert_eq!(
            lit(S, "2011-02-03+0000", CqlType::Timestamp),
            Ok(CqlValue::Timestamp(1_296_691_200_000))
        );
        assert_eq!(
            lit(S, "1299038700000", CqlType::Timestamp),
            Ok(CqlValue::Timestamp(1_299_038_700_000))
        );
        assert!(lit(S, "2011-02-30", CqlType::Timestamp).is_err());
        // Cassandra's patterns are y-M-d H:m[:s], with a space allowed before the zone.
        assert_eq!(
            lit(S, "2011-2-3 4:5:0 +0000", CqlType::Timestamp),
            Ok(CqlValue::Timestamp(ts))
        );
        assert!(matches!(lit(S, "now", CqlType::Timestamp), Ok(CqlValue::Timestamp(t)) if t > ts));
        assert!(lit(S, "yesterday", CqlType::Timestamp).is_err());
        assert_eq!(
            lit(S, "1970-01-01", CqlType::Date),
            Ok(CqlValue::Date(1 << 31))
        );
        assert_eq!(
            lit(S, "1970-01-02", CqlType::Date),
            Ok(CqlValue::Date((1 << 31) + 1))
        );
        assert_eq!(
            lit(S, "1969-12-31", CqlType::Date),
            Ok(CqlValue::Date((1 << 31) - 1))
        );
        assert_eq!(
            lit(S, "08:12:54.123456789", CqlType::Time),
            Ok(CqlValue::Time(29_574_123_456_789))
        );
        assert_eq!(
            lit(S, "08:12:54", CqlType::Time),
            Ok(CqlValue::Time(29_574_000_000_000))
        );
        assert!(lit(S, "25:00:00", CqlType::Time).is_err());
        assert_eq!(
            lit(S, "::1", CqlType::Inet),
            Ok(CqlValue::Inet("::1".parse().unwrap()))
        );
        assert!(lit(S, "not-an-ip", CqlType::Inet).is_err());
        assert!(lit(S, "é", CqlType::Ascii).is_err());
    }

    #[test]
    fn uuids_blobs_booleans() {
        let v1 = "50554d6e-29bb-11e5-b345-feff819cdc9f";
        let v4 = "123e4567-e89b-42d3-a456-426614174000";
        assert!(lit(LiteralKind::Uuid, v1, CqlType::Timeuuid).is_ok());
        assert_eq!(
            lit(LiteralKind::Uuid, v4, CqlType::Timeuuid).map_err(|e| e.to_string()),
            Err("TimeUUID supports only version 1 UUIDs".to_string())
        );
        assert!(lit(LiteralKind::Uuid, v4, CqlType::Uuid).is_ok());
        assert_eq!(
            lit(LiteralKind::Hex, "0xCAFE", CqlType::Blob),
            Ok(CqlValue::Blob(Bytes::from_static(&[0xca, 0xfe])))
        );
        assert_eq!(
            lit(LiteralKind::Hex, "0x", CqlType::Blob),
            Ok(CqlValue::Blob(Bytes::new()))
        );
        assert!(lit(LiteralKind::Hex, "0xabc", CqlType::Blob).is_err());
        assert_eq!(
            lit(LiteralKind::Boolean, "TRUE", CqlType::Boolean),
            Ok(CqlValue::Boolean(true))
        );
    }

    #[test]
    fn durations() {
        use LiteralKind::Duration as D;
        let d = |m, d, n| {
            Ok(CqlValue::Duration {
                months: m,
                days: d,
                nanos: n,
            })
        };
        let h = 3_600_000_000_000i64;
        assert_eq!(lit(D, "1h30m", CqlType::Duration), d(0, 0, h + h / 2));
        assert_eq!(lit(D, "-2d", CqlType::Duration), d(0, -2, 0));
        assert_eq!(
            lit(D, "1y2mo3w4d5h6m7s8ms9us10ns", CqlType::Duration),
            d(
                14,
                25,
                5 * h + 6 * 60_000_000_000 + 7_000_000_000 + 8_000_000 + 9_000 + 10
            )
        );
        assert_eq!(lit(D, "3µs", CqlType::Duration), d(0, 0, 3_000));
        assert_eq!(lit(D, "P1DT2H", CqlType::Duration), d(0, 1, 2 * h));
        assert_eq!(lit(D, "P2W", CqlType::Duration), d(0, 14, 0));
        assert_eq!(lit(D, "P1Y2M", CqlType::Duration), d(14, 0, 0));
        assert_eq!(lit(D, "PT1M", CqlType::Duration), d(0, 0, 60_000_000_000));
        assert_eq!(
            lit(D, "P0001-02-03T04:05:06", CqlType::Duration),
            d(14, 3, 4 * h + 5 * 60_000_000_000 + 6_000_000_000)
        );
        assert_eq!(lit(D, "-P1D", CqlType::Duration), d(0, -1, 0));
        // The reference examples (insert_duration.cql).
        let race = |h: i64, m: i64, s: i64| {
            d(
                0,
                0,
                h * 3_600_000_000_000 + m * 60_000_000_000 + s * 1_000_000_000,
            )
        };
        assert_eq!(lit(D, "89h4m48s", CqlType::Duration), race(89, 4, 48));
        assert_eq!(lit(D, "PT89H8M53S", CqlType::Duration), race(89, 8, 53));
        assert_eq!(
            lit(D, "P0000-00-00T89:09:09", CqlType::Duration),
            race(89, 9, 9)
        );
        assert!(lit(D, "1h1h", CqlType::Duration).is_err());
        assert_eq!(
            lit(D, "1m1h", CqlType::Duration).map_err(|e| e.to_string()),
            Err("Invalid duration. The minutes should be after hours".to_string())
        );
        assert!(lit(D, "P", CqlType::Duration).is_err());
        assert!(lit(D, "5x", CqlType::Duration).is_err());
    }
}
