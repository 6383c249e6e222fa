//! Native scalar functions (functions.adoc): `now`, `uuid`, `current_*`, `to_timestamp`,
//! `to_date`, `to_unix_timestamp`, `min_timeuuid` / `max_timeuuid`, `<type>_as_blob` /
//! `blob_as_<type>` (also the camelCase spellings Cassandra keeps). They work on
//! serialized values so that neither terms nor selectors decode more than they need.
//! Anything else is an InvalidRequest `Unknown function ...`.

use bytes::Bytes;
use cql::parser::ast::QualifiedName;
use cql::types::CqlType;

use super::clock::wall_micros;
use super::term::Val;
use super::values;
use crate::error::RequestError;

/// Days from 1970-01-01 are stored as `2^31 + days` in a `date`.
const DATE_EPOCH: i64 = 1 << 31;
const MILLIS_PER_DAY: i64 = 86_400_000;
/// 100 ns intervals between 1582-10-15 (the UUID epoch) and 1970-01-01.
const UUID_EPOCH_OFFSET: i64 = 0x01B2_1DD2_1381_4000;

#[derive(Debug, Clone, PartialEq, Eq, Copy)]
pub enum ScalarFn {
    Now,
    Uuid,
    CurrentTimestamp,
    CurrentDate,
    CurrentTime,
    CurrentTimeuuid,
    /// from timeuuid, date
    ToTimestamp(Src),
    ToDate(Src),
    ToUnixTimestamp(Src),
    MinTimeuuid,
    MaxTimeuuid,
    /// `<type>AsBlob` and `blobAs<type>`: the bytes are unchanged; blobAs validates.
    AsBlob,
    BlobAs(NativeTag),
}

/// The argument type of a time conversion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Src {
    Timeuuid,
    Timestamp,
    Date,
}

/// A native type, by index into [`NATIVE`], so that `ScalarFn` stays `Copy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NativeTag(usize);

const NATIVE: [(&str, fn() -> CqlType); 19] = [
    ("ascii", || CqlType::Ascii),
    ("bigint", || CqlType::Bigint),
    ("blob", || CqlType::Blob),
    ("boolean", || CqlType::Boolean),
    ("counter", || CqlType::Counter),
    ("decimal", || CqlType::Decimal),
    ("double", || CqlType::Double),
    ("float", || CqlType::Float),
    ("int", || CqlType::Int),
    ("timestamp", || CqlType::Timestamp),
    ("uuid", || CqlType::Uuid),
    ("text", || CqlType::Text),
    ("varchar", || CqlType::Text),
    ("varint", || CqlType::Varint),
    ("timeuuid", || CqlType::Timeuuid),
    ("inet", || CqlType::Inet),
    ("date", || CqlType::Date),
    ("time", || CqlType::Time),
    ("smallint", || CqlType::Smallint),
];

fn native_by_name(n: &str) -> Option<NativeTag> {
    let n = n.strip_prefix('_').unwrap_or(n);
    if n == "tinyint" {
        return Some(NativeTag(usize::MAX));
    }
    NATIVE
        .iter()
        .position(|(name, _)| *name == n)
        .map(NativeTag)
}

impl NativeTag {
    pub fn typ(self) -> CqlType {
        if self.0 == usize::MAX {
            return CqlType::Tinyint;
        }
        NATIVE
            .get(self.0)
            .map(|(_, f)| f())
            .unwrap_or(CqlType::Blob)
    }
}

/// Lower-cases and removes underscores, so `toTimestamp`, `totimestamp` and
/// `to_timestamp` name the same function.
fn canonical(name: &str) -> String {
    name.chars()
        .filter(|c| *c != '_')
        .flat_map(char::to_lowercase)
        .collect()
}

