//! The token ring: which node owns which token ranges.
//!
//! Each node holds `num_tokens` tokens (vnodes). A token `t` belongs to the node with the
//! smallest ring token `>= t`, wrapping around to the first token past the maximum: a
//! node owns the range `(previous token, its token]`, as in Cassandra.

use rand::Rng;
use uuid::Uuid;

use crate::partitioner::{Token, MIN_TOKEN};

/// A node's identity on the ring: its host id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub Uuid);

/// An immutable snapshot of the ring: tokens sorted, each with its owner.
#[derive(Debug, Clone, Default)]
pub struct TokenRing {
    entries: Vec<(Token, NodeId)>,
}

impl TokenRing {
    /// Builds a ring from each node's tokens. A token claimed twice keeps its first owner.
    pub fn new(nodes: impl IntoIterator<Item = (NodeId, Vec<Token>)>) -> Self {
        let mut entries: Vec<(Token, NodeId)> = nodes
            .into_iter()
            .flat_map(|(node, tokens)| tokens.into_iter().map(move |t| (t, node)))
            .collect();
        entries.sort_by_key(|&(t, _)| t);
        entries.dedup_by_key(|&mut (t, _)| t);
        TokenRing { entries }
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The sorted ring tokens with their owners.
    pub fn entries(&self) -> &[(Token, NodeId)] {
        &self.entries
    }

    /// Index of the ring entry owning `token`.
    fn owner_index(&self, token: Token) -> usize {
        let i = self.entries.partition_point(|&(t, _)| t < token);
        if i == self.entries.len() {
            0
        } else {
            i
        }
    }

    /// The node whose range holds `token` (the first replica), if the ring is not empty.
    pub fn primary(&self, token: Token) -> Option<NodeId> {
        (!self.is_empty()).then(|| self.entries[self.owner_index(token)].1)
    }

    /// SimpleStrategy placement: walk the ring clockwise from the owner of `token`,
    /// collecting up to `rf` distinct nodes.
    pub fn replicas(&self, token: Token, rf: usize) -> Vec<NodeId> {
        let mut out = Vec::with_capacity(rf);
        if self.is_empty() {
            return out;
        }
        let start = self.owner_index(token);
        for k in 0..self.entries.len() {
            let node = self.entries[(start + k) % self.entries.len()].1;
            if !out.contains(&node) {
                out.push(node);
                if out.len() == rf {
                    break;
                }
            }
        }
        out
    }

    /// The fraction of the token space each node owns as a primary (nodetool's "Owns").
    pub fn ownership(&self) -> Vec<(NodeId, f64)> {
        let mut owned: Vec<(NodeId, f64)> = Vec::new();
        let n = self.entries.len();
        for (i, &(token, node)) in self.entries.iter().enumerate() {
            let prev = if i == 0 {
                self.entries[n - 1].0
            } else {
                self.entries[i - 1].0
            };
            // Width of (prev, token] modulo 2^64; a single token owns everything.
            let width = if n == 1 {
                u64::MAX as f64 + 1.0
            } else {
                token.wrapping_sub(prev) as u64 as f64
            };
            match owned.iter_mut().find(|(o, _)| *o == node) {
                Some((_, w)) => *w += width,
                None => owned.push((node, width)),
            }
        }
        let total = u64::MAX as f64 + 1.0;
        owned.into_iter().map(|(n, w)| (n, w / total)).collect()
    }
}

/// `n` distinct random tokens, never the reserved minimum, sorted.
pub fn random_tokens(n: usize, rng: &mut impl Rng) -> Vec<Token> {
    let mut tokens: Vec<Token> = Vec::with_capacity(n);
    while tokens.len() < n {
        let t: Token = rng.gen();
        if t != MIN_TOKEN && !tokens.contains(&t) {
            tokens.push(t);
        }
    }
    tokens.sort_unstable();
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(b: u8) -> NodeId {
        NodeId(Uuid::from_bytes([b; 16]))
    }

    #[test]
    fn token_belongs_to_next_ring_token_and_wraps() {
        let ring = TokenRing::new([(node(1), vec![-100, 100]), (node(2), vec![0])]);
        assert_eq!(ring.primary(-100), Some(node(1)));
        assert_eq!(ring.primary(-99), Some(node(2)));
        assert_eq!(ring.primary(0), Some(node(2)));
        assert_eq!(ring.primary(50), Some(node(1)));
        assert_eq!(ring.primary(101), Some(node(1)), "wraps to the first token");
        assert_eq!(TokenRing::default().primary(5), None);
    }

    #[test]
    fn replicas_are_distinct_nodes_clockwise() {
        let ring = TokenRing::new([
            (node(1), vec![0, 10]),
            (node(2), vec![5]),
            (node(3), vec![20]),
        ]);
        assert_eq!(ring.replicas(1, 2), vec![node(2), node(1)]);
        assert_eq!(ring.replicas(6, 3), vec![node(1), node(3), node(2)]);
        assert_eq!(ring.replicas(6, 5).len(), 3, "never more than the nodes");
    }

    #[test]
    fn ownership_sums_to_one() {
        let mut rng = rand::thread_rng();
        let ring = TokenRing::new([
            (node(1), random_tokens(16, &mut rng)),
            (node(2), random_tokens(16, &mut rng)),
        ]);
        let total: f64 = ring.ownership().iter().map(|(_, f)| f).sum();
        assert!((total - 1.0).abs() < 1e-9, "{total}");
        let single = TokenRing::new([(node(1), vec![42])]);
        assert!((single.ownership()[0].1 - 1.0).abs() < 1e-9);
    }

    #[test]
    fn random_tokens_are_distinct_sorted_and_valid() {
        let t = random_tokens(256, &mut rand::thread_rng());
        assert_eq!(t.len(), 256);
        assert!(t.windows(2).all(|w| w[0] < w[1]));
        assert!(!t.contains(&MIN_TOKEN));
    }
}
