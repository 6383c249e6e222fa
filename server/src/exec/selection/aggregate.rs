//! Aggregate states (`count`, `min`, `max`, `sum`, `avg`) and how rows fold into them.

use bytes::Bytes;
use cql::types::{CqlType, CqlValue};
use num_bigint::BigInt;

use super::{as_f64, as_i128, from_f64, varint_bytes, AggKind, RowView, Sel, SelectionPlan};
use crate::error::RequestError;
use crate::exec::functions::decimal::Dec;
use crate::exec::functions::number::Num;
use crate::exec::values;

/// The running state of one aggregate.
#[derive(Debug, Clone)]
pub enum AggState {
    Count(i64),
    Best(Option<Bytes>),
    SumInt(i128, u64),
    SumFloat(f64, u64),
    /// decimal and varint sums are exact (the sum of decimals keeps the largest
    /// scale; a varint beyond 128 bits does not overflow).
    SumDecimal(Dec, u64),
    SumVarint(BigInt, u64),
}

impl SelectionPlan {
    pub fn new_states(&self) -> Vec<AggState> {
        self.sels
            .iter()
            .map(|s| match s {
                Sel::CountAll | Sel::Agg(AggKind::Count, ..) => AggState::Count(0),
                Sel::Agg(AggKind::Sum | AggKind::Avg, _, CqlType::Float | CqlType::Double) => {
                    AggState::SumFloat(0.0, 0)
                }
                Sel::Agg(AggKind::Sum | AggKind::Avg, _, CqlType::Decimal) => {
                    AggState::SumDecimal(Dec::from_bigint(BigInt::from(0)), 0)
                }
                Sel::Agg(AggKind::Sum | AggKind::Avg, _, CqlType::Varint) => {
                    AggState::SumVarint(BigInt::from(0), 0)
                }
                Sel::Agg(AggKind::Sum | AggKind::Avg, ..) => AggState::SumInt(0, 0),
                _ => AggState::Best(None),
            })
            .collect()
    }

    /// Folds one row into the aggregate states.
    pub fn accumulate(
        &self,
        states: &mut [AggState],
        row: &RowView,
        first: bool,
    ) -> Result<(), RequestError> {
        for (s, st) in self.sels.iter().zip(states.iter_mut()) {
            match (s, st) {
                (Sel::CountAll, AggState::Count(n)) => *n += 1,
                (Sel::Agg(AggKind::Count, inner, _), AggState::Count(n)) => {
                    *n += i64::from(inner.eval(row)?.is_some())
                }
                (
                    Sel::Agg(kind @ (AggKind::Min | AggKind::Max), inner, t),
                    AggState::Best(best),
                ) => {
                    if let Some(v) = inner.eval(row)? {
                        let better = match best {
                            None => true,
                            Some(b) => {
                                let o = values::compare(t, &v, b);
                                if *kind == AggKind::Min {
                                    o.is_lt()
                                } else {
                                    o.is_gt()
                                }
                            }
                        };
                        if better {
                            *best = Some(v);
                        }
                    }
                }
                (Sel::Agg(_, inner, t), AggState::SumInt(sum, n)) => {
                    if let Some(v) = inner.eval(row)? {
                        let v = values::deserialize(&v, t)
                            .map_err(|e| RequestError::invalid(e.to_string()))?;
                        *sum += as_i128(&v).unwrap_or(0);
                        *n += 1;
                    }
                }
                (Sel::Agg(_, inner, t), AggState::SumFloat(sum, n)) => {
                    if let Some(v) = inner.eval(row)? {
                        let v = values::deserialize(&v, t)
                            .map_err(|e| RequestError::invalid(e.to_string()))?;
                        *sum += as_f64(&v).unwrap_or(0.0);
                        *n += 1;
                    }
                }
                (Sel::Agg(_, inner, t), AggState::SumDecimal(sum, n)) => {
                    if let Some(v) = inner.eval(row)? {
                        let v = values::deserialize(&v, t)
                            .map_err(|e| RequestError::invalid(e.to_string()))?;
                        if let Some(x) = Num::from_value(&v) {
                            let d = x
                                .dec_value()
                                .map_err(|e| RequestError::invalid(e.to_string()))?;
                            *sum = sum.add(&d);
                            *n += 1;
                        }
                    }
                }
                (Sel::Agg(_, inner, t), AggState::SumVarint(sum, n)) => {
                    if let Some(v) = inner.eval(row)? {
                        let v = values::deserialize(&v, t)
                            .map_err(|e| RequestError::invalid(e.to_string()))?;
                        if let Some(x) = Num::from_value(&v) {
                            *sum += x.big_value();
                            *n += 1;
                        }
                    }
                }
                // A plain selector next to aggregates shows the first row's value.
                (other, AggState::Best(best)) if first => *best = other.eval(row)?,
                _ => {}
            }
        }
        Ok(())
    }

    /// The single result row of an aggregate query.
    pub fn finish(&self, states: Vec<AggState>) -> Result<Vec<Option<Bytes>>, RequestError> {
        let mut out = Vec::with_capacity(states.len());
        for ((s, st), spec) in self.sels.iter().zip(states).zip(self.columns.iter()) {
            let t = &spec.typ;
            let v = match st {
                AggState::Count(n) => Some(Bytes::copy_from_slice(&n.to_be_bytes())),
                AggState::Best(b) => b,
                AggState::SumInt(sum, n) => {
                    let v = if matches!(s, Sel::Agg(AggKind::Avg, ..)) && n > 0 {
                        sum / n as i128
                    } else {
                        sum
                    };
                    if *t == CqlType::Varint {
                        Some(varint_bytes(v))
                    } else {
                        let cv = from_f64(v as f64, t, &CqlValue::Bigint(v as i64))?;
                        Some(
                            values::try_serialize(&cv, t)
                                .map_err(|e| RequestError::invalid(e.to_string()))?,
                        )
                    }
                }
                AggState::SumDecimal(sum, n) => {
                    let v = if matches!(s, Sel::Agg(AggKind::Avg, ..)) && n > 0 {
                        sum.div(&Dec::from_bigint(BigInt::from(n)))
                            .map_err(|e| RequestError::invalid(e.to_string()))?
                    } else {
                        sum
                    };
                    let cv = CqlValue::Decimal {
                        unscaled: v.unscaled,
                        scale: v.scale,
                    };
                    Some(
                        values::try_serialize(&cv, t)
                            .map_err(|e| RequestError::invalid(e.to_string()))?,
                    )
                }
                AggState::SumVarint(sum, n) => {
                    let v = if matches!(s, Sel::Agg(AggKind::Avg, ..)) && n > 0 {
                        sum / BigInt::from(n)
                    } else {
                        sum
                    };
                    Some(
                        values::try_serialize(&CqlValue::Varint(v), t)
                            .map_err(|e| RequestError::invalid(e.to_string()))?,
                    )
                }
                AggState::SumFloat(sum, n) => {
                    let v = if matches!(s, Sel::Agg(AggKind::Avg, ..)) && n > 0 {
                        sum / n as f64
                    } else {
                        sum
                    };
                    let cv = match t {
                        CqlType::Float => CqlValue::Float(v as f32),
                        _ => CqlValue::Double(v),
                    };
                    Some(
                        values::try_serialize(&cv, t)
                            .map_err(|e| RequestError::invalid(e.to_string()))?,
                    )
                }
            };
            out.push(v);
        }
        Ok(out)
    }
}
