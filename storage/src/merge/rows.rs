//! The rows of one partition version, ordered by clustering bytes.
//!
//! Why not a plain `BTreeMap<Bytes, Row>`: std's B-tree allocates a whole leaf
//! (eleven key and value slots, ~1.7 KB with our `Row`) for its first entry, and most
//! partitions hold exactly one row (every table without clustering columns, e.g.
//! cassandra-stress's). In the memtable that leaf was most of the memory of a small
//! row and one malloc per partition. So the representation follows the size:
//!
//! - one row is kept inline (no allocation at all: it lives in the partition's slot);
//! - up to [`SMALL_MAX`] rows sit in a vector sorted by clustering, searched by
//!   bisection. A vector is contiguous (no per-node headers, one allocation) and an
//!   insert in the middle moves at most `SMALL_MAX` rows (~4 KB), less than a B-tree
//!   insert costs in node splits and searches at this size;
//! - above that a B-tree, whose inserts stay O(log n) for wide partitions.
//!
//! A row's key is its own `clustering` (the vector variants store no separate key):
//! every insert takes a row whose `clustering` is the key. Callers see only the map
//! operations they use (get, range both ways, insert/merge, split, iteration), so the
//! representation can change without touching them.
use std::borrow::Borrow;
use std::cmp::Ordering;
use std::collections::{btree_map, BTreeMap};
use std::ops::{Bound, RangeBounds};

use bytes::Bytes;

use crate::types::Row;

/// Rows a vector holds before the rows move to a B-tree. Measured with
/// `cargo bench --bench memtable` (docs/PERFORMANCE.md, "Memtable layout, session 5").
pub(crate) const SMALL_MAX: usize = 32;

/// Rows by clustering (see the module docs).
#[derive(Clone)]
pub(crate) enum Rows {
    /// Exactly one row, inline.
    One(Row),
    /// Rows sorted by clustering, without duplicates (possibly none).
    Small(Vec<Row>),
    /// Rows by clustering; `key == row.clustering` for every entry.
    Large(BTreeMap<Bytes, Row>),
}

impl Default for Rows {
    fn default() -> Self {
        Rows::Small(Vec::new())
    }
}

/// Where `key` is (or would go) among rows sorted by clustering.
fn search<Q: Ord + ?Sized>(rows: &[Row], key: &Q) -> Result<usize, usize>
where
    Bytes: Borrow<Q>,
{
    rows.binary_search_by(|r| r.clustering.borrow().cmp(key))
}

/// The index range of sorted `rows` that `range` covers (empty, never reversed, when
/// the bounds cross).
fn index_range<Q, R>(rows: &[Row], range: &R) -> (usize, usize)
where
    Q: Ord + ?Sized,
    Bytes: Borrow<Q>,
    R: RangeBounds<Q>,
{
    fn key<Q: ?Sized>(r: &Row) -> &Q
    where
        Bytes: Borrow<Q>,
    {
        r.clustering.borrow()
    }
    let start = match range.start_bound() {
        Bound::Included(s) => rows.partition_point(|r| key(r) < s),
        Bound::Excluded(s) => rows.partition_point(|r| key(r) <= s),
        Bound::Unbounded => 0,
    };
    let end = match range.end_bound() {
        Bound::Included(e) => rows.partition_point(|r| key(r) <= e),
        Bound::Excluded(e) => rows.partition_point(|r| key(r) < e),
        Bound::Unbounded => rows.len(),
    };
    (start, end.max(start))
}

