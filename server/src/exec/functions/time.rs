//! Time: `now`, `current_*`, `to_timestamp` / `to_date` / `to_unix_timestamp` of a
//! timeuuid, timestamp or date, `min_timeuuid` / `max_timeuuid` (TimeFcts,
//! TimeuuidFcts), and `timestamp ± duration` / `date ± duration` (OperationFcts'
//! temporal operations, Cassandra's `Duration.addTo`: months and days on the UTC
//! calendar, clamping the day of month, then the sub-day part in milliseconds).

use cql::parser::ast::ArithmeticOp;
use cql::types::temporal::{civil_from_days, days_from_civil};
use cql::types::{CqlType, CqlValue};

use super::FnError;
use crate::exec::clock::wall_micros;

/// Days from 1970-01-01 are stored as `2^31 + days` in a `date`.
pub const DATE_EPOCH: i64 = 1 << 31;
pub const MILLIS_PER_DAY: i64 = 86_400_000;
const NANOS_PER_MILLI: i64 = 1_000_000;
const NANOS_PER_DAY: i64 = MILLIS_PER_DAY * NANOS_PER_MILLI;
/// 100 ns intervals between 1582-10-15 (the UUID epoch) and 1970-01-01.
const UUID_EPOCH_OFFSET: i64 = 0x01B2_1DD2_1381_4000;

/// The argument type of a time conversion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Src {
    Timeuuid,
    Timestamp,
    Date,
}

impl Src {
    pub fn of(t: &CqlType) -> Option<Src> {
        match t.unfrozen() {
            CqlType::Timestamp => Some(Src::Timestamp),
            CqlType::Date => Some(Src::Date),
            CqlType::Timeuuid => Some(Src::Timeuuid),
            _ => None,
        }
    }

    pub fn typ(self) -> CqlType {
        match self {
            Src::Timeuuid => CqlType::Timeuuid,
            Src::Timestamp => CqlType::Timestamp,
            Src::Date => CqlType::Date,
        }
    }
}

pub fn now_millis() -> i64 {
    wall_micros() / 1000
}

pub fn current_time_nanos() -> i64 {
    (wall_micros() % (MILLIS_PER_DAY * 1000)) * 1000
}

fn be_i64(b: &[u8]) -> Result<i64, FnError> {
    let a: [u8; 8] = b
        .try_into()
        .map_err(|_| FnError::Invalid(format!("Expected 8 or 0 byte long ({})", b.len())))?;
    Ok(i64::from_be_bytes(a))
}

/// Milliseconds since the epoch of a serialized timeuuid, timestamp or date.
pub fn millis_of(src: Src, b: &[u8]) -> Result<i64, FnError> {
    match src {
        Src::Timestamp => be_i64(b),
        Src::Date => {
            let a: [u8; 4] = b
                .try_into()
                .map_err(|_| FnError::Invalid("Expected 4 byte long for date".into()))?;
            Ok((i64::from(u32::from_be_bytes(a)) - DATE_EPOCH) * MILLIS_PER_DAY)
        }
        Src::Timeuuid => {
            let a: [u8; 16] = b
                .try_into()
                .map_err(|_| FnError::Invalid("Unable to make timeuuid from the value".into()))?;
            Ok(timeuuid_millis(&a))
        }
    }
}

pub fn date_of_millis(ms: i64) -> u32 {
    (ms.div_euclid(MILLIS_PER_DAY) + DATE_EPOCH) as u32
}

/// The Unix time in milliseconds of a version-1 UUID.
pub fn timeuuid_millis(u: &[u8; 16]) -> i64 {
    let time_low = u32::from_be_bytes([u[0], u[1], u[2], u[3]]) as i64;
    let time_mid = u16::from_be_bytes([u[4], u[5]]) as i64;
    let time_hi = (u16::from_be_bytes([u[6], u[7]]) & 0x0FFF) as i64;
    let ts = (time_hi << 48) | (time_mid << 32) | time_low;
    (ts - UUID_EPOCH_OFFSET) / 10_000
}

/// The smallest (or largest) timeuuid at `ms`, as Cassandra's `minTimeuuid` /
/// `maxTimeuuid` build them.
pub fn timeuuid_at(ms: i64, min: bool) -> [u8; 16] {
    let ts = ms.wrapping_mul(10_000).wrapping_add(UUID_EPOCH_OFFSET) + if min { 0 } else { 9_999 };
    let msb: u64 = ((ts as u64 & 0xFFFF_FFFF) << 32)
        | (((ts as u64 >> 32) & 0xFFFF) << 16)
        | 0x1000
        | ((ts as u64 >> 48) & 0x0FFF);
    let lsb: u64 = if min {
        0x8080_8080_8080_8080
    } else {
        0x7F7F_7F7F_7F7F_7F7F
    };
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&msb.to_be_bytes());
    out[8..].copy_from_slice(&lsb.to_be_bytes());
    out
}

