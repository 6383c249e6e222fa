//! Test helpers: tables built by hand (no schema manager, no storage) so that plans
//! and mutations can be checked in isolation.

use cql::parser::ast::Statement;
use cql::types::CqlType;

use super::term::{Markers, Val};
use super::TableRef;
use crate::schema::{ColumnDef, ColumnKind, KeyspaceDef, Order, Replication, TableDef};

/// A table `ks.t` from (name, type, kind) triples, in any order.
pub fn table(cols: &[(&str, CqlType, ColumnKind)]) -> TableRef {
    let mut def = TableDef {
        keyspace: "ks".into(),
        name: "t".into(),
        id: uuid::Uuid::from_u128(7),
        columns: cols
            .iter()
            .enumerate()
            .map(|(i, (n, t, k))| ColumnDef {
                name: (*n).into(),
                typ: t.clone(),
                kind: *k,
                id: storage::ColumnId(i as u32),
            })
            .collect(),
        partition_key: vec![],
        clustering: vec![],
        params: Default::default(),
        is_counter: cols.iter().any(|(_, t, _)| t.is_counter()),
        dropped: vec![],
        indexes: vec![],
        view: None,
        next_column_id: cols.len() as u32,
    };
    def.normalize();
    let ks = KeyspaceDef {
        name: "ks".into(),
        replication: Replication::Simple {
            replication_factor: "1".into(),
        },
        durable_writes: true,
        tables: Default::default(),
        views: Default::default(),
        types: vec![],
        system: false,
        is_virtual: false,
    };
    TableRef::new(&def, &ks, "dc1")
}

/// `k int, c int ASC|DESC, v int, s int static`.
pub fn kcv(order: Order) -> TableRef {
    table(&[
        ("k", CqlType::Int, ColumnKind::PartitionKey(0)),
        ("c", CqlType::Int, ColumnKind::Clustering(0, order)),
        ("v", CqlType::Int, ColumnKind::Regular),
        ("s", CqlType::Int, ColumnKind::Static),
    ])
}

pub fn parse(text: &str) -> (Statement, Markers) {
    let st = cql::parser::parse_statement(text).expect("parses");
    let m = Markers::with_count(st.bind_marker_count());
    (st, m)
}

pub fn int(v: i32) -> Val {
    Val::Bytes(bytes::Bytes::copy_from_slice(&v.to_be_bytes()))
}