impl Rows {
    /// The rows, if held in clustering order in one slice (every variant but `Large`).
    fn as_slice(&self) -> Option<&[Row]> {
        match self {
            Rows::One(r) => Some(std::slice::from_ref(r)),
            Rows::Small(v) => Some(v),
            Rows::Large(_) => None,
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Rows::One(_) => 1,
            Rows::Small(v) => v.len(),
            Rows::Large(m) => m.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn clear(&mut self) {
        *self = Rows::default();
    }

    /// The row with clustering `key`.
    #[cfg(test)]
    pub fn get<Q: Ord + ?Sized>(&self, key: &Q) -> Option<&Row>
    where
        Bytes: Borrow<Q>,
    {
        match self {
            Rows::Large(m) => m.get(key),
            _ => {
                let rows = self.as_slice()?;
                rows.get(search(rows, key).ok()?)
            }
        }
    }

    /// Inserts `row` under its clustering, or merges it into the row already there
    /// with `merge(existing, row)`.
    pub fn upsert(&mut self, row: Row, merge: impl FnOnce(&mut Row, Row)) {
        match self {
            Rows::Small(v) if v.is_empty() => *self = Rows::One(row),
            Rows::One(existing) => match existing.clustering.cmp(&row.clustering) {
                Ordering::Equal => merge(existing, row),
                ord => {
                    let Rows::One(first) = std::mem::take(self) else {
                        return;
                    };
                    let mut v = Vec::with_capacity(2);
                    if ord == Ordering::Less {
                        v.extend([first, row]);
                    } else {
                        v.extend([row, first]);
                    }
                    *self = Rows::Small(v);
                }
            },
            Rows::Small(v) => match search(v, &row.clustering) {
                Ok(i) => {
                    if let Some(existing) = v.get_mut(i) {
                        merge(existing, row);
                    }
                }
                Err(i) if v.len() < SMALL_MAX => v.insert(i, row),
                Err(_) => {
                    let mut m: BTreeMap<Bytes, Row> = std::mem::take(v)
                        .into_iter()
                        .map(|r| (r.clustering.clone(), r))
                        .collect();
                    m.insert(row.clustering.clone(), row);
                    *self = Rows::Large(m);
                }
            },
            Rows::Large(m) => match m.entry(row.clustering.clone()) {
                btree_map::Entry::Occupied(mut e) => merge(e.get_mut(), row),
                btree_map::Entry::Vacant(e) => {
                    e.insert(row);
                }
            },
        }
    }

    /// Inserts `row` under `key`, replacing any row there. `key` must be
    /// `row.clustering` (kept as a parameter so call sites read like a map's).
    pub fn insert(&mut self, key: Bytes, row: Row) {
        debug_assert_eq!(key, row.clustering, "a row's key is its clustering");
        self.upsert(row, |existing, row| *existing = row);
    }

    /// The rows whose clustering lies in `range`, in order (reversible).
    pub fn range<Q, R>(&self, range: R) -> Iter<'_>
    where
        Q: Ord + ?Sized,
        Bytes: Borrow<Q>,
        R: RangeBounds<Q>,
    {
        match self {
            Rows::Large(m) => Iter::Map(m.range(range)),
            _ => {
                let rows = self.as_slice().unwrap_or_default();
                let (start, end) = index_range(rows, &range);
                Iter::Slice(rows.get(start..end).unwrap_or_default().iter())
            }
        }
    }

    /// Every row as `(clustering, row)`, in order (reversible, sized).
    pub fn iter(&self) -> All<'_> {
        match self {
            Rows::Large(m) => All::Map(m.iter()),
            _ => All::Slice(self.as_slice().unwrap_or_default().iter()),
        }
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &Bytes> + ExactSizeIterator + '_ {
        self.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl DoubleEndedIterator<Item = &Row> + ExactSizeIterator + '_ {
        self.iter().map(|(_, r)| r)
    }

    /// The rows in order, by value.
    pub fn into_values(self) -> impl DoubleEndedIterator<Item = Row> {
        self.into_iter().map(|(_, r)| r)
    }

    /// Splits off the rows at or after `key`, like `BTreeMap::split_off`.
    pub fn split_off<Q: Ord + ?Sized>(&mut self, key: &Q) -> Rows
    where
        Bytes: Borrow<Q>,
    {
        match self {
            Rows::Large(m) => Rows::Large(m.split_off(key)),
            Rows::One(r) => {
                if <Bytes as Borrow<Q>>::borrow(&r.clustering) >= key {
                    std::mem::take(self)
                } else {
                    Rows::default()
                }
            }
            Rows::Small(v) => {
                let at = search(v, key).unwrap_or_else(|i| i);
                Rows::Small(v.split_off(at))
            }
        }
    }

    /// Keeps the rows for which `keep(clustering, row)` holds. `keep` must not change
    /// a row's clustering.
    #[cfg(test)]
    pub fn retain(&mut self, mut keep: impl FnMut(&Bytes, &mut Row) -> bool) {
        match self {
            Rows::One(r) => {
                let clustering = r.clustering.clone();
                if !keep(&clustering, r) {
                    self.clear();
                }
            }
            Rows::Small(v) => v.retain_mut(|r| {
                let clustering = r.clustering.clone();
                keep(&clustering, r)
            }),
            Rows::Large(m) => m.retain(|k, r| keep(k, r)),
        }
    }
}

impl PartialEq for Rows {
    /// Equal when they hold the same rows, whatever the representation.
    fn eq(&self, other: &Rows) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl std::fmt::Debug for Rows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl FromIterator<(Bytes, Row)> for Rows {
    fn from_iter<I: IntoIterator<Item = (Bytes, Row)>>(iter: I) -> Rows {
        let mut rows = Rows::default();
        for (k, r) in iter {
            rows.insert(k, r);
        }
        rows
    }
}

/// Rows borrowed in clustering order, as `(clustering, row)`.
pub(crate) enum Iter<'a> {
    Slice(std::slice::Iter<'a, Row>),
    Map(btree_map::Range<'a, Bytes, Row>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a Bytes, &'a Row);

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Iter::Slice(s) => s.next().map(|r| (&r.clustering, r)),
            Iter::Map(m) => m.next(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            Iter::Slice(s) => s.size_hint(),
            Iter::Map(m) => m.size_hint(),
        }
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        match self {
            Iter::Slice(s) => s.next_back().map(|r| (&r.clustering, r)),
            Iter::Map(m) => m.next_back(),
        }
    }
}

/// Every row borrowed in clustering order, as `(clustering, row)`.
pub(crate) enum All<'a> {
    Slice(std::slice::Iter<'a, Row>),
    Map(btree_map::Iter<'a, Bytes, Row>),
}

impl<'a> Iterator for All<'a> {
    type Item = (&'a Bytes, &'a Row);

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            All::Slice(s) => s.next().map(|r| (&r.clustering, r)),
            All::Map(m) => m.next(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            All::Slice(s) => s.size_hint(),
            All::Map(m) => m.size_hint(),
        }
    }
}

impl DoubleEndedIterator for All<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        match self {
            All::Slice(s) => s.next_back().map(|r| (&r.clustering, r)),
            All::Map(m) => m.next_back(),
        }
    }
}

