//! Vector similarity (VectorFcts, 5.0): Lucene's `VectorSimilarityFunction` scores on
//! two `vector<float, n>` of the same dimension, as a float:
//! cosine `(1 + cos) / 2`, euclidean `1 / (1 + d²)`, dot product `max((1 + dot) / 2, 0)`.

use bytes::Bytes;
use cql::types::CqlType;

use super::FnError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Similarity {
    Cosine,
    Euclidean,
    DotProduct,
}

impl Similarity {
    pub fn by_name(n: &str) -> Option<Similarity> {
        Some(match n {
            "similarity_cosine" => Similarity::Cosine,
            "similarity_euclidean" => Similarity::Euclidean,
            "similarity_dot_product" => Similarity::DotProduct,
            _ => return None,
        })
    }

    /// Checks the argument types (Cassandra's messages); returns the dimension.
    pub fn check(name: &str, args: &[Option<CqlType>]) -> Result<u32, FnError> {
        if args.len() != 2 {
            return Err(FnError::Invalid(format!(
                "{name}() requires two arguments, but {} given",
                args.len()
            )));
        }
        let dims: Vec<Option<u32>> = args
            .iter()
            .map(|t| match t.as_ref().map(CqlType::unfrozen) {
                Some(CqlType::Vector(e, n)) if **e == CqlType::Float => Some(*n),
                _ => None,
            })
            .collect();
        match dims.as_slice() {
            [Some(a), Some(b)] if a == b => Ok(*a),
            [Some(_), Some(_)] => Err(FnError::Invalid(
                "All arguments must have the same vector dimensions".into(),
            )),
            _ => Err(FnError::Invalid(format!(
                "Only float vectors are supported by {name}"
            ))),
        }
    }

    pub fn call(self, a: Option<&Bytes>, b: Option<&Bytes>) -> Result<Option<Bytes>, FnError> {
        let (Some(a), Some(b)) = (a, b) else {
            return Ok(None);
        };
        let (x, y) = (floats(a)?, floats(b)?);
        if x.len() != y.len() {
            return Err(FnError::Invalid(
                "All arguments must have the same vector dimensions".into(),
            ));
        }
        let dot: f32 = x.iter().zip(&y).map(|(p, q)| p * q).sum();
        let score = match self {
            Similarity::Cosine => {
                let nx: f32 = x.iter().map(|p| p * p).sum();
                let ny: f32 = y.iter().map(|q| q * q).sum();
                let cos = (f64::from(dot) / (f64::from(nx) * f64::from(ny)).sqrt()) as f32;
                (1.0 + cos) / 2.0
            }
            Similarity::Euclidean => {
                let d2: f32 = x.iter().zip(&y).map(|(p, q)| (p - q) * (p - q)).sum();
                1.0 / (1.0 + d2)
            }
            Similarity::DotProduct => ((1.0 + dot) / 2.0).max(0.0),
        };
        Ok(Some(Bytes::copy_from_slice(&score.to_be_bytes())))
    }
}

/// A serialized `vector<float, n>`: n big-endian floats, no length prefixes.
fn floats(b: &[u8]) -> Result<Vec<f32>, FnError> {
    if !b.len().is_multiple_of(4) {
        return Err(FnError::Invalid("Invalid float vector".into()));
    }
    Ok(b.chunks_exact(4)
        .map(|c| f32::from_be_bytes([c[0], c[1], c[2], c[3]]))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(xs: &[f32]) -> Bytes {
        Bytes::from(xs.iter().flat_map(|x| x.to_be_bytes()).collect::<Vec<u8>>())
    }

    fn score(s: Similarity, a: &[f32], b: &[f32]) -> f32 {
        let out = s.call(Some(&v(a)), Some(&v(b))).unwrap().unwrap();
        f32::from_be_bytes(out[..].try_into().unwrap())
    }

    #[test]
    fn scores_match_lucene() {
        assert_eq!(score(Similarity::Cosine, &[1.0, 0.0], &[1.0, 0.0]), 1.0);
        assert_eq!(score(Similarity::Cosine, &[1.0, 0.0], &[-1.0, 0.0]), 0.0);
        assert_eq!(score(Similarity::Cosine, &[1.0, 0.0], &[0.0, 1.0]), 0.5);
        assert_eq!(score(Similarity::Euclidean, &[1.0, 2.0], &[1.0, 4.0]), 0.2);
        assert_eq!(
            score(Similarity::DotProduct, &[0.5, 0.5], &[0.5, 0.5]),
            0.75
        );
        assert_eq!(score(Similarity::DotProduct, &[1.0], &[-3.0]), 0.0);
    }
}
