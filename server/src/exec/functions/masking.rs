//! Dynamic data masking functions (5.0, MaskingFcts): `mask_null`, `mask_default`,
//! `mask_replace`, `mask_inner`, `mask_outer`, `mask_hash`. They are plain functions
//! here: Helenus has no `MASKED WITH` column masks, so they only run where a query
//! calls them. A null input gives null.

use bytes::Bytes;
use cql::types::{CqlType, CqlValue};
use sha2::{Digest, Sha256, Sha512};

use super::{decode, encode, FnError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaskFn {
    Null,
    Default,
    Replace,
    Inner,
    Outer,
    Hash,
}

impl MaskFn {
    pub fn by_name(n: &str) -> Option<MaskFn> {
        Some(match n {
            "mask_null" => MaskFn::Null,
            "mask_default" => MaskFn::Default,
            "mask_replace" => MaskFn::Replace,
            "mask_inner" => MaskFn::Inner,
            "mask_outer" => MaskFn::Outer,
            "mask_hash" => MaskFn::Hash,
            _ => return None,
        })
    }

    /// Argument types to compile the arguments against, and the return type.
    pub fn signature(
        self,
        name: &str,
        args: &[Option<CqlType>],
    ) -> Result<(Vec<CqlType>, CqlType), FnError> {
        let first = args.first().cloned().flatten().ok_or_else(|| {
            FnError::Invalid(format!(
                "Invalid number of arguments for function system.{name}: the first argument is required and its type must be known"
            ))
        })?;
        let count = |lo: usize, hi: usize| {
            if args.len() < lo || args.len() > hi {
                Err(FnError::Invalid(format!(
                    "Invalid number of arguments for function system.{name}({}): {} given",
                    first.cql_name(),
                    args.len()
                )))
            } else {
                Ok(())
            }
        };
        Ok(match self {
            MaskFn::Null | MaskFn::Default => {
                count(1, 1)?;
                (vec![first.clone()], first)
            }
            MaskFn::Replace => {
                count(2, 2)?;
                (vec![first.clone(), first.clone()], first)
            }
            MaskFn::Inner | MaskFn::Outer => {
                count(3, 4)?;
                if !matches!(first.unfrozen(), CqlType::Text | CqlType::Ascii) {
                    return Err(FnError::Invalid(format!(
                        "Function system.{name} requires an argument of type text or ascii, but found argument of type {}",
                        first.cql_name()
                    )));
                }
                let mut at = vec![first.clone(), CqlType::Int, CqlType::Int];
                if args.len() == 4 {
                    at.push(CqlType::Text);
                }
                (at, first)
            }
            MaskFn::Hash => {
                count(1, 2)?;
                let mut at = vec![first];
                if args.len() == 2 {
                    at.push(CqlType::Text);
                }
                (at, CqlType::Blob)
            }
        })
    }

    pub fn call(self, typ: &CqlType, args: &[Option<&Bytes>]) -> Result<Option<Bytes>, FnError> {
        let arg = |i: usize| args.get(i).copied().flatten();
        let Some(v) = arg(0) else {
            return Ok(None);
        };
        Ok(match self {
            MaskFn::Null => None,
            MaskFn::Default => Some(encode(&masked_value(typ), typ)?),
            MaskFn::Replace => arg(1).cloned(),
            MaskFn::Inner | MaskFn::Outer => {
                let s = match decode(v, typ)? {
                    CqlValue::Text(s) | CqlValue::Ascii(s) => s,
                    _ => return Err(FnError::Invalid("expected text".into())),
                };
                let int = |i: usize, what: &str| -> Result<usize, FnError> {
                    match arg(i) {
                        None => Ok(0),
                        Some(b) => {
                            let n = i32::from_be_bytes(b[..].try_into().map_err(|_| {
                                FnError::Invalid(format!("Invalid {what} argument"))
                            })?);
                            usize::try_from(n).map_err(|_| {
                                FnError::Invalid(format!(
                                    "Argument '{what}' must be a positive integer, found {n}"
                                ))
                            })
                        }
                    }
                };
                let (begin, end) = (int(1, "begin")?, int(2, "end")?);
                let pad = match arg(3) {
                    None => '*',
                    Some(b) => {
                        let p = std::str::from_utf8(b)
                            .map_err(|_| FnError::Invalid("Invalid padding".into()))?;
                        let mut cs = p.chars();
                        match (cs.next(), cs.next()) {
                            (Some(c), None) => c,
                            _ => {
                                return Err(FnError::Invalid(format!(
                                "The padding argument must be a single character, but found '{p}'"
                            )))
                            }
                        }
                    }
                };
                let chars: Vec<char> = s.chars().collect();
                let n = chars.len();
                let out: String = chars
                    .iter()
                    .enumerate()
                    .map(|(i, c)| {
                        let outer = i < begin || i + end >= n;
                        let masked = if self == MaskFn::Inner { !outer } else { outer };
                        if masked {
                            pad
                        } else {
                            *c
                        }
                    })
                    .collect();
                let out = if *typ.unfrozen() == CqlType::Ascii {
                    CqlValue::Ascii(out)
                } else {
                    CqlValue::Text(out)
                };
                Some(encode(&out, typ)?)
            }
            MaskFn::Hash => {
                let algo = match arg(1) {
                    None => "SHA-256".to_string(),
                    Some(b) => String::from_utf8_lossy(b).into_owned(),
                };
                let digest: Vec<u8> = match algo.to_ascii_uppercase().as_str() {
                    "SHA-256" => Sha256::digest(v).to_vec(),
                    "SHA-512" => Sha512::digest(v).to_vec(),
                    _ => {
                        return Err(FnError::Invalid(format!(
                        "Hash algorithm not found: {algo} (Helenus supports SHA-256 and SHA-512)"
                    )))
                    }
                };
                Some(Bytes::from(digest))
            }
        })
    }
}

/// `AbstractType.getMaskedValue()`: a fixed stand-in per type.
fn masked_value(t: &CqlType) -> CqlValue {
    use num_bigint::BigInt;
    match t.unfrozen() {
        CqlType::Ascii => CqlValue::Ascii("****".into()),
        CqlType::Text => CqlValue::Text("****".into()),
        CqlType::Bigint => CqlValue::Bigint(0),
        CqlType::Counter => CqlValue::Counter(0),
        CqlType::Int => CqlValue::Int(0),
        CqlType::Smallint => CqlValue::Smallint(0),
        CqlType::Tinyint => CqlValue::Tinyint(0),
        CqlType::Float => CqlValue::Float(0.0),
        CqlType::Double => CqlValue::Double(0.0),
        CqlType::Varint => CqlValue::Varint(BigInt::from(0)),
        CqlType::Decimal => CqlValue::Decimal {
            unscaled: BigInt::from(0),
            scale: 0,
        },
        CqlType::Boolean => CqlValue::Boolean(false),
        CqlType::Timestamp => CqlValue::Timestamp(0),
        CqlType::Date => CqlValue::Date(1 << 31),
        CqlType::Time => CqlValue::Time(0),
        CqlType::Duration => CqlValue::Duration {
            months: 0,
            days: 0,
            nanos: 0,
        },
        CqlType::Uuid => CqlValue::Uuid(uuid::Uuid::nil()),
        CqlType::Timeuuid => CqlValue::Timeuuid(uuid::Uuid::from_u128(0x1000_u128 << 64)),
        CqlType::Inet => CqlValue::Inet(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED)),
        CqlType::List(_) => CqlValue::List(vec![]),
        CqlType::Set(_) => CqlValue::Set(vec![]),
        CqlType::Map(..) => CqlValue::Map(vec![]),
        CqlType::Vector(e, n) => CqlValue::Vector(vec![masked_value(e); *n as usize]),
        CqlType::Tuple(ts) => CqlValue::Tuple(ts.iter().map(|t| Some(masked_value(t))).collect()),
        CqlType::Udt(u) => CqlValue::Udt(
            u.fields
                .iter()
                .map(|(n, t)| (n.clone(), Some(masked_value(t))))
                .collect(),
        ),
        _ => CqlValue::Blob(Bytes::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Bytes {
        Bytes::copy_from_slice(s.as_bytes())
    }

    fn int(i: i32) -> Bytes {
        Bytes::copy_from_slice(&i.to_be_bytes())
    }

    #[test]
    fn inner_and_outer() {
        let v = text("1234567890");
        let (b, e) = (int(2), int(3));
        let out = MaskFn::Inner
            .call(&CqlType::Text, &[Some(&v), Some(&b), Some(&e)])
            .unwrap();
        assert_eq!(out.unwrap(), text("12*****890"));
        let out = MaskFn::Outer
            .call(&CqlType::Text, &[Some(&v), Some(&b), Some(&e)])
            .unwrap();
        assert_eq!(out.unwrap(), text("**34567***"));
        let pad = text("#");
        let out = MaskFn::Outer
            .call(
                &CqlType::Text,
                &[Some(&v), Some(&int(1)), Some(&int(0)), Some(&pad)],
            )
            .unwrap();
        assert_eq!(out.unwrap(), text("#234567890"));
    }

    #[test]
    fn hash_is_sha256_of_the_serialized_value() {
        let out = MaskFn::Hash
            .call(&CqlType::Text, &[Some(&text("abc"))])
            .unwrap()
            .unwrap();
        assert_eq!(
            out.iter().map(|b| format!("{b:02x}")).collect::<String>(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