impl ExactSizeIterator for All<'_> {}

impl<'a> IntoIterator for &'a Rows {
    type Item = (&'a Bytes, &'a Row);
    type IntoIter = All<'a>;

    fn into_iter(self) -> All<'a> {
        self.iter()
    }
}

/// Rows by value in clustering order, as `(clustering, row)`.
pub(crate) enum IntoIter {
    One(std::option::IntoIter<Row>),
    Vec(std::vec::IntoIter<Row>),
    Map(btree_map::IntoIter<Bytes, Row>),
}

impl Iterator for IntoIter {
    type Item = (Bytes, Row);

    fn next(&mut self) -> Option<(Bytes, Row)> {
        let row = match self {
            IntoIter::One(r) => r.next(),
            IntoIter::Vec(v) => v.next(),
            IntoIter::Map(m) => return m.next(),
        };
        row.map(|r| (r.clustering.clone(), r))
    }
}

impl DoubleEndedIterator for IntoIter {
    fn next_back(&mut self) -> Option<(Bytes, Row)> {
        let row = match self {
            IntoIter::One(r) => r.next_back(),
            IntoIter::Vec(v) => v.next_back(),
            IntoIter::Map(m) => return m.next_back(),
        };
        row.map(|r| (r.clustering.clone(), r))
    }
}

impl IntoIterator for Rows {
    type Item = (Bytes, Row);
    type IntoIter = IntoIter;

