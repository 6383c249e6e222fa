//! Native scalar functions and operators (functions.adoc, operators.adoc), resolved by
//! name and argument types at prepare time into a [`ScalarFn`], then called per row or
//! per request on serialized values. A null argument gives null unless the function
//! says otherwise.
//!
//! Families, one file each:
//! - [`time`]: `now`, `uuid`, `current_*`, `to_timestamp` / `to_date` /
//!   `to_unix_timestamp`, `min_timeuuid` / `max_timeuuid`, `timestamp ± duration`;
//! - [`number`]: `+ - * / %`, unary minus, `abs`, `exp`, `log`, `log10`, `round`, with
//!   Cassandra's result types ([`decimal`] holds the BigDecimal arithmetic);
//! - [`cast`]: the CAST matrix;
//! - [`collection`]: `map_keys`, `map_values`, `collection_*`;
//! - [`masking`]: `mask_*`; [`vector`]: `similarity_*`;
//! - here: `<type>_as_blob` / `blob_as_<type>`, `from_json`, text concatenation.
//!
//! Names are case-insensitive and the pre-5.0 camelCase spellings (`toTimestamp`,
//! `intAsBlob`, `dateOf`) resolve to the same functions. User-defined functions do not
//! exist in Helenus (docs/FUNCTIONS.md): an unknown name is `Unknown function ...`.

mod bigmath;
pub mod cast;
mod collection;
pub mod decimal;
mod masking;
pub mod number;
pub mod time;
mod vector;

use bytes::Bytes;
use cql::parser::ast::{ArithmeticOp, QualifiedName};
use cql::types::{CqlType, CqlValue, TypeError};

use self::collection::CollectionFn;
use self::decimal::DecError;
use self::masking::MaskFn;
use self::number::{Arith, MathFn, NumType};
use self::vector::Similarity;
use super::term::Val;
use super::values;
use crate::error::RequestError;

pub use self::time::{new_timeuuid, timeuuid_at, timeuuid_millis, Src};

/// A resolved native function.
#[derive(Debug, Clone, PartialEq)]
pub enum ScalarFn {
    Now,
    Uuid,
    CurrentTimestamp,
    CurrentDate,
    CurrentTime,
    CurrentTimeuuid,
    ToTimestamp(Src),
    ToDate(Src),
    ToUnixTimestamp(Src),
    MinTimeuuid,
    MaxTimeuuid,
    /// `<type>AsBlob`: the bytes are unchanged.
    AsBlob,
    /// `blobAs<type>`: the bytes are unchanged once validated as the type.
    BlobAs(CqlType),
    Arith(Arith),
    Negate(NumType),
    /// `timestamp|date ± duration`, the temporal type.
    Temporal(ArithmeticOp, CqlType),
    /// `text + text` (5.0); the result type (ascii only if both sides are ascii).
    Concat(CqlType),
    Math(MathFn, NumType),
    Cast(CqlType, CqlType),
    Collection(CollectionFn, CqlType),
    Mask(MaskFn, CqlType),
    Similarity(Similarity),
    /// `fromJson(text)` for a receiver of this type.
    FromJson(CqlType),
}

