//! The 5.0 collection functions (CollectionFcts): `map_keys` (a set), `map_values`
//! (a list), `collection_count` (an int), and `collection_min` / `max` / `sum` / `avg`
//! over the elements of a list or set, with the semantics of the aggregates of the
//! same name: the result has the element type (an int average has no fraction), the
//! sum and average of an empty collection are 0, its min and max null.

use bytes::Bytes;
use cql::types::{CqlType, CqlValue};
use num_bigint::BigInt;

use super::decimal::Dec;
use super::number::{Num, NumType};
use super::{decode, encode, FnError};
use crate::exec::values;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CollectionFn {
    MapKeys,
    MapValues,
    Count,
    Min,
    Max,
    Sum,
    Avg,
}

impl CollectionFn {
    pub fn by_name(n: &str) -> Option<CollectionFn> {
        Some(match n {
            "map_keys" => CollectionFn::MapKeys,
            "map_values" => CollectionFn::MapValues,
            "collection_count" => CollectionFn::Count,
            "collection_min" => CollectionFn::Min,
            "collection_max" => CollectionFn::Max,
            "collection_sum" => CollectionFn::Sum,
            "collection_avg" => CollectionFn::Avg,
            _ => return None,
        })
    }

    /// The return type for an argument of type `arg`, or the reason it does not fit.
    pub fn return_type(self, name: &str, arg: &CqlType) -> Result<CqlType, FnError> {
        let bad = || {
            FnError::Invalid(format!(
                "Function system.{name} requires an argument of type {}, but found argument of type {}",
                match self {
                    CollectionFn::MapKeys | CollectionFn::MapValues => "map",
                    CollectionFn::Count => "collection",
                    CollectionFn::Min | CollectionFn::Max => "set or list",
                    CollectionFn::Sum | CollectionFn::Avg => "numeric set or list",
                },
                arg.cql_name()
            ))
        };
        let t = arg.unfrozen();
        Ok(match (self, t) {
            (CollectionFn::MapKeys, CqlType::Map(k, _)) => CqlType::Set(k.clone()),
            (CollectionFn::MapValues, CqlType::Map(_, v)) => CqlType::List(v.clone()),
            (CollectionFn::Count, CqlType::Map(..) | CqlType::List(_) | CqlType::Set(_)) => {
                CqlType::Int
            }
            (CollectionFn::Min | CollectionFn::Max, CqlType::List(e) | CqlType::Set(e)) => {
                (**e).clone()
            }
            (CollectionFn::Sum | CollectionFn::Avg, CqlType::List(e) | CqlType::Set(e))
                if NumType::of(e).is_some_and(|n| n != NumType::Counter) =>
            {
                (**e).clone()
            }
            _ => return Err(bad()),
        })
    }

    pub fn call(self, arg_type: &CqlType, b: Option<&Bytes>) -> Result<Option<Bytes>, FnError> {
        let Some(b) = b else {
            return Ok(None);
        };
        let items = crate::exec::modify::split_collection(b, arg_type)
            .map_err(|e| FnError::Invalid(e.to_string()))?;
        let t = arg_type.unfrozen();
        let (elem, is_map) = match t {
            CqlType::Map(k, v) => (
                if self == CollectionFn::MapValues {
                    v
                } else {
                    k
                },
                true,
            ),
            CqlType::List(e) | CqlType::Set(e) => (e, false),
            _ => return Err(FnError::Invalid("not a collection".into())),
        };
        let elem: &CqlType = elem;
        Ok(match self {
            CollectionFn::Count => {
                let n = if is_map { items.len() / 2 } else { items.len() };
                Some(Bytes::copy_from_slice(&(n as i32).to_be_bytes()))
            }
            CollectionFn::MapKeys | CollectionFn::MapValues => {
                let skip = usize::from(self == CollectionFn::MapValues);
                let picked: Vec<&Bytes> = items.iter().skip(skip).step_by(2).collect();
                let mut out =
                    Vec::with_capacity(4 + picked.iter().map(|p| 4 + p.len()).sum::<usize>());
                out.extend_from_slice(&(picked.len() as i32).to_be_bytes());
                for p in picked {
                    out.extend_from_slice(&(p.len() as i32).to_be_bytes());
                    out.extend_from_slice(p);
                }
                // Map keys are already sorted and unique: a valid set as they are.
                Some(Bytes::from(out))
            }
            CollectionFn::Min | CollectionFn::Max => {
                let mut best: Option<&Bytes> = None;
                for it in &items {
                    let better = match best {
                        None => true,
                        Some(b) => {
                            let o = values::compare(elem, it, b);
                            if self == CollectionFn::Min {
                                o.is_lt()
                            } else {
                                o.is_gt()
                            }
                        }
                    };
                    if better {
                        best = Some(it);
                    }
                }
                best.cloned()
            }
            CollectionFn::Sum | CollectionFn::Avg => {
                let nt = NumType::of(elem).ok_or(FnError::NotANumber)?;
                let mut nums = Vec::with_capacity(items.len());
                for it in &items {
                    nums.push(Num::from_value(&decode(it, elem)?).ok_or(FnError::NotANumber)?);
                }
                let v = sum_or_avg(nt, &nums, self == CollectionFn::Avg)?;
                Some(encode(&v, elem)?)
            }
        })
    }
}

/// The `sum` / `avg` aggregates of AggregateFcts over `nums` in type `t`.
fn sum_or_avg(t: NumType, nums: &[Num], avg: bool) -> Result<CqlValue, FnError> {
    let n = nums.len();
    let v = match t {
        NumType::Float | NumType::Double => {
            let s: f64 = nums.iter().map(Num::double_value).sum();
            Num::Float(if avg && n > 0 { s / n as f64 } else { s })
        }
        NumType::Varint => {
            let s: BigInt = nums.iter().map(Num::big_value).sum();
            Num::Big(if avg && n > 0 { s / BigInt::from(n) } else { s })
        }
        NumType::Decimal => {
            let mut s = Dec::from_bigint(BigInt::from(0));
            for x in nums {
                s = s.add(&x.dec_value()?);
            }
            if avg && n > 0 {
                s = s.div(&Dec::from_bigint(BigInt::from(n)))?;
            }
            Num::Dec(s)
        }
        _ => {
            // Integer sums accumulate wide and narrow like Java's (int) / (long) casts.
            let s: i128 = nums.iter().map(|x| i128::from(x.long_value())).sum();
            let s = if avg && n > 0 { s / n as i128 } else { s };
            Num::Int(s as i64)
        }
    };
    Ok(v.into_value(t)?)
}
