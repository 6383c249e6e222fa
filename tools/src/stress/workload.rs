//! What the operations are: the schema each command needs, the CQL of each operation
//! and its weight, and how the bound values of one operation are written for a key.
//! The predefined commands mirror cassandra-stress (keyspace1.standard1 and
//! keyspace1.counter1, 10-byte keys, C0..Cn blob columns); `user` comes from a profile
//! ([`super::profile`]). Values are derived from the key so a read can find a write.

use bytes::BytesMut;
use cql::types::CqlType;

use super::args::{Command, Settings};
use super::dist::{mix, SizeDist};
use super::error::{args, Result};

/// Length of the predefined tables' keys, as in cassandra-stress.
pub const KEY_LEN: usize = 10;

/// Is an operation a write or a read (for the partition/row rates of the summary)?
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    Write,
    Read,
}

/// How the bound values of an operation are produced from its key.
#[derive(Debug, Clone)]
pub enum Binder {
    /// Only the 10-byte key.
    Key,
    /// The key, then `columns` blob values of `size` bytes.
    KeyAndColumns { columns: u16, size: SizeDist },
    /// From the prepared statement's bound-variable types (user profiles); filled in
    /// after PREPARE.
    Typed(Vec<BoundColumn>),
}

#[derive(Debug, Clone)]
pub struct BoundColumn {
    pub name: String,
    pub typ: CqlType,
    /// A partition-key column gets the key itself; others a value derived from it.
    pub is_key: bool,
    pub size: SizeDist,
}

/// One operation of the mix.
#[derive(Debug, Clone)]
pub struct OpDef {
    pub name: String,
    pub cql: String,
    pub kind: OpKind,
    pub weight: u32,
    pub binder: Binder,
    /// For reads of rows written by the predefined `write`: the binder that wrote
    /// them, to check what comes back (a mismatch is a "value mismatch" error).
    pub verify: Option<Binder>,
}

/// Everything the runner needs besides connections.
#[derive(Debug, Clone)]
pub struct Workload {
    pub keyspace: String,
    /// Run once, in order, on the first node before the test; AlreadyExists is fine.
    pub schema: Vec<String>,
    pub ops: Vec<OpDef>,
    /// For `Binder::Typed`: the profile's per-column sizes, looked up after PREPARE.
    pub column_sizes: Vec<(String, SizeDist)>,
    /// For `Binder::Typed`: primary-key columns, which get the key itself.
    pub key_columns: Vec<String>,
}

