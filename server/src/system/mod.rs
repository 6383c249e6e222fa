//! System tables served from memory: `system.local`, `system.peers(_v2)`, the
//! `system_schema.*` tables built from the current [`Schema`], and
//! `system_virtual_schema.*`; and server-side DESCRIBE.
//!
//! This module only produces rows ([`VirtualTable`]) in the real tables' column order
//! (partition key, clustering, then the rest by name, as Cassandra answers
//! `SELECT *`). Filtering, projection, LIMIT and paging are the executor's.

mod cql_text;
mod describe;
mod local;
mod schema_tables;

use cql::types::{CqlType, CqlValue};

use crate::schema::{ColumnKind, Schema, TableDef};

/// Who this node is, as `system.local` and DESCRIBE CLUSTER report it. This is the
/// `NodeIdentity` of the server's contract; it is defined here, with the tables that
/// show it, and `query` re-exports it (`pub use crate::system::NodeIdentity;`), so
/// `crate::query::NodeIdentity` and `crate::system::NodeIdentity` are one type.
#[derive(Debug, Clone)]
pub struct NodeIdentity {
    pub cluster_name: String,
    pub host_id: uuid::Uuid,
    pub tokens: Vec<i64>,
    pub listen_address: std::net::IpAddr,
    pub broadcast_address: std::net::IpAddr,
    pub rpc_address: std::net::IpAddr,
    pub native_port: u16,
    pub storage_port: u16,
    pub data_center: String,
    pub rack: String,
    /// e.g. "5.0.0"; drivers pick their schema parser from it.
    pub release_version: String,
    /// e.g. "org.apache.cassandra.dht.Murmur3Partitioner".
    pub partitioner: String,
}

pub use describe::{describe, describe_target, DescribeTarget};

/// One column of a virtual table.
#[derive(Debug, Clone, PartialEq)]
pub struct VirtualColumn {
    pub name: String,
    pub typ: CqlType,
    pub kind: ColumnKind,
}

/// A virtual table's columns and all its rows (cells in column order; `None` is null).
#[derive(Debug, Clone, PartialEq)]
pub struct VirtualTable {
    pub keyspace: String,
    pub table: String,
    pub columns: Vec<VirtualColumn>,
    pub rows: Vec<Vec<Option<CqlValue>>>,
}

impl VirtualTable {
    /// An empty table shaped like `def`.
    pub(crate) fn shaped_like(def: &TableDef) -> VirtualTable {
        VirtualTable {
            keyspace: def.keyspace.clone(),
            table: def.name.clone(),
            columns: def
                .columns
                .iter()
                .map(|c| VirtualColumn {
                    name: c.name.clone(),
                    typ: c.typ.clone(),
                    kind: c.kind,
                })
                .collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row given as (column name, value) pairs; missing columns are null.
    pub(crate) fn push(&mut self, cells: Vec<(&str, CqlValue)>) {
        let mut row: Vec<Option<CqlValue>> = vec![None; self.columns.len()];
        for (name, v) in cells {
            if let Some(i) = self.columns.iter().position(|c| c.name == name) {
                if let Some(slot) = row.get_mut(i) {
                    *slot = Some(v);
                }
            } else {
                tracing::warn!(table = %self.table, column = name, "unknown system column");
            }
        }
        self.rows.push(row);
    }

    /// The index of a column by name.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }
}

/// Whether `keyspace.table` is served by [`virtual_rows`] rather than storage.
pub fn is_virtual(keyspace: &str, table: &str) -> bool {
    match keyspace {
        "system" => matches!(table, "local" | "peers" | "peers_v2" | "IndexInfo"),
        "system_schema" | "system_virtual_schema" => true,
        _ => false,
    }
}

/// The rows of a virtual table, or `None` when `keyspace.table` is not one (the
/// executor then answers `unconfigured table`).
pub fn virtual_rows(
    keyspace: &str,
    table: &str,
    schema: &Schema,
    identity: &NodeIdentity,
) -> Option<VirtualTable> {
    if !is_virtual(keyspace, table) {
        return None;
    }
    let def = schema.table(keyspace, table)?;
    let mut out = VirtualTable::shaped_like(def);
    match keyspace {
        "system" => local::fill(table, &mut out, schema, identity),
        "system_schema" => schema_tables::fill(table, &mut out, schema),
        _ => schema_tables::fill_virtual(table, &mut out, schema),
    }
    Some(out)
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod roundtrip_tests;

#[cfg(test)]
mod driver_queries_tests;