/// A fresh version-1 UUID for `now()`.
pub fn new_timeuuid() -> [u8; 16] {
    use std::sync::OnceLock;
    static NODE: OnceLock<[u8; 6]> = OnceLock::new();
    let node = NODE.get_or_init(|| {
        let mut n: [u8; 6] = rand::random();
        n[0] |= 0x01; // multicast bit: a random node id, per RFC 4122 4.5
        n
    });
    *uuid::Uuid::now_v1(node).as_bytes()
}

/// `Duration.add`: months then days on the calendar (a month added to Jan 31 gives
/// the last day of February), then the nanoseconds as whole milliseconds.
fn add_duration(ms: i64, months: i64, days: i64, nanos: i64) -> i64 {
    if months == 0 {
        return ms + days * MILLIS_PER_DAY + nanos / NANOS_PER_MILLI;
    }
    let day = ms.div_euclid(MILLIS_PER_DAY);
    let in_day = ms.rem_euclid(MILLIS_PER_DAY);
    let (y, m, d) = civil_from_days(day);
    let total = y * 12 + i64::from(m) - 1 + months;
    let (ny, nm) = (total.div_euclid(12), (total.rem_euclid(12) + 1) as u32);
    let last = days_in_month(ny, nm);
    let nd = d.min(last);
    let new_day = days_from_civil(ny, nm, nd) + days;
    new_day * MILLIS_PER_DAY + in_day + nanos / NANOS_PER_MILLI
}

fn days_in_month(y: i64, m: u32) -> u32 {
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    (days_from_civil(ny, nm, 1) - days_from_civil(y, m, 1)) as u32
}

/// `timestamp ± duration` and `date ± duration`.
pub fn temporal_op(op: ArithmeticOp, t: &CqlValue, dur: &CqlValue) -> Result<CqlValue, FnError> {
    let CqlValue::Duration {
        months,
        days,
        nanos,
    } = dur
    else {
        return Err(FnError::Invalid("expected a duration".into()));
    };
    let sign = if op == ArithmeticOp::Sub { -1 } else { 1 };
    let (mo, d, n) = (
        sign * i64::from(*months),
        sign * i64::from(*days),
        sign * *nanos,
    );
    match t {
        CqlValue::Timestamp(ms) => Ok(CqlValue::Timestamp(add_duration(*ms, mo, d, n))),
        CqlValue::Date(date) => {
            // SimpleDateType.addDuration refuses a sub-day part.
            if n % NANOS_PER_DAY != 0 {
                return Err(FnError::Invalid(format!(
                    "The duration must have a day precision. Was: {}",
                    cql::types::temporal::format_duration(*months, *days, *nanos)
                )));
            }
            let ms = (i64::from(*date) - DATE_EPOCH) * MILLIS_PER_DAY;
            let out = add_duration(ms, mo, d, n);
            Ok(CqlValue::Date(date_of_millis(out)))
        }
        _ => Err(FnError::Invalid("expected a timestamp or a date".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeuuid_round_trips_through_min_and_max() {
        let ms = 1_700_000_000_123;
        assert_eq!(timeuuid_millis(&timeuuid_at(ms, true)), ms);
        assert_eq!(timeuuid_millis(&timeuuid_at(ms, false)), ms);
        assert!(timeuuid_at(ms, true) != timeuuid_at(ms, false));
        let now = new_timeuuid();
        let t = timeuuid_millis(&now);
        assert!((t - wall_micros() / 1000).abs() < 5_000);
    }

    #[test]
    fn months_clamp_to_the_end_of_the_month() {
        // 2024-01-31T10:00:00Z + 1mo = 2024-02-29T10:00:00Z
        let jan31 = days_from_civil(2024, 1, 31) * MILLIS_PER_DAY + 36_000_000;
        let feb29 = days_from_civil(2024, 2, 29) * MILLIS_PER_DAY + 36_000_000;
        assert_eq!(add_duration(jan31, 1, 0, 0), feb29);
        assert_eq!(
            add_duration(feb29, -1, 0, 0),
            days_from_civil(2024, 1, 29) * MILLIS_PER_DAY + 36_000_000
        );
        assert_eq!(add_duration(0, 0, 1, 1_500_000), MILLIS_PER_DAY + 1);
    }

    #[test]
    fn date_needs_day_precision() {
        let d = CqlValue::Date(DATE_EPOCH as u32);
        let hour = CqlValue::Duration {
            months: 0,
            days: 0,
            nanos: 3_600_000_000_000,
        };
        let e = temporal_op(ArithmeticOp::Add, &d, &hour).unwrap_err();
        assert_eq!(
            e.to_string(),
            "The duration must have a day precision. Was: 1h"
        );
        let day = CqlValue::Duration {
            months: 0,
            days: 2,
            nanos: 0,
        };
        let v = temporal_op(ArithmeticOp::Sub, &d, &day).unwrap();
        assert_eq!(v, CqlValue::Date(DATE_EPOCH as u32 - 2));
    }
}