impl Workload {
    /// The predefined commands. `user` is built by [`super::profile::load`].
    pub fn predefined(s: &Settings) -> Result<Workload> {
        let SizeDist::Fixed(cols) = s.col_count else {
            return args("-col n= takes fixed(N) only");
        };
        let cols = cols as u16;
        let ks = &s.keyspace;
        let names: Vec<String> = (0..cols).map(|i| format!("\"C{i}\"")).collect();
        let standard = format!(
            "CREATE TABLE IF NOT EXISTS {ks}.standard1 (key blob PRIMARY KEY, {}){}",
            names
                .iter()
                .map(|n| format!("{n} blob"))
                .collect::<Vec<_>>()
                .join(", "),
            compaction_clause(s)
        );
        let counter = format!(
            "CREATE TABLE IF NOT EXISTS {ks}.counter1 (key blob PRIMARY KEY, {}){}",
            names
                .iter()
                .map(|n| format!("{n} counter"))
                .collect::<Vec<_>>()
                .join(", "),
            compaction_clause(s)
        );
        let keyspace = format!(
            "CREATE KEYSPACE IF NOT EXISTS {ks} WITH replication = \
             {{'class': 'SimpleStrategy', 'replication_factor': {}}}",
            s.replication_factor
        );
        let write = OpDef {
            name: "write".into(),
            cql: format!(
                "INSERT INTO {ks}.standard1 (key, {}) VALUES (?{})",
                names.join(", "),
                ", ?".repeat(cols as usize)
            ),
            kind: OpKind::Write,
            weight: 1,
            binder: Binder::KeyAndColumns {
                columns: cols,
                size: s.col_size,
            },
            verify: None,
        };
        let read = OpDef {
            name: "read".into(),
            cql: format!("SELECT * FROM {ks}.standard1 WHERE key = ?"),
            kind: OpKind::Read,
            weight: 1,
            binder: Binder::Key,
            verify: Some(write.binder.clone()),
        };
        let (schema, ops) = match s.command {
            Command::Write => (vec![keyspace, standard], vec![write]),
            // Reads assume the data is there: no schema, so a missing table is a clear
            // PREPARE error instead of a run that reads nothing.
            Command::Read => (vec![], vec![read]),
            Command::Mixed { write: w, read: r } => (
                vec![keyspace, standard],
                vec![OpDef { weight: w, ..write }, OpDef { weight: r, ..read }],
            ),
            Command::CounterWrite => (
                vec![keyspace, counter],
                vec![OpDef {
                    name: "counter_write".into(),
                    cql: format!(
                        "UPDATE {ks}.counter1 SET {} WHERE key = ?",
                        names
                            .iter()
                            .map(|n| format!("{n} = {n} + 1"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    kind: OpKind::Write,
                    weight: 1,
                    binder: Binder::Key,
                    verify: None,
                }],
            ),
            Command::CounterRead => (
                vec![],
                vec![OpDef {
                    name: "counter_read".into(),
                    cql: format!("SELECT * FROM {ks}.counter1 WHERE key = ?"),
                    kind: OpKind::Read,
                    weight: 1,
                    binder: Binder::Key,
                    verify: None,
                }],
            ),
            Command::User { .. } => unreachable!("user workloads come from profile::load"),
        };
        Ok(Workload {
            keyspace: ks.clone(),
            schema,
            ops: ops.into_iter().filter(|o| o.weight > 0).collect(),
            column_sizes: Vec::new(),
            key_columns: Vec::new(),
        })
    }

    pub fn total_weight(&self) -> u64 {
        self.ops.iter().map(|o| u64::from(o.weight)).sum()
    }
}

fn compaction_clause(s: &Settings) -> String {
    match &s.compaction {
        Some(class) => format!(" WITH compaction = {{'class': '{class}'}}"),
        None => String::new(),
    }
}

/// cassandra-stress's key format (its `DataGenHex`): the key number in upper-case hex
/// ASCII digits, right-aligned and zero-padded to 10 bytes (`1` -> `0000000001`).
pub fn write_key(out: &mut BytesMut, key: u64) {
    out.extend_from_slice(&(KEY_LEN as i32).to_be_bytes());
    let mut buf = [b'0'; KEY_LEN];
    let mut k = key;
    let mut i = KEY_LEN;
    while k != 0 && i > 0 {
        i -= 1;
        let d = (k & 15) as u8;
        buf[i] = if d < 10 { b'0' + d } else { b'A' + d - 10 };
        k >>= 4;
    }
    out.extend_from_slice(&buf);
}

/// `len` pseudo-random bytes derived from `seed`, as one `[bytes]` value.
pub fn write_blob(out: &mut BytesMut, seed: u64, len: usize) {
    out.extend_from_slice(&(len as i32).to_be_bytes());
    let mut x = seed;
    let mut left = len;
    while left > 0 {
        x = mix(x.wrapping_add(0x9E37_79B9_7F4A_7C15));
        let chunk = left.min(8);
        out.extend_from_slice(&x.to_le_bytes()[..chunk]);
        left -= chunk;
    }
}

impl Binder {
    /// Appends the bound values for `key`; returns how many.
    pub fn write(&self, out: &mut BytesMut, key: u64) -> u16 {
        match self {
            Binder::Key => {
                write_key(out, key);
                1
            }
            Binder::KeyAndColumns { columns, size } => {
                write_key(out, key);
                for c in 0..u64::from(*columns) {
                    let seed = key.wrapping_mul(64).wrapping_add(c);
                    write_blob(out, seed, size.for_seed(seed) as usize);
                }
                1 + columns
            }
            Binder::Typed(cols) => {
                for (i, c) in cols.iter().enumerate() {
                    super::profile::write_typed(out, c, key, i as u64);
                }
                cols.len() as u16
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_look_like_cassandra_stress_keys() {
        let mut b = BytesMut::new();
        write_key(&mut b, 1);
        write_key(&mut b, 0x2AF);
        assert_eq!(&b[4..14], b"0000000001");
        assert_eq!(&b[18..28], b"00000002AF");
    }

    #[test]
    fn values_depend_on_the_key_only() {
        let bind = Binder::KeyAndColumns {
            columns: 5,
            size: SizeDist::Fixed(34),
        };
        let (mut a, mut b, mut c) = (BytesMut::new(), BytesMut::new(), BytesMut::new());
        assert_eq!(bind.write(&mut a, 7), 6);
        bind.write(&mut b, 7);
        bind.write(&mut c, 8);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a.len(), 14 + 5 * 38);
    }
}