/// Resolves a function by name and argument types (`None` where the argument type is
/// not known, e.g. a bind marker); returns the function, the argument types to compile
/// the arguments against, and the return type.
pub fn resolve(
    name: &QualifiedName,
    args: &[Option<CqlType>],
) -> Result<(ScalarFn, Vec<CqlType>, CqlType), RequestError> {
    if let Some(ks) = &name.keyspace {
        if ks != "system" {
            return Err(unknown(name));
        }
    }
    let n = canonical(&name.name);
    let arity = |want: usize| -> Result<(), RequestError> {
        if args.len() != want {
            return Err(RequestError::invalid(format!(
                "Invalid number of arguments in call to function {}: {want} required but {} provided",
                name.name,
                args.len()
            )));
        }
        Ok(())
    };
    let time_src = |default: Src| -> Src {
        match args
            .first()
            .cloned()
            .flatten()
            .map(|t| t.unfrozen().clone())
        {
            Some(CqlType::Timestamp) => Src::Timestamp,
            Some(CqlType::Date) => Src::Date,
            Some(CqlType::Timeuuid) => Src::Timeuuid,
            _ => default,
        }
    };
    let src_type = |s: Src| match s {
        Src::Timeuuid => CqlType::Timeuuid,
        Src::Timestamp => CqlType::Timestamp,
        Src::Date => CqlType::Date,
    };
    let r = match n.as_str() {
        "now" => {
            arity(0)?;
            (ScalarFn::Now, vec![], CqlType::Timeuuid)
        }
        "uuid" => {
            arity(0)?;
            (ScalarFn::Uuid, vec![], CqlType::Uuid)
        }
        "currenttimestamp" => {
            arity(0)?;
            (ScalarFn::CurrentTimestamp, vec![], CqlType::Timestamp)
        }
        "currentdate" => {
            arity(0)?;
            (ScalarFn::CurrentDate, vec![], CqlType::Date)
        }
        "currenttime" => {
            arity(0)?;
            (ScalarFn::CurrentTime, vec![], CqlType::Time)
        }
        "currenttimeuuid" => {
            arity(0)?;
            (ScalarFn::CurrentTimeuuid, vec![], CqlType::Timeuuid)
        }
        "totimestamp" | "dateof" => {
            arity(1)?;
            let s = time_src(Src::Timeuuid);
            (
                ScalarFn::ToTimestamp(s),
                vec![src_type(s)],
                CqlType::Timestamp,
            )
        }
        "todate" => {
            arity(1)?;
            let s = time_src(Src::Timeuuid);
            (ScalarFn::ToDate(s), vec![src_type(s)], CqlType::Date)
        }
        "tounixtimestamp" | "unixtimestampof" => {
            arity(1)?;
            let s = time_src(Src::Timeuuid);
            (
                ScalarFn::ToUnixTimestamp(s),
                vec![src_type(s)],
                CqlType::Bigint,
            )
        }
        "mintimeuuid" => {
            arity(1)?;
            (
                ScalarFn::MinTimeuuid,
                vec![CqlType::Timestamp],
                CqlType::Timeuuid,
            )
        }
        "maxtimeuuid" => {
            arity(1)?;
            (
                ScalarFn::MaxTimeuuid,
                vec![CqlType::Timestamp],
                CqlType::Timeuuid,
            )
        }
        other => {
            if let Some(t) = other.strip_suffix("asblob").and_then(native_by_name) {
                arity(1)?;
                (ScalarFn::AsBlob, vec![t.typ()], CqlType::Blob)
            } else if let Some(t) = other.strip_prefix("blobas").and_then(native_by_name) {
                arity(1)?;
                (ScalarFn::BlobAs(t), vec![CqlType::Blob], t.typ())
            } else {
                return Err(unknown(name));
            }
        }
    };
    Ok(r)
}

/// Resolution for a term whose receiver type is known: the argument types come from
/// the function (`to_timestamp(now())` takes a timeuuid).
pub fn resolve_scalar(
    name: &QualifiedName,
    nargs: usize,
    _receiver: &CqlType,
) -> Result<(ScalarFn, Vec<CqlType>), RequestError> {
    let args = vec![None; nargs];
    let (f, at, _) = resolve(name, &args)?;
    Ok((f, at))
}

pub fn unknown(name: &QualifiedName) -> RequestError {
    RequestError::invalid(format!("Unknown function {}", name))
}

