//! The Filter component: a bloom filter (bloomfilter crate) over the
//! partition keys of one SSTable, checked before the summary and index so a
//! miss touches no disk. Seeded with a fixed seed so it hashes the same way
//! after a restart. Encoding: `kind: u8` (0 = none, 1 = bloom) then the
//! bloomfilter crate's serialized bytes.
use bloomfilter::Bloom;

/// Fixed bloom seed (32 bytes).
const SEED: [u8; 32] = *b"helenus-sstable-bloom-seed-v1...";

/// A key filter: `may_contain` is false only for keys never added.
pub struct KeyFilter {
    bloom: Option<Bloom<[u8]>>,
}

impl std::fmt::Debug for KeyFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "KeyFilter({} bits)",
            self.bloom.as_ref().map_or(0, |b| b.len())
        )
    }
}

impl KeyFilter {
    /// Builds a filter over `keys` with false-positive chance `fp_chance`;
    /// `fp_chance >= 1.0` (or no keys) builds an always-true filter.
    pub fn build<'a>(keys: impl ExactSizeIterator<Item = &'a [u8]>, fp_chance: f64) -> KeyFilter {
        let n = keys.len();
        if fp_chance >= 1.0 || n == 0 {
            return KeyFilter { bloom: None };
        }
        match Bloom::<[u8]>::new_for_fp_rate_with_seed(n, fp_chance.max(1e-6), &SEED) {
            Ok(mut bloom) => {
                for k in keys {
                    bloom.set(k);
                }
                KeyFilter { bloom: Some(bloom) }
            }
            Err(e) => {
                tracing::warn!(error = e, "bloom filter not built");
                KeyFilter { bloom: None }
            }
        }
    }

    /// False if `key` was certainly not added.
    pub fn may_contain(&self, key: &[u8]) -> bool {
        self.bloom.as_ref().is_none_or(|b| b.check(key))
    }

    /// Serialized form (see module docs).
    pub fn encode(&self) -> Vec<u8> {
        match &self.bloom {
            None => vec![0],
            Some(b) => {
                let mut out = vec![1];
                out.extend_from_slice(b.as_slice());
                out
            }
        }
    }

    /// Parses `encode`'s output; the error says what is wrong.
    pub fn decode(bytes: &[u8]) -> Result<KeyFilter, &'static str> {
        match bytes.split_first() {
            Some((0, _)) => Ok(KeyFilter { bloom: None }),
            Some((1, bits)) => Ok(KeyFilter {
                bloom: Some(Bloom::<[u8]>::from_slice(bits)?),
            }),
            _ => Err("bad filter kind"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_false_negatives_and_round_trip() {
        let keys: Vec<Vec<u8>> = (0..1000u32).map(|i| i.to_le_bytes().to_vec()).collect();
        let f = KeyFilter::build(keys.iter().map(|k| &k[..]), 0.01);
        let g = KeyFilter::decode(&f.encode()).expect("decodes");
        assert!(keys.iter().all(|k| g.may_contain(k)));
        let fp = (1000..11000u32)
            .filter(|i| g.may_contain(&i.to_le_bytes()))
            .count();
        assert!(fp < 300, "false positives {fp}/10000 at fp_chance 0.01");
        assert!(KeyFilter::decode(&[7]).is_err());
        assert!(KeyFilter::decode(&[1, 2, 3]).is_err());
    }
}