/// Why a function failed on its input.
#[derive(Debug, thiserror::Error)]
pub enum FnError {
    /// Cassandra's `OperationExecutionException` (a FUNCTION_FAILURE error).
    #[error("the operation '{} {op} {}' failed: {msg}", left.cql_name(), right.cql_name())]
    Operation {
        left: CqlType,
        op: char,
        right: CqlType,
        msg: String,
    },
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Decimal(#[from] DecError),
    #[error(transparent)]
    Type(#[from] TypeError),
    #[error("the argument is not a number")]
    NotANumber,
    /// A Java `ArithmeticException` thrown by a native function (log of zero): it is
    /// not caught in Cassandra, so the client sees a server error with its text.
    #[error("java.lang.ArithmeticException: {0}")]
    Arithmetic(#[from] bigmath::MathError),
}

impl From<FnError> for RequestError {
    fn from(e: FnError) -> Self {
        match &e {
            FnError::Operation {
                left, op, right, ..
            } => RequestError::FunctionFailure {
                keyspace: "system".into(),
                function: match op {
                    '+' => "_add",
                    '-' => "_substract",
                    '*' => "_multiply",
                    '/' => "_divide",
                    _ => "_modulo",
                }
                .into(),
                arg_types: vec![left.cql_name(), right.cql_name()],
                message: e.to_string(),
            },
            FnError::Arithmetic(_) => RequestError::Server(e.to_string()),
            _ => RequestError::invalid(e.to_string()),
        }
    }
}

pub(crate) fn decode(b: &[u8], t: &CqlType) -> Result<CqlValue, FnError> {
    Ok(values::deserialize(b, t)?)
}

pub(crate) fn encode(v: &CqlValue, t: &CqlType) -> Result<Bytes, FnError> {
    Ok(values::try_serialize(v, t)?)
}

/// Lower-cases and removes underscores, so `toTimestamp`, `totimestamp` and
/// `to_timestamp` name the same function.
fn canonical(name: &str) -> String {
    name.chars()
        .filter(|c| *c != '_')
        .flat_map(char::to_lowercase)
        .collect()
}

fn native_by_name(n: &str) -> Option<CqlType> {
    let n = n.strip_prefix('_').unwrap_or(n);
    match n {
        "varchar" => Some(CqlType::Text),
        _ => cql::types::native_from_name(n),
    }
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
    let lower = name.name.to_lowercase();
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
    let first = || args.first().cloned().flatten();
    let signature_mismatch = |t: &CqlType| {
        RequestError::invalid(format!(
            "Invalid call to function system.{lower}, none of its type signatures match (argument of type {})",
            t.cql_name()
        ))
    };
    let time_src = |default: Src| -> Result<Src, RequestError> {
        match first() {
            None => Ok(default),
            Some(t) => Src::of(&t).ok_or_else(|| signature_mismatch(&t)),
        }
    };
    if let Some(m) = MathFn::by_name(&lower) {
        arity(1)?;
        let t = first().ok_or_else(|| ambiguous_call(name, &overloads(name)))?;
        let nt = NumType::of(&t).ok_or_else(|| signature_mismatch(&t))?;
        return Ok((ScalarFn::Math(m, nt), vec![t.clone()], nt.cql()));
    }
    if let Some(c) = CollectionFn::by_name(&lower) {
        arity(1)?;
        let t = first().ok_or_else(|| {
            RequestError::invalid(format!("Cannot infer the argument type of system.{lower}"))
        })?;
        let ret = c.return_type(&lower, &t)?;
        return Ok((ScalarFn::Collection(c, t.clone()), vec![t], ret));
    }
    if let Some(m) = MaskFn::by_name(&lower) {
        let (at, ret) = m.signature(&lower, args)?;
        let first = at.first().cloned().unwrap_or(CqlType::Blob);
        return Ok((ScalarFn::Mask(m, first), at, ret));
    }
    if let Some(s) = Similarity::by_name(&lower) {
        let dim = Similarity::check(&lower, args)?;
        let vt = CqlType::Vector(Box::new(CqlType::Float), dim);
        return Ok((
            ScalarFn::Similarity(s),
            vec![vt.clone(), vt],
            CqlType::Float,
        ));
    }
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
            let s = time_src(Src::Timeuuid)?;
            (ScalarFn::ToTimestamp(s), vec![s.typ()], CqlType::Timestamp)
        }
        "todate" => {
            arity(1)?;
            let s = time_src(Src::Timeuuid)?;
            (ScalarFn::ToDate(s), vec![s.typ()], CqlType::Date)
        }
        "tounixtimestamp" | "unixtimestampof" => {
            arity(1)?;
            let s = time_src(Src::Timeuuid)?;
            (ScalarFn::ToUnixTimestamp(s), vec![s.typ()], CqlType::Bigint)
        }
        "mintimeuuid" | "maxtimeuuid" => {
            arity(1)?;
            let f = if n == "mintimeuuid" {
                ScalarFn::MinTimeuuid
            } else {
                ScalarFn::MaxTimeuuid
            };
            (f, vec![CqlType::Timestamp], CqlType::Timeuuid)
        }
        other => {
            if let Some(t) = other.strip_suffix("asblob").and_then(native_by_name) {
                arity(1)?;
                (ScalarFn::AsBlob, vec![t], CqlType::Blob)
            } else if let Some(t) = other.strip_prefix("blobas").and_then(native_by_name) {
                arity(1)?;
                (ScalarFn::BlobAs(t.clone()), vec![CqlType::Blob], t)
            } else {
                return Err(unknown(name));
            }
        }
    };
    Ok(r)
}

/// Resolution for a term whose receiver type is known: the argument types come from
/// the function (`to_timestamp(now())` takes a timeuuid), `fromJson` and functions
/// that return their argument's type take the receiver's type.
pub fn resolve_scalar(
    name: &QualifiedName,
    nargs: usize,
    receiver: &CqlType,
) -> Result<(ScalarFn, Vec<CqlType>), RequestError> {
    let lower = name.name.to_lowercase();
    if name.keyspace.as_deref().is_none_or(|k| k == "system") && canonical(&lower) == "fromjson" {
        if nargs != 1 {
            return Err(RequestError::invalid(format!(
                "fromJson() only accepts one argument (got {nargs})"
            )));
        }
        return Ok((ScalarFn::FromJson(receiver.clone()), vec![CqlType::Text]));
    }
    let mut args = vec![None; nargs];
    let typed_like_receiver = MathFn::by_name(&lower).is_some()
        || MaskFn::by_name(&lower).is_some()
        || Similarity::by_name(&lower).is_some();
    if typed_like_receiver {
        for a in args
            .iter_mut()
            .take(if Similarity::by_name(&lower).is_some() {
                2
            } else {
                1
            })
        {
            *a = Some(receiver.clone());
        }
    }
    let (f, at, _) = resolve(name, &args)?;
    Ok((f, at))
}

/// Resolves `left op right` on operand types (OperationFcts): numbers, temporal ±
/// duration, `text + text`. The labels name the operands in errors.
pub fn resolve_operation(
    op: ArithmeticOp,
    left: &CqlType,
    right: &CqlType,
    labels: (&str, &str),
) -> Result<(ScalarFn, CqlType), RequestError> {
    let (l, r) = (left.unfrozen(), right.unfrozen());
    if let (Some(a), Some(b)) = (NumType::of(l), NumType::of(r)) {
        let f = Arith::new(op, a, b);
        let ret = f.ret.cql();
        return Ok((ScalarFn::Arith(f), ret));
    }
    let add_sub = matches!(op, ArithmeticOp::Add | ArithmeticOp::Sub);
    if add_sub && matches!(l, CqlType::Timestamp | CqlType::Date) && *r == CqlType::Duration {
        return Ok((ScalarFn::Temporal(op, l.clone()), l.clone()));
    }
    let textual = |t: &CqlType| matches!(t, CqlType::Text | CqlType::Ascii);
    if op == ArithmeticOp::Add && textual(l) && textual(r) {
        let ret = if *l == CqlType::Ascii && *r == CqlType::Ascii {
            CqlType::Ascii
        } else {
            CqlType::Text
        };
        return Ok((ScalarFn::Concat(ret.clone()), ret));
    }
    Err(RequestError::invalid(format!(
        "the '{}' operation is not supported between {} and {}",
        number::op_symbol(op),
        labels.0,
        labels.1
    )))
}

/// Resolves unary minus on an operand type.
pub fn resolve_negation(t: &CqlType, label: &str) -> Result<(ScalarFn, CqlType), RequestError> {
    match NumType::of(t) {
        Some(nt) => Ok((ScalarFn::Negate(nt), nt.cql())),
        None => Err(RequestError::invalid(format!(
            "Invalid negation of {label}: the '-' operation is only supported on numbers (found {})",
            t.cql_name()
        ))),
    }
}

/// The signatures (argument type, return type) of a one-argument native function that
/// Cassandra overloads on its argument type, in its registration order: an untyped
/// argument (a bind marker) cannot choose between them. Empty for other functions.
pub fn overloads(name: &QualifiedName) -> Vec<(CqlType, CqlType)> {
    if name.keyspace.as_deref().is_some_and(|k| k != "system") {
        return vec![];
    }
    let lower = name.name.to_lowercase();
    if MathFn::by_name(&lower).is_some() {
        // MathFcts' numericTypes order.
        return [
            CqlType::Tinyint,
            CqlType::Smallint,
            CqlType::Int,
            CqlType::Float,
            CqlType::Bigint,
            CqlType::Double,
            CqlType::Varint,
            CqlType::Decimal,
            CqlType::Counter,
        ]
        .into_iter()
        .map(|t| (t.clone(), t))
        .collect();
    }
    let (sources, ret): (&[CqlType], CqlType) = match canonical(&lower).as_str() {
        "todate" => (&[CqlType::Timeuuid, CqlType::Timestamp], CqlType::Date),
        "totimestamp" => (&[CqlType::Timeuuid, CqlType::Date], CqlType::Timestamp),
        "tounixtimestamp" => (
            &[CqlType::Timeuuid, CqlType::Timestamp, CqlType::Date],
            CqlType::Bigint,
        ),
        _ => return vec![],
    };
    sources.iter().map(|s| (s.clone(), ret.clone())).collect()
}

/// FunctionResolver's message when several signatures accept the arguments.
pub fn ambiguous_call(name: &QualifiedName, sigs: &[(CqlType, CqlType)]) -> RequestError {
    let lower = name.name.to_lowercase();
    let listed: Vec<String> = sigs
        .iter()
        .map(|(a, r)| format!("system.{lower} : ({}) -> {}", a.cql_name(), r.cql_name()))
        .collect();
    RequestError::invalid(format!(
        "Ambiguous call to function {name} (can be matched by following signatures: {}): use type casts to disambiguate",
        listed.join(", ")
    ))
}

pub fn unknown(name: &QualifiedName) -> RequestError {
    RequestError::invalid(format!("Unknown function {}", name))
}

/// Calls a function on serialized arguments.
pub fn call_scalar(f: &ScalarFn, args: &[Val]) -> Result<Val, RequestError> {
    let arg = |i: usize| -> Option<&Bytes> { args.get(i).and_then(Val::bytes) };
    let ms_bytes = |ms: i64| Some(Bytes::copy_from_slice(&ms.to_be_bytes()));
    let out: Option<Bytes> = match f {
        ScalarFn::Now | ScalarFn::CurrentTimeuuid => Some(Bytes::copy_from_slice(&new_timeuuid())),
        ScalarFn::Uuid => Some(Bytes::copy_from_slice(uuid::Uuid::new_v4().as_bytes())),
        ScalarFn::CurrentTimestamp => ms_bytes(time::now_millis()),
        ScalarFn::CurrentDate => Some(Bytes::copy_from_slice(
            &time::date_of_millis(time::now_millis()).to_be_bytes(),
        )),
        ScalarFn::CurrentTime => ms_bytes(time::current_time_nanos()),
        ScalarFn::ToTimestamp(src) | ScalarFn::ToUnixTimestamp(src) => match arg(0) {
            Some(b) if !b.is_empty() => ms_bytes(time::millis_of(*src, b)?),
            _ => None,
        },
        ScalarFn::ToDate(src) => match arg(0) {
            Some(b) if !b.is_empty() => Some(Bytes::copy_from_slice(
                &time::date_of_millis(time::millis_of(*src, b)?).to_be_bytes(),
            )),
            _ => None,
        },
        ScalarFn::MinTimeuuid | ScalarFn::MaxTimeuuid => match arg(0) {
            Some(b) if !b.is_empty() => {
                let ms = time::millis_of(Src::Timestamp, b)?;
                Some(Bytes::copy_from_slice(&timeuuid_at(
                    ms,
                    *f == ScalarFn::MinTimeuuid,
                )))
            }
            _ => None,
        },
        ScalarFn::AsBlob => arg(0).cloned(),
        ScalarFn::BlobAs(t) => match arg(0) {
            Some(b) => {
                values::validate(b, t).map_err(|e| RequestError::invalid(e.to_string()))?;
                Some(b.clone())
            }
            None => None,
        },
        ScalarFn::Arith(a) => a.call(arg(0), arg(1))?,
        ScalarFn::Negate(t) => number::negate(*t, arg(0))?,
        ScalarFn::Math(m, t) => m.call(*t, arg(0))?,
        ScalarFn::Temporal(op, t) => match (arg(0), arg(1)) {
            (Some(a), Some(d)) if !a.is_empty() && !d.is_empty() => {
                let v = time::temporal_op(*op, &decode(a, t)?, &decode(d, &CqlType::Duration)?)?;
                Some(encode(&v, t)?)
            }
            _ => None,
        },
        ScalarFn::Concat(_) => match (arg(0), arg(1)) {
            (Some(a), Some(b)) => {
                let mut out = Vec::with_capacity(a.len() + b.len());
                out.extend_from_slice(a);
                out.extend_from_slice(b);
                Some(Bytes::from(out))
            }
            _ => None,
        },
        ScalarFn::Cast(from, to) => match arg(0) {
            Some(b) => Some(cast::cast(b, from, to)?)
                .filter(|b| !b.is_empty() || matches!(to, CqlType::Text | CqlType::Ascii)),
            None => None,
        },
        ScalarFn::Collection(c, t) => c.call(t, arg(0))?,
        ScalarFn::Mask(m, t) => {
            let a: Vec<Option<&Bytes>> = (0..args.len()).map(arg).collect();
            m.call(t, &a)?
        }
        ScalarFn::Similarity(s) => s.call(arg(0), arg(1))?,
        ScalarFn::FromJson(t) => match arg(0) {
            Some(b) => from_json(b, t)?,
            None => None,
        },
    };
    Ok(match out {
        Some(v) => Val::Bytes(v),
        None => Val::Null,
    })
}

/// `fromJson(text)`: the JSON value as a value of the receiver's type; JSON `null`
/// is null.
fn from_json(b: &[u8], t: &CqlType) -> Result<Option<Bytes>, FnError> {
    let s = std::str::from_utf8(b)
        .map_err(|_| FnError::Invalid("Invalid UTF-8 in JSON string".into()))?;
    let json: serde_json::Value = serde_json::from_str(s)
        .map_err(|e| FnError::Invalid(format!("Could not decode JSON string '{s}': {e}")))?;
    match cql::types::from_json_opt(&json, t) {
        Ok(Some(v)) => Ok(Some(encode(&v, t)?)),
        Ok(None) => Ok(None),
        Err(e) => Err(FnError::Invalid(format!(
            "Error decoding JSON value for {}: {e}",
            t.cql_name()
        ))),
    }
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
        let (_, _, ret) = resolve(&q("blob_as_tinyint"), &[None]).unwrap();
        assert_eq!(ret, CqlType::Tinyint);
    }