/// Calls a function on serialized arguments. Null in, null out (Cassandra's native
/// functions return null on null input).
pub fn call_scalar(f: ScalarFn, args: &[Val]) -> Result<Val, RequestError> {
    let arg = |i: usize| -> Option<&Bytes> { args.get(i).and_then(Val::bytes) };
    let out: Option<Vec<u8>> = match f {
        ScalarFn::Now | ScalarFn::CurrentTimeuuid => Some(new_timeuuid().to_vec()),
        ScalarFn::Uuid => Some(uuid::Uuid::new_v4().as_bytes().to_vec()),
        ScalarFn::CurrentTimestamp => Some((wall_micros() / 1000).to_be_bytes().to_vec()),
        ScalarFn::CurrentDate => Some(date_of_millis(wall_micros() / 1000).to_be_bytes().to_vec()),
        ScalarFn::CurrentTime => {
            let nanos = (wall_micros() % (MILLIS_PER_DAY * 1000)) * 1000;
            Some(nanos.to_be_bytes().to_vec())
        }
        ScalarFn::ToTimestamp(src) => match arg(0) {
            Some(b) => Some(millis_of(src, b)?.to_be_bytes().to_vec()),
            None => None,
        },
        ScalarFn::ToUnixTimestamp(src) => match arg(0) {
            Some(b) => Some(millis_of(src, b)?.to_be_bytes().to_vec()),
            None => None,
        },
        ScalarFn::ToDate(src) => match arg(0) {
            Some(b) => Some(date_of_millis(millis_of(src, b)?).to_be_bytes().to_vec()),
            None => None,
        },
        ScalarFn::MinTimeuuid | ScalarFn::MaxTimeuuid => match arg(0) {
            Some(b) => {
                let ms = be_i64(b)?;
                Some(timeuuid_at(ms, f == ScalarFn::MinTimeuuid).to_vec())
            }
            None => None,
        },
        ScalarFn::AsBlob => arg(0).map(|b| b.to_vec()),
        ScalarFn::BlobAs(t) => match arg(0) {
            Some(b) => {
                values::validate(b, &t.typ()).map_err(|e| RequestError::invalid(e.to_string()))?;
                Some(b.to_vec())
            }
            None => None,
        },
    };
    Ok(match out {
        Some(v) => Val::Bytes(Bytes::from(v)),
        None => Val::Null,
    })
}

fn be_i64(b: &[u8]) -> Result<i64, RequestError> {
    let a: [u8; 8] = b
        .try_into()
        .map_err(|_| RequestError::invalid(format!("Expected 8 or 0 byte long ({})", b.len())))?;
    Ok(i64::from_be_bytes(a))
}

/// Milliseconds since the epoch of a timeuuid, timestamp or date.
fn millis_of(src: Src, b: &[u8]) -> Result<i64, RequestError> {
    match src {
        Src::Timestamp => be_i64(b),
        Src::Date => {
            let a: [u8; 4] = b
                .try_into()
                .map_err(|_| RequestError::invalid("Expected 4 byte long for date"))?;
            Ok((i64::from(u32::from_be_bytes(a)) - DATE_EPOCH) * MILLIS_PER_DAY)
        }
        Src::Timeuuid => {
            let a: [u8; 16] = b
                .try_into()
                .map_err(|_| RequestError::invalid("Unable to make timeuuid from the value"))?;
            Ok(timeuuid_millis(&a))
        }
    }
}

fn date_of_millis(ms: i64) -> u32 {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn q(n: &str) -> QualifiedName {
        QualifiedName::unqualified(n)
    }

    #[test]
    fn spellings_resolve_to_the_same_function() {
        for n in ["toTimestamp", "totimestamp", "to_timestamp"] {
            let (f, _, ret) = resolve(&q(n), &[None]).unwrap();
            assert_eq!(f, ScalarFn::ToTimestamp(Src::Timeuuid));
            assert_eq!(ret, CqlType::Timestamp);
        }
        let (f, _, ret) = resolve(&q("intAsBlob"), &[None]).unwrap();
        assert_eq!((f, ret), (ScalarFn::AsBlob, CqlType::Blob));
        let (_, _, ret) = resolve(&q("blobAsBigint"), &[None]).unwrap();
        assert_eq!(ret, CqlType::Bigint);
    }

    #[test]
    fn unknown_function_message() {
        let e = resolve(&q("nosuch"), &[]).unwrap_err();
        assert_eq!(e.to_string(), "Unknown function nosuch");
    }

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
    fn to_date_of_a_timestamp() {
        let day3 = 3 * MILLIS_PER_DAY + 5;
        let v = call_scalar(
            ScalarFn::ToDate(Src::Timestamp),
            &[Val::Bytes(Bytes::copy_from_slice(&day3.to_be_bytes()))],
        )
        .unwrap();
        assert_eq!(
            v,
            Val::Bytes(Bytes::copy_from_slice(&((1u32 << 31) + 3).to_be_bytes()))
        );
        assert_eq!(
            call_scalar(ScalarFn::ToDate(Src::Timestamp), &[Val::Null]).unwrap(),
            Val::Null
        );
    }
}
