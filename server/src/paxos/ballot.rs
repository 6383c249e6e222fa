//! Ballots: Cassandra uses a timeuuid, ordered by its timestamp then by the rest. We
//! keep the two parts that order it: the microsecond timestamp (also the write
//! timestamp of the committed update) and a per-node discriminator so two
//! coordinators never make the same ballot.

/// A Paxos ballot. Ordered by `micros`, then `node`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Ballot {
    /// Microseconds since the epoch; the committed update is written at this time.
    pub micros: i64,
    /// Distinguishes coordinators (derived from the host id).
    pub node: u64,
}

impl Ballot {
    /// The smallest ballot: nothing promised yet.
    pub const ZERO: Ballot = Ballot { micros: 0, node: 0 };

    /// 16 bytes, big-endian, so that byte order is ballot order for positive times.
    pub fn to_bytes(self) -> [u8; 16] {
        let mut out = [0u8; 16];
        out[..8].copy_from_slice(&self.micros.to_be_bytes());
        out[8..].copy_from_slice(&self.node.to_be_bytes());
        out
    }

    pub fn from_bytes(b: &[u8]) -> Option<Ballot> {
        let micros = i64::from_be_bytes(b.get(..8)?.try_into().ok()?);
        let node = u64::from_be_bytes(b.get(8..16)?.try_into().ok()?);
        (b.len() == 16).then_some(Ballot { micros, node })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_round_trip_and_order_follows_time_then_node() {
        let a = Ballot {
            micros: 1_700_000_000_000_000,
            node: 7,
        };
        let b = Ballot {
            micros: a.micros,
            node: 8,
        };
        let c = Ballot {
            micros: a.micros + 1,
            node: 0,
        };
        assert_eq!(Ballot::from_bytes(&a.to_bytes()), Some(a));
        assert!(a < b && b < c);
        assert!(a.to_bytes() < b.to_bytes() && b.to_bytes() < c.to_bytes());
        assert_eq!(Ballot::from_bytes(&[0u8; 15]), None);
    }
}