    #[test]
    fn unknown_function_message() {
        let e = resolve(&q("nosuch"), &[]).unwrap_err();
        assert_eq!(e.to_string(), "Unknown function nosuch");
    }

    #[test]
    fn math_keeps_the_argument_type_and_refuses_text() {
        let (_, _, ret) = resolve(&q("abs"), &[Some(CqlType::Smallint)]).unwrap();
        assert_eq!(ret, CqlType::Smallint);
        let e = resolve(&q("abs"), &[Some(CqlType::Text)]).unwrap_err();
        assert!(
            e.to_string().contains("none of its type signatures match"),
            "{e}"
        );
    }

    #[test]
    fn operations_resolve_by_type() {
        let (_, ret) = resolve_operation(
            ArithmeticOp::Add,
            &CqlType::Timestamp,
            &CqlType::Duration,
            ("a", "b"),
        )
        .unwrap();
        assert_eq!(ret, CqlType::Timestamp);
        let (_, ret) = resolve_operation(
            ArithmeticOp::Add,
            &CqlType::Ascii,
            &CqlType::Text,
            ("a", "b"),
        )
        .unwrap();
        assert_eq!(ret, CqlType::Text);
        let e = resolve_operation(ArithmeticOp::Mul, &CqlType::Text, &CqlType::Int, ("t", "i"))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "the '*' operation is not supported between t and i"
        );
    }

    #[test]
    fn division_by_zero_is_a_function_failure() {
        let (f, _) =
            resolve_operation(ArithmeticOp::Div, &CqlType::Int, &CqlType::Int, ("a", "b")).unwrap();
        let one = Val::Bytes(Bytes::copy_from_slice(&1i32.to_be_bytes()));
        let zero = Val::Bytes(Bytes::copy_from_slice(&0i32.to_be_bytes()));
        let e = call_scalar(&f, &[one, zero]).unwrap_err();
        assert!(matches!(e, RequestError::FunctionFailure { .. }));
        assert_eq!(e.to_string(), "the operation 'int / int' failed: / by zero");
    }

    #[test]
    fn to_date_of_a_timestamp() {
        let day3 = 3 * time::MILLIS_PER_DAY + 5;
        let v = call_scalar(
            &ScalarFn::ToDate(Src::Timestamp),
            &[Val::Bytes(Bytes::copy_from_slice(&day3.to_be_bytes()))],
        )
        .unwrap();
        assert_eq!(
            v,
            Val::Bytes(Bytes::copy_from_slice(&((1u32 << 31) + 3).to_be_bytes()))
        );
        assert_eq!(
            call_scalar(&ScalarFn::ToDate(Src::Timestamp), &[Val::Null]).unwrap(),
            Val::Null
        );
    }
}
