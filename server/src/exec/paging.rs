//! The paging state: an opaque blob of ours that resumes a SELECT exactly where the
//! previous page stopped.
//!
//! Layout (all integers big-endian), version 1:
//! `magic u8 (0xE1) | version u8 | query_hash u64 | remaining u32 |
//!  partition_remaining u32 | partition_index u32 | token i64 |
//!  key_len u32 | key | kind u8 | [clustering_len u32 | clustering]`.
//! `kind` is 0 when the partition is finished (resume at the next one), 1 when the
//! last row returned was the static row only, 2 when resuming after `clustering`.
//! The query hash ties the state to the statement that produced it: a state handed to
//! another query is rejected instead of producing nonsense.

use bytes::{BufMut, Bytes, BytesMut};

use crate::error::RequestError;

const MAGIC: u8 = 0xE1;
const VERSION: u8 = 1;

/// Where, inside the last partition, the previous page stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resume {
    /// The partition was finished: continue with the next one.
    PartitionDone,
    /// Only the static row (or nothing) of the partition was returned so far.
    AfterStatic,
    /// Continue after this byte-comparable clustering (in the query's order).
    AfterRow(Bytes),
}

/// A decoded paging state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PagingState {
    /// Hash of the query (keyspace, table and statement text or prepared id).
    pub query_hash: u64,
    /// Rows the query's LIMIT still allows.
    pub remaining: u32,
    /// Rows the PER PARTITION LIMIT still allows in the current partition.
    pub partition_remaining: u32,
    /// For queries over a list of partitions (`IN`): the index of the partition.
    pub partition_index: u32,
    pub token: i64,
    pub key: Bytes,
    pub resume: Resume,
}

impl PagingState {
    pub fn encode(&self) -> Bytes {
        let clen = match &self.resume {
            Resume::AfterRow(c) => 4 + c.len(),
            _ => 0,
        };
        let mut b = BytesMut::with_capacity(2 + 8 + 12 + 8 + 4 + self.key.len() + 1 + clen);
        b.put_u8(MAGIC);
        b.put_u8(VERSION);
        b.put_u64(self.query_hash);
        b.put_u32(self.remaining);
        b.put_u32(self.partition_remaining);
        b.put_u32(self.partition_index);
        b.put_i64(self.token);
        b.put_u32(self.key.len() as u32);
        b.put_slice(&self.key);
        match &self.resume {
            Resume::PartitionDone => b.put_u8(0),
            Resume::AfterStatic => b.put_u8(1),
            Resume::AfterRow(c) => {
                b.put_u8(2);
                b.put_u32(c.len() as u32);
                b.put_slice(c);
            }
        }
        b.freeze()
    }

    /// Decodes a state and checks it belongs to the query with `query_hash`.
    pub fn decode(raw: &[u8], query_hash: u64) -> Result<PagingState, RequestError> {
        let bad = || RequestError::Protocol("Invalid value for the paging state".into());
        let mut r = Reader { buf: raw };
        if r.u8().ok_or_else(bad)? != MAGIC || r.u8().ok_or_else(bad)? != VERSION {
            return Err(bad());
        }
        let hash = r.u64().ok_or_else(bad)?;
        if hash != query_hash {
            return Err(RequestError::invalid(
                "The paging state does not belong to this query",
            ));
        }
        let remaining = r.u32().ok_or_else(bad)?;
        let partition_remaining = r.u32().ok_or_else(bad)?;
        let partition_index = r.u32().ok_or_else(bad)?;
        let token = r.u64().ok_or_else(bad)? as i64;
        let klen = r.u32().ok_or_else(bad)? as usize;
        let key = Bytes::copy_from_slice(r.take(klen).ok_or_else(bad)?);
        let resume = match r.u8().ok_or_else(bad)? {
            0 => Resume::PartitionDone,
            1 => Resume::AfterStatic,
            2 => {
                let clen = r.u32().ok_or_else(bad)? as usize;
                Resume::AfterRow(Bytes::copy_from_slice(r.take(clen).ok_or_else(bad)?))
            }
            _ => return Err(bad()),
        };
        if !r.buf.is_empty() {
            return Err(bad());
        }
        Ok(PagingState {
            query_hash,
            remaining,
            partition_remaining,
            partition_index,
            token,
            key,
            resume,
        })
    }
}

struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.buf.len() < n {
            return None;
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Some(head)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).and_then(|b| b.first().copied())
    }
    fn u32(&mut self) -> Option<u32> {
        self.take(4)
            .and_then(|b| b.try_into().ok())
            .map(u32::from_be_bytes)
    }
    fn u64(&mut self) -> Option<u64> {
        self.take(8)
            .and_then(|b| b.try_into().ok())
            .map(u64::from_be_bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(resume: Resume) -> PagingState {
        PagingState {
            query_hash: 42,
            remaining: 100,
            partition_remaining: 7,
            partition_index: 3,
            token: -5,
            key: Bytes::from_static(b"key"),
            resume,
        }
    }

    #[test]
    fn paging_state_round_trips_every_resume_kind() {
        for r in [
            Resume::PartitionDone,
            Resume::AfterStatic,
            Resume::AfterRow(Bytes::from_static(b"\x01\x02")),
        ] {
            let s = sample(r);
            assert_eq!(PagingState::decode(&s.encode(), 42).unwrap(), s);
        }
    }

    #[test]
    fn paging_state_of_another_query_is_rejected() {
        let s = sample(Resume::PartitionDone).encode();
        assert!(matches!(
            PagingState::decode(&s, 43),
            Err(RequestError::Invalid(_))
        ));
    }

    #[test]
    fn truncated_paging_state_is_a_protocol_error() {
        let s = sample(Resume::AfterRow(Bytes::from_static(b"abc"))).encode();
        for n in 0..s.len() {
            assert!(matches!(
                PagingState::decode(&s[..n], 42),
                Err(RequestError::Protocol(_))
            ));
        }
    }

    /// Random inputs from a fixed seed (proptest is not a dependency of this crate).
    #[test]
    fn arbitrary_bytes_never_panic_and_states_round_trip() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for _ in 0..2_000 {
            let n = rng.gen_range(0..64);
            let raw: Vec<u8> = (0..n).map(|_| rng.gen()).collect();
            let _ = PagingState::decode(&raw, 42);
            let key: Vec<u8> = (0..rng.gen_range(0..16)).map(|_| rng.gen()).collect();
            let resume = match rng.gen_range(0..3) {
                0 => Resume::PartitionDone,
                1 => Resume::AfterStatic,
                _ => Resume::AfterRow(Bytes::from(key.clone())),
            };
            let s = PagingState {
                query_hash: 9,
                remaining: rng.gen(),
                partition_remaining: rng.gen(),
                partition_index: rng.gen(),
                token: rng.gen(),
                key: Bytes::from(key),
                resume,
            };
            assert_eq!(PagingState::decode(&s.encode(), 9).unwrap(), s);
        }
    }
}