    fn into_iter(self) -> IntoIter {
        match self {
            Rows::One(r) => IntoIter::One(Some(r).into_iter()),
            Rows::Small(v) => IntoIter::Vec(v.into_iter()),
            Rows::Large(m) => IntoIter::Map(m.into_iter()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::ops::Bound;

    use bytes::Bytes;
    use proptest::prelude::*;

    use super::{Rows, SMALL_MAX};
    use crate::types::{LivenessInfo, Row};

    fn row(k: u8, ts: i64) -> Row {
        Row {
            clustering: Bytes::from(vec![k]),
            liveness: Some(LivenessInfo {
                timestamp: ts,
                ttl: None,
            }),
            ..Row::default()
        }
    }

    fn bound(b: Option<(bool, u8)>) -> Bound<Bytes> {
        match b {
            None => Bound::Unbounded,
            Some((true, k)) => Bound::Included(Bytes::from(vec![k])),
            Some((false, k)) => Bound::Excluded(Bytes::from(vec![k])),
        }
    }

    fn crossed(lo: &Bound<Bytes>, hi: &Bound<Bytes>) -> bool {
        use Bound::*;
        match (lo, hi) {
            (Included(a) | Excluded(a), Included(b) | Excluded(b)) if a > b => true,
            (Excluded(a), Excluded(b)) => a == b,
            _ => false,
        }
    }

    proptest! {
        /// Every operation agrees with a B-tree holding the same rows, through every
        /// representation (keys from 0..64 cross SMALL_MAX).
        #[test]
        fn behaves_like_a_btree(
            ops in prop::collection::vec((0u8..64, 0i64..4), 0..120),
            lo in prop::option::of((any::<bool>(), 0u8..64)),
            hi in prop::option::of((any::<bool>(), 0u8..64)),
            cut in 0u8..64,
        ) {
            let mut rows = Rows::default();
            let mut model = BTreeMap::new();
            for (k, ts) in ops {
                let r = row(k, ts);
                if ts == 0 {
                    rows.insert(r.clustering.clone(), r.clone());
                    model.insert(r.clustering.clone(), r);
                } else {
                    // Merge keeping the higher timestamp.
                    let keep = |old: &mut Row, new: Row| {
                        if new.liveness.map(|l| l.timestamp) > old.liveness.map(|l| l.timestamp) {
                            *old = new;
                        }
                    };
                    rows.upsert(r.clone(), keep);
                    match model.get_mut(&r.clustering) {
                        Some(old) => keep(old, r),
                        None => {
                            model.insert(r.clustering.clone(), r);
                        }
                    }
                }
                prop_assert_eq!(rows.len(), model.len());
            }
            let want: Vec<_> = model.iter().collect();
            prop_assert_eq!(rows.iter().collect::<Vec<_>>(), want.clone());
            prop_assert_eq!(rows.iter().rev().collect::<Vec<_>>(), want.iter().rev().cloned().collect::<Vec<_>>());
            for k in 0..64u8 {
                prop_assert_eq!(rows.get(&[k][..]), model.get(&[k][..]));
            }
            let (lo, hi) = (bound(lo), bound(hi));
            if !crossed(&lo, &hi) {
                let got: Vec<_> = rows.range((lo.clone(), hi.clone())).map(|(k, _)| k.clone()).collect();
                let exp: Vec<_> = model.range((lo.clone(), hi.clone())).map(|(k, _)| k.clone()).collect();
                prop_assert_eq!(&got, &exp);
                let got: Vec<_> = rows.range((lo.clone(), hi.clone())).rev().map(|(k, _)| k.clone()).collect();
                prop_assert_eq!(got, exp.into_iter().rev().collect::<Vec<_>>());
            }
            let mut copy = rows.clone();
            let mut mcopy = model.clone();
            let cut = Bytes::from(vec![cut]);
            let tail = copy.split_off(&cut);
            let mtail = mcopy.split_off(&cut);
            prop_assert_eq!(copy.iter().collect::<Vec<_>>(), mcopy.iter().collect::<Vec<_>>());
            prop_assert_eq!(tail.iter().collect::<Vec<_>>(), mtail.iter().collect::<Vec<_>>());
            rows.retain(|k, _| k[0] % 3 != 0);
            model.retain(|k, _| k[0] % 3 != 0);
            prop_assert_eq!(rows.clone().into_iter().collect::<Vec<_>>(), model.clone().into_iter().collect::<Vec<_>>());
            prop_assert_eq!(rows.into_values().rev().collect::<Vec<_>>(), model.into_values().rev().collect::<Vec<_>>());
        }
    }

    #[test]
    fn representation_follows_the_size() {
        let mut rows = Rows::default();
        assert!(matches!(rows, Rows::Small(ref v) if v.capacity() == 0));
        rows.insert(Bytes::from_static(b"m"), row(b'm', 1));
        assert!(matches!(rows, Rows::One(_)));
        rows.insert(Bytes::from_static(b"a"), row(b'a', 1));
        assert!(matches!(rows, Rows::Small(ref v) if v.len() == 2));
        for k in 0..SMALL_MAX as u8 {
            rows.insert(Bytes::from(vec![k]), row(k, 1));
        }
        assert!(matches!(rows, Rows::Large(_)));
        assert_eq!(rows.len(), SMALL_MAX + 2);
        // Equality looks at the rows, not the representation.
        let one: Rows = [(Bytes::from_static(b"m"), row(b'm', 1))]
            .into_iter()
            .collect();
        let small = Rows::Small(vec![row(b'm', 1)]);
        assert_eq!(one, small);
    }
}
